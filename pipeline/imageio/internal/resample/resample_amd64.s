//go:build amd64 && !purego

#include "textflag.h"

// func cpuid(leaf, sub uint32) (a, b, c, d uint32)
TEXT ·cpuid(SB), NOSPLIT, $0-24
	MOVL leaf+0(FP), AX
	MOVL sub+4(FP), CX
	CPUID
	MOVL AX, a+8(FP)
	MOVL BX, b+12(FP)
	MOVL CX, c+16(FP)
	MOVL DX, d+20(FP)
	RET

// func xgetbv0() uint32
TEXT ·xgetbv0(SB), NOSPLIT, $0-4
	XORL CX, CX
	XGETBV
	MOVL AX, ret+0(FP)
	RET

// permIdx undoes the lane interleaving of VPACKUSDW + VPACKUSWB on 32 bytes: it puts
// pixel p back at dword p.
DATA permIdx<>+0(SB)/4, $0
DATA permIdx<>+4(SB)/4, $4
DATA permIdx<>+8(SB)/4, $1
DATA permIdx<>+12(SB)/4, $5
DATA permIdx<>+16(SB)/4, $2
DATA permIdx<>+20(SB)/4, $6
DATA permIdx<>+24(SB)/4, $3
DATA permIdx<>+28(SB)/4, $7
GLOBL permIdx<>(SB), RODATA|NOPTR, $32

// tapShuf holds, for taps 0..3, the VPSHUFB masks that zero-extend pixel j of 16 loaded
// bytes into four dwords, in both 128-bit lanes.
DATA tapShuf<>+0(SB)/8, $0x8080800180808000
DATA tapShuf<>+8(SB)/8, $0x8080800380808002
DATA tapShuf<>+16(SB)/8, $0x8080800180808000
DATA tapShuf<>+24(SB)/8, $0x8080800380808002
DATA tapShuf<>+32(SB)/8, $0x8080800580808004
DATA tapShuf<>+40(SB)/8, $0x8080800780808006
DATA tapShuf<>+48(SB)/8, $0x8080800580808004
DATA tapShuf<>+56(SB)/8, $0x8080800780808006
DATA tapShuf<>+64(SB)/8, $0x8080800980808008
DATA tapShuf<>+72(SB)/8, $0x8080800b8080800a
DATA tapShuf<>+80(SB)/8, $0x8080800980808008
DATA tapShuf<>+88(SB)/8, $0x8080800b8080800a
DATA tapShuf<>+96(SB)/8, $0x8080800d8080800c
DATA tapShuf<>+104(SB)/8, $0x8080800f8080800e
DATA tapShuf<>+112(SB)/8, $0x8080800d8080800c
DATA tapShuf<>+120(SB)/8, $0x8080800f8080800e
GLOBL tapShuf<>(SB), RODATA|NOPTR, $128

// func Horizontal(dst, row []uint8, off, kx []int32, n int)
//
// kx holds every weight four times (one per channel lane), so a weight is one unaligned
// load. Window lengths 2, 3 and 4 have unrolled loops.
TEXT ·Horizontal(SB), NOSPLIT, $0-104
	MOVQ dst_base+0(FP), DI
	MOVQ row_base+24(FP), SI
	MOVQ off_base+48(FP), R8
	MOVQ off_len+56(FP), CX
	MOVQ kx_base+72(FP), R9
	MOVQ n+96(FP), DX
	MOVL $0x200000, AX // one half: 1 << 21
	MOVL AX, X7
	PSHUFD $0, X7, X7
	TESTQ CX, CX
	JLE hdone
	CMPQ DX, $3
	JEQ h3
	CMPQ DX, $4
	JEQ h4
	CMPQ DX, $2
	JEQ h2

hpixel:
	MOVLQSX (R8), R10
	ADDQ SI, R10
	MOVOU X7, X0
	MOVQ DX, BX

htap:
	PMOVZXBD (R10), X1
	MOVOU (R9), X2
	PMULLD X2, X1
	PADDL X1, X0
	ADDQ $4, R10
	ADDQ $16, R9
	DECQ BX
	JNZ htap

	PSRAL $22, X0
	PACKUSDW X0, X0
	PACKUSWB X0, X0
	MOVL X0, (DI)
	ADDQ $4, DI
	ADDQ $4, R8
	DECQ CX
	JNZ hpixel
	RET

h2:
	MOVLQSX (R8), R10
	MOVOU 0(R9), X2
	MOVOU 16(R9), X3
	PMOVZXBD 0(SI)(R10*1), X0
	PMOVZXBD 4(SI)(R10*1), X1
	PMULLD X2, X0
	PMULLD X3, X1
	PADDL X7, X0
	PADDL X1, X0
	PSRAL $22, X0
	PACKUSDW X0, X0
	PACKUSWB X0, X0
	MOVL X0, (DI)
	ADDQ $4, DI
	ADDQ $4, R8
	ADDQ $32, R9
	DECQ CX
	JNZ h2
	RET

h3:
	MOVLQSX (R8), R10
	MOVOU 0(R9), X2
	MOVOU 16(R9), X3
	MOVOU 32(R9), X4
	PMOVZXBD 0(SI)(R10*1), X0
	PMOVZXBD 4(SI)(R10*1), X1
	PMOVZXBD 8(SI)(R10*1), X5
	PMULLD X2, X0
	PMULLD X3, X1
	PMULLD X4, X5
	PADDL X7, X0
	PADDL X1, X5
	PADDL X5, X0
	PSRAL $22, X0
	PACKUSDW X0, X0
	PACKUSWB X0, X0
	MOVL X0, (DI)
	ADDQ $4, DI
	ADDQ $4, R8
	ADDQ $48, R9
	DECQ CX
	JNZ h3
	RET

h4:
	MOVLQSX (R8), R10
	MOVOU 0(R9), X2
	MOVOU 16(R9), X3
	MOVOU 32(R9), X4
	MOVOU 48(R9), X6
	PMOVZXBD 0(SI)(R10*1), X0
	PMOVZXBD 4(SI)(R10*1), X1
	PMOVZXBD 8(SI)(R10*1), X5
	PMOVZXBD 12(SI)(R10*1), X8
	PMULLD X2, X0
	PMULLD X3, X1
	PMULLD X4, X5
	PMULLD X6, X8
	PADDL X7, X0
	PADDL X1, X5
	PADDL X8, X0
	PADDL X5, X0
	PSRAL $22, X0
	PACKUSDW X0, X0
	PACKUSWB X0, X0
	MOVL X0, (DI)
	ADDQ $4, DI
	ADDQ $4, R8
	ADDQ $64, R9
	DECQ CX
	JNZ h4

hdone:
	RET

// func vertical16(out, tmp []uint8, stride int, k []int32)
TEXT ·vertical16(SB), NOSPLIT, $0-80
	MOVQ out_base+0(FP), DI
	MOVQ out_len+8(FP), CX
	MOVQ tmp_base+24(FP), SI
	MOVQ stride+48(FP), R11
	MOVQ k_base+56(FP), R9
	MOVQ k_len+64(FP), DX
	MOVL $0x200000, AX
	MOVL AX, X7
	PSHUFD $0, X7, X7
	MOVL $0xff000000, AX // alpha
	MOVL AX, X6
	PSHUFD $0, X6, X6
	SHRQ $4, CX
	JZ vdone

vchunk:
	MOVOU X7, X0
	MOVOU X7, X1
	MOVOU X7, X2
	MOVOU X7, X3
	MOVQ SI, R10
	MOVQ R9, R12
	MOVQ DX, BX

vtap:
	MOVL (R12), X5
	PSHUFD $0, X5, X5
	PMOVZXBD 0(R10), X8
	PMOVZXBD 4(R10), X9
	PMOVZXBD 8(R10), X10
	PMOVZXBD 12(R10), X11
	PMULLD X5, X8
	PMULLD X5, X9
	PMULLD X5, X10
	PMULLD X5, X11
	PADDL X8, X0
	PADDL X9, X1
	PADDL X10, X2
	PADDL X11, X3
	ADDQ R11, R10
	ADDQ $4, R12
	DECQ BX
	JNZ vtap

	PSRAL $22, X0
	PSRAL $22, X1
	PSRAL $22, X2
	PSRAL $22, X3
	PACKUSDW X1, X0
	PACKUSDW X3, X2
	PACKUSWB X2, X0
	POR X6, X0
	MOVOU X0, (DI)
	ADDQ $16, DI
	ADDQ $16, SI
	DECQ CX
	JNZ vchunk

vdone:
	RET

// func vertical32(out, tmp []uint8, stride int, k []int32)
//
// AVX2: 32 output bytes per iteration, eight lanes per multiplication.
TEXT ·vertical32(SB), NOSPLIT, $0-80
	MOVQ out_base+0(FP), DI
	MOVQ out_len+8(FP), CX
	MOVQ tmp_base+24(FP), SI
	MOVQ stride+48(FP), R11
	MOVQ k_base+56(FP), R9
	MOVQ k_len+64(FP), DX
	MOVL $0x200000, AX
	VMOVD AX, X7
	VPBROADCASTD X7, Y7
	MOVL $0xff000000, AX
	VMOVD AX, X6
	VPBROADCASTD X6, Y6
	VMOVDQU permIdx<>(SB), Y5
	SHRQ $5, CX
	JZ v32done

v32chunk:
	VMOVDQU Y7, Y0
	VMOVDQU Y7, Y1
	VMOVDQU Y7, Y2
	VMOVDQU Y7, Y3
	MOVQ SI, R10
	MOVQ R9, R12
	MOVQ DX, BX

v32tap:
	VPBROADCASTD (R12), Y4
	VPMOVZXBD 0(R10), Y8
	VPMOVZXBD 8(R10), Y9
	VPMOVZXBD 16(R10), Y10
	VPMOVZXBD 24(R10), Y11
	VPMULLD Y4, Y8, Y8
	VPMULLD Y4, Y9, Y9
	VPMULLD Y4, Y10, Y10
	VPMULLD Y4, Y11, Y11
	VPADDD Y8, Y0, Y0
	VPADDD Y9, Y1, Y1
	VPADDD Y10, Y2, Y2
	VPADDD Y11, Y3, Y3
	ADDQ R11, R10
	ADDQ $4, R12
	DECQ BX
	JNZ v32tap

	VPSRAD $22, Y0, Y0
	VPSRAD $22, Y1, Y1
	VPSRAD $22, Y2, Y2
	VPSRAD $22, Y3, Y3
	VPACKUSDW Y1, Y0, Y0
	VPACKUSDW Y3, Y2, Y2
	VPACKUSWB Y2, Y0, Y0
	VPERMD Y0, Y5, Y0
	VPOR Y6, Y0, Y0
	VMOVDQU Y0, (DI)
	ADDQ $32, DI
	ADDQ $32, SI
	DECQ CX
	JNZ v32chunk

v32done:
	VZEROUPPER
	RET

// func Horizontal2(dst0, dst1, row0, row1 []uint8, off, kx []int32, n int)
//
// AVX2: two rows at once, row0 in the low 128-bit lane and row1 in the high one, which
// share offsets and weights. row0 and row1 have the same length. Window lengths 3 and
// 4 have unrolled loops.
TEXT ·Horizontal2(SB), NOSPLIT, $0-152
	MOVQ dst0_base+0(FP), DI
	MOVQ dst1_base+24(FP), DX
	MOVQ row0_base+48(FP), SI
	MOVQ row1_base+72(FP), R13
	MOVQ off_base+96(FP), R8
	MOVQ off_len+104(FP), CX
	MOVQ kx_base+120(FP), R9
	MOVQ n+144(FP), R14
	MOVL $0x200000, AX
	VMOVD AX, X7
	VPBROADCASTD X7, Y7
	TESTQ CX, CX
	JLE h2done
	CMPQ R14, $3
	JEQ h2n34
	CMPQ R14, $4
	JEQ h2n34

h2pixel:
	MOVLQSX (R8), R10
	LEAQ (SI)(R10*1), R11
	LEAQ (R13)(R10*1), R12
	VMOVDQU Y7, Y0
	MOVQ R14, BX

h2tap:
	VMOVD (R11), X1
	VPINSRD $1, (R12), X1, X1
	VPMOVZXBD X1, Y1
	VBROADCASTI128 (R9), Y2
	VPMULLD Y2, Y1, Y1
	VPADDD Y1, Y0, Y0
	ADDQ $4, R11
	ADDQ $4, R12
	ADDQ $16, R9
	DECQ BX
	JNZ h2tap

	VPSRAD $22, Y0, Y0
	VPACKUSDW Y0, Y0, Y0
	VPACKUSWB Y0, Y0, Y0
	VMOVD X0, (DI)
	VEXTRACTI128 $1, Y0, X1
	VMOVD X1, (DX)
	ADDQ $4, DI
	ADDQ $4, DX
	ADDQ $4, R8
	DECQ CX
	JNZ h2pixel
	JMP h2done

// Window length 3 or 4: one 16-byte load per row covers every tap, and VPSHUFB
// spreads each tap's pixel over four dwords. Near the row's end, where 16 bytes would
// run past it, the general loop takes over (offsets never decrease).
h2n34:
	MOVQ row0_len+56(FP), R15
	VMOVDQU tapShuf<>+0(SB), Y8
	VMOVDQU tapShuf<>+32(SB), Y9
	VMOVDQU tapShuf<>+64(SB), Y10
	VMOVDQU tapShuf<>+96(SB), Y11
	CMPQ R14, $4
	JEQ h2n4

h2n3:
	MOVLQSX (R8), R10
	LEAQ 16(R10), R11
	CMPQ R11, R15
	JA h2pixel
	VMOVDQU (SI)(R10*1), X0
	VINSERTI128 $1, (R13)(R10*1), Y0, Y0
	VPSHUFB Y8, Y0, Y1
	VPSHUFB Y9, Y0, Y2
	VPSHUFB Y10, Y0, Y3
	VBROADCASTI128 0(R9), Y4
	VBROADCASTI128 16(R9), Y5
	VBROADCASTI128 32(R9), Y6
	VPMULLD Y4, Y1, Y1
	VPMULLD Y5, Y2, Y2
	VPMULLD Y6, Y3, Y3
	VPADDD Y7, Y1, Y1
	VPADDD Y3, Y2, Y2
	VPADDD Y2, Y1, Y0
	VPSRAD $22, Y0, Y0
	VPACKUSDW Y0, Y0, Y0
	VPACKUSWB Y0, Y0, Y0
	VMOVD X0, (DI)
	VEXTRACTI128 $1, Y0, X1
	VMOVD X1, (DX)
	ADDQ $4, DI
	ADDQ $4, DX
	ADDQ $4, R8
	ADDQ $48, R9
	DECQ CX
	JNZ h2n3
	JMP h2done

h2n4:
	MOVLQSX (R8), R10
	LEAQ 16(R10), R11
	CMPQ R11, R15
	JA h2pixel
	VMOVDQU (SI)(R10*1), X0
	VINSERTI128 $1, (R13)(R10*1), Y0, Y0
	VPSHUFB Y8, Y0, Y1
	VPSHUFB Y9, Y0, Y2
	VPSHUFB Y10, Y0, Y3
	VPSHUFB Y11, Y0, Y12
	VBROADCASTI128 0(R9), Y4
	VBROADCASTI128 16(R9), Y5
	VBROADCASTI128 32(R9), Y6
	VBROADCASTI128 48(R9), Y13
	VPMULLD Y4, Y1, Y1
	VPMULLD Y5, Y2, Y2
	VPMULLD Y6, Y3, Y3
	VPMULLD Y13, Y12, Y12
	VPADDD Y7, Y1, Y1
	VPADDD Y3, Y2, Y2
	VPADDD Y12, Y1, Y1
	VPADDD Y2, Y1, Y0
	VPSRAD $22, Y0, Y0
	VPACKUSDW Y0, Y0, Y0
	VPACKUSWB Y0, Y0, Y0
	VMOVD X0, (DI)
	VEXTRACTI128 $1, Y0, X1
	VMOVD X1, (DX)
	ADDQ $4, DI
	ADDQ $4, DX
	ADDQ $4, R8
	ADDQ $64, R9
	DECQ CX
	JNZ h2n4

h2done:
	VZEROUPPER
	RET
