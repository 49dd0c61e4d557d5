package linux

import (
	"bytes"
	"debug/elf"
	"errors"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"

	"gemu/internal/linux/abi"
	"gemu/internal/mem"
	"gemu/internal/x86"
)

// forkRoundTrip writes p's fork state and reads it back as the child.
func forkRoundTrip(t *testing.T, p *Thread, ca cloneArgs) (*Thread, *forkImage) {
	t.Helper()
	var buf bytes.Buffer
	img := p.forkImage(ca)
	if err := writeForkState(&buf, img, p.Mem, nil); err != nil {
		t.Fatal(err)
	}
	child, got, err := readForkState(&buf, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return child.main, got
}

func TestForkStateRoundTrip(t *testing.T) {
	for _, bits := range []int{32, 64} {
		p := newTestProcess(t, bits, []string{"prog", "arg"}, []string{"A=1"}, Options{})
		c := p.CPU
		for i := range c.R {
			c.R[i] = uint64(0x1111*(i+1)) & c.AddrMask
		}
		c.RIP = p.Image.Entry + 2
		c.SetFlags(x86.FlagCF|x86.FlagZF|x86.FlagDF|x86.FlagOF, ^uint64(0))
		c.SegBase[x86.FS] = 0x1234000
		c.GDT[12] = x86.SegDesc{Base: 0x5000, Limit: 0xfffff, Flags: 0x51, Present: true}
		c.XMM[3] = [2]uint64{0xdeadbeef, 0xfeedface}
		c.MXCSR = 0x1f00
		c.X87.CW = 0x27f
		c.X87.St[2] = x86.F80{Mant: 1 << 63, SE: 0x3fff}
		c.X87.Empty[2] = false
		p.sig.act[abi.SIGUSR1] = abi.Sigaction{Handler: 0x401000, Flags: saRestart, Mask: 1 << 4}
		p.sig.act[abi.SIGPIPE] = abi.Sigaction{Handler: abi.SIG_IGN}
		p.setMask(sigBit(abi.SIGTERM))
		p.altstack = altStack{sp: 0x700000, size: 0x4000}
		p.sig.q.pending = sigBit(abi.SIGHUP)
		p.queueSignal(newSigInfo(abi.SIGHUP, siUser))
		p.rlimits = map[int][2]uint64{rlimitStack: {1 << 20, rlimInf}}
		p.commName = "renamed"
		p.dirs = map[int]*dirCookies{5: {offs: []int64{1 << 40}, byOff: map[int64]int64{1 << 40: 1}}}
		p.bus.add(0x1234, 0x1235)
		p.fds.dupTo(1, 7, true)
		brk := p.brk + 0x3000
		sysBrk(p, &[6]uint64{brk})
		p.CPU.Mem.Store32(p.brkStart+16, 0xcafef00d)
		p.gate = x86.GateSyscall
		if bits == 32 {
			p.gate = x86.GateInt80
		}

		child, img := forkRoundTrip(t, p, cloneArgs{Flags: abi.SIGCHLD})
		cc := child.CPU
		want := c.R
		want[x86.RAX] = 0 // fork returns 0 in the child
		if cc.R != want || cc.RIP != c.RIP || cc.Flags() != c.Flags() || cc.Mode != bits {
			t.Errorf("%d: child regs %x rip %#x flags %#x, want %x %#x %#x", bits, cc.R, cc.RIP, cc.Flags(), want, c.RIP, c.Flags())
		}
		if cc.SegBase != c.SegBase || cc.Seg != c.Seg || cc.GDT != c.GDT || cc.XMM != c.XMM ||
			cc.MXCSR != c.MXCSR || cc.X87 != c.X87 || cc.AddrMask != c.AddrMask {
			t.Errorf("%d: segment, SSE or x87 state differs", bits)
		}
		if cc.Sys != child || child.CPU.Mem.Space != child.Mem || child.Mem == p.Mem {
			t.Errorf("%d: child wiring", bits)
		}
		if child.pid != os.Getpid() || child.Path != p.Path || child.ExePath != p.ExePath ||
			*child.Image != *p.Image || child.Layout != p.Layout || child.Stack != p.Stack {
			t.Errorf("%d: process identity differs", bits)
		}
		if child.brk != brk || child.brkStart != p.brkStart || child.CPU.Mem.Load32(p.brkStart+16) != 0xcafef00d {
			t.Errorf("%d: brk %#x/%#x", bits, child.brk, child.brkStart)
		}
		if child.sig.act != p.sig.act || child.mask != p.mask || child.altstack != p.altstack {
			t.Errorf("%d: signal dispositions, mask or altstack differ", bits)
		}
		if child.sig.q.pending != 0 {
			t.Errorf("%d: pending signals %#x inherited", bits, child.sig.q.pending)
		}
		if child.rlimits[rlimitStack] != p.rlimits[rlimitStack] || child.commName != "renamed" ||
			child.dirs[5].offs[0] != 1<<40 || child.dirs[5].byOff[1<<40] != 1 || !child.isBusPage(0x1234<<12) {
			t.Errorf("%d: process tables differ", bits)
		}
		if e, ok := child.fds.lookup(7); !ok || e.host != 1 || !e.cloexec || img.VforkFD != -1 || img.BaseFD != -1 {
			t.Errorf("%d: descriptors %v %+v %d %d", bits, ok, e, img.VforkFD, img.BaseFD)
		}
		if got, want := child.fds.snapshot(), p.fds.snapshot(); !slices.Equal(got, want) {
			t.Errorf("%d: child's table %v, want %v", bits, got, want)
		}
		if child.sys != p.sys || child.w != p.w {
			t.Errorf("%d: ABI", bits)
		}
		// Every mapping and byte is the same.
		if got, want := child.Mem.Regions(), p.Mem.Regions(); len(got) != len(want) {
			t.Fatalf("%d: %d regions, want %d", bits, len(got), len(want))
		}
		for _, r := range p.Mem.Regions() {
			a, b := make([]byte, r.End-r.Start), make([]byte, r.End-r.Start)
			p.Mem.Peek(r.Start, a)
			child.Mem.Peek(r.Start, b)
			if !bytes.Equal(a, b) {
				t.Errorf("%d: memory at %#x differs", bits, r.Start)
			}
		}
	}
}

// A child of a fork made through sysenter returns through the vDSO's
// landing pad, as its parent does.
func TestForkChildSysenterReturn(t *testing.T) {
	p := newTestProcess(t, 32, nil, nil, Options{})
	c := p.CPU
	sp := p.Stack.SP - 64
	p.Mem.Poke(sp, []byte{0x78, 0x56, 0x34, 0x12})
	c.R[x86.RSP], c.R[x86.RBP] = sp, sp
	c.RIP = p.Layout.VDSO + vdsoCodeOff + 7
	p.gate = x86.GateSysenter
	child, _ := forkRoundTrip(t, p, cloneArgs{Flags: abi.SIGCHLD})
	cc := child.CPU
	if cc.R[x86.RAX] != 0 || cc.R[x86.RSP] != sp || cc.R[x86.RBP] != 0x12345678 || cc.RIP != p.Layout.VDSO+vdsoSysenterReturn {
		t.Errorf("eax %#x esp %#x ebp %#x eip %#x", cc.R[x86.RAX], cc.R[x86.RSP], cc.R[x86.RBP], cc.RIP)
	}
}

// clone's stack, TLS and CLONE_CHILD_SETTID apply to the child only.
func TestForkChildCloneArgs(t *testing.T) {
	for _, bits := range []int{32, 64} {
		p := newTestProcess(t, bits, nil, nil, Options{})
		ctid := p.Stack.SP - 128
		ca := cloneArgs{Flags: cloneSettls | cloneChildSettid | abi.SIGCHLD, Stack: p.Stack.SP - 4096, Ctid: ctid}
		if bits == 64 {
			ca.TLS = 0x7f0000001000
		} else {
			// A user_desc asking for a free TLS entry.
			ud := p.Stack.SP - 256
			b := make([]byte, abi.UserDescSize)
			copy(b, []byte{0xff, 0xff, 0xff, 0xff, 0x00, 0x10, 0x00, 0x00, 0xff, 0xff, 0x0f, 0x00, 0x51})
			p.Mem.Poke(ud, b)
			ca.TLS = ud
		}
		p.gate = x86.GateSyscall
		child, _ := forkRoundTrip(t, p, ca)
		cc := child.CPU
		if cc.R[x86.RSP] != ca.Stack {
			t.Errorf("%d: child sp %#x, want %#x", bits, cc.R[x86.RSP], ca.Stack)
		}
		if got := child.CPU.Mem.Load32(ctid); got != uint32(os.Getpid()) {
			t.Errorf("%d: CLONE_CHILD_SETTID stored %d", bits, got)
		}
		if p.CPU.Mem.Load32(ctid) != 0 || p.CPU.R[x86.RSP] == ca.Stack {
			t.Errorf("%d: the parent changed", bits)
		}
		if bits == 64 && cc.SegBase[x86.FS] != ca.TLS {
			t.Errorf("fs base %#x", cc.SegBase[x86.FS])
		}
		if bits == 32 && (!cc.GDT[tlsFirst].Present || cc.GDT[tlsFirst].Base != 0x1000) {
			t.Errorf("TLS descriptor %+v", cc.GDT[tlsFirst])
		}
	}
}

func TestReadForkStateRejectsBadInput(t *testing.T) {
	p := newTestProcess(t, 64, nil, nil, Options{})
	var good bytes.Buffer
	if err := writeForkState(&good, p.forkImage(cloneArgs{}), p.Mem, nil); err != nil {
		t.Fatal(err)
	}
	g := good.Bytes()
	for name, in := range map[string][]byte{
		"empty":     nil,
		"magic":     append([]byte("GEMUFRK0"), g[8:]...),
		"truncated": g[:len(g)/2],
		"no memory": g[:len(g)-40],
	} {
		if _, _, err := readForkState(bytes.NewReader(in), Options{}); !errors.Is(err, errForkState) {
			t.Errorf("%s: err %v", name, err)
		}
	}
}

// clone refuses what a separate process cannot share, and says so under
// -d unimp.
func TestCloneFlags(t *testing.T) {
	var log bytes.Buffer
	p := newTestProcess(t, 64, nil, nil, Options{Log: &log, LogUnimp: true})
	cases := []struct {
		flags uint64
		want  int64
		log   string
	}{
		{cloneVM | cloneFS | cloneFiles | cloneSighand | cloneThread | cloneSysvsem | cloneSettls |
			cloneParentSettid | cloneChildCleartid, -abi.ENOSYS, "threads"},
		{cloneThread | cloneVM, -abi.EINVAL, ""},
		{cloneSighand, -abi.EINVAL, ""},
		{cloneVM | abi.SIGCHLD, -abi.ENOSYS, "sharing memory"},
		{cloneFiles | abi.SIGCHLD, -abi.ENOSYS, "unsupported flags 0x400"},
		{cloneNewns | cloneFS, -abi.EINVAL, ""},
	}
	for _, c := range cases {
		log.Reset()
		if got := p.clone(cloneArgs{Flags: c.flags}); got != c.want {
			t.Errorf("clone(%#x) = %d, want %d", c.flags, got, c.want)
		}
		if !strings.Contains(log.String(), c.log) || c.log == "" && log.Len() != 0 {
			t.Errorf("clone(%#x) logged %q, want %q", c.flags, log.String(), c.log)
		}
	}
	if got := sysClone3(p, &[6]uint64{}); got != -abi.ENOSYS {
		t.Errorf("clone3 = %d", got)
	}
}

// loadedPages predicts exactly the pages LoadELF fills from the file: a
// snapshot of a freshly loaded executable against it carries no page of
// the image.
func TestLoadedPagesMatchLoader(t *testing.T) {
	files := map[string][]byte{}
	for _, bits := range []int{32, 64} {
		for _, typ := range []elf.Type{elf.ET_EXEC, elf.ET_DYN} {
			files[typ.String()+map[int]string{32: "/32", 64: "/64"}[bits]] = simpleELF(t, bits, typ)
		}
	}
	if b, err := os.ReadFile("/bin/busybox"); err == nil {
		files["busybox"] = b
	}
	for name, data := range files {
		m, _, err := LoadELF(name, data, 0)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		pages := loadedPages(data)
		base := &mem.Base{Page: func(addr uint64) ([]byte, bool) {
			r, ok := pages[addr]
			if !ok {
				return nil, false
			}
			return data[r[0] : r[0]+r[1]], true
		}}
		var with, without bytes.Buffer
		m.Snapshot(&with, base)
		m.Snapshot(&without, nil)
		if dataPages := (without.Len() - with.Len()) / pageSize; dataPages != len(pages) || with.Len() > 4096 {
			t.Errorf("%s: %d of %d image pages left out (snapshot %d bytes with base)", name, dataPages, len(pages), with.Len())
		}
		r, err := mem.Restore(&with, base)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, reg := range m.Regions() {
			a, b := make([]byte, reg.End-reg.Start), make([]byte, reg.End-reg.Start)
			m.Peek(reg.Start, a)
			r.Peek(reg.Start, b)
			if !bytes.Equal(a, b) {
				t.Errorf("%s: region %#x rebuilt differently", name, reg.Start)
			}
		}
	}
}

// The executable's mapping is kept from one fork to the next while the
// file is unchanged.
func TestImageFileKept(t *testing.T) {
	p := newTestProcess(t, 64, nil, nil, Options{})
	p.ExePath = t.TempDir() + "/prog"
	if err := os.WriteFile(p.ExePath, simpleELF(t, 64, elf.ET_EXEC), 0o755); err != nil {
		t.Fatal(err)
	}
	exe, exeFD := p.imageFile()
	if exe == nil {
		t.Fatal("no mapping of the executable")
	}
	defer syscall.Munmap(exe.data)
	defer syscall.Close(exeFD)
	if exe2, fd2 := p.imageFile(); exe2 != exe {
		t.Error("the mapping of an unchanged executable was not kept")
	} else {
		syscall.Close(fd2)
	}
}

func TestWaitidInfoLayout(t *testing.T) {
	h := make([]byte, siginfoSize)
	copy(h, []byte{17, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0xee, 0xee, 0xee, 0xee,
		0x39, 0x30, 0, 0, 0xe8, 0x03, 0, 0, 7, 0, 0, 0})
	for _, w := range []abi.Words{4, 8} {
		head, union := waitidInfo(w, h)
		if !bytes.Equal(head, h[:12]) {
			t.Errorf("%d: head %x", w, head)
		}
		if want := []byte{0x39, 0x30, 0, 0, 0xe8, 0x03, 0, 0, 7, 0, 0, 0}; !bytes.Equal(union, want) {
			t.Errorf("%d: union %x, want %x", w, union, want)
		}
	}
	if unionOffset(4) != 12 || unionOffset(8) != 16 {
		t.Error("union offsets")
	}
}

// wait4 and waitid reach the host's children: status words unchanged,
// rusage converted, bad buffers refused before a child is reaped.
func TestWaitForHostChild(t *testing.T) {
	for _, bits := range []int{32, 64} {
		p := newTestProcess(t, bits, nil, nil, Options{})
		buf := uint64(0x10000000)
		if err := p.Mem.Map(buf, pageSize, mem.Read|mem.Write); err != nil {
			t.Fatal(err)
		}
		start := func(code string) int {
			pid, err := syscall.ForkExec("/bin/sh", []string{"sh", "-c", "exit " + code}, &syscall.ProcAttr{})
			if err != nil {
				t.Skip("no /bin/sh:", err)
			}
			return pid
		}
		pid := start("7")
		if r := p.wait4(int64(pid), buf+1<<40, 0, 0); r != -abi.EFAULT {
			t.Errorf("%d: bad status pointer: %d", bits, r)
		}
		if r := p.wait4(int64(pid), buf, 0, buf+16); r != int64(pid) {
			t.Fatalf("%d: wait4 = %d, want %d", bits, r, pid)
		}
		if st := p.CPU.Mem.Load32(buf); st != 7<<8 {
			t.Errorf("%d: status %#x", bits, st)
		}
		// ru_maxrss, the third long after two timevals, is nonzero.
		if rss := p.CPU.Mem.LoadN(buf+16+4*uint64(p.w), int(p.w)); rss == 0 {
			t.Errorf("%d: rusage not filled", bits)
		}
		if r := p.wait4(-1, 0, wNohang, 0); r != -abi.ECHILD {
			t.Errorf("%d: no child left: %d", bits, r)
		}
		if r := p.wait4(-1, 0, 0x1000, 0); r != -abi.EINVAL {
			t.Errorf("%d: bad options: %d", bits, r)
		}

		pid = start("3")
		p.CPU.Mem.StoreBytes(buf, bytes.Repeat([]byte{0xaa}, siginfoSize))
		if r := sysWaitid(p, &[6]uint64{pAll, 0, buf, wExited, 0}); r != 0 {
			t.Fatalf("%d: waitid = %d", bits, r)
		}
		u := uint64(unionOffset(p.w))
		if p.CPU.Mem.Load32(buf) != abi.SIGCHLD || p.CPU.Mem.Load32(buf+8) != cldExited ||
			p.CPU.Mem.Load32(buf+u) != uint32(pid) || p.CPU.Mem.Load32(buf+u+8) != 3 {
			t.Errorf("%d: siginfo %x", bits, p.CPU.Mem.Load64(buf+u))
		}
		if p.CPU.Mem.Load8(buf+u+12) != 0xaa {
			t.Errorf("%d: waitid wrote past si_status", bits)
		}
		if r := sysWaitid(p, &[6]uint64{pAll, 0, buf, wExited | wNohang, 0}); r != -abi.ECHILD {
			t.Errorf("%d: waitid with no child = %d", bits, r)
		}
		if r := sysWaitid(p, &[6]uint64{pAll, 0, buf, wNohang, 0}); r != -abi.EINVAL {
			t.Errorf("%d: waitid without a state to wait for = %d", bits, r)
		}
	}
}
