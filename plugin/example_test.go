package plugin_test

import (
	"encoding/binary"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"

	"gemu/internal/x86"
	"gemu/plugin"
	"gemu/plugin/internal/guesttest"
)

// The callcount tracer of docs/plugins.md: it counts the executions of
// direct calls by target and the system calls by name.

func init() { plugin.Register("callcount", newCallcount) }

// site counts the executions of one translated call instruction.
type site struct {
	target uint64
	n      uint64
}

func newCallcount(args string, host *plugin.Host) (*plugin.Hooks, error) {
	if args != "" {
		return nil, fmt.Errorf("callcount takes no arguments")
	}
	var mu sync.Mutex // guards sites and syscalls
	var sites []*site
	syscalls := map[string]int{}
	return &plugin.Hooks{
		// Translation time: is the instruction at pc a call rel32 (e8)?
		Insn: func(c *plugin.CPU, pc uint64) plugin.ExecFunc {
			var code [5]byte
			if c.ReadMemory(pc, code[:]) != nil || code[0] != 0xe8 {
				return nil // not a direct call: no hook, no cost
			}
			rel := int32(binary.LittleEndian.Uint32(code[1:]))
			s := &site{target: pc + 5 + uint64(int64(rel))}
			mu.Lock()
			sites = append(sites, s)
			mu.Unlock()
			// Run time: this call is about to execute. The site is
			// only ever run by the vCPU that translated it.
			return func(*plugin.CPU, uint64) { s.n++ }
		},
		Syscall: func(c *plugin.CPU, num int64, args [6]uint64) {
			mu.Lock()
			syscalls[host.SyscallName(num)]++
			mu.Unlock()
		},
		Exit: func() {
			mu.Lock()
			defer mu.Unlock()
			byTarget := map[uint64]uint64{}
			for _, s := range sites {
				byTarget[s.target] += s.n
			}
			var out strings.Builder
			for t, n := range byTarget {
				fmt.Fprintf(&out, "callcount: %#x called %d times\n", t, n)
			}
			names := make([]string, 0, len(syscalls))
			for name := range syscalls {
				names = append(names, name)
			}
			sort.Strings(names)
			for _, name := range names {
				fmt.Fprintf(&out, "callcount: %s: %d\n", name, syscalls[name])
			}
			host.Write([]byte(out.String()))
		},
	}, nil
}

// Example runs the callcount tracer on a small x86-64 program:
//
//	0x1000 call 0x100c
//	0x1005 call 0x100c
//	0x100a syscall        (rax = 39: getpid; ends the run)
//	0x100c ret
func Example() {
	code := []byte{0xe8, 7, 0, 0, 0, 0xe8, 2, 0, 0, 0, 0x0f, 0x05, 0xc3}
	m, err := plugin.Load([]plugin.Spec{{Name: "callcount"}}, os.Stdout, "x86_64")
	if err != nil {
		fmt.Println(err)
		return
	}
	c := guesttest.New(nil, 64, code)
	c.R[x86.RAX] = 39
	c.Sys = &guesttest.Sys{Obs: m}
	guesttest.Run(nil, c, m.Instrumenter())
	m.Exit()
	// Output:
	// callcount: 0x100c called 2 times
	// callcount: getpid: 1
}

// The irqcount tracer: a Go plugin of system mode that counts interrupts
// and exceptions by vector and address space switches, and prints the
// counts at exit.

func init() { plugin.Register("irqcount", newIrqcount) }

func newIrqcount(args string, host *plugin.Host) (*plugin.Hooks, error) {
	var mu sync.Mutex
	var byVector [256]uint64
	var switches uint64
	return &plugin.Hooks{
		// Called after each delivery, in the handler's entry state.
		Interrupt: func(c *plugin.CPU, kind plugin.IntKind, vector uint8, errCode int64, from, to uint64) {
			mu.Lock()
			byVector[vector]++
			mu.Unlock()
		},
		ModeChange: func(c *plugin.CPU, reg plugin.ModeReg, old, new uint64) {
			if reg == plugin.ModeCR3 && old != new {
				mu.Lock()
				switches++
				mu.Unlock()
			}
		},
		Exit: func() {
			mu.Lock()
			defer mu.Unlock()
			for v, n := range byVector {
				if n > 0 {
					host.Logf("irqcount: vector %#02x: %d\n", v, n)
				}
			}
			host.Logf("irqcount: %d address space switches\n", switches)
		},
	}, nil
}

// Example_systemMode feeds irqcount the events gemu-system's machine
// reports: two timer interrupts, a page fault, two CR3 loads (one of the
// same value: a TLB flush, not a switch).
func Example_systemMode() {
	m, err := plugin.Load([]plugin.Spec{{Name: "irqcount"}}, os.Stdout, "i386")
	if err != nil {
		fmt.Println(err)
		return
	}
	c := guesttest.New(nil, 32, []byte{0x90})
	m.Interrupt(c, plugin.IntHardware, 0x20, plugin.NoErrorCode, 0xc1000010, 0xc1800000)
	m.Interrupt(c, plugin.IntException, 0x0e, 6, 0x8048010, 0xc1800200)
	m.ModeChange(c, x86.ChangeCR3, 0x1000, 0x2000)
	m.ModeChange(c, x86.ChangeCR3, 0x2000, 0x2000)
	m.Interrupt(c, plugin.IntHardware, 0x20, plugin.NoErrorCode, 0x8048020, 0xc1800000)
	m.Exit()
	// Output:
	// irqcount: vector 0x0e: 1
	// irqcount: vector 0x20: 2
	// irqcount: 1 address space switches
}
