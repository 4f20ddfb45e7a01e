//go:build amd64 && !purego

#include "textflag.h"

// Shuffles of 4 pixels: RGBA → RGB (12 bytes, then zeros) and RGB → RGBA (alpha zero).
DATA packmask<>+0(SB)/8, $0x0908060504020100
DATA packmask<>+8(SB)/8, $0x808080800e0d0c0a
GLOBL packmask<>(SB), RODATA|NOPTR, $16

DATA unpackmask<>+0(SB)/8, $0x8005040380020100
DATA unpackmask<>+8(SB)/8, $0x800b0a0980080706
GLOBL unpackmask<>(SB), RODATA|NOPTR, $16

DATA alphamask<>+0(SB)/8, $0xff000000ff000000
DATA alphamask<>+8(SB)/8, $0xff000000ff000000
GLOBL alphamask<>(SB), RODATA|NOPTR, $16

DATA c255f<>+0(SB)/4, $0x437f0000
GLOBL c255f<>(SB), RODATA|NOPTR, $4

DATA c1f<>+0(SB)/4, $0x3f800000
GLOBL c1f<>(SB), RODATA|NOPTR, $4

DATA c255d<>+0(SB)/8, $0x406fe00000000000
GLOBL c255d<>(SB), RODATA|NOPTR, $8

// func packRGBSSSE3(dst, src []uint8, blocks int) int
TEXT ·packRGBSSSE3(SB), NOSPLIT, $0-64
	MOVQ dst_base+0(FP), DI
	MOVQ src_base+24(FP), SI
	MOVQ blocks+48(FP), CX
	MOVQ CX, ret+56(FP)
	MOVOU packmask<>(SB), X1
pack_loop:
	TESTQ CX, CX
	JE    pack_done
	MOVOU (SI), X0
	PSHUFB X1, X0
	MOVQ  X0, (DI)
	PEXTRD $2, X0, AX
	MOVL  AX, 8(DI)
	ADDQ  $16, SI
	ADDQ  $12, DI
	DECQ  CX
	JMP   pack_loop
pack_done:
	RET

// func unpackRGBSSSE3(dst, src []uint8, blocks int) int
TEXT ·unpackRGBSSSE3(SB), NOSPLIT, $0-64
	MOVQ dst_base+0(FP), DI
	MOVQ src_base+24(FP), SI
	MOVQ blocks+48(FP), CX
	MOVQ CX, ret+56(FP)
	MOVOU unpackmask<>(SB), X1
	MOVOU alphamask<>(SB), X2
unpack_loop:
	TESTQ CX, CX
	JE    unpack_done
	MOVOU (SI), X0
	PSHUFB X1, X0
	MOVOU (DI), X3
	PAND  X2, X3
	POR   X3, X0
	MOVOU X0, (DI)
	ADDQ  $12, SI
	ADDQ  $16, DI
	DECQ  CX
	JMP   unpack_loop
unpack_done:
	RET

// func bytesToF32AVX2(dst []float32, src []uint8) int
TEXT ·bytesToF32AVX2(SB), NOSPLIT, $0-56
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ src_base+24(FP), SI
	ANDQ $-8, CX
	MOVQ CX, ret+48(FP)
	SHRQ $3, CX
	JE   b2f_done
b2f_loop:
	VPMOVZXBD (SI), Y0
	VCVTDQ2PS Y0, Y0
	VMOVUPS   Y0, (DI)
	ADDQ $8, SI
	ADDQ $32, DI
	DECQ CX
	JNE  b2f_loop
	VZEROUPPER
b2f_done:
	RET

// func bytesToUnitAVX2(dst []float32, src []uint8) int
TEXT ·bytesToUnitAVX2(SB), NOSPLIT, $0-56
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ src_base+24(FP), SI
	ANDQ $-4, CX
	MOVQ CX, ret+48(FP)
	SHRQ $2, CX
	JE   b2u_done
	VBROADCASTSD c255d<>(SB), Y2
b2u_loop:
	VPMOVZXBD  (SI), X0
	VCVTDQ2PD  X0, Y0
	VDIVPD     Y2, Y0, Y0
	VCVTPD2PSY Y0, X0
	VMOVUPS    X0, (DI)
	ADDQ $4, SI
	ADDQ $16, DI
	DECQ CX
	JNE  b2u_loop
	VZEROUPPER
b2u_done:
	RET

// func addTruncAVX2(d []uint8, x, y, z []float32, marks []int32) int
TEXT ·addTruncAVX2(SB), NOSPLIT, $0-128
	MOVQ d_base+0(FP), DI
	MOVQ d_len+8(FP), CX
	MOVQ x_base+24(FP), SI
	MOVQ y_base+48(FP), DX
	MOVQ z_base+72(FP), R8
	MOVQ marks_base+96(FP), R9
	XORQ R10, R10
	XORQ R11, R11
	SHRQ $3, CX
	JE   at_done
	VXORPS Y15, Y15, Y15
	VBROADCASTSS c255f<>(SB), Y14
at_loop:
	VMOVUPS (SI), Y0
	VMOVUPS (DX), Y1
	VADDPS  Y1, Y0, Y0
	VMAXPS  Y15, Y0, Y0
	VMINPS  Y14, Y0, Y0
	VCVTTPS2DQ Y0, Y0
	VEXTRACTI128 $1, Y0, X3
	VPACKUSDW X3, X0, X0
	VPACKUSWB X0, X0, X0
	VMOVQ   X0, (DI)
	VCMPPS  $0, Y15, Y1, Y4
	VCMPPS  $0, (R8), Y15, Y5
	VANDPS  Y4, Y5, Y4
	VMOVMSKPS Y4, AX
	TESTL   AX, AX
	JE      at_next
	MOVL    R10, (R9)(R11*4)
	INCQ    R11
at_next:
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $32, R8
	ADDQ $8, DI
	INCQ R10
	DECQ CX
	JNE  at_loop
	VZEROUPPER
at_done:
	MOVQ R11, ret+120(FP)
	RET

// func meanTruncAVX2(d []uint8, x, y []float32, div float32) int
TEXT ·meanTruncAVX2(SB), NOSPLIT, $0-88
	MOVQ d_base+0(FP), DI
	MOVQ d_len+8(FP), CX
	MOVQ x_base+24(FP), SI
	MOVQ y_base+48(FP), DX
	ANDQ $-8, CX
	MOVQ CX, ret+80(FP)
	SHRQ $3, CX
	JE   mt_done
	VXORPS Y15, Y15, Y15
	VBROADCASTSS c255f<>(SB), Y14
	VBROADCASTSS c1f<>(SB), Y12
	VBROADCASTSS div+72(FP), Y13
mt_loop:
	VMOVUPS (SI), Y0
	VADDPS  (DX), Y0, Y0
	VDIVPS  Y13, Y0, Y0
	VMAXPS  Y15, Y0, Y0
	VMINPS  Y12, Y0, Y0
	VMULPS  Y14, Y0, Y0
	VCVTTPS2DQ Y0, Y0
	VEXTRACTI128 $1, Y0, X3
	VPACKUSDW X3, X0, X0
	VPACKUSWB X0, X0, X0
	VMOVQ   X0, (DI)
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $8, DI
	DECQ CX
	JNE  mt_loop
	VZEROUPPER
mt_done:
	RET

// func defocusFinishAVX2(d []uint8, s []float64, a []float32, c []uint8, n, dsum float64) int
TEXT ·defocusFinishAVX2(SB), NOSPLIT, $0-120
	MOVQ d_base+0(FP), DI
	MOVQ d_len+8(FP), CX
	MOVQ s_base+24(FP), SI
	MOVQ a_base+48(FP), DX
	MOVQ c_base+72(FP), R8
	ANDQ $-4, CX
	MOVQ CX, ret+112(FP)
	SHRQ $2, CX
	JE   df_done
	VBROADCASTSD n+96(FP), Y10
	VBROADCASTSD dsum+104(FP), Y11
	VXORPD Y15, Y15, Y15
	VBROADCASTSD c255d<>(SB), Y14
df_loop:
	VMOVUPD   (SI), Y0
	VDIVPD    Y10, Y0, Y0
	VCVTPS2PD (DX), Y1
	VADDPD    Y1, Y0, Y0
	VPMOVZXBD (R8), X2
	VCVTDQ2PD X2, Y2
	VMULPD    Y11, Y2, Y2
	VADDPD    Y2, Y0, Y0
	VMAXPD    Y15, Y0, Y0
	VMINPD    Y14, Y0, Y0
	VCVTTPD2DQY Y0, X0
	VPACKUSDW X0, X0, X0
	VPACKUSWB X0, X0, X0
	VMOVD     X0, (DI)
	ADDQ $32, SI
	ADDQ $16, DX
	ADDQ $4, R8
	ADDQ $4, DI
	DECQ CX
	JNE  df_loop
	VZEROUPPER
df_done:
	RET

DATA chamH<>+0(SB)/4, $65536
GLOBL chamH<>(SB), RODATA|NOPTR, $4
DATA chamD<>+0(SB)/4, $91750
GLOBL chamD<>(SB), RODATA|NOPTR, $4
DATA chamL<>+0(SB)/4, $143976
GLOBL chamL<>(SB), RODATA|NOPTR, $4

// func chamfer7AVX2(up, a, b []uint32) int
TEXT ·chamfer7AVX2(SB), NOSPLIT, $0-80
	MOVQ up_base+0(FP), DI
	MOVQ up_len+8(FP), CX
	MOVQ a_base+24(FP), SI
	MOVQ b_base+48(FP), DX
	ANDQ $-8, CX
	MOVQ CX, ret+72(FP)
	SHRQ $3, CX
	JE   ch_done
	VPBROADCASTD chamH<>(SB), Y13
	VPBROADCASTD chamD<>(SB), Y14
	VPBROADCASTD chamL<>(SB), Y15
ch_loop:
	VPADDD  (SI), Y15, Y0
	VPADDD  8(SI), Y15, Y1
	VPMINUD Y1, Y0, Y0
	VPADDD  (DX), Y15, Y1
	VPMINUD Y1, Y0, Y0
	VPADDD  4(DX), Y14, Y1
	VPMINUD Y1, Y0, Y0
	VPADDD  8(DX), Y13, Y1
	VPMINUD Y1, Y0, Y0
	VPADDD  12(DX), Y14, Y1
	VPMINUD Y1, Y0, Y0
	VPADDD  16(DX), Y15, Y1
	VPMINUD Y1, Y0, Y0
	VMOVDQU Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $32, DI
	DECQ CX
	JNE  ch_loop
	VZEROUPPER
ch_done:
	RET

// func interpBlocksAVX2(dst, s []float32, blocks []zoomBlock)
// Each block (128 bytes: ia[8], ib[8] int32, t[8] float32, base int32) gives
// dst[k] = a + t[k]·(b − a) with a = s[base+ia[k]], b = s[base+ib[k]], both within the
// 16 values from base.
TEXT ·interpBlocksAVX2(SB), NOSPLIT, $0-72
	MOVQ dst_base+0(FP), DI
	MOVQ s_base+24(FP), SI
	MOVQ blocks_base+48(FP), R8
	MOVQ blocks_len+56(FP), CX
	TESTQ CX, CX
	JE    ib_done
ib_loop:
	MOVLQSX 96(R8), AX
	VMOVUPS (SI)(AX*4), Y0
	VMOVUPS 32(SI)(AX*4), Y1
	VMOVDQU 0(R8), Y2
	VPERMPS Y0, Y2, Y4
	VPERMPS Y1, Y2, Y5
	VPSLLD $28, Y2, Y6
	VBLENDVPS Y6, Y5, Y4, Y4
	VMOVDQU 32(R8), Y3
	VPERMPS Y0, Y3, Y7
	VPERMPS Y1, Y3, Y5
	VPSLLD $28, Y3, Y6
	VBLENDVPS Y6, Y5, Y7, Y7
	VSUBPS Y4, Y7, Y7
	VMULPS 64(R8), Y7, Y7
	VADDPS Y7, Y4, Y7
	VMOVUPS Y7, (DI)
	ADDQ $128, R8
	ADDQ $32, DI
	DECQ CX
	JNE  ib_loop
	VZEROUPPER
ib_done:
	RET
