package x86

import (
	"fmt"

	"golang.org/x/arch/x86/x86asm"
)

// VEX-encoded instructions. gemu implements only the general-purpose
// BMI1/BMI2 instructions among them (bmi.go) and announces no AVX in CPUID;
// every other VEX encoding raises #UD like any unimplemented instruction.
//
// parseVEX finds the prefix and reads its fields; it is what decides
// validity (the legacy prefixes that may not precede VEX, VEX.L, the
// opcode map and implied prefix, a vvvv that must be unused). The decoder
// (x86asm, which knows VEX) supplies the operands and the length, as it
// does for legacy instructions.

// vexPrefix is a decoded VEX prefix.
type vexPrefix struct {
	op    int   // offset of the opcode byte
	mmmmm uint8 // opcode map: 1 0F, 2 0F 38, 3 0F 3A
	pp    uint8 // implied prefix: 0 none, 1 66, 2 F3, 3 F2
	w, l  bool  // VEX.W, VEX.L
	vvvv  uint8 // extra register operand (un-inverted)
	// illegal: a 66, F2, F3, LOCK or REX prefix precedes VEX, which the
	// hardware answers with #UD.
	illegal bool
}

// parseVEX reports whether code starts (after legacy prefixes) with a VEX
// prefix, and decodes it. In 32-bit mode C4 and C5 are LES and LDS unless
// the next byte's two top bits (the ModRM mod field there) are both set,
// which LES/LDS cannot use (they need a memory operand): then they are VEX.
// In 64-bit mode they are always VEX.
func parseVEX(code []byte, mode int) (v vexPrefix, ok bool) {
	i := 0
	for ; i < len(code) && i < MaxInstLen; i++ {
		b := code[i]
		switch {
		case b == 0x26 || b == 0x2e || b == 0x36 || b == 0x3e || b == 0x64 || b == 0x65 || b == 0x67:
			continue
		case b == 0x66 || b == 0xf2 || b == 0xf3 || b == 0xf0:
			v.illegal = true
			continue
		case mode == 64 && b&0xf0 == 0x40:
			v.illegal = true
			continue
		}
		break
	}
	if i+1 >= len(code) || (code[i] != 0xc4 && code[i] != 0xc5) {
		return v, false
	}
	if mode != 64 && code[i+1]>>6 != 3 {
		return v, false
	}
	if code[i] == 0xc5 {
		b1 := code[i+1]
		v.mmmmm = 1
		v.vvvv = ^b1 >> 3 & 15
		v.l = b1&4 != 0
		v.pp = b1 & 3
		v.op = i + 2
	} else {
		if i+2 >= len(code) {
			return v, false
		}
		b1, b2 := code[i+1], code[i+2]
		v.mmmmm = b1 & 31
		v.w = b2&0x80 != 0
		v.vvvv = ^b2 >> 3 & 15
		v.l = b2&4 != 0
		v.pp = b2 & 3
		v.op = i + 3
	}
	if mode != 64 {
		// Outside 64-bit mode only eight registers exist: the top bit of
		// vvvv is ignored, as is VEX.W for general-register operands.
		v.vvvv &= 7
	}
	return v, true
}

// decodeVEX decodes a VEX-encoded instruction: one of the BMI
// instructions, or an #UD.
func decodeVEX(mode int, pc uint64, code []byte, v vexPrefix) (Inst, error) {
	in := Inst{PC: pc, Base: -1, Index: -1, Seg: -1, Len: 1, Next: pc + 1}
	raw, err := x86asm.Decode(code, mode)
	if err != nil || raw.Len == 0 {
		in.Fn = opUndefined
		return in, fmt.Errorf("invalid instruction at %#x: % x: VEX: %v", pc, code[:min(len(code), 8)], err)
	}
	in.Raw = &raw
	in.Op = raw.Op
	in.Len = uint8(raw.Len)
	in.Next = pc + uint64(raw.Len)
	in.ASize = uint8(raw.AddrSize / 8)
	if in.ASize == 0 {
		in.ASize = uint8(mode / 8)
	}
	in.OSize = 4
	if v.w && mode == 64 {
		in.OSize = 8
	}
	e := bmiLookup(v, code)
	if e == nil || e.op != raw.Op {
		in.Fn = opUnimplemented
		return in, fmt.Errorf("unimplemented instruction at %#x: %s", pc, in.String())
	}
	for i, a := range raw.Args {
		if a == nil || i >= len(in.A) {
			break
		}
		in.NArgs = uint8(i + 1)
		if err := in.setArg(i, a, &raw, mode); err != nil {
			in.Fn = opUndefined
			return in, err
		}
		if k := in.A[i].Kind; k == KReg || k == KMem {
			in.A[i].Size = in.OSize
		}
	}
	if e.vpos >= 0 {
		// The register VEX.vvvv names, read from the prefix itself.
		in.A[e.vpos] = Operand{Kind: KReg, Size: in.OSize, Reg: v.vvvv}
	}
	in.Fn = e.h
	return in, nil
}
