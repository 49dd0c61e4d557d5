package x86

import (
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"testing"

	"gemu/internal/mem"
)

// Unit tests for the SSE memory forms, alignment and precise faults, MXCSR
// access and the cases the hardware vectors (sse_vec_test.go) do not reach.
// Encodings come from GNU as.

func sseLoad64(c *CPU, a uint64) uint64 {
	var b [8]byte
	if !c.Mem.Peek(a, b[:]) {
		panic("unmapped")
	}
	return binary.LittleEndian.Uint64(b[:])
}

func ssePoke64(c *CPU, a, v uint64) {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], v)
	c.Mem.Poke(a, b[:])
}

func sseIsTrap(tr any, k TrapKind) bool {
	t, ok := tr.(*Trap)
	return ok && t.Kind == k
}

func TestSSEMemoryForms(t *testing.T) {
	const A = testData + 0x100 // 16-byte aligned
	x1 := [2]uint64{0x1111111111111111, 0x2222222222222222}
	for _, tc := range []struct {
		name  string
		code  []byte
		setup func(c *CPU)
		check func(c *CPU) string
	}{
		{"movdqa load", []byte{0x66, 0x0f, 0x6f, 0x08}, func(c *CPU) {
			ssePoke64(c, A, 5)
			ssePoke64(c, A+8, 6)
		}, func(c *CPU) string {
			return sseWant(c.XMM[1] == [2]uint64{5, 6}, "xmm1 %x", c.XMM[1])
		}},
		{"movaps store", []byte{0x0f, 0x29, 0x08}, nil, func(c *CPU) string {
			return sseWant(sseLoad64(c, A) == x1[0] && sseLoad64(c, A+8) == x1[1], "memory %x %x", sseLoad64(c, A), sseLoad64(c, A+8))
		}},
		{"movdqu store unaligned", []byte{0xf3, 0x0f, 0x7f, 0x08}, func(c *CPU) { c.R[RAX] = A + 3 }, func(c *CPU) string {
			return sseWant(sseLoad64(c, A+3) == x1[0] && sseLoad64(c, A+11) == x1[1], "memory %x %x", sseLoad64(c, A+3), sseLoad64(c, A+11))
		}},
		{"movups load unaligned", []byte{0x0f, 0x10, 0x08}, func(c *CPU) {
			c.R[RAX] = A + 1
			ssePoke64(c, A+1, 7)
			ssePoke64(c, A+9, 8)
		}, func(c *CPU) string {
			return sseWant(c.XMM[1] == [2]uint64{7, 8}, "xmm1 %x", c.XMM[1])
		}},
		{"movntdq store", []byte{0x66, 0x0f, 0xe7, 0x08}, nil, func(c *CPU) string {
			return sseWant(sseLoad64(c, A+8) == x1[1], "memory %x", sseLoad64(c, A+8))
		}},
		{"pcmpeqb m128", []byte{0x66, 0x0f, 0x74, 0x00}, func(c *CPU) {
			c.XMM[0] = [2]uint64{0x0011223344556677, 0x8899aabbccddeeff}
			ssePoke64(c, A, 0x0011003344006677)
			ssePoke64(c, A+8, 0)
		}, func(c *CPU) string {
			return sseWant(c.XMM[0] == [2]uint64{0xffff00ffff00ffff, 0}, "xmm0 %x", c.XMM[0])
		}},
		{"movsd load zeroes upper", []byte{0xf2, 0x0f, 0x10, 0x00}, func(c *CPU) { ssePoke64(c, A, 0x400921fb54442d18) },
			func(c *CPU) string {
				return sseWant(c.XMM[0] == [2]uint64{0x400921fb54442d18, 0}, "xmm0 %x", c.XMM[0])
			}},
		{"movsd store", []byte{0xf2, 0x0f, 0x11, 0x00}, func(c *CPU) { c.XMM[0] = x1 }, func(c *CPU) string {
			return sseWant(sseLoad64(c, A) == x1[0] && sseLoad64(c, A+8) == 0, "memory %x %x", sseLoad64(c, A), sseLoad64(c, A+8))
		}},
		{"movss load zeroes upper", []byte{0xf3, 0x0f, 0x10, 0x00}, func(c *CPU) { ssePoke64(c, A, 0xaaaaaaaa3f800000) },
			func(c *CPU) string {
				return sseWant(c.XMM[0] == [2]uint64{0x3f800000, 0}, "xmm0 %x", c.XMM[0])
			}},
		{"movss store", []byte{0xf3, 0x0f, 0x11, 0x00}, func(c *CPU) { c.XMM[0] = x1 }, func(c *CPU) string {
			return sseWant(sseLoad64(c, A) == 0x11111111, "memory %x", sseLoad64(c, A))
		}},
		{"movq load", []byte{0xf3, 0x0f, 0x7e, 0x00}, func(c *CPU) { ssePoke64(c, A, 42) }, func(c *CPU) string {
			return sseWant(c.XMM[0] == [2]uint64{42, 0}, "xmm0 %x", c.XMM[0])
		}},
		{"movq store", []byte{0x66, 0x0f, 0xd6, 0x00}, func(c *CPU) { c.XMM[0] = x1 }, func(c *CPU) string {
			return sseWant(sseLoad64(c, A) == x1[0], "memory %x", sseLoad64(c, A))
		}},
		{"movd load", []byte{0x66, 0x0f, 0x6e, 0x00}, func(c *CPU) { ssePoke64(c, A, 0x123456789) }, func(c *CPU) string {
			return sseWant(c.XMM[0] == [2]uint64{0x23456789, 0}, "xmm0 %x", c.XMM[0])
		}},
		{"movd store", []byte{0x66, 0x0f, 0x7e, 0x00}, func(c *CPU) { c.XMM[0] = x1 }, func(c *CPU) string {
			return sseWant(sseLoad64(c, A) == 0x11111111, "memory %x", sseLoad64(c, A))
		}},
		{"movlps load keeps high", []byte{0x0f, 0x12, 0x00}, func(c *CPU) { c.XMM[0] = x1; ssePoke64(c, A, 9) },
			func(c *CPU) string {
				return sseWant(c.XMM[0] == [2]uint64{9, x1[1]}, "xmm0 %x", c.XMM[0])
			}},
		{"movhps load keeps low", []byte{0x0f, 0x16, 0x00}, func(c *CPU) { c.XMM[0] = x1; ssePoke64(c, A, 9) },
			func(c *CPU) string {
				return sseWant(c.XMM[0] == [2]uint64{x1[0], 9}, "xmm0 %x", c.XMM[0])
			}},
		{"movlpd store", []byte{0x66, 0x0f, 0x13, 0x00}, func(c *CPU) { c.XMM[0] = x1 }, func(c *CPU) string {
			return sseWant(sseLoad64(c, A) == x1[0], "memory %x", sseLoad64(c, A))
		}},
		{"movhpd store", []byte{0x66, 0x0f, 0x17, 0x00}, func(c *CPU) { c.XMM[0] = x1 }, func(c *CPU) string {
			return sseWant(sseLoad64(c, A) == x1[1], "memory %x", sseLoad64(c, A))
		}},
		{"cvtsi2sdl m32", []byte{0xf2, 0x0f, 0x2a, 0x00}, func(c *CPU) { ssePoke64(c, A, 0x1fffffffb) }, func(c *CPU) string {
			return sseWant(c.XMM[0][0] == math.Float64bits(-5), "xmm0 %x", c.XMM[0])
		}},
		{"cvttsd2si m64", []byte{0xf2, 0x0f, 0x2c, 0x08}, func(c *CPU) {
			ssePoke64(c, A, math.Float64bits(-7.9))
			c.R[RCX] = ^uint64(0)
		}, func(c *CPU) string {
			return sseWant(c.R[RCX] == 0xfffffff9 && c.MXCSR == 0x1fa0, "rcx %#x mxcsr %#x", c.R[RCX], c.MXCSR)
		}},
		{"pinsrw m16", []byte{0x66, 0x0f, 0xc4, 0x00, 0x02}, func(c *CPU) { ssePoke64(c, A, 0xbeef) }, func(c *CPU) string {
			return sseWant(c.XMM[0] == [2]uint64{0xbeef00000000, 0}, "xmm0 %x", c.XMM[0])
		}},
		{"psrlw m128 count", []byte{0x66, 0x0f, 0xd1, 0x00}, func(c *CPU) {
			c.XMM[0] = [2]uint64{0x8000400020001000, 0xffff}
			ssePoke64(c, A, 4)
			ssePoke64(c, A+8, 0xffffffff) // only the low quadword counts
		}, func(c *CPU) string {
			return sseWant(c.XMM[0] == [2]uint64{0x0800040002000100, 0xfff}, "xmm0 %x", c.XMM[0])
		}},
		{"cvtdq2pd m64 unaligned", []byte{0xf3, 0x0f, 0xe6, 0x00}, func(c *CPU) {
			c.R[RAX] = A + 4
			ssePoke64(c, A+4, 0xfffffffe00000003)
		}, func(c *CPU) string {
			return sseWant(c.XMM[0] == [2]uint64{math.Float64bits(3), math.Float64bits(-2)}, "xmm0 %x", c.XMM[0])
		}},
		{"cvtps2pd m64", []byte{0x0f, 0x5a, 0x00}, func(c *CPU) {
			ssePoke64(c, A, uint64(math.Float32bits(-0.5))<<32|uint64(math.Float32bits(1.25)))
		}, func(c *CPU) string {
			return sseWant(c.XMM[0] == [2]uint64{math.Float64bits(1.25), math.Float64bits(-0.5)}, "xmm0 %x", c.XMM[0])
		}},
		{"addps m128", []byte{0x0f, 0x58, 0x00}, func(c *CPU) {
			c.XMM[0] = [2]uint64{0x400000003f800000, 0x3f8000003f800000}
			ssePoke64(c, A, 0x3f8000003f800000)
			ssePoke64(c, A+8, 0x3f800000bf800000)
		}, func(c *CPU) string {
			return sseWant(c.XMM[0] == [2]uint64{0x4040000040000000, 0x4000000000000000}, "xmm0 %x", c.XMM[0])
		}},
		{"comisd m64", []byte{0x66, 0x0f, 0x2f, 0x00}, func(c *CPU) {
			c.XMM[0][0] = math.Float64bits(1)
			ssePoke64(c, A, math.Float64bits(2))
			c.SetFlags(FlagOF|FlagSF|FlagAF|FlagZF, StatusFlags)
		}, func(c *CPU) string {
			return sseWant(c.Flags()&StatusFlags == FlagCF, "flags %#x", c.Flags())
		}},
		{"sqrtsd m64 keeps high", []byte{0xf2, 0x0f, 0x51, 0x00}, func(c *CPU) {
			c.XMM[0] = x1
			ssePoke64(c, A, math.Float64bits(2.25))
		}, func(c *CPU) string {
			return sseWant(c.XMM[0] == [2]uint64{math.Float64bits(1.5), x1[1]}, "xmm0 %x", c.XMM[0])
		}},
		{"movnti r32", []byte{0x0f, 0xc3, 0x08}, func(c *CPU) { c.R[RCX] = 0x1122334455667788; ssePoke64(c, A, ^uint64(0)) },
			func(c *CPU) string {
				return sseWant(sseLoad64(c, A) == 0xffffffff55667788, "memory %x", sseLoad64(c, A))
			}},
		{"movnti r64", []byte{0x48, 0x0f, 0xc3, 0x08}, func(c *CPU) { c.R[RCX] = 0x1122334455667788 },
			func(c *CPU) string {
				return sseWant(sseLoad64(c, A) == 0x1122334455667788, "memory %x", sseLoad64(c, A))
			}},
		{"movmskpd", []byte{0x66, 0x0f, 0x50, 0xc8}, func(c *CPU) {
			c.XMM[0] = [2]uint64{0x8000000000000000, 0x7fffffffffffffff}
			c.R[RCX] = ^uint64(0)
		}, func(c *CPU) string {
			return sseWant(c.R[RCX] == 1, "rcx %#x", c.R[RCX])
		}},
	} {
		for _, mode := range []int{64, 32} {
			if mode == 32 && tc.code[0]&0xf0 == 0x40 {
				continue
			}
			c, tr := runCode(t, mode, tc.code, func(c *CPU) {
				c.R[RAX] = A
				c.XMM[1] = x1
				if tc.setup != nil {
					tc.setup(c)
				}
			})
			if tr != nil {
				t.Errorf("%s (mode %d): trap %v", tc.name, mode, tr)
				continue
			}
			if msg := tc.check(c); msg != "" {
				t.Errorf("%s (mode %d): %s", tc.name, mode, msg)
			}
		}
	}
}

// sseWant returns the formatted message if ok is false.
func sseWant(ok bool, format string, args ...any) string {
	if ok {
		return ""
	}
	return fmt.Sprintf(format, args...)
}

func TestSSEAlignment(t *testing.T) {
	const A = testData + 0x108 // 8 mod 16
	for _, tc := range []struct {
		name string
		code []byte
	}{
		{"movdqa load", []byte{0x66, 0x0f, 0x6f, 0x08}},
		{"movaps store", []byte{0x0f, 0x29, 0x08}},
		{"movntdq store", []byte{0x66, 0x0f, 0xe7, 0x08}},
		{"paddb m128", []byte{0x66, 0x0f, 0xfc, 0x00}},
		{"addps m128", []byte{0x0f, 0x58, 0x00}},
		{"psrlw m128", []byte{0x66, 0x0f, 0xd1, 0x00}},
	} {
		c, tr := runCode(t, 64, tc.code, func(c *CPU) {
			c.R[RAX] = A
			c.XMM[0] = [2]uint64{1, 2}
			c.XMM[1] = [2]uint64{3, 4}
			ssePoke64(c, A, 0x5555)
		})
		if !sseIsTrap(tr, TrapGP) {
			t.Errorf("%s misaligned: trap %v, want #GP", tc.name, tr)
			continue
		}
		if c.XMM[0] != [2]uint64{1, 2} || c.XMM[1] != [2]uint64{3, 4} || sseLoad64(c, A) != 0x5555 || sseLoad64(c, A+8) != 0 {
			t.Errorf("%s: state changed by a faulting instruction: xmm0 %x xmm1 %x", tc.name, c.XMM[0], c.XMM[1])
		}
	}
}

// A 16-byte store straddling into an unmapped page faults without writing
// the mapped half.
func TestSSEStorePrecise(t *testing.T) {
	const page = 0x50000
	for _, tc := range []struct {
		name string
		code []byte
		addr uint64
	}{
		{"movdqu first half in page", []byte{0xf3, 0x0f, 0x7f, 0x08}, page + 0xff4},
		{"movdqu cross at 8", []byte{0xf3, 0x0f, 0x7f, 0x08}, page + 0xff8},
		{"movdqu cross at 4", []byte{0xf3, 0x0f, 0x7f, 0x08}, page + 0xffc},
		{"movups cross at 12", []byte{0x0f, 0x11, 0x08}, page + 0xff2},
	} {
		c, tr := runCode(t, 64, tc.code, func(c *CPU) {
			if err := c.Mem.Map(page, 0x1000, mem.Read|mem.Write); err != nil {
				t.Fatal(err)
			}
			c.R[RAX] = tc.addr
			c.XMM[1] = [2]uint64{^uint64(0), ^uint64(0)}
		})
		tp, ok := tr.(*mem.Fault)
		if !ok || tp.Addr != page+0x1000 || tp.Access != mem.AccWrite {
			t.Errorf("%s: trap %v, want a write fault at %#x", tc.name, tr, page+0x1000)
			continue
		}
		var b [0x20]byte
		c.Mem.Peek(page+0xfe0, b[:])
		for i, v := range b {
			if v != 0 {
				t.Errorf("%s: byte %#x written by a faulting store", tc.name, page+0xfe0+i)
				break
			}
		}
	}
	// A store into a read-only page is refused the same way.
	c, tr := runCode(t, 64, []byte{0xf3, 0x0f, 0x7f, 0x08}, func(c *CPU) {
		c.Mem.Map(page, 0x1000, mem.Read|mem.Write)
		c.Mem.Map(page+0x1000, 0x1000, mem.Read)
		c.R[RAX] = page + 0xffa
		c.XMM[1] = [2]uint64{^uint64(0), ^uint64(0)}
	})
	if f, ok := tr.(*mem.Fault); !ok || f.Unmapped {
		t.Fatalf("read-only page: trap %v", tr)
	}
	if v := sseLoad64(c, page+0xff8); v != 0 {
		t.Errorf("read-only page: %#x written", v)
	}
}

func TestMXCSRAccess(t *testing.T) {
	const A = testData
	ld := []byte{0x0f, 0xae, 0x10}
	c, tr := runCode(t, 64, ld, func(c *CPU) {
		c.R[RAX] = A
		ssePoke64(c, A, uint64(0x7f80|mxPE))
	})
	if tr != nil || c.MXCSR != 0x7fa0 {
		t.Errorf("ldmxcsr: trap %v mxcsr %#x", tr, c.MXCSR)
	}
	c, tr = runCode(t, 64, ld, func(c *CPU) {
		c.R[RAX] = A
		ssePoke64(c, A, 0x10000)
	})
	if !sseIsTrap(tr, TrapGP) || c.MXCSR != MXCSRDefault {
		t.Errorf("ldmxcsr reserved bit: trap %v mxcsr %#x", tr, c.MXCSR)
	}
	c, tr = runCode(t, 32, []byte{0x0f, 0xae, 0x18}, func(c *CPU) {
		c.R[RAX] = A
		c.MXCSR = 0x9fc0 | mxIE
		ssePoke64(c, A, ^uint64(0))
	})
	if tr != nil || sseLoad64(c, A) != 0xffffffff00009fc1 {
		t.Errorf("stmxcsr: trap %v memory %#x", tr, sseLoad64(c, A))
	}
	if New(64, mem.New(1<<47)).MXCSR != MXCSRDefault {
		t.Errorf("fresh CPU MXCSR is not the default")
	}
}

func TestMaskmovdqu(t *testing.T) {
	const A = testData + 0x203
	code := []byte{0x66, 0x0f, 0xf7, 0xc1} // maskmovdqu %xmm1, %xmm0
	for _, mode := range []int{64, 32} {
		c, tr := runCode(t, mode, code, func(c *CPU) {
			c.R[RDI] = A
			if mode == 32 {
				c.R[RDI] |= 0xdead000000000000 // outside the address size
			}
			c.XMM[0] = [2]uint64{0x0807060504030201, 0x100f0e0d0c0b0a09}
			c.XMM[1] = [2]uint64{0x0080ff7f00000080, 0x8000000000000000}
			c.Mem.Poke(A, []byte(strings.Repeat("\xee", 16)))
		})
		if tr != nil {
			t.Fatalf("mode %d: trap %v", mode, tr)
		}
		var got [16]byte
		c.Mem.Peek(A, got[:])
		wantB := [16]byte{1, 0xee, 0xee, 0xee, 0xee, 6, 7, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0x10}
		if got != wantB {
			t.Errorf("mode %d: memory % x, want % x", mode, got, wantB)
		}
	}
}

// Unmasked exceptions raise #XM before the destination is written; the
// flags of pre-computation exceptions are recorded in MXCSR.
func TestSSEUnmaskedTrap(t *testing.T) {
	div := []byte{0xf2, 0x0f, 0x5e, 0xc1} // divsd %xmm1, %xmm0
	c, tr := runCode(t, 64, div, func(c *CPU) {
		c.MXCSR = MXCSRDefault &^ (mxZE << mxMaskShift)
		c.XMM[0] = [2]uint64{math.Float64bits(1), 7}
		c.XMM[1] = [2]uint64{0, 8}
	})
	if !sseIsTrap(tr, TrapSIMD) || c.XMM[0] != [2]uint64{math.Float64bits(1), 7} || c.MXCSR != 0x1d84 {
		t.Errorf("divsd by zero, ZE unmasked: trap %v xmm0 %x mxcsr %#x", tr, c.XMM[0], c.MXCSR)
	}
	c, tr = runCode(t, 64, div, func(c *CPU) {
		c.XMM[0] = [2]uint64{math.Float64bits(1), 7}
		c.XMM[1] = [2]uint64{0, 8}
	})
	if tr != nil || c.XMM[0] != [2]uint64{math.Float64bits(math.Inf(1)), 7} || c.MXCSR != 0x1f84 {
		t.Errorf("divsd by zero, masked: trap %v xmm0 %x mxcsr %#x", tr, c.XMM[0], c.MXCSR)
	}
}

// The directed rounding modes apply to arithmetic, not only conversions.
func TestSSERoundingModes(t *testing.T) {
	add := []byte{0xf2, 0x0f, 0x58, 0xc1} // addsd %xmm1, %xmm0
	tiny := math.Float64bits(0x1p-60)
	for _, tc := range []struct {
		mx   uint32
		a    float64
		want float64
	}{
		{0x1f80, 1, 1},
		{0x3f80, 1, 1},
		{0x5f80, 1, math.Nextafter(1, 2)},
		{0x7f80, -1, math.Nextafter(-1, 0)},
		{0x3f80, -1, -1},
		{0x5f80, -1, math.Nextafter(-1, 0)},
	} {
		c, tr := runCode(t, 64, add, func(c *CPU) {
			c.MXCSR = tc.mx
			c.XMM[0][0] = math.Float64bits(tc.a)
			c.XMM[1][0] = tiny
		})
		want := math.Float64bits(tc.want)
		if tr != nil || c.XMM[0][0] != want || c.MXCSR != tc.mx|mxPE {
			t.Errorf("mx %#x: %v + 2^-60 = %#x mxcsr %#x (trap %v), want %#x", tc.mx, tc.a, c.XMM[0][0], c.MXCSR, tr, want)
		}
	}
}

// Instruction handlers must not allocate: run each in a loop.
func TestSSENoAllocs(t *testing.T) {
	for _, tc := range []struct {
		name string
		code []byte
		mx   uint32
	}{
		{"addsd fast", []byte{0xf2, 0x0f, 0x58, 0xc1}, 0x1f80},
		{"addsd directed", []byte{0xf2, 0x0f, 0x58, 0xc1}, 0x5f80},
		{"mulps FTZ", []byte{0x0f, 0x59, 0xc1}, 0x9f80},
		{"divpd", []byte{0x66, 0x0f, 0x5e, 0xc1}, 0x3f80},
		{"sqrtsd", []byte{0xf2, 0x0f, 0x51, 0xc1}, 0x7f80},
		{"cvtsd2si", []byte{0xf2, 0x48, 0x0f, 0x2d, 0xc1}, 0x3f80},
		{"cmpltpd", []byte{0x66, 0x0f, 0xc2, 0xc1, 0x01}, 0x1f80},
		{"ucomisd", []byte{0x66, 0x0f, 0x2e, 0xc1}, 0x1f80},
		{"pcmpeqb", []byte{0x66, 0x0f, 0x74, 0xc1}, 0x1f80},
		{"pmovmskb", []byte{0x66, 0x0f, 0xd7, 0xc1}, 0x1f80},
		{"paddsw", []byte{0x66, 0x0f, 0xed, 0xc1}, 0x1f80},
		{"punpcklbw", []byte{0x66, 0x0f, 0x60, 0xc1}, 0x1f80},
		{"movdqu load", []byte{0xf3, 0x0f, 0x6f, 0x00}, 0x1f80},
	} {
		c := newTestCPU(t, 64, tc.code)
		c.R[RAX] = testData + 1
		in, err := Decode(64, testCode, tc.code)
		if err != nil {
			t.Fatal(err)
		}
		x0 := [2]uint64{math.Float64bits(1.1), math.Float64bits(-3.3)}
		x1 := [2]uint64{math.Float64bits(0.7), math.Float64bits(2.5e-310)}
		n := testing.AllocsPerRun(100, func() {
			c.XMM[0], c.XMM[1] = x0, x1
			c.MXCSR = tc.mx
			in.Fn(c, &in)
		})
		if n != 0 {
			t.Errorf("%s: %v allocations per instruction", tc.name, n)
		}
	}
}

// BenchmarkSSE measures single handlers (without decode or dispatch).
func BenchmarkSSE(b *testing.B) {
	for _, bc := range []struct {
		name string
		code []byte
		mx   uint32
	}{
		{"movdqu-load", []byte{0xf3, 0x0f, 0x6f, 0x00}, 0x1f80},
		{"pcmpeqb", []byte{0x66, 0x0f, 0x74, 0xc1}, 0x1f80},
		{"pmovmskb", []byte{0x66, 0x0f, 0xd7, 0xc1}, 0x1f80},
		{"pminub", []byte{0x66, 0x0f, 0xda, 0xc1}, 0x1f80},
		{"paddw", []byte{0x66, 0x0f, 0xfd, 0xc1}, 0x1f80},
		{"addsd", []byte{0xf2, 0x0f, 0x58, 0xc1}, 0x1f80},
		{"addsd-PEset", []byte{0xf2, 0x0f, 0x58, 0xc1}, 0x1fa0},
		{"mulsd", []byte{0xf2, 0x0f, 0x59, 0xc1}, 0x1f80},
		{"divsd", []byte{0xf2, 0x0f, 0x5e, 0xc1}, 0x1f80},
		{"addsd-roundup", []byte{0xf2, 0x0f, 0x58, 0xc1}, 0x5f80},
		{"mulpd", []byte{0x66, 0x0f, 0x59, 0xc1}, 0x1f80},
		{"mulps", []byte{0x0f, 0x59, 0xc1}, 0x1f80},
		{"ucomisd", []byte{0x66, 0x0f, 0x2e, 0xc1}, 0x1f80},
		{"cvtsi2sd", []byte{0xf2, 0x48, 0x0f, 0x2a, 0xc1}, 0x1f80},
		{"cvttsd2si", []byte{0xf2, 0x48, 0x0f, 0x2c, 0xc1}, 0x1f80},
		{"cvtsd2si", []byte{0xf2, 0x48, 0x0f, 0x2d, 0xc1}, 0x1f80},
	} {
		b.Run(bc.name, func(b *testing.B) {
			c := newTestCPU(b, 64, bc.code)
			c.R[RAX] = testData + 1
			c.R[RCX] = 12345
			in, err := Decode(64, testCode, bc.code)
			if err != nil {
				b.Fatal(err)
			}
			x0 := [2]uint64{math.Float64bits(1.1), math.Float64bits(-3.3)}
			x1 := [2]uint64{math.Float64bits(0.7), math.Float64bits(2.5)}
			for i := 0; i < b.N; i++ {
				c.XMM[0], c.XMM[1] = x0, x1
				c.MXCSR = bc.mx
				in.Fn(c, &in)
			}
		})
	}
}
