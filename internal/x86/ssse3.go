package x86

import (
	"encoding/binary"

	"golang.org/x/arch/x86/x86asm"
)

// SSSE3: byte shuffles, absolute values, horizontal add/subtract, the
// multiply-add and rounding multiply, sign transfer and byte alignment,
// each in an XMM (66-prefixed) and an MMX form.
//
// Several of these mix lanes across the 64-bit halves (PSHUFB, PALIGNR, the
// horizontal operations), so they are written over a register image in
// memory order (vec) and a width n, 16 bytes for XMM and 8 for MMX: one
// function serves both forms. SSE4.1 (sse41.go) reuses the same shape.

// vec is a SIMD register image in memory (little-endian) order: an XMM
// register, or an MMX register in its first 8 bytes.
type vec [16]byte

func toVec(lo, hi uint64) (v vec) {
	binary.LittleEndian.PutUint64(v[:8], lo)
	binary.LittleEndian.PutUint64(v[8:], hi)
	return v
}

func (v *vec) q() (lo, hi uint64) {
	return binary.LittleEndian.Uint64(v[:8]), binary.LittleEndian.Uint64(v[8:])
}

func (v *vec) w(i int) uint16 { return binary.LittleEndian.Uint16(v[2*i:]) }
func (v *vec) d(i int) uint32 { return binary.LittleEndian.Uint32(v[4*i:]) }
func (v *vec) setW(i int, x uint16) {
	binary.LittleEndian.PutUint16(v[2*i:], x)
}
func (v *vec) setD(i int, x uint32) {
	binary.LittleEndian.PutUint32(v[4*i:], x)
}

// vop computes a SIMD result from the destination d and source s over n
// bytes (16 or 8) with the instruction's immediate. Values are passed by
// value so that the call through vops allocates nothing.
type vop func(d, s vec, n int, imm uint8) vec

// vops holds the operations, indexed by Inst.Aux.
var vops []vop

// vecDef registers f as the XMM form of op and, with mmx set, as its MMX
// form too.
func vecDef(op x86asm.Op, f vop, mmx bool) {
	aux := uint8(len(vops))
	vops = append(vops, f)
	sseBuild(op, func(in *Inst) Handler {
		in.Aux = aux
		return opVecX
	})
	if mmx {
		mmxBuilders[op] = func(in *Inst) Handler {
			in.Aux = aux
			return opVecM
		}
	}
}

// opVecX is the XMM form: xmm = vops[Aux](xmm, xmm/m128).
func opVecX(c *CPU, in *Inst) {
	lo, hi := c.src128(in)
	d := &c.XMM[in.A[0].Reg]
	r := vops[in.Aux](toVec(d[0], d[1]), toVec(lo, hi), 16, uint8(in.Imm))
	d[0], d[1] = r.q()
}

// opVecM is the MMX form: mm = vops[Aux](mm, mm/m64).
func opVecM(c *CPU, in *Inst) {
	c.fpWait()
	s := c.mmxSrc(in, 1)
	reg := in.A[0].Reg
	r := vops[in.Aux](toVec(c.mmx(reg), 0), toVec(s, 0), 8, uint8(in.Imm))
	lo, _ := r.q()
	c.setMMX(reg, lo)
}

func init() {
	vecDef(x86asm.PSHUFB, pshufb, true)
	vecDef(x86asm.PALIGNR, palignr, true)
	vecDef(x86asm.PABSB, func(_, s vec, n int, _ uint8) vec { return bytesOp(s, s, n, pabs[uint8]) }, true)
	vecDef(x86asm.PABSW, func(_, s vec, n int, _ uint8) vec { return wordsOp(s, s, n, pabs[uint16]) }, true)
	vecDef(x86asm.PABSD, func(_, s vec, n int, _ uint8) vec { return dwordsOp(s, s, n, pabs[uint32]) }, true)
	vecDef(x86asm.PSIGNB, func(d, s vec, n int, _ uint8) vec { return bytesOp(d, s, n, psign[uint8]) }, true)
	vecDef(x86asm.PSIGNW, func(d, s vec, n int, _ uint8) vec { return wordsOp(d, s, n, psign[uint16]) }, true)
	vecDef(x86asm.PSIGND, func(d, s vec, n int, _ uint8) vec { return dwordsOp(d, s, n, psign[uint32]) }, true)
	vecDef(x86asm.PHADDW, horizW(func(a, b uint16) uint16 { return a + b }), true)
	vecDef(x86asm.PHSUBW, horizW(func(a, b uint16) uint16 { return a - b }), true)
	vecDef(x86asm.PHADDSW, horizW(func(a, b uint16) uint16 { return satS16(int(int16(a)) + int(int16(b))) }), true)
	vecDef(x86asm.PHSUBSW, horizW(func(a, b uint16) uint16 { return satS16(int(int16(a)) - int(int16(b))) }), true)
	vecDef(x86asm.PHADDD, horizD(func(a, b uint32) uint32 { return a + b }), true)
	vecDef(x86asm.PHSUBD, horizD(func(a, b uint32) uint32 { return a - b }), true)
	vecDef(x86asm.PMADDUBSW, pmaddubsw, true)
	vecDef(x86asm.PMULHRSW, func(d, s vec, n int, _ uint8) vec {
		return wordsOp(d, s, n, func(a, b uint16) uint16 {
			return uint16((int32(int16(a))*int32(int16(b))>>14 + 1) >> 1)
		})
	}, true)
}

// bytesOp, wordsOp and dwordsOp apply f to each lane of d and s.
func bytesOp(d, s vec, n int, f func(a, b uint8) uint8) (r vec) {
	for i := 0; i < n; i++ {
		r[i] = f(d[i], s[i])
	}
	return r
}

func wordsOp(d, s vec, n int, f func(a, b uint16) uint16) (r vec) {
	for i := 0; i < n/2; i++ {
		r.setW(i, f(d.w(i), s.w(i)))
	}
	return r
}

func dwordsOp(d, s vec, n int, f func(a, b uint32) uint32) (r vec) {
	for i := 0; i < n/4; i++ {
		r.setD(i, f(d.d(i), s.d(i)))
	}
	return r
}

// lane is an unsigned SIMD lane of 8, 16 or 32 bits.
type lane interface{ uint8 | uint16 | uint32 }

// negative reports whether lane value v has its sign bit set.
func negative[T lane](v T) bool { return v&(^T(0)>>1+1) != 0 }

// pabs is PABS on one lane: b's absolute value (a is unused).
func pabs[T lane](_, b T) T {
	if negative(b) {
		return -b
	}
	return b
}

// psign is PSIGN on one lane: a negated where b is negative, zero where b
// is zero.
func psign[T lane](a, b T) T {
	switch {
	case negative(b):
		return -a
	case b == 0:
		return 0
	}
	return a
}

// pshufb selects bytes of d by the indexes in s; an index with its top
// bit set gives zero.
func pshufb(d, s vec, n int, _ uint8) (r vec) {
	for i := 0; i < n; i++ {
		if s[i]&0x80 == 0 {
			r[i] = d[int(s[i])&(n-1)]
		}
	}
	return r
}

// palignr shifts the concatenation d:s (d the high part) right by imm
// bytes and keeps the low n bytes; bytes beyond the pair are zero.
func palignr(d, s vec, n int, imm uint8) (r vec) {
	for i := 0; i < n; i++ {
		switch k := int(imm) + i; {
		case k < n:
			r[i] = s[k]
		case k < 2*n:
			r[i] = d[k-n]
		}
	}
	return r
}

// horizW combines adjacent word pairs: the pairs of d fill the low half of
// the result, the pairs of s the high half.
func horizW(f func(a, b uint16) uint16) vop {
	return func(d, s vec, n int, _ uint8) (r vec) {
		h := n / 4
		for i := 0; i < h; i++ {
			r.setW(i, f(d.w(2*i), d.w(2*i+1)))
			r.setW(h+i, f(s.w(2*i), s.w(2*i+1)))
		}
		return r
	}
}

// horizD is horizW for doublewords.
func horizD(f func(a, b uint32) uint32) vop {
	return func(d, s vec, n int, _ uint8) (r vec) {
		h := n / 8
		for i := 0; i < h; i++ {
			r.setD(i, f(d.d(2*i), d.d(2*i+1)))
			r.setD(h+i, f(s.d(2*i), s.d(2*i+1)))
		}
		return r
	}
}

// pmaddubsw multiplies the unsigned bytes of d by the signed bytes of s
// and adds adjacent products into signed-saturated words.
func pmaddubsw(d, s vec, n int, _ uint8) (r vec) {
	for i := 0; i < n/2; i++ {
		p := int(d[2*i])*int(int8(s[2*i])) + int(d[2*i+1])*int(int8(s[2*i+1]))
		r.setW(i, satS16(p))
	}
	return r
}
