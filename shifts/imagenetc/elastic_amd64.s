//go:build amd64 && !purego

#include "textflag.h"

DATA elIota<>+0(SB)/4, $0x00000000
DATA elIota<>+4(SB)/4, $0x3f800000
DATA elIota<>+8(SB)/4, $0x40000000
DATA elIota<>+12(SB)/4, $0x40400000
DATA elIota<>+16(SB)/4, $0x40800000
DATA elIota<>+20(SB)/4, $0x40a00000
DATA elIota<>+24(SB)/4, $0x40c00000
DATA elIota<>+28(SB)/4, $0x40e00000
GLOBL elIota<>(SB), RODATA|NOPTR, $32

DATA el8<>+0(SB)/4, $0x41000000
GLOBL el8<>(SB), RODATA|NOPTR, $4
DATA el1<>+0(SB)/4, $0x3f800000
GLOBL el1<>(SB), RODATA|NOPTR, $4
DATA el255<>+0(SB)/4, $0x437f0000
GLOBL el255<>(SB), RODATA|NOPTR, $4
DATA elAlpha<>+0(SB)/4, $0xff000000
GLOBL elAlpha<>(SB), RODATA|NOPTR, $4

// One channel: v = ((w00·a + w01·b) + w10·c) + w11·d with a, b at idx00 (Y4) and
// idx00+3, c, d at idx10 (Y5) and idx10+3, offset by off bytes; clip to [0, 1], ·255,
// truncate. Result in Y6 as int32 lanes.
#define CHANNEL(off) \
	VPCMPEQD Y8, Y8, Y8 \
	VGATHERDPS Y8, off(SI)(Y4*4), Y6 \
	VMULPS Y0, Y6, Y6 \
	VPCMPEQD Y8, Y8, Y8 \
	VGATHERDPS Y8, off+12(SI)(Y4*4), Y7 \
	VMULPS Y1, Y7, Y7 \
	VADDPS Y7, Y6, Y6 \
	VPCMPEQD Y8, Y8, Y8 \
	VGATHERDPS Y8, off(SI)(Y5*4), Y7 \
	VMULPS Y2, Y7, Y7 \
	VADDPS Y7, Y6, Y6 \
	VPCMPEQD Y8, Y8, Y8 \
	VGATHERDPS Y8, off+12(SI)(Y5*4), Y7 \
	VMULPS Y3, Y7, Y7 \
	VADDPS Y7, Y6, Y6 \
	VMAXPS Y15, Y6, Y6 \
	VMINPS Y14, Y6, Y6 \
	VMULPS Y13, Y6, Y6 \
	VCVTTPS2DQ Y6, Y6

// func elasticRowAVX2(o []uint8, src, dx, dy []float32, y, w, h int, skip []int32) int
TEXT ·elasticRowAVX2(SB), NOSPLIT, $0-152
	MOVQ o_base+0(FP), DI
	MOVQ src_base+24(FP), SI
	MOVQ dx_base+48(FP), R8
	MOVQ dy_base+72(FP), R9
	MOVQ w+104(FP), CX
	MOVQ skip_base+120(FP), R10
	XORQ R11, R11 // skipped blocks
	XORQ R12, R12 // block index
	// Per-row constants: R13 = w, R14 = h-2, DX = w-2, BX = 3w.
	MOVQ CX, R13
	MOVQ h+112(FP), R14
	SUBQ $2, R14
	MOVQ CX, DX
	SUBQ $2, DX
	LEAQ (CX)(CX*2), BX
	SHRQ $3, CX
	JE   el_done
	VXORPS Y15, Y15, Y15
	VBROADCASTSS el1<>(SB), Y14
	VBROADCASTSS el255<>(SB), Y13
	CVTSQ2SS y+96(FP), X12
	VBROADCASTSS X12, Y12
	VMOVUPS elIota<>(SB), Y11
el_loop:
	// cy = y + dy, cx = x + dx; floors and fractions.
	VADDPS (R9), Y12, Y0
	VADDPS (R8), Y11, Y1
	VROUNDPS $1, Y0, Y2
	VROUNDPS $1, Y1, Y3
	VSUBPS Y2, Y0, Y0 // ty
	VSUBPS Y3, Y1, Y1 // tx
	VCVTTPS2DQ Y2, Y4 // y0
	VCVTTPS2DQ Y3, Y5 // x0
	// Any y0 outside [0, h-2] or x0 outside [0, w-2]: leave the block to the caller.
	VPCMPGTD Y4, Y15, Y8
	MOVQ R14, X9
	VPBROADCASTD X9, Y9
	VPCMPGTD Y9, Y4, Y9
	VPOR Y9, Y8, Y8
	VPCMPGTD Y5, Y15, Y9
	VPOR Y9, Y8, Y8
	MOVQ DX, X9
	VPBROADCASTD X9, Y9
	VPCMPGTD Y9, Y5, Y9
	VPOR Y9, Y8, Y8
	VPTEST Y8, Y8
	JNE el_skip
	// idx00 = 3(y0·w + x0), idx10 = idx00 + 3w.
	MOVQ R13, X9
	VPBROADCASTD X9, Y9
	VPMULLD Y9, Y4, Y4
	VPADDD Y5, Y4, Y4
	VPADDD Y4, Y4, Y5
	VPADDD Y5, Y4, Y4
	MOVQ BX, X9
	VPBROADCASTD X9, Y9
	VPADDD Y9, Y4, Y5
	// Weights w00 = (1-ty)(1-tx), w01 = (1-ty)tx, w10 = ty(1-tx), w11 = ty·tx.
	VSUBPS Y0, Y14, Y2 // 1-ty
	VSUBPS Y1, Y14, Y3 // 1-tx
	VMULPS Y3, Y2, Y6  // w00
	VMULPS Y1, Y2, Y7  // w01
	VMULPS Y3, Y0, Y3  // w10
	VMULPS Y1, Y0, Y1  // w11 -> Y1 temporarily
	VMOVAPS Y6, Y0     // w00
	VMOVAPS Y3, Y2     // w10
	VMOVAPS Y1, Y3     // w11
	VMOVAPS Y7, Y1     // w01
	CHANNEL(0)
	VMOVDQA Y6, Y10
	CHANNEL(4)
	VPSLLD $8, Y6, Y6
	VPOR Y6, Y10, Y10
	CHANNEL(8)
	VPSLLD $16, Y6, Y6
	VPOR Y6, Y10, Y10
	VPBROADCASTD elAlpha<>(SB), Y9
	VPAND (DI), Y9, Y9
	VPOR Y9, Y10, Y10
	VMOVDQU Y10, (DI)
	JMP el_next
el_skip:
	MOVL R12, (R10)(R11*4)
	INCQ R11
el_next:
	VBROADCASTSS el8<>(SB), Y9
	VADDPS Y9, Y11, Y11
	ADDQ $32, DI
	ADDQ $32, R8
	ADDQ $32, R9
	INCQ R12
	DECQ CX
	JNE  el_loop
	VZEROUPPER
el_done:
	MOVQ R11, ret+144(FP)
	RET
