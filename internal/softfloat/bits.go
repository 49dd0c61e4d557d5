package softfloat

import (
	"math"
	"math/bits"
)

// lz64 counts the leading zero bits of x (64 for zero).
func lz64(x uint64) uint { return uint(bits.LeadingZeros64(x)) }

// shr128Jam shifts hi:lo right by n bits, OR-ing every bit shifted out into
// the least significant bit ("jamming"), so that the result stays inexact
// exactly when the input had bits below the new position.
func shr128Jam(hi, lo uint64, n uint) (uint64, uint64) {
	switch {
	case n == 0:
		return hi, lo
	case n < 64:
		sticky := lo << (64 - n)
		lo = hi<<(64-n) | lo>>n
		hi >>= n
		if sticky != 0 {
			lo |= 1
		}
		return hi, lo
	case n < 128:
		sticky := lo
		if n > 64 {
			sticky |= hi << (128 - n)
		}
		lo = hi >> (n - 64)
		if sticky != 0 {
			lo |= 1
		}
		return 0, lo
	}
	if hi|lo != 0 {
		return 0, 1
	}
	return 0, 0
}

// sqrt128 returns r = floor(sqrt(hi:lo)), whether the true root's next bit
// (weight 1/2) is set and whether the root is inexact. hi must be at least
// 1<<62 so that the root has its top bit set. Because the square of r+1/2 is
// never an integer, the next bit is set exactly when hi:lo - r*r > r.
func sqrt128(hi, lo uint64) (r uint64, half, inexact bool) {
	// Estimate with float64 (about 52 correct bits), then one Newton step
	// in residual form and a final exact correction.
	f := math.Sqrt(float64(hi)*0x1p64 + float64(lo))
	if f >= 0x1p64 {
		r = math.MaxUint64
	} else {
		r = uint64(f)
	}
	// residual = N - r*r, signed 128-bit.
	ph, pl := bits.Mul64(r, r)
	dl, b := bits.Sub64(lo, pl, 0)
	dh, _ := bits.Sub64(hi, ph, b)
	if int64(dh) >= 0 {
		// r += residual / (2r)
		if dh < r {
			q, _ := bits.Div64(dh, dl, r)
			if r += q / 2; r < q/2 {
				r = math.MaxUint64 // the root of a 128-bit value fits in 64 bits
			}
		}
	} else {
		nl, c := bits.Sub64(0, dl, 0)
		nh, _ := bits.Sub64(0, dh, c)
		if nh < r {
			q, _ := bits.Div64(nh, nl, r)
			r -= (q + 1) / 2
		}
	}
	// Exact correction: make r*r <= N < (r+1)^2.
	for {
		ph, pl = bits.Mul64(r, r)
		if ph > hi || (ph == hi && pl > lo) {
			r--
			continue
		}
		break
	}
	for r != math.MaxUint64 {
		ph, pl = bits.Mul64(r+1, r+1)
		if ph < hi || (ph == hi && pl <= lo) {
			r++
			continue
		}
		break
	}
	ph, pl = bits.Mul64(r, r)
	dl, b = bits.Sub64(lo, pl, 0)
	dh, _ = bits.Sub64(hi, ph, b)
	// dh:dl < 2r+1 <= 2^65, so dh is 0 or 1.
	return r, dh != 0 || dl > r, dh|dl != 0
}
