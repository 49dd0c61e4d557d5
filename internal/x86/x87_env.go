package x86

import (
	"encoding/binary"

	"gemu/internal/softfloat"
)

// x87 control instructions and the FPU state images: FNSTENV/FLDENV,
// FNSAVE/FRSTOR (32-bit protected-mode layout, and the 16-bit one with an
// operand-size prefix) and FXSAVE/FXRSTOR (with the 64-bit layout of
// FXSAVE64). The image functions are exported for the OS layer, which
// builds the same images in signal frames.

// env and state image sizes.
const (
	envSize32  = 28
	envSize16  = 14
	saveSize32 = envSize32 + 80
	saveSize16 = envSize16 + 80
	// FXSaveSize is the size of an FXSAVE image.
	FXSaveSize = 512
)

// putEnv writes the FNSTENV image (28 bytes, or 14 with o16) to b.
func (c *CPU) putEnv(b []byte, o16 bool) {
	x := &c.X87
	le := binary.LittleEndian
	cs, ds := x.FCS, x.FDS
	if o16 {
		le.PutUint16(b[0:], x.CW)
		le.PutUint16(b[2:], x.FullStatus())
		le.PutUint16(b[4:], x.FullTag())
		le.PutUint16(b[6:], uint16(x.FIP))
		le.PutUint16(b[8:], cs)
		le.PutUint16(b[10:], uint16(x.FDP))
		le.PutUint16(b[12:], ds)
		return
	}
	le.PutUint32(b[0:], 0xffff0000|uint32(x.CW))
	le.PutUint32(b[4:], 0xffff0000|uint32(x.FullStatus()))
	le.PutUint32(b[8:], 0xffff0000|uint32(x.FullTag()))
	le.PutUint32(b[12:], uint32(x.FIP))
	le.PutUint32(b[16:], uint32(cs)|uint32(x.FOP&0x7ff)<<16)
	le.PutUint32(b[20:], uint32(x.FDP))
	le.PutUint32(b[24:], 0xffff0000|uint32(ds))
}

// getEnv loads the FLDENV image from b.
func (c *CPU) getEnv(b []byte, o16 bool) {
	x := &c.X87
	le := binary.LittleEndian
	var cw, sw, tw uint16
	if o16 {
		cw, sw, tw = le.Uint16(b[0:]), le.Uint16(b[2:]), le.Uint16(b[4:])
		x.FIP = uint64(le.Uint16(b[6:]))
		x.FCS = le.Uint16(b[8:])
		x.FDP = uint64(le.Uint16(b[10:]))
		x.FDS = le.Uint16(b[12:])
		x.FOP = 0
	} else {
		cw, sw, tw = le.Uint16(b[0:]), le.Uint16(b[4:]), le.Uint16(b[8:])
		x.FIP = uint64(le.Uint32(b[12:]))
		x.FCS = le.Uint16(b[16:])
		x.FOP = le.Uint16(b[18:]) & 0x7ff
		x.FDP = uint64(le.Uint32(b[20:]))
		x.FDS = le.Uint16(b[24:])
	}
	x.setCW(cw)
	x.Top = uint8(sw>>11) & 7
	x.SW = sw &^ swTop
	for i := range x.Empty {
		x.Empty[i] = tw>>(2*i)&3 == 3
	}
	x.updateES()
}

// setCW loads the control word; the reserved bits read back as hardware
// returns them.
func (x *X87) setCW(v uint16) { x.CW = v&0x1f3f | 0x40 }

// X87Save writes the FNSAVE image of the x87 state to b (108 bytes, or 94
// with o16) without reinitializing the FPU: the environment followed by
// ST(0)..ST(7) as 80-bit values.
func (c *CPU) X87Save(b []byte, o16 bool) {
	c.putEnv(b, o16)
	n := envSize32
	if o16 {
		n = envSize16
	}
	x := &c.X87
	for i := range 8 {
		softfloat.F80(x.St[x.phys(uint8(i))]).Bytes(b[n+10*i:])
	}
}

// X87Restore loads the x87 state from an FNSAVE image in b (see X87Save).
func (c *CPU) X87Restore(b []byte, o16 bool) {
	c.getEnv(b, o16)
	n := envSize32
	if o16 {
		n = envSize16
	}
	x := &c.X87
	for i := range 8 {
		x.St[x.phys(uint8(i))] = F80(softfloat.FromBytes(b[n+10*i:]))
	}
}

// FXSave writes the FXSAVE image (512 bytes) of the x87, MXCSR and XMM
// state to b; rex selects the FXSAVE64 layout with 64-bit instruction and
// data pointers. The pointers and FOP are saved only while an unmasked
// exception is pending (ES), like the AMD processors gemu is checked
// against. Bytes 464..511 (and XMM8..15 outside 64-bit mode) are left
// alone; an x86-64 process's signal frames (rex, from the OS layer) hold
// XMM8..15 also when it was interrupted in compatibility mode.
func (c *CPU) FXSave(b []byte, rex bool) {
	_ = b[FXSaveSize-1]
	x := &c.X87
	le := binary.LittleEndian
	le.PutUint16(b[0:], x.CW)
	le.PutUint16(b[2:], x.FullStatus())
	var ftw byte
	for i, e := range x.Empty {
		if !e {
			ftw |= 1 << i
		}
	}
	b[4], b[5] = ftw, 0
	clear(b[6:24])
	if x.SW&swES != 0 {
		le.PutUint16(b[6:], x.FOP&0x7ff)
		if rex {
			le.PutUint64(b[8:], x.FIP)
			le.PutUint64(b[16:], x.FDP)
		} else {
			le.PutUint32(b[8:], uint32(x.FIP))
			le.PutUint16(b[12:], x.FCS)
			le.PutUint32(b[16:], uint32(x.FDP))
			le.PutUint16(b[20:], x.FDS)
		}
	}
	le.PutUint32(b[24:], c.MXCSR)
	le.PutUint32(b[28:], MXCSRMask)
	for i := range 8 {
		r := b[32+16*i : 48+16*i]
		softfloat.F80(x.St[x.phys(uint8(i))]).Bytes(r)
		clear(r[10:])
	}
	n := 8
	if c.Mode == 64 || rex && c.ProcMode == 64 {
		n = 16
	}
	for i := range n {
		le.PutUint64(b[160+16*i:], c.XMM[i][0])
		le.PutUint64(b[168+16*i:], c.XMM[i][1])
	}
}

// FXRestore loads the state from an FXSAVE image (see FXSave). It refuses
// an image whose MXCSR has unsupported bits set, as FXRSTOR does with #GP,
// and then changes nothing.
func (c *CPU) FXRestore(b []byte, rex bool) bool {
	_ = b[FXSaveSize-1]
	le := binary.LittleEndian
	mxcsr := le.Uint32(b[24:])
	if mxcsr&^MXCSRMask != 0 {
		return false
	}
	x := &c.X87
	x.setCW(le.Uint16(b[0:]))
	sw := le.Uint16(b[2:])
	x.Top = uint8(sw>>11) & 7
	x.SW = sw &^ swTop
	for i := range x.Empty {
		x.Empty[i] = b[4]>>i&1 == 0
	}
	x.FOP = le.Uint16(b[6:]) & 0x7ff
	if rex {
		x.FIP = le.Uint64(b[8:])
		x.FDP = le.Uint64(b[16:])
		x.FCS, x.FDS = 0, 0
	} else {
		x.FIP = uint64(le.Uint32(b[8:]))
		x.FCS = le.Uint16(b[12:])
		x.FDP = uint64(le.Uint32(b[16:]))
		x.FDS = le.Uint16(b[20:])
	}
	x.updateES()
	c.MXCSR = mxcsr
	for i := range 8 {
		x.St[x.phys(uint8(i))] = F80(softfloat.FromBytes(b[32+16*i:]))
	}
	n := 8
	if c.Mode == 64 || rex && c.ProcMode == 64 {
		n = 16
	}
	for i := range n {
		c.XMM[i][0] = le.Uint64(b[160+16*i:])
		c.XMM[i][1] = le.Uint64(b[168+16*i:])
	}
	return true
}

// fninit puts the FPU in its initial state.
func (x *X87) fninit() {
	x.reset()
	x.FIP, x.FDP, x.FOP, x.FCS, x.FDS = 0, 0, 0, 0, 0
}

func opFninit(c *CPU, in *Inst) { c.X87.fninit() }

// opFnclex clears the exception flags, SF, ES and B.
func opFnclex(c *CPU, in *Inst) { c.X87.SW &^= swExc | swSF | swES | swB }

func opFwait(c *CPU, in *Inst) { c.fpWait() }

func opFnop(c *CPU, in *Inst) {
	c.fpWait()
	c.fpLast(in)
}

func opFldcw(c *CPU, in *Inst) {
	c.fpWait()
	x := &c.X87
	x.setCW(c.Mem.Load16(c.EA(in)))
	x.updateES()
}

func opFnstcw(c *CPU, in *Inst) { c.Mem.Store16(c.EA(in), c.X87.CW) }

// opFnstsw stores the status word to m16 or AX.
func opFnstsw(c *CPU, in *Inst) {
	sw := c.X87.FullStatus()
	if in.A[0].Kind == KMem {
		c.Mem.Store16(c.EA(in), sw)
		return
	}
	c.setReg(&in.A[0], uint64(sw))
}

// fpImageSize returns the size of an FNSTENV (env) or FNSAVE image for the
// instruction's operand size.
func fpImageSize(in *Inst, save bool) (int, bool) {
	o16 := in.OSize == 2
	switch {
	case save && o16:
		return saveSize16, o16
	case save:
		return saveSize32, o16
	case o16:
		return envSize16, o16
	}
	return envSize32, o16
}

// opFnstenv stores the environment, then masks all exceptions (which
// clears ES and B).
func opFnstenv(c *CPU, in *Inst) {
	var b [envSize32]byte
	n, o16 := fpImageSize(in, false)
	c.putEnv(b[:], o16)
	c.Mem.StoreBytes(c.EA(in), b[:n])
	c.X87.CW |= swExc
	c.X87.updateES()
}

func opFldenv(c *CPU, in *Inst) {
	c.fpWait()
	var b [envSize32]byte
	n, o16 := fpImageSize(in, false)
	c.Mem.LoadBytes(c.EA(in), b[:n])
	c.getEnv(b[:], o16)
}

// opFnsave stores the whole x87 state, then reinitializes the FPU.
func opFnsave(c *CPU, in *Inst) {
	var b [saveSize32]byte
	n, o16 := fpImageSize(in, true)
	c.X87Save(b[:], o16)
	c.Mem.StoreBytes(c.EA(in), b[:n])
	c.X87.fninit()
}

func opFrstor(c *CPU, in *Inst) {
	c.fpWait()
	var b [saveSize32]byte
	n, o16 := fpImageSize(in, true)
	c.Mem.LoadBytes(c.EA(in), b[:n])
	c.X87Restore(b[:], o16)
}

// opFxsave is FXSAVE and FXSAVE64 m512byte (16-byte aligned).
func opFxsave(c *CPU, in *Inst) {
	a := c.EA(in)
	if a&15 != 0 {
		panic(&Trap{Kind: TrapGP})
	}
	var b [FXSaveSize]byte
	c.Mem.LoadBytes(a, b[:])
	c.FXSave(b[:], in.OSize == 8)
	c.Mem.StoreBytes(a, b[:])
}

// opFxrstor is FXRSTOR and FXRSTOR64 m512byte.
func opFxrstor(c *CPU, in *Inst) {
	a := c.EA(in)
	if a&15 != 0 {
		panic(&Trap{Kind: TrapGP})
	}
	var b [FXSaveSize]byte
	c.Mem.LoadBytes(a, b[:])
	if !c.FXRestore(b[:], in.OSize == 8) {
		panic(&Trap{Kind: TrapGP})
	}
}
