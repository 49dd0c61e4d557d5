package linux

import (
	"fmt"

	"gemu/internal/linux/abi"
	"gemu/internal/mem"
)

// Address-space layout. Linux randomizes these; gemu uses the addresses a
// Linux process gets with randomization off, so every run is the same.
const (
	// StackTop32 is the top of an i386 process's stack on a 64-bit kernel
	// (TASK_SIZE of a 32-bit task).
	StackTop32 = 0xffffe000
	// StackTop64 is the top of an x86-64 process's stack.
	StackTop64 = 0x7ffffffff000
	// StackSize is the size of the initial stack mapping (the default
	// RLIMIT_STACK); the stack does not grow beyond it.
	StackSize = 8 << 20
	// mmapGap is the distance between the stack top and the base of the
	// mmap area, Linux's minimum gap.
	mmapGap = 128 << 20
	// mmapBottom is the lowest address mmap hands out on its own.
	mmapBottom = 0x10000
)

// Layout is where a process's fixed regions are.
type Layout struct {
	StackTop uint64 // one past the highest stack byte
	VDSO     uint64 // address of the vDSO page
	MmapTop  uint64 // mmap picks addresses top-down below this
}

// LayoutFor returns the layout for guest mode 32 or 64: the vDSO sits just
// below the mmap base, which is the stack top minus the stack gap.
func LayoutFor(mode int) Layout {
	top := uint64(StackTop64)
	if mode == 32 {
		top = StackTop32
	}
	base := top - mmapGap
	vdso := base - 2*pageSize
	return Layout{StackTop: top, VDSO: vdso, MmapTop: vdso}
}

// StackInfo records where build put the initial stack's parts (for tests
// and diagnostics).
type StackInfo struct {
	SP       uint64 // initial stack pointer, pointing at argc
	Argv     uint64 // argv[0] pointer slot
	Envp     uint64 // envp[0] pointer slot
	Auxv     uint64 // first auxv entry
	ExecFn   uint64 // the file name string (AT_EXECFN)
	Platform uint64 // the platform string (AT_PLATFORM)
	Random   uint64 // the 16 AT_RANDOM bytes
	// ArgStart, ArgEnd, EnvStart, EnvEnd bound the argument and
	// environment strings (with their NULs), for /proc/self/cmdline,
	// environ and stat.
	ArgStart, ArgEnd, EnvStart, EnvEnd uint64
}

// AuxEntry is one auxiliary vector entry.
type AuxEntry struct{ Type, Val uint64 }

// stackArgs is what buildStack puts on the stack.
type stackArgs struct {
	mode    int
	top     uint64
	argv    []string
	envp    []string
	execfn  string
	random  [16]byte
	auxv    []AuxEntry // without AT_RANDOM, AT_EXECFN, AT_PLATFORM, AT_NULL
	auxTail []AuxEntry // entries after AT_HWCAP2 (filled in with addresses)
}

// buildStack maps the stack below top and writes the initial process
// stack exactly as Linux's execve does: at the very top a null word, then
// going down the file name, the environment strings and the argument
// strings (argv[0] lowest); below them, 16-byte aligned, the platform
// string and the 16 random bytes; then the auxiliary vector, envp and argv
// pointer arrays and argc, with the final stack pointer 16-byte aligned.
func buildStack(m *mem.Space, a *stackArgs) (StackInfo, error) {
	var si StackInfo
	ws := uint64(4)
	platform := "i686"
	if a.mode == 64 {
		ws, platform = 8, "x86_64"
	}
	if err := m.Map(a.top-StackSize, StackSize, mem.Read|mem.Write); err != nil {
		return si, err
	}
	p := a.top - ws
	var failed bool
	put := func(addr uint64, b []byte) {
		if !m.Poke(addr, b) {
			failed = true
		}
	}
	pushStr := func(s string) uint64 {
		p -= uint64(len(s) + 1)
		put(p, append([]byte(s), 0))
		return p
	}
	// Strings must fit comfortably in the stack (Linux allows a quarter
	// of the stack limit for them).
	total := len(a.execfn) + 1
	for _, s := range a.argv {
		total += len(s) + 1
	}
	for _, s := range a.envp {
		total += len(s) + 1
	}
	if total > StackSize/4 {
		return si, fmt.Errorf("argument list too long")
	}
	si.ExecFn = pushStr(a.execfn)
	si.EnvStart, si.EnvEnd = si.ExecFn, si.ExecFn
	envAddr := make([]uint64, len(a.envp))
	for i := len(a.envp) - 1; i >= 0; i-- {
		envAddr[i] = pushStr(a.envp[i])
		si.EnvStart = envAddr[i]
	}
	si.ArgStart, si.ArgEnd = si.EnvStart, si.EnvStart
	argAddr := make([]uint64, len(a.argv))
	for i := len(a.argv) - 1; i >= 0; i-- {
		argAddr[i] = pushStr(a.argv[i])
		si.ArgStart = argAddr[i]
	}
	p &^= 15
	si.Platform = pushStr(platform)
	p -= 16
	si.Random = p
	put(p, a.random[:])

	aux := append([]AuxEntry{}, a.auxv...)
	aux = append(aux, AuxEntry{abi.AT_RANDOM, si.Random})
	aux = append(aux, a.auxTail...)
	aux = append(aux, AuxEntry{abi.AT_EXECFN, si.ExecFn}, AuxEntry{abi.AT_PLATFORM, si.Platform}, AuxEntry{abi.AT_NULL, 0})

	items := uint64(len(a.argv)+1) + uint64(len(a.envp)+1) + 1
	sp := p - uint64(2*len(aux))*ws
	sp = (sp - items*ws) &^ 15
	si.SP = sp
	w := abi.Words(ws)
	words := make([]uint64, 0, items+uint64(2*len(aux)))
	words = append(words, uint64(len(a.argv)))
	words = append(words, argAddr...)
	words = append(words, 0)
	words = append(words, envAddr...)
	words = append(words, 0)
	for _, e := range aux {
		words = append(words, e.Type, e.Val)
	}
	put(sp, w.Encode(words...))
	si.Argv = sp + ws
	si.Envp = si.Argv + uint64(len(a.argv)+1)*ws
	si.Auxv = si.Envp + uint64(len(a.envp)+1)*ws
	if failed || sp < a.top-StackSize {
		return si, fmt.Errorf("initial stack does not fit")
	}
	return si, nil
}
