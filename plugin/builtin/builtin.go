// Package builtin holds gemu's built-in tracers, Go plugins selected by
// name with `-plugin NAME[,args=STRING]`:
//
//	insn       counts executed guest instructions; prints "insns: N" at exit
//	execlog    logs each executed instruction: address, bytes, disassembly
//	syscalls   logs each system call strace-style: name(args) = result
//	hotblocks  counts block executions; prints the most executed at exit
//	           (args=top=N for N blocks instead of 20)
//	memtrace   logs each memory access: address of the instruction, load or
//	           store, size, address, value
//	hwtrace    system mode (gemu-system): logs port I/O, MMIO, interrupts
//	           and exceptions, and CR0/CR3/CR4/EFER writes; counts at exit
//	           (args= selects classes and ports: ports+port=0x3f8-0x3ff)
//
// Importing the package registers them; the tracers are also examples of
// the Go plugin API (package gemu/plugin).
package builtin

import (
	"fmt"
	"sync"

	"gemu/plugin"
)

// perCPU hands out one T per vCPU. It is used at translation time, when a
// hook is created for the vCPU whose engine translates the code: the hook
// closes over that vCPU's T and, at run time, touches it from that vCPU's
// thread only, so a hot hook needs neither a lock nor an atomic operation.
// (gemu's engine translates per vCPU: a block runs only on the vCPU that
// translated it.)
type perCPU[T any] struct {
	mu   sync.Mutex
	m    map[*plugin.CPU]*T
	all  []*T
	init func(*T)
}

// get returns c's T, creating it on first use.
func (p *perCPU[T]) get(c *plugin.CPU) *T {
	p.mu.Lock()
	defer p.mu.Unlock()
	if v, ok := p.m[c]; ok {
		return v
	}
	if p.m == nil {
		p.m = map[*plugin.CPU]*T{}
	}
	v := new(T)
	if p.init != nil {
		p.init(v)
	}
	p.m[c] = v
	p.all = append(p.all, v)
	return v
}

// drop forgets c (its guest thread ended: Hooks.VCPUExit), keeping its T
// for each, so that c and its translated code can be freed.
func (p *perCPU[T]) drop(c *plugin.CPU) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.m, c)
}

// each calls f for every vCPU's T, in creation order. Call it when the
// vCPUs are stopped (from an Exit hook).
func (p *perCPU[T]) each(f func(*T)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, v := range p.all {
		f(v)
	}
}

// noArgs rejects an argument string for tracers that take none.
func noArgs(name, args string) error {
	if args != "" {
		return fmt.Errorf("%s takes no arguments (got %q)", name, args)
	}
	return nil
}

// addrDigits is the number of hex digits of a guest address.
func addrDigits(arch string) int {
	if arch == "x86_64" {
		return 16
	}
	return 8
}

// appendHex appends v as lower-case hex, zero-padded to digits.
func appendHex(b []byte, v uint64, digits int) []byte {
	const hex = "0123456789abcdef"
	var tmp [16]byte
	i := len(tmp)
	for v != 0 || i == len(tmp) {
		i--
		tmp[i] = hex[v&15]
		v >>= 4
	}
	for n := len(tmp) - i; n < digits; n++ {
		b = append(b, '0')
	}
	return append(b, tmp[i:]...)
}
