package softfloat

// Ordering is the result of Compare.
type Ordering uint8

// The possible orderings. Their x87 condition codes (C3, C2, C0) are
// Greater 000, Less 001, Equal 100, Unordered 111; see Ordering.CC.
const (
	Less Ordering = iota
	Equal
	Greater
	Unordered
)

// CC returns the condition code bits that FCOM/FUCOM leave in the status
// word (C0 = bit 8, C2 = bit 10, C3 = bit 14; C1 is cleared).
func (o Ordering) CC() uint16 {
	switch o {
	case Less:
		return 0x0100
	case Equal:
		return 0x4000
	case Greater:
		return 0
	}
	return 0x4500
}

// Compare orders a against b (FCOM/FUCOM/FCOMI/FUCOMI; FTST is a comparison
// with +0, FICOM one with an exactly converted integer). With signaling set
// (FCOM, FCOMI) any NaN operand raises IE; otherwise (FUCOM, FUCOMI) only a
// signaling NaN does. Unsupported encodings always raise IE. Unordered
// operands yield Unordered. Zeros compare equal regardless of sign.
func (e *Env) Compare(a, b F80, signaling bool) Ordering {
	return e.compare(a, b, signaling, false)
}

// compare implements Compare; den marks a denormal memory operand.
func (e *Env) compare(a, b F80, signaling, den bool) Ordering {
	e.C1 = false
	if a.IsUnsupported() || b.IsUnsupported() {
		e.Exc |= ExcInvalid
		return Unordered
	}
	an, bn := a.IsNaN(), b.IsNaN()
	if an || bn {
		if signaling || (an && a.Mant&qBit == 0) || (bn && b.Mant&qBit == 0) {
			e.Exc |= ExcInvalid
		}
		return Unordered
	}
	e.denormCheck(a, b, den)
	return cmpMag(a, b)
}

// cmpMag orders two supported non-NaN values.
func cmpMag(a, b F80) Ordering {
	az, bz := a.IsZero(), b.IsZero()
	if az && bz {
		return Equal
	}
	sa, sb := a.Sign(), b.Sign()
	if az {
		if sb {
			return Greater
		}
		return Less
	}
	if bz || sa != sb {
		if sa {
			return Less
		}
		return Greater
	}
	// Same sign, both nonzero; infinities order naturally by exponent.
	var c int
	ia, ib := a.IsInf(), b.IsInf()
	switch {
	case ia && ib:
		c = 0
	case ia:
		c = 1
	case ib:
		c = -1
	default:
		x, y := unpack(a), unpack(b)
		switch {
		case x.exp > y.exp || (x.exp == y.exp && x.mant > y.mant):
			c = 1
		case x.exp == y.exp && x.mant == y.mant:
			c = 0
		default:
			c = -1
		}
	}
	if sa {
		c = -c
	}
	switch {
	case c < 0:
		return Less
	case c > 0:
		return Greater
	}
	return Equal
}
