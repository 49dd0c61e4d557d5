// Call (ccall.go): switch the stack pointer to a C stack, call a C
// function with up to six integer arguments in the System V registers,
// switch back.
//
// The function is ABI0 and not NOSPLIT: its prologue checks the goroutine
// stack, which is where a goroutine asked to stop (by the garbage
// collector or the scheduler) stops, between two calls. While the C
// function runs the goroutine cannot be stopped: the runtime's preemption
// signal finds no Go code at the interrupted pc and lets it run on. The
// caller's ABI wrapper restores R14 (g) and X15 afterwards, which C may
// use freely; RBX and R12, callee-saved in C, carry the Go stack pointer
// across the call.

#include "textflag.h"

// func Call(fn, sp, a0, a1, a2, a3, a4, a5 uintptr) uintptr
TEXT ·Call(SB), 0, $0-72
	MOVQ	fn+0(FP), AX
	MOVQ	sp+8(FP), R12
	MOVQ	a0+16(FP), DI
	MOVQ	a1+24(FP), SI
	MOVQ	a2+32(FP), DX
	MOVQ	a3+40(FP), CX
	MOVQ	a4+48(FP), R8
	MOVQ	a5+56(FP), R9
	MOVQ	SP, BX
	MOVQ	R12, SP
	CALL	AX
	MOVQ	BX, SP
	MOVQ	AX, ret+64(FP)
	RET

// Call3 is Call with three arguments (rdi, rsi, rdx).
//
// func Call3(fn, sp, a0, a1, a2 uintptr) uintptr
TEXT ·Call3(SB), 0, $0-48
	MOVQ	fn+0(FP), AX
	MOVQ	sp+8(FP), R12
	MOVQ	a0+16(FP), DI
	MOVQ	a1+24(FP), SI
	MOVQ	a2+32(FP), DX
	MOVQ	SP, BX
	MOVQ	R12, SP
	CALL	AX
	MOVQ	BX, SP
	MOVQ	AX, ret+40(FP)
	RET
