package linux

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gemu/internal/mem"
)

// testSeg is a segment of a crafted ELF file.
type testSeg struct {
	typ    elf.ProgType
	flags  elf.ProgFlag
	vaddr  uint64
	data   []byte // file contents
	memsz  uint64 // 0: len(data)
	offset uint64 // file offset (0: placed after the headers, congruent to vaddr)
}

// craftELF builds an executable with the given class (32 or 64), machine,
// type and segments. The headers are at offset 0 and the first PT_LOAD
// covers them when its vaddr is page aligned and offset 0 is requested.
func craftELF(t testing.TB, bits int, machine elf.Machine, typ elf.Type, entry uint64, segs []testSeg) []byte {
	t.Helper()
	le := binary.LittleEndian
	ehsize, phent := 52, 32
	if bits == 64 {
		ehsize, phent = 64, 56
	}
	headers := ehsize + phent*len(segs)
	var body bytes.Buffer
	body.Write(make([]byte, headers))
	offs := make([]uint64, len(segs))
	for i, s := range segs {
		if s.offset != 0 || (s.typ == elf.PT_LOAD && s.vaddr%pageSize == 0 && i == 0 && len(s.data) >= headers) {
			offs[i] = s.offset
			if int(s.offset)+len(s.data) > body.Len() {
				body.Write(make([]byte, int(s.offset)+len(s.data)-body.Len()))
			}
			copy(body.Bytes()[s.offset:], s.data)
			continue
		}
		// Place congruent to vaddr modulo the page size.
		off := uint64(body.Len())
		want := s.vaddr % pageSize
		if off%pageSize != want {
			off += (want - off%pageSize + pageSize) % pageSize
		}
		body.Write(make([]byte, int(off)-body.Len()))
		offs[i] = off
		body.Write(s.data)
	}
	b := body.Bytes()
	copy(b, elf.ELFMAG)
	if bits == 64 {
		b[elf.EI_CLASS] = byte(elf.ELFCLASS64)
	} else {
		b[elf.EI_CLASS] = byte(elf.ELFCLASS32)
	}
	b[elf.EI_DATA] = byte(elf.ELFDATA2LSB)
	b[elf.EI_VERSION] = 1
	le.PutUint16(b[16:], uint16(typ))
	le.PutUint16(b[18:], uint16(machine))
	le.PutUint32(b[20:], 1)
	if bits == 64 {
		le.PutUint64(b[24:], entry)
		le.PutUint64(b[32:], uint64(ehsize))
		le.PutUint16(b[52:], uint16(ehsize))
		le.PutUint16(b[54:], uint16(phent))
		le.PutUint16(b[56:], uint16(len(segs)))
	} else {
		le.PutUint32(b[24:], uint32(entry))
		le.PutUint32(b[28:], uint32(ehsize))
		le.PutUint16(b[40:], uint16(ehsize))
		le.PutUint16(b[42:], uint16(phent))
		le.PutUint16(b[44:], uint16(len(segs)))
	}
	for i, s := range segs {
		ph := b[ehsize+i*phent:]
		memsz := s.memsz
		if memsz == 0 {
			memsz = uint64(len(s.data))
		}
		if bits == 64 {
			le.PutUint32(ph, uint32(s.typ))
			le.PutUint32(ph[4:], uint32(s.flags))
			le.PutUint64(ph[8:], offs[i])
			le.PutUint64(ph[16:], s.vaddr)
			le.PutUint64(ph[24:], s.vaddr)
			le.PutUint64(ph[32:], uint64(len(s.data)))
			le.PutUint64(ph[40:], memsz)
			le.PutUint64(ph[48:], pageSize)
		} else {
			le.PutUint32(ph, uint32(s.typ))
			le.PutUint32(ph[4:], uint32(offs[i]))
			le.PutUint32(ph[8:], uint32(s.vaddr))
			le.PutUint32(ph[12:], uint32(s.vaddr))
			le.PutUint32(ph[16:], uint32(len(s.data)))
			le.PutUint32(ph[20:], uint32(memsz))
			le.PutUint32(ph[24:], uint32(s.flags))
			le.PutUint32(ph[28:], pageSize)
		}
	}
	return b
}

// simpleELF is a two-segment executable: text (r-x) holding the headers
// and code, data (rw-) with a bss.
func simpleELF(t testing.TB, bits int, typ elf.Type) []byte {
	machine := elf.EM_X86_64
	base := uint64(0x400000)
	if bits == 32 {
		machine, base = elf.EM_386, 0x8048000
	}
	if typ == elf.ET_DYN {
		base = 0
	}
	text := make([]byte, 0x300)
	copy(text[0x200:], []byte{0xf4}) // hlt at the entry
	data := []byte("DATA-SEGMENT-CONTENTS")
	return craftELF(t, bits, machine, typ, base+0x200, []testSeg{
		{typ: elf.PT_LOAD, flags: elf.PF_R | elf.PF_X, vaddr: base, data: text},
		{typ: elf.PT_LOAD, flags: elf.PF_R | elf.PF_W, vaddr: base + 0x2010, data: data, memsz: 0x3000},
	})
}

func TestLoadELFSegments(t *testing.T) {
	for _, bits := range []int{32, 64} {
		data := simpleELF(t, bits, elf.ET_EXEC)
		// Bytes after the data segment in the file must not show in its bss.
		data = append(data, bytes.Repeat([]byte{0xaa}, 0x200)...)
		m, img, err := LoadELF("prog", data, 0)
		if err != nil {
			t.Fatalf("%d: %v", bits, err)
		}
		base := uint64(0x400000)
		limit := Limit64
		if bits == 32 {
			base, limit = 0x8048000, Limit32
		}
		if m.Limit != limit || img.Mode != bits {
			t.Errorf("%d: limit %#x mode %d", bits, m.Limit, img.Mode)
		}
		if img.Entry != base+0x200 || img.Bias != 0 {
			t.Errorf("%d: entry %#x bias %#x", bits, img.Entry, img.Bias)
		}
		if perm, ok := m.PermAt(base); !ok || perm != mem.Read|mem.Exec {
			t.Errorf("%d: text perm %v %v", bits, perm, ok)
		}
		if perm, ok := m.PermAt(base + 0x2010); !ok || perm != mem.Read|mem.Write {
			t.Errorf("%d: data perm %v %v", bits, perm, ok)
		}
		got := make([]byte, 21)
		m.Peek(base+0x2010, got)
		if string(got) != "DATA-SEGMENT-CONTENTS" {
			t.Errorf("%d: data %q", bits, got)
		}
		// The bss, including the tail of the data's file page, is zero
		// even though the file has bytes there.
		tail := make([]byte, 0x100)
		m.Peek(base+0x2010+21, tail)
		if !bytes.Equal(tail, make([]byte, 0x100)) {
			t.Errorf("%d: bss not zero: % x", bits, tail[:16])
		}
		// Header page holds the ELF header, and AT_PHDR points into it.
		hdr := make([]byte, 4)
		m.Peek(base, hdr)
		if string(hdr) != elf.ELFMAG {
			t.Errorf("%d: header %q", bits, hdr)
		}
		ehsize := uint64(52)
		if bits == 64 {
			ehsize = 64
		}
		if img.Phdr != base+ehsize || img.Phnum != 2 {
			t.Errorf("%d: phdr %#x phnum %d", bits, img.Phdr, img.Phnum)
		}
		wantBrk := base + 0x2010 + 0x3000
		wantBrk = (wantBrk + pageSize - 1) &^ (pageSize - 1)
		if img.BrkStart != wantBrk {
			t.Errorf("%d: brk %#x want %#x", bits, img.BrkStart, wantBrk)
		}
	}
}

func TestLoadStaticPIE(t *testing.T) {
	for _, c := range []struct {
		bits int
		base uint64
	}{{32, PIEBase32}, {64, PIEBase64}} {
		m, img, err := LoadELF("pie", simpleELF(t, c.bits, elf.ET_DYN), 0)
		if err != nil {
			t.Fatal(err)
		}
		if img.Bias != c.base || img.Entry != c.base+0x200 {
			t.Errorf("%d: bias %#x entry %#x", c.bits, img.Bias, img.Entry)
		}
		if _, ok := m.PermAt(c.base); !ok {
			t.Errorf("%d: nothing mapped at the PIE base", c.bits)
		}
	}
}

func TestLoadErrors(t *testing.T) {
	good := simpleELF(t, 64, elf.ET_EXEC)
	arm := simpleELF(t, 32, elf.ET_EXEC)
	binary.LittleEndian.PutUint16(arm[18:], uint16(elf.EM_ARM))
	mismatch := simpleELF(t, 32, elf.ET_EXEC)
	binary.LittleEndian.PutUint16(mismatch[18:], uint16(elf.EM_X86_64))
	rel := simpleELF(t, 64, elf.ET_EXEC)
	binary.LittleEndian.PutUint16(rel[16:], uint16(elf.ET_REL))
	bigBss := craftELF(t, 64, elf.EM_X86_64, elf.ET_EXEC, 0x400000, []testSeg{
		{typ: elf.PT_LOAD, flags: elf.PF_R, vaddr: 0x400000, data: make([]byte, 0x100), memsz: 1 << 40},
	})
	outside := craftELF(t, 32, elf.EM_386, elf.ET_EXEC, 0x8048000, []testSeg{
		{typ: elf.PT_LOAD, flags: elf.PF_R, vaddr: 0xfffff000, data: make([]byte, 0x100), memsz: 0x2000},
	})
	fileGtMem := craftELF(t, 64, elf.EM_X86_64, elf.ET_EXEC, 0x400000, []testSeg{
		{typ: elf.PT_LOAD, flags: elf.PF_R, vaddr: 0x400000, data: make([]byte, 0x100), memsz: 0x10},
	})
	noLoad := craftELF(t, 64, elf.EM_X86_64, elf.ET_EXEC, 0x400000, []testSeg{
		{typ: elf.PT_NOTE, flags: elf.PF_R, vaddr: 0x400000, data: make([]byte, 0x10)},
	})
	truncSeg := append([]byte{}, good[:len(good)-5]...)
	for _, c := range []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "not an ELF file"},
		{"text", []byte("#!/bin/sh\necho hi\n"), "not an ELF file"},
		{"magic only", []byte("\x7fELF"), "truncated ELF file"},
		{"short header", good[:40], "truncated ELF file"},
		{"no phdrs", good[:64], "truncated ELF file"},
		{"cut phdr", good[:64+56+10], "truncated ELF file"},
		{"cut segment", truncSeg, "truncated ELF file"},
		{"arm", arm, "unsupported machine ARM (gemu runs i386 and x86-64)"},
		{"class mismatch", mismatch, "unsupported ELF file"},
		{"relocatable", rel, "not an executable (ET_REL)"},
		{"huge bss", bigBss, "executable too large"},
		{"outside", outside, "outside the address space"},
		{"filesz > memsz", fileGtMem, "corrupt ELF file"},
		{"no PT_LOAD", noLoad, "no loadable segments"},
	} {
		_, _, err := LoadELF("/path/prog", c.data, 0)
		var le *LoadError
		if !errors.As(err, &le) {
			t.Errorf("%s: error %v, want a LoadError", c.name, err)
			continue
		}
		if le.Path != "/path/prog" || !strings.Contains(le.Msg, c.want) {
			t.Errorf("%s: %q, want %q", c.name, err.Error(), c.want)
		}
	}
}

func TestReadExecutableErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := ReadExecutable(filepath.Join(dir, "missing")); err == nil || err.Error() != filepath.Join(dir, "missing")+": No such file or directory" {
		t.Errorf("missing: %v", err)
	}
	if _, err := ReadExecutable(dir); err == nil || !strings.HasSuffix(err.Error(), ": Is a directory") {
		t.Errorf("directory: %v", err)
	}
	noexec := filepath.Join(dir, "noexec")
	os.WriteFile(noexec, simpleELF(t, 64, elf.ET_EXEC), 0o644)
	if os.Geteuid() != 0 {
		if _, err := ReadExecutable(noexec); err == nil || !strings.HasSuffix(err.Error(), ": Permission denied") {
			t.Errorf("not executable: %v", err)
		}
	}
	os.Chmod(noexec, 0o755)
	if data, err := ReadExecutable(noexec); err != nil || len(data) == 0 {
		t.Errorf("executable: %v", err)
	}
}

// FuzzLoad feeds arbitrary bytes to the loader, which must return an
// error or a loaded image and never panic.
func FuzzLoad(f *testing.F) {
	f.Add(simpleELF(f, 64, elf.ET_EXEC))
	f.Add(simpleELF(f, 32, elf.ET_EXEC))
	f.Add(simpleELF(f, 64, elf.ET_DYN))
	f.Add(simpleELF(f, 32, elf.ET_DYN))
	for _, path := range []string{"/bin/busybox", "/proc/self/exe"} {
		if b, err := os.ReadFile(path); err == nil && len(b) > 4096 {
			f.Add(b[:4096])
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, img, err := LoadELF("fuzz", data, 64<<20)
		if err == nil && (m == nil || img == nil) {
			t.Fatal("nil result without error")
		}
		if err != nil && !strings.HasPrefix(err.Error(), "fuzz: ") {
			t.Fatalf("error does not name the file: %v", err)
		}
	})
}

func TestInterpreterNamed(t *testing.T) {
	data := craftELF(t, 32, elf.EM_386, elf.ET_EXEC, 0x8048000, []testSeg{
		{typ: elf.PT_INTERP, flags: elf.PF_R, vaddr: 0x8048100, data: []byte("/lib/ld-linux.so.2\x00")},
		{typ: elf.PT_LOAD, flags: elf.PF_R | elf.PF_X, vaddr: 0x8048000, data: make([]byte, 0x200)},
	})
	_, img, err := LoadELF("/path/prog", data, 0)
	if err != nil {
		t.Fatal(err)
	}
	if img.Interp != "/lib/ld-linux.so.2" {
		t.Fatalf("Interp = %q", img.Interp)
	}
}

func TestLoadInterpErrors(t *testing.T) {
	m := mem.New(Limit32)
	if _, _, err := LoadInterp(m, 32, "/nonexistent/ld.so", 0x10000000, 0xf0000000); err == nil ||
		!strings.Contains(err.Error(), "interpreter /nonexistent/ld.so: No such file or directory") {
		t.Fatalf("missing interpreter: %v", err)
	}
	exe := filepath.Join(t.TempDir(), "exe")
	os.WriteFile(exe, simpleELF(t, 32, elf.ET_EXEC), 0o755)
	if _, _, err := LoadInterp(m, 32, exe, 0x10000000, 0xf0000000); err == nil || !strings.Contains(err.Error(), "not a shared object") {
		t.Fatalf("executable as interpreter: %v", err)
	}
	if _, _, err := LoadInterp(m, 64, exe, 0x10000000, 0xf0000000); err == nil || !strings.Contains(err.Error(), "32-bit for a 64-bit program") {
		t.Fatalf("wrong-width interpreter: %v", err)
	}
}

// TestInterpreterRejected: a PT_INTERP that Linux's loader refuses (fewer
// than 2 bytes, no final NUL, or an empty name) is a load error naming the
// file, never an empty interpreter taken for a static program.
func TestInterpreterRejected(t *testing.T) {
	for _, c := range []struct {
		name, interp, want string
	}{
		{"no bytes", "", msgBadInterp},
		{"one NUL", "\x00", msgBadInterp},
		{"no NUL", "/lib/ld-linux.so.2", msgBadInterp},
		{"empty name", "\x00\x00", msgEmptyInterp},
		{"long", strings.Repeat("a", 4096) + "\x00", msgBadInterp},
	} {
		data := craftELF(t, 64, elf.EM_X86_64, elf.ET_EXEC, 0x400000, []testSeg{
			{typ: elf.PT_INTERP, flags: elf.PF_R, vaddr: 0x400100, data: []byte(c.interp)},
			{typ: elf.PT_LOAD, flags: elf.PF_R | elf.PF_X, vaddr: 0x400000, data: make([]byte, 0x200)},
		})
		_, _, err := LoadELF("/path/prog", data, 0)
		var le *LoadError
		if !errors.As(err, &le) || le.Path != "/path/prog" || le.Msg != c.want {
			t.Errorf("%s: error %v, want a LoadError %q", c.name, err, c.want)
		}
	}
}
