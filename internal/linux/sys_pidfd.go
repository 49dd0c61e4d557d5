package linux

import (
	"os"
	"strconv"
	"strings"

	"gemu/internal/linux/abi"
)

// Process descriptors: pidfd_open, pidfd_send_signal, pidfd_getfd.
//
// A guest's process is a host process (the gemu running it), so a guest
// pidfd is a host pidfd: it becomes readable when the process ends, for
// poll, select, epoll and waitid(P_PIDFD) alike. What gemu adds:
//
//   - a signal sent through a pidfd of the guest's own process is queued
//     by gemu at once, as kill does for a guest signalling itself (the
//     kernel delivers such a signal before the call returns); one sent to
//     another process goes through the host's pidfd_send_signal, and that
//     process's gemu delivers it to its guest as any host signal;
//   - pidfd_getfd names a descriptor of the target's guest: of the guest
//     itself, or of another gemu's guest, which that gemu translates to
//     its host descriptor over the peer channel (peer.go; the host kernel
//     decides who may, with its ptrace check, as for any pidfd_getfd). Of
//     a process that does not run gemu it is that process's own number.

func init() {
	reg(sysPidfdOpenGuest, "pidfd_open")
	reg(sysPidfdSendSignal, "pidfd_send_signal")
	reg(sysPidfdGetfdGuest, "pidfd_getfd")

	for name, spec := range map[string]string{
		"pidfd_open": "d,x", "pidfd_send_signal": "d,S,p,x", "pidfd_getfd": "d,d,x",
	} {
		straceSpec[name] = spec
	}
}

const (
	hostPidfdSendSignalNr = 424 // the host's (x86-64) pidfd_send_signal
	oExcl                 = 0o200
	// pidfd_send_signal's flags: the signal's scope.
	pidfdSignalThread       = 1
	pidfdSignalThreadGroup  = 2
	pidfdSignalProcessGroup = 4
)

// sysPidfdOpenGuest is pidfd_open(pid, flags): the host checks both and
// makes the descriptor (always close-on-exec).
func sysPidfdOpenGuest(t *Thread, a *[6]uint64) int64 {
	r := host(sysPidfdOpen, uintptr(sint(a[0])), uintptr(uint32(a[1])))
	if r < 0 {
		return r
	}
	return t.installFD(int(r), true)
}

// pidfdInfo returns the process (or, for a PIDFD_THREAD descriptor, the
// thread) host descriptor h refers to, from the host's fdinfo: -1 once it
// has ended; ok is false if h is not a pidfd.
func pidfdInfo(h uintptr) (pid int, thread, ok bool) {
	b, err := os.ReadFile("/proc/self/fdinfo/" + strconv.Itoa(int(h)))
	if err != nil {
		return 0, false, false
	}
	pid, ok = -1, false
	for _, l := range strings.Split(string(b), "\n") {
		if v, found := strings.CutPrefix(l, "Pid:"); found {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				return 0, false, false
			}
			pid, ok = n, true
		}
		if v, found := strings.CutPrefix(l, "flags:"); found {
			f, _ := strconv.ParseUint(strings.TrimSpace(v), 8, 32)
			thread = f&oExcl != 0
		}
	}
	return pid, thread, ok
}

// sysPidfdSendSignal is pidfd_send_signal(pidfd, sig, info, flags).
func sysPidfdSendSignal(t *Thread, a *[6]uint64) int64 {
	sig, uinfo, flags := int(sint(a[1])), a[2], uint32(a[3])
	h, e := t.fget(a[0])
	if e != 0 {
		return e
	}
	defer t.fput(h)
	pid, thread, ok := pidfdInfo(h)
	if !ok || pid <= 0 || !t.isThread(int64(pid)) || flags&^7 != 0 || flags&(flags-1) != 0 {
		// Another process (or an ended one, or a bad argument the host
		// refuses as the kernel would): the host sends it.
		return t.hostPidfdSignal(h, sig, uinfo, flags)
	}
	// The guest's own process (or one of its threads).
	toThread := flags == pidfdSignalThread || flags == 0 && thread
	if flags == pidfdSignalProcessGroup {
		if uinfo != 0 {
			return t.hostPidfdSignal(h, sig, uinfo, flags)
		}
		if sig < 0 || sig >= abi.NSIG {
			return -abi.EINVAL
		}
		return t.killOwnGroup(0, sig)
	}
	if sig < 0 || sig >= abi.NSIG {
		return -abi.EINVAL
	}
	if uinfo == 0 {
		if toThread {
			return t.raiseTo(sig, siTkill, int64(pid))
		}
		return t.raise(sig, siUser)
	}
	b, e := t.readMem(uinfo, siginfoSize)
	if e != 0 {
		return e
	}
	if int(int32(le32(b))) != sig {
		return -abi.EINVAL
	}
	code, spid, uid, value := decodeGuestInfo(t.w, b)
	// Only a signal to the calling thread itself may carry a kernel's
	// (non-negative) si_code or SI_TKILL's.
	if pid != t.gettid() && (code >= 0 || code == siTkill) {
		return -abi.EPERM
	}
	if sig == 0 {
		return 0
	}
	si := sigInfo{signo: int32(sig), layout: silRaw, raw: b, code: code, pid: spid, uid: uid, value: value}
	if toThread {
		t.directTo(&si, int64(pid))
	}
	if t.queueSignal(si) && si.tid != 0 {
		t.notifyThread(si.tid)
	}
	return 0
}

// hostPidfdSignal sends through the host: the guest's siginfo, if any,
// in the host's layout (the kernel then checks the signal number in it
// and allows only negative codes to another process).
func (t *Thread) hostPidfdSignal(h uintptr, sig int, uinfo uint64, flags uint32) int64 {
	if uinfo == 0 {
		return host(hostPidfdSendSignalNr, h, uintptr(sig), 0, uintptr(flags))
	}
	b, e := t.readMem(uinfo, siginfoSize)
	if e != 0 {
		return host(hostPidfdSendSignalNr, h, uintptr(sig), hostBadAddr, uintptr(flags))
	}
	code, pid, uid, value := decodeGuestInfo(t.w, b)
	si := newSigInfo(int(int32(le32(b))), code)
	si.pid, si.uid, si.value = pid, uid, value
	hb := hbuf(siginfoSize)
	si.encode(8, hb)
	return host(hostPidfdSendSignalNr, h, uintptr(sig), uintptr(ptr(hb)), uintptr(flags))
}

// sysPidfdGetfdGuest is pidfd_getfd(pidfd, targetfd, flags).
func sysPidfdGetfdGuest(t *Thread, a *[6]uint64) int64 {
	target, flags := sint(a[1]), uint32(a[2])
	h, e := t.fget(a[0])
	if e != 0 {
		return e
	}
	defer t.fput(h)
	pid, _, ok := pidfdInfo(h)
	hostTarget := uintptr(target)
	switch {
	case !ok || flags != 0 || pid <= 0:
		// The host refuses it (EBADF, EINVAL, ESRCH).
	case pid == t.pid:
		ent, held := t.fds.hold(target)
		if !held {
			return -abi.EBADF
		}
		defer t.putHost(ent.host)
		hostTarget = uintptr(ent.host)
	default:
		m, e := t.peerTarget(pid)
		if e != 0 {
			return e
		}
		if c, isPeer := m.(*peerConn); isPeer {
			hf := c.hostFD(target)
			if hf < 0 {
				return hf
			}
			hostTarget = uintptr(hf)
		}
	}
	r := host(sysPidfdGetfd, h, hostTarget, uintptr(flags))
	if r < 0 {
		return r
	}
	return t.installFD(int(r), true)
}
