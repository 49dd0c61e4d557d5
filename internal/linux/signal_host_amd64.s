#include "textflag.h"

// hostSigHandler is the host signal handler gemu installs for the signals
// it passes on to the guest (signal_host.go). The kernel calls it with the
// C calling convention: DI = signal number, SI = *siginfo, DX = *ucontext,
// on the thread's alternate signal stack; it runs no Go code.
//
// Two kinds of signals are the Go runtime's, and go on to its handler
// with the registers and stack untouched: those this process sent to one
// of its own threads (si_code SI_TKILL, si_pid its own pid: the runtime's
// preemption requests, gemu's kicks), and faults of gemu's own code (a
// positive si_code on a signal in goFaultMask). Every other signal's
// siginfo is written whole (128 bytes, one atomic pipe write) to
// hostSigPipe, where a goroutine reads it and posts it to the guest.
TEXT ·hostSigHandler(SB),NOSPLIT|NOFRAME,$0
	MOVL	8(SI), AX		// si_code
	CMPL	AX, $-6			// SI_TKILL
	JNE	fault
	MOVL	16(SI), AX		// si_pid
	CMPL	AX, ·hostPid(SB)
	JEQ	chain
	JMP	record
fault:
	CMPL	AX, $0
	JLE	record
	MOVQ	·goFaultMask(SB), AX
	MOVL	DI, CX
	SHRQ	CX, AX			// bit sig of the mask
	ANDL	$1, AX
	JNZ	chain
record:
	MOVLQSX	·hostSigPipe(SB), DI	// write(hostSigPipe, info, 128)
	MOVQ	$128, DX
	MOVQ	$1, AX			// SYS_write
	SYSCALL
	RET
chain:
	MOVQ	·goSigHandler(SB), AX
	JMP	AX

// func hostSigHandlerAddr() uintptr
TEXT ·hostSigHandlerAddr(SB),NOSPLIT,$0-8
	LEAQ	·hostSigHandler(SB), AX
	MOVQ	AX, ret+0(FP)
	RET
