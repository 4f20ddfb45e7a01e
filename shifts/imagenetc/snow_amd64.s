//go:build amd64 && !purego

#include "textflag.h"

// Float32 constants (four copies): 255, 0.299, 0.587, 0.114, 1.5, 0.5.
#define F4(name, bits) \
	DATA name<>+0(SB)/4, $bits \
	DATA name<>+4(SB)/4, $bits \
	DATA name<>+8(SB)/4, $bits \
	DATA name<>+12(SB)/4, $bits \
	GLOBL name<>(SB), RODATA|NOPTR, $16

F4(sn255f, 0x437f0000)
F4(snKR, 0x3e991687)
F4(snKG, 0x3f1645a2)
F4(snKB, 0x3de978d5)
F4(sn15, 0x3fc00000)
F4(sn05, 0x3f000000)

// Byte shuffles taking R, G or B of 4 RGBA pixels into the low byte of 4 dwords.
DATA snR<>+0(SB)/8, $0x8080800480808000
DATA snR<>+8(SB)/8, $0x8080800c80808008
GLOBL snR<>(SB), RODATA|NOPTR, $16
DATA snG<>+0(SB)/8, $0x8080800580808001
DATA snG<>+8(SB)/8, $0x8080800d80808009
GLOBL snG<>(SB), RODATA|NOPTR, $16
DATA snB<>+0(SB)/8, $0x8080800680808002
DATA snB<>+8(SB)/8, $0x8080800e8080800a
GLOBL snB<>(SB), RODATA|NOPTR, $16
DATA snA<>+0(SB)/8, $0xff000000ff000000
DATA snA<>+8(SB)/8, $0xff000000ff000000
GLOBL snA<>(SB), RODATA|NOPTR, $16

DATA sn255d<>+0(SB)/8, $0x406fe00000000000
GLOBL sn255d<>(SB), RODATA|NOPTR, $8
DATA sn1d<>+0(SB)/8, $0x3ff0000000000000
GLOBL sn1d<>(SB), RODATA|NOPTR, $8

// One channel in X (float32, 0-1): float64(b·x + nb·max(x, grey)) + s1 + s2, clipped
// to [0, 1], ·255 and truncated, into X as int32 lanes.
#define SNOWCH(X, Y) \
	VMULPS X8, X, X9 \
	VMAXPS X4, X, X10 \
	VMULPS X7, X10, X10 \
	VADDPS X10, X9, X9 \
	VCVTPS2PD X9, Y \
	VADDPD Y5, Y, Y \
	VADDPD Y6, Y, Y \
	VMAXPD Y15, Y, Y \
	VMINPD Y14, Y, Y \
	VMULPD Y13, Y, Y \
	VCVTTPD2DQY Y, X

// func snowBlendAVX2(px, s1, s2 []uint8, b, nb float32) int
// Blends the first (len(px)/4)&^3 RGBA pixels as Snow.Corrupt does, with s1 and s2 the
// snow layer's bytes for those pixels (s2 already rotated), and returns their number.
TEXT ·snowBlendAVX2(SB), NOSPLIT, $0-88
	MOVQ px_base+0(FP), DI
	MOVQ px_len+8(FP), CX
	MOVQ s1_base+24(FP), SI
	MOVQ s2_base+48(FP), DX
	SHRQ $2, CX
	ANDQ $-4, CX
	MOVQ CX, ret+80(FP)
	SHRQ $2, CX
	JE   sn_done
	VBROADCASTSS b+72(FP), X8
	VBROADCASTSS nb+76(FP), X7
	VXORPD Y15, Y15, Y15
	VBROADCASTSD sn1d<>(SB), Y14
	VBROADCASTSD sn255d<>(SB), Y13
	VBROADCASTSD sn255d<>(SB), Y12
sn_loop:
	VMOVDQU (DI), X0
	// r, g, b = float32(v)/255.
	VPSHUFB snR<>(SB), X0, X1
	VCVTDQ2PS X1, X1
	VDIVPS sn255f<>(SB), X1, X1
	VPSHUFB snG<>(SB), X0, X2
	VCVTDQ2PS X2, X2
	VDIVPS sn255f<>(SB), X2, X2
	VPSHUFB snB<>(SB), X0, X3
	VCVTDQ2PS X3, X3
	VDIVPS sn255f<>(SB), X3, X3
	// grey = ((r·0.299 + g·0.587) + b·0.114)·1.5 + 0.5, in float32.
	VMULPS snKR<>(SB), X1, X4
	VMULPS snKG<>(SB), X2, X9
	VADDPS X9, X4, X4
	VMULPS snKB<>(SB), X3, X9
	VADDPS X9, X4, X4
	VMULPS sn15<>(SB), X4, X4
	VADDPS sn05<>(SB), X4, X4
	// s1, s2 = float64(v)/255.
	VPMOVZXBD (SI), X5
	VCVTDQ2PD X5, Y5
	VDIVPD Y12, Y5, Y5
	VPMOVZXBD (DX), X6
	VCVTDQ2PD X6, Y6
	VDIVPD Y12, Y6, Y6
	SNOWCH(X1, Y1)
	SNOWCH(X2, Y2)
	SNOWCH(X3, Y3)
	VPSLLD $8, X2, X2
	VPSLLD $16, X3, X3
	VPOR X2, X1, X1
	VPOR X3, X1, X1
	VPAND snA<>(SB), X0, X0
	VPOR X0, X1, X1
	VMOVDQU X1, (DI)
	ADDQ $16, DI
	ADDQ $4, SI
	ADDQ $4, DX
	DECQ CX
	JNE  sn_loop
	VZEROUPPER
sn_done:
	RET
