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

// vdsoSym is one exported vDSO function: its name, offset, size and the
// index of the version that defines it (vdsoVersions).
type vdsoSym struct {
	name string
	off  uint64
	size uint64
	ver  uint16
}

// Symbol versions, as Linux's vDSO linker scripts define them. Version
// index 1 is the object itself (the VER_FLG_BASE definition, named by the
// soname); the named versions follow in the order the scripts list them:
// x86-64 has LINUX_2.6 (2); i386 has LINUX_2.6 (2, the clock functions)
// and LINUX_2.5 (3, __kernel_vsyscall and the signal return trampolines).
// The Go runtime looks its vDSO functions up by name and version, and its
// parser needs a version definition table to be present; glibc checks the
// version too (dl_vdso_vsym).
const (
	vdsoVerBase  = 1
	vdsoVer26    = 2
	vdsoVer25_32 = 3
)

// vdsoVersionNames returns the named versions of the vDSO for mode, from
// index 2 on.
func vdsoVersionNames(mode int) []string {
	if mode == 32 {
		return []string{"LINUX_2.6", "LINUX_2.5"}
	}
	return []string{"LINUX_2.6"}
}

// vdsoSoname is the vDSO's DT_SONAME and base version name: Linux links its
// i386 vDSO as linux-gate.so.1 and its x86-64 one as linux-vdso.so.1.
func vdsoSoname(mode int) string {
	if mode == 32 {
		return "linux-gate.so.1"
	}
	return "linux-vdso.so.1"
}

// elfHash is the System V ABI's symbol hash function, which version
// definitions record for their names (vd_hash).
func elfHash(name string) uint32 {
	var h uint32
	for i := 0; i < len(name); i++ {
		h = h<<4 + uint32(name[i])
		if g := h & 0xf0000000; g != 0 {
			h ^= g >> 24
		}
		h &^= 0xf0000000
	}
	return h
}

// Sizes of the version definition records (Elf32 and Elf64 alike).
const (
	verdefSize  = 20 // Elf_Verdef
	verdauxSize = 8  // Elf_Verdaux
)

// buildVDSO returns the vDSO page image for mode 32 or 64. The image is
// linked at address 0 like Linux's, so it works wherever it is mapped. It
// holds the ELF header, a PT_LOAD and a PT_DYNAMIC program header, the
// dynamic section, a SysV hash table, the dynamic symbols (the functions,
// then an absolute symbol per version name, as GNU ld emits them), their
// strings, the symbol version table (DT_VERSYM) and the version
// definitions (DT_VERDEF), then the code at vdsoCodeOff.
func buildVDSO(mode int) []byte {
	var syms []vdsoSym
	var code []byte
	if mode == 32 {
		code = vdso32Code
		syms = []vdsoSym{
			{"__kernel_vsyscall", vdsoCodeOff, 13, vdsoVer25_32},
			{"__kernel_sigreturn", vdsoSigreturn32, 8, vdsoVer25_32},
			{"__kernel_rt_sigreturn", vdsoRtSigreturn32, 7, vdsoVer25_32},
		}
	} else {
		code = vdso64Code
		syms = []vdsoSym{{"__vdso_rt_sigreturn", vdsoCodeOff, uint64(len(vdso64Code)), vdsoVer26}}
	}
	nfunc := len(syms)
	verNames := vdsoVersionNames(mode)
	for i, v := range verNames {
		// size 0 marks the version name symbols (STT_OBJECT, SHN_ABS).
		syms = append(syms, vdsoSym{name: v, ver: uint16(vdsoVer26 + i)})
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
	// String table: "", soname, symbol names (the version names among
	// them).
	strtab := []byte{0}
	strs := map[string]uint64{}
	addStr := func(s string) uint64 {
		if o, ok := strs[s]; ok {
			return o
		}
		o := uint64(len(strtab))
		strtab = append(strtab, s...)
		strtab = append(strtab, 0)
		strs[s] = o
		return o
	}
	soname := addStr(vdsoSoname(mode))
	nameOff := make([]uint64, len(syms))
	for i, s := range syms {
		nameOff[i] = addStr(s.name)
	}
	nsym := len(syms) + 1
	nver := 1 + len(verNames)
	nphdr := 2
	dynOff := ehsize + nphdr*phent
	ndyn := 10
	hashOff := dynOff + ndyn*2*w
	hashSize := 4 * (2 + 1 + nsym)
	symOff := (hashOff + hashSize + 7) &^ 7
	strOff := symOff + nsym*symsz
	versymOff := (strOff + len(strtab) + 1) &^ 1
	verdefOff := (versymOff + 2*nsym + 3) &^ 3
	if verdefOff+nver*(verdefSize+verdauxSize) > vdsoCodeOff {
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
		{elf.DT_VERDEF, uint64(verdefOff)},
		{elf.DT_VERDEFNUM, uint64(nver)},
		{elf.DT_VERSYM, uint64(versymOff)},
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

	// Symbols (index 0 is the null symbol) and their versions (the null
	// symbol's is 0, local).
	for i, s := range syms {
		b := symOff + (i+1)*symsz
		info := byte(elf.ST_INFO(elf.STB_GLOBAL, elf.STT_FUNC))
		shndx := uint64(1) // any defined section index: not SHN_UNDEF/ABS
		if i >= nfunc {
			info = byte(elf.ST_INFO(elf.STB_GLOBAL, elf.STT_OBJECT))
			shndx = uint64(elf.SHN_ABS)
		}
		if mode == 64 {
			put(b, 4, nameOff[i])
			img[b+4] = info
			put(b+6, 2, shndx)
			put(b+8, 8, s.off)
			put(b+16, 8, s.size)
		} else {
			put(b, 4, nameOff[i])
			put(b+4, 4, s.off)
			put(b+8, 4, s.size)
			img[b+12] = info
			put(b+14, 2, shndx)
		}
		put(versymOff+2*(i+1), 2, uint64(s.ver))
	}
	copy(img[strOff:], strtab)

	// Version definitions: the base (the soname), then each named version,
	// each followed by its one Elf_Verdaux naming it.
	for i := 0; i < nver; i++ {
		b := verdefOff + i*(verdefSize+verdauxSize)
		name, flags := vdsoSoname(mode), uint64(elf.VER_FLG_BASE)
		if i > 0 {
			name, flags = verNames[i-1], 0
		}
		put(b, 2, 1) // vd_version: VER_DEF_CURRENT
		put(b+2, 2, flags)
		put(b+4, 2, uint64(vdsoVerBase+i)) // vd_ndx
		put(b+6, 2, 1)                     // vd_cnt
		put(b+8, 4, uint64(elfHash(name)))
		put(b+12, 4, verdefSize) // vd_aux
		next := uint64(verdefSize + verdauxSize)
		if i == nver-1 {
			next = 0
		}
		put(b+16, 4, next)
		put(b+verdefSize, 4, strs[name]) // vda_name (added above)
		put(b+verdefSize+4, 4, 0)        // vda_next
	}
	copy(img[vdsoCodeOff:], code)
	return img
}
