package linux

import (
	"sync"
	"syscall"
	"unsafe"

	"gemu/internal/linux/abi"
	"gemu/internal/x86"
)

// System call dispatch. Handlers are registered by their Linux name from
// each sys_*.go file; every ABI's table maps its numbers to names
// (abi.Names32, abi.Names64), so a handler serves both ABIs and looks at
// t.w (the long width of the calling thread's current call) where their
// structures differ. A handler receives the calling Thread and reaches
// the process's state through it (Thread embeds its Process).

// sysFn is a system call handler. It receives the six raw argument
// registers and returns the result or a negative errno.
type sysFn func(t *Thread, a *[6]uint64) int64

// maxSys bounds system call numbers on both ABIs.
const maxSys = 512

// sysABI is one guest ABI's system call table.
type sysABI struct {
	mode  int
	names map[int]string
	fns   [maxSys]sysFn
	name  [maxSys]string
	// restart is each call's restart class after a signal
	// (restartClassOf), errRestartSys for numbers without a name.
	restart [maxSys]int16
}

var (
	handlers   = map[string]sysFn{}
	abi32      = sysABI{mode: 32, names: abi.Names32}
	abi64      = sysABI{mode: 64, names: abi.Names64}
	tablesOnce sync.Once
)

// reg registers fn as the handler of the Linux system call named name.
// Each call has its own handler: variants of one call (dup2 and dup3,
// stat and lstat...) register small handlers that call a shared helper
// with what sets them apart, so no handler needs to know which name it
// was reached by.
func reg(fn sysFn, name string) {
	if handlers[name] != nil {
		panic("linux: system call " + name + " registered twice")
	}
	handlers[name] = fn
}

func buildTables() {
	tablesOnce.Do(func() {
		for _, t := range []*sysABI{&abi32, &abi64} {
			for nr := range t.restart {
				t.restart[nr] = errRestartSys
			}
			for nr, name := range t.names {
				if nr >= 0 && nr < maxSys {
					t.fns[nr] = handlers[name]
					t.name[nr] = name
					t.restart[nr] = int16(restartClassOf(name))
				}
			}
		}
	})
}

// Name returns the name of system call nr in the process's ABI, or "".
func (t *Thread) syscallName(nr uint64) string {
	if nr >= maxSys {
		return ""
	}
	return t.sys.name[nr]
}

// Syscall serves a system call instruction (x86.Syscaller). RIP already
// points after the instruction. The gates differ in where the arguments
// are: SYSCALL uses rdi, rsi, rdx, r10, r8, r9; INT 0x80 uses ebx, ecx,
// edx, esi, edi, ebp; SYSENTER (from the vDSO's __kernel_vsyscall) is
// INT 0x80's convention with ebp replaced by the stack pointer, so the
// sixth argument is the dword at [ebp], and returns to the vDSO's landing
// pad with esp = that ebp and ebp reloaded from it.
//
// INT 0x80 in an x86-64 process (from 64-bit code or compatibility
// mode) is an i386 system call, as on an x86-64 kernel with IA-32
// emulation: i386 numbers and structure layouts, the
// six arguments' low 32 bits (so a pointer above 4 GiB is EFAULT or
// names other memory), mappings it creates below 4 GiB, and every
// register but rax preserved (r8-r11 too, as since Linux 4.17). rax gets
// the result as the kernel's long: an error sign-extended, any other
// value zero-extended from 32 bits. The other way round, SYSCALL in an
// i386 process (from 64-bit code reached by a far jump to 0x33) is an
// x86-64 system call, as the kernel's entry_SYSCALL_64 makes it.
func (t *Thread) Syscall(c *x86.CPU, gate x86.Gate) {
	t.enterOS()
	defer t.leaveOS()
	var nr uint64
	var a [6]uint64
	t.gate = gate
	compat := gate == x86.GateInt80 && c.ProcMode == 64
	long := gate == x86.GateSyscall && c.ProcMode == 32
	if gate == x86.GateSyscall {
		nr = c.R[x86.RAX]
		a = [6]uint64{c.R[x86.RDI], c.R[x86.RSI], c.R[x86.RDX], c.R[x86.R10], c.R[x86.R8], c.R[x86.R9]}
	} else {
		nr = c.R[x86.RAX] & 0xffffffff
		for i, r := range [6]int{x86.RBX, x86.RCX, x86.RDX, x86.RSI, x86.RDI, x86.RBP} {
			a[i] = c.R[r] & 0xffffffff
		}
	}
	var ret int64
	entrySP := a[5]
	if gate == x86.GateSysenter {
		var b [4]byte
		if t.Mem.Read(entrySP, b[:]) != nil {
			ret = -abi.EFAULT
			t.sysenterReturn(c, entrySP, a[5], ret)
			return
		}
		a[5] = uint64(le32(b[:]))
	}
	t.noteFatal()
	if compat {
		t.w, t.sys = 4, &abi32
	}
	if long {
		t.w, t.sys = 8, &abi64
	}
	class := errRestartSys
	if nr < maxSys {
		class = int(t.sys.restart[nr])
	}
	ret = t.dispatch(c, nr, &a)
	if compat {
		t.w, t.sys = 8, &abi64
	}
	if long {
		t.w, t.sys = 4, &abi32
	}
	if c.Exited {
		return
	}
	switch {
	case t.regsLoaded:
		// sigreturn loaded every register from the signal frame.
	case gate == x86.GateSyscall:
		c.R[x86.RAX] = uint64(ret)
	case gate == x86.GateSysenter:
		t.sysenterReturn(c, entrySP, a[5], ret)
	case compat:
		c.R[x86.RAX] = compatResult(ret)
	default:
		c.R[x86.RAX] = uint64(ret) & 0xffffffff
	}
	// Observers see the call's result in the guest's registers.
	if obs := t.opts.Observer; obs != nil {
		obs.SyscallExit(c, nr, ret)
	}
	// Pending signals are delivered on the way back to the guest.
	t.syscallExit(c, gate, nr, class, ret)
}

// compatResult is rax after an i386 system call made from 64-bit code:
// the 32-bit result ret (sign-extended by dispatch) as the kernel's long,
// negative only for an errno.
func compatResult(ret int64) uint64 {
	if ret < 0 && ret >= -4095 {
		return uint64(ret)
	}
	return uint64(uint32(ret))
}

func (p *Process) sysenterReturn(c *x86.CPU, sp, bp uint64, ret int64) {
	c.R[x86.RAX] = uint64(ret) & 0xffffffff
	c.R[x86.RSP] = sp
	c.R[x86.RBP] = bp
	c.RIP = p.Layout.VDSO + vdsoSysenterReturn
}

// dispatch runs system call nr with its observers and tracing.
func (t *Thread) dispatch(c *x86.CPU, nr uint64, a *[6]uint64) int64 {
	obs := t.opts.Observer
	if obs != nil {
		obs.SyscallEntry(c, nr, *a)
	}
	if t.opts.Strace {
		t.straceEntry(nr, a)
	}
	var fn sysFn
	if nr < maxSys {
		fn = t.sys.fns[nr]
	}
	var ret int64
	if len(t.shared) > 0 {
		t.syncSharedOut()
	}
	if fn == nil {
		t.unimpf("Unsupported syscall: %d\n", nr)
		ret = -abi.ENOSYS
	} else {
		ret = fn(t, a)
	}
	if len(t.shared) > 0 {
		t.syncSharedIn()
	}
	if c.Exited {
		if t.opts.Strace {
			t.logf("\n")
			t.flushLog()
		}
		return ret
	}
	if t.w == 4 {
		// Results are 32-bit: sign-extend so errors compare as negative.
		ret = int64(int32(ret))
	}
	if t.opts.Strace {
		t.straceExit(nr, a, ret)
	}
	return ret
}

func le32(b []byte) uint32 {
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}

// Guest memory access for system calls: every guest pointer goes through
// the address space's checked Read and Write, so a bad pointer is EFAULT
// and the host's memory is never exposed.

// readMem copies n bytes of guest memory at addr.
func (p *Process) readMem(addr uint64, n int) ([]byte, int64) {
	if n < 0 {
		return nil, -abi.EINVAL
	}
	b := hbuf(n)
	if err := p.Mem.Read(addr, b); err != nil {
		return nil, -abi.EFAULT
	}
	return b, 0
}

// writeMem copies b into guest memory at addr.
func (p *Process) writeMem(addr uint64, b []byte) int64 {
	if err := p.Mem.Write(addr, b); err != nil {
		return -abi.EFAULT
	}
	return 0
}

// pathMax is the longest path a system call accepts, with its NUL.
const pathMax = 4096

// readPath reads a NUL-terminated path argument.
func (p *Process) readPath(addr uint64) (string, int64) {
	s, err := p.Mem.ReadString(addr, pathMax)
	if err != nil {
		return "", -abi.EFAULT
	}
	if len(s) >= pathMax {
		return "", -abi.ENAMETOOLONG
	}
	return s, 0
}

// readLong reads a guest long (4 or 8 bytes).
func (t *Thread) readLong(addr uint64) (uint64, int64) {
	b, e := t.readMem(addr, int(t.w))
	if e != 0 {
		return 0, e
	}
	return t.w.Get(b, 0), 0
}

// writeLong stores a guest long.
func (t *Thread) writeLong(addr, v uint64) int64 {
	return t.writeMem(addr, t.w.Encode(v))
}

// writable reports whether [addr, addr+n) is mapped writable, so that a
// system call can refuse a bad buffer before it has side effects.
func (p *Process) writable(addr, n uint64) bool {
	if n == 0 {
		return true
	}
	if addr+n < addr || addr+n > p.Mem.Limit {
		return false
	}
	for a := addr &^ (pageSize - 1); a < addr+n; a += pageSize {
		perm, ok := p.Mem.PermAt(a)
		if !ok || perm&0x2 == 0 { // mem.Write
			return false
		}
	}
	return true
}

// sint is an int argument: the kernel uses the low 32 bits, sign-extended.
func sint(v uint64) int64 { return int64(int32(v)) }

// slong is a long argument of the guest's width, sign-extended.
func (t *Thread) slong(v uint64) int64 {
	if t.w == 4 {
		return int64(int32(v))
	}
	return int64(v)
}

// ulong is an unsigned long argument of the guest's width.
func (t *Thread) ulong(v uint64) uint64 {
	if t.w == 4 {
		return v & 0xffffffff
	}
	return v
}

// host makes a raw host system call and returns its result or -errno.
//
// A Go buffer passed to it must be converted in the call's argument list,
// as host(nr, uintptr(ptr(b))): the go:uintptrescapes directive below then
// keeps the buffer allocated until the call returns (Go's unsafe.Pointer
// rule for system calls). A uintptr computed earlier keeps nothing alive,
// and the garbage collector may reuse the buffer while the kernel uses it.
//
//go:uintptrescapes
func host(nr uintptr, args ...uintptr) int64 {
	var a [6]uintptr
	copy(a[:], args)
	var t *Thread
	g := activeGroup.Load()
	if g != nil {
		t = g.release()
	}
	r, _, e := syscall.Syscall6(nr, a[0], a[1], a[2], a[3], a[4], a[5])
	if g != nil {
		g.acquire(t)
	}
	if e != 0 {
		return -int64(e)
	}
	return int64(r)
}

// ptr returns a pointer to b's first byte (nil for an empty slice), for
// passing Go buffers to host system calls as uintptr(ptr(b)) right in the
// call's argument list (see host).
func ptr(b []byte) unsafe.Pointer {
	if len(b) == 0 {
		return nil
	}
	return unsafe.Pointer(&b[0])
}

// hbuf allocates a buffer for a host system call. Buffers handed to the
// host must live on the heap (a goroutine stack can move between taking
// the address and the call), and a make in a function that is not inlined
// and returns the slice always is.
//
//go:noinline
func hbuf(n int) []byte { return make([]byte, n) }

// cstr returns s as a NUL-terminated byte slice on the heap.
//
//go:noinline
func cstr(s string) []byte {
	b := make([]byte, len(s)+1)
	copy(b, s)
	return b
}
