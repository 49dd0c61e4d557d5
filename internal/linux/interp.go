package linux

import (
	"debug/elf"
	"fmt"

	"gemu/internal/mem"
)

// Dynamically linked executables name a program interpreter (PT_INTERP),
// the dynamic linker, which Linux maps next to the program and starts
// instead of it; the linker finds the program through the auxiliary vector
// (AT_PHDR, AT_ENTRY) and itself through AT_BASE. gemu does the same with
// the host's file of that name, as qemu-user does without -L.

// LoadInterp maps the interpreter at path into m, in the highest free
// range of [bottom, top), and returns its load base and entry point. mode
// is the program's (32 or 64): the interpreter must match it. Errors are
// phrased for "gemu: PROGRAM: ...".
func LoadInterp(m *mem.Space, mode int, path string, bottom, top uint64) (base, entry uint64, err error) {
	data, err := ReadExecutable(path)
	if err != nil {
		return 0, 0, fmt.Errorf("interpreter %v", err)
	}
	info, msg := parseELF(data)
	switch {
	case msg != "":
		return 0, 0, fmt.Errorf("bad interpreter %s: %s", path, msg)
	case info.mode != mode:
		return 0, 0, fmt.Errorf("bad interpreter %s: %d-bit for a %d-bit program", path, info.mode, mode)
	case info.typ != elf.ET_DYN || info.interp != "":
		return 0, 0, fmt.Errorf("bad interpreter %s: not a shared object", path)
	}
	lo, hi := ^uint64(0), uint64(0)
	for _, p := range info.progs {
		if p.Type == elf.PT_LOAD && p.Memsz > 0 {
			lo = min(lo, p.Vaddr&^(pageSize-1))
			hi = max(hi, p.Vaddr+p.Memsz)
		}
	}
	if hi < lo || hi-lo > DefaultMaxImage {
		return 0, 0, fmt.Errorf("bad interpreter %s: corrupt segments", path)
	}
	size := (hi - lo + pageSize - 1) &^ (pageSize - 1)
	base, ok := m.FindFreeDown(bottom, top, size)
	if !ok {
		return 0, 0, fmt.Errorf("no room for the interpreter %s", path)
	}
	bias := base - lo
	for _, p := range info.progs {
		if p.Type == elf.PT_LOAD {
			if err := loadSegment(m, data, p, bias); err != nil {
				return 0, 0, fmt.Errorf("bad interpreter %s: %v", path, err)
			}
		}
	}
	return base, info.entry + bias, nil
}
