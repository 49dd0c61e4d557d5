package softfloat

// FromInt64 converts an integer exactly (FILD m16/m32/m64: every int16,
// int32 and int64 is representable). It never raises exceptions.
func FromInt64(v int64) F80 {
	if v == 0 {
		return F80{}
	}
	mag := uint64(v)
	if v < 0 {
		mag = -mag
	}
	return fromMag(v < 0, mag)
}

// fromMag packs a nonzero unsigned magnitude exactly.
func fromMag(sign bool, mag uint64) F80 {
	n := lz64(mag)
	return F80{Mant: mag << n, SE: packSE(sign, expBias+63-int32(n))}
}

// FromFloat32 converts a float32 bit pattern exactly (FLD m32). Denormals
// raise DE and are normalized; a signaling NaN raises IE and is quieted; NaN
// payloads are kept in the top significand bits.
func (e *Env) FromFloat32(v uint32) F80 { return e.load(MemFloat32(v)) }

// FromFloat64 converts a float64 bit pattern exactly (FLD m64), with the
// same special cases as FromFloat32.
func (e *Env) FromFloat64(v uint64) F80 { return e.load(MemFloat64(v)) }

// load applies the exceptions of FLD m32/m64 to a widened operand.
func (e *Env) load(m Mem) F80 {
	e.C1 = false
	if m.Denormal {
		e.Exc |= ExcDenormal
	}
	if m.V.IsSNaN() {
		e.Exc |= ExcInvalid
		return m.V.quiet()
	}
	return m.V
}

// ToFloat32 rounds f per RC (precision control does not apply) to a float32
// bit pattern (FST m32). NaNs keep their top payload bits and are quieted
// (IE for a signaling NaN); unsupported encodings give IE and the float32
// indefinite 0xFFC00000; overflow and underflow follow the masked x87
// responses. Like hardware, it does not raise DE for a denormal source.
func (e *Env) ToFloat32(f F80) uint32 {
	return uint32(e.toFloat(f, 23, 8))
}

// ToFloat64 rounds f per RC to a float64 bit pattern (FST m64), with the same
// rules as ToFloat32; the indefinite is 0xFFF8000000000000.
func (e *Env) ToFloat64(f F80) uint64 {
	return e.toFloat(f, 52, 11)
}

// toFloat narrows f to a binary float with fbits fraction bits and an
// exponent field of ebits bits, returning its bit pattern.
func (e *Env) toFloat(f F80, fbits, ebits uint) uint64 {
	e.C1 = false
	emax := int32(1)<<ebits - 1
	bias := emax >> 1
	var sign uint64
	if f.Sign() {
		sign = 1 << (fbits + ebits)
	}
	infBits := sign | uint64(emax)<<fbits
	qb := uint64(1) << (fbits - 1)
	switch {
	case f.IsUnsupported():
		e.Exc |= ExcInvalid
		return 1<<(fbits+ebits) | uint64(emax)<<fbits | qb
	case f.IsNaN():
		if f.Mant&qBit == 0 {
			e.Exc |= ExcInvalid
		}
		return infBits | qb | (f.Mant<<1)>>(64-fbits)
	case f.IsInf():
		return infBits
	case f.IsZero():
		return sign
	}
	// No DE here: FST does not report denormal sources.
	u := unpack(f)
	x, m := e.round(u.sign, u.exp-expBias+bias, u.mant, 0, fbits+1, emax)
	if x == emax {
		return infBits
	}
	return sign | uint64(x)<<fbits | (m<<1)>>(64-fbits)
}

// intRound rounds the finite nonzero u to an integer in direction rc and
// returns its magnitude; big reports a magnitude of 2^64 or more.
func intRound(u unpacked, rc uint8) (mag uint64, big, inexact, up bool) {
	k := u.exp - expBias
	switch {
	case k >= 64:
		return 0, true, false, false
	case k == 63:
		return u.mant, false, false, false
	case k < 0:
		above := k == -1 && u.mant > intBit
		half := k == -1 && u.mant == intBit
		up = roundDir(rc, u.sign, true, above, half, false)
		if up {
			mag = 1
		}
		return mag, false, true, up
	}
	sh := uint(63 - k)
	mag = u.mant >> sh
	frac := u.mant << (64 - sh)
	inexact = frac != 0
	up = roundDir(rc, u.sign, inexact, frac > intBit, frac == intBit, mag&1 != 0)
	if up {
		mag++
	}
	return mag, false, inexact, up
}

// ToInt16 rounds f per RC to an int16 (FIST m16). NaNs, infinities,
// unsupported encodings and out-of-range values raise IE and give the
// integer indefinite -0x8000 (without PE). Inexact results raise PE and set
// C1 when rounded up. Denormal sources do not raise DE.
func (e *Env) ToInt16(f F80) int16 { return int16(e.toInt(f, 16, e.RC)) }

// ToInt32 rounds f per RC to an int32 (FIST m32), like ToInt16.
func (e *Env) ToInt32(f F80) int32 { return int32(e.toInt(f, 32, e.RC)) }

// ToInt64 rounds f per RC to an int64 (FISTP m64), like ToInt16.
func (e *Env) ToInt64(f F80) int64 { return e.toInt(f, 64, e.RC) }

// TruncInt16 converts f to an int16 rounding toward zero regardless of RC
// (FISTTP m16), otherwise like ToInt16.
func (e *Env) TruncInt16(f F80) int16 { return int16(e.toInt(f, 16, RoundZero)) }

// TruncInt32 is the FISTTP m32 counterpart of TruncInt16.
func (e *Env) TruncInt32(f F80) int32 { return int32(e.toInt(f, 32, RoundZero)) }

// TruncInt64 is the FISTTP m64 counterpart of TruncInt16.
func (e *Env) TruncInt64(f F80) int64 { return e.toInt(f, 64, RoundZero) }

// toInt converts f to a signed integer of the given width.
func (e *Env) toInt(f F80, width uint, rc uint8) int64 {
	e.C1 = false
	indefinite := int64(-1) << (width - 1)
	if f.IsUnsupported() || f.IsNaN() || f.IsInf() {
		e.Exc |= ExcInvalid
		return indefinite
	}
	if f.IsZero() {
		return 0
	}
	u := unpack(f)
	mag, big, inexact, up := intRound(u, rc)
	limit := uint64(1) << (width - 1)
	if !u.sign {
		limit--
	}
	if big || mag > limit {
		e.Exc |= ExcInvalid
		return indefinite
	}
	if inexact {
		e.Exc |= ExcPrecision
		e.C1 = up
	}
	v := int64(mag)
	if u.sign {
		v = -v
	}
	return v
}

// FromBCD converts an 18-digit packed BCD integer (FBLD m80: nine bytes of
// two digits each, least significant first, then a sign byte whose bit 7 is
// the sign) exactly. b must hold at least 10 bytes. Invalid digits have no
// defined result on hardware; here they simply weigh their binary value.
func FromBCD(b []byte) F80 {
	_ = b[9]
	var mag uint64
	for i := 8; i >= 0; i-- {
		mag = mag*100 + uint64(b[i]>>4)*10 + uint64(b[i]&0xF)
	}
	sign := b[9]&0x80 != 0
	if mag == 0 {
		return zero(sign)
	}
	return fromMag(sign, mag)
}

// bcdLimit is the first magnitude FBSTP cannot store.
const bcdLimit = 1_000_000_000_000_000_000

// ToBCD rounds f per RC to an integer and stores it as 18-digit packed BCD
// into dst[0:10] (FBSTP m80). Values that do not fit, NaNs, infinities and
// unsupported encodings raise IE and store the packed BCD indefinite
// (bytes 7-9 = C0 FF FF, the rest zero). -0 stores a negative zero. Denormal
// sources do not raise DE.
func (e *Env) ToBCD(f F80, dst []byte) {
	_ = dst[9]
	e.C1 = false
	var mag uint64
	sign := f.Sign()
	switch {
	case f.IsUnsupported() || f.IsNaN() || f.IsInf():
		e.bcdIndefinite(dst)
		return
	case f.IsZero():
	default:
		u := unpack(f)
		m, big, inexact, up := intRound(u, e.RC)
		if big || m >= bcdLimit {
			e.bcdIndefinite(dst)
			return
		}
		if inexact {
			e.Exc |= ExcPrecision
			e.C1 = up
		}
		mag = m
	}
	for i := 0; i < 9; i++ {
		lo := mag % 10
		mag /= 10
		dst[i] = byte(mag%10)<<4 | byte(lo)
		mag /= 10
	}
	dst[9] = 0
	if sign {
		dst[9] = 0x80
	}
}

// bcdIndefinite raises IE and writes the packed BCD indefinite.
func (e *Env) bcdIndefinite(dst []byte) {
	e.Exc |= ExcInvalid
	clear(dst[:10])
	dst[7] = 0xC0
	dst[8] = 0xFF
	dst[9] = 0xFF
}
