//go:build amd64 && !purego

#include "textflag.h"

// func cpuid(eax, ecx uint32) (a, b, c, d uint32)
TEXT ·cpuid(SB), NOSPLIT, $0-24
	MOVL eax+0(FP), AX
	MOVL ecx+4(FP), CX
	CPUID
	MOVL AX, a+8(FP)
	MOVL BX, b+12(FP)
	MOVL CX, c+16(FP)
	MOVL DX, d+20(FP)
	RET

// func xgetbv() (eax, edx uint32)
TEXT ·xgetbv(SB), NOSPLIT, $0-8
	MOVL $0, CX
	XGETBV
	MOVL AX, eax+0(FP)
	MOVL DX, edx+4(FP)
	RET

// func axpyAVX2(dst, x []float32, a float32)
// dst[i] += a*x[i]
TEXT ·axpyAVX2(SB), NOSPLIT, $0-52
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ x_base+24(FP), SI
	VBROADCASTSS a+48(FP), Y0
axpy_loop8:
	CMPQ CX, $8
	JL   axpy_tail
	VMOVUPS (SI), Y1
	VMULPS  Y0, Y1, Y1
	VADDPS  (DI), Y1, Y1
	VMOVUPS Y1, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  axpy_loop8
axpy_tail:
	TESTQ CX, CX
	JE    axpy_done
	VMOVSS (SI), X1
	VMULSS X0, X1, X1
	VADDSS (DI), X1, X1
	VMOVSS X1, (DI)
	ADDQ $4, SI
	ADDQ $4, DI
	DECQ CX
	JMP  axpy_tail
axpy_done:
	VZEROUPPER
	RET

// func axpyDiffAVX2(dst, x, c []float32, a float32)
// dst[i] += a*(x[i]-c[i])
TEXT ·axpyDiffAVX2(SB), NOSPLIT, $0-76
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ x_base+24(FP), SI
	MOVQ c_base+48(FP), DX
	VBROADCASTSS a+72(FP), Y0
axd_loop8:
	CMPQ CX, $8
	JL   axd_tail
	VMOVUPS (SI), Y1
	VSUBPS  (DX), Y1, Y1
	VMULPS  Y0, Y1, Y1
	VADDPS  (DI), Y1, Y1
	VMOVUPS Y1, (DI)
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  axd_loop8
axd_tail:
	TESTQ CX, CX
	JE    axd_done
	VMOVSS (SI), X1
	VSUBSS (DX), X1, X1
	VMULSS X0, X1, X1
	VADDSS (DI), X1, X1
	VMOVSS X1, (DI)
	ADDQ $4, SI
	ADDQ $4, DX
	ADDQ $4, DI
	DECQ CX
	JMP  axd_tail
axd_done:
	VZEROUPPER
	RET

// func symDiffAVX2(dst, x, y, c []float32, a float32)
// dst[i] += a*((x[i]-c[i])+(y[i]-c[i]))
TEXT ·symDiffAVX2(SB), NOSPLIT, $0-100
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ x_base+24(FP), SI
	MOVQ y_base+48(FP), DX
	MOVQ c_base+72(FP), BX
	VBROADCASTSS a+96(FP), Y0
sd_loop8:
	CMPQ CX, $8
	JL   sd_tail
	VMOVUPS (BX), Y3
	VMOVUPS (SI), Y1
	VSUBPS  Y3, Y1, Y1
	VMOVUPS (DX), Y2
	VSUBPS  Y3, Y2, Y2
	VADDPS  Y2, Y1, Y1
	VMULPS  Y0, Y1, Y1
	VADDPS  (DI), Y1, Y1
	VMOVUPS Y1, (DI)
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $32, BX
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  sd_loop8
sd_tail:
	TESTQ CX, CX
	JE    sd_done
	VMOVSS (BX), X3
	VMOVSS (SI), X1
	VSUBSS X3, X1, X1
	VMOVSS (DX), X2
	VSUBSS X3, X2, X2
	VADDSS X2, X1, X1
	VMULSS X0, X1, X1
	VADDSS (DI), X1, X1
	VMOVSS X1, (DI)
	ADDQ $4, SI
	ADDQ $4, DX
	ADDQ $4, BX
	ADDQ $4, DI
	DECQ CX
	JMP  sd_tail
sd_done:
	VZEROUPPER
	RET

// func lerpAddAVX2(dst, x, y []float32, t float32)
// dst[i] += x[i] + t*(y[i]-x[i])
TEXT ·lerpAddAVX2(SB), NOSPLIT, $0-76
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ x_base+24(FP), SI
	MOVQ y_base+48(FP), DX
	VBROADCASTSS t+72(FP), Y0
la_loop8:
	CMPQ CX, $8
	JL   la_tail
	VMOVUPS (SI), Y1
	VMOVUPS (DX), Y2
	VSUBPS  Y1, Y2, Y2
	VMULPS  Y0, Y2, Y2
	VADDPS  Y2, Y1, Y1
	VADDPS  (DI), Y1, Y1
	VMOVUPS Y1, (DI)
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $32, DI
	SUBQ $8, CX
	JMP  la_loop8
la_tail:
	TESTQ CX, CX
	JE    la_done
	VMOVSS (SI), X1
	VMOVSS (DX), X2
	VSUBSS X1, X2, X2
	VMULSS X0, X2, X2
	VADDSS X2, X1, X1
	VADDSS (DI), X1, X1
	VMOVSS X1, (DI)
	ADDQ $4, SI
	ADDQ $4, DX
	ADDQ $4, DI
	DECQ CX
	JMP  la_tail
la_done:
	VZEROUPPER
	RET

// func axpyDiff4AVX2(dst, c []float32, x0, x1, x2, x3 *float32, w *[4]float32)
// dst[i] += w0*(x0[i]-c[i]); += w1*(x1[i]-c[i]); += w2*...; += w3*... (in that order)
TEXT ·axpyDiff4AVX2(SB), NOSPLIT, $0-88
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ c_base+24(FP), BX
	MOVQ x0+48(FP), R8
	MOVQ x1+56(FP), R9
	MOVQ x2+64(FP), R10
	MOVQ x3+72(FP), R11
	MOVQ w+80(FP), AX
	VBROADCASTSS 0(AX), Y4
	VBROADCASTSS 4(AX), Y5
	VBROADCASTSS 8(AX), Y6
	VBROADCASTSS 12(AX), Y7
	XORQ SI, SI
ad4_loop8:
	CMPQ CX, $8
	JL   ad4_tail
	VMOVUPS (BX)(SI*4), Y3
	VMOVUPS (DI)(SI*4), Y0
	VMOVUPS (R8)(SI*4), Y1
	VSUBPS  Y3, Y1, Y1
	VMULPS  Y4, Y1, Y1
	VADDPS  Y1, Y0, Y0
	VMOVUPS (R9)(SI*4), Y1
	VSUBPS  Y3, Y1, Y1
	VMULPS  Y5, Y1, Y1
	VADDPS  Y1, Y0, Y0
	VMOVUPS (R10)(SI*4), Y1
	VSUBPS  Y3, Y1, Y1
	VMULPS  Y6, Y1, Y1
	VADDPS  Y1, Y0, Y0
	VMOVUPS (R11)(SI*4), Y1
	VSUBPS  Y3, Y1, Y1
	VMULPS  Y7, Y1, Y1
	VADDPS  Y1, Y0, Y0
	VMOVUPS Y0, (DI)(SI*4)
	ADDQ $8, SI
	SUBQ $8, CX
	JMP  ad4_loop8
ad4_tail:
	TESTQ CX, CX
	JE    ad4_done
	VMOVSS (BX)(SI*4), X3
	VMOVSS (DI)(SI*4), X0
	VMOVSS (R8)(SI*4), X1
	VSUBSS X3, X1, X1
	VMULSS X4, X1, X1
	VADDSS X1, X0, X0
	VMOVSS (R9)(SI*4), X1
	VSUBSS X3, X1, X1
	VMULSS X5, X1, X1
	VADDSS X1, X0, X0
	VMOVSS (R10)(SI*4), X1
	VSUBSS X3, X1, X1
	VMULSS X6, X1, X1
	VADDSS X1, X0, X0
	VMOVSS (R11)(SI*4), X1
	VSUBSS X3, X1, X1
	VMULSS X7, X1, X1
	VADDSS X1, X0, X0
	VMOVSS X0, (DI)(SI*4)
	INCQ SI
	DECQ CX
	JMP  ad4_tail
ad4_done:
	VZEROUPPER
	RET

// func symDiff4AVX2(dst, c []float32, x0, x1, x2, x3, y0, y1, y2, y3 *float32, w *[4]float32)
// for k in 0..3: dst[i] += wk*((xk[i]-c[i])+(yk[i]-c[i]))
TEXT ·symDiff4AVX2(SB), NOSPLIT, $0-120
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ c_base+24(FP), BX
	MOVQ x0+48(FP), R8
	MOVQ x1+56(FP), R9
	MOVQ x2+64(FP), R10
	MOVQ x3+72(FP), R11
	MOVQ w+112(FP), AX
	VBROADCASTSS 0(AX), Y4
	VBROADCASTSS 4(AX), Y5
	VBROADCASTSS 8(AX), Y6
	VBROADCASTSS 12(AX), Y7
	MOVQ y0+80(FP), R12
	MOVQ y1+88(FP), R13
	MOVQ y2+96(FP), AX
	MOVQ y3+104(FP), DX
	XORQ SI, SI
sd4_loop8:
	CMPQ CX, $8
	JL   sd4_tail
	VMOVUPS (BX)(SI*4), Y3
	VMOVUPS (DI)(SI*4), Y0
	VMOVUPS (R8)(SI*4), Y1
	VSUBPS  Y3, Y1, Y1
	VMOVUPS (R12)(SI*4), Y2
	VSUBPS  Y3, Y2, Y2
	VADDPS  Y2, Y1, Y1
	VMULPS  Y4, Y1, Y1
	VADDPS  Y1, Y0, Y0
	VMOVUPS (R9)(SI*4), Y1
	VSUBPS  Y3, Y1, Y1
	VMOVUPS (R13)(SI*4), Y2
	VSUBPS  Y3, Y2, Y2
	VADDPS  Y2, Y1, Y1
	VMULPS  Y5, Y1, Y1
	VADDPS  Y1, Y0, Y0
	VMOVUPS (R10)(SI*4), Y1
	VSUBPS  Y3, Y1, Y1
	VMOVUPS (AX)(SI*4), Y2
	VSUBPS  Y3, Y2, Y2
	VADDPS  Y2, Y1, Y1
	VMULPS  Y6, Y1, Y1
	VADDPS  Y1, Y0, Y0
	VMOVUPS (R11)(SI*4), Y1
	VSUBPS  Y3, Y1, Y1
	VMOVUPS (DX)(SI*4), Y2
	VSUBPS  Y3, Y2, Y2
	VADDPS  Y2, Y1, Y1
	VMULPS  Y7, Y1, Y1
	VADDPS  Y1, Y0, Y0
	VMOVUPS Y0, (DI)(SI*4)
	ADDQ $8, SI
	SUBQ $8, CX
	JMP  sd4_loop8
sd4_tail:
	TESTQ CX, CX
	JE    sd4_done
	VMOVSS (BX)(SI*4), X3
	VMOVSS (DI)(SI*4), X0
	VMOVSS (R8)(SI*4), X1
	VSUBSS X3, X1, X1
	VMOVSS (R12)(SI*4), X2
	VSUBSS X3, X2, X2
	VADDSS X2, X1, X1
	VMULSS X4, X1, X1
	VADDSS X1, X0, X0
	VMOVSS (R9)(SI*4), X1
	VSUBSS X3, X1, X1
	VMOVSS (R13)(SI*4), X2
	VSUBSS X3, X2, X2
	VADDSS X2, X1, X1
	VMULSS X5, X1, X1
	VADDSS X1, X0, X0
	VMOVSS (R10)(SI*4), X1
	VSUBSS X3, X1, X1
	VMOVSS (AX)(SI*4), X2
	VSUBSS X3, X2, X2
	VADDSS X2, X1, X1
	VMULSS X6, X1, X1
	VADDSS X1, X0, X0
	VMOVSS (R11)(SI*4), X1
	VSUBSS X3, X1, X1
	VMOVSS (DX)(SI*4), X2
	VSUBSS X3, X2, X2
	VADDSS X2, X1, X1
	VMULSS X7, X1, X1
	VADDSS X1, X0, X0
	VMOVSS X0, (DI)(SI*4)
	INCQ SI
	DECQ CX
	JMP  sd4_tail
sd4_done:
	VZEROUPPER
	RET

// func axpy64AVX2(dst, x []float64, a float64)
// dst[i] += a*x[i]
TEXT ·axpy64AVX2(SB), NOSPLIT, $0-56
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ x_base+24(FP), SI
	VBROADCASTSD a+48(FP), Y0
a64_loop4:
	CMPQ CX, $4
	JL   a64_tail
	VMOVUPD (SI), Y1
	VMULPD  Y0, Y1, Y1
	VADDPD  (DI), Y1, Y1
	VMOVUPD Y1, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $4, CX
	JMP  a64_loop4
a64_tail:
	TESTQ CX, CX
	JE    a64_done
	VMOVSD (SI), X1
	VMULSD X0, X1, X1
	VADDSD (DI), X1, X1
	VMOVSD X1, (DI)
	ADDQ $8, SI
	ADDQ $8, DI
	DECQ CX
	JMP  a64_tail
a64_done:
	VZEROUPPER
	RET

// func addSubAVX2(dst, x, y []uint64)
// dst[i] += x[i] - y[i]
TEXT ·addSubAVX2(SB), NOSPLIT, $0-72
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ x_base+24(FP), SI
	MOVQ y_base+48(FP), DX
as_loop4:
	CMPQ CX, $4
	JL   as_tail
	VMOVDQU (SI), Y1
	VPSUBQ  (DX), Y1, Y1
	VPADDQ  (DI), Y1, Y1
	VMOVDQU Y1, (DI)
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $32, DI
	SUBQ $4, CX
	JMP  as_loop4
as_tail:
	TESTQ CX, CX
	JE    as_done
	MOVQ (SI), AX
	SUBQ (DX), AX
	ADDQ AX, (DI)
	ADDQ $8, SI
	ADDQ $8, DX
	ADDQ $8, DI
	DECQ CX
	JMP  as_tail
as_done:
	VZEROUPPER
	RET
