package linux

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"syscall"
	"unsafe"

	"gemu/internal/linux/abi"
)

// signalfd: a descriptor that reads the guest's pending signals.
//
// The guest's signals are gemu's (signal_deliver.go), not the host's, so
// a host signalfd would read the wrong ones. A guest signalfd is a host
// eventfd that stands for it in polls, epoll sets, fstat, fcntl, fork and
// exec, and that gemu keeps readable exactly while a signal of the
// descriptor's mask is pending for the process or one of its threads
// (syncSignalfds, called wherever a signal is queued or taken); reads are
// served by gemu (signalfdCall): each takes pending signals of the mask,
// oldest first as the kernel's dequeue_signal picks them, and returns
// them as struct signalfd_siginfo (128 bytes, one layout for both ABIs).
// A signal taken there is not delivered. Writes fail as for Linux's
// signalfd (EINVAL).

func init() {
	reg(func(t *Thread, a *[6]uint64) int64 { return t.signalfd(a[0], a[1], a[2], 0) }, "signalfd")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.signalfd(a[0], a[1], a[2], uint32(a[3])) }, "signalfd4")
}

// signalfdSiginfoSize is the size of struct signalfd_siginfo.
const signalfdSiginfoSize = 128

// sigfdKindBit marks a signalfd's kind for fork and exec (fdKind*): the
// kind is the descriptor's mask with this bit set, which is SIGKILL's and
// never in a signalfd's mask, while the other kinds are small numbers.
// Signal 64's bit moves to SIGSTOP's, also never in the mask, so that the
// kind is not negative (decodeFDs takes none).
const sigfdKindBit = 1 << (abi.SIGKILL - 1)

// signalFile is a guest signalfd. Guest descriptors that share it (dups,
// inherited ones) share the object, and with it the mask.
type signalFile struct {
	// mask is the signals the descriptor reads (never SIGKILL or
	// SIGSTOP); it changes under the OS lock.
	mask uint64
	// ready says gemu has made the host eventfd readable (its counter
	// is 1); it changes with the fd table's lock held.
	ready bool
	// buf is the eventfd's 8-byte value for gemu's own raw reads and
	// writes: a field of this heap object, alive and unmoved as long as
	// the table holds the object.
	buf [8]byte
	// waiters are the threads blocked in a read of it (OS lock).
	waiters []*Thread
}

func (f *signalFile) kind() int {
	k := f.mask&^sigBit(64) | sigfdKindBit
	if f.mask&sigBit(64) != 0 {
		k |= sigBit(abi.SIGSTOP)
	}
	return int(k)
}

// signalFileOfKind returns the signalfd a kind from fork or exec stands
// for, or nil if it is not a signalfd's.
func signalFileOfKind(k int) *signalFile {
	if k < 0 || k&sigfdKindBit == 0 {
		return nil
	}
	m := uint64(k) &^ (sigfdKindBit | sigBit(abi.SIGSTOP))
	if uint64(k)&sigBit(abi.SIGSTOP) != 0 {
		m |= sigBit(64)
	}
	return &signalFile{mask: m}
}

// signalfd serves signalfd(fd, mask, size) and signalfd4 (flags
// SFD_CLOEXEC, SFD_NONBLOCK): a new descriptor for fd -1, else a new mask
// for the signalfd fd.
func (t *Thread) signalfd(fdArg, maskAddr, size uint64, flags uint32) int64 {
	if flags&^(abi.O_CLOEXEC|abi.O_NONBLOCK) != 0 {
		return -abi.EINVAL
	}
	if t.ulong(size) != 8 {
		return -abi.EINVAL
	}
	b, e := t.readMem(maskAddr, 8)
	if e != 0 {
		return e
	}
	mask := le64(b) &^ unblockable
	if fd := sint(fdArg); fd != -1 {
		ent, ok := t.fds.lookup(fd)
		if !ok {
			return -abi.EBADF
		}
		f, ok := ent.file.(*signalFile)
		if !ok {
			return -abi.EINVAL
		}
		f.mask = mask
		t.syncSignalfds()
		t.wakeSignalfdReaders(f)
		return fd
	}
	fd, e := t.reserveFD()
	if e != 0 {
		return e
	}
	r := host(syscall.SYS_EVENTFD2, 0, uintptr(flags&abi.O_NONBLOCK|abi.O_CLOEXEC))
	f := &signalFile{mask: mask}
	if r >= 0 {
		t.fds.sigfds.Store(true)
	}
	r = t.fillFD(fd, r, flags&abi.O_CLOEXEC != 0, f)
	t.syncSignalfds()
	return r
}

// syncSignalfds makes each of the process's signalfds readable on the
// host exactly when a signal of its mask is pending (for the process or
// any of its threads: a poll does not know which thread will read). It
// runs with the OS lock held, after the pending sets changed, and costs
// one atomic load for a process that never had a signalfd. The eventfd
// is written and drained with raw system calls, which never wait: the
// counter is 0 or 1 and the descriptor only gemu reads.
func (p *Process) syncSignalfds() {
	if !p.fds.sigfds.Load() {
		return
	}
	pend := p.allPending()
	p.fds.mu.Lock()
	defer p.fds.mu.Unlock()
	for _, e := range p.fds.ents {
		f, ok := e.file.(*signalFile)
		if !ok || e.host < 0 {
			continue
		}
		want := pend&f.mask != 0
		if want {
			// Readers wait for signals they may take; one pending for
			// another thread made the descriptor readable already.
			p.wakeSignalfdReaders(f)
		}
		if want == f.ready {
			continue
		}
		if want {
			binary.LittleEndian.PutUint64(f.buf[:], 1)
			syscall.RawSyscall(syscall.SYS_WRITE, uintptr(e.host), uintptr(unsafe.Pointer(&f.buf[0])), 8)
		} else {
			syscall.RawSyscall(syscall.SYS_READ, uintptr(e.host), uintptr(unsafe.Pointer(&f.buf[0])), 8)
		}
		f.ready = want
	}
}

// wakeSignalfdReaders wakes the threads blocked reading f (its mask
// changed).
func (p *Process) wakeSignalfdReaders(f *signalFile) {
	for _, w := range f.waiters {
		w.wakeThread()
	}
}

// wakeThread wakes thread w from a signal wait (waitSignal) to look at
// the pending signals again.
func (w *Thread) wakeThread() {
	if ch := w.threadWake(); ch != nil {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// adoptSignalfds runs on a table built from another gemu's slots (fork,
// exec): entries for one host descriptor share one signalFile, and each
// signalfd gets an eventfd of its own in place of the inherited one
// (dup3 onto the same host number), whose readiness was the other
// process's pending signals.
func (t *fdTable) adoptSignalfds() {
	files := map[int]*signalFile{}
	for i := range t.ents {
		e := &t.ents[i]
		f, ok := e.file.(*signalFile)
		if !ok || e.host < 0 {
			continue
		}
		if g, ok := files[e.host]; ok {
			e.file = g
			continue
		}
		files[e.host] = f
		fl, _, _ := syscall.RawSyscall(syscall.SYS_FCNTL, uintptr(e.host), syscall.F_GETFL, 0)
		n, _, errno := syscall.RawSyscall(syscall.SYS_EVENTFD2, 0, fl&abi.O_NONBLOCK|abi.O_CLOEXEC, 0)
		if errno == 0 {
			syscall.RawSyscall(syscall.SYS_DUP3, n, uintptr(e.host), abi.O_CLOEXEC)
			syscall.RawSyscall(syscall.SYS_CLOSE, n, 0, 0)
		}
		t.sigfds.Store(true)
	}
}

// signalfdCall serves read, readv and write calls on a signalfd (ok
// false: fd is not one); the other calls are the host eventfd's (pread
// and pwrite fail with ESPIPE as on a signalfd, mmap with ENODEV).
func (t *Thread) signalfdCall(op emuOp, a *[6]uint64) (int64, bool) {
	switch op {
	case emuRead, emuReadv, emuWrite, emuWritev:
	default:
		return 0, false
	}
	e, ok := t.fds.hold(sint(a[0]))
	if !ok {
		return 0, false
	}
	defer t.putHost(e.host)
	f, ok := e.file.(*signalFile)
	if !ok {
		return 0, false
	}
	switch op {
	case emuWrite, emuWritev:
		return -abi.EINVAL, true
	case emuReadv:
		iov, r := t.iovecs(a[1], sint(a[2]))
		if r != 0 {
			return r, true
		}
		var n uint64
		for _, v := range iov {
			n += v[1]
		}
		b, r := t.signalfdRead(f, e.host, n)
		if r != 0 {
			return r, true
		}
		off := 0
		for _, v := range iov {
			if off == len(b) {
				break
			}
			k := min(int(v[1]), len(b)-off)
			if r := t.writeMem(v[0], b[off:off+k]); r != 0 {
				return r, true
			}
			off += k
		}
		return int64(len(b)), true
	}
	// As the kernel, a signal is taken before it is stored: a bad
	// buffer is EFAULT and the signal is gone.
	b, r := t.signalfdRead(f, e.host, t.ulong(a[2]))
	if r != 0 {
		return r, true
	}
	if r := t.writeMem(a[1], b); r != 0 {
		return r, true
	}
	return int64(len(b)), true
}

// signalfdRead takes up to n/128 pending signals of f's mask as the
// kernel's signalfd_read: EINVAL for n < 128; if none is pending, EAGAIN
// for a non-blocking descriptor, else it waits for one (EINTR when a
// signal the thread lets through comes first; read restarts under the
// usual rules). h is the host eventfd, for the O_NONBLOCK flag.
func (t *Thread) signalfdRead(f *signalFile, h int, n uint64) ([]byte, int64) {
	count := n / signalfdSiginfoSize
	if count == 0 {
		return nil, -abi.EINVAL
	}
	var out []byte
	for uint64(len(out)) < count*signalfdSiginfoSize {
		t.mergeAsync()
		sig := t.nextSignal(f.mask)
		if sig == 0 {
			if len(out) > 0 {
				break
			}
			if fl := host(syscall.SYS_FCNTL, uintptr(h), syscall.F_GETFL); fl >= 0 && fl&abi.O_NONBLOCK != 0 {
				return nil, -abi.EAGAIN
			}
			if t.hasDeliverable() {
				return nil, -abi.EINTR
			}
			f.waiters = append(f.waiters, t)
			t.waitSignal(f.mask, 0)
			for i, w := range f.waiters {
				if w == t {
					f.waiters = append(f.waiters[:i], f.waiters[i+1:]...)
					break
				}
			}
			if t.CPU.Exited {
				return nil, -abi.EINTR
			}
			continue
		}
		si := t.dequeue(sig)
		if si.signo == 0 {
			continue // a stale POSIX timer's signal, dropped
		}
		out = append(out, t.signalfdSiginfo(&si)...)
	}
	return out, 0
}

// signalfdSiginfo is si as struct signalfd_siginfo, filled by its layout
// as the kernel's signalfd_copyinfo does.
func (t *Thread) signalfdSiginfo(si *sigInfo) []byte {
	le := binary.LittleEndian
	b := make([]byte, signalfdSiginfoSize)
	le.PutUint32(b[0:], uint32(si.signo))
	le.PutUint32(b[4:], uint32(si.errno))
	code, pid, uid, value := si.code, si.pid, si.uid, si.value
	layout := si.layout
	if layout == silRaw {
		code, pid, uid, value = decodeGuestInfo(t.w, si.raw)
		layout = silRT
		if code >= 0 {
			layout = silKill
		}
	}
	le.PutUint32(b[8:], uint32(code))
	switch layout {
	case silKill:
		le.PutUint32(b[12:], pid)
		le.PutUint32(b[16:], uid)
	case silRT:
		le.PutUint32(b[12:], pid)
		le.PutUint32(b[16:], uid)
		le.PutUint64(b[48:], value)
		le.PutUint32(b[44:], uint32(value))
	case silTimer:
		le.PutUint32(b[24:], pid) // si_tid
		le.PutUint32(b[32:], uid) // si_overrun
		le.PutUint64(b[48:], value)
		le.PutUint32(b[44:], uint32(value))
	case silFault:
		le.PutUint64(b[72:], si.addr)
	case silChld:
		le.PutUint32(b[12:], pid)
		le.PutUint32(b[16:], uid)
		le.PutUint32(b[40:], uint32(si.status))
	}
	return b
}

// signalfdLink returns the target of the descriptor link s as the guest
// sees it: a guest signalfd's host eventfd reads as the signalfd it is.
func (p *Process) signalfdLink(s string, target []byte) []byte {
	if string(target) != "anon_inode:[eventfd]" {
		return target
	}
	dir, rest, ok := p.fdPathParts(s)
	if !ok || dir != "fd" {
		return target
	}
	n, err := strconv.Atoi(rest)
	if err != nil {
		return target
	}
	if e, ok := p.fds.lookup(int64(n)); ok {
		if _, ok := e.file.(*signalFile); ok {
			return []byte("anon_inode:[signalfd]")
		}
	}
	return target
}

// signalfdInfo rewrites the host eventfd's fdinfo content as a signalfd's
// when file is one: its "eventfd-" lines become the "sigmask:" line the
// kernel's signalfd shows (the mask as 16 hexadecimal digits).
func signalfdInfo(content []byte, file emuFile) []byte {
	f, ok := file.(*signalFile)
	if !ok {
		return content
	}
	var out []string
	done := false
	for _, l := range strings.SplitAfter(string(content), "\n") {
		if !strings.HasPrefix(l, "eventfd-") {
			out = append(out, l)
			continue
		}
		if !done {
			out = append(out, fmt.Sprintf("sigmask:\t%016x\n", f.mask))
			done = true
		}
	}
	return []byte(strings.Join(out, ""))
}
