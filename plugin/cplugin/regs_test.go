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
// valid registers at every TOP, segments, xmm, mxcsr.
func TestReadRegisterMatchesGo(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for _, mode := range []int{32, 64} {
		if err := setRegmap(mode); err != nil {
			t.Fatal(err)
		}
		n := len(x86.RegTable(mode))
		for iter := 0; iter < 400; iter++ {
			c := x86.New(mode, nil)
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
					t.Fatalf("mode %d iteration %d register %d (lazy op %d size %d a %#x b %#x): C read %x, Go %x",
						mode, iter, reg, op, size, a, b, got, want[:size])
				}
			}
		}
	}
}

// regsBytes is c's register block as bytes.
func regsBytes(c *x86.CPU) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(c.Regs)), x86.RegsSize)
}
