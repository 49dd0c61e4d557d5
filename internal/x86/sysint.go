package x86

import (
	"errors"

	"gemu/internal/mem"

	"golang.org/x/arch/x86/x86asm"
)

// Exceptions and interrupts in system mode: delivery through the IDT
// (SDM vol. 3, chapter 6), software INT n, INT3, INTO and INT1, and the
// fast system call instructions SYSENTER/SYSEXIT and SYSCALL/SYSRET.
//
// Protected mode uses 32-bit interrupt and trap gates (interrupt gates
// clear IF), with the stack switch to SSn:ESPn of the 32-bit TSS when
// the handler is more privileged. Long mode uses 16-byte gates, RSPn or
// an IST entry of the 64-bit TSS, aligns the new stack to 16 bytes and
// always pushes SS:RSP; a privilege change loads SS with a null selector
// whose RPL is the new CPL.
//
// A fault while delivering an exception or interrupt is delivered in its
// place, or becomes a double fault (#DF) by the SDM's classes (a
// contributory fault during a contributory exception, a page fault or a
// contributory fault during a page fault); a fault while delivering #DF
// shuts the CPU down: DeliverTrap and Interrupt return ErrTripleFault.
//
// A task gate (protected mode) switches tasks through 32-bit TSSs
// (systask.go), as i386 Linux's double-fault handler needs.
//
// Not supported (said by an error or a #GP, never silently wrong): 16-bit
// gates and 16-bit TSSs, interrupts in real mode (ErrRealMode), SYSCALL
// outside 64-bit mode (the decoder does not decode it in 32-bit code:
// #UD).

// Exception kinds beyond those of cpu.go, for system mode.
const (
	TrapNM TrapKind = TrapResume + 1 + iota // #NM device not available (CR0.TS)
	TrapDF                                  // #DF double fault
	TrapTS                                  // #TS invalid TSS (Code: error code)
	TrapMC                                  // #MC machine check
)

// Errors of DeliverTrap and Interrupt: the machine cannot go on.
var (
	// ErrTripleFault is a fault while delivering a double fault: the
	// CPU shuts down (the board resets or ends).
	ErrTripleFault = errors.New("x86: triple fault")
	// ErrRealMode is an exception or interrupt with CR0.PE clear.
	ErrRealMode = errors.New("x86: interrupts in real mode are not supported")
)

// DeliveryKind says what System.OnInterrupt reports; its values are
// plugin.IntKind's.
type DeliveryKind uint8

// Delivery kinds.
const (
	DeliveryHardware  DeliveryKind = iota // an external interrupt
	DeliverySoftware                      // INT n, INT3, INTO, INT1
	DeliveryException                     // a CPU exception
)

// NoErrorCode is the code of a delivery that pushed no error code.
const NoErrorCode int64 = -1

// TrapVector returns the vector and error code (NoErrorCode if none) an
// exception is delivered with, before any fault during its delivery
// turns it into another (System.OnInterrupt reports what was delivered).
func TrapVector(t *Trap) (vector uint8, code int64) {
	ev, ok := trapEvent(t)
	if !ok {
		return 0, NoErrorCode
	}
	if !ev.hasErr {
		return ev.vector, NoErrorCode
	}
	return ev.vector, int64(ev.code)
}

// dr6BS is DR6's single-step bit.
const dr6BS = 1 << 14

// Exception vectors.
const (
	vecDE = 0
	vecDB = 1
	vecBP = 3
	vecOF = 4
	vecBR = 5
	vecUD = 6
	vecNM = 7
	vecDF = 8
	vecTS = 10
	vecNP = 11
	vecSS = 12
	vecGP = 13
	vecPF = 14
	vecMF = 16
	vecAC = 17
	vecMC = 18
	vecXM = 19
)

// event is an exception or interrupt to deliver.
type event struct {
	vector uint8
	hasErr bool
	code   uint32
	// soft: INT n, INT3, INTO: the gate's DPL must allow the CPL.
	soft bool
	// instr: delivered from an instruction's handler (INT n, INT1).
	instr bool
	// cr2 is the faulting address of a page fault.
	cr2 uint64
	// ret is the RIP the frame saves.
	ret uint64
	// kind is what OnInterrupt reports.
	kind DeliveryKind
}

// trapEvent maps a trap to its vector and error code; ok is false for a
// trap that is not an exception (TrapResume).
func trapEvent(t *Trap) (ev event, ok bool) {
	code := uint32(t.Code)
	switch t.Kind {
	case TrapDivide:
		ev.vector = vecDE
	case TrapDebug:
		ev.vector = vecDB
	case TrapBreakpoint:
		ev.vector = vecBP
	case TrapOverflow:
		ev.vector = vecOF
	case TrapBound:
		ev.vector = vecBR
	case TrapInvalidOp:
		ev.vector = vecUD
	case TrapNM:
		ev.vector = vecNM
	case TrapDF:
		ev.vector, ev.hasErr, ev.code = vecDF, true, 0
	case TrapTS:
		ev.vector, ev.hasErr, ev.code = vecTS, true, code
	case TrapNotPresent:
		ev.vector, ev.hasErr, ev.code = vecNP, true, code
	case TrapStack:
		ev.vector, ev.hasErr, ev.code = vecSS, true, code
	case TrapGP:
		ev.vector, ev.hasErr, ev.code = vecGP, true, code
	case TrapPage:
		if t.Mem != nil && t.Mem.NonCanonical {
			// A non-canonical address under 4-level paging: #GP(0)
			// (a stack access's #SS is not told apart).
			ev.vector, ev.hasErr, ev.code = vecGP, true, 0
			break
		}
		ev.vector, ev.hasErr = vecPF, true
		ev.cr2 = t.Addr
		if t.Mem != nil {
			ev.code, ev.cr2 = t.Mem.Code, t.Mem.Addr
		}
	case TrapFPU:
		ev.vector = vecMF
	case TrapAlign:
		ev.vector, ev.hasErr, ev.code = vecAC, true, 0
	case TrapMC:
		ev.vector = vecMC
	case TrapSIMD:
		ev.vector = vecXM
	case TrapInt:
		// User mode's INT n refusal; in system mode INT n is delivered
		// by its handler, so this is a #GP on the gate.
		ev.vector, ev.hasErr, ev.code = vecGP, true, uint32(t.Code&0xff)*8+2
	default:
		return ev, false
	}
	return ev, true
}

// contributory reports whether an exception is of the SDM's contributory
// class (#DE, #TS, #NP, #SS, #GP).
func contributory(v uint8) bool {
	return v == vecDE || v == vecTS || v == vecNP || v == vecSS || v == vecGP
}

// stackAddr tells a non-canonical stack access (#SS(0)) from another
// (#GP(0)), which a memory fault does not say: a is within 4 KiB of RSP
// or RBP holding a non-canonical value (PUSH, POP, CALL, RET, an
// [RSP+d] or [RBP+d] operand). A stack access through another base
// register, or one far from RSP, is taken for #GP(0).
func (c *CPU) stackAddr(a uint64) bool {
	for _, r := range [...]int{RSP, RBP} {
		v := c.R[r]
		if !canonical(v) && a-v+0x1000 < 0x2000 {
			return true
		}
	}
	return false
}

// DeliverTrap delivers the exception t (raised by an instruction, RIP at
// the faulting instruction, or after it for a trap) through the IDT. A
// #PF sets CR2 to the faulting address and takes its error code from
// t.Mem.Code. It returns ErrTripleFault when the CPU shuts down, or
// ErrRealMode.
func (c *CPU) DeliverTrap(t *Trap) error {
	ev, ok := trapEvent(t)
	if !ok {
		return errors.New("x86: not an exception")
	}
	ev.ret, ev.kind = c.RIP, DeliveryException
	if ev.vector == vecGP && t.Kind == TrapPage && c.stackAddr(t.Mem.Addr) {
		ev.vector = vecSS
	}
	if t.Kind == TrapDebug {
		// The engine's single-step trap: DR6.BS says so to the
		// handler (the processor never clears it).
		c.Priv.DR[6] |= dr6BS
	}
	return c.deliverChain(ev)
}

// Interrupt delivers the hardware interrupt vector (the board calls it
// between blocks when IF is set and the interrupt controller has one),
// with the current RIP as the return address; it wakes a halted CPU.
func (c *CPU) Interrupt(vector uint8) error {
	c.Priv.Halted = false
	return c.deliverChain(event{vector: vector, ret: c.RIP, kind: DeliveryHardware})
}

// deliverChain delivers ev, and what faults during its delivery by the
// double fault rules.
func (c *CPU) deliverChain(ev event) error {
	for i := 0; ; i++ {
		f, err := c.tryDeliver(&ev)
		if err != nil {
			return err
		}
		if f == nil {
			c.delivered(&ev)
			return nil
		}
		next, ok := trapEvent(f)
		if !ok || ev.vector == vecDF || i > 4 {
			return ErrTripleFault
		}
		// Faults while delivering an event external to the program
		// (an exception or a hardware interrupt) set EXT.
		if next.hasErr && next.vector != vecPF && !ev.soft {
			next.code |= 1
		}
		next.ret, next.kind = ev.ret, DeliveryException
		if contributory(ev.vector) && contributory(next.vector) ||
			ev.vector == vecPF && (contributory(next.vector) || next.vector == vecPF) {
			next = event{vector: vecDF, hasErr: true, ret: ev.ret, kind: DeliveryException}
		}
		ev = next
	}
}

// delivered reports a delivery to System.OnInterrupt.
func (c *CPU) delivered(ev *event) {
	if f := c.Priv.OnInterrupt; f != nil {
		code := NoErrorCode
		if ev.hasErr {
			code = int64(ev.code)
		}
		f(c, ev.kind, ev.vector, code, ev.ret, c.RIP)
	}
}

// tryDeliver delivers ev and returns the fault that stopped it, if any.
func (c *CPU) tryDeliver(ev *event) (f *Trap, err error) {
	defer func() {
		if r := recover(); r != nil {
			switch v := r.(type) {
			case *Trap:
				f = v
			case *mem.Fault:
				f = &Trap{Kind: TrapPage, Addr: v.Addr, Mem: v}
			default:
				panic(r)
			}
		}
	}()
	if !c.protected() {
		return nil, ErrRealMode
	}
	c.deliver(ev)
	return nil, nil
}

// gateFault raises exception kind with the error code of IDT entry v.
func gateFault(kind TrapKind, v uint8) {
	panic(&Trap{Kind: kind, Code: int(v)*8 + 2})
}

// deliver pushes the frame of ev and enters its handler; it panics with
// the fault that stopped it (nothing has changed then but the memory the
// frame was written to, and CR2 for a page fault). It reports whether
// the CPU's mode changed.
func (c *CPU) deliver(ev *event) bool {
	p := c.Priv
	if ev.vector == vecPF && !ev.soft && !ev.instr {
		// CR2 is loaded before anything else: the #DF that a failed
		// delivery causes still finds it.
		c.CR2 = ev.cr2
	}
	long := c.longMode()
	v := ev.vector
	entry := uint64(v) * 8
	if long {
		entry *= 2
	}
	size := uint64(8)
	if long {
		size = 16
	}
	if entry+size-1 > uint64(p.IDTR.Limit) {
		gateFault(TrapGP, v)
	}
	at := (p.IDTR.Base + entry) & c.linMask()
	g := c.supLoad(at, 8)
	lo, hi := uint32(g), uint32(g>>32)
	off := uint64(lo&0xffff | hi&0xffff0000)
	ist := 0
	typ := hi >> 8 & 0x1f // with the S bit: 0 for a system descriptor
	task := typ == sysTypeTaskGate && !long
	if !task && typ != sysTypeIntGate && typ != sysTypeTrapGate {
		// 16-bit gates (types 6 and 7) are not supported.
		gateFault(TrapGP, v)
	}
	if long {
		off |= c.supLoad((at+8)&c.linMask(), 4) << 32
		ist = int(hi & 7)
	}
	gdpl := int(hi>>13) & 3
	if ev.soft && gdpl < c.CPL {
		gateFault(TrapGP, v)
	}
	if hi&(1<<15) == 0 {
		gateFault(TrapNotPresent, v)
	}
	if task {
		c.taskSwitch(uint16(lo>>16), true, ev.ret)
		if ev.hasErr {
			// The error code goes on the new task's stack.
			sp := (c.R[RSP] - 4) & 0xffffffff
			if c.CPL == 3 {
				c.Mem.Store32(sp, ev.code)
			} else {
				c.supStore(sp, 4, uint64(ev.code))
			}
			c.R[RSP] = sp
		}
		return false
	}
	sel := uint16(lo >> 16)
	if sel&^3 == 0 {
		segFault(TrapGP, 0)
	}
	d, ok := c.fetchDesc(sel, false)
	if !ok || !d.isCode() || d.dpl() > c.CPL {
		segFault(TrapGP, sel)
	}
	if !d.present() {
		segFault(TrapNotPresent, sel)
	}
	mode := c.descMode(d)
	if mode == 0 || long && mode != 64 {
		segFault(TrapGP, sel)
	}
	newCPL := c.CPL
	if !d.conforming() {
		newCPL = d.dpl()
	}
	oldFlags := c.Flags()
	oldSP := c.R[RSP]
	var frame [6]uint64
	var n int
	var sp uint64
	var ss SegCache
	switchSS := newCPL < c.CPL
	if long {
		sp = oldSP
		switch {
		case ist != 0:
			sp = c.tssLoad(0x24+8*uint64(ist-1), 8)
		case switchSS:
			sp = c.tssLoad(4+8*uint64(newCPL), 8)
		}
		sp &^= 0xf
		frame[0], frame[1] = uint64(c.Seg[SS]), oldSP
		n = 2
		if switchSS {
			ss = SegCache{Sel: uint16(newCPL)}
		}
	} else {
		sp = oldSP & 0xffffffff
		if switchSS {
			if p.TR.Attr&0xf != sysTypeTSSBusy {
				segFault(TrapTS, p.TR.Sel)
			}
			sp = c.tssLoad(4+8*uint64(newCPL), 4)
			ssSel := uint16(c.tssLoad(8+8*uint64(newCPL), 2))
			ss = c.tssStack(ssSel, newCPL)
			frame[0], frame[1] = uint64(c.Seg[SS]), oldSP&0xffffffff
			n = 2
		}
	}
	frame[n], frame[n+1], frame[n+2] = oldFlags, uint64(c.Seg[CS]), ev.ret
	n += 3
	if ev.hasErr {
		frame[n] = uint64(ev.code)
		n++
	}
	w := uint64(4)
	spMask := uint64(0xffffffff)
	if long {
		w, spMask = 8, ^uint64(0)
	}
	// Push from the top down: a fault leaves the registers untouched.
	for i := 0; i < n; i++ {
		sp = (sp - w) & spMask
		if newCPL == 3 {
			c.Mem.StoreN(sp, int(w), frame[i])
		} else {
			c.supStore(sp, int(w), frame[i])
		}
	}
	c.setAccessed(&d)
	clear := FlagTF | FlagNT | FlagRF | FlagVM
	if typ == sysTypeIntGate {
		clear |= FlagIF
	}
	c.SetFlags(0, clear)
	if switchSS {
		c.putSeg(SS, ss)
	}
	changed := c.sysLoadCS(d.cache(sel), newCPL, mode, off)
	c.R[RSP] = sp
	return changed
}

// tssLoad reads n bytes at offset off of the current TSS (a supervisor
// access): #TS(TR) if it lies beyond the TSS's limit.
func (c *CPU) tssLoad(off uint64, n int) uint64 {
	p := c.Priv
	if p.TR.Sel&^3 == 0 || off+uint64(n)-1 > uint64(p.TR.Limit) {
		segFault(TrapTS, p.TR.Sel)
	}
	return c.supLoad((p.TR.Base+off)&c.linMask(), n)
}

// tssStack checks the stack segment of a TSS stack switch to privilege
// level cpl: #TS(sel) unless a writable data segment with RPL = DPL =
// cpl, #SS(sel) if not present.
func (c *CPU) tssStack(sel uint16, cpl int) SegCache {
	if sel&^3 == 0 {
		segFault(TrapTS, sel)
	}
	d, ok := c.fetchDesc(sel, false)
	if !ok || int(sel&3) != cpl || d.dpl() != cpl || !d.writable() {
		segFault(TrapTS, sel)
	}
	if !d.present() {
		segFault(TrapStack, sel)
	}
	c.setAccessed(&d)
	return d.cache(sel)
}

// softInt delivers a software interrupt from the handler of in (INT n,
// INT3, INTO, INT1): the frame saves the address of the next
// instruction; soft makes the gate's DPL count (INT1 ignores it).
func (c *CPU) softInt(in *Inst, vector uint8, soft bool) {
	ev := event{vector: vector, soft: soft, instr: true, ret: in.Next, kind: DeliverySoftware}
	changed := c.deliver(&ev)
	c.delivered(&ev)
	if changed {
		panic(resume)
	}
}

// sysInt is INT n and INT3 in system mode.
func (c *CPU) sysInt(in *Inst) {
	v := uint8(in.Imm)
	if in.Raw != nil && in.Raw.Opcode>>24 == 0xcc {
		v = vecBP
	}
	c.softInt(in, v, true)
}

// opIcebp is INT1 (ICEBP, F1): a #DB trap through the IDT without the
// DPL check in system mode; it ends the block as a transfer does. User
// mode: unimplemented, as before.
func opIcebp(c *CPU, in *Inst) {
	if c.Priv == nil {
		opUnimplemented(c, in)
		return
	}
	c.softInt(in, vecDB, false)
	panic(resume)
}

// Flat segments of the fast system calls.

func flatCode(sel uint16, dpl int, mode int) SegCache {
	a := uint16(0xb) | AttrS | AttrP | AttrG | uint16(dpl)<<5
	if mode == 64 {
		a |= AttrL
	} else {
		a |= AttrDB
	}
	return SegCache{Sel: sel, Limit: 0xffffffff, Attr: a}
}

func flatData(sel uint16, dpl int) SegCache {
	return SegCache{Sel: sel, Limit: 0xffffffff,
		Attr: 0x3 | AttrS | AttrP | AttrDB | AttrG | uint16(dpl)<<5}
}

// sysSysenter is SYSENTER in system mode: CS from IA32_SYSENTER_CS (a
// flat code segment, 64-bit in long mode), SS = CS + 8, RSP and RIP
// from IA32_SYSENTER_ESP and _EIP, CPL 0, VM, IF and RF cleared.
func (c *CPU) sysSysenter(in *Inst) {
	p := c.Priv
	if !c.protected() || p.SysenterCS&0xfffc == 0 {
		panic(&Trap{Kind: TrapGP})
	}
	cs := uint16(p.SysenterCS) &^ 3
	mode := 32
	if c.longMode() {
		mode = 64
	}
	c.SetFlags(0, FlagVM|FlagIF|FlagRF)
	c.putSeg(SS, flatData(cs+8, 0))
	changed := c.sysLoadCS(flatCode(cs, 0, mode), 0, mode, p.SysenterEIP)
	c.setRegN(RSP, mode/8, p.SysenterESP)
	if changed {
		panic(resume)
	}
}

// opSysexit is SYSEXIT: back to CPL 3 at RDX with the stack at RCX, CS =
// IA32_SYSENTER_CS + 16 (32-bit code) and SS = + 24, or with REX.W CS =
// + 32 (64-bit code) and SS = + 40. #GP(0) outside CPL 0 or with a null
// IA32_SYSENTER_CS. User mode: unimplemented, as before.
func opSysexit(c *CPU, in *Inst) {
	p := c.Priv
	if p == nil {
		opUnimplemented(c, in)
		return
	}
	if !c.protected() || p.SysenterCS&0xfffc == 0 || c.CPL != 0 {
		panic(&Trap{Kind: TrapGP})
	}
	base := uint16(p.SysenterCS)
	mode, cs, ss := 32, base+16, base+24
	rip, rsp := c.R[RDX]&0xffffffff, c.R[RCX]&0xffffffff
	if in.OSize == 8 {
		mode, cs, ss = 64, base+32, base+40
		rip, rsp = c.R[RDX], c.R[RCX]
		if !canonical(rip) {
			panic(&Trap{Kind: TrapGP})
		}
	}
	c.putSeg(SS, flatData(ss|3, 3))
	changed := c.sysLoadCS(flatCode(cs|3, 3, mode), 3, mode, rip)
	c.setRegN(RSP, mode/8, rsp)
	if changed {
		panic(resume)
	}
}

// canonical reports whether a is a canonical 48-bit address.
func canonical(a uint64) bool { return uint64(int64(a<<16)>>16) == a }

// sysSyscall is SYSCALL in system mode (64-bit mode: the decoder knows
// no other): RCX = the next RIP, R11 = RFLAGS, CS = STAR[47:32] (flat
// 64-bit code), SS = that + 8, RIP = LSTAR (CSTAR from compatibility
// mode), RFLAGS cleared by IA32_FMASK and RF, CPL 0. #UD with EFER.SCE
// clear.
func (c *CPU) sysSyscall(in *Inst) {
	p := c.Priv
	if c.EFER&EFERSCE == 0 || !c.longMode() {
		panic(&Trap{Kind: TrapInvalidOp})
	}
	target := p.LSTAR
	if c.Mode != 64 {
		target = p.CSTAR
	}
	fl := c.Flags()
	c.R[RCX] = in.Next
	c.R[R11] = fl &^ FlagRF
	cs := uint16(p.STAR>>32) &^ 3
	c.SetFlags(0, p.SFMASK&0xffffffff|FlagRF)
	c.putSeg(SS, flatData(cs+8, 0))
	if c.sysLoadCS(flatCode(cs, 0, 64), 0, 64, target) {
		panic(resume)
	}
}

// opSysret is SYSRET: back to CPL 3 at RCX with RFLAGS from R11, CS =
// STAR[63:48] + 16 (64-bit code, REX.W) or STAR[63:48] (32-bit
// compatibility mode, RIP = ECX), SS = STAR[63:48] + 8, each with RPL 3.
// #UD with EFER.SCE clear, #GP(0) outside CPL 0 or for a non-canonical
// RCX. User mode: unimplemented, as before.
func opSysret(c *CPU, in *Inst) {
	p := c.Priv
	if p == nil {
		opUnimplemented(c, in)
		return
	}
	if c.EFER&EFERSCE == 0 || !c.longMode() {
		panic(&Trap{Kind: TrapInvalidOp})
	}
	if c.CPL != 0 {
		panic(&Trap{Kind: TrapGP})
	}
	base := uint16(p.STAR >> 48)
	mode, cs, rip := 32, base, c.R[RCX]&0xffffffff
	if in.OSize == 8 {
		mode, cs, rip = 64, base+16, c.R[RCX]
		if !canonical(rip) {
			panic(&Trap{Kind: TrapGP})
		}
	}
	tf := c.TF()
	c.SetFlags(c.R[R11]&0x3c7fd7|2, ^uint64(0))
	c.putSeg(SS, flatData((base+8)|3, 3))
	if c.sysLoadCS(flatCode(cs|3, 3, mode), 3, mode, rip) || !tf && c.TF() {
		panic(resume)
	}
}

func init() {
	def(x86asm.ICEBP, opIcebp)
	def(x86asm.SYSEXIT, opSysexit)
	def(x86asm.SYSRET, opSysret)
}
