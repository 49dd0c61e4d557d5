package linux

import (
	"encoding/binary"

	"gemu/internal/linux/abi"
	"gemu/internal/x86"
)

// Signal frames: the structures Linux pushes on the guest stack to run a
// signal handler, and reads back in sigreturn. The layouts are the
// kernel's: for x86-64 struct rt_sigframe (arch/x86/include/asm/sigframe.h)
// with a struct ucontext and struct sigcontext_64; for i386 (as an x86-64
// kernel builds them for a compat task) struct sigframe_ia32 for handlers
// without SA_SIGINFO and struct rt_sigframe_ia32 for those with it. The FPU
// state follows the frame in FXSAVE format (preceded on i386 by the legacy
// FNSAVE-format header of struct _fpstate_32), as a kernel does on a CPU
// without XSAVE, which is what gemu's CPUID reports.

// sigaction flags.
const (
	saSiginfo   = 0x00000004
	saOnstack   = 0x08000000
	saRestart   = 0x10000000
	saNodefer   = 0x40000000
	saResethand = 0x80000000
	saRestorer  = 0x04000000
)

// sigaltstack flags.
const (
	ssOnstack    = 1
	ssDisable    = 2
	ssAutodisarm = 1 << 31
)

// ucontext uc_flags bits: the sigcontext holds SS, and sigreturn restores
// it strictly (UC_FP_XSTATE, bit 0, is not set: there is no XSAVE area).
const (
	ucSigcontextSS    = 2
	ucStrictRestoreSS = 4
)

// x86-64 frame layout.
const (
	rt64Pretcode = 0
	rt64UC       = 8
	// struct ucontext
	uc64Flags    = 0
	uc64Link     = 8
	uc64Stack    = 16 // stack_t: ss_sp, ss_flags (int + pad), ss_size
	uc64Mcontext = 40 // struct sigcontext_64, 256 bytes
	uc64Sigmask  = 296
	uc64Size     = 304
	rt64Info     = rt64UC + uc64Size // siginfo, 128 bytes
	rt64Size     = rt64Info + siginfoSize

	// struct sigcontext_64 (offsets of the fields after the registers)
	sc64Flags   = 136
	sc64CS      = 144 // u16 cs, gs, fs, ss
	sc64GS      = 146
	sc64FS      = 148
	sc64SS      = 150
	sc64Err     = 152
	sc64Trapno  = 160
	sc64Oldmask = 168
	sc64CR2     = 176
	sc64Fpstate = 184
	sc64RIP     = 128
	sc64Size    = 256

	// redZone is the x86-64 ABI's area below RSP that a frame skips.
	redZone = 128
)

// sc64Reg gives the offset in struct sigcontext_64 of each general
// register, indexed by hardware register number: r8..r15 come first, then
// rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp.
var sc64Reg = [16]int{
	x86.RAX: 104, x86.RCX: 112, x86.RDX: 96, x86.RBX: 88,
	x86.RSP: 120, x86.RBP: 80, x86.RSI: 72, x86.RDI: 64,
	x86.R8: 0, x86.R9: 8, x86.R10: 16, x86.R11: 24,
	x86.R12: 32, x86.R13: 40, x86.R14: 48, x86.R15: 56,
}

// i386 frame layouts.
const (
	// struct sigcontext_32: 16-bit selectors padded to 32 bits.
	sc32GS        = 0
	sc32FS        = 4
	sc32ES        = 8
	sc32DS        = 12
	sc32Trapno    = 48
	sc32Err       = 52
	sc32EIP       = 56
	sc32CS        = 60
	sc32Flags     = 64
	sc32SPAtSig   = 68
	sc32SS        = 72
	sc32Fpstate   = 76
	sc32Oldmask   = 80
	sc32CR2       = 84
	sc32Size      = 88
	fpstate32Size = 624 // struct _fpstate_32 (legacy header + FXSAVE area)

	// struct sigframe_ia32 (handlers without SA_SIGINFO).
	sf32Pretcode  = 0
	sf32Sig       = 4
	sf32SC        = 8
	sf32Extramask = sf32SC + sc32Size + fpstate32Size // 720
	sf32Retcode   = sf32Extramask + 4                 // 724
	sf32Size      = sf32Retcode + 8                   // 732

	// struct rt_sigframe_ia32 (SA_SIGINFO handlers).
	rt32Pretcode = 0
	rt32Sig      = 4
	rt32Pinfo    = 8
	rt32Puc      = 12
	rt32Info     = 16
	rt32UC       = rt32Info + siginfoSize // 144
	uc32Flags    = 0
	uc32Link     = 4
	uc32Stack    = 8 // ss_sp, ss_flags, ss_size
	uc32Mcontext = 20
	uc32Sigmask  = uc32Mcontext + sc32Size // 108
	uc32Size     = uc32Sigmask + 8         // 116
	rt32Retcode  = rt32UC + uc32Size       // 260
	rt32Size     = rt32Retcode + 8         // 268

	// fsaveHeaderSize is the legacy FNSAVE-format part of struct
	// _fpstate_32 before the FXSAVE area: 108 bytes of struct
	// user_i387_ia32_struct, then status and magic (0: FXSR data follows).
	fsaveHeaderSize = 112
	fpStatus32      = 108
	fpMagic32       = 110

	// User segment selectors of a compat (i386) task.
	userCS32 = 0x23
	userDS   = 0x2b
	userCS64 = 0x33
)

// sc32Reg gives the offset in struct sigcontext_32 of each of the eight
// i386 general registers.
var sc32Reg = [8]int{
	x86.RAX: 44, x86.RCX: 40, x86.RDX: 36, x86.RBX: 32,
	x86.RSP: 28, x86.RBP: 24, x86.RSI: 20, x86.RDI: 16,
}

// FPU state in the frame.
const (
	fxAlign = 64 // the FXSAVE area is 64-byte aligned
	// swReserved is where FXSAVE leaves 48 bytes for software: the kernel
	// puts struct _fpx_sw_bytes there.
	swReserved     = 464
	fpXstateMagic1 = 0x46505853
	// fpUserSize is the size of the user FPU state: the FXSAVE image.
	fpUserSize = x86.FXSaveSize
	// fpXfeatures is the FP|SSE feature mask of the FXSAVE image.
	fpXfeatures = 3
	// fpXstateMagic2Size is the size of the magic word an XSAVE frame ends
	// with; the kernel counts it in extended_size even without XSAVE.
	fpXstateMagic2Size = 4
)

// retcode32 are the bytes of the "retcode" fields: sigreturn's "popl %eax;
// movl $119,%eax; int $0x80" and rt_sigreturn's "movl $173,%eax; int
// $0x80". Nothing executes them (the vDSO trampolines are used), but Linux
// still writes them as a marker for debuggers.
var (
	retcodeSigreturn32   = [8]byte{0x58, 0xb8, 119, 0, 0, 0, 0xcd, 0x80}
	retcodeRtSigreturn32 = [8]byte{0xb8, 173, 0, 0, 0, 0xcd, 0x80, 0}
)

// fixEflags are the EFLAGS bits sigreturn takes from the frame (the
// kernel's FIX_EFLAGS without RF, which gemu does not emulate).
const fixEflags = x86.FlagAC | x86.FlagOF | x86.FlagDF | x86.FlagTF | x86.FlagSF | x86.FlagZF |
	x86.FlagAF | x86.FlagPF | x86.FlagCF

// frameGeom is where a signal frame goes: the frame itself, its FPU state
// (the FXSAVE area is at fx; on i386 the legacy header is just below it).
type frameGeom struct {
	frame   uint64 // start of the frame (the new stack pointer)
	fpstate uint64 // what the sigcontext's fpstate points at
	fx      uint64 // the FXSAVE area
	end     uint64 // end of the FXSAVE area
}

// sigframeGeom computes the frame placement as the kernel's get_sigframe
// and fpu__alloc_mathframe do, for a frame of size bytes. It reports false
// if the frame would overflow the alternate signal stack it is on.
func (t *Thread) sigframeGeom(sp uint64, size uint64, sa *abi.Sigaction) (frameGeom, bool) {
	ia32 := t.w == 4
	nested := t.onSigStack(sp)
	entering := false
	if !ia32 {
		sp -= redZone
	}
	if sa.Flags&saOnstack != 0 && t.sasFlags(sp) == 0 {
		sp = t.altstack.sp + t.altstack.size
		entering = true
	}
	var g frameGeom
	g.fx = (sp - fpUserSize) &^ (fxAlign - 1)
	g.end = g.fx + fpUserSize
	g.fpstate = g.fx
	if ia32 {
		g.fpstate -= fsaveHeaderSize
		g.frame = ((g.fpstate-size+4)&^15 - 4) & 0xffffffff
	} else {
		g.frame = (g.fpstate-size)&^15 - 8
	}
	if (nested || entering) && !t.inSigStack(g.frame) {
		return g, false
	}
	return g, true
}

// fpInitImage is the FXSAVE image of the FPU's initial state (FNINIT
// control word, default MXCSR, registers zero), loaded when a handler
// starts, as Linux resets the FPU for it.
var fpInitImage = func() []byte {
	b := make([]byte, x86.FXSaveSize)
	binary.LittleEndian.PutUint16(b[0:], 0x037f)
	binary.LittleEndian.PutUint32(b[24:], 0x1f80)
	return b
}()

// resetFPU puts the FPU and SSE state in its initial state.
func resetFPU(c *x86.CPU) { c.FXRestore(fpInitImage, true) }

// putFPState writes the frame's FPU state into buf, which holds guest
// memory from g.fpstate to g.end: the FXSAVE image (in the 64-bit format
// an x86-64 kernel uses for every task) with the software-reserved bytes,
// and on i386 the legacy header converted from it (convert_from_fxsr).
func (t *Thread) putFPState(c *x86.CPU, buf []byte, g frameGeom) {
	le := binary.LittleEndian
	fx := buf[g.fx-g.fpstate:]
	c.FXSave(fx, true)
	if t.w == 4 {
		clear(fx[160+16*8 : 160+16*16]) // XMM8-15 do not exist for i386
	}
	sw := fx[swReserved : swReserved+48]
	clear(sw)
	le.PutUint32(sw[0:], fpXstateMagic1)
	ext := uint32(fpUserSize + fpXstateMagic2Size)
	if t.w == 4 {
		ext += fsaveHeaderSize
	}
	le.PutUint32(sw[4:], ext)
	le.PutUint64(sw[8:], fpXfeatures)
	le.PutUint32(sw[16:], fpUserSize)
	if t.w != 4 {
		return
	}
	h := buf[:fsaveHeaderSize]
	le.PutUint32(h[0:], 0xffff0000|uint32(le.Uint16(fx[0:])))
	le.PutUint32(h[4:], 0xffff0000|uint32(le.Uint16(fx[2:])))
	le.PutUint32(h[8:], 0xffff0000|uint32(c.X87.FullTag()))
	le.PutUint32(h[12:], uint32(le.Uint64(fx[8:])))        // fip
	le.PutUint32(h[16:], uint32(c.Seg[x86.CS]))            // fcs: the task's CS
	le.PutUint32(h[20:], uint32(le.Uint64(fx[16:])))       // foo
	le.PutUint32(h[24:], 0xffff0000|uint32(c.Seg[x86.DS])) // fos
	for i := range 8 {
		copy(h[28+10*i:38+10*i], fx[32+16*i:])
	}
	le.PutUint16(h[fpStatus32:], le.Uint16(fx[2:]))
	le.PutUint16(h[fpMagic32:], 0) // X86_FXSR_MAGIC: FXSR data follows
}

// restoreFPState loads the FPU state a sigreturn finds at addr (the
// sigcontext's fpstate pointer): none resets the FPU; otherwise the FXSAVE
// image, and on i386 the legacy header's x87 state on top of it, as the
// kernel's convert_to_fxsr does. It reports false for an unreadable area
// or an MXCSR with reserved bits set.
func (t *Thread) restoreFPState(c *x86.CPU, addr uint64) bool {
	if addr == 0 {
		resetFPU(c)
		return true
	}
	n := fpUserSize
	if t.w == 4 {
		n += fsaveHeaderSize
	}
	buf := make([]byte, n)
	if t.Mem.Read(addr, buf) != nil {
		return false
	}
	if t.w != 4 {
		return c.FXRestore(buf, true)
	}
	if !c.FXRestore(buf[fsaveHeaderSize:], true) {
		return false
	}
	c.X87Restore(buf[:fsaveHeaderSize-4], false)
	return true
}

// setupFrame pushes the signal frame for info on the guest stack, using
// action sa, and points the CPU at the handler; mask is the signal mask to
// restore at sigreturn. It reports false if the frame cannot be written,
// which the caller turns into a forced SIGSEGV as Linux does.
func (t *Thread) setupFrame(c *x86.CPU, info *sigInfo, sa *abi.Sigaction, mask uint64) bool {
	if t.w == 8 {
		return t.setupFrame64(c, info, sa, mask)
	}
	return t.setupFrame32(c, info, sa, mask)
}

// readFrameArea reads guest memory [g.frame, g.end): the kernel writes
// only some bytes of a frame (padding and reserved fields keep what the
// stack held), so the frame is built over the current contents.
func (p *Process) readFrameArea(g frameGeom) ([]byte, bool) {
	if g.end <= g.frame || g.end-g.frame > 1<<16 {
		return nil, false
	}
	buf := make([]byte, g.end-g.frame)
	if p.Mem.Read(g.frame, buf) != nil {
		return nil, false
	}
	return buf, true
}

func (t *Thread) setupFrame64(c *x86.CPU, info *sigInfo, sa *abi.Sigaction, mask uint64) bool {
	if sa.Flags&saRestorer == 0 {
		return false // x86-64 requires SA_RESTORER
	}
	sp := c.R[x86.RSP]
	g, ok := t.sigframeGeom(sp, rt64Size, sa)
	if !ok {
		return false
	}
	buf, ok := t.readFrameArea(g)
	if !ok {
		return false
	}
	le := binary.LittleEndian
	f := buf[:rt64Size]
	le.PutUint64(f[rt64Pretcode:], sa.Restorer)
	uc := f[rt64UC:]
	// As the kernel's frame_uc_flags: sigreturn restores SS strictly
	// only for a frame made in 64-bit code (not compatibility mode).
	ucFlags := uint64(ucSigcontextSS)
	if c.Mode == 64 {
		ucFlags |= ucStrictRestoreSS
	}
	le.PutUint64(uc[uc64Flags:], ucFlags)
	le.PutUint64(uc[uc64Link:], 0)
	t.putAltstack(uc[uc64Stack:])
	sc := uc[uc64Mcontext:]
	for r, off := range sc64Reg {
		le.PutUint64(sc[off:], c.R[r])
	}
	le.PutUint64(sc[sc64RIP:], c.RIP)
	le.PutUint64(sc[sc64Flags:], c.Flags())
	le.PutUint16(sc[sc64CS:], c.Seg[x86.CS])
	le.PutUint16(sc[sc64GS:], 0)
	le.PutUint16(sc[sc64FS:], 0)
	le.PutUint16(sc[sc64SS:], c.Seg[x86.SS])
	le.PutUint64(sc[sc64Err:], t.errCode)
	le.PutUint64(sc[sc64Trapno:], t.trapNo)
	le.PutUint64(sc[sc64Oldmask:], mask)
	le.PutUint64(sc[sc64CR2:], t.cr2)
	le.PutUint64(sc[sc64Fpstate:], g.fpstate)
	le.PutUint64(uc[uc64Sigmask:], mask)
	if sa.Flags&saSiginfo != 0 {
		info.encode(8, f[rt64Info:rt64Info+siginfoSize])
	}
	t.putFPState(c, buf[g.fpstate-g.frame:], g)
	if t.Mem.Write(g.frame, buf) != nil {
		return false
	}
	t.altstackDelivered()
	c.R[x86.RDI] = uint64(info.signo)
	c.R[x86.RAX] = 0
	c.R[x86.RSI] = g.frame + rt64Info
	c.R[x86.RDX] = g.frame + rt64UC
	c.R[x86.RSP] = g.frame
	c.RIP = sa.Handler
	c.SetCS(userCS64) // from compatibility mode too: handlers run 64-bit code
	return true
}

func (t *Thread) setupFrame32(c *x86.CPU, info *sigInfo, sa *abi.Sigaction, mask uint64) bool {
	rt := sa.Flags&saSiginfo != 0
	size := uint64(sf32Size)
	if rt {
		size = rt32Size
	}
	sp := c.R[x86.RSP] & 0xffffffff
	g, ok := t.sigframeGeom(sp, size, sa)
	if !ok {
		return false
	}
	buf, ok := t.readFrameArea(g)
	if !ok {
		return false
	}
	le := binary.LittleEndian
	f := buf[:size]
	restorer := uint32(sa.Restorer)
	var sc []byte
	if rt {
		if sa.Flags&saRestorer == 0 {
			restorer = uint32(t.Layout.VDSO + vdsoRtSigreturn32)
		}
		le.PutUint32(f[rt32Pretcode:], restorer)
		le.PutUint32(f[rt32Sig:], uint32(info.signo))
		le.PutUint32(f[rt32Pinfo:], uint32(g.frame+rt32Info))
		le.PutUint32(f[rt32Puc:], uint32(g.frame+rt32UC))
		info.encode(4, f[rt32Info:rt32Info+siginfoSize])
		uc := f[rt32UC:]
		le.PutUint32(uc[uc32Flags:], 0)
		le.PutUint32(uc[uc32Link:], 0)
		t.putAltstack(uc[uc32Stack:])
		sc = uc[uc32Mcontext : uc32Mcontext+sc32Size]
		le.PutUint64(uc[uc32Sigmask:], mask)
		copy(f[rt32Retcode:], retcodeRtSigreturn32[:])
	} else {
		if sa.Flags&saRestorer == 0 {
			restorer = uint32(t.Layout.VDSO + vdsoSigreturn32)
		}
		le.PutUint32(f[sf32Pretcode:], restorer)
		le.PutUint32(f[sf32Sig:], uint32(info.signo))
		sc = f[sf32SC : sf32SC+sc32Size]
		le.PutUint32(f[sf32Extramask:], uint32(mask>>32))
		copy(f[sf32Retcode:], retcodeSigreturn32[:])
	}
	for _, s := range [...]struct {
		off, seg int
	}{{sc32GS, x86.GS}, {sc32FS, x86.FS}, {sc32ES, x86.ES}, {sc32DS, x86.DS}, {sc32CS, x86.CS}, {sc32SS, x86.SS}} {
		le.PutUint32(sc[s.off:], uint32(c.Seg[s.seg]))
	}
	for r, off := range sc32Reg {
		le.PutUint32(sc[off:], uint32(c.R[r]))
	}
	le.PutUint32(sc[sc32Trapno:], uint32(t.trapNo))
	le.PutUint32(sc[sc32Err:], uint32(t.errCode))
	le.PutUint32(sc[sc32EIP:], uint32(c.RIP))
	le.PutUint32(sc[sc32Flags:], uint32(c.Flags()))
	le.PutUint32(sc[sc32SPAtSig:], uint32(sp))
	le.PutUint32(sc[sc32Fpstate:], uint32(g.fpstate))
	le.PutUint32(sc[sc32Oldmask:], uint32(mask))
	le.PutUint32(sc[sc32CR2:], uint32(t.cr2))
	t.putFPState(c, buf[g.fpstate-g.frame:], g)
	if t.Mem.Write(g.frame, buf) != nil {
		return false
	}
	t.altstackDelivered()
	c.R[x86.RSP] = g.frame
	c.RIP = sa.Handler & 0xffffffff
	c.R[x86.RAX] = uint64(info.signo)
	if rt {
		c.R[x86.RDX] = g.frame + rt32Info
		c.R[x86.RCX] = g.frame + rt32UC
	} else {
		c.R[x86.RDX], c.R[x86.RCX] = 0, 0
	}
	c.Seg[x86.DS], c.Seg[x86.ES] = userDS, userDS
	c.SetCS(userCS32) // an i386 process's handlers run 32-bit code
	c.Seg[x86.SS] = userDS
	c.SegBase[x86.DS], c.SegBase[x86.ES], c.SegBase[x86.SS] = 0, 0, 0
	return true
}

// putAltstack stores the uc_stack (stack_t) of a frame: the alternate
// stack settings as they are when the signal is delivered.
func (t *Thread) putAltstack(b []byte) {
	as := &t.altstack
	t.w.Put(b, 0, as.sp)
	binary.LittleEndian.PutUint32(b[int(t.w):], uint32(as.flags))
	t.w.Put(b, 2, as.size)
}

// sigreturnFrame is what sigreturn found in a frame.
type sigreturnFrame struct {
	sc      []byte // the sigcontext
	ucFlags uint64 // uc_flags (rt frames)
	mask    uint64
	stack   []byte // uc_stack, nil for i386's old sigreturn
	fpstate uint64
	call    string // the system call's name, for the log
}

// sysRtSigreturn returns from a handler entered through an rt frame: it
// reloads the registers, flags, FPU state, signal mask and alternate stack
// from the frame the handler may have edited. A bad frame forces SIGSEGV.
func sysRtSigreturn(t *Thread, a *[6]uint64) int64 {
	c := t.CPU
	var fr sigreturnFrame
	var ok bool
	if t.w == 8 {
		fr, ok = t.readRtFrame(c.R[x86.RSP]-8, rt64UC, uc64Mcontext, sc64Size, uc64Sigmask, uc64Stack)
		if ok {
			fr.fpstate = binary.LittleEndian.Uint64(fr.sc[sc64Fpstate:])
		}
	} else {
		sp := c.R[x86.RSP] & 0xffffffff
		fr, ok = t.readRtFrame(sp-4, rt32UC, uc32Mcontext, sc32Size, uc32Sigmask, uc32Stack)
		if ok {
			fr.fpstate = uint64(binary.LittleEndian.Uint32(fr.sc[sc32Fpstate:]))
		}
	}
	fr.call = "rt_sigreturn"
	return t.sigreturn(c, fr, ok)
}

// sysSigreturn is i386's sigreturn, for frames of handlers without
// SA_SIGINFO: the mask is the sigcontext's oldmask and the extramask word.
func sysSigreturn(t *Thread, a *[6]uint64) int64 {
	c := t.CPU
	if t.w != 4 {
		return -abi.ENOSYS
	}
	frame := (c.R[x86.RSP] - 8) & 0xffffffff
	b := make([]byte, sf32Size)
	if t.Mem.Read(frame, b) != nil {
		return t.sigreturn(c, sigreturnFrame{call: "sigreturn"}, false)
	}
	le := binary.LittleEndian
	sc := b[sf32SC : sf32SC+sc32Size]
	fr := sigreturnFrame{
		sc:      sc,
		mask:    uint64(le.Uint32(sc[sc32Oldmask:])) | uint64(le.Uint32(b[sf32Extramask:]))<<32,
		fpstate: uint64(le.Uint32(sc[sc32Fpstate:])),
		call:    "sigreturn",
	}
	return t.sigreturn(c, fr, true)
}

// readRtFrame reads the ucontext of an rt frame at frame.
func (t *Thread) readRtFrame(frame, ucOff, mcOff, scSize, maskOff, stackOff uint64) (sigreturnFrame, bool) {
	uc := make([]byte, maskOff+8)
	if t.Mem.Read(frame+ucOff, uc) != nil {
		return sigreturnFrame{}, false
	}
	return sigreturnFrame{
		sc:      uc[mcOff : mcOff+scSize],
		ucFlags: t.w.Get(uc, 0),
		mask:    binary.LittleEndian.Uint64(uc[maskOff:]),
		stack:   uc[stackOff : stackOff+3*uint64(t.w)],
	}, true
}

// sigreturn applies a frame read by one of the sigreturn calls. Its result
// is the restored RAX, which the system call return leaves in place.
func (t *Thread) sigreturn(c *x86.CPU, fr sigreturnFrame, ok bool) int64 {
	t.regsLoaded = true
	if !ok {
		t.badFrame(c, fr.call)
		return int64(c.R[x86.RAX])
	}
	t.setMask(fr.mask)
	le := binary.LittleEndian
	sc := fr.sc
	if t.w == 8 {
		for r, off := range sc64Reg {
			c.R[r] = le.Uint64(sc[off:])
		}
		c.RIP = le.Uint64(sc[sc64RIP:])
		c.SetFlags(le.Uint64(sc[sc64Flags:]), fixEflags)
		if !restoreCSSS(c, le.Uint16(sc[sc64CS:]), le.Uint16(sc[sc64SS:]), fr.ucFlags) {
			t.badFrame(c, fr.call)
			return int64(c.R[x86.RAX])
		}
	} else {
		for r, off := range sc32Reg {
			c.R[r] = uint64(le.Uint32(sc[off:]))
		}
		c.RIP = uint64(le.Uint32(sc[sc32EIP:]))
		c.SetFlags(uint64(le.Uint32(sc[sc32Flags:])), fixEflags)
		for _, s := range [...]struct {
			off, seg int
		}{{sc32GS, x86.GS}, {sc32FS, x86.FS}, {sc32DS, x86.DS}, {sc32ES, x86.ES}} {
			reloadSeg(c, s.seg, le.Uint16(sc[s.off:])|3)
		}
		// The i386 frames' CS and SS too (0x33 where 64-bit code was
		// interrupted), without force_valid_ss.
		if !restoreCSSS(c, le.Uint16(sc[sc32CS:]), le.Uint16(sc[sc32SS:]), ucStrictRestoreSS) {
			t.badFrame(c, fr.call)
			return int64(c.R[x86.RAX])
		}
	}
	if c.TF() {
		// The engine single-steps from the restored context on: stop
		// the block loop so that it sees the flag.
		c.Stop.Store(true)
	}
	if !t.restoreFPState(c, fr.fpstate) {
		t.badFrame(c, fr.call)
		return int64(c.R[x86.RAX])
	}
	if fr.stack != nil {
		ss := [3]uint64{t.w.Get(fr.stack, 0), uint64(le.Uint32(fr.stack[int(t.w):])), t.w.Get(fr.stack, 2)}
		t.setAltstack(ss, c.R[x86.RSP]&c.AddrMask) // errors are ignored, as Linux does
	}
	return int64(c.R[x86.RAX])
}

// restoreCSSS loads CS and SS from a sigcontext, RPL forced to 3, as the
// kernel's restore_sigcontext (ia32_restore_sigcontext for i386 frames)
// and its return to user mode do: CS may select 32-bit code (0x23) or
// 64-bit code (0x33). A frame
// made in compatibility mode (no UC_STRICT_RESTORE_SS) that returns to
// 64-bit code gets a valid SS if its own is not (force_valid_ss). It
// reports false if the kernel's IRET would fault on the selectors.
func restoreCSSS(c *x86.CPU, cs, ss uint16, ucFlags uint64) bool {
	oldCS, oldSS, oldBase := c.Seg[x86.CS], c.Seg[x86.SS], c.SegBase[x86.SS]
	if !c.SetCS(cs) {
		return false
	}
	reloadSeg(c, x86.SS, ss|3)
	if c.Seg[x86.SS] == ss|3 {
		return true
	}
	if ucFlags&ucStrictRestoreSS == 0 && c.Mode == 64 {
		reloadSeg(c, x86.SS, userDS)
		return true
	}
	c.SetCS(oldCS)
	c.Seg[x86.SS], c.SegBase[x86.SS] = oldSS, oldBase
	return false
}

// reloadSeg loads a data segment register from a sigcontext, as the
// kernel's reload_segments does; a selector that does not load leaves the
// register null (the kernel's fixup for a faulting segment load).
func reloadSeg(c *x86.CPU, seg int, sel uint16) {
	if c.Seg[seg] == sel {
		return
	}
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(*x86.Trap); !ok {
				panic(r)
			}
			c.Seg[seg] = 0
			c.SegBase[seg] = 0
		}
	}()
	c.LoadSeg(seg, sel)
}

// badFrame handles a sigreturn whose frame could not be read: Linux
// forces SIGSEGV. call names the sigreturn call for the log.
func (t *Thread) badFrame(c *x86.CPU, call string) {
	t.unimpf("gemu: bad signal frame in %s at sp %#x\n", call, c.R[x86.RSP]&c.AddrMask)
	t.forceSignal(newSigInfo(abi.SIGSEGV, siKernel))
}
