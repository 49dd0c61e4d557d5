package linux

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"

	"gemu/internal/linux/abi"
	"gemu/internal/mem"
)

// Guest address-space limits and load addresses, fixed rather than
// randomized so that runs are reproducible.
const (
	Limit32 = uint64(1) << 32
	Limit64 = uint64(1) << 47

	// PIE (static-pie) executables are loaded here, where Linux puts them
	// when address randomization is off.
	PIEBase32 = 0x56555000
	PIEBase64 = 0x555555554000

	pageSize = mem.PageSize
)

// DefaultMaxImage bounds the total size of an executable's segments. The
// guest address space allocates its pages eagerly, so an absurd p_memsz
// must be refused rather than exhaust the host.
const DefaultMaxImage = 2 << 30

// Image describes a loaded executable, with the facts the initial stack's
// auxiliary vector reports.
type Image struct {
	Mode     int    // 32 (i386) or 64 (x86-64)
	Entry    uint64 // entry point, relocated
	Bias     uint64 // load bias (nonzero for PIE)
	Phdr     uint64 // address of the program headers in guest memory (0 if not mapped)
	Phent    uint64 // size of one program header
	Phnum    uint64 // number of program headers
	Lo, Hi   uint64 // lowest and highest (exclusive) mapped address
	BrkStart uint64 // first address of the heap (page aligned)

	// Interp is the program interpreter (PT_INTERP, the dynamic linker)
	// of a dynamically linked executable, "" for a static one. The
	// process maps it with LoadInterp and starts there.
	Interp string
}

// LoadError is an executable that gemu cannot run. Its message is the text
// after "gemu: PATH: ".
type LoadError struct {
	Path string
	Msg  string
}

func (e *LoadError) Error() string { return e.Path + ": " + e.Msg }

// errTruncated is returned (wrapped in LoadError) for files that end
// before a structure they announce.
const msgTruncated = "truncated ELF file"

// msgBadInterp and msgEmptyInterp reject a PT_INTERP that Linux's loader
// rejects: a name of fewer than 2 or more than PATH_MAX bytes or without a
// final NUL (execve fails with ENOEXEC), and an empty name (execve opens
// it as the current directory and fails with EACCES).
const (
	msgBadInterp   = "corrupt ELF file: program interpreter (PT_INTERP) is not a NUL-terminated name of 1 to 4095 bytes"
	msgEmptyInterp = "corrupt ELF file: program interpreter (PT_INTERP) is empty"
)

// ReadExecutable reads the program file at path, with errors phrased the
// way a shell reports a failed exec ("No such file or directory").
func ReadExecutable(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, &LoadError{path, errnoText(err)}
	}
	if fi.IsDir() {
		return nil, &LoadError{path, abi.ErrnoName(abi.EISDIR)}
	}
	if !fi.Mode().IsRegular() {
		return nil, &LoadError{path, abi.ErrnoName(abi.EACCES)}
	}
	if err := syscall.Access(path, 1 /* X_OK */); err != nil {
		return nil, &LoadError{path, errnoText(err)}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &LoadError{path, errnoText(err)}
	}
	return data, nil
}

func errnoText(err error) string {
	var en syscall.Errno
	if errors.As(err, &en) {
		return abi.ErrnoName(int(en))
	}
	return err.Error()
}

// elfInfo is the validated content of an ELF header and its program
// headers.
type elfInfo struct {
	mode   int
	typ    elf.Type
	entry  uint64
	phoff  uint64
	phent  uint64
	progs  []elf.ProgHeader
	interp string
}

// parseELF validates data as an i386 or x86-64 executable. Every offset
// and size is checked against the file, so a corrupt file yields an error
// and never a panic.
func parseELF(data []byte) (*elfInfo, string) {
	if len(data) < 4 || !bytes.Equal(data[:4], []byte(elf.ELFMAG)) {
		return nil, "not an ELF file"
	}
	if len(data) < elf.EI_NIDENT {
		return nil, msgTruncated
	}
	class := elf.Class(data[elf.EI_CLASS])
	if class != elf.ELFCLASS32 && class != elf.ELFCLASS64 {
		return nil, fmt.Sprintf("corrupt ELF file: bad class %d", data[elf.EI_CLASS])
	}
	if elf.Data(data[elf.EI_DATA]) != elf.ELFDATA2LSB {
		return nil, "unsupported byte order (gemu runs little-endian i386 and x86-64)"
	}
	if len(data) < 20 {
		return nil, msgTruncated
	}
	le := binary.LittleEndian
	machine := elf.Machine(le.Uint16(data[18:]))
	if machine != elf.EM_386 && machine != elf.EM_X86_64 {
		return nil, fmt.Sprintf("unsupported machine %s (gemu runs i386 and x86-64)", machineName(machine))
	}
	info := &elfInfo{mode: 32}
	var phnum uint64
	if class == elf.ELFCLASS64 {
		var h elf.Header64
		if len(data) < binary.Size(h) {
			return nil, msgTruncated
		}
		binary.Read(bytes.NewReader(data), le, &h)
		info.typ, info.entry, info.phoff, info.phent, phnum = elf.Type(h.Type), h.Entry, h.Phoff, uint64(h.Phentsize), uint64(h.Phnum)
		info.mode = 64
	} else {
		var h elf.Header32
		if len(data) < binary.Size(h) {
			return nil, msgTruncated
		}
		binary.Read(bytes.NewReader(data), le, &h)
		info.typ, info.entry, info.phoff, info.phent, phnum = elf.Type(h.Type), uint64(h.Entry), uint64(h.Phoff), uint64(h.Phentsize), uint64(h.Phnum)
	}
	if (machine == elf.EM_386) != (class == elf.ELFCLASS32) {
		return nil, fmt.Sprintf("unsupported ELF file: %s with %s (gemu runs 32-bit i386 and 64-bit x86-64)", machineName(machine), class)
	}
	if info.typ != elf.ET_EXEC && info.typ != elf.ET_DYN {
		return nil, fmt.Sprintf("not an executable (%s)", info.typ)
	}
	wantEnt := uint64(32)
	if info.mode == 64 {
		wantEnt = 56
	}
	if info.phent != wantEnt {
		return nil, fmt.Sprintf("corrupt ELF file: program header size %d", info.phent)
	}
	if phnum == 0 || phnum*info.phent > 65536 {
		return nil, fmt.Sprintf("corrupt ELF file: %d program headers", phnum)
	}
	if info.phoff > uint64(len(data)) || phnum*info.phent > uint64(len(data))-info.phoff {
		return nil, msgTruncated
	}
	r := bytes.NewReader(data[info.phoff:])
	for i := uint64(0); i < phnum; i++ {
		var p elf.ProgHeader
		if info.mode == 64 {
			var q elf.Prog64
			binary.Read(r, le, &q)
			p = elf.ProgHeader{Type: elf.ProgType(q.Type), Flags: elf.ProgFlag(q.Flags), Off: q.Off, Vaddr: q.Vaddr,
				Paddr: q.Paddr, Filesz: q.Filesz, Memsz: q.Memsz, Align: q.Align}
		} else {
			var q elf.Prog32
			binary.Read(r, le, &q)
			p = elf.ProgHeader{Type: elf.ProgType(q.Type), Flags: elf.ProgFlag(q.Flags), Off: uint64(q.Off), Vaddr: uint64(q.Vaddr),
				Paddr: uint64(q.Paddr), Filesz: uint64(q.Filesz), Memsz: uint64(q.Memsz), Align: uint64(q.Align)}
		}
		info.progs = append(info.progs, p)
	}
	nload := 0
	for _, p := range info.progs {
		switch p.Type {
		case elf.PT_INTERP:
			if p.Off > uint64(len(data)) || p.Filesz > uint64(len(data))-p.Off {
				return nil, msgTruncated
			}
			// Linux refuses (ENOEXEC) a name shorter than 2 bytes or
			// longer than PATH_MAX, or one not ending in NUL; a name
			// that is empty up to its first NUL fails to open (ENOENT).
			s := data[p.Off : p.Off+p.Filesz]
			if len(s) < 2 || len(s) > 4096 || s[len(s)-1] != 0 {
				return nil, msgBadInterp
			}
			s = s[:bytes.IndexByte(s, 0)]
			if len(s) == 0 {
				return nil, msgEmptyInterp
			}
			info.interp = string(s)
		case elf.PT_LOAD:
			nload++
			if p.Filesz > p.Memsz {
				return nil, "corrupt ELF file: segment file size exceeds its memory size"
			}
			if p.Off > uint64(len(data)) || p.Filesz > uint64(len(data))-p.Off {
				return nil, msgTruncated
			}
			if p.Vaddr%pageSize != p.Off%pageSize {
				return nil, fmt.Sprintf("corrupt ELF file: segment at %#x misaligned with its file offset %#x", p.Vaddr, p.Off)
			}
		}
	}
	if nload == 0 {
		return nil, "corrupt ELF file: no loadable segments"
	}
	return info, ""
}

func machineName(m elf.Machine) string {
	s := m.String()
	if strings.HasPrefix(s, "EM_") {
		return s[3:]
	}
	return "machine " + s
}

// LoadELF validates the executable image data and maps it into a new
// guest address space of the right size. maxImage bounds the total size of
// its segments (0 means DefaultMaxImage). path only names the file in
// errors, which are *LoadError.
func LoadELF(path string, data []byte, maxImage uint64) (*mem.Space, *Image, error) {
	info, msg := parseELF(data)
	if msg != "" {
		return nil, nil, &LoadError{path, msg}
	}
	if maxImage == 0 {
		maxImage = DefaultMaxImage
	}
	limit, pieBase := Limit32, uint64(PIEBase32)
	if info.mode == 64 {
		limit, pieBase = Limit64, PIEBase64
	}
	lo, hi := ^uint64(0), uint64(0)
	var total uint64
	for _, p := range info.progs {
		if p.Type != elf.PT_LOAD || p.Memsz == 0 {
			continue
		}
		if p.Vaddr+p.Memsz < p.Vaddr || p.Vaddr+p.Memsz > limit {
			return nil, nil, &LoadError{path, fmt.Sprintf("corrupt ELF file: segment [%#x, +%#x) outside the address space", p.Vaddr, p.Memsz)}
		}
		lo = min(lo, p.Vaddr&^(pageSize-1))
		hi = max(hi, p.Vaddr+p.Memsz)
		total += p.Memsz
		if total > maxImage {
			return nil, nil, &LoadError{path, fmt.Sprintf("executable too large (segments of %d bytes)", total)}
		}
	}
	if lo == ^uint64(0) {
		return nil, nil, &LoadError{path, "corrupt ELF file: no loadable segments"}
	}
	var bias uint64
	if info.typ == elf.ET_DYN {
		bias = pieBase - lo
		if hi+bias > limit || hi+bias < hi {
			return nil, nil, &LoadError{path, "corrupt ELF file: position-independent image too large"}
		}
	}
	m := mem.New(limit)
	img := &Image{Mode: info.mode, Entry: (info.entry + bias) & (limit - 1), Bias: bias,
		Phent: info.phent, Phnum: uint64(len(info.progs)), Lo: lo + bias, Interp: info.interp}
	if info.mode == 32 {
		img.Entry = (info.entry + bias) & 0xffffffff
	}
	for _, p := range info.progs {
		switch p.Type {
		case elf.PT_PHDR:
			img.Phdr = p.Vaddr + bias
		case elf.PT_LOAD:
			if err := loadSegment(m, data, p, bias); err != nil {
				return nil, nil, &LoadError{path, err.Error()}
			}
			if img.Phdr == 0 && p.Off <= info.phoff && info.phoff+img.Phnum*info.phent <= p.Off+p.Filesz {
				img.Phdr = p.Vaddr + (info.phoff - p.Off) + bias
			}
		}
	}
	img.Hi = (hi + bias + pageSize - 1) &^ (pageSize - 1)
	img.BrkStart = img.Hi
	return m, img, nil
}

// loadSegment maps one PT_LOAD segment as Linux does: whole pages with the
// segment's permissions, the file's bytes from the start of the first page,
// zeros after p_filesz when there is a bss (p_memsz > p_filesz), and the
// file's following bytes to the end of the last file page otherwise.
func loadSegment(m *mem.Space, data []byte, p elf.ProgHeader, bias uint64) error {
	if p.Memsz == 0 {
		return nil
	}
	va := p.Vaddr + bias
	start := va &^ (pageSize - 1)
	end := (va + p.Memsz + pageSize - 1) &^ (pageSize - 1)
	var perm mem.Perm
	if p.Flags&elf.PF_R != 0 {
		perm |= mem.Read
	}
	if p.Flags&elf.PF_W != 0 {
		perm |= mem.Write | mem.Read
	}
	if p.Flags&elf.PF_X != 0 {
		perm |= mem.Exec | mem.Read
	}
	if err := m.Map(start, end-start, perm); err != nil {
		return fmt.Errorf("cannot map segment at %#x: %v", va, err)
	}
	head := va - start
	if p.Off < head {
		// The first page would start before the file: only possible for a
		// crafted file; map the file from its start.
		head = p.Off
	}
	fileEnd := p.Off + p.Filesz
	if p.Memsz == p.Filesz {
		tail := end - (va + p.Filesz)
		fileEnd = min(fileEnd+tail, uint64(len(data)))
	}
	if fileEnd > p.Off-head {
		m.Poke(va-head, data[p.Off-head:fileEnd])
	}
	return nil
}
