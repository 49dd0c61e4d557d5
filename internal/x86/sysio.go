package x86

import "golang.org/x/arch/x86/x86asm"

// Port I/O in system mode: IN and OUT with an immediate port or DX, and the
// string forms INS and OUTS with or without REP, of 1, 2 or 4 bytes, on the
// board's port bus (Priv.IO; without one, reads return all ones and writes
// are dropped). They are allowed when CPL <= IOPL, otherwise only if the
// I/O permission bitmap of the current TSS clears every port accessed
// (SDM vol. 1, 19.5: Linux's ioperm); #GP(0) if not. In user mode every
// form raises #GP, as before system mode.

// ioAllowed raises #GP(0) unless the CPU may access size bytes of ports
// from port: CPL <= IOPL, or the TSS's I/O bitmap allows them.
func (c *CPU) ioAllowed(in *Inst, port uint16, size int) {
	if c.Priv == nil || c.CPL > c.IOPL() && !c.ioBitmapAllows(port, size) {
		opPrivileged(c, in)
	}
}

// ioBitmapAllows reads the I/O permission bitmap of the task register's
// TSS (a 32-bit or 64-bit TSS: type 9 or 11): the 16-bit offset of the
// bitmap at TSS offset 0x66, then the two bytes holding the ports' bits,
// which must lie within the TSS's limit; every bit must be clear.
func (c *CPU) ioBitmapAllows(port uint16, size int) bool {
	tr := &c.Priv.TR
	if t := tr.Attr & 0xf; tr.Attr&AttrP == 0 || t != 9 && t != 11 || tr.Limit < 0x67 {
		return false
	}
	m := c.linMask()
	off := c.supLoad((tr.Base+0x66)&m, 2) + uint64(port>>3)
	if off+1 > uint64(tr.Limit) {
		return false
	}
	bits := c.supLoad((tr.Base+off)&m, 2)
	return bits>>(port&7)&(1<<size-1) == 0
}

// ioPort returns the port operand i: an immediate byte or DX.
func (c *CPU) ioPort(in *Inst, i int) uint16 {
	if in.A[i].Kind == KImm {
		return uint16(in.Imm & 0xff)
	}
	return uint16(c.R[RDX])
}

// portIn reads size bytes from port.
func (c *CPU) portIn(port uint16, size int) uint32 {
	if c.Priv.IO == nil {
		return uint32(sizeMask[size])
	}
	return c.Priv.IO.In(port, size) & uint32(sizeMask[size])
}

// portOut writes size bytes to port.
func (c *CPU) portOut(port uint16, size int, v uint32) {
	if c.Priv.IO != nil {
		c.Priv.IO.Out(port, size, v&uint32(sizeMask[size]))
	}
}

// opIn is IN AL/AX/EAX, imm8 or DX.
func opIn(c *CPU, in *Inst) {
	size := int(in.A[0].Size)
	port := c.ioPort(in, 1)
	c.ioAllowed(in, port, size)
	c.setRegN(RAX, size, uint64(c.portIn(port, size)))
}

// opOut is OUT imm8 or DX, AL/AX/EAX.
func opOut(c *CPU, in *Inst) {
	size := int(in.A[1].Size)
	port := c.ioPort(in, 0)
	c.ioAllowed(in, port, size)
	c.portOut(port, size, uint32(c.R[RAX]))
}

// ioCount returns how many elements a string I/O instruction moves: rCX
// (by the address size) with REP, else 1.
func (c *CPU) ioCount(in *Inst) uint64 {
	if in.Rep == RepNone {
		return 1
	}
	return c.counter(in)
}

// opIns is INSB/INSW/INSD: ES:rDI = port DX, rDI stepped by DF; with REP
// rCX times. Registers are updated after each element, so a fault on the
// store leaves the elements done so far (the value read from the port for
// the faulting element is lost: the store is not probed first).
func opIns(c *CPU, in *Inst) {
	n := int(in.OSize)
	port := uint16(c.R[RDX])
	c.ioAllowed(in, port, n)
	d := c.strStep(in)
	am := sizeMask[in.ASize]
	asz := int(in.ASize)
	for k := c.ioCount(in); k > 0; k-- {
		di := c.R[RDI] & am
		v := c.portIn(port, n)
		c.Mem.StoreN(di&c.AddrMask, n, uint64(v))
		c.setRegN(RDI, asz, di+d)
		if in.Rep != RepNone {
			c.setRegN(RCX, asz, k-1)
		}
	}
}

// opOuts is OUTSB/OUTSW/OUTSD: port DX = DS:rSI (FS or GS with an
// override), rSI stepped by DF; with REP rCX times.
func opOuts(c *CPU, in *Inst) {
	n := int(in.OSize)
	port := uint16(c.R[RDX])
	c.ioAllowed(in, port, n)
	d := c.strStep(in)
	am := sizeMask[in.ASize]
	asz := int(in.ASize)
	for k := c.ioCount(in); k > 0; k-- {
		si := c.R[RSI] & am
		v := c.Mem.LoadN(c.srcAddr(in, si), n)
		c.portOut(port, n, uint32(v))
		c.setRegN(RSI, asz, si+d)
		if in.Rep != RepNone {
			c.setRegN(RCX, asz, k-1)
		}
	}
}

// buildStringIO sets the element size of INS/OUTS from the opcode and, for
// OUTS, takes the source segment from the prefixes as the string
// instructions do.
func buildStringIO(size uint8, outs bool) func(in *Inst) Handler {
	return func(in *Inst) Handler {
		in.OSize = size
		if outs {
			in.Seg = segOverride(in)
		}
		return nil
	}
}

func init() {
	for i, op := range []x86asm.Op{x86asm.INSB, x86asm.INSW, x86asm.INSD} {
		defBuild(op, buildStringIO(1<<i, false))
	}
	for i, op := range []x86asm.Op{x86asm.OUTSB, x86asm.OUTSW, x86asm.OUTSD} {
		defBuild(op, buildStringIO(1<<i, true))
	}
}
