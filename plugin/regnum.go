package plugin

import "strconv"

// Register numbers for CPU.ReadRegister: the numbering of include/regnum.h,
// which is the one of ISP RAS SWAT's QEMU (its gdbstub numbers, extended
// with segment bases and control registers), so that Go and C plugins, and
// plugins built for SWAT, read the same register under the same number.
// The table applies by the guest's architecture (CPU.Arch): I386* for
// "i386", AMD64* for "x86_64". docs/plugins.md lists sizes and values.
//
// The constants are named after the C names without the _REGNUM suffix
// (I386_FS_BASE_REGNUM is I386FSBase); RegisterNumber and
// CPU.ReadRegisterByName take the lower-case register names of the table
// below ("eax", "fs_base", "cr3", "st0", "xmm15", "tr_base", "cpl").

// i386 guests.
const (
	I386EAX          = 0
	I386ECX          = 1
	I386EDX          = 2
	I386EBX          = 3
	I386ESP          = 4
	I386EBP          = 5
	I386ESI          = 6
	I386EDI          = 7
	I386EIP          = 8
	I386EFLAGS       = 9
	I386CS           = 10
	I386SS           = 11
	I386DS           = 12
	I386ES           = 13
	I386FS           = 14
	I386GS           = 15
	I386FSBase       = 16
	I386GSBase       = 17
	I386KernelGSBase = 18
	I386CR0          = 19
	I386CR2          = 20
	I386CR3          = 21
	I386CR4          = 22
	I386CR8          = 23
	I386EFER         = 24
	I386ST0          = 25 // st0..st7: I386ST0+i
	I386FCTRL        = 33
	I386FSTAT        = 34
	I386FTAG         = 35
	I386FISEG        = 36
	I386FIOFF        = 37
	I386FOSEG        = 38
	I386FOOFF        = 39
	I386FOP          = 40
	I386XMM0         = 41 // xmm0..xmm7: I386XMM0+i
	I386MXCSR        = 49
	I386CSBase       = 72
	I386SSBase       = 73
	I386TRBase       = 74
	I386NumRegs      = 75 // one past the last number of SWAT's numbering
	// I386CPL is the privilege level (0-3; 3 in user mode), a number of
	// gemu's own after every number regnum.h had before it.
	I386CPL = 106
)

// x86-64 guests. The general registers are in GDB's order (rax, rbx, rcx,
// rdx, rsi, rdi, rbp, rsp), not the hardware's.
const (
	AMD64RAX          = 0
	AMD64RBX          = 1
	AMD64RCX          = 2
	AMD64RDX          = 3
	AMD64RSI          = 4
	AMD64RDI          = 5
	AMD64RBP          = 6
	AMD64RSP          = 7
	AMD64R8           = 8 // r8..r15: AMD64R8+i-8
	AMD64RIP          = 16
	AMD64EFLAGS       = 17
	AMD64CS           = 18
	AMD64SS           = 19
	AMD64DS           = 20
	AMD64ES           = 21
	AMD64FS           = 22
	AMD64GS           = 23
	AMD64FSBase       = 24
	AMD64GSBase       = 25
	AMD64KernelGSBase = 26
	AMD64CR0          = 27
	AMD64CR2          = 28
	AMD64CR3          = 29
	AMD64CR4          = 30
	AMD64CR8          = 31
	AMD64EFER         = 32
	AMD64ST0          = 33 // st0..st7: AMD64ST0+i
	AMD64FCTRL        = 41
	AMD64FSTAT        = 42
	AMD64FTAG         = 43
	AMD64FISEG        = 44
	AMD64FIOFF        = 45
	AMD64FOSEG        = 46
	AMD64FOOFF        = 47
	AMD64FOP          = 48
	AMD64XMM0         = 49 // xmm0..xmm15: AMD64XMM0+i
	AMD64MXCSR        = 65
	AMD64CSBase       = 72
	AMD64SSBase       = 73
	AMD64TRBase       = 154
	AMD64NumRegs      = 155 // one past the last number of SWAT's numbering
	// AMD64CPL is the privilege level (0-3; 3 in user mode), a number of
	// gemu's own after every number regnum.h had before it.
	AMD64CPL = 250
)

// regNames32 and regNames64 name every register number of each table
// ("" for a number that reads nothing).
var regNames32, regNames64 = regNames(32), regNames(64)

// regNames builds the name table of an architecture (mode 32 or 64) from
// the constants above.
func regNames(mode int) []string {
	if mode == 64 {
		n := make([]string, AMD64CPL+1)
		copy(n, []string{"rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp"})
		for i := 8; i < 16; i++ {
			n[AMD64R8+i-8] = "r" + strconv.Itoa(i)
		}
		n[AMD64RIP] = "rip"
		fill(n, AMD64EFLAGS, AMD64ST0, AMD64XMM0, 16, AMD64MXCSR)
		n[AMD64CSBase], n[AMD64SSBase], n[AMD64TRBase] = "cs_base", "ss_base", "tr_base"
		n[AMD64CPL] = "cpl"
		return n
	}
	n := make([]string, I386CPL+1)
	copy(n, []string{"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi", "eip"})
	fill(n, I386EFLAGS, I386ST0, I386XMM0, 8, I386MXCSR)
	n[I386CSBase], n[I386SSBase], n[I386TRBase] = "cs_base", "ss_base", "tr_base"
	n[I386CPL] = "cpl"
	return n
}

// fill names the part both architectures lay out alike, eflags to mxcsr.
func fill(n []string, eflags, st0, xmm0, nxmm, mxcsr int) {
	copy(n[eflags:], []string{"eflags", "cs", "ss", "ds", "es", "fs", "gs",
		"fs_base", "gs_base", "kernel_gs_base", "cr0", "cr2", "cr3", "cr4", "cr8", "efer"})
	for i := 0; i < 8; i++ {
		n[st0+i] = "st" + strconv.Itoa(i)
	}
	copy(n[st0+8:], []string{"fctrl", "fstat", "ftag", "fiseg", "fioff", "foseg", "fooff", "fop"})
	for i := 0; i < nxmm; i++ {
		n[xmm0+i] = "xmm" + strconv.Itoa(i)
	}
	n[mxcsr] = "mxcsr"
}

// RegisterNumber returns the number of the register called name (a
// lower-case name as in the table of include/regnum.h: "eax", "rip",
// "fs_base", "cr3", "st0", "xmm0", "tr_base") for the architecture arch
// ("i386" or "x86_64"), and false if that architecture has no such
// register.
func RegisterNumber(arch, name string) (int, bool) {
	names := regNames32
	switch arch {
	case "x86_64":
		names = regNames64
	case "i386":
	default:
		return 0, false
	}
	if name == "" {
		return 0, false
	}
	for i, n := range names {
		if n == name {
			return i, true
		}
	}
	return 0, false
}

// RegisterName returns the name of register num of the architecture arch
// ("i386" or "x86_64"), or "" for a number that names no register.
func RegisterName(arch string, num int) string {
	names := regNames32
	switch arch {
	case "x86_64":
		names = regNames64
	case "i386":
	default:
		return ""
	}
	if num < 0 || num >= len(names) {
		return ""
	}
	return names[num]
}

// ReadRegisterByName is ReadRegister for the register called name in the
// guest's architecture (see RegisterNumber). It returns 0 for a name the
// architecture does not have. It looks the name up on each call: a hot hook
// should use the number (a constant, or RegisterNumber's result kept from
// its setup).
func (c *CPU) ReadRegisterByName(name string, buf []byte) int {
	num, ok := RegisterNumber(c.Arch(), name)
	if !ok {
		return 0
	}
	return c.ReadRegister(num, buf)
}
