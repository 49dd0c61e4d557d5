package linux

import (
	"syscall"
	"testing"
	"time"

	"gemu/internal/linux/abi"
	"gemu/internal/x86"
)

// A timer signal interrupts a host read blocked on an empty pipe: the
// guest thread is kicked out of the call with EINTR.
func TestTimerInterruptsBlockingRead(t *testing.T) {
	p := newTestProcess(t, 64, nil, nil, Options{})
	setAction(p, abi.SIGALRM, abi.Sigaction{Handler: 0x401100, Flags: saRestorer, Restorer: 0x401200})
	var fds [2]int
	if err := syscall.Pipe(fds[:]); err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fds[0])
	defer syscall.Close(fds[1])
	// A safety net, so that a failure does not hang the test.
	safety := time.AfterFunc(5*time.Second, func() { syscall.Write(fds[1], []byte{1}) })
	defer safety.Stop()
	start := time.Now()
	p.setitimer(itimerReal, int64(20*time.Millisecond), 0)
	buf := hbuf(1)
	r := host(syscall.SYS_READ, uintptr(fds[0]), uintptr(ptr(buf)), 1)
	if r != -abi.EINTR {
		t.Fatalf("read = %d after %v, want EINTR", r, time.Since(start))
	}
	if d := time.Since(start); d < 15*time.Millisecond {
		t.Errorf("interrupted after %v, before the timer", d)
	}
	p.mergeAsync()
	if p.sig.q.pending&sigBit(abi.SIGALRM) == 0 {
		t.Error("SIGALRM not pending")
	}
}

func TestItimerValues(t *testing.T) {
	p := newTestProcess(t, 32, nil, nil, Options{})
	buf := p.Stack.SP - 0x100
	p.Mem.Poke(buf, p.w.Encode(1, 500000, 10, 0)) // interval 1.5s, value 10s
	if r := call(t, p, x86.GateInt80, "setitimer", itimerReal, buf, 0); r != 0 {
		t.Fatalf("setitimer = %d", r)
	}
	if r := call(t, p, x86.GateInt80, "getitimer", itimerReal, buf); r != 0 {
		t.Fatalf("getitimer = %d", r)
	}
	isec, iusec, vsec, vusec := word(t, p, buf), word(t, p, buf+4), word(t, p, buf+8), word(t, p, buf+12)
	if isec != 1 || iusec != 500000 || vsec != 9 || vusec < 900000 {
		t.Errorf("getitimer: interval %d.%06d value %d.%06d", isec, iusec, vsec, vusec)
	}
	// alarm replaces the timer and rounds what was left.
	if r := call(t, p, x86.GateInt80, "alarm", 0); r != 10 {
		t.Errorf("alarm(0) = %d, want 10", r)
	}
	if r := call(t, p, x86.GateInt80, "alarm", 0); r != 0 {
		t.Errorf("second alarm(0) = %d, want 0", r)
	}
	p.Mem.Poke(buf, p.w.Encode(0, 1000000, 0, 0))
	if r := call(t, p, x86.GateInt80, "setitimer", itimerReal, buf, 0); r != -abi.EINVAL {
		t.Errorf("setitimer with usec 1000000 = %d, want EINVAL", r)
	}
	if r := call(t, p, x86.GateInt80, "setitimer", 3, buf, 0); r != -abi.EINVAL {
		t.Errorf("setitimer(3) = %d, want EINVAL", r)
	}
}

// ITIMER_VIRTUAL counts the guest thread's CPU time.
func TestVirtualTimer(t *testing.T) {
	p := newTestProcess(t, 64, nil, nil, Options{})
	p.setMask(sigBit(abi.SIGVTALRM))
	start := time.Now()
	p.setitimer(itimerVirtual, int64(20*time.Millisecond), 0)
	x := 1
	for time.Since(start) < 5*time.Second {
		for i := 0; i < 100000; i++ {
			x = x*7 + i
		}
		p.mergeAsync()
		if p.sig.q.pending&sigBit(abi.SIGVTALRM) != 0 {
			break
		}
	}
	if p.sig.q.pending&sigBit(abi.SIGVTALRM) == 0 {
		t.Fatalf("no SIGVTALRM after %v (%d)", time.Since(start), x)
	}
	if d := time.Since(start); d < 15*time.Millisecond {
		t.Errorf("SIGVTALRM after %v of a 20ms CPU-time timer", d)
	}
}

func TestSigtimedwait(t *testing.T) {
	p := newTestProcess(t, 64, nil, nil, Options{})
	set, info, ts := p.Stack.SP-0x100, p.Stack.SP-0x400, p.Stack.SP-0x200
	p.Mem.Poke(set, p.w.Encode(sigBit(abi.SIGUSR1)|sigBit(abi.SIGALRM)))
	p.Mem.Poke(ts, p.w.Encode(0, 0))
	if r := call(t, p, x86.GateSyscall, "rt_sigtimedwait", set, info, ts, 8); r != -abi.EAGAIN {
		t.Errorf("poll with nothing pending = %d, want EAGAIN", r)
	}
	p.setMask(sigBit(abi.SIGUSR1) | sigBit(abi.SIGALRM))
	if r := call(t, p, x86.GateSyscall, "kill", uint64(p.pid), abi.SIGUSR1); r != 0 {
		t.Fatalf("kill = %d", r)
	}
	if r := call(t, p, x86.GateSyscall, "rt_sigtimedwait", set, info, ts, 8); r != abi.SIGUSR1 {
		t.Errorf("rt_sigtimedwait = %d, want SIGUSR1", r)
	}
	if signo, code, pid := rd(t, p, info, 4), rd(t, p, info+8, 4), rd(t, p, info+16, 4); signo != abi.SIGUSR1 || code != siUser || pid != uint64(p.pid) {
		t.Errorf("siginfo signo %d code %d pid %d", signo, code, pid)
	}
	// Wait for a timer signal.
	p.Mem.Poke(ts, p.w.Encode(2, 0))
	p.setitimer(itimerReal, int64(10*time.Millisecond), 0)
	if r := call(t, p, x86.GateSyscall, "rt_sigtimedwait", set, 0, ts, 8); r != abi.SIGALRM {
		t.Errorf("rt_sigtimedwait for the timer = %d, want SIGALRM", r)
	}
	if p.sig.q.pending != 0 {
		t.Errorf("pending %#x after taking the signal", p.sig.q.pending)
	}
}

// sigsuspend waits with a temporary mask; the handler's frame saves the
// old one.
func TestSigsuspend(t *testing.T) {
	p := newTestProcess(t, 64, nil, nil, Options{})
	c := p.CPU
	setAction(p, abi.SIGALRM, abi.Sigaction{Handler: 0x401100, Flags: saRestorer, Restorer: 0x401200})
	p.setMask(sigBit(abi.SIGALRM))
	set := p.Stack.SP - 0x100
	p.Mem.Poke(set, p.w.Encode(sigBit(abi.SIGUSR1)))
	p.setitimer(itimerReal, int64(10*time.Millisecond), 0)
	c.RIP = 0x401002
	call(t, p, x86.GateSyscall, "rt_sigsuspend", set, 8)
	if c.RIP != 0x401100 {
		t.Fatalf("rip %#x: handler not running", c.RIP)
	}
	sc := c.R[x86.RSP] + 8 + 40
	if m := rd(t, p, c.R[x86.RSP]+8+296, 8); m != sigBit(abi.SIGALRM) {
		t.Errorf("saved mask %#x, want the mask before sigsuspend", m)
	}
	if rax, rip := rd(t, p, sc+104, 8), rd(t, p, sc+128, 8); int64(rax) != -abi.EINTR || rip != 0x401002 {
		t.Errorf("saved rax %d rip %#x: want EINTR, no restart", int64(rax), rip)
	}
	if p.mask != sigBit(abi.SIGUSR1)|sigBit(abi.SIGALRM) {
		t.Errorf("mask in the handler %#x", p.mask)
	}
}

// A host signal posted from another goroutine stops the CPU and is
// delivered at the next Interrupt: here its default action ends the guest.
func TestPostSignal(t *testing.T) {
	p := newTestProcess(t, 64, nil, nil, Options{})
	done := make(chan struct{})
	go func() {
		p.PostSignal(abi.SIGTERM)
		close(done)
	}()
	<-done
	if !p.CPU.Stop.Load() {
		t.Fatal("posting did not stop the CPU")
	}
	if p.Interrupt(p.CPU) {
		t.Error("Interrupt asked to go on after a fatal signal")
	}
	if _, sig := p.ExitStatus(); sig != abi.SIGTERM || !p.CPU.Exited {
		t.Errorf("guest ended by %d, want SIGTERM", sig)
	}
}
