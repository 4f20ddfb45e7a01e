//go:build amd64 && !purego

#include "textflag.h"

// Byte shuffles taking R, G or B of 4 RGBA pixels into the low byte of 4 dwords.
DATA hsvR<>+0(SB)/8, $0x8080800480808000
DATA hsvR<>+8(SB)/8, $0x8080800c80808008
GLOBL hsvR<>(SB), RODATA|NOPTR, $16
DATA hsvG<>+0(SB)/8, $0x8080800580808001
DATA hsvG<>+8(SB)/8, $0x8080800d80808009
GLOBL hsvG<>(SB), RODATA|NOPTR, $16
DATA hsvB<>+0(SB)/8, $0x8080800680808002
DATA hsvB<>+8(SB)/8, $0x8080800e8080800a
GLOBL hsvB<>(SB), RODATA|NOPTR, $16
DATA hsvA<>+0(SB)/8, $0xff000000ff000000
DATA hsvA<>+8(SB)/8, $0xff000000ff000000
GLOBL hsvA<>(SB), RODATA|NOPTR, $16

// Four copies of 2, 3, 4, 5, 6 and 255 as float64.
#define C4(name, bits) \
	DATA name<>+0(SB)/8, $bits \
	DATA name<>+8(SB)/8, $bits \
	DATA name<>+16(SB)/8, $bits \
	DATA name<>+24(SB)/8, $bits \
	GLOBL name<>(SB), RODATA|NOPTR, $32

C4(hsv2, 0x4000000000000000)
C4(hsv3, 0x4008000000000000)
C4(hsv4, 0x4010000000000000)
C4(hsv5, 0x4014000000000000)
C4(hsv6, 0x4018000000000000)
C4(hsv255, 0x406fe00000000000)

// func hsvRowAVX2(px []uint8, p *hsvParams) int
// Maps the first (len(px)/4)&^3 RGBA pixels as mapHSV does and returns their number.
TEXT ·hsvRowAVX2(SB), NOSPLIT, $0-40
	MOVQ px_base+0(FP), DI
	MOVQ px_len+8(FP), CX
	MOVQ p+24(FP), R8
	SHRQ $2, CX
	ANDQ $-4, CX
	MOVQ CX, ret+32(FP)
	SHRQ $2, CX
	JE   hsv_done
	VXORPD Y15, Y15, Y15
	VBROADCASTSD hsv255<>(SB), Y14
	VDIVPD Y14, Y14, Y14 // 1.0
hsv_loop:
	VMOVDQU (DI), X0
	// r, g, b = v/255 in float64.
	VPSHUFB hsvR<>(SB), X0, X1
	VCVTDQ2PD X1, Y1
	VDIVPD hsv255<>(SB), Y1, Y1
	VPSHUFB hsvG<>(SB), X0, X2
	VCVTDQ2PD X2, Y2
	VDIVPD hsv255<>(SB), Y2, Y2
	VPSHUFB hsvB<>(SB), X0, X3
	VCVTDQ2PD X3, Y3
	VDIVPD hsv255<>(SB), Y3, Y3
	// v = max, delta = v - min, s = delta/v.
	VMAXPD Y2, Y1, Y4
	VMAXPD Y3, Y4, Y4
	VMINPD Y2, Y1, Y5
	VMINPD Y3, Y5, Y5
	VSUBPD Y5, Y4, Y5
	VDIVPD Y4, Y5, Y6
	// h: (g-b)/delta, overridden by 2+(b-r)/delta where g == v, then 4+(r-g)/delta
	// where b == v.
	VSUBPD Y3, Y2, Y7
	VDIVPD Y5, Y7, Y7
	VSUBPD Y1, Y3, Y8
	VDIVPD Y5, Y8, Y8
	VADDPD hsv2<>(SB), Y8, Y8
	VCMPPD $0, Y4, Y2, Y9
	VBLENDVPD Y9, Y8, Y7, Y7
	VSUBPD Y2, Y1, Y8
	VDIVPD Y5, Y8, Y8
	VADDPD hsv4<>(SB), Y8, Y8
	VCMPPD $0, Y4, Y3, Y9
	VBLENDVPD Y9, Y8, Y7, Y7
	// h = h/6, plus 1 when negative (Python's % 1.0), plus 0 otherwise.
	VDIVPD hsv6<>(SB), Y7, Y7
	VADDPD Y14, Y7, Y8
	VCMPPD $1, Y15, Y7, Y9
	VADDPD Y15, Y7, Y7
	VBLENDVPD Y9, Y8, Y7, Y7
	// Greys: h = s = 0.
	VCMPPD $0, Y15, Y5, Y9
	VBLENDVPD Y9, Y15, Y7, Y7
	VBLENDVPD Y9, Y15, Y6, Y6
	// S = clip01(S·sMul + sAdd) where enabled; V = clip01(V + vAdd) where enabled.
	VMULPD 0(R8), Y6, Y8
	VADDPD 32(R8), Y8, Y8
	VMAXPD Y15, Y8, Y8
	VMINPD Y14, Y8, Y8
	VMOVUPD 96(R8), Y9
	VBLENDVPD Y9, Y8, Y6, Y6
	VADDPD 64(R8), Y4, Y8
	VMAXPD Y15, Y8, Y8
	VMINPD Y14, Y8, Y8
	VMOVUPD 128(R8), Y9
	VBLENDVPD Y9, Y8, Y4, Y4
	// hsv2rgb: hi = floor(6h), f = 6h - hi, p = v(1-s), q = v(1-fs), t = v(1-(1-f)s).
	VMULPD hsv6<>(SB), Y7, Y8
	VROUNDPD $1, Y8, Y9
	VSUBPD Y9, Y8, Y8
	VSUBPD Y6, Y14, Y1
	VMULPD Y4, Y1, Y1
	VMULPD Y6, Y8, Y2
	VSUBPD Y2, Y14, Y2
	VMULPD Y4, Y2, Y2
	VSUBPD Y8, Y14, Y3
	VMULPD Y6, Y3, Y3
	VSUBPD Y3, Y14, Y3
	VMULPD Y4, Y3, Y3
	// Sector 6 (from rounding) is sector 0.
	VCMPPD $0, hsv6<>(SB), Y9, Y5
	VBLENDVPD Y5, Y15, Y9, Y9
	// R: v, q, p, p, t, v.
	VMOVAPD Y4, Y10
	VCMPPD $0, Y14, Y9, Y5
	VBLENDVPD Y5, Y2, Y10, Y10
	VCMPPD $0, hsv2<>(SB), Y9, Y5
	VBLENDVPD Y5, Y1, Y10, Y10
	VCMPPD $0, hsv3<>(SB), Y9, Y5
	VBLENDVPD Y5, Y1, Y10, Y10
	VCMPPD $0, hsv4<>(SB), Y9, Y5
	VBLENDVPD Y5, Y3, Y10, Y10
	// G: t, v, v, q, p, p.
	VMOVAPD Y4, Y11
	VCMPPD $0, Y15, Y9, Y5
	VBLENDVPD Y5, Y3, Y11, Y11
	VCMPPD $0, hsv3<>(SB), Y9, Y5
	VBLENDVPD Y5, Y2, Y11, Y11
	VCMPPD $0, hsv4<>(SB), Y9, Y5
	VBLENDVPD Y5, Y1, Y11, Y11
	VCMPPD $0, hsv5<>(SB), Y9, Y5
	VBLENDVPD Y5, Y1, Y11, Y11
	// B: p, p, t, v, v, q.
	VMOVAPD Y1, Y12
	VCMPPD $0, hsv2<>(SB), Y9, Y5
	VBLENDVPD Y5, Y3, Y12, Y12
	VCMPPD $0, hsv3<>(SB), Y9, Y5
	VBLENDVPD Y5, Y4, Y12, Y12
	VCMPPD $0, hsv4<>(SB), Y9, Y5
	VBLENDVPD Y5, Y4, Y12, Y12
	VCMPPD $0, hsv5<>(SB), Y9, Y5
	VBLENDVPD Y5, Y2, Y12, Y12
	// trunc(clip01(x)·255), then R | G<<8 | B<<16 | the input's alpha.
	VMAXPD Y15, Y10, Y10
	VMINPD Y14, Y10, Y10
	VMULPD hsv255<>(SB), Y10, Y10
	VCVTTPD2DQY Y10, X10
	VMAXPD Y15, Y11, Y11
	VMINPD Y14, Y11, Y11
	VMULPD hsv255<>(SB), Y11, Y11
	VCVTTPD2DQY Y11, X11
	VMAXPD Y15, Y12, Y12
	VMINPD Y14, Y12, Y12
	VMULPD hsv255<>(SB), Y12, Y12
	VCVTTPD2DQY Y12, X12
	VPSLLD $8, X11, X11
	VPSLLD $16, X12, X12
	VPOR X11, X10, X10
	VPOR X12, X10, X10
	VPAND hsvA<>(SB), X0, X0
	VPOR X0, X10, X10
	VMOVDQU X10, (DI)
	ADDQ $16, DI
	DECQ CX
	JNE  hsv_loop
	VZEROUPPER
hsv_done:
	RET
