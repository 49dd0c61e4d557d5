package linux

import (
	"debug/elf"
	"os"
	"sort"
	"strconv"
	"syscall"
)

// Mapping names for /proc/self/maps. The address space (mem.Space) knows
// pages and permissions only; what a range was mapped from (a file, at
// which offset, shared or private) is recorded here by the ELF loader and
// the mmap family, so that maps and smaps can show it as the kernel does.

// FileRange is a range of guest pages mapped from a file (or a shared
// anonymous mapping, which the kernel shows as "/dev/zero (deleted)").
// The fields are exported for the fork image (gob).
type FileRange struct {
	Start, End uint64 // page aligned, End exclusive
	Off        uint64 // file offset of Start
	Major      uint32 // device of the file, as the kernel prints it
	Minor      uint32
	Ino        uint64
	Name       string
	Shared     bool // MAP_SHARED: 's' in maps
}

// FileRanges is the sorted, non-overlapping list of file-backed ranges;
// pages in none of them are private anonymous memory.
type FileRanges []FileRange

// clear forgets [start, end), cutting ranges that overlap it.
func (v *FileRanges) clear(start, end uint64) {
	var out FileRanges
	for _, r := range *v {
		if r.End <= start || r.Start >= end {
			out = append(out, r)
			continue
		}
		if r.Start < start {
			head := r
			head.End = start
			out = append(out, head)
		}
		if r.End > end {
			tail := r
			tail.Off += end - r.Start
			tail.Start = end
			out = append(out, tail)
		}
	}
	*v = out
}

// set records r, replacing whatever backed its pages before.
func (v *FileRanges) set(r FileRange) {
	v.clear(r.Start, r.End)
	*v = append(*v, r)
	sort.Slice(*v, func(i, j int) bool { return (*v)[i].Start < (*v)[j].Start })
}

// at returns the range holding addr, or nil.
func (v FileRanges) at(addr uint64) *FileRange {
	i := sort.Search(len(v), func(i int) bool { return v[i].End > addr })
	if i < len(v) && v[i].Start <= addr {
		return &v[i]
	}
	return nil
}

// move carries the ranges in [old, old+oldSize) to newAddr (mremap):
// the first n bytes move, and a range reaching the end of the old mapping
// grows with it to newSize, as the kernel extends the VMA.
func (v *FileRanges) move(old, oldSize, newAddr, newSize uint64) {
	var moved FileRanges
	n := min(oldSize, newSize)
	for _, r := range *v {
		if r.End <= old || r.Start >= old+n {
			continue
		}
		s, e := max(r.Start, old), min(r.End, old+n)
		m := r
		m.Off += s - r.Start
		m.Start, m.End = s-old+newAddr, e-old+newAddr
		if r.End >= old+oldSize && newSize > oldSize {
			m.End = newAddr + newSize
		}
		moved = append(moved, m)
	}
	v.clear(old, old+oldSize)
	v.clear(newAddr, newAddr+newSize)
	for _, m := range moved {
		v.set(m)
	}
}

// devNumbers splits a stat st_dev into the major and minor numbers the
// kernel prints in maps.
func devNumbers(dev uint64) (major, minor uint32) {
	return uint32((dev>>8)&0xfff | (dev>>32)&^0xfff), uint32(dev&0xff | (dev>>12)&^0xff)
}

// fdFileRange describes host descriptor fd for a mapping of
// [start, end) at file offset off: the kernel's name of the file (what
// /proc/self/fd shows, with " (deleted)" for an unlinked file) and its
// device and inode.
func fdFileRange(fd int, start, end, off uint64, shared bool) (FileRange, bool) {
	var st syscall.Stat_t
	if syscall.Fstat(fd, &st) != nil {
		return FileRange{}, false
	}
	name, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(fd))
	if err != nil {
		return FileRange{}, false
	}
	maj, mnr := devNumbers(st.Dev)
	return FileRange{Start: start, End: end, Off: off, Major: maj, Minor: mnr, Ino: st.Ino, Name: name, Shared: shared}, true
}

// noteMmap records what a successful mmap of [addr, addr+size) maps:
// a file (fd, off), a shared anonymous region, or private anonymous
// memory (nothing to record).
func (p *Process) noteMmap(addr, size uint64, anon, shared bool, fd int64, off uint64) {
	switch {
	case !anon:
		if r, ok := fdFileRange(int(fd), addr, addr+size, off, shared); ok {
			p.proc.Files.set(r)
			return
		}
	case shared:
		// The kernel backs it with an unlinked shmem file named /dev/zero.
		p.proc.Files.set(FileRange{Start: addr, End: addr + size, Minor: 1, Ino: addr >> 12, Name: "/dev/zero (deleted)", Shared: true})
		return
	}
	p.proc.Files.clear(addr, addr+size)
}

// noteELF records the file-backed part of each PT_LOAD segment of the
// ELF file at path (contents data) loaded with load bias bias: from the
// segment's first page to the end of the page holding its last file
// byte, at the page-aligned file offset, as the kernel maps it. The rest
// of a segment's bss is anonymous.
func (p *Process) noteELF(path string, data []byte, bias uint64) {
	info, msg := parseELF(data)
	if msg != "" {
		return
	}
	f, err := os.Open(path)
	if err != nil {
		return
	}
	defer f.Close()
	for _, ph := range info.progs {
		if ph.Type != elf.PT_LOAD || ph.Filesz == 0 {
			continue
		}
		va := ph.Vaddr + bias
		start, end := pageDown(va), pageUp(va+ph.Filesz)
		if r, ok := fdFileRange(int(f.Fd()), start, end, pageDown(ph.Off), false); ok {
			p.proc.Files.set(r)
		}
	}
}

// noteInterp records the interpreter's segments; base is where
// LoadInterp put its lowest page.
func (p *Process) noteInterp(path string, base uint64) {
	data, err := ReadExecutable(path)
	if err != nil {
		return
	}
	info, msg := parseELF(data)
	if msg != "" {
		return
	}
	lo := ^uint64(0)
	for _, ph := range info.progs {
		if ph.Type == elf.PT_LOAD && ph.Memsz > 0 {
			lo = min(lo, pageDown(ph.Vaddr))
		}
	}
	p.noteELF(path, data, base-lo)
}

// noteExe records the executable's segments and the bounds of its code
// and data as the kernel computes them for /proc/PID/stat: code from the
// lowest executable segment's start to the highest end of an executable
// segment's file bytes, data from the highest segment's start to the
// highest end of any segment's file bytes.
func (p *Process) noteExe(data []byte) {
	p.noteELF(p.ExePath, data, p.Image.Bias)
	info, msg := parseELF(data)
	if msg != "" {
		return
	}
	startCode, endCode, startData, endData := ^uint64(0), uint64(0), uint64(0), uint64(0)
	for _, ph := range info.progs {
		if ph.Type != elf.PT_LOAD {
			continue
		}
		k := ph.Vaddr
		if ph.Flags&elf.PF_X != 0 && k < startCode {
			startCode = k
		}
		startData = max(startData, k)
		k += ph.Filesz
		if ph.Flags&elf.PF_X != 0 {
			endCode = max(endCode, k)
		}
		endData = max(endData, k)
	}
	b := p.Image.Bias
	p.proc.StartCode, p.proc.EndCode, p.proc.StartData, p.proc.EndData = startCode+b, endCode+b, startData+b, endData+b
}
