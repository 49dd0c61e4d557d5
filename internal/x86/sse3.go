package x86

import "golang.org/x/arch/x86/x86asm"

// SSE3: alternating add/subtract, horizontal add/subtract, the duplicating
// moves and LDDQU (FISTTP is in x87.go). MONITOR and MWAIT are not
// implemented (CPUID does not announce them: leaf 1 ECX bit 3 is clear).

func init() {
	sseDef(x86asm.ADDSUBPS, opAddsubps)
	sseDef(x86asm.ADDSUBPD, opAddsubpd)
	sseDefAux(x86asm.HADDPS, fpAdd, opHorizPS)
	sseDefAux(x86asm.HSUBPS, fpSub, opHorizPS)
	sseDefAux(x86asm.HADDPD, fpAdd, opHorizPD)
	sseDefAux(x86asm.HSUBPD, fpSub, opHorizPD)
	sseDef(x86asm.MOVDDUP, opMovddup)
	sseDefAux(x86asm.MOVSHDUP, 1, opMovsdup)
	sseDefAux(x86asm.MOVSLDUP, 0, opMovsdup)
	sseDef(x86asm.LDDQU, opMovLoadU)
}

// opAddsubps subtracts in the even elements and adds in the odd ones.
func opAddsubps(c *CPU, in *Inst) {
	lo, hi := c.src128(in)
	d := &c.XMM[in.A[0].Reg]
	e := fenv{mx: c.MXCSR}
	var r [2]uint64
	for h, s := range [2]uint64{lo, hi} {
		r[h] = uint64(e.sub32(uint32(d[h]), uint32(s))) | uint64(e.add32(uint32(d[h]>>32), uint32(s>>32)))<<32
	}
	c.fpFlags(&e)
	*d = r
}

func opAddsubpd(c *CPU, in *Inst) {
	lo, hi := c.src128(in)
	d := &c.XMM[in.A[0].Reg]
	e := fenv{mx: c.MXCSR}
	r := [2]uint64{e.sub64(d[0], lo), e.add64(d[1], hi)}
	c.fpFlags(&e)
	*d = r
}

// opHorizPS is HADDPS/HSUBPS (Aux fpAdd or fpSub): the adjacent pairs of
// the destination give the low half, those of the source the high half.
func opHorizPS(c *CPU, in *Inst) {
	lo, hi := c.src128(in)
	d := &c.XMM[in.A[0].Reg]
	e := fenv{mx: c.MXCSR}
	var r [2]uint64
	for h, q := range [2]uint64{d[0], d[1]} {
		r[0] |= uint64(e.op32(in.Aux, uint32(q), uint32(q>>32))) << (32 * h)
	}
	for h, q := range [2]uint64{lo, hi} {
		r[1] |= uint64(e.op32(in.Aux, uint32(q), uint32(q>>32))) << (32 * h)
	}
	c.fpFlags(&e)
	*d = r
}

// opHorizPD is HADDPD/HSUBPD.
func opHorizPD(c *CPU, in *Inst) {
	lo, hi := c.src128(in)
	d := &c.XMM[in.A[0].Reg]
	e := fenv{mx: c.MXCSR}
	r := [2]uint64{e.op64(in.Aux, d[0], d[1]), e.op64(in.Aux, lo, hi)}
	c.fpFlags(&e)
	*d = r
}

// opMovddup copies the low quadword (of a register, or an unaligned m64)
// to both halves.
func opMovddup(c *CPU, in *Inst) {
	v := c.src64(in, 1)
	c.XMM[in.A[0].Reg] = [2]uint64{v, v}
}

// opMovsdup is MOVSHDUP (Aux 1: the odd elements) and MOVSLDUP (Aux 0:
// the even ones), each copied to its pair.
func opMovsdup(c *CPU, in *Inst) {
	lo, hi := c.src128(in)
	var r [2]uint64
	for h, q := range [2]uint64{lo, hi} {
		v := q >> (32 * uint(in.Aux)) & 0xffffffff
		r[h] = v | v<<32
	}
	c.XMM[in.A[0].Reg] = r
}
