package linux

import (
	"encoding/binary"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"gemu/internal/linux/abi"
)

// Peers: the guest memory of another process that runs gemu.
//
// process_vm_readv/writev and /proc/N/mem name another process's memory.
// When that process is a guest of another gemu (the guest's forked child,
// its parent), its memory is not at any host address the host's calls
// could be pointed at: it is that gemu's Go heap. So every gemu serves
// its guest's memory to the others, and a gemu whose guest asks for a
// peer's memory asks that peer.
//
// Who may ask is decided by the host kernel with its own rule, the one
// it applies to process_vm_readv and /proc/N/mem (ptrace access in
// "attach" mode, real credentials, and any security module's say):
//
//   - every gemu listens on an abstract unix socket named after its pid
//     (peerAddr); connecting proves nothing;
//   - for each connection, the server makes a socket pair, keeps one end
//     and tells the client the host descriptor number of the other;
//   - the client takes that descriptor out of the server's process with
//     pidfd_getfd, which the kernel allows only to a caller with ptrace
//     access to the server (PTRACE_MODE_ATTACH_REALCREDS), and says so;
//     the server then closes its copy, so only the client holds that end.
//
// A guest cannot take part: it has no host system calls, and gemu never
// gives a guest a host descriptor number of its own (fdtable.go).
//
// Requests and replies are packets on that pair (SOCK_SEQPACKET): a
// request names an address range of at most one page, a direction, and
// whether the access is forced as a debugger's is (/proc/N/mem); the
// reply carries the number of bytes moved (the access stops at the first
// page that does not allow it) and, for a read, the bytes. One more
// request (peerOpFD) asks for the host descriptor standing for one of
// the guest's (pidfd_getfd, which the client then makes with the host's
// own call and check); its reply is that number or -EBADF.

// peerAddr is the abstract socket address a gemu of host process pid
// listens on.
func peerAddr(pid int) string { return "\x00gemu-peer-" + strconv.Itoa(pid) }

// Host system calls the syscall package has no wrapper for (x86-64).
const (
	sysProcessVMReadv  = 310
	sysProcessVMWritev = 311
	sysPidfdOpen       = 434
	sysPidfdGetfd      = 438
	econnrefused       = 111
)

// peer request header: op, flags, 2 bytes of padding, length, address.
const (
	peerHdr      = 16
	peerOpRead   = 1
	peerOpWrite  = 2
	peerOpFD     = 3
	peerFlgForce = 1
)

// peerServer is this gemu's listening socket.
type peerServer struct {
	fd   int
	p    *Process
	done chan struct{} // closed when accept has returned
}

// ServePeers starts serving the guest's memory to other gemus (see
// above). A gemu that cannot listen (its pid's name is taken) serves
// nothing: peers asking for its guest's memory get EPERM.
func (p *Process) ServePeers() { p.servePeers() }

// servePeers is ServePeers; it returns the server (nil if it could not
// listen), for tests to close.
func (p *Process) servePeers() *peerServer {
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_SEQPACKET|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil
	}
	if syscall.Bind(fd, &syscall.SockaddrUnix{Name: peerAddr(p.pid)}) != nil || syscall.Listen(fd, 16) != nil {
		syscall.Close(fd)
		p.unimpf("gemu: cannot serve the guest's memory to other processes\n")
		return nil
	}
	p.setCodeWrite(p.Mem.OnCodeWrite)
	s := &peerServer{fd: fd, p: p, done: make(chan struct{})}
	go s.accept()
	return s
}

// close stops listening and frees the address (channels already open go
// on).
func (s *peerServer) close() {
	syscall.Shutdown(s.fd, syscall.SHUT_RDWR)
	<-s.done
}

// setCodeWrite makes f the address space's OnCodeWrite, except while a
// peer writes (peerWrite): a peer's store is no vCPU's, so every engine
// gets the invalidation posted, applied before it runs another block.
func (p *Process) setCodeWrite(f func(uint64)) {
	p.Mem.OnCodeWrite = func(addr uint64) {
		if p.peerWriting.Load() > 0 {
			p.postCodeWrite(addr)
			return
		}
		if f != nil {
			f(addr)
		}
	}
}

// postCodeWrite posts the invalidation of a code page to every thread's
// engine.
func (p *Process) postCodeWrite(addr uint64) {
	threads := []*Thread{p.main}
	if p.mt != nil {
		threads = p.mt.list()
	}
	for _, t := range threads {
		if r, ok := t.CPU.Engine.(Runner); ok {
			r.InvalidatePage(addr, false)
		}
	}
}

// peerWrite moves b into the guest's memory for a peer (accessMem). The
// code-page invalidations reported meanwhile are posted to every engine
// (setCodeWrite), so none is touched from the peer's goroutine. A vCPU
// that overwrites its own code in that window also gets its invalidation
// posted: it sees its change from its next block on, as another CPU sees
// a cross-modifying write.
func (p *Process) peerWrite(addr uint64, b []byte, force bool) int {
	p.peerWriting.Add(1)
	defer p.peerWriting.Add(-1)
	return p.accessMem(addr, b, true, force)
}

// accept takes connections for the life of the process (or until close).
func (s *peerServer) accept() {
	defer close(s.done)
	defer syscall.Close(s.fd)
	for {
		c, _, err := syscall.Accept4(s.fd, syscall.SOCK_CLOEXEC)
		if err == syscall.EINTR || err == syscall.ECONNABORTED {
			continue
		}
		if err != nil {
			return
		}
		go s.handshake(c)
	}
}

// handshake gives connection c a private channel that only a client with
// ptrace access to this process can take, and serves it.
func (s *peerServer) handshake(c int) {
	defer syscall.Close(c)
	pair, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_SEQPACKET|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return
	}
	var num [8]byte
	binary.LittleEndian.PutUint64(num[:], uint64(pair[1]))
	if retryEINTR(func() error { _, err := syscall.Write(c, num[:]); return err }) != nil {
		syscall.Close(pair[0])
		syscall.Close(pair[1])
		return
	}
	// The client took its end (or gave up): either way ours goes.
	var ack [1]byte
	n, _ := readEINTR(c, ack[:])
	syscall.Close(pair[1])
	if n != 1 {
		syscall.Close(pair[0])
		return
	}
	s.serve(pair[0])
}

// serve answers requests on channel fd until the client closes it.
func (s *peerServer) serve(fd int) {
	defer syscall.Close(fd)
	req := make([]byte, peerHdr+pageSize)
	rep := make([]byte, 8+pageSize)
	for {
		n, err := readEINTR(fd, req)
		if err != nil || n < peerHdr {
			return
		}
		op, force := req[0], req[1]&peerFlgForce != 0
		size := int(binary.LittleEndian.Uint32(req[4:]))
		addr := binary.LittleEndian.Uint64(req[8:])
		if size > pageSize || op == peerOpWrite && n != peerHdr+size || op != peerOpRead && op != peerOpWrite && op != peerOpFD {
			return
		}
		var done int
		out := rep[:8]
		switch op {
		case peerOpFD:
			done = -abi.EBADF
			if e, ok := s.p.fds.lookup(int64(addr)); ok && addr <= 0x7fffffff {
				done = e.host
			}
		case peerOpRead:
			done = s.p.accessMem(addr, rep[8:8+size], false, force)
			out = rep[:8+done]
		default:
			done = s.p.peerWrite(addr, req[peerHdr:peerHdr+size], force)
		}
		binary.LittleEndian.PutUint64(rep, uint64(done))
		if retryEINTR(func() error { _, err := syscall.Write(fd, out); return err }) != nil {
			return
		}
	}
}

// memTarget is the process whose memory a transfer addresses: the guest
// itself or a peer.
type memTarget interface {
	// access moves bytes between b (at most a page's worth) and the
	// target's memory at addr, stopping at the first page that does not
	// allow the access (a debugger's, if force), and returns how many
	// moved, or a negative errno if the target is gone.
	access(addr uint64, b []byte, write, force bool) int64
}

// selfTarget is the guest's own memory.
type selfTarget struct{ p *Process }

func (t selfTarget) access(addr uint64, b []byte, write, force bool) int64 {
	return int64(t.p.accessMem(addr, b, write, force))
}

// peerConn is a channel to a peer gemu.
type peerConn struct {
	mu  sync.Mutex
	fd  int
	buf []byte
}

// access asks the peer to move the bytes.
func (c *peerConn) access(addr uint64, b []byte, write, force bool) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fd < 0 {
		return -abi.ESRCH
	}
	req := c.buf[:peerHdr]
	clear(req)
	req[0] = peerOpRead
	if write {
		req[0] = peerOpWrite
		req = append(req, b...)
	}
	if force {
		req[1] = peerFlgForce
	}
	binary.LittleEndian.PutUint32(req[4:], uint32(len(b)))
	binary.LittleEndian.PutUint64(req[8:], addr)
	if r := host(syscall.SYS_WRITE, uintptr(c.fd), uintptr(ptr(req)), uintptr(len(req))); r != int64(len(req)) {
		return c.lost()
	}
	rep := c.buf[:8+pageSize]
	n := host(syscall.SYS_READ, uintptr(c.fd), uintptr(ptr(rep)), uintptr(len(rep)))
	if n < 8 {
		return c.lost()
	}
	done := int64(binary.LittleEndian.Uint64(rep))
	if done < 0 || done > int64(len(b)) || !write && n != 8+done {
		return c.lost()
	}
	if !write {
		copy(b, rep[8:8+done])
	}
	return done
}

// hostFD asks the peer for the host descriptor standing for its guest's
// descriptor fd: the number, -EBADF if the guest has no such descriptor,
// or -ESRCH if the peer is gone.
func (c *peerConn) hostFD(fd int64) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fd < 0 {
		return -abi.ESRCH
	}
	req := c.buf[:peerHdr]
	clear(req)
	req[0] = peerOpFD
	binary.LittleEndian.PutUint64(req[8:], uint64(fd))
	if r := host(syscall.SYS_WRITE, uintptr(c.fd), uintptr(ptr(req)), uintptr(len(req))); r != int64(len(req)) {
		return c.lost()
	}
	rep := c.buf[:8]
	if n := host(syscall.SYS_READ, uintptr(c.fd), uintptr(ptr(rep)), uintptr(len(rep))); n != 8 {
		return c.lost()
	}
	return int64(binary.LittleEndian.Uint64(rep))
}

// lost closes a channel whose peer is gone (its process ended or
// exec'd): the peer is asked again next time.
func (c *peerConn) lost() int64 {
	syscall.Close(c.fd)
	c.fd = -1
	return -abi.ESRCH
}

// peers are the channels this gemu opened, by the peer's process id.
type peers struct {
	mu    sync.Mutex
	conns map[int]*peerConn
}

// peerTarget returns the memory of host process pid (a process or any
// of its threads' ids) for the calling guest, deciding access as the
// host kernel does for process_vm_readv: ESRCH if there is no such
// process, EPERM if the caller may not reach it. The target is nil with
// no error when pid does not run gemu: its memory is the host's to serve.
func (p *Process) peerTarget(pid int) (memTarget, int64) {
	// The kernel's own check, with a copy it must fail: one byte from
	// address 0, which no process maps.
	// The buffer is on the heap, where nothing moves it while the
	// kernel holds its address (it is never written: the remote side
	// fails first).
	b := new([1]byte)
	iov := new([2][2]uint64)
	iov[0] = [2]uint64{uint64(uintptr(unsafe.Pointer(b))), 1}
	r := host(sysProcessVMReadv, uintptr(pid), uintptr(unsafe.Pointer(&iov[0])), 1, uintptr(unsafe.Pointer(&iov[1])), 1, 0)
	runtime.KeepAlive(b)
	if r == -abi.ESRCH || r == -abi.EPERM {
		return nil, r
	}
	p.peers.mu.Lock()
	defer p.peers.mu.Unlock()
	if c := p.peers.conns[pid]; c != nil {
		c.mu.Lock()
		alive := c.fd >= 0
		c.mu.Unlock()
		if alive {
			return c, 0
		}
		delete(p.peers.conns, pid)
	}
	tgid := hostTgid(pid)
	if tgid <= 0 {
		return nil, -abi.ESRCH
	}
	if !runsGemu(tgid) {
		return nil, 0
	}
	fd, e := dialPeer(tgid)
	if e != 0 {
		if e == -abi.EPERM {
			p.unimpf("gemu: process %d runs gemu but does not serve its memory\n", tgid)
		}
		return nil, e
	}
	if p.peers.conns == nil {
		p.peers.conns = map[int]*peerConn{}
	}
	c := &peerConn{fd: fd, buf: make([]byte, peerHdr+pageSize+8)}
	p.peers.conns[pid] = c
	return c, 0
}

// hostTgid returns the process id of host thread tid, or -1.
func hostTgid(tid int) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(tid) + "/status")
	if err != nil {
		return -1
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "Tgid:"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err == nil {
				return n
			}
		}
	}
	return -1
}

// runsGemu reports whether host process pid runs this gemu executable.
func runsGemu(pid int) bool {
	other, err := os.Stat("/proc/" + strconv.Itoa(pid) + "/exe")
	if err != nil {
		return false
	}
	self, err := os.Stat("/proc/self/exe")
	return err == nil && os.SameFile(self, other)
}

// peerWait bounds how long a peer that is between programs (an execve
// replaces its gemu, which listens again as it starts) is waited for.
const peerWait = 2 * time.Second

// dialPeer opens a private channel to the gemu of process pid: EPERM if
// the host does not let this process take it, ESRCH if pid ended.
func dialPeer(pid int) (int, int64) {
	deadline := time.Now().Add(peerWait)
	for {
		fd, e := dialPeerOnce(pid)
		if e != -econnrefused && e != -abi.ENOENT || time.Now().After(deadline) {
			if e == -econnrefused || e == -abi.ENOENT {
				e = -abi.EPERM
			}
			return fd, e
		}
		if r := host(syscall.SYS_KILL, uintptr(pid), 0); r == -abi.ESRCH {
			return -1, r
		}
		time.Sleep(time.Millisecond)
	}
}

func dialPeerOnce(pid int) (int, int64) {
	c, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_SEQPACKET|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, -int64(err.(syscall.Errno))
	}
	defer syscall.Close(c)
	if err := retryEINTR(func() error { return syscall.Connect(c, &syscall.SockaddrUnix{Name: peerAddr(pid)}) }); err != nil {
		return -1, -int64(err.(syscall.Errno))
	}
	// The listener must be pid's own, not a squatter's.
	cred, err := syscall.GetsockoptUcred(c, syscall.SOL_SOCKET, syscall.SO_PEERCRED)
	if err != nil || int(cred.Pid) != pid {
		return -1, -abi.EPERM
	}
	var num [8]byte
	if n := host(syscall.SYS_READ, uintptr(c), uintptr(ptr(num[:])), 8); n != 8 {
		return -1, -abi.ESRCH
	}
	pfd := host(sysPidfdOpen, uintptr(pid), 0)
	if pfd < 0 {
		return -1, pfd
	}
	fd := host(sysPidfdGetfd, uintptr(pfd), uintptr(binary.LittleEndian.Uint64(num[:])), 0)
	syscall.Close(int(pfd))
	if fd < 0 {
		if fd == -abi.EACCES {
			fd = -abi.EPERM
		}
		return -1, fd
	}
	syscall.CloseOnExec(int(fd))
	ack := []byte{1}
	if host(syscall.SYS_WRITE, uintptr(c), uintptr(ptr(ack)), 1) != 1 {
		syscall.Close(int(fd))
		return -1, -abi.ESRCH
	}
	return int(fd), 0
}

func retryEINTR(f func() error) error {
	for {
		if err := f(); err != syscall.EINTR {
			return err
		}
	}
}

func readEINTR(fd int, b []byte) (int, error) {
	for {
		n, err := syscall.Read(fd, b)
		if err != syscall.EINTR {
			return n, err
		}
	}
}
