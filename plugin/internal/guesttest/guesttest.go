// Package guesttest runs small hand-encoded guest programs under the
// engine, for the tests of the plugin packages: a fixed memory layout, a
// system call layer that reports calls the way the Linux layer does, and
// a run helper that fails the test on a guest fault.
package guesttest

import (
	"fmt"
	"testing"

	"gemu/internal/engine"
	"gemu/internal/mem"
	"gemu/internal/x86"
)

// The guest's memory: code at Code (r-x), a data page at Data (rw-) that
// also holds the stack (RSP starts at Data+0x800), then a PROT_NONE page
// at Data+PageSize whose first bytes are 0x33 0x44, preceded by 0x11 0x22
// at the end of the data page.
const (
	Code  = 0x1000
	Data  = 0x8000
	Stack = Data + 0x800
)

// Observer is the system call observer interface of the Linux layer.
type Observer interface {
	SyscallEntry(c *x86.CPU, num uint64, args [6]uint64)
	SyscallExit(c *x86.CPU, num uint64, ret int64)
}

// Sys plays the Linux layer: it reports a system call to Obs (if set),
// returns Ret in eax/rax and ends the run, as exit would.
type Sys struct {
	Obs Observer
	Ret int64
}

// Syscall implements x86.Syscaller.
func (s *Sys) Syscall(c *x86.CPU, g x86.Gate) {
	num := c.R[x86.RAX]
	var a [6]uint64
	if c.Mode == 64 {
		a = [6]uint64{c.R[x86.RDI], c.R[x86.RSI], c.R[x86.RDX], c.R[x86.R10], c.R[x86.R8], c.R[x86.R9]}
	} else {
		num &= 0xffffffff
		for i, r := range [6]int{x86.RBX, x86.RCX, x86.RDX, x86.RSI, x86.RDI, x86.RBP} {
			a[i] = c.R[r] & 0xffffffff
		}
	}
	if s.Obs != nil {
		s.Obs.SyscallEntry(c, num, a)
	}
	c.R[x86.RAX] = uint64(s.Ret) & c.AddrMask
	if s.Obs != nil {
		s.Obs.SyscallExit(c, num, s.Ret)
	}
	c.Exited = true
	c.Stop.Store(true)
}

// fatalf fails the test, or panics without one (in examples, t is nil).
func fatalf(t testing.TB, format string, args ...any) {
	if t == nil {
		panic(fmt.Sprintf(format, args...))
	}
	t.Helper()
	t.Fatalf(format, args...)
}

// New returns a CPU of the given mode (32 or 64) with code loaded at Code
// and RIP there. t may be nil.
func New(t testing.TB, mode int, code []byte) *x86.CPU {
	limit := uint64(1) << 47
	if mode == 32 {
		limit = 1 << 32
	}
	m := mem.New(limit)
	for _, r := range []struct {
		addr uint64
		perm mem.Perm
	}{{Code, mem.Read | mem.Exec}, {Data, mem.Read | mem.Write}, {Data + mem.PageSize, 0}} {
		if err := m.Map(r.addr, mem.PageSize, r.perm); err != nil {
			fatalf(t, "%v", err)
		}
	}
	m.Poke(Code, code)
	m.Poke(Data+mem.PageSize-2, []byte{0x11, 0x22, 0x33, 0x44})
	c := x86.New(mode, m)
	c.RIP = Code
	c.R[x86.RSP] = Stack
	c.Sys = &Sys{}
	return c
}

// Run executes c under an engine with instr until the CPU stops. A guest
// fault fails the test (panics if t is nil) and stops the run.
func Run(t testing.TB, c *x86.CPU, instr engine.Instrumenter) *engine.Engine {
	return RunOpts(t, c, instr, engine.Options{})
}

// RunOpts is Run with engine options (e.g. CountInsns).
func RunOpts(t testing.TB, c *x86.CPU, instr engine.Instrumenter, opts engine.Options) *engine.Engine {
	e := engine.New(c, opts, instr, func(c *x86.CPU, trap *x86.Trap) {
		c.Exited = true
		if t == nil {
			panic(fmt.Sprintf("guest fault %+v at %#x", trap, c.RIP))
		}
		t.Errorf("guest fault %+v at %#x", trap, c.RIP)
	})
	e.Run()
	return e
}

// Gate returns the system call instruction of the mode: syscall for 64,
// int $0x80 for 32.
func Gate(mode int) []byte {
	if mode == 64 {
		return []byte{0x0f, 0x05}
	}
	return []byte{0xcd, 0x80}
}

// Loop returns code that counts ecx down from n, then makes a system call:
//
//	0x1000 mov ecx, n
//	0x1005 dec ecx
//	0x1007 jnz 0x1005
//	0x1009 syscall / int $0x80
//
// For n >= 1 it runs 2n+2 instructions and n+1 blocks: 0x1000 once,
// 0x1005 n-1 times, 0x1009 once.
func Loop(mode int, n uint32) []byte {
	code := []byte{0xb9, byte(n), byte(n >> 8), byte(n >> 16), byte(n >> 24), 0xff, 0xc9, 0x75, 0xfc}
	return append(code, Gate(mode)...)
}
