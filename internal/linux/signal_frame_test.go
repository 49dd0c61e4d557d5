package linux

import (
	"encoding/binary"
	"testing"

	"gemu/internal/linux/abi"
	"gemu/internal/mem"
	"gemu/internal/x86"
)

// The frame offsets checked against the kernel's and glibc's: sizeof of the
// structures, and the greg indexes of <sys/ucontext.h> (REG_RIP 16,
// REG_EIP 14...) as byte offsets in uc_mcontext.
func TestSignalFrameLayout(t *testing.T) {
	for _, c := range []struct {
		name      string
		got, want int
	}{
		{"x86-64 sizeof(struct rt_sigframe)", rt64Size, 440},
		{"x86-64 ucontext.uc_mcontext", uc64Mcontext, 40},
		{"x86-64 ucontext.uc_sigmask", uc64Sigmask, 296},
		{"x86-64 rt_sigframe.info", rt64Info, 312},
		{"x86-64 sizeof(struct sigcontext)", sc64Size, 256},
		{"x86-64 REG_R8", sc64Reg[x86.R8], 0 * 8},
		{"x86-64 REG_R15", sc64Reg[x86.R15], 7 * 8},
		{"x86-64 REG_RDI", sc64Reg[x86.RDI], 8 * 8},
		{"x86-64 REG_RSI", sc64Reg[x86.RSI], 9 * 8},
		{"x86-64 REG_RBP", sc64Reg[x86.RBP], 10 * 8},
		{"x86-64 REG_RBX", sc64Reg[x86.RBX], 11 * 8},
		{"x86-64 REG_RDX", sc64Reg[x86.RDX], 12 * 8},
		{"x86-64 REG_RAX", sc64Reg[x86.RAX], 13 * 8},
		{"x86-64 REG_RCX", sc64Reg[x86.RCX], 14 * 8},
		{"x86-64 REG_RSP", sc64Reg[x86.RSP], 15 * 8},
		{"x86-64 REG_RIP", sc64RIP, 16 * 8},
		{"x86-64 REG_EFL", sc64Flags, 17 * 8},
		{"x86-64 REG_CSGSFS", sc64CS, 18 * 8},
		{"x86-64 REG_ERR", sc64Err, 19 * 8},
		{"x86-64 REG_TRAPNO", sc64Trapno, 20 * 8},
		{"x86-64 REG_OLDMASK", sc64Oldmask, 21 * 8},
		{"x86-64 REG_CR2", sc64CR2, 22 * 8},
		{"x86-64 fpregs", sc64Fpstate, 23 * 8},
		{"i386 REG_GS", sc32GS, 0 * 4},
		{"i386 REG_DS", sc32DS, 3 * 4},
		{"i386 REG_EDI", sc32Reg[x86.RDI], 4 * 4},
		{"i386 REG_ESP", sc32Reg[x86.RSP], 7 * 4},
		{"i386 REG_EAX", sc32Reg[x86.RAX], 11 * 4},
		{"i386 REG_TRAPNO", sc32Trapno, 12 * 4},
		{"i386 REG_ERR", sc32Err, 13 * 4},
		{"i386 REG_EIP", sc32EIP, 14 * 4},
		{"i386 REG_CS", sc32CS, 15 * 4},
		{"i386 REG_EFL", sc32Flags, 16 * 4},
		{"i386 REG_UESP", sc32SPAtSig, 17 * 4},
		{"i386 REG_SS", sc32SS, 18 * 4},
		{"i386 fpregs", sc32Fpstate, 19 * 4},
		{"i386 oldmask", sc32Oldmask, 20 * 4},
		{"i386 cr2", sc32CR2, 21 * 4},
		{"i386 sizeof(struct sigframe_ia32)", sf32Size, 732},
		{"i386 sigframe.extramask", sf32Extramask, 720},
		{"i386 sizeof(struct rt_sigframe_ia32)", rt32Size, 268},
		{"i386 rt_sigframe.uc", rt32UC, 144},
		{"i386 ucontext.uc_mcontext", uc32Mcontext, 20},
		{"i386 ucontext.uc_sigmask", uc32Sigmask, 108},
		{"i386 sizeof(struct _fpstate_32)", fsaveHeaderSize + 512, fpstate32Size},
	} {
		if c.got != c.want {
			t.Errorf("%s = %d, want %d", c.name, c.got, c.want)
		}
	}
}

func rd(t *testing.T, p *Thread, addr uint64, n int) uint64 {
	t.Helper()
	b := make([]byte, 8)
	if !p.Mem.Peek(addr, b[:n]) {
		t.Fatalf("cannot read %#x", addr)
	}
	return binary.LittleEndian.Uint64(b)
}

// setAction installs a handler for sig directly.
func setAction(p *Thread, sig int, sa abi.Sigaction) { p.sig.act[sig] = sa }

func TestRtFrame64(t *testing.T) {
	p := newTestProcess(t, 64, nil, nil, Options{})
	c := p.CPU
	const handler, restorer = 0x401100, 0x401200
	setAction(p, abi.SIGUSR1, abi.Sigaction{Handler: handler, Flags: saSiginfo | saRestorer, Restorer: restorer, Mask: sigBit(abi.SIGUSR2)})
	for r := range c.R {
		c.R[r] = 0x1000 + uint64(r)
	}
	sp := p.Stack.SP - 3 // misaligned on purpose
	c.R[x86.RSP] = sp
	c.RIP = 0x401234
	c.SetFlags(x86.FlagCF|x86.FlagZF|x86.FlagDF, x86.StatusFlags|x86.FlagDF)
	c.MXCSR = 0x1fa0
	c.XMM[3] = [2]uint64{0x1111, 0x2222}
	p.setMask(sigBit(abi.SIGHUP))

	p.raise(abi.SIGUSR1, siTkill)
	if !p.deliverSignals(c) {
		t.Fatal("no handler ran")
	}
	frame := c.R[x86.RSP]
	fp := (sp - redZone - 512) &^ 63
	if want := (fp-rt64Size)&^15 - 8; frame != want {
		t.Fatalf("frame at %#x, want %#x", frame, want)
	}
	if frame%16 != 8 {
		t.Errorf("rsp %#x: not 16n+8 at handler entry", frame)
	}
	if c.RIP != handler || c.R[x86.RDI] != abi.SIGUSR1 || c.R[x86.RSI] != frame+312 || c.R[x86.RDX] != frame+8 || c.R[x86.RAX] != 0 {
		t.Errorf("handler regs rip %#x rdi %d rsi %#x rdx %#x rax %d", c.RIP, c.R[x86.RDI], c.R[x86.RSI], c.R[x86.RDX], c.R[x86.RAX])
	}
	if c.DF() || c.MXCSR != 0x1f80 || c.XMM[3] != [2]uint64{} {
		t.Errorf("handler state: DF %v MXCSR %#x xmm3 %x", c.DF(), c.MXCSR, c.XMM[3])
	}
	if m := sigBit(abi.SIGHUP) | sigBit(abi.SIGUSR1) | sigBit(abi.SIGUSR2); p.mask != m {
		t.Errorf("mask in handler %#x, want %#x", p.mask, m)
	}
	uc := frame + 8
	sc := uc + 40
	for _, f := range []struct {
		name string
		addr uint64
		n    int
		want uint64
	}{
		{"pretcode", frame, 8, restorer},
		{"uc_flags", uc, 8, 6},
		{"uc_link", uc + 8, 8, 0},
		{"uc_stack.ss_flags", uc + 24, 4, 0},
		{"rip", sc + 128, 8, 0x401234},
		{"rsp", sc + 120, 8, sp},
		{"rax", sc + 104, 8, 0x1000},
		{"rdi", sc + 64, 8, 0x1007},
		{"r8", sc, 8, 0x1008},
		{"r15", sc + 56, 8, 0x100f},
		{"eflags", sc + 136, 8, 0x2 | 0x200 | uint64(x86.FlagCF|x86.FlagZF|x86.FlagDF)},
		{"cs", sc + 144, 2, 0x33},
		{"ss", sc + 150, 2, 0x2b},
		{"oldmask", sc + 168, 8, sigBit(abi.SIGHUP)},
		{"fpstate", sc + 184, 8, fp},
		{"uc_sigmask", uc + 296, 8, sigBit(abi.SIGHUP)},
		{"si_signo", frame + 312, 4, abi.SIGUSR1},
		{"si_code", frame + 320, 4, 0xfffffffa},
		{"si_pid", frame + 328, 4, uint64(p.pid)},
		{"fx mxcsr", fp + 24, 4, 0x1fa0},
		{"fx xmm3 low", fp + 160 + 3*16, 8, 0x1111},
		{"fx sw magic1", fp + 464, 4, fpXstateMagic1},
		{"fx sw extended_size", fp + 468, 4, 516},
	} {
		if got := rd(t, p, f.addr, f.n); got != f.want {
			t.Errorf("%s = %#x, want %#x", f.name, got, f.want)
		}
	}

	// The handler edits its context, returns to the restorer (popping
	// pretcode), which calls rt_sigreturn.
	p.Mem.Poke(sc+128, binary.LittleEndian.AppendUint64(nil, 0x401240))
	p.Mem.Poke(sc+104, binary.LittleEndian.AppendUint64(nil, 0xabc))
	c.R[x86.RSP] = frame + 8
	c.R[x86.RAX] = 0
	c.SetFlags(0, x86.StatusFlags)
	call(t, p, x86.GateSyscall, "rt_sigreturn")
	if c.RIP != 0x401240 || c.R[x86.RAX] != 0xabc || c.R[x86.RSP] != sp || c.R[x86.R15] != 0x100f {
		t.Errorf("after sigreturn rip %#x rax %#x rsp %#x r15 %#x", c.RIP, c.R[x86.RAX], c.R[x86.RSP], c.R[x86.R15])
	}
	if !c.CF() || !c.ZF() || !c.DF() || c.MXCSR != 0x1fa0 || c.XMM[3] != [2]uint64{0x1111, 0x2222} {
		t.Errorf("after sigreturn CF %v ZF %v DF %v MXCSR %#x xmm3 %x", c.CF(), c.ZF(), c.DF(), c.MXCSR, c.XMM[3])
	}
	if p.mask != sigBit(abi.SIGHUP) {
		t.Errorf("mask after sigreturn %#x", p.mask)
	}
}

func TestFrame64NeedsRestorer(t *testing.T) {
	p := newTestProcess(t, 64, nil, nil, Options{})
	setAction(p, abi.SIGUSR1, abi.Sigaction{Handler: 0x401100})
	p.raise(abi.SIGUSR1, siUser)
	p.deliverSignals(p.CPU)
	if _, sig := p.ExitStatus(); sig != abi.SIGSEGV || !p.CPU.Exited {
		t.Errorf("a handler without SA_RESTORER: guest ended by %d, want SIGSEGV", sig)
	}
}

func TestFrames32(t *testing.T) {
	for _, rt := range []bool{false, true} {
		p := newTestProcess(t, 32, nil, nil, Options{})
		c := p.CPU
		flags := uint64(0)
		if rt {
			flags = saSiginfo
		}
		setAction(p, abi.SIGSEGV, abi.Sigaction{Handler: 0x8049100, Flags: flags})
		for r := range 8 {
			c.R[r] = 0x100 + uint64(r)
		}
		sp := p.Stack.SP - 6
		c.R[x86.RSP] = sp
		c.RIP = 0x8049234
		p.setMask(sigBit(40) | sigBit(abi.SIGHUP))
		p.handleFault(c, &x86.Trap{Kind: x86.TrapPage, Addr: 0x10, Mem: &mem.Fault{Addr: 0x10, Access: mem.AccWrite, Unmapped: true}})
		if c.Exited {
			t.Fatalf("rt=%v: guest ended", rt)
		}
		frame := c.R[x86.RSP]
		fx := (sp - 512) &^ 63
		fpstate := fx - 112
		size := uint64(sf32Size)
		if rt {
			size = rt32Size
		}
		if want := (fpstate-size+4)&^15 - 4; frame != want || (frame+4)%16 != 0 {
			t.Fatalf("rt=%v: frame at %#x, want %#x", rt, frame, want)
		}
		if c.RIP != 0x8049100 || c.R[x86.RAX] != abi.SIGSEGV {
			t.Errorf("rt=%v: eip %#x eax %d", rt, c.RIP, c.R[x86.RAX])
		}
		var sc uint64
		fields := []struct {
			name string
			off  uint64
			n    int
			want uint64
		}{{"sig", 4, 4, abi.SIGSEGV}}
		if rt {
			sc = frame + 144 + 20
			fields = append(fields, []struct {
				name string
				off  uint64
				n    int
				want uint64
			}{
				{"pretcode", 0, 4, p.Layout.VDSO + vdsoRtSigreturn32},
				{"pinfo", 8, 4, frame + 16},
				{"puc", 12, 4, frame + 144},
				{"si_signo", 16, 4, abi.SIGSEGV},
				{"si_code", 24, 4, segvMaperr},
				{"si_addr", 28, 4, 0x10},
				{"uc_sigmask", 144 + 108, 8, sigBit(40) | sigBit(abi.SIGHUP)},
				{"retcode", 260, 8, 0x0080cd000000adb8},
			}...)
			if c.R[x86.RDX] != frame+16 || c.R[x86.RCX] != frame+144 {
				t.Errorf("rt edx %#x ecx %#x", c.R[x86.RDX], c.R[x86.RCX])
			}
		} else {
			sc = frame + 8
			fields = append(fields, []struct {
				name string
				off  uint64
				n    int
				want uint64
			}{
				{"pretcode", 0, 4, p.Layout.VDSO + vdsoSigreturn32},
				{"extramask", 720, 4, sigBit(40) >> 32},
				{"retcode", 724, 8, 0x80cd00000077b858},
			}...)
		}
		fields = append(fields, []struct {
			name string
			off  uint64
			n    int
			want uint64
		}{
			{"eip", sc - frame + 56, 4, 0x8049234},
			{"esp", sc - frame + 28, 4, sp},
			{"sp_at_signal", sc - frame + 68, 4, sp},
			{"eax", sc - frame + 44, 4, 0x100},
			{"edi", sc - frame + 16, 4, 0x107},
			{"cs", sc - frame + 60, 4, 0x23},
			{"ds", sc - frame + 12, 4, 0x2b},
			{"trapno", sc - frame + 48, 4, 14},
			{"err", sc - frame + 52, 4, 6},
			{"cr2", sc - frame + 84, 4, 0x10},
			{"oldmask", sc - frame + 80, 4, sigBit(abi.SIGHUP)},
			{"fpstate", sc - frame + 76, 4, fpstate},
			{"fp cw", fpstate - frame, 4, 0xffff037f},
			{"fp magic", fpstate - frame + 110, 2, 0},
			{"fx cw", fx - frame, 2, 0x037f},
			{"fx mxcsr", fx - frame + 24, 4, 0x1f80},
			{"fx sw extended_size", fx - frame + 468, 4, 628},
		}...)
		for _, f := range fields {
			if got := rd(t, p, frame+f.off, f.n); got != f.want {
				t.Errorf("rt=%v: %s = %#x, want %#x", rt, f.name, got, f.want)
			}
		}
		// Return: the handler's ret pops pretcode; __kernel_sigreturn
		// pops the signal number too.
		p.Mem.Poke(sc+56, binary.LittleEndian.AppendUint32(nil, 0x8049240))
		name := "sigreturn"
		c.R[x86.RSP] = frame + 8
		if rt {
			name = "rt_sigreturn"
			c.R[x86.RSP] = frame + 4
		}
		call(t, p, x86.GateInt80, name)
		if c.RIP != 0x8049240 || c.R[x86.RSP] != sp || c.R[x86.RAX] != 0x100 || c.R[x86.RDI] != 0x107 {
			t.Errorf("rt=%v: after %s eip %#x esp %#x eax %#x", rt, name, c.RIP, c.R[x86.RSP], c.R[x86.RAX])
		}
		if p.mask != sigBit(40)|sigBit(abi.SIGHUP) {
			t.Errorf("rt=%v: mask after sigreturn %#x", rt, p.mask)
		}
	}
}

func TestAltStack(t *testing.T) {
	p := newTestProcess(t, 64, nil, nil, Options{})
	c := p.CPU
	const alt, size = 0x7000_0000, 0x4000
	if err := p.Mem.Map(alt, size, mem.Read|mem.Write); err != nil {
		t.Fatal(err)
	}
	ss := p.w.Encode(alt, 0, size)
	buf := uint64(p.Stack.SP - 0x100)
	p.Mem.Poke(buf, ss)
	if r := call(t, p, x86.GateSyscall, "sigaltstack", buf, 0); r != 0 {
		t.Fatalf("sigaltstack = %d", r)
	}
	setAction(p, abi.SIGUSR1, abi.Sigaction{Handler: 0x401100, Flags: saOnstack | saRestorer, Restorer: 0x401200})
	sp := p.Stack.SP - 0x200
	c.R[x86.RSP] = sp
	p.raise(abi.SIGUSR1, siUser)
	p.deliverSignals(c)
	frame := c.R[x86.RSP]
	if frame < alt || frame >= alt+size {
		t.Fatalf("frame %#x not on the alternate stack", frame)
	}
	if got := rd(t, p, frame+8+24, 4); got != 0 {
		t.Errorf("uc_stack.ss_flags = %d", got)
	}
	// Inside the handler sigaltstack reports SS_ONSTACK and refuses changes.
	out := uint64(alt + 0x100)
	if r := call(t, p, x86.GateSyscall, "sigaltstack", buf, out); r != -abi.EPERM {
		t.Errorf("sigaltstack on the alternate stack = %d, want EPERM", r)
	}
	if r := call(t, p, x86.GateSyscall, "sigaltstack", 0, out); r != 0 || rd(t, p, out+8, 4) != ssOnstack {
		t.Errorf("sigaltstack = %d, flags %d; want SS_ONSTACK", r, rd(t, p, out+8, 4))
	}
	// A frame that would overflow the alternate stack forces SIGSEGV.
	c.R[x86.RSP] = alt + 0x300
	p.setMask(0)
	p.raise(abi.SIGUSR1, siUser)
	setAction(p, abi.SIGUSR1, abi.Sigaction{Handler: 0x401100, Flags: saOnstack | saRestorer | saNodefer, Restorer: 0x401200})
	p.deliverSignals(c)
	if _, sig := p.ExitStatus(); sig != abi.SIGSEGV {
		t.Errorf("overflowing the alternate stack: ended by %d, want SIGSEGV", sig)
	}
}

func TestDeliveryRules(t *testing.T) {
	p := newTestProcess(t, 64, nil, nil, Options{})
	c := p.CPU
	h := abi.Sigaction{Handler: 0x401100, Flags: saRestorer | saResethand | saNodefer, Restorer: 0x401200}
	setAction(p, abi.SIGUSR2, h)
	p.raise(abi.SIGUSR2, siUser)
	p.deliverSignals(c)
	if p.sig.act[abi.SIGUSR2].Handler != abi.SIG_DFL || p.mask != 0 {
		t.Errorf("SA_RESETHAND|SA_NODEFER: handler %#x mask %#x", p.sig.act[abi.SIGUSR2].Handler, p.mask)
	}
	// Classic signals coalesce, real-time ones queue; ignored ones vanish.
	p.setMask(^uint64(0))
	p.raise(abi.SIGUSR1, siUser)
	p.raise(abi.SIGUSR1, siUser)
	p.raise(40, siUser)
	p.raise(40, siUser)
	p.raise(abi.SIGCHLD, siUser) // blocked: kept even though ignored by default
	if len(p.sig.q.queue[abi.SIGUSR1]) != 1 || len(p.sig.q.queue[40]) != 2 || p.sig.q.pending&sigBit(abi.SIGCHLD) == 0 {
		t.Errorf("queues: usr1 %d rt %d pending %#x", len(p.sig.q.queue[abi.SIGUSR1]), len(p.sig.q.queue[40]), p.sig.q.pending)
	}
	p.setMask(0)
	p.raise(abi.SIGWINCH, siUser)
	if p.sig.q.pending&sigBit(abi.SIGWINCH) != 0 {
		t.Error("an unblocked ignored signal was queued")
	}
	// Synchronous signals come first.
	p.queueSignal(newSigInfo(abi.SIGSEGV, siKernel))
	if s := p.nextSignal(^uint64(0)); s != abi.SIGSEGV {
		t.Errorf("next signal %d, want SIGSEGV", s)
	}
	// A blocked synchronous fault is forced: default action.
	q := newTestProcess(t, 64, nil, nil, Options{})
	setAction(q, abi.SIGILL, abi.Sigaction{Handler: 0x401100, Flags: saRestorer, Restorer: 0x401200})
	q.setMask(sigBit(abi.SIGILL))
	q.handleFault(q.CPU, &x86.Trap{Kind: x86.TrapInvalidOp})
	if _, sig := q.ExitStatus(); sig != abi.SIGILL {
		t.Errorf("blocked SIGILL fault: ended by %d", sig)
	}
}

func TestSyscallRestart(t *testing.T) {
	const eintr = 1<<64 - abi.EINTR
	for _, c := range []struct {
		name    string
		flags   uint64
		restart bool
	}{
		{"read", saRestart, true},
		{"read", 0, false},
		{"nanosleep", saRestart, false},
		{"pause", saRestart, false},
	} {
		p := newTestProcess(t, 64, nil, nil, Options{})
		cpu := p.CPU
		setAction(p, abi.SIGALRM, abi.Sigaction{Handler: 0x401100, Flags: saRestorer | c.flags, Restorer: 0x401200})
		p.queueSignal(newSigInfo(abi.SIGALRM, siKernel))
		cpu.RIP = 0x401002 // after the syscall instruction
		cpu.R[x86.RAX] = eintr
		p.syscallExit(cpu, x86.GateSyscall, 0, restartClassOf(c.name), -abi.EINTR)
		sc := cpu.R[x86.RSP] + 8 + 40
		rip, rax := rd(t, p, sc+128, 8), rd(t, p, sc+104, 8)
		if c.restart && (rip != 0x401000 || rax != 0) || !c.restart && (rip != 0x401002 || rax != eintr) {
			t.Errorf("%s flags %#x: saved rip %#x rax %#x", c.name, c.flags, rip, int64(rax))
		}
	}
	// Interrupted with nothing to deliver: restarted at once.
	p := newTestProcess(t, 32, nil, nil, Options{})
	p.CPU.RIP = p.Layout.VDSO + vdsoSysenterReturn
	p.syscallExit(p.CPU, x86.GateSysenter, 3, restartClassOf("read"), -abi.EINTR)
	if p.CPU.RIP != p.Layout.VDSO+vdsoInt80 || p.CPU.R[x86.RAX] != 3 {
		t.Errorf("sysenter restart at %#x eax %d", p.CPU.RIP, p.CPU.R[x86.RAX])
	}
}
