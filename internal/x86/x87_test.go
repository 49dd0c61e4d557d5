package x86

import (
	"encoding/binary"
	"math"
	"math/big"
	"strings"
	"testing"

	"gemu/internal/mem"
	"gemu/internal/softfloat"

	"golang.org/x/arch/x86/x86asm"
)

// TestX87DecodeTable checks how the decoder names the x87 instructions and
// their operands, and the sizes the x87 builder gives memory operands.
func TestX87DecodeTable(t *testing.T) {
	tests := []struct {
		code  string
		op    x86asm.Op
		kinds []uint8
		size  uint8 // memory operand size, 0 if none
		regs  []uint8
	}{
		{"d8 c3", x86asm.FADD, []uint8{KST, KST}, 0, []uint8{0, 3}},
		{"dc c3", x86asm.FADD, []uint8{KST, KST}, 0, []uint8{3, 0}},
		{"de c3", x86asm.FADDP, []uint8{KST, KST}, 0, []uint8{3, 0}},
		{"d8 03", x86asm.FADD, []uint8{KMem}, 4, nil},
		{"dc 03", x86asm.FADD, []uint8{KMem}, 8, nil},
		{"da 03", x86asm.FIADD, []uint8{KMem}, 4, nil},
		{"de 03", x86asm.FIADD, []uint8{KMem}, 2, nil},
		// DC E0+i is FSUBR ST(i), ST(0) and DC E8+i FSUB ST(i), ST(0).
		{"dc e2", x86asm.FSUBR, []uint8{KST, KST}, 0, []uint8{2, 0}},
		{"dc ea", x86asm.FSUB, []uint8{KST, KST}, 0, []uint8{2, 0}},
		{"de e9", x86asm.FSUBP, []uint8{KST, KST}, 0, []uint8{1, 0}},
		{"de f9", x86asm.FDIVP, []uint8{KST, KST}, 0, []uint8{1, 0}},
		{"d9 c2", x86asm.FLD, []uint8{KST}, 0, []uint8{2}},
		{"d9 03", x86asm.FLD, []uint8{KMem}, 4, nil},
		{"dd 03", x86asm.FLD, []uint8{KMem}, 8, nil},
		{"db 2b", x86asm.FLD, []uint8{KMem}, 10, nil},
		{"d9 13", x86asm.FST, []uint8{KMem}, 4, nil},
		{"dd 1b", x86asm.FSTP, []uint8{KMem}, 8, nil},
		{"db 3b", x86asm.FSTP, []uint8{KMem}, 10, nil},
		{"dd da", x86asm.FSTP, []uint8{KST}, 0, []uint8{2}},
		{"df 03", x86asm.FILD, []uint8{KMem}, 2, nil},
		{"db 03", x86asm.FILD, []uint8{KMem}, 4, nil},
		{"df 2b", x86asm.FILD, []uint8{KMem}, 8, nil},
		{"df 3b", x86asm.FISTP, []uint8{KMem}, 8, nil},
		{"dd 0b", x86asm.FISTTP, []uint8{KMem}, 8, nil},
		{"df 23", x86asm.FBLD, []uint8{KMem}, 10, nil},
		{"df 33", x86asm.FBSTP, []uint8{KMem}, 10, nil},
		{"d8 d1", x86asm.FCOM, []uint8{KST}, 0, []uint8{1}},
		{"de d9", x86asm.FCOMPP, nil, 0, nil},
		{"da e9", x86asm.FUCOMPP, nil, 0, nil},
		{"db f1", x86asm.FCOMI, []uint8{KST, KST}, 0, []uint8{0, 1}},
		{"df e9", x86asm.FUCOMIP, []uint8{KST, KST}, 0, []uint8{0, 1}},
		{"da c9", x86asm.FCMOVE, []uint8{KST, KST}, 0, []uint8{0, 1}},
		{"df e0", x86asm.FNSTSW, []uint8{KReg}, 0, []uint8{RAX}},
		{"dd 3b", x86asm.FNSTSW, []uint8{KMem}, 2, nil},
		{"d9 2b", x86asm.FLDCW, []uint8{KMem}, 2, nil},
		{"d9 33", x86asm.FNSTENV, []uint8{KMem}, 28, nil},
		{"dd 33", x86asm.FNSAVE, []uint8{KMem}, 108, nil},
		{"dd c3", x86asm.FFREE, []uint8{KST}, 0, []uint8{3}},
		{"df c3", x86asm.FFREEP, []uint8{KST}, 0, []uint8{3}},
		{"d9 e8", x86asm.FLD1, nil, 0, nil},
		{"9b", x86asm.FWAIT, nil, 0, nil},
		{"0f ae 03", x86asm.FXSAVE, []uint8{KMem}, 0, nil},
	}
	for _, tc := range tests {
		code := x87Hex(t, tc.code)
		in, err := Decode(32, testCode, code)
		if err != nil {
			t.Errorf("%s: %v", tc.code, err)
			continue
		}
		if in.Op != tc.op || int(in.NArgs) != len(tc.kinds) {
			t.Errorf("%s: got %v with %d operands, want %v with %d", tc.code, in.Op, in.NArgs, tc.op, len(tc.kinds))
			continue
		}
		for i, k := range tc.kinds {
			if in.A[i].Kind != k {
				t.Errorf("%s: operand %d kind %d, want %d", tc.code, i, in.A[i].Kind, k)
			}
			if k == KMem && tc.size != 0 && in.A[i].Size != tc.size {
				t.Errorf("%s: memory size %d, want %d", tc.code, in.A[i].Size, tc.size)
			}
			if tc.regs != nil && k != KMem && in.A[i].Reg != tc.regs[i] {
				t.Errorf("%s: operand %d register %d, want %d", tc.code, i, in.A[i].Reg, tc.regs[i])
			}
		}
	}
}

func x87Hex(t testing.TB, s string) []byte {
	t.Helper()
	var b []byte
	for _, f := range strings.Fields(s) {
		var v byte
		for _, c := range f {
			v <<= 4
			switch {
			case c >= '0' && c <= '9':
				v |= byte(c - '0')
			case c >= 'a' && c <= 'f':
				v |= byte(c-'a') + 10
			default:
				t.Fatalf("bad hex %q", s)
			}
		}
		b = append(b, v)
	}
	return b
}

// TestX87EveryOpcode decodes every x87 escape opcode (D8..DF with every
// ModRM byte) and checks that whatever the decoder accepts has semantics.
func TestX87EveryOpcode(t *testing.T) {
	for _, mode := range []int{32, 64} {
		for op := 0xd8; op <= 0xdf; op++ {
			for modrm := 0; modrm < 256; modrm++ {
				code := []byte{byte(op), byte(modrm), 0, 0, 0, 0, 0, 0}
				if _, err := x86asm.Decode(code, mode); err != nil {
					continue // reserved encoding: #UD
				}
				in, err := Decode(mode, testCode, code)
				if err != nil {
					t.Errorf("%d-bit % x: %v", mode, code[:2], err)
					continue
				}
				if in.Fn == nil {
					t.Errorf("%d-bit % x: no handler", mode, code[:2])
				}
			}
		}
	}
}

// x87F80 builds a register value from a float64 (exactly).
func x87F80(v float64) F80 { return fromF64(v) }

// x87F64 converts a register value to float64 (rounding to nearest).
func x87F64(v F80) float64 {
	e := softfloat.Env{RC: softfloat.RoundNearest}
	return math.Float64frombits(e.ToFloat64(sf(v)))
}

// x87ST returns ST(i).
func x87ST(c *CPU, i uint8) F80 { return c.X87.St[c.X87.phys(i)] }

func x87Run(t *testing.T, mode int, code string, setup func(c *CPU)) *CPU {
	t.Helper()
	c, tr := runCode(t, mode, x87Hex(t, code), setup)
	if tr != nil {
		t.Fatalf("%s: trap %v", code, tr)
	}
	return c
}

func TestX87Basics(t *testing.T) {
	// fld1; fld1; faddp; fldpi; fmulp; fstp qword [ebx]
	c := x87Run(t, 32, "d9 e8 d9 e8 de c1 d9 eb de c9 dd 1b", func(c *CPU) { c.R[RBX] = testData })
	if got := math.Float64frombits(c.Mem.Load64(testData)); got != 2*math.Pi {
		t.Errorf("2*pi = %v", got)
	}
	if c.X87.Top != 0 || !c.X87.Empty[0] || !c.X87.Empty[7] {
		t.Errorf("stack not empty: top %d empty %v", c.X87.Top, c.X87.Empty)
	}
	if sw := c.X87.FullStatus(); sw != swPE {
		// 2*pi rounded to double is inexact (rounded down: C1 clear).
		t.Errorf("status word %#04x", sw)
	}

	// fild dword [ebx]; fidiv word [ebx+4]; fistp dword [ebx+8] with
	// round to nearest: 7 / 2 = 3.5 -> 4.
	c = x87Run(t, 32, "db 03 de 73 04 db 5b 08", func(c *CPU) {
		c.R[RBX] = testData
		c.Mem.Store32(testData, 7)
		c.Mem.Store16(testData+4, 2)
	})
	if got := int32(c.Mem.Load32(testData + 8)); got != 4 {
		t.Errorf("7/2 rounded = %d", got)
	}
	// fisttp truncates instead: 3.
	c = x87Run(t, 32, "db 03 de 73 04 db 4b 08", func(c *CPU) {
		c.R[RBX] = testData
		c.Mem.Store32(testData, 7)
		c.Mem.Store16(testData+4, 2)
	})
	if got := int32(c.Mem.Load32(testData + 8)); got != 3 {
		t.Errorf("7/2 truncated = %d", got)
	}
}

func TestX87Constants(t *testing.T) {
	// FLDPI rounds per RC: nearest and up give ...C235, down and zero
	// ...C234.
	for rc, want := range []uint64{0xC90FDAA22168C235, 0xC90FDAA22168C234, 0xC90FDAA22168C235, 0xC90FDAA22168C234} {
		c := x87Run(t, 64, "d9 eb", func(c *CPU) { c.X87.CW = cwDefault | uint16(rc)<<10 })
		if got := x87ST(c, 0); got.Mant != want || got.SE != 0x4000 {
			t.Errorf("rc %d: pi = %04x_%016x", rc, got.SE, got.Mant)
		}
		if c.X87.SW&swPE != 0 {
			t.Errorf("rc %d: FLDPI raised PE", rc)
		}
	}
}

func TestX87StackFaults(t *testing.T) {
	// Nine pushes: the ninth overflows (IE, SF, C1) and, masked, pushes
	// the indefinite over ST(7).
	code := strings.Repeat("d9 e8 ", 9)
	c := x87Run(t, 32, code, nil)
	if sw := c.X87.SW; sw&(swIE|swSF|swC1) != swIE|swSF|swC1 {
		t.Errorf("overflow status %#04x", sw)
	}
	if x87ST(c, 0) != indefinite {
		t.Errorf("ST(0) = %v, want the indefinite", x87ST(c, 0))
	}
	// fadd st0, st1 on an empty stack: underflow, C1 clear, indefinite.
	c = x87Run(t, 32, "d8 c1", func(c *CPU) { c.X87.SW = swC1 })
	if sw := c.X87.SW; sw&(swIE|swSF|swC1) != swIE|swSF {
		t.Errorf("underflow status %#04x", sw)
	}
	if c.X87.Empty[0] || c.X87.St[0] != indefinite {
		t.Errorf("underflow result %v", c.X87.St[0])
	}
}

func TestX87Compare(t *testing.T) {
	// fldz; fld1; fcomi st0, st1: 1 > 0.
	c := x87Run(t, 64, "d9 ee d9 e8 db f1", func(c *CPU) { c.SetFlags(FlagZF|FlagPF|FlagCF|FlagOF|FlagSF|FlagAF, StatusFlags) })
	if f := c.Flags() & StatusFlags; f != 0 {
		t.Errorf("fcomi 1, 0: flags %#x", f)
	}
	// fld1; fldz; fucomip st0, st1; fstsw ax: 0 < 1, one pop.
	c = x87Run(t, 64, "d9 e8 d9 ee df e9 df e0", nil)
	if f := c.Flags() & StatusFlags; f != FlagCF {
		t.Errorf("fucomip 0, 1: flags %#x", f)
	}
	if c.X87.Top != 7 {
		t.Errorf("top %d after one pop", c.X87.Top)
	}
	if ax := uint16(c.R[RAX]); ax != 7<<11 {
		t.Errorf("fnstsw ax = %#04x", ax)
	}
	// fcom with a NaN: unordered and IE (signaling compare).
	c = x87Run(t, 32, "d9 e8 d8 13", func(c *CPU) {
		c.R[RBX] = testData
		c.Mem.Store32(testData, 0x7fc00000)
	})
	if sw := c.X87.SW; sw&(swC0|swC2|swC3|swIE) != swC0|swC2|swC3|swIE {
		t.Errorf("fcom NaN: status %#04x", sw)
	}
	// fxam of an empty register: C3 and C0 (class 5).
	c = x87Run(t, 32, "d9 e5", nil)
	if cc := c.X87.SW & swCC; cc != swC3|swC0 {
		t.Errorf("fxam empty: %#04x", cc)
	}
}

func TestX87UnmaskedException(t *testing.T) {
	// Unmask ZE, divide by zero: ES and B are set and the result is not
	// written; fnstsw (no wait) works; the next waiting instruction traps.
	setup := func(c *CPU) {
		c.X87.CW = cwDefault &^ uint16(swZE)
	}
	// fld1; fldz; fdivp st1, st0 (1/0); fnstsw ax
	c := x87Run(t, 32, "d9 e8 d9 ee de f9 df e0", setup)
	if sw := uint16(c.R[RAX]); sw&(swZE|swES|swB) != swZE|swES|swB {
		t.Errorf("status %#04x", sw)
	}
	if c.X87.Top != 6 || x87F64(x87ST(c, 1)) != 1 {
		t.Errorf("stack changed: top %d ST(1) %v", c.X87.Top, x87ST(c, 1))
	}
	_, tr := runCode(t, 32, x87Hex(t, "d9 e8 d9 ee de f9 9b"), setup)
	if trap, ok := tr.(*Trap); !ok || trap.Kind != TrapFPU {
		t.Errorf("fwait after unmasked exception: trap %v", tr)
	}
	// fnclex clears it: no trap.
	x87Run(t, 32, "d9 e8 d9 ee de f9 db e2 9b", setup)
	// Unmasking a pending exception with fldcw raises it at the next
	// waiting instruction: fld1; fldz; fdivp (masked ZE); fldcw; fld1.
	_, tr = runCode(t, 32, x87Hex(t, "d9 e8 d9 ee de f9 d9 2b d9 e8"), func(c *CPU) {
		c.R[RBX] = testData
		c.Mem.Store16(testData, cwDefault&^uint16(swZE))
	})
	if trap, ok := tr.(*Trap); !ok || trap.Kind != TrapFPU {
		t.Errorf("fldcw unmasking a pending exception: trap %v", tr)
	}
}

func TestX87Pointers(t *testing.T) {
	// fld1; fadd qword [ebx+8]; fnstenv [ebx+16]
	c := x87Run(t, 32, "d9 e8 dc 43 08 d9 73 10", func(c *CPU) { c.R[RBX] = testData })
	env := make([]byte, 28)
	c.Mem.Peek(testData+16, env)
	le := binary.LittleEndian
	if fip := le.Uint32(env[12:]); fip != testCode+2 {
		t.Errorf("FIP %#x", fip)
	}
	if cs, fop := le.Uint16(env[16:]), le.Uint16(env[18:]); cs != 0x23 || fop != 0x443 {
		t.Errorf("FCS %#x FOP %#x", cs, fop)
	}
	if fdp, ds := le.Uint32(env[20:]), le.Uint16(env[24:]); fdp != testData+8 || ds != 0x2b {
		t.Errorf("FDP %#x FDS %#x", fdp, ds)
	}
	if c.X87.CW != cwDefault {
		t.Errorf("cw %#x", c.X87.CW)
	}
}

func TestX87FXSave(t *testing.T) {
	for _, mode := range []int{32, 64} {
		// fld1; fldpi; fxsave [ebx]; fninit; fxrstor [ebx]
		c := x87Run(t, mode, "d9 e8 d9 eb 0f ae 03 db e3 0f ae 0b", func(c *CPU) {
			c.R[RBX] = testData
			c.XMM[5] = [2]uint64{0x1111, 0x2222}
			c.XMM[15] = [2]uint64{0x3333, 0x4444}
			c.MXCSR = 0x1fa0
		})
		img := make([]byte, FXSaveSize)
		c.Mem.Peek(testData, img)
		le := binary.LittleEndian
		if le.Uint16(img[0:]) != cwDefault || le.Uint16(img[2:]) != 6<<11 || img[4] != 0xc0 {
			t.Errorf("%d-bit header % x", mode, img[:8])
		}
		if le.Uint32(img[24:]) != 0x1fa0 || le.Uint32(img[28:]) != MXCSRMask {
			t.Errorf("%d-bit mxcsr % x", mode, img[24:32])
		}
		if le.Uint16(img[32+8:]) != 0x4000 || le.Uint16(img[48+8:]) != 0x3fff {
			t.Errorf("%d-bit registers % x", mode, img[32:64])
		}
		if le.Uint64(img[160+16*5:]) != 0x1111 || le.Uint64(img[168+16*5:]) != 0x2222 {
			t.Errorf("%d-bit xmm5 % x", mode, img[240:256])
		}
		if x15 := le.Uint64(img[160+16*15:]); (mode == 64) != (x15 == 0x3333) {
			t.Errorf("%d-bit xmm15 saved as %#x", mode, x15)
		}
		if c.X87.Top != 6 || x87F64(x87ST(c, 1)) != 1 || c.X87.Empty[6] || !c.X87.Empty[5] {
			t.Errorf("%d-bit fxrstor: top %d empty %v", mode, c.X87.Top, c.X87.Empty)
		}
	}
	// Misaligned area and reserved MXCSR bits raise #GP.
	_, tr := runCode(t, 32, x87Hex(t, "0f ae 43 08"), func(c *CPU) { c.R[RBX] = testData })
	if trap, ok := tr.(*Trap); !ok || trap.Kind != TrapGP {
		t.Errorf("misaligned fxsave: %v", tr)
	}
	_, tr = runCode(t, 32, x87Hex(t, "0f ae 0b"), func(c *CPU) {
		c.R[RBX] = testData
		c.Mem.Store32(testData+24, 0x10000)
	})
	if trap, ok := tr.(*Trap); !ok || trap.Kind != TrapGP {
		t.Errorf("fxrstor with reserved mxcsr bits: %v", tr)
	}
}

func TestX87PreciseFault(t *testing.T) {
	// fld1; fstp tword [ebx] at an address whose last bytes are in an
	// unmapped page: the fault leaves the stack and memory alone.
	addr := uint64(testStack - 6)
	c, tr := runCode(t, 32, x87Hex(t, "d9 e8 db 3b"), func(c *CPU) {
		c.R[RBX] = addr
		c.Mem.Poke(addr, []byte{1, 2, 3, 4, 5, 6})
	})
	if _, ok := tr.(*mem.Fault); !ok {
		t.Fatalf("trap %v, want a memory fault", tr)
	}
	if c.X87.Top != 7 || c.X87.Empty[7] {
		t.Errorf("stack changed by a faulting store: top %d", c.X87.Top)
	}
	b := make([]byte, 6)
	c.Mem.Peek(addr, b)
	if string(b) != "\x01\x02\x03\x04\x05\x06" {
		t.Errorf("partial store: % x", b)
	}
}

func TestX87Transcendental(t *testing.T) {
	// Exact results: the correctly rounded values (checked with an
	// arbitrary-precision library), which the hardware also returns here
	// unless noted.
	tests := []struct {
		code string
		in   []float64 // pushed in order (the last is ST(0))
		want F80
	}{
		{"d9 f1", []float64{3, 8}, x87F80(9)},                                     // fyl2x: 3*log2(8)
		{"d9 f1", []float64{1, 10}, F80{Mant: 0xD49A784BCD1B8AFE, SE: 0x4000}},    // log2(10) = FLDL2T
		{"d9 f0", []float64{0.5}, F80{Mant: 0xd413cccfe7799211, SE: 0x3ffd}},      // f2xm1: sqrt(2)-1
		{"d9 f3", []float64{1, 1}, F80{Mant: 0xC90FDAA22168C235, SE: 0x3ffe}},     // fpatan: pi/4
		{"d9 f3", []float64{1, -1}, F80{Mant: 0x96CBE3F9990E91A8, SE: 0x4000}},    // fpatan: 3pi/4
		{"d9 fe", []float64{0.5}, F80{Mant: 0xf57743a2582f7f44, SE: 0x3ffd}},      // fsin
		{"d9 ff", []float64{0}, x87F80(1)},                                        // fcos
		{"d9 f9", []float64{2, 1}, x87F80(2)},                                     // fyl2xp1: 2*log2(2)
		{"d9 f9", []float64{1.5, 0.5}, F80{Mant: 0xe0a02756f9c1cb6f, SE: 0x3ffe}}, // hardware: ...70
		{"d9 f2", []float64{0.5}, x87F80(1)},                                      // fptan pushes 1
		{"d9 f1", []float64{1, 0}, x87F80(math.Inf(-1))},                          // log2(0) = -inf, ZE
		{"d9 f0", []float64{math.Inf(-1)}, x87F80(-1)},                            // 2^-inf - 1
		{"d9 f0", []float64{3}, x87F80(3)},                                        // out of range: x
	}
	for _, tc := range tests {
		c := x87Run(t, 32, tc.code, func(c *CPU) {
			for _, v := range tc.in {
				c.X87.push(x87F80(v))
			}
		})
		if got := x87ST(c, 0); got != tc.want {
			t.Errorf("%s %v: got %04x_%016x, want %04x_%016x", tc.code, tc.in, got.SE, got.Mant, tc.want.SE, tc.want.Mant)
		}
	}
	// Tiny arguments of F2XM1 (2^a - 1 = a ln2 (1 + a ln2/2)), values
	// recorded on hardware: the second-order term moves the result by
	// two units in the last place, in opposite directions for +a and -a.
	for _, tc := range []struct {
		in, want F80
	}{
		{F80{Mant: 1 << 63, SE: 0x3fc2}, F80{Mant: 0xb17217f7d1cf79ae, SE: 0x3fc1}},
		{F80{Mant: 1 << 63, SE: 0xbfc2}, F80{Mant: 0xb17217f7d1cf79aa, SE: 0xbfc1}},
	} {
		c := x87Run(t, 32, "d9 f0", func(c *CPU) { c.X87.push(tc.in) })
		if got := x87ST(c, 0); got != tc.want {
			t.Errorf("f2xm1 %04x_%016x = %04x_%016x, want %04x_%016x", tc.in.SE, tc.in.Mant, got.SE, got.Mant, tc.want.SE, tc.want.Mant)
		}
	}
	// fsin of 2^63 is out of range: C2 set, ST(0) unchanged.
	c := x87Run(t, 32, "d9 fe", func(c *CPU) { c.X87.push(F80{Mant: 1 << 63, SE: 0x3fff + 63}) })
	if c.X87.SW&swC2 == 0 || x87ST(c, 0).SE != 0x3fff+63 {
		t.Errorf("fsin 2^63: sw %#x", c.X87.SW)
	}
	// A large argument is reduced with the x87's 66-bit pi, not the true
	// one: fsin(2^62 * 1.5) (value recorded on hardware).
	c = x87Run(t, 32, "d9 fe", func(c *CPU) { c.X87.push(F80{Mant: 0xc000000000000000, SE: 0x3fff + 62}) })
	if got, want := x87ST(c, 0), x87FsinBig; got != want {
		t.Errorf("fsin(1.5*2^62) = %04x_%016x, want %04x_%016x", got.SE, got.Mant, want.SE, want.Mant)
	}
}

// TestDDConstants checks the double-double constants against values
// computed independently with math/big.
func TestDDConstants(t *testing.T) {
	const prec = 200
	one := new(big.Float).SetPrec(prec).SetInt64(1)
	// atanBig returns atan(1/n) by its series.
	atanBig := func(n int64) *big.Float {
		sum := new(big.Float).SetPrec(prec)
		x := new(big.Float).SetPrec(prec).Quo(one, big.NewFloat(float64(n)))
		n2 := new(big.Float).SetPrec(prec).SetInt64(n * n)
		for k := int64(0); k < 200; k++ {
			term := new(big.Float).SetPrec(prec).Quo(x, new(big.Float).SetInt64(2*k+1))
			if k%2 == 0 {
				sum.Add(sum, term)
			} else {
				sum.Sub(sum, term)
			}
			x.Quo(x, n2)
		}
		return sum
	}
	pi := new(big.Float).SetPrec(prec).Mul(atanBig(5), big.NewFloat(16))
	pi.Sub(pi, new(big.Float).SetPrec(prec).Mul(atanBig(239), big.NewFloat(4)))
	// ln 2 = sum 1/(k 2^k).
	ln2 := new(big.Float).SetPrec(prec)
	for k := int64(1); k < 200; k++ {
		d := new(big.Float).SetPrec(prec).SetMantExp(new(big.Float).SetInt64(k), int(k))
		ln2.Add(ln2, new(big.Float).SetPrec(prec).Quo(one, d))
	}
	for _, c := range []struct {
		name string
		got  dd
		want *big.Float
	}{
		{"pi", ddPi, pi},
		{"ln2", ddLn2, ln2},
		{"log2e", ddLog2e, new(big.Float).SetPrec(prec).Quo(one, ln2)},
	} {
		got := new(big.Float).SetPrec(prec).SetFloat64(c.got.hi)
		got.Add(got, new(big.Float).SetFloat64(c.got.lo))
		diff := new(big.Float).SetPrec(prec).Sub(got, c.want)
		rel, _ := new(big.Float).Quo(diff, c.want).Float64()
		if math.Abs(rel) > 0x1p-104 {
			t.Errorf("%s: relative error %g", c.name, rel)
		}
	}
}

// TestX87NoAllocs checks that the common x87 instructions do not allocate.
func TestX87NoAllocs(t *testing.T) {
	// fld qword [ebx]; fadd st0, st0; fmul qword [ebx]; fstp qword [ebx+8];
	// fild dword [ebx]; fistp dword [ebx+16]; fld tword [ebx+32];
	// fstp tword [ebx+48]; fld1; fcomip st0, st0... (fcomip pops)
	// ...; fld1; fld1; fpatan; fld1; fyl2x (log2 of 1, so 0); fsin;
	// fsqrt; frndint; fstp st0.
	code := x87Hex(t, "dd 03 d8 c0 dc 0b dd 5b 08 db 03 db 5b 10 db 6b 20 db 7b 30 d9 e8 d9 e8 df f1 dd d8 "+
		"d9 e8 d9 e8 d9 f3 d9 e8 d9 f1 d9 fe d9 fa d9 fc dd d8")
	c := newTestCPU(t, 32, code)
	c.R[RBX] = testData
	c.Mem.Store64(testData, math.Float64bits(1.5))
	var insts []Inst
	for pc := uint64(testCode); pc < testCode+uint64(len(code)); {
		var buf [MaxInstLen]byte
		n := c.Mem.Fetch(pc, buf[:])
		in, err := Decode(32, pc, buf[:n])
		if err != nil {
			t.Fatal(err)
		}
		insts = append(insts, in)
		pc = in.Next
	}
	allocs := testing.AllocsPerRun(100, func() {
		for i := range insts {
			insts[i].Fn(c, &insts[i])
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per run", allocs)
	}
	if c.X87.Top != 0 {
		t.Errorf("unbalanced stack: top %d", c.X87.Top)
	}
	if got := math.Float64frombits(c.Mem.Load64(testData + 8)); got != 4.5 {
		t.Errorf("(1.5+1.5)*1.5 = %v", got)
	}
}

// x87FsinBig is FSIN of 1.5 * 2^62 as recorded on an AMD processor.
var x87FsinBig = F80{Mant: 0xc3e85dbd8e174203, SE: 0xbffd}

// BenchmarkX87 measures a typical x87 sequence, one handler call per
// instruction as the engine makes them: fld qword [ebx]; fmul st0, st0;
// fadd qword [ebx+8]; fsqrt; fstp qword [ebx+16].
func BenchmarkX87(b *testing.B) {
	code := x87Hex(b, "dd 03 d8 c8 dc 43 08 d9 fa dd 5b 10")
	c := newTestCPU(b, 32, code)
	c.R[RBX] = testData
	c.Mem.Store64(testData, math.Float64bits(1.25))
	c.Mem.Store64(testData+8, math.Float64bits(3))
	var insts []Inst
	for pc := uint64(testCode); pc < testCode+uint64(len(code)); {
		var buf [MaxInstLen]byte
		n := c.Mem.Fetch(pc, buf[:])
		in, err := Decode(32, pc, buf[:n])
		if err != nil {
			b.Fatal(err)
		}
		insts = append(insts, in)
		pc = in.Next
	}
	b.ResetTimer()
	for range b.N {
		for i := range insts {
			insts[i].Fn(c, &insts[i])
		}
	}
	b.ReportMetric(float64(b.N*len(insts))/b.Elapsed().Seconds()/1e6, "Minsn/s")
}
