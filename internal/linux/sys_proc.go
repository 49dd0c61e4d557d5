package linux

import (
	"syscall"

	"gemu/internal/linux/abi"
)

// Process identity, limits and accounting.

func init() {
	reg(sysExit, "exit_group")
	reg(sysExitThread, "exit")
	reg(func(t *Thread, a *[6]uint64) int64 { return int64(t.pid) }, "getpid")
	reg(func(t *Thread, a *[6]uint64) int64 { return int64(t.gettid()) }, "gettid")
	reg(func(t *Thread, a *[6]uint64) int64 { return host(syscall.SYS_GETPPID) }, "getppid")
	regID(sysGetuid, "getuid", "getgid")
	regID(sysGeteuid, "geteuid", "getegid")
	regID(sysGetresuid, "getresuid", "getresgid")
	regID(sysGetgroups, "getgroups", "")
	reg(sysUname, "uname")
	reg(sysPrlimit64, "prlimit64")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.getrlimit(a, true) }, "getrlimit")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.getrlimit(a, false) }, "ugetrlimit")
	reg(sysSetrlimit, "setrlimit")
	reg(sysSchedGetaffinity, "sched_getaffinity")
	reg(func(t *Thread, a *[6]uint64) int64 { return host(syscall.SYS_SCHED_YIELD) }, "sched_yield")
	reg(func(t *Thread, a *[6]uint64) int64 {
		t.clearTID = t.ulong(a[0])
		return int64(t.gettid())
	}, "set_tid_address")
	reg(sysSysinfo, "sysinfo")
	reg(sysGetrusage, "getrusage")
	reg(sysTimes, "times")
	reg(func(t *Thread, a *[6]uint64) int64 { return host(syscall.SYS_GETPGRP) }, "getpgrp")
	reg(func(t *Thread, a *[6]uint64) int64 { return host(syscall.SYS_GETPGID, uintptr(sint(a[0]))) }, "getpgid")
	reg(func(t *Thread, a *[6]uint64) int64 {
		return host(syscall.SYS_SETPGID, uintptr(sint(a[0])), uintptr(sint(a[1])))
	}, "setpgid")
	reg(func(t *Thread, a *[6]uint64) int64 { return host(syscall.SYS_GETSID, uintptr(sint(a[0]))) }, "getsid")
	reg(func(t *Thread, a *[6]uint64) int64 { return host(syscall.SYS_SETSID) }, "setsid")
	reg(sysPrctl, "prctl")
	reg(sysPersonality, "personality")
	reg(sysGetcpu, "getcpu")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.futex(a, false) }, "futex")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.futex(a, true) }, "futex_time64")
}

// sysExitThread is exit: it ends the calling thread, and the process with
// the last one.
func sysExitThread(t *Thread, a *[6]uint64) int64 {
	if t.threadExit(int(a[0])) {
		return 0
	}
	t.exit(int(a[0]))
	return 0
}

func sysExit(t *Thread, a *[6]uint64) int64 {
	t.exit(int(a[0]))
	return 0
}

// uid16 narrows an id for the i386 16-bit calls (getuid, not getuid32):
// ids above 65535 read as the overflow id 65534.
func (t *Thread) uid16(id int64, k idCall) int64 {
	if t.id16(k) && id > 0xffff {
		return 65534
	}
	return id
}

// sysGetuid is getuid or getgid.
func sysGetuid(t *Thread, a *[6]uint64, k idCall) int64 {
	if k.gid {
		return t.uid16(host(syscall.SYS_GETGID), k)
	}
	return t.uid16(host(syscall.SYS_GETUID), k)
}

// sysGeteuid is geteuid or getegid.
func sysGeteuid(t *Thread, a *[6]uint64, k idCall) int64 {
	if k.gid {
		return t.uid16(host(syscall.SYS_GETEGID), k)
	}
	return t.uid16(host(syscall.SYS_GETEUID), k)
}

func sysGetresuid(t *Thread, a *[6]uint64, k idCall) int64 {
	nr := uintptr(syscall.SYS_GETRESUID)
	if k.gid {
		nr = syscall.SYS_GETRESGID
	}
	b := hbuf(12)
	if r := host(nr, uintptr(ptr(b)), uintptr(ptr(b[4:])), uintptr(ptr(b[8:]))); r < 0 {
		return r
	}
	size := 4
	if t.id16(k) {
		size = 2
	}
	for i := 0; i < 3; i++ {
		v := le32(b[i*4:])
		out := make([]byte, 4)
		if size == 2 && v > 0xffff {
			v = 65534
		}
		out[0], out[1], out[2], out[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
		if e := t.writeMem(a[i], out[:size]); e != 0 {
			return e
		}
	}
	return 0
}

func sysGetgroups(t *Thread, a *[6]uint64, k idCall) int64 {
	size := sint(a[0])
	if size < 0 {
		return -abi.EINVAL
	}
	size = min(size, 65536)
	b := hbuf(int(size)*4 + 4)
	n := host(syscall.SYS_GETGROUPS, uintptr(size), uintptr(ptr(b)))
	if n <= 0 || size == 0 {
		return n
	}
	elem := 4
	if t.id16(k) {
		elem = 2
	}
	out := make([]byte, int(n)*elem)
	for i := 0; i < int(n); i++ {
		v := le32(b[i*4:])
		if elem == 2 {
			if v > 0xffff {
				v = 65534
			}
			out[2*i], out[2*i+1] = byte(v), byte(v>>8)
		} else {
			copy(out[4*i:], b[4*i:4*i+4])
		}
	}
	if e := t.writeMem(a[1], out); e != 0 {
		return e
	}
	return n
}

func sysUname(t *Thread, a *[6]uint64) int64 {
	u, e := hostUtsname()
	if e != 0 {
		return e
	}
	return t.writeMem(a[0], abi.Utsname(u[0], u[1], u[2], u[3], u[4], u[5]))
}

// hostUtsname returns the host's uname fields (sysname, nodename,
// release, version, machine, domainname) as the guest sees them: the
// machine is "x86_64", or "i686" under PER_LINUX32 (setarch linux32) as
// on an x86-64 kernel, whatever the program's architecture.
func hostUtsname() ([6]string, int64) {
	var u syscall.Utsname
	if err := syscall.Uname(&u); err != nil {
		return [6]string{}, errno(err)
	}
	str := func(f [65]int8) string {
		b := make([]byte, 0, 65)
		for _, c := range f {
			if c == 0 {
				break
			}
			b = append(b, byte(c))
		}
		return string(b)
	}
	machine := "x86_64"
	if host(syscall.SYS_PERSONALITY, personalityQuery)&perMask == perLinux32 {
		machine = "i686"
	}
	return [6]string{str(u.Sysname), str(u.Nodename), str(u.Release), str(u.Version), machine, str(u.Domainname)}, 0
}

const (
	rlimitData  = 2
	rlimitStack = 3
	rlimitAS    = 9
	rlimInf     = ^uint64(0)
)

// rlimit reads a host limit. The address-space limits (data, stack, as)
// are the guest's own and never change gemu's: a guest lowering its
// RLIMIT_AS must not starve the Go runtime. So is RLIMIT_NOFILE, which
// bounds the guest's descriptor numbers (fdtable.go), not gemu's.
func (p *Process) rlimit(res int) (cur, max uint64, e int64) {
	if r, ok := p.rlimits[res]; ok {
		return r[0], r[1], 0
	}
	b := hbuf(16)
	if r := host(syscall.SYS_PRLIMIT64, 0, uintptr(res), 0, uintptr(ptr(b))); r < 0 {
		return 0, 0, r
	}
	return le64(b), le64(b[8:]), 0
}

func (p *Process) setRlimit(res int, cur, max uint64) int64 {
	if cur > max {
		return -abi.EINVAL
	}
	if res == rlimitNofile && max > nrOpen() {
		return -abi.EPERM
	}
	if res == rlimitData || res == rlimitStack || res == rlimitAS || res == rlimitNofile {
		oc, om, e := p.rlimit(res)
		if e != 0 {
			return e
		}
		_ = oc
		if max > om && !capSysResource() {
			return -abi.EPERM
		}
		if p.rlimits == nil {
			p.rlimits = map[int][2]uint64{}
		}
		p.rlimits[res] = [2]uint64{cur, max}
		return 0
	}
	b := hbuf(16)
	putLE64(b, cur)
	putLE64(b[8:], max)
	return host(syscall.SYS_PRLIMIT64, 0, uintptr(res), uintptr(ptr(b)), 0)
}

func sysPrlimit64(t *Thread, a *[6]uint64) int64 {
	pid, res := sint(a[0]), int(sint(a[1]))
	if pid != 0 && pid != int64(t.pid) {
		return -abi.EPERM
	}
	if res < 0 || res >= 16 {
		return -abi.EINVAL
	}
	cur, max, e := t.rlimit(res)
	if e != 0 {
		return e
	}
	if a[2] != 0 {
		nb, e := t.readMem(a[2], 16)
		if e != 0 {
			return e
		}
		if e := t.setRlimit(res, le64(nb), le64(nb[8:])); e != 0 {
			return e
		}
	}
	if a[3] != 0 {
		b := make([]byte, 16)
		putLE64(b, cur)
		putLE64(b[8:], max)
		return t.writeMem(a[3], b)
	}
	return 0
}

// rlimitOut converts a limit for the guest's struct rlimit: i386's
// ugetrlimit reports values that do not fit in 32 bits as infinity
// (0xffffffff); its old getrlimit clamps to 0x7fffffff.
// old says the call is getrlimit, not ugetrlimit.
func (t *Thread) rlimitOut(v uint64, old bool) uint64 {
	if t.w == 8 {
		return v
	}
	if old {
		return min(v, 0x7fffffff)
	}
	if v > 0xffffffff {
		return 0xffffffff
	}
	return v
}

// getrlimit is getrlimit (old) or ugetrlimit.
func (t *Thread) getrlimit(a *[6]uint64, old bool) int64 {
	res := int(sint(a[0]))
	if res < 0 || res >= 16 {
		return -abi.EINVAL
	}
	cur, max, e := t.rlimit(res)
	if e != 0 {
		return e
	}
	return t.writeMem(a[1], t.w.Encode(t.rlimitOut(cur, old), t.rlimitOut(max, old)))
}

func sysSetrlimit(t *Thread, a *[6]uint64) int64 {
	res := int(sint(a[0]))
	if res < 0 || res >= 16 {
		return -abi.EINVAL
	}
	b, e := t.readMem(a[1], 2*int(t.w))
	if e != 0 {
		return e
	}
	cur, max := t.w.Get(b, 0), t.w.Get(b, 1)
	if t.w == 4 {
		if cur == 0xffffffff {
			cur = rlimInf
		}
		if max == 0xffffffff {
			max = rlimInf
		}
	}
	return t.setRlimit(res, cur, max)
}

func sysSchedGetaffinity(t *Thread, a *[6]uint64) int64 {
	size := t.ulong(a[1])
	if size&(uint64(t.w)-1) != 0 || size == 0 {
		return -abi.EINVAL
	}
	hsize := min((size+7)&^7, 8192)
	b := hbuf(int(hsize))
	r := host(syscall.SYS_SCHED_GETAFFINITY, uintptr(sint(a[0])), uintptr(hsize), uintptr(ptr(b)))
	if r < 0 {
		return r
	}
	n := min(uint64(r), size)
	if e := t.writeMem(a[2], b[:n]); e != 0 {
		return e
	}
	return int64(n)
}

func sysSysinfo(t *Thread, a *[6]uint64) int64 {
	b := hbuf(abi.HostSysinfoSize)
	if r := host(syscall.SYS_SYSINFO, uintptr(ptr(b))); r < 0 {
		return r
	}
	if t.w == 4 {
		b = abi.ConvertSysinfo386(b)
	}
	return t.writeMem(a[0], b)
}

func sysGetrusage(t *Thread, a *[6]uint64) int64 {
	b := hbuf(abi.HostRusageSize)
	if r := host(syscall.SYS_GETRUSAGE, uintptr(sint(a[0])), uintptr(ptr(b))); r < 0 {
		return r
	}
	return t.writeMem(a[1], abi.ConvertRusage(t.w, b))
}

func sysTimes(t *Thread, a *[6]uint64) int64 {
	b := hbuf(32)
	r := host(syscall.SYS_TIMES, uintptr(ptr(b)))
	if r < 0 && r > -4096 {
		return r
	}
	if a[0] != 0 {
		if e := t.writeMem(a[0], abi.ConvertLongs(t.w, b, 4)); e != 0 {
			return e
		}
	}
	if t.w == 4 {
		r &= 0x7fffffff
	}
	return r
}

// prctl options gemu implements; the rest would change gemu itself.
const (
	prSetPdeathsig = 1
	prGetPdeathsig = 2
	prGetDumpable  = 3
	prSetDumpable  = 4
	prSetName      = 15
	prGetName      = 16
)

func sysPrctl(t *Thread, a *[6]uint64) int64 {
	switch sint(a[0]) {
	case prSetPdeathsig:
		// gemu's own: the guest thread that forked this process is the
		// host thread of its parent gemu that started this gemu
		// (ForkExec from the guest thread's locked host thread), so the
		// host signals gemu when it ends, and gemu passes the signal
		// on to the guest like any signal from outside (signal_host.go);
		// the host clears it in a forked child (a new gemu) and keeps it
		// across execve (secureExec).
		if a[1] > abi.NSIG-1 { // an unsigned long: -1 is out of range
			return -abi.EINVAL
		}
		return host(syscall.SYS_PRCTL, prSetPdeathsig, uintptr(a[1]))
	case prGetPdeathsig:
		b := hbuf(4)
		if r := host(syscall.SYS_PRCTL, prGetPdeathsig, uintptr(ptr(b))); r < 0 {
			return r
		}
		return t.writeMem(a[1], b)
	case prGetDumpable:
		return 1
	case prSetDumpable:
		return 0
	case prSetName:
		s, err := t.Mem.ReadString(a[1], 16)
		if err != nil {
			return -abi.EFAULT
		}
		if len(s) > 15 {
			s = s[:15]
		}
		t.commName = s
		return 0
	case prGetName:
		name := t.commName
		if name == "" {
			name = baseName(t.Path)
		}
		b := make([]byte, 16)
		copy(b[:15], name)
		return t.writeMem(a[1], b)
	}
	t.unimpf("Unsupported prctl option: %d\n", sint(a[0]))
	return -abi.EINVAL
}

// personality values (include/uapi/linux/personality.h).
const (
	personalityQuery = 0xffffffff // reads the persona without changing it
	perMask          = 0xff       // the execution domain, without flags
	perLinux32       = 0x0008
)

// sysPersonality is personality(2). The guest's persona is gemu's own
// host persona: the kernel keeps it across fork and execve as it would
// the native program's (the gemu of a forked child or of an execve'd
// program inherits it), it starts as whatever gemu was started with
// (`setarch -R gemu prog` gives the guest ADDR_NO_RANDOMIZE), and uname
// reads its domain. The argument is an unsigned int: the query value
// 0xffffffff only reads; anything else is stored as given.
//
// Only uname looks at it: gemu's layout of the guest is not randomized,
// and READ_IMPLIES_EXEC does not add PROT_EXEC to the guest's mappings.
func sysPersonality(t *Thread, a *[6]uint64) int64 {
	return host(syscall.SYS_PERSONALITY, uintptr(uint32(a[0])))
}

// perClearOnSetID are the personality flags an execve that changes the
// effective ids drops (Linux's PER_CLEAR_ON_SETID): READ_IMPLIES_EXEC,
// ADDR_NO_RANDOMIZE, ADDR_COMPAT_LAYOUT, MMAP_PAGE_ZERO.
const perClearOnSetID = 0x0400000 | 0x0040000 | 0x0200000 | 0x0100000

// secureExec does to gemu's host state what Linux's execve of prog does
// when prog's set-user-ID or set-group-ID bit changes the effective uid
// or gid: it clears the parent-death signal and the personality flags of
// perClearOnSetID, which live in gemu's host process (sysPrctl,
// sysPersonality) and which the host's execve of gemu itself keeps. gemu
// does not give the guest the new ids; this only keeps the rest as Linux
// has it. Set-id bits count on mounts without nosuid only. undo puts back
// what it changed, for an execve that fails.
func secureExec(prog string) (undo func()) {
	var st syscall.Stat_t
	var fs syscall.Statfs_t
	if syscall.Stat(prog, &st) != nil || syscall.Statfs(prog, &fs) != nil || fs.Flags&stNosuid != 0 {
		return func() {}
	}
	uid := st.Mode&syscall.S_ISUID != 0 && int(st.Uid) != syscall.Geteuid()
	gid := st.Mode&(syscall.S_ISGID|syscall.S_IXGRP) == syscall.S_ISGID|syscall.S_IXGRP && int(st.Gid) != syscall.Getegid()
	if !uid && !gid {
		return func() {}
	}
	b := hbuf(4)
	host(syscall.SYS_PRCTL, prGetPdeathsig, uintptr(ptr(b)))
	sig := le32(b)
	pers := host(syscall.SYS_PERSONALITY, personalityQuery)
	host(syscall.SYS_PRCTL, prSetPdeathsig, 0)
	if pers >= 0 {
		host(syscall.SYS_PERSONALITY, uintptr(pers)&^perClearOnSetID)
	}
	return func() {
		host(syscall.SYS_PRCTL, prSetPdeathsig, uintptr(sig))
		if pers >= 0 {
			host(syscall.SYS_PERSONALITY, uintptr(pers))
		}
	}
}

// stNosuid is ST_NOSUID in statfs's f_flags.
const stNosuid = 0x2

func baseName(s string) string {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '/' {
			return s[i+1:]
		}
	}
	return s
}

func sysGetcpu(t *Thread, a *[6]uint64) int64 {
	for _, addr := range a[:2] {
		if addr != 0 {
			if e := t.writeMem(addr, []byte{0, 0, 0, 0}); e != 0 {
				return e
			}
		}
	}
	return 0
}

func le64(b []byte) uint64 { return uint64(le32(b)) | uint64(le32(b[4:]))<<32 }

func putLE64(b []byte, v uint64) {
	for i := 0; i < 8; i++ {
		b[i] = byte(v >> (8 * i))
	}
}
