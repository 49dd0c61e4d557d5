package plugin

import (
	"encoding/binary"
	"testing"

	"gemu/internal/mem"
	"gemu/internal/x86"
)

func TestRegisterNames(t *testing.T) {
	tests := []struct {
		arch string
		num  int
		name string
	}{
		{"i386", I386EAX, "eax"}, {"i386", I386EBX, "ebx"}, {"i386", I386EDI, "edi"},
		{"i386", I386EIP, "eip"}, {"i386", I386EFLAGS, "eflags"}, {"i386", I386CS, "cs"},
		{"i386", I386GS, "gs"}, {"i386", I386FSBase, "fs_base"}, {"i386", I386GSBase, "gs_base"},
		{"i386", I386KernelGSBase, "kernel_gs_base"}, {"i386", I386CR0, "cr0"},
		{"i386", I386CR2, "cr2"}, {"i386", I386CR3, "cr3"}, {"i386", I386CR4, "cr4"},
		{"i386", I386CR8, "cr8"}, {"i386", I386EFER, "efer"}, {"i386", I386ST0, "st0"},
		{"i386", I386ST0 + 7, "st7"}, {"i386", I386FCTRL, "fctrl"}, {"i386", I386FSTAT, "fstat"},
		{"i386", I386FTAG, "ftag"}, {"i386", I386FISEG, "fiseg"}, {"i386", I386FIOFF, "fioff"},
		{"i386", I386FOSEG, "foseg"}, {"i386", I386FOOFF, "fooff"}, {"i386", I386FOP, "fop"},
		{"i386", I386XMM0, "xmm0"}, {"i386", I386XMM0 + 7, "xmm7"}, {"i386", I386MXCSR, "mxcsr"},
		{"i386", I386CSBase, "cs_base"}, {"i386", I386SSBase, "ss_base"}, {"i386", I386TRBase, "tr_base"},
		{"i386", I386CPL, "cpl"}, {"x86_64", AMD64CPL, "cpl"},
		{"x86_64", AMD64RAX, "rax"}, {"x86_64", AMD64RBX, "rbx"}, {"x86_64", AMD64RCX, "rcx"},
		{"x86_64", AMD64RDX, "rdx"}, {"x86_64", AMD64RSI, "rsi"}, {"x86_64", AMD64RDI, "rdi"},
		{"x86_64", AMD64RBP, "rbp"}, {"x86_64", AMD64RSP, "rsp"}, {"x86_64", AMD64R8, "r8"},
		{"x86_64", AMD64R8 + 7, "r15"}, {"x86_64", AMD64RIP, "rip"}, {"x86_64", AMD64EFLAGS, "eflags"},
		{"x86_64", AMD64CS, "cs"}, {"x86_64", AMD64SS, "ss"}, {"x86_64", AMD64DS, "ds"},
		{"x86_64", AMD64ES, "es"}, {"x86_64", AMD64FS, "fs"}, {"x86_64", AMD64GS, "gs"},
		{"x86_64", AMD64FSBase, "fs_base"}, {"x86_64", AMD64GSBase, "gs_base"},
		{"x86_64", AMD64KernelGSBase, "kernel_gs_base"}, {"x86_64", AMD64CR0, "cr0"},
		{"x86_64", AMD64CR2, "cr2"}, {"x86_64", AMD64CR3, "cr3"}, {"x86_64", AMD64CR4, "cr4"},
		{"x86_64", AMD64CR8, "cr8"}, {"x86_64", AMD64EFER, "efer"}, {"x86_64", AMD64ST0, "st0"},
		{"x86_64", AMD64ST0 + 7, "st7"}, {"x86_64", AMD64FCTRL, "fctrl"}, {"x86_64", AMD64FSTAT, "fstat"},
		{"x86_64", AMD64FTAG, "ftag"}, {"x86_64", AMD64FISEG, "fiseg"}, {"x86_64", AMD64FIOFF, "fioff"},
		{"x86_64", AMD64FOSEG, "foseg"}, {"x86_64", AMD64FOOFF, "fooff"}, {"x86_64", AMD64FOP, "fop"},
		{"x86_64", AMD64XMM0, "xmm0"}, {"x86_64", AMD64XMM0 + 15, "xmm15"}, {"x86_64", AMD64MXCSR, "mxcsr"},
		{"x86_64", AMD64CSBase, "cs_base"}, {"x86_64", AMD64SSBase, "ss_base"}, {"x86_64", AMD64TRBase, "tr_base"},
	}
	for _, tt := range tests {
		if got := RegisterName(tt.arch, tt.num); got != tt.name {
			t.Errorf("RegisterName(%s, %d) = %q, want %q", tt.arch, tt.num, got, tt.name)
		}
		if got, ok := RegisterNumber(tt.arch, tt.name); !ok || got != tt.num {
			t.Errorf("RegisterNumber(%s, %q) = %d, %v, want %d", tt.arch, tt.name, got, ok, tt.num)
		}
	}
	// Every name is there once; the gaps read as no name.
	for arch, size := range map[string]int{"i386": 50 + 4, "x86_64": 66 + 4} {
		seen := map[string]bool{}
		n := 0
		for num := -1; num < 300; num++ {
			name := RegisterName(arch, num)
			if name == "" {
				continue
			}
			n++
			if seen[name] {
				t.Errorf("%s: %q twice", arch, name)
			}
			seen[name] = true
		}
		if n != size {
			t.Errorf("%s: %d names, want %d", arch, n, size)
		}
	}
	// The names cover exactly the numbers gemu reads.
	for arch, mode := range map[string]int{"i386": 32, "x86_64": 64} {
		tab := x86.RegTable(mode)
		for num := 0; num < 300; num++ {
			present := num < len(tab) && tab[num].Kind != x86.RegAbsent
			if name := RegisterName(arch, num); present != (name != "") {
				t.Errorf("%s reg %d: name %q, in gemu's table %v", arch, num, name, present)
			}
		}
	}
	for _, bad := range []struct{ arch, name string }{
		{"i386", "rax"}, {"i386", "r8"}, {"i386", "xmm8"}, {"x86_64", "eax"}, {"x86_64", ""},
		{"arm", "eax"}, {"x86_64", "ymm0h"}, {"i386", "EAX"},
	} {
		if num, ok := RegisterNumber(bad.arch, bad.name); ok {
			t.Errorf("RegisterNumber(%s, %q) = %d", bad.arch, bad.name, num)
		}
	}
	if RegisterName("arm", 0) != "" || RegisterName("i386", I386NumRegs) != "" || RegisterName("x86_64", 66) != "" {
		t.Error("a name for a number outside the tables")
	}
}

func TestReadRegisterByName(t *testing.T) {
	c64 := x86.New(64, mem.New(1<<47))
	c64.R[x86.RBX] = 0x1122334455667788
	c64.R[x86.R15] = 0xf15
	c64.RIP = 0x401000
	c64.SegBase[x86.FS] = 0x7f0000001000
	c64.XMM[15] = [2]uint64{0x0807060504030201, 0x100f0e0d0c0b0a09}
	c64.MXCSR = 0x1fa0
	c := (*CPU)(c64)
	buf := make([]byte, 16)
	tests := []struct {
		name string
		size int
		want uint64 // low 8 bytes
	}{
		{"rbx", 8, 0x1122334455667788},
		{"r15", 8, 0xf15},
		{"rip", 8, 0x401000},
		{"fs_base", 8, 0x7f0000001000},
		{"cs_base", 8, 0},
		{"cr0", 8, 0x80050033},
		{"efer", 8, 0xd01},
		{"tr_base", 8, 0xfffffe0000003000},
		{"mxcsr", 4, 0x1fa0},
		{"xmm15", 16, 0x0807060504030201},
	}
	for _, tt := range tests {
		clear(buf)
		n := c.ReadRegisterByName(tt.name, buf)
		if n != tt.size || binary.LittleEndian.Uint64(buf[:8]) != tt.want {
			t.Errorf("%s: %d bytes % x, want %d bytes %#x", tt.name, n, buf[:n], tt.size, tt.want)
		}
		if num, _ := RegisterNumber("x86_64", tt.name); c.ReadRegister(num, buf) != n {
			t.Errorf("%s: ReadRegister(%d) disagrees", tt.name, num)
		}
	}
	if c.ReadRegisterByName("xmm15", buf[:8]) != 0 || c.ReadRegisterByName("eax", buf) != 0 {
		t.Error("a short buffer or an i386 name read something")
	}
	c32 := (*CPU)(x86.New(32, mem.New(1<<32)))
	c32.R[x86.RBX] = 0xffffffff12345678
	if n := c32.ReadRegisterByName("ebx", buf); n != 4 || binary.LittleEndian.Uint32(buf) != 0x12345678 {
		t.Errorf("ebx: %d % x", n, buf[:n])
	}
	if n := c32.ReadRegisterByName("tr_base", buf); n != 4 || binary.LittleEndian.Uint32(buf) != 0xfffff000 {
		t.Errorf("i386 tr_base: %d % x", n, buf[:n])
	}
}
