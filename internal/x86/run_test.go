package x86

import (
	"testing"

	"gemu/internal/mem"
)

// Test support: run a snippet of machine code on a fresh CPU, one
// instruction at a time, without the engine.

const (
	testCode  = 0x10000
	testData  = 0x20000
	testStack = 0x40000
)

type testSys struct{ calls int }

func (s *testSys) Syscall(c *CPU, g Gate) { s.calls++ }

// newTestCPU returns a CPU with code at testCode (rx), 64 KiB of data at
// testData (rw) and a stack below testStack.
func newTestCPU(t testing.TB, mode int, code []byte) *CPU {
	t.Helper()
	limit := uint64(1) << 47
	if mode == 32 {
		limit = 1 << 32
	}
	m := mem.New(limit)
	if err := m.Map(testCode, 0x10000, mem.Read|mem.Exec); err != nil {
		t.Fatal(err)
	}
	m.Poke(testCode, code)
	if err := m.Map(testData, 0x10000, mem.Read|mem.Write); err != nil {
		t.Fatal(err)
	}
	if err := m.Map(testStack-0x10000, 0x10000, mem.Read|mem.Write); err != nil {
		t.Fatal(err)
	}
	c := New(mode, m)
	c.RIP = testCode
	c.R[RSP] = testStack - 64
	c.Sys = &testSys{}
	return c
}

// step executes one instruction and returns the trap it raised, if any;
// TrapResume (the instruction completed and wants its block ended, as a
// mode switch does) is none.
func step(c *CPU) (trap any) {
	var buf [MaxInstLen]byte
	n := c.Mem.Fetch(c.RIP, buf[:])
	in, _ := Decode(c.Mode, c.RIP, buf[:n])
	defer func() {
		if r := recover(); r != nil && r != resume {
			trap = r
		}
	}()
	c.RIP = in.Next
	in.Fn(c, &in)
	return nil
}

// runCode runs code until RIP leaves it or an instruction traps; it
// returns the CPU and the trap (nil if it ran off the end).
func runCode(t testing.TB, mode int, code []byte, setup func(c *CPU)) (*CPU, any) {
	t.Helper()
	c := newTestCPU(t, mode, code)
	if setup != nil {
		setup(c)
	}
	end := uint64(testCode + len(code))
	for steps := 0; c.RIP >= testCode && c.RIP < end; steps++ {
		if steps > 1e6 {
			t.Fatal("snippet did not finish")
		}
		if tr := step(c); tr != nil {
			return c, tr
		}
	}
	return c, nil
}

func TestAddFlags(t *testing.T) {
	// add eax, ebx
	c, tr := runCode(t, 32, []byte{0x01, 0xd8}, func(c *CPU) {
		c.R[RAX], c.R[RBX] = 0xffffffff, 1
	})
	if tr != nil {
		t.Fatal(tr)
	}
	if c.R[RAX] != 0 || !c.CF() || !c.ZF() || c.SF() || c.OF() || !c.AF() || !c.PF() {
		t.Fatalf("eax=%#x flags=%#x", c.R[RAX], c.Flags())
	}
	if got := c.Flags() & StatusFlags; got != FlagCF|FlagZF|FlagAF|FlagPF {
		t.Fatalf("flags %#x", got)
	}
}
