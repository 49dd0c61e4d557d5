package linux

import (
	"sync"
	"syscall"

	"gemu/internal/linux/abi"
)

// Scheduling and priorities: sched_setaffinity, sched_get/setparam,
// sched_get/setscheduler, sched_get_priority_min/max,
// sched_rr_get_interval, sched_get/setattr, get/setpriority, i386's nice,
// ioprio_get/set.
//
// Guest processes are host processes and guest threads host threads (the
// same ids), and a guest thread's calls run on its own host thread, so
// these calls go to the host kernel as they are: a pid of 0 names the
// calling thread there as it does natively, and what one call sets,
// another (sched_getaffinity, getpriority, /proc) reads back. Only the
// pointers are the guest's: structures are copied in and out in the
// order the kernel reads and writes them, so a bad pointer is EFAULT
// exactly where it would be natively. The host thread's own settings
// are gemu's too: a guest that pins itself to one CPU pins the gemu
// thread running it, as qemu-user's pass-through does.

func init() {
	reg(sysSchedSetaffinity, "sched_setaffinity")
	reg(sysSchedSetparam, "sched_setparam")
	reg(sysSchedGetparam, "sched_getparam")
	reg(sysSchedSetscheduler, "sched_setscheduler")
	reg(func(t *Thread, a *[6]uint64) int64 {
		return host(syscall.SYS_SCHED_GETSCHEDULER, uintptr(sint(a[0])))
	}, "sched_getscheduler")
	reg(func(t *Thread, a *[6]uint64) int64 {
		return host(syscall.SYS_SCHED_GET_PRIORITY_MAX, uintptr(sint(a[0])))
	}, "sched_get_priority_max")
	reg(func(t *Thread, a *[6]uint64) int64 {
		return host(syscall.SYS_SCHED_GET_PRIORITY_MIN, uintptr(sint(a[0])))
	}, "sched_get_priority_min")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.schedRRGetInterval(a, t.w == 8) }, "sched_rr_get_interval")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.schedRRGetInterval(a, true) }, "sched_rr_get_interval_time64")
	reg(sysSchedSetattr, "sched_setattr")
	reg(sysSchedGetattr, "sched_getattr")
	reg(func(t *Thread, a *[6]uint64) int64 {
		return host(syscall.SYS_GETPRIORITY, uintptr(sint(a[0])), uintptr(sint(a[1])))
	}, "getpriority")
	reg(func(t *Thread, a *[6]uint64) int64 {
		return host(syscall.SYS_SETPRIORITY, uintptr(sint(a[0])), uintptr(sint(a[1])), uintptr(sint(a[2])))
	}, "setpriority")
	reg(sysNice, "nice")
	reg(func(t *Thread, a *[6]uint64) int64 {
		return host(syscall.SYS_IOPRIO_GET, uintptr(sint(a[0])), uintptr(sint(a[1])))
	}, "ioprio_get")
	reg(func(t *Thread, a *[6]uint64) int64 {
		return host(syscall.SYS_IOPRIO_SET, uintptr(sint(a[0])), uintptr(sint(a[1])), uintptr(sint(a[2])))
	}, "ioprio_set")

	for name, spec := range map[string]string{
		"sched_setaffinity": "d,u,p", "sched_setparam": "d,p", "sched_getparam": "d,p",
		"sched_setscheduler": "d,d,p", "sched_getscheduler": "d", "sched_get_priority_max": "d",
		"sched_get_priority_min": "d", "sched_rr_get_interval": "d,p", "sched_rr_get_interval_time64": "d,p",
		"sched_setattr": "d,p,x", "sched_getattr": "d,p,u,x", "getpriority": "d,d", "setpriority": "d,d,d",
		"nice": "d", "ioprio_get": "d,d", "ioprio_set": "d,d,x",
	} {
		straceSpec[name] = spec
	}
}

// hostBadAddr is an address no host process can read or write (the top
// page, kernel space): handed to the host in place of a guest pointer
// gemu could not read, it makes the host fail with EFAULT at the point
// where the kernel copies from it, after the checks that come first.
const hostBadAddr = ^uintptr(0) &^ 0xfff

// guestIn reads n bytes of guest memory at addr into a host buffer for a
// call that copies them in: nil (a NULL pointer) for address 0; bad says
// the range is unreadable, and the caller then passes hostBadAddr.
func (p *Process) guestIn(addr uint64, n int) (b []byte, bad bool) {
	if addr == 0 {
		return nil, false
	}
	g, e := p.readMem(addr, n)
	if e != 0 {
		return nil, true
	}
	b = hbuf(n)
	copy(b, g)
	return b, false
}

// hostCPUMaskSize is the size in bytes of the host kernel's CPU masks
// (cpumask_size(): sched_getaffinity's result for a large buffer), the
// most sched_setaffinity reads of the guest's mask.
var hostCPUMaskSize = sync.OnceValue(func() int {
	b := hbuf(8192)
	r := host(syscall.SYS_SCHED_GETAFFINITY, 0, uintptr(len(b)), uintptr(ptr(b)))
	if r <= 0 {
		return 8
	}
	return int(r)
})

// sysSchedSetaffinity is sched_setaffinity(pid, len, mask): like the
// kernel, it reads at most the kernel's mask size of the guest's mask
// (a shorter one is zero-extended), before it looks the thread up.
func sysSchedSetaffinity(t *Thread, a *[6]uint64) int64 {
	n := min(t.ulong(a[1]), uint64(hostCPUMaskSize()))
	g, e := t.readMem(a[2], int(n))
	if e != 0 {
		return e
	}
	b := hbuf(hostCPUMaskSize())
	copy(b, g)
	return host(syscall.SYS_SCHED_SETAFFINITY, uintptr(sint(a[0])), uintptr(len(b)), uintptr(ptr(b)))
}

// schedParamSize is struct sched_param's size (one int) on both ABIs.
const schedParamSize = 4

func sysSchedSetparam(t *Thread, a *[6]uint64) int64 {
	b, bad := t.guestIn(a[1], schedParamSize)
	if bad {
		return host(syscall.SYS_SCHED_SETPARAM, uintptr(sint(a[0])), hostBadAddr)
	}
	return host(syscall.SYS_SCHED_SETPARAM, uintptr(sint(a[0])), uintptr(ptr(b)))
}

func sysSchedSetscheduler(t *Thread, a *[6]uint64) int64 {
	b, bad := t.guestIn(a[2], schedParamSize)
	if bad {
		return host(syscall.SYS_SCHED_SETSCHEDULER, uintptr(sint(a[0])), uintptr(sint(a[1])), hostBadAddr)
	}
	return host(syscall.SYS_SCHED_SETSCHEDULER, uintptr(sint(a[0])), uintptr(sint(a[1])), uintptr(ptr(b)))
}

// sysSchedGetparam: the kernel checks the pid and a NULL pointer, finds
// the thread, and only then stores through the pointer.
func sysSchedGetparam(t *Thread, a *[6]uint64) int64 {
	if a[1] == 0 {
		return host(syscall.SYS_SCHED_GETPARAM, uintptr(sint(a[0])), 0)
	}
	b := hbuf(schedParamSize)
	if r := host(syscall.SYS_SCHED_GETPARAM, uintptr(sint(a[0])), uintptr(ptr(b))); r < 0 {
		return r
	}
	return t.writeMem(a[1], b)
}

// schedRRGetInterval is sched_rr_get_interval, with a 64-bit timespec
// (x86-64, i386's _time64) or i386's 32-bit one.
func (t *Thread) schedRRGetInterval(a *[6]uint64, t64 bool) int64 {
	b := hbuf(16)
	if r := host(syscall.SYS_SCHED_RR_GET_INTERVAL, uintptr(sint(a[0])), uintptr(ptr(b))); r < 0 {
		return r
	}
	return t.putTimespec(a[1], abi.DecodeTimespec(8, b), t64)
}

// struct sched_attr: its first field is its size, which the caller sets
// for the version of the structure it knows (48 bytes for the first,
// 56 with utilization clamping); the layout is the same on both ABIs.
const (
	schedAttrSizeVer0 = 48
	schedAttrMax      = pageSize // the kernel refuses larger ones
)

// sysSchedSetattr is sched_setattr(pid, attr, flags). The kernel reads
// the size field, refuses sizes it cannot take with E2BIG after storing
// its own size there, and reads the rest; the host does all of that on a
// copy of the guest's bytes, and its size is copied back after an E2BIG.
func sysSchedSetattr(t *Thread, a *[6]uint64) int64 {
	pid, addr := sint(a[0]), a[1]
	if addr == 0 || pid < 0 {
		return host(sysSchedSetattrNr, uintptr(pid), 0, uintptr(uint32(a[2])))
	}
	hd, e := t.readMem(addr, 4)
	if e != 0 {
		return host(sysSchedSetattrNr, uintptr(pid), hostBadAddr, uintptr(uint32(a[2])))
	}
	size := int(le32(hd))
	if size == 0 {
		size = schedAttrSizeVer0
	}
	var b []byte
	if size > schedAttrMax || size < schedAttrSizeVer0 {
		b = hbuf(4) // only the size is read
		copy(b, hd)
	} else if g, bad := t.guestIn(addr, size); bad {
		// The size was readable, the rest is not: the kernel's EFAULT.
		return host(sysSchedSetattrNr, uintptr(pid), hostBadAddr, uintptr(uint32(a[2])))
	} else {
		b = g
	}
	r := host(sysSchedSetattrNr, uintptr(pid), uintptr(ptr(b)), uintptr(uint32(a[2])))
	if r == -abi.E2BIG {
		if e := t.writeMem(addr, b[:4]); e != 0 {
			return e
		}
	}
	return r
}

// sysSchedGetattr is sched_getattr(pid, attr, size, flags): the kernel
// stores min(size, its own size) bytes, with that size in the size field.
func sysSchedGetattr(t *Thread, a *[6]uint64) int64 {
	pid, addr, size := sint(a[0]), a[1], uint32(a[2])
	n := int(size)
	if size > schedAttrMax {
		n = 0
	}
	if addr == 0 {
		return host(sysSchedGetattrNr, uintptr(pid), 0, uintptr(size), uintptr(uint32(a[3])))
	}
	b := hbuf(max(n, 4))
	r := host(sysSchedGetattrNr, uintptr(pid), uintptr(ptr(b)), uintptr(size), uintptr(uint32(a[3])))
	if r < 0 {
		return r
	}
	out := min(int(le32(b)), n)
	if e := t.writeMem(addr, b[:out]); e != 0 {
		return e
	}
	return r
}

// Host (x86-64) numbers the syscall package lacks.
const (
	sysSchedSetattrNr = 314
	sysSchedGetattrNr = 315
)

// sysNice is i386's nice(inc): the calling thread's nice value moves by
// inc, within -20..19; lowering it needs the privilege setpriority asks
// for (EPERM here where setpriority says EACCES).
func sysNice(t *Thread, a *[6]uint64) int64 {
	inc := max(min(sint(a[0]), 40), -40)
	r := host(syscall.SYS_GETPRIORITY, 0, 0) // PRIO_PROCESS, the caller
	if r < 0 {
		return r
	}
	nice := max(min(20-r+inc, 19), -20)
	r = host(syscall.SYS_SETPRIORITY, 0, 0, uintptr(nice))
	if r == -abi.EACCES {
		return -abi.EPERM
	}
	return r
}
