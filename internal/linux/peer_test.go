package linux

import (
	"bytes"
	"os"
	"runtime"
	"testing"
	"unsafe"

	"gemu/internal/linux/abi"
	"gemu/internal/mem"
)

// TestPeerAccess serves one test process's guest memory on this test
// binary's peer address and reaches it from another, through the whole
// handshake (pidfd_getfd of the server's end: this process may take its
// own descriptors): reads and writes stop at the first page that does
// not allow them, forced ones reach read-only and PROT_NONE pages.
func TestPeerAccess(t *testing.T) {
	srv := newTestProcess(t, 64, []string{"srv"}, nil, Options{})
	cli := newTestProcess(t, 64, []string{"cli"}, nil, Options{})
	srv.pid = os.Getpid()
	const base = 0x40000000
	if err := srv.Mem.Map(base, 3*pageSize, mem.Read|mem.Write); err != nil {
		t.Fatal(err)
	}
	srv.Mem.Poke(base+pageSize-4, []byte("abcdefgh"))
	srv.Mem.Protect(base+pageSize, pageSize, mem.Read)
	srv.Mem.Protect(base+2*pageSize, pageSize, 0)
	// From here on only the server's goroutines touch srv's memory (the
	// race detector does not see the order the socket gives).
	ps := srv.servePeers()
	if ps == nil {
		t.Fatal("cannot listen")
	}
	t.Cleanup(ps.close)

	tg, e := cli.peerTarget(os.Getpid())
	if e != 0 || tg == nil {
		t.Fatalf("peerTarget = %v, %d", tg, e)
	}
	if _, ok := tg.(*peerConn); !ok {
		t.Fatalf("target %T, want a peer channel", tg)
	}
	b := make([]byte, 8)
	if n := tg.access(base+pageSize-4, b, false, false); n != 8 || string(b) != "abcdefgh" {
		t.Errorf("read = %d %q, want 8 \"abcdefgh\"", n, b)
	}
	// A write stops at the read-only page unless forced.
	if n := tg.access(base+pageSize-4, []byte("WXYZwxyz"), true, false); n != 4 {
		t.Errorf("write into a read-only page moved %d, want 4", n)
	}
	if n := tg.access(base+pageSize, []byte("1234"), true, true); n != 4 {
		t.Errorf("forced write to a read-only page moved %d, want 4", n)
	}
	got := make([]byte, 8)
	if n := tg.access(base+pageSize-4, got, false, false); n != 8 || string(got) != "WXYZ1234" {
		t.Errorf("server memory %d %q, want 8 \"WXYZ1234\"", n, got)
	}
	// PROT_NONE: nothing unless forced; unmapped: nothing at all.
	if n := tg.access(base+2*pageSize, b, false, false); n != 0 {
		t.Errorf("read of PROT_NONE moved %d", n)
	}
	if n := tg.access(base+2*pageSize, b, false, true); n != 8 || !bytes.Equal(b, make([]byte, 8)) {
		t.Errorf("forced read of PROT_NONE = %d %x", n, b)
	}
	if n := tg.access(base+3*pageSize-4, b, false, true); n != 4 {
		t.Errorf("read running into unmapped memory moved %d, want 4 (up to the page)", n)
	}
	// The channel is kept for the next call.
	if again, _ := cli.peerTarget(os.Getpid()); again != tg {
		t.Errorf("second peerTarget opened a new channel")
	}
	// A channel whose peer is gone reports ESRCH and is replaced.
	pc := tg.(*peerConn)
	pc.mu.Lock()
	pc.lost()
	pc.mu.Unlock()
	if n := tg.access(base, b, false, false); n != -abi.ESRCH {
		t.Errorf("access on a lost channel = %d, want ESRCH", n)
	}
	if again, e := cli.peerTarget(os.Getpid()); e != 0 || again == tg {
		t.Errorf("peerTarget after a loss = %v, %d: want a new channel", again, e)
	}
}

// TestPeerTargetErrors: no process is ESRCH, and a process that does not
// run gemu is served by the host (no target, no error).
func TestPeerTargetErrors(t *testing.T) {
	p := newTestProcess(t, 64, []string{"p"}, nil, Options{})
	if tg, e := p.peerTarget(1 << 29); e != -abi.ESRCH || tg != nil {
		t.Errorf("peerTarget(no such pid) = %v, %d, want ESRCH", tg, e)
	}
	if runsGemu(os.Getppid()) {
		t.Skip("the test's parent runs this binary")
	}
	if tg, e := p.peerTarget(os.Getppid()); e != 0 && e != -abi.EPERM || tg != nil {
		t.Errorf("peerTarget(parent) = %v, %d, want the host's (nil, 0) or EPERM", tg, e)
	}
}

// TestHostVM reads and writes host memory of this process (not a gemu
// guest) through hostVM, the path for processes that do not run gemu.
func TestHostVM(t *testing.T) {
	p := newTestProcess(t, 64, []string{"p"}, nil, Options{})
	const base = 0x50000000
	if err := p.Mem.Map(base, 2*pageSize, mem.Read|mem.Write); err != nil {
		t.Fatal(err)
	}
	src := []byte("host bytes!")
	remote := [][2]uint64{{uint64(uintptr(unsafe.Pointer(&src[0]))), uint64(len(src))}}
	local := [][2]uint64{{base + pageSize - 4, 4}, {base, 100}}
	if r := p.hostVM(os.Getpid(), local, remote, false); r != int64(len(src)) {
		t.Fatalf("hostVM read = %d, want %d", r, len(src))
	}
	got := make([]byte, 11)
	p.Mem.Peek(base+pageSize-4, got[:4])
	p.Mem.Peek(base, got[4:])
	if string(got) != string(src) {
		t.Errorf("guest got %q, want %q", got, src)
	}
	// Write: the guest's bytes land in the host buffer.
	p.Mem.Poke(base, []byte("GUEST"))
	local = [][2]uint64{{base, 5}}
	if r := p.hostVM(os.Getpid(), local, remote, true); r != 5 {
		t.Fatalf("hostVM write = %d, want 5", r)
	}
	if string(src) != "GUESTbytes!" {
		t.Errorf("host buffer %q, want \"GUESTbytes!\"", src)
	}
	// A local side that faults at once: EFAULT; a partly readable one
	// writes what could be read.
	local = [][2]uint64{{base + 2*pageSize, 4}}
	if r := p.hostVM(os.Getpid(), local, remote, true); r != -abi.EFAULT {
		t.Errorf("hostVM write from unmapped = %d, want EFAULT", r)
	}
	runtime.KeepAlive(src)
}
