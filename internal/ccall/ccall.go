// Package ccall calls C functions from Go without cgo's cost: on a stack
// of the caller's own outside the Go heap, with a plain CALL.
//
// cgo's call into C costs ~30 ns (it tells the scheduler the goroutine is
// in a system call, and back), more than most plugin callbacks take. Call
// instead switches the stack pointer to a Stack and calls the C function
// the way any C caller would: about 4 ns. The rules that come with it:
//
//   - The C function and everything it calls must never call into Go (an
//     //export function, a Go callback): there is no Go context for it.
//   - While the C function runs, its goroutine cannot be stopped: the
//     runtime's preemption signal finds no Go code at the interrupted pc
//     and lets it run on, so a long call delays the garbage collector's
//     stop-the-world by as long. Calls should be short.
//   - A Stack is used by one goroutine at a time; for C code that keeps
//     thread-local state, that goroutine must be locked to its OS thread.
//   - A fault in the C code is not Go's: the caller installs a signal
//     handler that recognises it (gemu/plugin/cplugin's crash handler).
//
// The package is separate from the cgo code that uses it because Go
// assembly and cgo cannot share a package.
package ccall

import (
	"fmt"
	"syscall"
	"unsafe"
)

// Sizes of a Stack's regions.
const (
	// StackSize is the usable size: what a C function and the functions
	// it calls may use. Only the pages it touches cost memory.
	StackSize = 1 << 20
	// GuardSize is the inaccessible region below the stack: overflowing
	// the stack faults there instead of running into other memory.
	GuardSize = 64 << 10
	// TopSize is the region above the stack's top: free for the caller's
	// own record (Stack.Top) and readable for code that looks past the
	// top of the stack (unwinders).
	TopSize = 4096
)

// Stack is a C stack: guard, stack, top region, in one anonymous mapping.
type Stack struct {
	mapping []byte
	// SP is the stack pointer Call starts with: the top, 16-byte aligned.
	SP uintptr
}

// NewStack maps a stack with its guard.
func NewStack() (*Stack, error) {
	m, err := syscall.Mmap(-1, 0, GuardSize+StackSize+TopSize,
		syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON|syscall.MAP_NORESERVE)
	if err != nil {
		return nil, fmt.Errorf("cannot map a C stack: %v", err)
	}
	if err := syscall.Mprotect(m[:GuardSize], syscall.PROT_NONE); err != nil {
		syscall.Munmap(m)
		return nil, fmt.Errorf("cannot protect a C stack's guard: %v", err)
	}
	return &Stack{mapping: m, SP: uintptr(unsafe.Pointer(&m[GuardSize+StackSize]))}, nil
}

// Top returns the top region: TopSize bytes above the stack, zeroed when
// the stack is made, for the caller's use.
func (s *Stack) Top() unsafe.Pointer { return unsafe.Pointer(&s.mapping[GuardSize+StackSize]) }

// Bounds returns the mapping's lowest address (the guard's start) and the
// stack's top.
func (s *Stack) Bounds() (lo, top uintptr) {
	return uintptr(unsafe.Pointer(&s.mapping[0])), s.SP
}

// Free unmaps the stack. No call may be running on it, nor start.
func (s *Stack) Free() {
	if s.mapping != nil {
		syscall.Munmap(s.mapping)
		s.mapping = nil
	}
}

// Call calls the C function at fn with the six integer arguments a0..a5
// (System V: rdi, rsi, rdx, rcx, r8, r9) on the stack whose top is sp,
// and returns what it leaves in rax. sp must be 16-byte aligned.
func Call(fn, sp, a0, a1, a2, a3, a4, a5 uintptr) uintptr

// Func is a C function call with its stack and two arguments fixed and a
// third given at each call: Fn(A0, A1, a2) on the stack whose top is SP.
// An instrumentation hook that is a C function is one (see
// gemu/internal/engine's DirectInstrumenter), so that whoever runs it
// (the interpreter, later generated code) can call it without a Go
// function around the call. Every field is an address outside the Go
// heap.
type Func struct{ Fn, SP, A0, A1 uintptr }

// Call calls f with a2 as its third argument.
func (f *Func) Call(a2 uintptr) uintptr { return Call3(f.Fn, f.SP, f.A0, f.A1, a2) }

// Call3 is Call for a C function of three arguments: fewer to pass, about
// 0.3 ns a call less (2.2 ns against 2.55 for an empty function), which
// matters for hooks before every instruction.
func Call3(fn, sp, a0, a1, a2 uintptr) uintptr
