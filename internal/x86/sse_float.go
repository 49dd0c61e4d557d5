package x86

import (
	"math"
	"math/bits"
)

// Exact SSE floating point: single and double precision arithmetic,
// comparisons and conversions with the architectural MXCSR behaviour that
// the host's own float64 operations cannot give: the four rounding modes,
// flush-to-zero, denormals-are-zeros, the six sticky exception flags and
// x86's NaN rules (the first source NaN wins, quieted; invalid operations
// give the negative "indefinite" QNaN).
//
// Each operation has a fast path that uses host arithmetic when MXCSR is
// in its usual state (round to nearest, no FTZ/DAZ, inexact masked) and the
// operands and result are ordinary normal numbers or zeros: Go's float32
// and float64 operations round to nearest like the guest. The precision
// flag is computed with an error-free transformation (Fast2Sum, FMA), and
// only while the guest has not already got PE set. Everything else goes
// through the software implementation below, which works on unpacked
// values with a 64-bit significand.

// fenv is the floating-point environment of one instruction: MXCSR as it
// was when the instruction started and the exception flags raised so far.
type fenv struct {
	mx uint32
	fl uint32
}

// Rounding control values (MXCSR.RC).
const (
	rcNearest uint8 = iota
	rcDown
	rcUp
	rcZero
)

func (e *fenv) rc() uint8 { return uint8(e.mx>>mxRCShift) & 3 }

// fast reports whether host arithmetic (round to nearest, no FTZ/DAZ) is
// the guest's and an inexact result need not trap.
func (e *fenv) fast() bool { return e.mx&0xf040 == 0x1000 }

// needPE reports whether an inexact result must still be recorded.
func (e *fenv) needPE() bool { return (e.mx|e.fl)&mxPE == 0 }

// fpFlags commits the flags of an SSE floating-point instruction to MXCSR
// and raises #XM (SIGFPE) if any of them is unmasked. The caller writes
// its destination only after this returns.
func (c *CPU) fpFlags(e *fenv) {
	if e.fl == 0 {
		return
	}
	unmasked := ^(e.mx >> mxMaskShift) & mxFlags
	// Invalid operand, denormal and divide-by-zero are detected for every
	// element before any result is computed: if one of them is unmasked,
	// the instruction traps with only those flags set.
	if pre := e.fl & (mxIE | mxDE | mxZE); pre&unmasked != 0 {
		c.MXCSR |= pre
		panic(&Trap{Kind: TrapSIMD})
	}
	c.MXCSR |= e.fl
	if e.fl&unmasked != 0 {
		panic(&Trap{Kind: TrapSIMD})
	}
}

// fpFormat describes an IEEE binary interchange format.
type fpFormat struct {
	fbits  uint   // stored fraction bits
	emax   uint64 // all-ones biased exponent
	bias   int32
	sign   uint64
	quiet  uint64 // the quiet bit of a NaN
	defNaN uint64 // the indefinite QNaN x86 returns for invalid operations
}

var (
	fpSingle = fpFormat{fbits: 23, emax: 0xff, bias: 127, sign: 1 << 31, quiet: 1 << 22, defNaN: 0xffc00000}
	fpDouble = fpFormat{fbits: 52, emax: 0x7ff, bias: 1023, sign: 1 << 63, quiet: 1 << 51, defNaN: 0xfff8000000000000}
)

// Classes of unpacked values.
const (
	fcZero uint8 = iota
	fcFinite
	fcInf
	fcQNaN
	fcSNaN
)

// fpVal is an unpacked floating-point value. A finite nonzero value is
// sig * 2^(exp-62) with bit 62 of sig set.
type fpVal struct {
	cls uint8
	neg bool
	den bool // a denormal operand (not flushed by DAZ)
	exp int32
	sig uint64
}

func (v *fpVal) nan() bool { return v.cls >= fcQNaN }

// unpack decodes x, flushing denormals to zero when MXCSR.DAZ is set.
func (e *fenv) unpack(f *fpFormat, x uint64) fpVal {
	v := fpVal{neg: x&f.sign != 0}
	ex := x >> f.fbits & f.emax
	m := x & (1<<f.fbits - 1)
	switch {
	case ex == f.emax:
		switch {
		case m == 0:
			v.cls = fcInf
		case m&f.quiet != 0:
			v.cls = fcQNaN
		default:
			v.cls = fcSNaN
		}
	case ex == 0:
		if m == 0 || e.mx&mxDAZ != 0 {
			v.cls = fcZero
			break
		}
		p := uint(bits.Len64(m) - 1)
		v.cls, v.den = fcFinite, true
		v.sig = m << (62 - p)
		v.exp = int32(p) + 1 - f.bias - int32(f.fbits)
	default:
		v.cls = fcFinite
		v.sig = (m | 1<<f.fbits) << (62 - f.fbits)
		v.exp = int32(ex) - f.bias
	}
	return v
}

// dazBits is x as an instruction sees it: a denormal becomes a signed zero
// under DAZ.
func (e *fenv) dazBits(f *fpFormat, x uint64) uint64 {
	if e.mx&mxDAZ != 0 && x>>f.fbits&f.emax == 0 {
		return x & f.sign
	}
	return x
}

// denorm raises DE if an operand is a denormal.
func (e *fenv) denorm(a, b *fpVal) {
	if a.den || b.den {
		e.fl |= mxDE
	}
}

func zeroBits(f *fpFormat, neg bool) uint64 {
	if neg {
		return f.sign
	}
	return 0
}

func infBits(f *fpFormat, neg bool) uint64 {
	return zeroBits(f, neg) | f.emax<<f.fbits
}

// nan2 is the result of a two-operand operation with a NaN operand: the
// first operand if it is a NaN, else the second, quieted; IE for an SNaN.
func (e *fenv) nan2(f *fpFormat, a, b uint64, va, vb *fpVal) uint64 {
	if va.cls == fcSNaN || vb.cls == fcSNaN {
		e.fl |= mxIE
	}
	if va.nan() {
		return a | f.quiet
	}
	return b | f.quiet
}

// shiftRightJam shifts x right by n, setting bit 0 if any one bit is lost.
func shiftRightJam(x uint64, n uint) uint64 {
	switch {
	case n == 0:
		return x
	case n >= 63:
		if x != 0 {
			return 1
		}
		return 0
	}
	r := x >> n
	if x<<(64-n) != 0 {
		r |= 1
	}
	return r
}

// roundSig rounds sig right by shift bits in mode rc.
func roundSig(sig uint64, shift uint, rc uint8, neg bool) uint64 {
	rest := sig & (1<<shift - 1)
	q := sig >> shift
	switch rc {
	case rcNearest:
		half := uint64(1) << (shift - 1)
		if rest > half || rest == half && q&1 != 0 {
			q++
		}
	case rcUp:
		if rest != 0 && !neg {
			q++
		}
	case rcDown:
		if rest != 0 && neg {
			q++
		}
	}
	return q
}

// roundPack rounds the finite nonzero value sig * 2^(exp-62) (bit 62 of sig
// set; bit 0 a sticky bit) to format f, raising PE, UE, OE as x86 does:
// tininess is detected after rounding, flush-to-zero replaces a tiny
// result by a signed zero (with UE and PE) while underflow is masked.
func (e *fenv) roundPack(f *fpFormat, neg bool, exp int32, sig uint64) uint64 {
	rc := e.rc()
	shift := 62 - f.fbits
	sign := zeroBits(f, neg)
	be := exp + f.bias // biased exponent of the leading bit
	if be <= 0 {
		// Tiny if, rounded to the format's precision with an unbounded
		// exponent, the value is still below the smallest normal.
		tiny := be < 0 || roundSig(sig, shift, rc, neg)>>(f.fbits+1) == 0
		if tiny {
			switch {
			case e.mx&(mxUE<<mxMaskShift) == 0:
				// An unmasked underflow traps on tininess alone; PE
				// then says whether the result rounded to the
				// format's precision, with an unbounded exponent, is
				// inexact. The result is not stored.
				e.fl |= mxUE
				if sig&(1<<shift-1) != 0 {
					e.fl |= mxPE
				}
				return sign
			case e.mx&mxFTZ != 0:
				e.fl |= mxUE | mxPE
				return sign
			}
		}
		sig = shiftRightJam(sig, uint(1-be))
		if sig&(1<<shift-1) != 0 {
			e.fl |= mxPE
			if tiny {
				e.fl |= mxUE
			}
		}
		// A carry into the exponent field gives the smallest normal.
		return sign | roundSig(sig, shift, rc, neg)
	}
	inexact := sig&(1<<shift-1) != 0
	m := roundSig(sig, shift, rc, neg)
	if m>>(f.fbits+1) != 0 {
		m >>= 1
		be++
	}
	if uint64(be) >= f.emax {
		if e.mx&(mxOE<<mxMaskShift) == 0 {
			// Unmasked: PE only if inexact with an unbounded
			// exponent; the result is not stored.
			e.fl |= mxOE
			if inexact {
				e.fl |= mxPE
			}
			return infBits(f, neg)
		}
		e.fl |= mxOE | mxPE
		if rc == rcNearest || rc == rcUp && !neg || rc == rcDown && neg {
			return infBits(f, neg)
		}
		return sign | (f.emax-1)<<f.fbits | (1<<f.fbits - 1)
	}
	if inexact {
		e.fl |= mxPE
	}
	return sign | uint64(be)<<f.fbits | m&(1<<f.fbits-1)
}

// fadd computes a+b (or a-b) exactly rounded.
func (e *fenv) fadd(f *fpFormat, a, b uint64, sub bool) uint64 {
	va, vb := e.unpack(f, a), e.unpack(f, b)
	if va.nan() || vb.nan() {
		return e.nan2(f, a, b, &va, &vb)
	}
	e.denorm(&va, &vb)
	if sub {
		vb.neg = !vb.neg
	}
	switch {
	case va.cls == fcInf:
		if vb.cls == fcInf && va.neg != vb.neg {
			e.fl |= mxIE
			return f.defNaN
		}
		return infBits(f, va.neg)
	case vb.cls == fcInf:
		return infBits(f, vb.neg)
	case va.cls == fcZero && vb.cls == fcZero:
		if va.neg == vb.neg {
			return zeroBits(f, va.neg)
		}
		return zeroBits(f, e.rc() == rcDown)
	case va.cls == fcZero:
		return e.roundPack(f, vb.neg, vb.exp, vb.sig)
	case vb.cls == fcZero:
		return e.roundPack(f, va.neg, va.exp, va.sig)
	}
	if va.exp < vb.exp || va.exp == vb.exp && va.sig < vb.sig {
		va, vb = vb, va
	}
	exp := va.exp
	bs := shiftRightJam(vb.sig, uint(va.exp-vb.exp))
	if va.neg == vb.neg {
		s := va.sig + bs
		if s>>63 != 0 {
			s = s>>1 | s&1
			exp++
		}
		return e.roundPack(f, va.neg, exp, s)
	}
	d := va.sig - bs
	if d == 0 {
		return zeroBits(f, e.rc() == rcDown)
	}
	n := bits.LeadingZeros64(d) - 1
	return e.roundPack(f, va.neg, exp-int32(n), d<<n)
}

// fmul computes a*b exactly rounded.
func (e *fenv) fmul(f *fpFormat, a, b uint64) uint64 {
	va, vb := e.unpack(f, a), e.unpack(f, b)
	if va.nan() || vb.nan() {
		return e.nan2(f, a, b, &va, &vb)
	}
	e.denorm(&va, &vb)
	neg := va.neg != vb.neg
	switch {
	case va.cls == fcInf || vb.cls == fcInf:
		if va.cls == fcZero || vb.cls == fcZero {
			e.fl |= mxIE
			return f.defNaN
		}
		return infBits(f, neg)
	case va.cls == fcZero || vb.cls == fcZero:
		return zeroBits(f, neg)
	}
	hi, lo := bits.Mul64(va.sig, vb.sig) // bit 124 or 125 is the leading one
	s := hi<<2 | lo>>62
	if lo<<2 != 0 {
		s |= 1
	}
	exp := va.exp + vb.exp
	if s>>63 != 0 {
		s = s>>1 | s&1
		exp++
	}
	return e.roundPack(f, neg, exp, s)
}

// fdiv computes a/b exactly rounded.
func (e *fenv) fdiv(f *fpFormat, a, b uint64) uint64 {
	va, vb := e.unpack(f, a), e.unpack(f, b)
	if va.nan() || vb.nan() {
		return e.nan2(f, a, b, &va, &vb)
	}
	neg := va.neg != vb.neg
	switch {
	case va.cls == fcInf && vb.cls == fcInf, va.cls == fcZero && vb.cls == fcZero:
		e.fl |= mxIE
		return f.defNaN
	case vb.cls == fcZero:
		// Divide by zero takes priority over a denormal dividend.
		if va.cls == fcFinite {
			e.fl |= mxZE
		}
		return infBits(f, neg)
	}
	e.denorm(&va, &vb)
	switch {
	case va.cls == fcInf:
		return infBits(f, neg)
	case va.cls == fcZero || vb.cls == fcInf:
		return zeroBits(f, neg)
	}
	q, r := bits.Div64(va.sig>>2, va.sig<<62, vb.sig)
	if r != 0 {
		q |= 1
	}
	exp := va.exp - vb.exp
	if q>>62 == 0 {
		q <<= 1
		exp--
	}
	return e.roundPack(f, neg, exp, q)
}

// fsqrt computes the square root of a exactly rounded.
func (e *fenv) fsqrt(f *fpFormat, a uint64) uint64 {
	va := e.unpack(f, a)
	switch {
	case va.nan():
		if va.cls == fcSNaN {
			e.fl |= mxIE
		}
		return a | f.quiet
	case va.cls == fcZero:
		return zeroBits(f, va.neg)
	case va.neg:
		e.fl |= mxIE
		return f.defNaN
	case va.cls == fcInf:
		return a
	}
	if va.den {
		e.fl |= mxDE
	}
	var hi, lo uint64
	if va.exp&1 == 0 {
		hi, lo = va.sig>>2, va.sig<<62
	} else {
		hi, lo = va.sig>>1, va.sig<<63
	}
	s, inexact := isqrt128(hi, lo)
	if inexact {
		s |= 1
	}
	return e.roundPack(f, false, va.exp>>1, s)
}

// isqrt128 returns the integer square root of the 128-bit value hi:lo,
// which must lie in [2^124, 2^126), and whether it was inexact.
func isqrt128(hi, lo uint64) (uint64, bool) {
	s := uint64(math.Sqrt(float64(hi)*0x1p64 + float64(lo)))
	s = min(max(s, 1<<62), 1<<63-1)
	for i := 0; i < 2; i++ { // Newton steps from a 52-bit estimate
		q, _ := bits.Div64(hi, lo, s) // hi < 2^62 <= s
		s = s>>1 + q>>1 + s&q&1
	}
	for { // s*s > hi:lo
		h, l := bits.Mul64(s, s)
		if h < hi || h == hi && l <= lo {
			break
		}
		s--
	}
	for { // (s+1)^2 <= hi:lo
		h, l := bits.Mul64(s+1, s+1)
		if h > hi || h == hi && l > lo {
			break
		}
		s++
	}
	h, l := bits.Mul64(s, s)
	return s, h != hi || l != lo
}

// Results of fcmp.
const (
	cmpLess uint8 = iota
	cmpEqual
	cmpGreater
	cmpUnordered
)

// fcmp compares a and b. Any NaN raises IE if signaling is set, an SNaN
// always does; a denormal raises DE.
func (e *fenv) fcmp(f *fpFormat, a, b uint64, signaling bool) uint8 {
	va, vb := e.unpack(f, a), e.unpack(f, b)
	if va.nan() || vb.nan() {
		if signaling || va.cls == fcSNaN || vb.cls == fcSNaN {
			e.fl |= mxIE
		}
		return cmpUnordered
	}
	e.denorm(&va, &vb)
	return cmpVals(&va, &vb)
}

// cmpVals orders two non-NaN unpacked values.
func cmpVals(a, b *fpVal) uint8 {
	if a.cls == fcZero && b.cls == fcZero {
		return cmpEqual
	}
	if a.neg != b.neg {
		if a.neg {
			return cmpLess
		}
		return cmpGreater
	}
	// Same sign: compare magnitudes, then flip for negatives.
	var m uint8
	switch {
	case a.cls != b.cls:
		// zero < finite < inf
		m = cmpLess
		if a.cls > b.cls {
			m = cmpGreater
		}
	case a.cls != fcFinite:
		m = cmpEqual
	case a.exp != b.exp:
		m = cmpLess
		if a.exp > b.exp {
			m = cmpGreater
		}
	case a.sig != b.sig:
		m = cmpLess
		if a.sig > b.sig {
			m = cmpGreater
		}
	default:
		m = cmpEqual
	}
	if a.neg && m != cmpEqual {
		m = 2 - m
	}
	return m
}

// fminmax is MINSS/MINSD/MAXSS/MAXSD: a if it is strictly less (greater)
// than b, else b. A NaN in either operand returns b unchanged and raises
// IE, as does any NaN; two zeros return b.
func (e *fenv) fminmax(f *fpFormat, a, b uint64, isMax bool) uint64 {
	va, vb := e.unpack(f, a), e.unpack(f, b)
	if va.nan() || vb.nan() {
		e.fl |= mxIE
		return e.dazBits(f, b)
	}
	e.denorm(&va, &vb)
	want := cmpLess
	if isMax {
		want = cmpGreater
	}
	if cmpVals(&va, &vb) == want {
		return e.dazBits(f, a)
	}
	return e.dazBits(f, b)
}

// fcvt converts a from format src to format dst.
func (e *fenv) fcvt(dst, src *fpFormat, a uint64) uint64 {
	va := e.unpack(src, a)
	switch va.cls {
	case fcSNaN, fcQNaN:
		if va.cls == fcSNaN {
			e.fl |= mxIE
		}
		// Keep the payload's top bits, quieted.
		m := a & (1<<src.fbits - 1)
		if dst.fbits > src.fbits {
			m <<= dst.fbits - src.fbits
		} else {
			m >>= src.fbits - dst.fbits
		}
		return zeroBits(dst, va.neg) | dst.emax<<dst.fbits | dst.quiet | m
	case fcInf:
		return infBits(dst, va.neg)
	case fcZero:
		return zeroBits(dst, va.neg)
	}
	if va.den {
		e.fl |= mxDE
	}
	return e.roundPack(dst, va.neg, va.exp, va.sig)
}

// fromInt converts a signed integer to format f in the current rounding
// mode.
func (e *fenv) fromInt(f *fpFormat, v int64) uint64 {
	if v == 0 {
		return 0
	}
	neg := v < 0
	m := uint64(v)
	if neg {
		m = -m
	}
	p := bits.Len64(m) - 1
	if p == 63 { // only -2^63
		return e.roundPack(f, neg, 63, m>>1)
	}
	return e.roundPack(f, neg, int32(p), m<<(62-p))
}

// toInt converts a to a signed integer of width bits (32 or 64), rounding
// in mode rc. A NaN, an infinity or an out-of-range value raises IE and
// gives the integer indefinite, the most negative integer.
func (e *fenv) toInt(f *fpFormat, a uint64, width uint, rc uint8) uint64 {
	va := e.unpack(f, a)
	indefinite := uint64(1) << (width - 1)
	switch va.cls {
	case fcZero:
		return 0
	case fcInf, fcQNaN, fcSNaN:
		e.fl |= mxIE
		return indefinite
	}
	// Integer part and the bits below it (rest: bit 63 weighs one half).
	var mag, rest uint64
	switch {
	case va.exp >= 64:
		e.fl |= mxIE
		return indefinite
	case va.exp == 63:
		mag = va.sig << 1
	case va.exp >= 0:
		mag = va.sig >> (62 - va.exp)
		rest = va.sig << (va.exp + 2)
	case va.exp == -1:
		rest = va.sig << 1
	default:
		rest = 1 // below one half
	}
	up := false
	switch rc {
	case rcNearest:
		up = rest > 1<<63 || rest == 1<<63 && mag&1 != 0
	case rcUp:
		up = rest != 0 && !va.neg
	case rcDown:
		up = rest != 0 && va.neg
	}
	if up {
		mag++
		if mag == 0 {
			e.fl |= mxIE
			return indefinite
		}
	}
	if mag > indefinite || mag == indefinite && !va.neg {
		e.fl |= mxIE
		return indefinite
	}
	if rest != 0 {
		e.fl |= mxPE
	}
	r := mag
	if va.neg {
		r = -mag
	}
	return r & (indefinite<<1 - 1)
}

// Fast paths. plain reports whether x is zero or a normal number, the
// operands host arithmetic handles without any flag but PE.

func plain64(x uint64) bool { return (x>>52&0x7ff)-1 < 0x7fe || x<<1 == 0 }
func plain32(x uint32) bool { return (x>>23&0xff)-1 < 0xfe || x<<1 == 0 }

// big64 and big32 report whether a rounded result is at least twice the
// smallest normal and finite: a result rounded up to the smallest normal may
// come from a tiny exact value, which must raise UE.
func big64(x uint64) bool { return (x>>52&0x7ff)-2 < 0x7fd }
func big32(x uint32) bool { return (x>>23&0xff)-2 < 0xfd }

// safe64 reports whether x is normal and far enough above the underflow
// threshold (2^-959) for the FMA residuals of mul, div and sqrt to be
// exact.
func safe64(x uint64) bool { return (x>>52&0x7ff)-64 < 0x7ff-64 }

// exactSum reports whether x+y == r exactly (Fast2Sum; r = x+y rounded,
// finite).
func exactSum(x, y, r float64) bool {
	if math.Abs(x) < math.Abs(y) {
		x, y = y, x
	}
	z := r - x
	return y-z == 0
}

func exactSum32(x, y, r float32) bool {
	if math.Float32bits(x)<<1 < math.Float32bits(y)<<1 {
		x, y = y, x
	}
	z := float32(r - x)
	return float32(y-z) == 0
}

func (e *fenv) add64(a, b uint64) uint64 {
	if e.fast() && plain64(a) && plain64(b) {
		x, y := math.Float64frombits(a), math.Float64frombits(b)
		r := x + y
		if rb := math.Float64bits(r); plain64(rb) {
			if e.needPE() && !exactSum(x, y, r) {
				e.fl |= mxPE
			}
			return rb
		}
	}
	return e.fadd(&fpDouble, a, b, false)
}

func (e *fenv) sub64(a, b uint64) uint64 {
	if e.fast() && plain64(a) && plain64(b) {
		x, y := math.Float64frombits(a), math.Float64frombits(b)
		r := x - y
		if rb := math.Float64bits(r); plain64(rb) {
			if e.needPE() && !exactSum(x, -y, r) {
				e.fl |= mxPE
			}
			return rb
		}
	}
	return e.fadd(&fpDouble, a, b, true)
}

func (e *fenv) mul64(a, b uint64) uint64 {
	if e.fast() && plain64(a) && plain64(b) {
		x, y := math.Float64frombits(a), math.Float64frombits(b)
		r := x * y
		rb := math.Float64bits(r)
		if safe64(rb) {
			if e.needPE() && math.FMA(x, y, -r) != 0 {
				e.fl |= mxPE
			}
			return rb
		}
		if a<<1 == 0 || b<<1 == 0 {
			return rb // an exact zero
		}
	}
	return e.fmul(&fpDouble, a, b)
}

func (e *fenv) div64(a, b uint64) uint64 {
	if e.fast() && (safe64(a) || a<<1 == 0) && plain64(b) && b<<1 != 0 {
		x, y := math.Float64frombits(a), math.Float64frombits(b)
		r := x / y
		rb := math.Float64bits(r)
		if big64(rb) {
			if e.needPE() && math.FMA(r, y, -x) != 0 {
				e.fl |= mxPE
			}
			return rb
		}
		if a<<1 == 0 {
			return rb
		}
	}
	return e.fdiv(&fpDouble, a, b)
}

func (e *fenv) sqrt64(a uint64) uint64 {
	if e.fast() && safe64(a) && a>>63 == 0 {
		x := math.Float64frombits(a)
		r := math.Sqrt(x)
		if e.needPE() && math.FMA(r, r, -x) != 0 {
			e.fl |= mxPE
		}
		return math.Float64bits(r)
	}
	return e.fsqrt(&fpDouble, a)
}

func (e *fenv) add32(a, b uint32) uint32 {
	if e.fast() && plain32(a) && plain32(b) {
		x, y := math.Float32frombits(a), math.Float32frombits(b)
		r := x + y
		if rb := math.Float32bits(r); plain32(rb) {
			if e.needPE() && !exactSum32(x, y, r) {
				e.fl |= mxPE
			}
			return rb
		}
	}
	return uint32(e.fadd(&fpSingle, uint64(a), uint64(b), false))
}

func (e *fenv) sub32(a, b uint32) uint32 {
	if e.fast() && plain32(a) && plain32(b) {
		x, y := math.Float32frombits(a), math.Float32frombits(b)
		r := x - y
		if rb := math.Float32bits(r); plain32(rb) {
			if e.needPE() && !exactSum32(x, -y, r) {
				e.fl |= mxPE
			}
			return rb
		}
	}
	return uint32(e.fadd(&fpSingle, uint64(a), uint64(b), true))
}

func (e *fenv) mul32(a, b uint32) uint32 {
	if e.fast() && plain32(a) && plain32(b) {
		x, y := math.Float32frombits(a), math.Float32frombits(b)
		p := float64(x) * float64(y) // exact
		r := float32(p)
		rb := math.Float32bits(r)
		if big32(rb) || rb<<1 == 0 && (a<<1 == 0 || b<<1 == 0) {
			if e.needPE() && float64(r) != p {
				e.fl |= mxPE
			}
			return rb
		}
	}
	return uint32(e.fmul(&fpSingle, uint64(a), uint64(b)))
}

func (e *fenv) div32(a, b uint32) uint32 {
	if e.fast() && plain32(a) && plain32(b) && b<<1 != 0 {
		x, y := math.Float32frombits(a), math.Float32frombits(b)
		r := x / y
		rb := math.Float32bits(r)
		if big32(rb) || rb<<1 == 0 && a<<1 == 0 {
			// r*y is exact in float64, so it equals x iff r is.
			if e.needPE() && float64(r)*float64(y) != float64(x) {
				e.fl |= mxPE
			}
			return rb
		}
	}
	return uint32(e.fdiv(&fpSingle, uint64(a), uint64(b)))
}

func (e *fenv) sqrt32(a uint32) uint32 {
	if e.fast() && plain32(a) && a>>31 == 0 {
		x := float64(math.Float32frombits(a))
		// Rounding the float64 root again to float32 is exact rounding:
		// 53 >= 2*24+2 bits.
		r := float32(math.Sqrt(x))
		if e.needPE() && float64(r)*float64(r) != x {
			e.fl |= mxPE
		}
		return math.Float32bits(r)
	}
	return uint32(e.fsqrt(&fpSingle, uint64(a)))
}
