#include "textflag.h"

// Locked read-modify-writes on host memory for atomic.go: one host
// instruction of the guest's width each, so that they are atomic with
// respect to every other thread's access to the same bytes, aligned or
// not (x86 locks a split access too, slowly). The results are
// zero-extended to 64 bits.

// func lockCas8(p unsafe.Pointer, old, new uint64) (prev uint64)
TEXT ·lockCas8(SB),NOSPLIT,$0-32
	MOVQ	p+0(FP), BX
	MOVQ	old+8(FP), AX
	MOVQ	new+16(FP), CX
	LOCK
	CMPXCHGB	CX, (BX)
	MOVBQZX	AX, AX
	MOVQ	AX, prev+24(FP)
	RET

// func lockCas16(p unsafe.Pointer, old, new uint64) (prev uint64)
TEXT ·lockCas16(SB),NOSPLIT,$0-32
	MOVQ	p+0(FP), BX
	MOVQ	old+8(FP), AX
	MOVQ	new+16(FP), CX
	LOCK
	CMPXCHGW	CX, (BX)
	MOVWQZX	AX, AX
	MOVQ	AX, prev+24(FP)
	RET

// func lockCas32(p unsafe.Pointer, old, new uint64) (prev uint64)
TEXT ·lockCas32(SB),NOSPLIT,$0-32
	MOVQ	p+0(FP), BX
	MOVQ	old+8(FP), AX
	MOVQ	new+16(FP), CX
	LOCK
	CMPXCHGL	CX, (BX)
	MOVL	AX, AX
	MOVQ	AX, prev+24(FP)
	RET

// func lockCas64(p unsafe.Pointer, old, new uint64) (prev uint64)
TEXT ·lockCas64(SB),NOSPLIT,$0-32
	MOVQ	p+0(FP), BX
	MOVQ	old+8(FP), AX
	MOVQ	new+16(FP), CX
	LOCK
	CMPXCHGQ	CX, (BX)
	MOVQ	AX, prev+24(FP)
	RET

// func lockCas128(p unsafe.Pointer, oldLo, oldHi, newLo, newHi uint64) (prevLo, prevHi uint64)
// p must be 16-byte aligned.
TEXT ·lockCas128(SB),NOSPLIT,$0-56
	MOVQ	p+0(FP), DI
	MOVQ	oldLo+8(FP), AX
	MOVQ	oldHi+16(FP), DX
	MOVQ	newLo+24(FP), BX
	MOVQ	newHi+32(FP), CX
	LOCK
	CMPXCHG16B	(DI)
	MOVQ	AX, prevLo+40(FP)
	MOVQ	DX, prevHi+48(FP)
	RET

// func lockXadd8(p unsafe.Pointer, v uint64) (prev uint64)
TEXT ·lockXadd8(SB),NOSPLIT,$0-24
	MOVQ	p+0(FP), BX
	MOVQ	v+8(FP), AX
	LOCK
	XADDB	AX, (BX)
	MOVBQZX	AX, AX
	MOVQ	AX, prev+16(FP)
	RET

// func lockXadd16(p unsafe.Pointer, v uint64) (prev uint64)
TEXT ·lockXadd16(SB),NOSPLIT,$0-24
	MOVQ	p+0(FP), BX
	MOVQ	v+8(FP), AX
	LOCK
	XADDW	AX, (BX)
	MOVWQZX	AX, AX
	MOVQ	AX, prev+16(FP)
	RET

// func lockXadd32(p unsafe.Pointer, v uint64) (prev uint64)
TEXT ·lockXadd32(SB),NOSPLIT,$0-24
	MOVQ	p+0(FP), BX
	MOVQ	v+8(FP), AX
	LOCK
	XADDL	AX, (BX)
	MOVL	AX, AX
	MOVQ	AX, prev+16(FP)
	RET

// func lockXadd64(p unsafe.Pointer, v uint64) (prev uint64)
TEXT ·lockXadd64(SB),NOSPLIT,$0-24
	MOVQ	p+0(FP), BX
	MOVQ	v+8(FP), AX
	LOCK
	XADDQ	AX, (BX)
	MOVQ	AX, prev+16(FP)
	RET

// XCHG with memory is locked without a prefix.

// func lockXchg8(p unsafe.Pointer, v uint64) (prev uint64)
TEXT ·lockXchg8(SB),NOSPLIT,$0-24
	MOVQ	p+0(FP), BX
	MOVQ	v+8(FP), AX
	XCHGB	AX, (BX)
	MOVBQZX	AX, AX
	MOVQ	AX, prev+16(FP)
	RET

// func lockXchg16(p unsafe.Pointer, v uint64) (prev uint64)
TEXT ·lockXchg16(SB),NOSPLIT,$0-24
	MOVQ	p+0(FP), BX
	MOVQ	v+8(FP), AX
	XCHGW	AX, (BX)
	MOVWQZX	AX, AX
	MOVQ	AX, prev+16(FP)
	RET

// func lockXchg32(p unsafe.Pointer, v uint64) (prev uint64)
TEXT ·lockXchg32(SB),NOSPLIT,$0-24
	MOVQ	p+0(FP), BX
	MOVQ	v+8(FP), AX
	XCHGL	AX, (BX)
	MOVL	AX, AX
	MOVQ	AX, prev+16(FP)
	RET

// func lockXchg64(p unsafe.Pointer, v uint64) (prev uint64)
TEXT ·lockXchg64(SB),NOSPLIT,$0-24
	MOVQ	p+0(FP), BX
	MOVQ	v+8(FP), AX
	XCHGQ	AX, (BX)
	MOVQ	AX, prev+16(FP)
	RET

// Single-copy loads of one to eight bytes: the first value of a
// compare-and-swap loop (not instrumented by the race detector, like the
// locked instructions above).

// func load8(p unsafe.Pointer) uint64
TEXT ·load8(SB),NOSPLIT,$0-16
	MOVQ	p+0(FP), BX
	MOVBQZX	(BX), AX
	MOVQ	AX, ret+8(FP)
	RET

// func load16(p unsafe.Pointer) uint64
TEXT ·load16(SB),NOSPLIT,$0-16
	MOVQ	p+0(FP), BX
	MOVWQZX	(BX), AX
	MOVQ	AX, ret+8(FP)
	RET

// func load32(p unsafe.Pointer) uint64
TEXT ·load32(SB),NOSPLIT,$0-16
	MOVQ	p+0(FP), BX
	MOVL	(BX), AX
	MOVQ	AX, ret+8(FP)
	RET

// func load64(p unsafe.Pointer) uint64
TEXT ·load64(SB),NOSPLIT,$0-16
	MOVQ	p+0(FP), BX
	MOVQ	(BX), AX
	MOVQ	AX, ret+8(FP)
	RET

// func MFence()
TEXT ·MFence(SB),NOSPLIT,$0-0
	MFENCE
	RET

// func LFence()
TEXT ·LFence(SB),NOSPLIT,$0-0
	LFENCE
	RET

// func SFence()
TEXT ·SFence(SB),NOSPLIT,$0-0
	SFENCE
	RET
