package x86

// Generic operand access. Specialized handlers bypass these for the hot
// forms; everything else reads and writes operands through them.

// getReg reads a general register operand, zero-extended.
func (c *CPU) getReg(o *Operand) uint64 {
	v := c.R[o.Reg]
	if o.Hi {
		return (v >> 8) & 0xff
	}
	return v & sizeMask[o.Size]
}

// setReg writes a general register operand with x86-64 rules: 32-bit
// writes zero the upper half, 8 and 16-bit writes merge.
func (c *CPU) setReg(o *Operand, v uint64) {
	r := &c.R[o.Reg]
	switch o.Size {
	case 8:
		*r = v
	case 4:
		*r = v & 0xffffffff
	case 2:
		*r = *r&^0xffff | v&0xffff
	case 1:
		if o.Hi {
			*r = *r&^0xff00 | (v&0xff)<<8
		} else {
			*r = *r&^0xff | v&0xff
		}
	}
}

// SetReg32or64 writes a full-width register (mode width).
func (c *CPU) setRegN(r int, size int, v uint64) {
	switch size {
	case 8:
		c.R[r] = v
	case 4:
		c.R[r] = v & 0xffffffff
	case 2:
		c.R[r] = c.R[r]&^0xffff | v&0xffff
	case 1:
		c.R[r] = c.R[r]&^0xff | v&0xff
	}
}

// get reads operand i of in, zero-extended to 64 bits.
func (c *CPU) get(in *Inst, i int) uint64 {
	o := &in.A[i]
	switch o.Kind {
	case KReg:
		return c.getReg(o)
	case KMem:
		return c.Mem.LoadN(c.EA(in), int(o.Size))
	case KImm:
		return in.Imm & sizeMask[o.Size]
	case KSeg:
		return uint64(c.Seg[o.Reg])
	}
	panic(&Trap{Kind: TrapInvalidOp})
}

// put writes operand i of in.
func (c *CPU) put(in *Inst, i int, v uint64) {
	o := &in.A[i]
	switch o.Kind {
	case KReg:
		c.setReg(o, v)
		return
	case KMem:
		c.Mem.StoreN(c.EA(in), int(o.Size), v)
		return
	}
	panic(&Trap{Kind: TrapInvalidOp})
}

// rmw is a read-modify-write access to operand 0: it returns the value and
// the address (for memory) so the write does not recompute the address.
func (c *CPU) rmwGet(in *Inst) (v, addr uint64) {
	o := &in.A[0]
	if o.Kind == KMem {
		addr = c.EA(in)
		return c.Mem.LoadN(addr, int(o.Size)), addr
	}
	return c.getReg(o), 0
}

func (c *CPU) rmwPut(in *Inst, addr, v uint64) {
	o := &in.A[0]
	if o.Kind == KMem {
		c.Mem.StoreN(addr, int(o.Size), v)
		return
	}
	c.setReg(o, v)
}

// signExtend sign-extends the low size bytes of v.
func signExtend(v uint64, size uint8) uint64 {
	sh := 64 - 8*uint(size)
	return uint64(int64(v<<sh) >> sh)
}

// push pushes a value of size bytes on the stack.
func (c *CPU) push(v uint64, size int) {
	sp := (c.R[RSP] - uint64(size)) & c.AddrMask
	c.Mem.StoreN(sp, size, v)
	c.setRegN(RSP, c.Mode/8, sp)
}

// pop pops a value of size bytes.
func (c *CPU) pop(size int) uint64 {
	sp := c.R[RSP] & c.AddrMask
	v := c.Mem.LoadN(sp, size)
	c.setRegN(RSP, c.Mode/8, (sp+uint64(size))&c.AddrMask)
	return v
}

// Push pushes a mode-width value (used by the OS layer for signal frames).
func (c *CPU) Push(v uint64) { c.push(v, c.Mode/8) }
