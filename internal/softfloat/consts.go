package softfloat

// Constant selects one of the constants the x87 can load.
type Constant uint8

// The loadable constants, in the order of their opcodes D9 E8..EE.
const (
	ConstOne  Constant = iota // FLD1: +1.0
	ConstL2T                  // FLDL2T: log2(10)
	ConstL2E                  // FLDL2E: log2(e)
	ConstPi                   // FLDPI: pi
	ConstLG2                  // FLDLG2: log10(2)
	ConstLN2                  // FLDLN2: ln(2)
	ConstZero                 // FLDZ: +0.0
)

// constTab holds each constant truncated to 64 significand bits and whether
// the discarded tail exceeds half an ulp (all the irrational ones are
// inexact and none is a tie).
var constTab = [...]struct {
	se      uint16
	mant    uint64
	inexact bool
	above   bool
}{
	ConstOne:  {0x3FFF, 0x8000000000000000, false, false},
	ConstL2T:  {0x4000, 0xD49A784BCD1B8AFE, true, false},
	ConstL2E:  {0x3FFF, 0xB8AA3B295C17F0BB, true, true},
	ConstPi:   {0x4000, 0xC90FDAA22168C234, true, true},
	ConstLG2:  {0x3FFD, 0x9A209A84FBCFF798, true, true},
	ConstLN2:  {0x3FFE, 0xB17217F7D1CF79AB, true, true},
	ConstZero: {0, 0, false, false},
}

// LoadConst returns constant c rounded to 64 bits per RC, as the FLD1..FLDZ
// instructions do (precision control does not apply). Like hardware it does
// not raise PE and leaves C1 clear. An out-of-range c yields +0.
func (e *Env) LoadConst(c Constant) F80 {
	e.C1 = false
	if int(c) >= len(constTab) {
		return F80{}
	}
	t := constTab[c]
	m := t.mant
	if roundDir(e.RC, false, t.inexact, t.above, false, m&1 != 0) {
		m++
	}
	return F80{Mant: m, SE: t.se}
}
