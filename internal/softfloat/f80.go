package softfloat

import "encoding/binary"

// F80 is an x87 double extended-precision value as stored in memory: a
// 64-bit significand with an explicit integer bit (bit 63) and a 16-bit word
// holding the sign (bit 15) and the 15-bit biased exponent (bias 16383).
// Every bit pattern is representable, including the encodings that the 387
// and later reject as operands (unnormals, pseudo-NaNs, pseudo-infinities).
type F80 struct {
	Mant uint64 // significand, integer bit 63 explicit
	SE   uint16 // sign (bit 15) and biased exponent (bits 0-14)
}

const (
	expBias = 16383
	expMax  = 0x7FFF // exponent field of infinities and NaNs
	intBit  = uint64(1) << 63
	qBit    = uint64(1) << 62 // quiet bit of a NaN significand
)

// Indefinite is the x87 "real indefinite" QNaN, the masked response to an
// invalid operation.
var Indefinite = F80{Mant: 0xC000000000000000, SE: 0xFFFF}

// FromBytes decodes the 10-byte little-endian memory image of an F80 (as
// read by FLD m80). b must hold at least 10 bytes.
func FromBytes(b []byte) F80 {
	_ = b[9]
	return F80{Mant: binary.LittleEndian.Uint64(b), SE: binary.LittleEndian.Uint16(b[8:])}
}

// Bytes encodes f into the 10-byte little-endian memory image (as written
// by FSTP m80). dst must hold at least 10 bytes.
func (f F80) Bytes(dst []byte) {
	_ = dst[9]
	binary.LittleEndian.PutUint64(dst, f.Mant)
	binary.LittleEndian.PutUint16(dst[8:], f.SE)
}

// Sign reports whether the sign bit of f is set (also for zeros and NaNs).
func (f F80) Sign() bool { return f.SE&0x8000 != 0 }

// Exp returns the biased exponent field of f.
func (f F80) Exp() uint16 { return f.SE & expMax }

// Abs clears the sign bit (FABS). It never raises exceptions, even for NaNs.
func (f F80) Abs() F80 { return F80{Mant: f.Mant, SE: f.SE &^ 0x8000} }

// Neg flips the sign bit (FCHS). It never raises exceptions, even for NaNs.
func (f F80) Neg() F80 { return F80{Mant: f.Mant, SE: f.SE ^ 0x8000} }

// IsNaN reports whether f is a quiet or signaling NaN. Pseudo-NaNs (integer
// bit clear) are not NaNs but unsupported encodings, see IsUnsupported.
func (f F80) IsNaN() bool { return f.Exp() == expMax && f.Mant&intBit != 0 && f.Mant<<1 != 0 }

// IsSNaN reports whether f is a signaling NaN (quiet bit 62 clear).
func (f F80) IsSNaN() bool { return f.IsNaN() && f.Mant&qBit == 0 }

// IsInf reports whether f is an infinity of either sign.
func (f F80) IsInf() bool { return f.Exp() == expMax && f.Mant == intBit }

// IsZero reports whether f is a zero of either sign.
func (f F80) IsZero() bool { return f.Exp() == 0 && f.Mant == 0 }

// IsDenormal reports whether f is a denormal or pseudo-denormal (exponent
// field zero, significand nonzero): operands that raise the denormal
// exception.
func (f F80) IsDenormal() bool { return f.Exp() == 0 && f.Mant != 0 }

// IsUnsupported reports whether f is an encoding that the 387 and later
// reject with an invalid-operation exception: unnormals (including
// pseudo-zeros), pseudo-infinities and pseudo-NaNs, i.e. a nonzero exponent
// with the integer bit clear.
func (f F80) IsUnsupported() bool { return f.Exp() != 0 && f.Mant&intBit == 0 }

// quiet returns the NaN f with its quiet bit set.
func (f F80) quiet() F80 { return F80{Mant: f.Mant | qBit, SE: f.SE} }

// Class is the operand class reported by FXAM. Its value is the condition
// code bits C3, C2 and C0 packed as C3<<2 | C2<<1 | C0.
type Class uint8

// The FXAM classes. ClassEmpty is never returned by Classify (emptiness is a
// property of the register stack) but is listed so that emulators can use
// the same encoding for it.
const (
	ClassUnsupported Class = 0 // unnormal, pseudo-NaN, pseudo-infinity
	ClassNaN         Class = 1
	ClassNormal      Class = 2
	ClassInfinity    Class = 3
	ClassZero        Class = 4
	ClassEmpty       Class = 5
	ClassDenormal    Class = 6 // denormal or pseudo-denormal
)

// Classify returns the FXAM class of f; FXAM puts the sign (f.Sign()) in C1.
func (f F80) Classify() Class {
	switch e := f.Exp(); {
	case e == 0 && f.Mant == 0:
		return ClassZero
	case e == 0:
		return ClassDenormal
	case f.Mant&intBit == 0:
		return ClassUnsupported
	case e != expMax:
		return ClassNormal
	case f.Mant<<1 == 0:
		return ClassInfinity
	default:
		return ClassNaN
	}
}

// unpacked is a finite nonzero operand with a normalized significand:
// value = mant * 2^(exp-expBias-63), mant bit 63 set. exp may be below 1 for
// denormals.
type unpacked struct {
	sign bool
	exp  int32
	mant uint64
}

// unpack normalizes a finite nonzero supported operand (normal, denormal or
// pseudo-denormal).
func unpack(f F80) unpacked {
	u := unpacked{sign: f.Sign(), exp: int32(f.Exp()), mant: f.Mant}
	if u.exp == 0 {
		u.exp = 1
	}
	n := lz64(u.mant)
	u.mant <<= n
	u.exp -= int32(n)
	return u
}

// packSE builds a sign/exponent word.
func packSE(sign bool, exp int32) uint16 {
	se := uint16(exp) & expMax
	if sign {
		se |= 0x8000
	}
	return se
}

// zero returns a zero of the given sign.
func zero(sign bool) F80 { return F80{SE: packSE(sign, 0)} }

// inf returns an infinity of the given sign.
func inf(sign bool) F80 { return F80{Mant: intBit, SE: packSE(sign, expMax)} }
