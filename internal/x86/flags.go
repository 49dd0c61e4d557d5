package x86

import "math/bits"

// Lazy flags: instead of computing CF, PF, AF, ZF, SF and OF after every
// arithmetic instruction, the CPU records the operation and its operands and
// derives a flag only when something reads it (a conditional branch, setcc,
// pushf, adc...). Most flag results are overwritten before anyone looks.

// Flag operation kinds recorded in lazyFlags.op.
const (
	flagsNone  uint8 = iota // status flags are materialized in CPU.flags
	flagsAdd                // res = a + b
	flagsAdc                // res = a + b + cin
	flagsSub                // res = a - b
	flagsSbb                // res = a - b - cin
	flagsLogic              // res = a op b; CF=OF=AF=0
	flagsInc                // res = a + 1; CF preserved in cin
	flagsDec                // res = a - 1; CF preserved in cin
	// flagsRes: ZF, SF and PF come from res; CF, OF and AF are the bits
	// of a (as FlagCF|FlagOF|FlagAF). Used by shifts, rotates, multiplies.
	flagsRes
)

type lazyFlags struct {
	op   uint8
	size uint8 // operand size in bytes
	res  uint64
	a, b uint64
	cin  uint64 // carry in (adc/sbb) or saved CF (inc/dec)
}

var sizeMask = [9]uint64{1: 0xff, 2: 0xffff, 4: 0xffffffff, 8: 0xffffffffffffffff}
var signBit = [9]uint64{1: 0x80, 2: 0x8000, 4: 0x80000000, 8: 0x8000000000000000}

// SetLazy records a flag-setting operation of the given size (1, 2, 4, 8
// bytes). res, a and b are the operation's result and operands, already
// truncated to size.
func (c *CPU) SetLazy(op uint8, size int, res, a, b uint64) {
	l := &c.lazy
	l.op, l.size, l.res, l.a, l.b = op, uint8(size), res, a, b
}

func (c *CPU) setLazyCarry(op uint8, size int, res, a, b, cin uint64) {
	l := &c.lazy
	l.op, l.size, l.res, l.a, l.b, l.cin = op, uint8(size), res, a, b, cin
}

// SetResultFlags sets ZF, SF, PF from res and CF, OF, AF explicitly.
func (c *CPU) SetResultFlags(size int, res uint64, cf, of, af bool) {
	var x uint64
	if cf {
		x |= FlagCF
	}
	if of {
		x |= FlagOF
	}
	if af {
		x |= FlagAF
	}
	c.lazy = lazyFlags{op: flagsRes, size: uint8(size), res: res, a: x}
}

func parity(v uint64) bool { return bits.OnesCount8(uint8(v))&1 == 0 }

// CF returns the carry flag.
func (c *CPU) CF() bool {
	l := &c.lazy
	switch l.op {
	case flagsAdd:
		return l.res < l.a
	case flagsAdc:
		if l.cin != 0 {
			return l.res <= l.a
		}
		return l.res < l.a
	case flagsSub:
		return l.a < l.b
	case flagsSbb:
		if l.cin != 0 {
			return l.a <= l.b
		}
		return l.a < l.b
	case flagsLogic:
		return false
	case flagsInc, flagsDec:
		return l.cin != 0
	case flagsRes:
		return l.a&FlagCF != 0
	}
	return c.flags&FlagCF != 0
}

// ZF returns the zero flag.
func (c *CPU) ZF() bool {
	if c.lazy.op == flagsNone {
		return c.flags&FlagZF != 0
	}
	return c.lazy.res == 0
}

// SF returns the sign flag.
func (c *CPU) SF() bool {
	if c.lazy.op == flagsNone {
		return c.flags&FlagSF != 0
	}
	return c.lazy.res&signBit[c.lazy.size] != 0
}

// PF returns the parity flag (even parity of the low byte).
func (c *CPU) PF() bool {
	if c.lazy.op == flagsNone {
		return c.flags&FlagPF != 0
	}
	return parity(c.lazy.res)
}

// OF returns the overflow flag.
func (c *CPU) OF() bool {
	l := &c.lazy
	sb := signBit[l.size]
	switch l.op {
	case flagsAdd, flagsAdc:
		return (l.a^l.res)&(l.b^l.res)&sb != 0
	case flagsSub, flagsSbb:
		return (l.a^l.b)&(l.a^l.res)&sb != 0
	case flagsLogic:
		return false
	case flagsInc:
		return l.res == sb
	case flagsDec:
		return l.res == sb-1
	case flagsRes:
		return l.a&FlagOF != 0
	}
	return c.flags&FlagOF != 0
}

// AF returns the auxiliary carry flag.
func (c *CPU) AF() bool {
	l := &c.lazy
	switch l.op {
	case flagsAdd, flagsAdc, flagsSub, flagsSbb:
		return (l.a^l.b^l.res)&0x10 != 0
	case flagsLogic:
		return false
	case flagsInc:
		return l.res&0xf == 0
	case flagsDec:
		return l.res&0xf == 0xf
	case flagsRes:
		return l.a&FlagAF != 0
	}
	return c.flags&FlagAF != 0
}

// Flags returns the full EFLAGS value. It evaluates the lazy record in
// one pass (the same rules as CF, PF, AF, ZF, SF and OF): a hook before
// every instruction makes every rotate and flag read materialize, so this
// is on the instrumented hot path.
func (c *CPU) Flags() uint64 {
	l := &c.lazy
	if l.op == flagsNone {
		return c.flags
	}
	f := c.flags &^ StatusFlags
	res, a, b := l.res, l.a, l.b
	sb := signBit[l.size]
	if res == 0 {
		f |= FlagZF
	}
	if res&sb != 0 {
		f |= FlagSF
	}
	if parity(res) {
		f |= FlagPF
	}
	var cf, of, af bool
	switch l.op {
	case flagsAdd:
		cf = res < a
		of = (a^res)&(b^res)&sb != 0
		af = (a^b^res)&0x10 != 0
	case flagsAdc:
		cf = res < a || l.cin != 0 && res == a
		of = (a^res)&(b^res)&sb != 0
		af = (a^b^res)&0x10 != 0
	case flagsSub:
		cf = a < b
		of = (a^b)&(a^res)&sb != 0
		af = (a^b^res)&0x10 != 0
	case flagsSbb:
		cf = a < b || l.cin != 0 && a == b
		of = (a^b)&(a^res)&sb != 0
		af = (a^b^res)&0x10 != 0
	case flagsLogic:
	case flagsInc:
		cf = l.cin != 0
		of = res == sb
		af = res&0xf == 0
	case flagsDec:
		cf = l.cin != 0
		of = res == sb-1
		af = res&0xf == 0xf
	case flagsRes:
		return f | a&(FlagCF|FlagOF|FlagAF)
	}
	if cf {
		f |= FlagCF
	}
	if of {
		f |= FlagOF
	}
	if af {
		f |= FlagAF
	}
	return f
}

// materialize folds the lazy flags into c.flags.
func (c *CPU) materialize() {
	if c.lazy.op != flagsNone {
		c.flags = c.Flags()
		c.lazy.op = flagsNone
	}
}

// SetFlags replaces the EFLAGS bits selected by mask with those of v. Bit 1
// always reads as one.
func (c *CPU) SetFlags(v, mask uint64) {
	if mask&StatusFlags == StatusFlags {
		// Every lazy flag is replaced: no need to compute them first.
		c.lazy.op = flagsNone
	} else {
		c.materialize()
	}
	c.flags = (c.flags&^mask | v&mask) | 2
}

// SetCF sets or clears the carry flag, keeping the others.
func (c *CPU) SetCF(on bool) {
	c.materialize()
	if on {
		c.flags |= FlagCF
	} else {
		c.flags &^= FlagCF
	}
}

// DF reports the direction flag.
func (c *CPU) DF() bool { return c.flags&FlagDF != 0 }

// Cond evaluates condition code cc (the low nibble of Jcc/SETcc/CMOVcc):
// 0 O, 1 NO, 2 B, 3 AE, 4 E, 5 NE, 6 BE, 7 A, 8 S, 9 NS, 10 P, 11 NP,
// 12 L, 13 GE, 14 LE, 15 G.
func (c *CPU) Cond(cc uint8) bool {
	l := &c.lazy
	if l.op == flagsSub {
		// The common compare-and-branch: answer from the operands.
		sh := 64 - 8*uint(l.size)
		sa, sb := int64(l.a<<sh)>>sh, int64(l.b<<sh)>>sh
		switch cc {
		case 2:
			return l.a < l.b
		case 3:
			return l.a >= l.b
		case 4:
			return l.a == l.b
		case 5:
			return l.a != l.b
		case 6:
			return l.a <= l.b
		case 7:
			return l.a > l.b
		case 12:
			return sa < sb
		case 13:
			return sa >= sb
		case 14:
			return sa <= sb
		case 15:
			return sa > sb
		}
	}
	var r bool
	switch cc >> 1 {
	case 0:
		r = c.OF()
	case 1:
		r = c.CF()
	case 2:
		r = c.ZF()
	case 3:
		r = c.CF() || c.ZF()
	case 4:
		r = c.SF()
	case 5:
		r = c.PF()
	case 6:
		r = c.SF() != c.OF()
	case 7:
		r = c.ZF() || c.SF() != c.OF()
	}
	return r != (cc&1 != 0)
}
