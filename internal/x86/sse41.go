package x86

import (
	"encoding/binary"
	"math"

	"golang.org/x/arch/x86/x86asm"
)

// SSE4.1: integer min/max/multiply/pack/compare additions, zero and sign
// extension (PMOVZX/PMOVSX), blends, inserts and extracts, PTEST, MPSADBW,
// PHMINPOSUW, MOVNTDQA, and the floating-point ROUND, DPPS/DPPD, INSERTPS
// and EXTRACTPS. XMM forms only. The lane-wise operations use the vec
// shape of ssse3.go.

func init() {
	vecDef(x86asm.PMINSB, func(d, s vec, n int, _ uint8) vec {
		return bytesOp(d, s, n, func(a, b uint8) uint8 { return uint8(min(int8(a), int8(b))) })
	}, false)
	vecDef(x86asm.PMAXSB, func(d, s vec, n int, _ uint8) vec {
		return bytesOp(d, s, n, func(a, b uint8) uint8 { return uint8(max(int8(a), int8(b))) })
	}, false)
	vecDef(x86asm.PMINUW, func(d, s vec, n int, _ uint8) vec {
		return wordsOp(d, s, n, func(a, b uint16) uint16 { return min(a, b) })
	}, false)
	vecDef(x86asm.PMAXUW, func(d, s vec, n int, _ uint8) vec {
		return wordsOp(d, s, n, func(a, b uint16) uint16 { return max(a, b) })
	}, false)
	vecDef(x86asm.PMINUD, func(d, s vec, n int, _ uint8) vec {
		return dwordsOp(d, s, n, func(a, b uint32) uint32 { return min(a, b) })
	}, false)
	vecDef(x86asm.PMAXUD, func(d, s vec, n int, _ uint8) vec {
		return dwordsOp(d, s, n, func(a, b uint32) uint32 { return max(a, b) })
	}, false)
	vecDef(x86asm.PMINSD, func(d, s vec, n int, _ uint8) vec {
		return dwordsOp(d, s, n, func(a, b uint32) uint32 { return uint32(min(int32(a), int32(b))) })
	}, false)
	vecDef(x86asm.PMAXSD, func(d, s vec, n int, _ uint8) vec {
		return dwordsOp(d, s, n, func(a, b uint32) uint32 { return uint32(max(int32(a), int32(b))) })
	}, false)
	vecDef(x86asm.PMULLD, func(d, s vec, n int, _ uint8) vec {
		return dwordsOp(d, s, n, func(a, b uint32) uint32 { return a * b })
	}, false)
	vecDef(x86asm.PBLENDW, func(d, s vec, _ int, imm uint8) vec { return blendImm(d, s, imm, 2) }, false)
	vecDef(x86asm.BLENDPS, func(d, s vec, _ int, imm uint8) vec { return blendImm(d, s, imm, 4) }, false)
	vecDef(x86asm.BLENDPD, func(d, s vec, _ int, imm uint8) vec { return blendImm(d, s, imm, 8) }, false)
	vecDef(x86asm.PACKUSDW, func(d, s vec, n int, _ uint8) (r vec) {
		for i := 0; i < 4; i++ {
			r.setW(i, satU16(int(int32(d.d(i)))))
			r.setW(4+i, satU16(int(int32(s.d(i)))))
		}
		return r
	}, false)
	vecDef(x86asm.MPSADBW, mpsadbw, false)
	vecDef(x86asm.PHMINPOSUW, func(_, s vec, n int, _ uint8) (r vec) {
		m, at := s.w(0), 0
		for i := 1; i < 8; i++ {
			if w := s.w(i); w < m {
				m, at = w, i
			}
		}
		r.setW(0, m)
		r.setW(1, uint16(at))
		return r
	}, false)
	sseDef(x86asm.PMULDQ, opPmuldq)
	sseDef(x86asm.PCMPEQQ, opPcmpeqq)
	sseDef(x86asm.PTEST, opPtest)
	sseDef(x86asm.MOVNTDQA, opMovLoadA)

	for op, k := range map[x86asm.Op]uint8{
		x86asm.PMOVZXBW: 0x12, x86asm.PMOVZXBD: 0x14, x86asm.PMOVZXBQ: 0x18,
		x86asm.PMOVZXWD: 0x24, x86asm.PMOVZXWQ: 0x28, x86asm.PMOVZXDQ: 0x48,
		x86asm.PMOVSXBW: 0x92, x86asm.PMOVSXBD: 0x94, x86asm.PMOVSXBQ: 0x98,
		x86asm.PMOVSXWD: 0xa4, x86asm.PMOVSXWQ: 0xa8, x86asm.PMOVSXDQ: 0xc8,
	} {
		sseDefAux(op, k, opPmovx)
	}

	sseDefAux(x86asm.PBLENDVB, 1, opBlendv)
	sseDefAux(x86asm.BLENDVPS, 4, opBlendv)
	sseDefAux(x86asm.BLENDVPD, 8, opBlendv)

	sseDefAux(x86asm.PINSRB, 1, opPinsr)
	sseDefAux(x86asm.PINSRD, 4, opPinsr)
	sseDefAux(x86asm.PINSRQ, 8, opPinsr)
	sseDefAux(x86asm.PEXTRB, 1, opPextr)
	sseDefAux(x86asm.PEXTRD, 4, opPextr)
	sseDefAux(x86asm.PEXTRQ, 8, opPextr)
	sseDefAux(x86asm.EXTRACTPS, 4, opPextr)
	sseDef(x86asm.INSERTPS, opInsertps)

	sseDefAux(x86asm.ROUNDSS, 0, opRound)
	sseDefAux(x86asm.ROUNDPS, 1, opRound)
	sseDefAux(x86asm.ROUNDSD, 2, opRound)
	sseDefAux(x86asm.ROUNDPD, 3, opRound)
	sseDef(x86asm.DPPS, opDpps)
	sseDef(x86asm.DPPD, opDppd)
}

// mpsadbw: eight sums of absolute differences between a 4-byte block of
// the source (selected by imm[1:0]) and the destination's bytes starting
// at offsets 0..7 from imm[2]*4.
func mpsadbw(d, s vec, _ int, imm uint8) (r vec) {
	do, so := int(imm>>2&1)*4, int(imm&3)*4
	for i := 0; i < 8; i++ {
		var sum uint16
		for j := 0; j < 4; j++ {
			a, b := int(d[do+i+j]), int(s[so+j])
			if a < b {
				a, b = b, a
			}
			sum += uint16(a - b)
		}
		r.setW(i, sum)
	}
	return r
}

// opPmuldq multiplies the signed low doublewords of each quadword into
// signed quadwords.
func opPmuldq(c *CPU, in *Inst) {
	lo, hi := c.src128(in)
	d := &c.XMM[in.A[0].Reg]
	d[0] = uint64(int64(int32(d[0])) * int64(int32(lo)))
	d[1] = uint64(int64(int32(d[1])) * int64(int32(hi)))
}

func opPcmpeqq(c *CPU, in *Inst) {
	lo, hi := c.src128(in)
	d := &c.XMM[in.A[0].Reg]
	d[0], d[1] = cmpMask(d[0] == lo), cmpMask(d[1] == hi)
}

// opPtest sets ZF if dest AND source is zero and CF if (NOT dest) AND
// source is zero; AF, OF, PF and SF are cleared.
func opPtest(c *CPU, in *Inst) {
	lo, hi := c.src128(in)
	d := &c.XMM[in.A[0].Reg]
	var f uint64
	if d[0]&lo|d[1]&hi == 0 {
		f |= FlagZF
	}
	if ^d[0]&lo|^d[1]&hi == 0 {
		f |= FlagCF
	}
	c.SetFlags(f, StatusFlags)
}

// opPmovx is PMOVZX/PMOVSX: Aux holds the sign (bit 7), the source element
// size (bits 4-6) and the destination element size (bits 0-3) in bytes.
// The source is the low part of an XMM register or a memory operand of
// just the bytes used, with no alignment requirement.
func opPmovx(c *CPU, in *Inst) {
	from, to := int(in.Aux>>4&7), int(in.Aux&15)
	signed := in.Aux&0x80 != 0
	var src uint64
	if o := &in.A[1]; o.Kind == KXMM {
		src = c.XMM[o.Reg][0]
	} else {
		src = c.Mem.LoadN(c.EA(in), 16/to*from)
	}
	var r vec
	for i := 0; i < 16/to; i++ {
		v := src >> (8 * from * i) & sizeMask[from]
		if signed {
			v = signExtend(v, uint8(from))
		}
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], v)
		copy(r[to*i:to*i+to], b[:to])
	}
	d := &c.XMM[in.A[0].Reg]
	d[0], d[1] = r.q()
}

// opBlendv is PBLENDVB, BLENDVPS and BLENDVPD: each element (Aux bytes) of
// the source replaces the destination's where the top bit of XMM0's
// corresponding element is set.
func opBlendv(c *CPU, in *Inst) {
	lo, hi := c.src128(in)
	d := &c.XMM[in.A[0].Reg]
	m := &c.XMM[0]
	for h, s := range [2]uint64{lo, hi} {
		var sel uint64
		switch in.Aux {
		case 1:
			sel = (m[h] & hi1s) >> 7 * 0xff
		case 4:
			sel = (m[h] & 0x8000000080000000) >> 31 * 0xffffffff
		default:
			sel = cmpMask(m[h]>>63 != 0)
		}
		d[h] = d[h]&^sel | s&sel
	}
}

// opPinsr inserts a byte, doubleword or quadword (Aux bytes) from a
// general register or memory at the element the immediate selects.
func opPinsr(c *CPU, in *Inst) {
	size := int(in.Aux)
	var v uint64
	if o := &in.A[1]; o.Kind == KReg {
		v = c.R[o.Reg] & sizeMask[size]
	} else {
		v = c.Mem.LoadN(c.EA(in), size)
	}
	i := int(in.Imm) & (16/size - 1)
	d := &c.XMM[in.A[0].Reg]
	r := toVec(d[0], d[1])
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], v)
	copy(r[size*i:size*i+size], b[:size])
	d[0], d[1] = r.q()
}

// opPextr extracts a byte, word, doubleword or quadword (Aux bytes) to a
// general register (zero-extended) or memory (just the element).
func opPextr(c *CPU, in *Inst) {
	size := int(in.Aux)
	i := int(in.Imm) & (16/size - 1)
	x := &c.XMM[in.A[1].Reg]
	v := x[i*size/8] >> (8 * (i * size % 8)) & sizeMask[size]
	if o := &in.A[0]; o.Kind == KReg {
		c.R[o.Reg] = v
		return
	}
	c.Mem.StoreN(c.EA(in), size, v)
}

// opInsertps copies one single (element imm[7:6] of a register source, or
// an m32) into element imm[5:4] of the destination, then zeroes the
// elements set in imm[3:0].
func opInsertps(c *CPU, in *Inst) {
	var v uint32
	if o := &in.A[1]; o.Kind == KXMM {
		x := toVec(c.XMM[o.Reg][0], c.XMM[o.Reg][1])
		v = x.d(int(in.Imm >> 6 & 3))
	} else {
		v = c.Mem.Load32(c.EA(in))
	}
	d := &c.XMM[in.A[0].Reg]
	r := toVec(d[0], d[1])
	r.setD(int(in.Imm>>4&3), v)
	for i := 0; i < 4; i++ {
		if in.Imm>>i&1 != 0 {
			r.setD(i, 0)
		}
	}
	d[0], d[1] = r.q()
}

// roundInt rounds x (format f) to an integer in mode rc. A signaling NaN
// raises IE and is quieted; an inexact result raises PE unless noPE.
// Denormals count as zeros under DAZ; no other exception is possible.
func (e *fenv) roundInt(f *fpFormat, x uint64, rc uint8, noPE bool) uint64 {
	v := e.unpack(f, x)
	switch v.cls {
	case fcSNaN:
		e.fl |= mxIE
		return x | f.quiet
	case fcQNaN, fcInf:
		return x
	case fcZero:
		return zeroBits(f, v.neg)
	}
	var y float64
	if f == &fpSingle {
		y = float64(math.Float32frombits(uint32(x)))
	} else {
		y = math.Float64frombits(x)
	}
	var r float64
	switch rc {
	case rcNearest:
		r = math.RoundToEven(y)
	case rcDown:
		r = math.Floor(y)
	case rcUp:
		r = math.Ceil(y)
	default:
		r = math.Trunc(y)
	}
	if r != y && !noPE {
		e.fl |= mxPE
	}
	if f == &fpSingle {
		return uint64(math.Float32bits(float32(r)))
	}
	return math.Float64bits(r)
}

// opRound is ROUNDSS (Aux 0), ROUNDPS (1), ROUNDSD (2) and ROUNDPD (3).
// imm[1:0] is the rounding mode unless imm[2] selects MXCSR.RC; imm[3]
// suppresses the precision exception. The scalar forms keep the
// destination's other elements.
func opRound(c *CPU, in *Inst) {
	e := fenv{mx: c.MXCSR}
	rc := uint8(in.Imm & 3)
	if in.Imm&4 != 0 {
		rc = e.rc()
	}
	noPE := in.Imm&8 != 0
	d := &c.XMM[in.A[0].Reg]
	switch in.Aux {
	case 0:
		r := e.roundInt(&fpSingle, uint64(c.src32(in, 1)), rc, noPE)
		c.fpFlags(&e)
		d[0] = d[0]&^0xffffffff | r
	case 2:
		r := e.roundInt(&fpDouble, c.src64(in, 1), rc, noPE)
		c.fpFlags(&e)
		d[0] = r
	case 1:
		lo, hi := c.src128(in)
		var r [2]uint64
		for h, q := range [2]uint64{lo, hi} {
			r[h] = e.roundInt(&fpSingle, q&0xffffffff, rc, noPE) |
				e.roundInt(&fpSingle, q>>32, rc, noPE)<<32
		}
		c.fpFlags(&e)
		*d = r
	default:
		lo, hi := c.src128(in)
		r := [2]uint64{e.roundInt(&fpDouble, lo, rc, noPE), e.roundInt(&fpDouble, hi, rc, noPE)}
		c.fpFlags(&e)
		*d = r
	}
}

// opDpps is the single-precision dot product: the products of the
// elements selected by imm[7:4] (the others are +0.0), summed as
// (p0+p1)+(p2+p3), each step rounded, into the elements imm[3:0] selects
// (the others become +0.0). The multiplies, the two first additions and the
// last one are three stages, as on hardware: a stage's flags are in MXCSR
// when a later stage traps.
func opDpps(c *CPU, in *Inst) {
	lo, hi := c.src128(in)
	d := &c.XMM[in.A[0].Reg]
	dv, sv := toVec(d[0], d[1]), toVec(lo, hi)
	var p [4]uint32
	e := fenv{mx: c.MXCSR}
	for i := 0; i < 4; i++ {
		if in.Imm>>(4+i)&1 != 0 {
			p[i] = e.mul32(dv.d(i), sv.d(i))
		}
	}
	c.fpFlags(&e)
	e = fenv{mx: c.MXCSR}
	s0, s1 := e.add32(p[0], p[1]), e.add32(p[2], p[3])
	c.fpFlags(&e)
	e = fenv{mx: c.MXCSR}
	sum := e.add32(s0, s1)
	c.fpFlags(&e)
	var r vec
	for i := 0; i < 4; i++ {
		if in.Imm>>i&1 != 0 {
			r.setD(i, sum)
		}
	}
	d[0], d[1] = r.q()
}

// opDppd is DPPD: the double-precision dot product of the two elements
// (imm[5:4] select the products, imm[1:0] the destination elements).
func opDppd(c *CPU, in *Inst) {
	lo, hi := c.src128(in)
	d := &c.XMM[in.A[0].Reg]
	e := fenv{mx: c.MXCSR}
	var p [2]uint64
	for i, s := range [2]uint64{lo, hi} {
		if in.Imm>>(4+i)&1 != 0 {
			p[i] = e.mul64(d[i], s)
		}
	}
	c.fpFlags(&e)
	e = fenv{mx: c.MXCSR}
	sum := e.add64(p[0], p[1])
	c.fpFlags(&e)
	var r [2]uint64
	for i := range r {
		if in.Imm>>i&1 != 0 {
			r[i] = sum
		}
	}
	*d = r
}

// blendImm is PBLENDW, BLENDPS and BLENDPD: lane i of size bytes comes
// from s where bit i of imm is set, from d elsewhere.
func blendImm(d, s vec, imm uint8, size int) vec {
	for i := 0; i < 16/size; i++ {
		if imm>>i&1 != 0 {
			copy(d[size*i:size*i+size], s[size*i:size*i+size])
		}
	}
	return d
}
