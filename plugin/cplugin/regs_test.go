package cplugin

import (
	"bytes"
	"encoding/binary"
	"math/rand"
	"testing"
	"unsafe"

	"gemu/internal/x86"
)

// TestReadRegisterMatchesGo: qemulib_read_register's C reading of the
// register block (regs.c, through x86.RegTable) gives, for every register
// number and beyond, the bytes Go's GDBRegister gives, on random states:
// every lazy flag operation, x87 stacks with empty, zero, special and
// valid registers at every TOP, segments, xmm, mxcsr; in user mode and in
// system mode (CPU.Priv set: the control registers, EFER, kernel_gs_base,
// tr_base and cpl read from the block, random there).
func TestReadRegisterMatchesGo(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for _, mode := range []int{32, 64, 32 + 1, 64 + 1} {
		sys := mode&1 != 0
		mode &^= 1
		if err := setRegmap(mode); err != nil {
			t.Fatal(err)
		}
		n := len(x86.RegTable(mode))
		if sys {
			n = len(x86.SysRegTable(mode))
		}
		for iter := 0; iter < 400; iter++ {
			c := x86.New(mode, nil)
			if sys {
				c.Priv = &x86.System{}
			}
			c.CR0, c.CR2, c.CR3, c.CR4 = rng.Uint64(), rng.Uint64(), rng.Uint64(), rng.Uint64()
			c.CR8, c.EFER, c.KernelGSBase, c.TRBase = rng.Uint64(), rng.Uint64(), rng.Uint64(), rng.Uint64()
			c.CPL = rng.Intn(4)
			for i := range c.R {
				c.R[i] = rng.Uint64()
			}
			c.RIP = rng.Uint64()
			for i := range c.XMM {
				c.XMM[i] = [2]uint64{rng.Uint64(), rng.Uint64()}
			}
			for i := range c.SegBase {
				c.SegBase[i] = rng.Uint64()
				c.Seg[i] = uint16(rng.Uint32())
			}
			c.MXCSR = rng.Uint32()
			x := &c.X87
			x.Top = uint8(rng.Intn(8))
			x.SW = uint16(rng.Uint32())
			x.CW = uint16(rng.Uint32())
			x.FIP, x.FDP, x.FOP = rng.Uint64(), rng.Uint64(), uint16(rng.Uint32())
			for i := range x.St {
				x.Empty[i] = rng.Intn(3) == 0
				x.St[i] = x86.F80{Mant: rng.Uint64(), SE: uint16(rng.Uint32())}
				switch rng.Intn(4) {
				case 0:
					x.St[i] = x86.F80{SE: x.St[i].SE & 0x8000} // zero
				case 1:
					x.St[i].SE |= 0x7fff // special
				}
			}
			// A flag-setting operation of a random kind and size, or
			// flags set directly.
			size := []int{1, 2, 4, 8}[rng.Intn(4)]
			a, b := rng.Uint64()>>(64-8*size), rng.Uint64()>>(64-8*size)
			if rng.Intn(4) == 0 {
				b = a // equal operands: zero results, borrow edges
			}
			op := uint8(rng.Intn(int(x86.LazyRes) + 1))
			c.SetFlags(rng.Uint64(), x86.StatusFlags|x86.FlagDF)
			res := a + b
			if rng.Intn(2) == 0 {
				res = a - b
			}
			res &= 1<<(8*size-1)<<1 - 1
			// The lazy state as the interpreter records it, written into
			// the block the way C reads it.
			r := regsBytes(c)
			r[x86.RegsOffLazyOp] = op
			r[x86.RegsOffLazySize] = byte(size)
			binary.LittleEndian.PutUint64(r[x86.RegsOffLazyRes:], res)
			binary.LittleEndian.PutUint64(r[x86.RegsOffLazyA:], a)
			binary.LittleEndian.PutUint64(r[x86.RegsOffLazyB:], b)
			binary.LittleEndian.PutUint64(r[x86.RegsOffLazyCin:], uint64(rng.Intn(2)))
			for reg := -2; reg < n+3; reg++ {
				want, size := c.GDBRegister(reg)
				got := readRegisterC(c, reg)
				if len(got) != size || !bytes.Equal(got, want[:size]) {
					t.Fatalf("mode %d system %v iteration %d register %d (lazy op %d size %d a %#x b %#x): C read %x, Go %x",
						mode, sys, iter, reg, op, size, a, b, got, want[:size])
				}
			}
		}
	}
}

// regsBytes is c's register block as bytes.
func regsBytes(c *x86.CPU) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(c.Regs)), x86.RegsSize)
}

// TestReadRegisterSystemC: qemulib_read_register of a system-mode CPU
// gives the CPU's own control registers and privilege level, not user
// mode's constants, under regnum.h's numbers.
func TestReadRegisterSystemC(t *testing.T) {
	if err := setRegmap(64); err != nil {
		t.Fatal(err)
	}
	c := x86.New(64, nil)
	c.Priv = &x86.System{}
	c.CR0, c.CR3, c.CR4, c.EFER, c.CPL = 0x80050033, 0x1a2b000, 0x3606f0, 0xd01, 0
	for _, w := range []struct {
		reg  int
		want uint64
		size int
	}{{27, 0x80050033, 8}, {29, 0x1a2b000, 8}, {30, 0x3606f0, 8}, {32, 0xd01, 8}, {250, 0, 4}} {
		got := readRegisterC(c, w.reg)
		var b [8]byte
		copy(b[:], got)
		if len(got) != w.size || binary.LittleEndian.Uint64(b[:]) != w.want {
			t.Errorf("register %d: C read %x, want %#x (%d bytes)", w.reg, got, w.want, w.size)
		}
	}
	c.CPL = 3
	if got := readRegisterC(c, 250); len(got) != 4 || got[0] != 3 {
		t.Errorf("cpl at CPL 3: C read %x", got)
	}
	// The same CPU in user mode reads the constants.
	c.Priv = nil
	if got := readRegisterC(c, 30); binary.LittleEndian.Uint64(got) != 0x6f0 {
		t.Errorf("user-mode cr4: C read %x", got)
	}
}

// BenchmarkReadRegisterC measures qemulib_read_register's C reader on
// rax (the common 8-byte case) and eflags (computed from lazy flags); ns/op
// is per read.
func BenchmarkReadRegisterC(b *testing.B) {
	if err := setRegmap(64); err != nil {
		b.Fatal(err)
	}
	c := x86.New(64, nil)
	for _, r := range []struct {
		name string
		reg  int
	}{{"rax", 0}, {"eflags", 17}} {
		b.Run(r.name, func(b *testing.B) {
			if got := readRegisterLoop(c, r.reg, b.N); got == 0 {
				b.Fatal("nothing read")
			}
		})
	}
}
