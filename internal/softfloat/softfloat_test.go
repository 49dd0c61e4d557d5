package softfloat

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

func TestBytesRoundTrip(t *testing.T) {
	b := []byte{0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF, 0xFF, 0x3F}
	f := FromBytes(b)
	if f.Mant != 0xEFCDAB8967452301 || f.SE != 0x3FFF {
		t.Fatalf("FromBytes = %v", f)
	}
	out := make([]byte, 10)
	f.Bytes(out)
	if string(out) != string(b) {
		t.Fatalf("Bytes = % x, want % x", out, b)
	}
}

func TestClassify(t *testing.T) {
	cases := []struct {
		f F80
		c Class
	}{
		{F80{}, ClassZero},
		{F80{Mant: 1}, ClassDenormal},
		{F80{Mant: intBit}, ClassDenormal}, // pseudo-denormal
		{F80{Mant: intBit, SE: 0x3FFF}, ClassNormal},
		{F80{Mant: 0x4000000000000000, SE: 0x3FFF}, ClassUnsupported},
		{F80{Mant: intBit, SE: 0x7FFF}, ClassInfinity},
		{F80{Mant: 0, SE: 0x7FFF}, ClassUnsupported}, // pseudo-infinity
		{Indefinite, ClassNaN},
		{F80{Mant: intBit | 1, SE: 0x7FFF}, ClassNaN},
	}
	for _, c := range cases {
		if got := c.f.Classify(); got != c.c {
			t.Errorf("%v.Classify() = %d, want %d", c.f, got, c.c)
		}
	}
}

func TestSqrt128(t *testing.T) {
	check := func(hi, lo uint64) {
		n := new(big.Int).Lsh(new(big.Int).SetUint64(hi), 64)
		n.Or(n, new(big.Int).SetUint64(lo))
		want := new(big.Int).Sqrt(n)
		rem := new(big.Int).Sub(n, new(big.Int).Mul(want, want))
		r, half, inexact := sqrt128(hi, lo)
		if r != want.Uint64() || inexact != (rem.Sign() != 0) || half != (rem.Cmp(want) > 0) {
			t.Fatalf("sqrt128(%#x, %#x) = %#x %v %v, want %#x rem %v", hi, lo, r, half, inexact, want, rem)
		}
	}
	check(1<<62, 0)
	check(math.MaxUint64, math.MaxUint64)
	check(math.MaxUint64-1, 1) // (2^64-1)^2
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		hi := rng.Uint64() | 1<<62
		lo := rng.Uint64()
		check(hi, lo)
		// perfect squares and their neighbours
		r := rng.Uint64() | 1<<63
		sh, sl := mul64(r, r)
		check(sh, sl)
		if sl != 0 {
			check(sh, sl-1)
		}
	}
}

func mul64(a, b uint64) (uint64, uint64) {
	p := new(big.Int).Mul(new(big.Int).SetUint64(a), new(big.Int).SetUint64(b))
	lo := new(big.Int).And(p, new(big.Int).SetUint64(math.MaxUint64)).Uint64()
	return new(big.Int).Rsh(p, 64).Uint64(), lo
}

// TestKnownValues spot-checks a few results that are easy to verify by hand.
func TestKnownValues(t *testing.T) {
	one := F80{Mant: intBit, SE: 0x3FFF}
	three := FromInt64(3)
	e := &Env{PC: Prec64}
	if got := e.Add(one, one); got != FromInt64(2) || e.Exc != 0 {
		t.Errorf("1+1 = %v exc %#x", got, e.Exc)
	}
	// 1/3 = 1.0101...b * 2^-2: the 64-bit significand AAAA...AAAA is followed
	// by 1010..., so round-to-nearest rounds it up (PE and C1 set).
	if got := e.Div(one, three); got != (F80{Mant: 0xAAAAAAAAAAAAAAAB, SE: 0x3FFD}) || e.Exc != ExcPrecision || !e.C1 {
		t.Errorf("1/3 = %v exc %#x C1 %v", got, e.Exc, e.C1)
	}
	e = &Env{PC: Prec24, RC: RoundZero}
	if got := e.Div(one, three); got != (F80{Mant: 0xAAAAAA0000000000, SE: 0x3FFD}) || e.C1 {
		t.Errorf("1/3 (24-bit, chop) = %v C1 %v", got, e.C1)
	}
	e = &Env{PC: Prec64}
	if got := e.Sqrt(FromInt64(-1)); got != Indefinite || e.Exc != ExcInvalid {
		t.Errorf("sqrt(-1) = %v exc %#x", got, e.Exc)
	}
	e = &Env{PC: Prec64}
	if got := e.Div(one, F80{}); got != inf(false) || e.Exc != ExcZeroDivide {
		t.Errorf("1/0 = %v exc %#x", got, e.Exc)
	}
	e = &Env{}
	if got := e.ToInt16(FromInt64(40000)); got != math.MinInt16 || e.Exc != ExcInvalid {
		t.Errorf("fist16(40000) = %d exc %#x", got, e.Exc)
	}
	e = &Env{}
	if got := e.ToFloat64(e.LoadConst(ConstPi)); got != math.Float64bits(math.Pi) {
		t.Errorf("float64(pi) = %#x", got)
	}
}

// TestNoAllocs makes sure the hot paths do not allocate.
func TestNoAllocs(t *testing.T) {
	a := F80{Mant: 0xC90FDAA22168C235, SE: 0x4000}
	b := F80{Mant: 0xB17217F7D1CF79AC, SE: 0x3FFE}
	buf := make([]byte, 10)
	e := &Env{PC: Prec64}
	var sink F80
	n := testing.AllocsPerRun(100, func() {
		sink = e.Add(a, b)
		sink = e.Sub(a, b)
		sink = e.Mul(a, b)
		sink = e.Div(a, b)
		sink = e.Sqrt(a)
		sink = e.RoundInt(a)
		sink = e.Scale(a, b)
		sink, _ = e.Xtract(a)
		sink, _, _ = e.Prem(a, b)
		sink, _, _ = e.Prem1(a, b)
		_ = e.Compare(a, b, true)
		_ = e.ToFloat32(a)
		_ = e.ToFloat64(a)
		_ = e.ToInt64(a)
		_ = e.TruncInt32(a)
		e.ToBCD(a, buf)
		sink = FromBCD(buf)
		sink = e.FromFloat64(math.Float64bits(math.E))
		sink = e.AddM(a, MemFloat32(math.Float32bits(1.5)))
	})
	_ = sink
	if n != 0 {
		t.Fatalf("%v allocations per run, want 0", n)
	}
}

// FuzzOps runs every operation on arbitrary bit patterns and control
// settings. Nothing may panic, and a few identities that hold on hardware
// (bit for bit, flags included) are checked.
func FuzzOps(f *testing.F) {
	f.Add(uint64(intBit), uint16(0x3FFF), uint64(0xC000000000000000), uint16(0xFFFF), uint8(0), uint8(3))
	f.Add(uint64(1), uint16(0), uint64(intBit), uint16(0x8000), uint8(1), uint8(0))
	f.Add(uint64(0x4000000000000000), uint16(0x7FFF), uint64(intBit|1), uint16(0x7FFF), uint8(2), uint8(2))
	f.Add(uint64(math.MaxUint64), uint16(0x7FFE), uint64(math.MaxUint64), uint16(0x403E), uint8(3), uint8(1))
	f.Fuzz(func(t *testing.T, am uint64, ase uint16, bm uint64, bse uint16, rc, pc uint8) {
		a, b := F80{Mant: am, SE: ase}, F80{Mant: bm, SE: bse}
		env := func() *Env { return &Env{RC: rc & 3, PC: pc & 3} }
		same := func(what string, e1 *Env, r1 F80, e2 *Env, r2 F80) {
			t.Helper()
			if r1 != r2 || *e1 != *e2 {
				t.Fatalf("%s: %v %+v vs %v %+v (a=%v b=%v)", what, r1, *e1, r2, *e2, a, b)
			}
		}

		e1, e2 := env(), env()
		same("add commutes", e1, e1.Add(a, b), e2, e2.Add(b, a))
		e1, e2 = env(), env()
		same("mul commutes", e1, e1.Mul(a, b), e2, e2.Mul(b, a))
		if !b.IsNaN() {
			e1, e2 = env(), env()
			same("a-b == a+(-b)", e1, e1.Sub(a, b), e2, e2.Add(a, b.Neg()))
		}
		e1, e2 = env(), env()
		o1, o2 := e1.Compare(a, b, false), e2.Compare(b, a, false)
		if mirror := [...]Ordering{Greater, Equal, Less, Unordered}[o2]; o1 != mirror || *e1 != *e2 {
			t.Fatalf("compare not antisymmetric: %v vs %v", o1, o2)
		}

		e := env()
		e.Div(a, b)
		e.Sqrt(a)
		e.Scale(a, b)
		e.Xtract(a)
		e.Prem(a, b)
		e.Prem1(a, b)
		e.ToFloat32(a)
		e.ToInt16(a)
		e.TruncInt64(a)
		e.LoadConst(Constant(pc))
		e.AddM(a, MemFloat32(uint32(bm)))
		e.DivRM(a, MemFloat64(bm))
		e.CompareM(a, MemFloat64(bm))
		buf := make([]byte, 10)
		e.ToBCD(a, buf)
		FromBCD(buf)
		b.Bytes(buf)
		FromBCD(buf)

		// Integral values survive RoundInt, and FIST of them is exact.
		e = env()
		r := e.RoundInt(a)
		if r.Exp() < 0x3FFF+62 && !r.IsNaN() && !r.IsInf() && !r.IsUnsupported() {
			e = env()
			i := e.ToInt64(r)
			if e.Exc&(ExcPrecision|ExcInvalid) != 0 || FromInt64(i) != normalize(r) {
				t.Fatalf("RoundInt(%v) = %v, ToInt64 = %d exc %#x", a, r, i, e.Exc)
			}
		}
		// float64 and int64 round trips are exact.
		e = env()
		if v := e.ToFloat64(e.FromFloat64(bm)); v != bm && !math.IsNaN(math.Float64frombits(bm)) {
			t.Fatalf("float64 round trip %#x -> %#x", bm, v)
		}
		if i := int64(bm); e.ToInt64(FromInt64(i)) != i {
			t.Fatalf("int64 round trip %d", i)
		}
	})
}

// normalize returns a zero with its sign dropped to +0 and otherwise f, so
// that a RoundInt result compares with FromInt64 (which has no -0).
func normalize(f F80) F80 {
	if f.IsZero() {
		return F80{}
	}
	return f
}
