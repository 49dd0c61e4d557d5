package softfloat

// nan1 handles the special operands of a one-operand operation: an
// unsupported encoding yields IE and the indefinite, a NaN is returned quiet
// (IE if it was signaling). ok reports whether the result is final.
func (e *Env) nan1(a F80) (r F80, ok bool) {
	if a.IsUnsupported() {
		return e.invalid(), true
	}
	if a.IsNaN() {
		if a.Mant&qBit == 0 {
			e.Exc |= ExcInvalid
		}
		return a.quiet(), true
	}
	return F80{}, false
}

// nan2 handles the special operands of a two-operand operation following
// the x87 rules: any unsupported encoding is invalid; a signaling NaN raises
// IE; of two NaNs the one with the larger significand wins (a QNaN beats an
// SNaN); the winner is returned quiet. ok reports whether the result is
// final.
func (e *Env) nan2(a, b F80) (r F80, ok bool) {
	if a.IsUnsupported() || b.IsUnsupported() {
		return e.invalid(), true
	}
	an, bn := a.IsNaN(), b.IsNaN()
	if !an && !bn {
		return F80{}, false
	}
	if (an && a.Mant&qBit == 0) || (bn && b.Mant&qBit == 0) {
		e.Exc |= ExcInvalid
	}
	switch {
	case !bn:
		return a.quiet(), true
	case !an:
		return b.quiet(), true
	}
	aq, bq := a.Mant&qBit != 0, b.Mant&qBit != 0
	if aq != bq {
		if aq {
			return a, true
		}
		return b, true
	}
	if a.Mant > b.Mant || (a.Mant == b.Mant && a.SE < b.SE) {
		return a.quiet(), true
	}
	return b.quiet(), true
}
