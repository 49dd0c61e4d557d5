package linux

import (
	"debug/elf"
	"encoding/binary"
)

// The vDSO is a one-page ELF shared object that Linux maps into every
// process and announces with AT_SYSINFO_EHDR. glibc's start-up code parses
// it to look up fast clock functions; gemu's has none, so glibc falls back
// to real system calls. On i386 it holds __kernel_vsyscall, the system
// call entry glibc reaches through AT_SYSINFO, which uses SYSENTER like
// Linux's on Intel CPUs, plus the signal return trampolines.

// vdso32Code is the i386 vDSO text: __kernel_vsyscall (push %ecx; push
// %edx; push %ebp; mov %esp,%ebp; sysenter; int $0x80; pop %ebp; pop %edx;
// pop %ecx; ret), then __kernel_sigreturn (pop %eax; mov $119,%eax; int
// $0x80) and __kernel_rt_sigreturn (mov $173,%eax; int $0x80).
var vdso32Code = []byte{
	0x51, 0x52, 0x55, 0x89, 0xe5, 0x0f, 0x34, 0xcd, 0x80, 0x5d, 0x5a, 0x59, 0xc3,
	0x90, 0x90, 0x90,
	0x58, 0xb8, 0x77, 0x00, 0x00, 0x00, 0xcd, 0x80,
	0x90,
	0xb8, 0xad, 0x00, 0x00, 0x00, 0xcd, 0x80,
}

// vdso64Code is the x86-64 vDSO text: __vdso_rt_sigreturn-style trampoline
// (mov $15,%eax; syscall), kept for signal delivery.
var vdso64Code = []byte{0x48, 0xc7, 0xc0, 0x0f, 0x00, 0x00, 0x00, 0x0f, 0x05}

// Offsets inside the vDSO page.
const (
	vdsoCodeOff = 0x400
	// vdsoSysenterReturn is where SYSENTER returns in the i386 vDSO: the
	// "pop %ebp" after "int $0x80".
	vdsoSysenterReturn = vdsoCodeOff + 9
	vdsoSigreturn32    = vdsoCodeOff + 16
	vdsoRtSigreturn32  = vdsoCodeOff + 25
)

type vdsoSym struct {
	name string
	off  uint64
	size uint64
}

// buildVDSO returns the vDSO page image for mode 32 or 64. The image is
// linked at address 0 like Linux's, so it works wherever it is mapped.
func buildVDSO(mode int) []byte {
	var syms []vdsoSym
	var code []byte
	if mode == 32 {
		code = vdso32Code
		syms = []vdsoSym{
			{"__kernel_vsyscall", vdsoCodeOff, 13},
			{"__kernel_sigreturn", vdsoSigreturn32, 8},
			{"__kernel_rt_sigreturn", vdsoRtSigreturn32, 7},
		}
	} else {
		code = vdso64Code
		syms = []vdsoSym{{"__vdso_rt_sigreturn", vdsoCodeOff, uint64(len(vdso64Code))}}
	}
	le := binary.LittleEndian
	img := make([]byte, pageSize)
	w := 4
	ehsize, phent, symsz := 52, 32, 16
	if mode == 64 {
		w, ehsize, phent, symsz = 8, 64, 56, 24
	}
	put := func(off int, size int, v uint64) {
		switch size {
		case 2:
			le.PutUint16(img[off:], uint16(v))
		case 4:
			le.PutUint32(img[off:], uint32(v))
		case 8:
			le.PutUint64(img[off:], v)
		}
	}
	// String table: "", soname, symbol names.
	strtab := []byte{0}
	addStr := func(s string) uint64 {
		o := len(strtab)
		strtab = append(strtab, s...)
		strtab = append(strtab, 0)
		return uint64(o)
	}
	soname := addStr("linux-vdso.so.1")
	nameOff := make([]uint64, len(syms))
	for i, s := range syms {
		nameOff[i] = addStr(s.name)
	}
	nsym := len(syms) + 1
	nphdr := 2
	dynOff := ehsize + nphdr*phent
	ndyn := 7
	hashOff := dynOff + ndyn*2*w
	hashSize := 4 * (2 + 1 + nsym)
	symOff := (hashOff + hashSize + 7) &^ 7
	strOff := symOff + nsym*symsz
	if strOff+len(strtab) > vdsoCodeOff {
		panic("vdso: tables overflow the code offset")
	}

	// ELF header.
	copy(img, elf.ELFMAG)
	if mode == 64 {
		img[elf.EI_CLASS] = byte(elf.ELFCLASS64)
	} else {
		img[elf.EI_CLASS] = byte(elf.ELFCLASS32)
	}
	img[elf.EI_DATA] = byte(elf.ELFDATA2LSB)
	img[elf.EI_VERSION] = byte(elf.EV_CURRENT)
	img[elf.EI_OSABI] = byte(elf.ELFOSABI_NONE)
	put(16, 2, uint64(elf.ET_DYN))
	if mode == 64 {
		put(18, 2, uint64(elf.EM_X86_64))
	} else {
		put(18, 2, uint64(elf.EM_386))
	}
	put(20, 4, uint64(elf.EV_CURRENT))
	// e_entry, e_phoff, e_shoff, then flags and sizes.
	o := 24
	put(o, w, vdsoCodeOff)
	put(o+w, w, uint64(ehsize))
	put(o+2*w, w, 0)
	o += 3 * w
	put(o, 4, 0) // e_flags
	put(o+4, 2, uint64(ehsize))
	put(o+6, 2, uint64(phent))
	put(o+8, 2, uint64(nphdr))
	put(o+10, 2, uint64(symsz+16)) // e_shentsize: 40 or 64 (no sections)
	put(o+12, 2, 0)
	put(o+14, 2, 0)

	// Program headers: PT_LOAD of the page (r-x) and PT_DYNAMIC (r--).
	phdr := func(i int, typ elf.ProgType, flags elf.ProgFlag, off, size, align uint64) {
		b := ehsize + i*phent
		if mode == 64 {
			put(b, 4, uint64(typ))
			put(b+4, 4, uint64(flags))
			put(b+8, 8, off)
			put(b+16, 8, off)
			put(b+24, 8, off)
			put(b+32, 8, size)
			put(b+40, 8, size)
			put(b+48, 8, align)
		} else {
			put(b, 4, uint64(typ))
			put(b+4, 4, off)
			put(b+8, 4, off)
			put(b+12, 4, off)
			put(b+16, 4, size)
			put(b+20, 4, size)
			put(b+24, 4, uint64(flags))
			put(b+28, 4, align)
		}
	}
	phdr(0, elf.PT_LOAD, elf.PF_R|elf.PF_X, 0, pageSize, pageSize)
	phdr(1, elf.PT_DYNAMIC, elf.PF_R, uint64(dynOff), uint64(ndyn*2*w), uint64(w))

	// Dynamic section.
	dyn := []struct {
		tag elf.DynTag
		val uint64
	}{
		{elf.DT_SONAME, soname},
		{elf.DT_HASH, uint64(hashOff)},
		{elf.DT_STRTAB, uint64(strOff)},
		{elf.DT_SYMTAB, uint64(symOff)},
		{elf.DT_STRSZ, uint64(len(strtab))},
		{elf.DT_SYMENT, uint64(symsz)},
		{elf.DT_NULL, 0},
	}
	for i, d := range dyn {
		put(dynOff+i*2*w, w, uint64(d.tag))
		put(dynOff+i*2*w+w, w, d.val)
	}

	// SysV hash table with one bucket chaining every symbol.
	put(hashOff, 4, 1)
	put(hashOff+4, 4, uint64(nsym))
	put(hashOff+8, 4, uint64(nsym-1))
	for i := 0; i < nsym; i++ {
		next := 0
		if i > 0 {
			next = i - 1
		}
		put(hashOff+12+4*i, 4, uint64(next))
	}

	// Symbols (index 0 is the null symbol).
	info := uint64(elf.ST_INFO(elf.STB_GLOBAL, elf.STT_FUNC))
	for i, s := range syms {
		b := symOff + (i+1)*symsz
		if mode == 64 {
			put(b, 4, nameOff[i])
			img[b+4] = byte(info)
			put(b+6, 2, 1) // any defined section index: not SHN_UNDEF/ABS
			put(b+8, 8, s.off)
			put(b+16, 8, s.size)
		} else {
			put(b, 4, nameOff[i])
			put(b+4, 4, s.off)
			put(b+8, 4, s.size)
			img[b+12] = byte(info)
			put(b+14, 2, 1)
		}
	}
	copy(img[strOff:], strtab)
	copy(img[vdsoCodeOff:], code)
	return img
}
