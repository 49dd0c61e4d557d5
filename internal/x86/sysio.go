package x86

import "golang.org/x/arch/x86/x86asm"

// Port I/O in system mode: IN and OUT with an immediate port or DX, and the
// string forms INS and OUTS with or without REP, of 1, 2 or 4 bytes, on the
// board's port bus (Priv.IO; without one, reads return all ones and writes
// are dropped). They are allowed when CPL <= IOPL; otherwise #GP(0): the
// I/O permission bitmap of the TSS is not consulted (Linux gives user
// processes port access through ioperm only, which gemu-system does not
// support). In user mode every form raises #GP, as before system mode.

// ioAllowed raises #GP(0) unless the CPU may access ports (CPL <= IOPL).
func (c *CPU) ioAllowed(in *Inst) {
	if c.Priv == nil || c.CPL > c.IOPL() {
		opPrivileged(c, in)
	}
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
	c.ioAllowed(in)
	size := int(in.A[0].Size)
	c.setRegN(RAX, size, uint64(c.portIn(c.ioPort(in, 1), size)))
}

// opOut is OUT imm8 or DX, AL/AX/EAX.
func opOut(c *CPU, in *Inst) {
	c.ioAllowed(in)
	size := int(in.A[1].Size)
	c.portOut(c.ioPort(in, 0), size, uint32(c.R[RAX]))
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
	c.ioAllowed(in)
	n := int(in.OSize)
	port := uint16(c.R[RDX])
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
	c.ioAllowed(in)
	n := int(in.OSize)
	port := uint16(c.R[RDX])
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
