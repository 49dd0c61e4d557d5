package x86

import (
	"gemu/internal/mem"

	"golang.org/x/arch/x86/x86asm"
)

// String instructions: MOVS, STOS, LODS, CMPS and SCAS in every element
// size, with or without REP/REPE/REPNE, in both directions, with 16, 32 or
// 64-bit addressing. The source (DS:rSI) may take an FS or GS override;
// the destination is always ES:rDI, whose base is zero in user mode.
//
// A repeated instruction updates rCX, rSI and rDI after every element, so
// a fault leaves exactly the state of the elements done so far, and the
// engine restarts the instruction at its own address. The common forward
// REP MOVS and REP STOS copy page-sized chunks through a buffer instead of
// single elements; the chunking respects page boundaries (so faults stay
// precise) and the overlap semantics of an element-by-element copy.

// String operations, in Inst.Aux. The element size is in Inst.OSize.
const (
	strMovs uint8 = iota
	strStos
	strLods
	strCmps
	strScas
)

// strBulkMin is the byte count from which REP MOVS/STOS use the chunked
// path: below it the per-element loop is cheaper than setting up a buffer.
const strBulkMin = 64

// strBufSize is the chunk buffer, kept on the Go stack.
const strBufSize = 1024

// strStep is the signed element step, from DF and the element size.
func (c *CPU) strStep(in *Inst) uint64 {
	if c.DF() {
		return -uint64(in.OSize)
	}
	return uint64(in.OSize)
}

// srcAddr is the linear address of DS:rSI (or FS/GS:rSI).
func (c *CPU) srcAddr(in *Inst, si uint64) uint64 {
	if in.Seg >= 0 {
		si += c.SegBase[in.Seg]
	}
	return si & c.AddrMask
}

// stringOnce executes one element of the string operation with address
// mask am and step d. It updates rSI and rDI (and the flags, for CMPS and
// SCAS) only after the memory accesses succeed.
func (c *CPU) stringOnce(in *Inst, am, d uint64) {
	n := int(in.OSize)
	asz := int(in.ASize)
	switch in.Aux {
	case strMovs:
		si, di := c.R[RSI]&am, c.R[RDI]&am
		v := c.Mem.LoadN(c.srcAddr(in, si), n)
		c.Mem.StoreN(di&c.AddrMask, n, v)
		c.setRegN(RSI, asz, si+d)
		c.setRegN(RDI, asz, di+d)
	case strStos:
		di := c.R[RDI] & am
		c.Mem.StoreN(di&c.AddrMask, n, c.R[RAX])
		c.setRegN(RDI, asz, di+d)
	case strLods:
		si := c.R[RSI] & am
		v := c.Mem.LoadN(c.srcAddr(in, si), n)
		c.setRegN(RAX, n, v)
		c.setRegN(RSI, asz, si+d)
	case strCmps:
		si, di := c.R[RSI]&am, c.R[RDI]&am
		a := c.Mem.LoadN(c.srcAddr(in, si), n)
		b := c.Mem.LoadN(di&c.AddrMask, n)
		c.setRegN(RSI, asz, si+d)
		c.setRegN(RDI, asz, di+d)
		c.SetLazy(flagsSub, n, (a-b)&sizeMask[n], a, b)
	case strScas:
		di := c.R[RDI] & am
		a := c.R[RAX] & sizeMask[n]
		b := c.Mem.LoadN(di&c.AddrMask, n)
		c.setRegN(RDI, asz, di+d)
		c.SetLazy(flagsSub, n, (a-b)&sizeMask[n], a, b)
	}
}

// opString is a string instruction without a REP prefix.
func opString(c *CPU, in *Inst) {
	c.stringOnce(in, sizeMask[in.ASize], c.strStep(in))
}

// opStringRep is the generic repeated form: one element at a time until
// rCX reaches zero or, for CMPS/SCAS, the REPE/REPNE condition fails.
func opStringRep(c *CPU, in *Inst) {
	am := sizeMask[in.ASize]
	asz := int(in.ASize)
	d := c.strStep(in)
	cmp := in.Aux == strCmps || in.Aux == strScas
	for cnt := c.R[RCX] & am; cnt != 0; {
		c.stringOnce(in, am, d)
		cnt--
		c.setRegN(RCX, asz, cnt)
		if cmp && c.ZF() != (in.Rep == RepE) {
			return
		}
	}
}

// opRepMovs is REP MOVS. Forward copies of at least strBulkMin bytes go
// through chunks; everything else takes the element loop.
func opRepMovs(c *CPU, in *Inst) {
	am := sizeMask[in.ASize]
	n := uint64(in.OSize)
	cnt := c.R[RCX] & am
	if c.DF() || cnt*n < strBulkMin || cnt > am/n {
		opStringRep(c, in)
		return
	}
	asz := int(in.ASize)
	var buf [strBufSize]byte
	for cnt != 0 {
		si, di := c.R[RSI]&am, c.R[RDI]&am
		src, dst := c.srcAddr(in, si), di&c.AddrMask
		k := chunkElems(src, dst, si, di, am, n, cnt)
		// Elements of an overlapping forward copy must read what the
		// earlier ones wrote: with dst just above src, a chunk may not
		// reach past the distance between them.
		if dst > src && dst-src < k*n {
			k = (dst - src) / n
		}
		if k == 0 {
			// An element straddles a page boundary, or the copy
			// overlaps by less than an element.
			c.stringOnce(in, am, n)
			cnt--
			c.setRegN(RCX, asz, cnt)
			continue
		}
		b := buf[:k*n]
		c.Mem.LoadBytes(src, b)
		c.Mem.StoreBytes(dst, b)
		cnt -= k
		c.setRegN(RSI, asz, si+k*n)
		c.setRegN(RDI, asz, di+k*n)
		c.setRegN(RCX, asz, cnt)
	}
}

// chunkElems returns how many whole elements of n bytes can be moved at
// once: at most cnt, within one page of both src and dst, within the
// buffer, and without wrapping the address size.
func chunkElems(src, dst, si, di, am, n, cnt uint64) uint64 {
	room := uint64(strBufSize)
	room = min(room, mem.PageSize-src&mem.PageMask, mem.PageSize-dst&mem.PageMask)
	if am != ^uint64(0) {
		room = min(room, am-max(si, di)+1)
	}
	return min(cnt, room/n)
}

// opRepStos is REP STOS, storing the accumulator pattern page by page.
func opRepStos(c *CPU, in *Inst) {
	am := sizeMask[in.ASize]
	n := uint64(in.OSize)
	cnt := c.R[RCX] & am
	if c.DF() || cnt*n < strBulkMin || cnt > am/n {
		opStringRep(c, in)
		return
	}
	asz := int(in.ASize)
	var buf [strBufSize]byte
	v := c.R[RAX]
	fill := min(uint64(len(buf)), cnt*n)
	for i := uint64(0); i < fill; i++ {
		buf[i] = byte(v >> (8 * (i % n)))
	}
	for cnt != 0 {
		di := c.R[RDI] & am
		dst := di & c.AddrMask
		k := chunkElems(dst, dst, di, di, am, n, cnt)
		if k == 0 {
			c.stringOnce(in, am, n)
			cnt--
			c.setRegN(RCX, asz, cnt)
			continue
		}
		c.Mem.StoreBytes(dst, buf[:k*n])
		cnt -= k
		c.setRegN(RDI, asz, di+k*n)
		c.setRegN(RCX, asz, cnt)
	}
}

func buildString(kind uint8, size uint8) func(in *Inst) Handler {
	return func(in *Inst) Handler {
		in.Aux = kind
		in.OSize = size
		in.Seg = segOverride(in)
		if in.Rep == RepNone {
			return opString
		}
		switch kind {
		case strMovs:
			return opRepMovs
		case strStos:
			return opRepStos
		}
		return opStringRep
	}
}

func init() {
	for _, s := range []struct {
		op         x86asm.Op
		kind, size uint8
	}{
		{x86asm.MOVSB, strMovs, 1}, {x86asm.MOVSW, strMovs, 2}, {x86asm.MOVSD, strMovs, 4}, {x86asm.MOVSQ, strMovs, 8},
		{x86asm.STOSB, strStos, 1}, {x86asm.STOSW, strStos, 2}, {x86asm.STOSD, strStos, 4}, {x86asm.STOSQ, strStos, 8},
		{x86asm.LODSB, strLods, 1}, {x86asm.LODSW, strLods, 2}, {x86asm.LODSD, strLods, 4}, {x86asm.LODSQ, strLods, 8},
		{x86asm.CMPSB, strCmps, 1}, {x86asm.CMPSW, strCmps, 2}, {x86asm.CMPSD, strCmps, 4}, {x86asm.CMPSQ, strCmps, 8},
		{x86asm.SCASB, strScas, 1}, {x86asm.SCASW, strScas, 2}, {x86asm.SCASD, strScas, 4}, {x86asm.SCASQ, strScas, 8},
	} {
		def(s.op, opString)
		defBuild(s.op, buildString(s.kind, s.size))
	}
}
