package linux

import (
	"sort"
	"sync"
	"syscall"

	"gemu/internal/linux/abi"
	"gemu/internal/mem"
)

// Memory management: brk, mmap and friends. Guest memory is entirely
// gemu's (a mem.Space), so no host mapping is ever made; a file mapping
// copies the file's contents into fresh guest pages.

func init() {
	reg(sysBrk, "brk")
	reg(served(emuMmap, sysMmap), "mmap")
	reg(served(emuMmap2, sysMmap2), "mmap2")
	reg(sysMunmap, "munmap")
	reg(sysMprotect, "mprotect")
	reg(sysMremap, "mremap")
	reg(sysMadvise, "madvise")
	reg(sysMsync, "msync")
	reg(sysMincore, "mincore")
	for _, name := range []string{"mlock", "munlock", "mlockall", "munlockall"} {
		reg(sysNop, name) // nothing is ever paged out
	}
}

func pageUp(v uint64) uint64   { return (v + pageSize - 1) &^ (pageSize - 1) }
func pageDown(v uint64) uint64 { return v &^ (pageSize - 1) }

// stackBottom is the lowest address of the stack mapping.
func (p *Process) stackBottom() uint64 { return p.Layout.StackTop - StackSize }

// free reports whether no page of [addr, addr+size) is mapped.
func (p *Process) free(addr, size uint64) bool {
	a, ok := p.Mem.FindFree(addr, addr+size, size)
	return ok && a == addr
}

// sysBrk moves the program break. A request below the start, one whose
// page rounding wraps past the top of the address space (brk(-1) on
// x86-64) or one that cannot be mapped leaves the break where it is and
// returns it, as Linux does.
func sysBrk(t *Thread, a *[6]uint64) int64 {
	want := t.ulong(a[0])
	if want < t.brkStart || pageUp(want) < want {
		return int64(t.brk)
	}
	oldTop, newTop := pageUp(t.brk), pageUp(want)
	switch {
	case newTop > oldTop:
		if newTop > t.Layout.MmapTop || newTop < oldTop || !t.free(oldTop, newTop-oldTop) {
			return int64(t.brk)
		}
		if t.Mem.Map(oldTop, newTop-oldTop, mem.Read|mem.Write) != nil {
			return int64(t.brk)
		}
	case newTop < oldTop:
		t.Mem.Unmap(newTop, oldTop-newTop)
	}
	t.brk = want
	return int64(want)
}

// protPerm converts PROT_* bits to page permissions. On x86 every
// accessible page is readable.
func protPerm(prot uint64) mem.Perm {
	var perm mem.Perm
	if prot&abi.PROT_WRITE != 0 {
		perm |= mem.Write
	}
	if prot&abi.PROT_EXEC != 0 {
		perm |= mem.Exec
	}
	if prot&(abi.PROT_READ|abi.PROT_WRITE|abi.PROT_EXEC) != 0 {
		perm |= mem.Read
	}
	return perm
}

func sysMmap(t *Thread, a *[6]uint64) int64 {
	if t.w == 4 {
		// i386's old mmap takes a pointer to its six arguments.
		b, e := t.readMem(a[0], 24)
		if e != 0 {
			return e
		}
		off := uint64(le32(b[20:]))
		if off&(pageSize-1) != 0 {
			return -abi.EINVAL
		}
		return t.mmap(uint64(le32(b)), uint64(le32(b[4:])), uint64(le32(b[8:])), uint64(le32(b[12:])), sint(uint64(le32(b[16:]))), off)
	}
	if a[5]&(pageSize-1) != 0 {
		return -abi.EINVAL
	}
	return t.mmap(a[0], a[1], a[2], a[3], sint(a[4]), a[5])
}

func sysMmap2(t *Thread, a *[6]uint64) int64 {
	return t.mmap(a[0], a[1], a[2], a[3], sint(a[4]), (a[5]&0xffffffff)*pageSize)
}

// mmap implements mmap with a byte offset.
func (t *Thread) mmap(addr, length, prot, flags uint64, fd int64, off uint64) int64 {
	fd = t.mmapFD(fd, flags) // the host descriptor (fdtable_sys.go)
	addr, length = t.ulong(addr), t.ulong(length)
	flags &= 0xffffffff
	if length == 0 {
		return -abi.EINVAL
	}
	size := pageUp(length)
	if size < length || size > t.Mem.Limit {
		return -abi.ENOMEM
	}
	switch flags & abi.MAP_TYPE {
	case abi.MAP_SHARED, abi.MAP_PRIVATE, abi.MAP_SHARED_VALIDATE:
	default:
		return -abi.EINVAL
	}
	fixed := flags&(abi.MAP_FIXED|abi.MAP_FIXED_NOREPLACE) != 0
	if fixed {
		if addr&(pageSize-1) != 0 {
			return -abi.EINVAL
		}
		if addr+size < addr || addr+size > t.taskSize() {
			return -abi.ENOMEM
		}
		if flags&abi.MAP_FIXED == 0 && !t.free(addr, size) {
			return -abi.EEXIST
		}
	}
	// Read a file's contents first, so that a failure changes nothing.
	var data []byte
	busFrom := size // offset of the first page past the file's end
	if flags&abi.MAP_ANONYMOUS == 0 {
		var st syscall.Stat_t
		if err := syscall.Fstat(int(fd), &st); err != nil {
			return errno(err)
		}
		if st.Mode&syscall.S_IFMT == syscall.S_IFDIR {
			return -19 // ENODEV
		}
		n := size
		if st.Mode&syscall.S_IFMT == syscall.S_IFREG {
			if uint64(st.Size) <= off {
				n = 0
			} else {
				n = min(n, uint64(st.Size)-off)
			}
			busFrom = pageUp(n)
		}
		if n > 0 {
			data = hbuf(int(n))
			got := 0
			for got < len(data) {
				r := host(syscall.SYS_PREAD64, uintptr(fd), uintptr(ptr(data[got:])), uintptr(len(data)-got), uintptr(off+uint64(got)))
				if r < 0 {
					if r == -abi.EBADF || r == -abi.EINVAL {
						return -abi.EACCES
					}
					return r
				}
				if r == 0 {
					break
				}
				got += int(r)
			}
			data = data[:got]
		}
	}
	shared := flags&abi.MAP_ANONYMOUS == 0 && flags&abi.MAP_TYPE != abi.MAP_PRIVATE
	var token uintptr
	if shared {
		// The host maps the file too (sharedToken): its answer is the
		// kernel's (EACCES, EPERM for seals, ENODEV...).
		r := host(syscall.SYS_MMAP, 0, uintptr(size), uintptr(prot&protRWX), syscall.MAP_SHARED, uintptr(fd), uintptr(off))
		if r < 0 {
			return r
		}
		token = uintptr(r)
	}
	if !fixed {
		addr = t.findArea(addr, size, flags&abi.MAP_32BIT != 0)
		if addr == 0 {
			dropToken(token, size)
			return -abi.ENOMEM
		}
	}
	if err := t.Mem.Map(addr, size, protPerm(prot)); err != nil {
		dropToken(token, size)
		return -abi.ENOMEM
	}
	t.clearBus(addr, size)
	t.dropShared(addr, size)
	if len(t.shm) > 0 {
		t.shmRelease()
	}
	t.noteMmap(addr, size, flags&abi.MAP_ANONYMOUS != 0, flags&abi.MAP_TYPE != abi.MAP_PRIVATE, fd, off)
	if len(data) > 0 {
		t.Mem.Poke(addr, data)
	}
	if shared {
		t.addShared(addr, size, fd, off, data, token)
	}
	if busFrom < size {
		// Pages wholly past the end of the file raise SIGBUS when touched:
		// map them inaccessible and remember why they fault.
		t.Mem.Protect(addr+busFrom, size-busFrom, 0)
		t.bus.add((addr+busFrom)>>12, (addr+size)>>12)
	}
	return int64(addr)
}

// busSet is the pages of file mappings wholly past the end of their file,
// which raise SIGBUS when touched. It has a lock of its own because peer
// gemus read it (peer.go) while the guest maps and unmaps.
type busSet struct {
	mu    sync.Mutex
	pages map[uint64]bool
}

// add records pages [first, end).
func (b *busSet) add(first, end uint64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.pages == nil {
		b.pages = map[uint64]bool{}
	}
	for pg := first; pg < end; pg++ {
		b.pages[pg] = true
	}
}

// list returns the recorded pages.
func (b *busSet) list() []uint64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	l := make([]uint64, 0, len(b.pages))
	for pg := range b.pages {
		l = append(l, pg)
	}
	return l
}

// clearBus forgets SIGBUS pages in a range that is remapped or unmapped,
// visiting the range or the recorded pages, whichever is smaller.
func (p *Process) clearBus(addr, size uint64) {
	b := &p.bus
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.pages) == 0 {
		return
	}
	first, end := addr>>12, (addr+size)>>12
	if end-first > uint64(len(b.pages)) {
		for pg := range b.pages {
			if pg >= first && pg < end {
				delete(b.pages, pg)
			}
		}
		return
	}
	for pg := first; pg < end; pg++ {
		delete(b.pages, pg)
	}
}

// isBusPage reports whether addr lies in a file mapping past the file's end.
func (p *Process) isBusPage(addr uint64) bool {
	p.bus.mu.Lock()
	defer p.bus.mu.Unlock()
	return p.bus.pages[addr>>12]
}

func sysMincore(t *Thread, a *[6]uint64) int64 {
	addr, length := t.ulong(a[0]), t.ulong(a[1])
	if addr&(pageSize-1) != 0 {
		return -abi.EINVAL
	}
	size := pageUp(length)
	if size < length || addr+size < addr || addr+size > t.Mem.Limit {
		return -abi.ENOMEM
	}
	if !t.Mem.Mapped(addr, size) {
		return -abi.ENOMEM
	}
	// Every mapped page counts as resident; the vector is written in
	// pieces, so that a huge range needs no huge buffer.
	vec := make([]byte, min(size/pageSize, 64<<10))
	for i := range vec {
		vec[i] = 1
	}
	for n := size / pageSize; n > 0; {
		k := min(n, uint64(len(vec)))
		if e := t.writeMem(a[2], vec[:k]); e != 0 {
			return e
		}
		a[2] += k
		n -= k
	}
	return 0
}

// taskSize is one past the highest address a guest may map, Linux's
// TASK_SIZE: x86-64 keeps the last page below 1<<47 unmappable (so no
// instruction can run into the non-canonical hole), and a 64-bit kernel
// gives i386 programs everything below 0xffffe000.
func (t *Thread) taskSize() uint64 {
	if t.w == 4 {
		return 0xffffe000
	}
	return Limit64 - pageSize
}

// compatMmapTop is where an i386 program's mappings start, also those a
// 64-bit program makes through int $0x80.
var compatMmapTop = LayoutFor(32).MmapTop

// findArea picks an address for a mapping of size bytes: the hint if it
// is free, else the highest free range below the mmap base, as Linux's
// top-down allocator does. It returns 0 if there is no room.
func (t *Thread) findArea(hint, size uint64, low32 bool) uint64 {
	hint = pageDown(hint)
	top := t.Layout.MmapTop
	if t.w == 4 {
		top = min(top, compatMmapTop) // int $0x80 from 64-bit code maps below 4 GiB
	}
	if hint >= mmapBottom && hint+size > hint && hint+size <= t.taskSize() && t.free(hint, size) {
		return hint
	}
	bottom := uint64(mmapBottom)
	if low32 {
		top = 0x80000000
		bottom = 0x40000000
	}
	a, ok := t.Mem.FindFreeDown(bottom, top, size)
	if !ok {
		// Below the mmap base is full: try above it, short of the stack.
		if a, ok = t.Mem.FindFreeDown(top, min(t.stackBottom(), t.taskSize()), size); !ok {
			return 0
		}
	}
	return a
}

func sysMunmap(t *Thread, a *[6]uint64) int64 {
	addr, length := t.ulong(a[0]), t.ulong(a[1])
	if addr&(pageSize-1) != 0 || length == 0 || addr+length < addr || addr+length > t.Mem.Limit {
		return -abi.EINVAL
	}
	t.Mem.Unmap(addr, pageUp(length))
	t.clearBus(addr, pageUp(length))
	t.dropShared(addr, pageUp(length))
	t.proc.Files.clear(addr, addr+pageUp(length))
	if len(t.shm) > 0 {
		t.shmRelease()
	}
	return 0
}

func sysMprotect(t *Thread, a *[6]uint64) int64 {
	addr, length := t.ulong(a[0]), t.ulong(a[1])
	if addr&(pageSize-1) != 0 || addr+length < addr {
		return -abi.EINVAL
	}
	if length == 0 {
		return 0
	}
	perm := protPerm(a[2])
	if perm&mem.Write != 0 && t.shmReadOnlyIn(addr, pageUp(length)) {
		return -abi.EACCES // a SHM_RDONLY attachment cannot become writable
	}
	if err := t.Mem.Protect(addr, pageUp(length), perm); err != nil {
		// Like Linux, change the pages before the first hole, then fail.
		if f, ok := err.(*mem.Fault); ok && f.Addr > addr {
			t.Mem.Protect(addr, f.Addr-addr, perm)
		}
		return -abi.ENOMEM
	}
	return 0
}

func sysMremap(t *Thread, a *[6]uint64) int64 {
	old, oldSize, newSize, flags, newAddr := t.ulong(a[0]), pageUp(t.ulong(a[1])), pageUp(t.ulong(a[2])), a[3], t.ulong(a[4])
	if old&(pageSize-1) != 0 || newSize == 0 || flags&^(abi.MREMAP_MAYMOVE|abi.MREMAP_FIXED) != 0 {
		return -abi.EINVAL
	}
	if flags&abi.MREMAP_FIXED != 0 && flags&abi.MREMAP_MAYMOVE == 0 {
		return -abi.EINVAL
	}
	if oldSize == 0 || !t.Mem.Mapped(old, oldSize) {
		return -abi.EFAULT
	}
	if t.shmOverlaps(old, oldSize) {
		t.unimpf("gemu: mremap of a System V shared memory attachment is not supported\n")
		return -abi.EINVAL
	}
	if len(t.shm) > 0 {
		defer t.shmRelease() // a moved mapping may land on an attachment
	}
	if flags&abi.MREMAP_FIXED == 0 {
		if newSize <= oldSize {
			t.Mem.Unmap(old+newSize, oldSize-newSize)
			t.proc.Files.clear(old+newSize, old+oldSize)
			return int64(old)
		}
		perm, _ := t.Mem.PermAt(old + oldSize - 1)
		if old+newSize <= t.Mem.Limit && t.free(old+oldSize, newSize-oldSize) {
			if t.Mem.Map(old+oldSize, newSize-oldSize, perm) == nil {
				t.proc.Files.move(old, oldSize, old, newSize)
				return int64(old)
			}
		}
		if flags&abi.MREMAP_MAYMOVE == 0 {
			return -abi.ENOMEM
		}
		newAddr = t.findArea(0, newSize, false)
		if newAddr == 0 {
			return -abi.ENOMEM
		}
	} else {
		if newAddr&(pageSize-1) != 0 || newAddr+newSize > t.Mem.Limit || newAddr+newSize < newAddr {
			return -abi.EINVAL
		}
		if newAddr < old+oldSize && old < newAddr+newSize {
			return -abi.EINVAL
		}
	}
	// Move: the regions and the written pages, whatever the size.
	n := min(oldSize, newSize)
	lastPerm, _ := t.Mem.PermAt(old + n - 1)
	if t.Mem.Move(old, newAddr, n) != nil {
		return -abi.EINVAL
	}
	t.Mem.Unmap(old, oldSize)
	if newSize > n {
		t.Mem.Map(newAddr+n, newSize-n, lastPerm)
	}
	t.proc.Files.move(old, oldSize, newAddr, newSize)
	return int64(newAddr)
}

const madvDontneed = 4

func sysMadvise(t *Thread, a *[6]uint64) int64 {
	addr, length := t.ulong(a[0]), t.ulong(a[1])
	if addr&(pageSize-1) != 0 {
		return -abi.EINVAL
	}
	if sint(a[2]) == madvDontneed && length > 0 {
		size := pageUp(length)
		if size < length || addr+size < addr || !t.Mem.Mapped(addr, size) {
			return -abi.ENOMEM
		}
		t.dontNeed(addr, addr+size)
	}
	return 0
}

// dontNeed drops the private copies of the pages in [start, end), as
// MADV_DONTNEED does: private anonymous pages read as zeros afterwards,
// private file pages as the file holds them now (zeros past its end), and
// shared mappings (files, shared anonymous memory, SysV segments) keep
// their data, which is the object's own.
func (p *Process) dontNeed(start, end uint64) {
	for s := start; s < end; {
		e := end
		f := p.proc.Files.at(s)
		if f != nil {
			e = min(e, f.End)
		} else if i := sort.Search(len(p.proc.Files), func(i int) bool { return p.proc.Files[i].Start > s }); i < len(p.proc.Files) {
			e = min(e, p.proc.Files[i].Start)
		}
		switch {
		case f == nil:
			p.Mem.Discard(s, e-s)
		case !f.Shared:
			p.refill(f, s, e)
		}
		s = e
	}
}

// refill reloads the pages [s, e) of the private file mapping f from its
// file, found again by name and checked to be the same file (device and
// inode); a file that cannot be found again (removed or replaced) leaves
// the pages as they are.
func (p *Process) refill(f *FileRange, s, e uint64) {
	fd, err := syscall.Open(f.Name, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		p.unimpf("gemu: madvise(MADV_DONTNEED) cannot reopen %s: private pages kept\n", f.Name)
		return
	}
	defer syscall.Close(fd)
	var st syscall.Stat_t
	if syscall.Fstat(fd, &st) != nil {
		return
	}
	if maj, mnr := devNumbers(st.Dev); maj != f.Major || mnr != f.Minor || st.Ino != f.Ino {
		p.unimpf("gemu: madvise(MADV_DONTNEED): %s was replaced: private pages kept\n", f.Name)
		return
	}
	p.Mem.Discard(s, e-s)
	// In pieces, so that a huge mapping needs no huge buffer; the pages
	// past the file's end stay zero.
	data := hbuf(int(min(e-s, 1<<20)))
	for a := s; a < e; {
		r := host(syscall.SYS_PREAD64, uintptr(fd), uintptr(ptr(data)), uintptr(min(uint64(len(data)), e-a)), uintptr(f.Off+(a-f.Start)))
		if r <= 0 {
			break
		}
		p.Mem.Poke(a, data[:r])
		a += uint64(r)
	}
}

func sysMsync(t *Thread, a *[6]uint64) int64 {
	addr, length := t.ulong(a[0]), t.ulong(a[1])
	if addr&(pageSize-1) != 0 {
		return -abi.EINVAL
	}
	if length > 0 && !t.Mem.Mapped(addr, pageUp(length)) {
		return -abi.ENOMEM
	}
	return 0
}

// Shared file mappings. Guest memory is gemu's own, so a MAP_SHARED
// mapping of a file is a copy that gemu keeps coherent with the file at
// system call boundaries, which is all a single-threaded guest can
// observe: before each system call, pages the guest changed are written
// to the file; after it, pages the file changed are read back.

// sharedMap is one MAP_SHARED file mapping.
type sharedMap struct {
	addr, size uint64
	fd         int    // gemu's own duplicate of the guest's descriptor
	off        uint64 // file offset of addr
	shadow     []byte // the file contents as last synchronized
	// token is a host mapping of the same file range with the guest's
	// protection (sharedToken), 0 if none.
	token uintptr
}

// protRWX is PROT_READ|PROT_WRITE|PROT_EXEC.
const protRWX = 7

// A shared file mapping's token: gemu maps the guest's range of the file
// shared in its own address space with the guest's protection, never
// touches it, and unmaps it with the guest's mapping. The host kernel then
// knows the file is mapped as the guest mapped it: mmap fails as natively
// (a write-sealed memfd, a descriptor not open for writing, a file that
// cannot be mapped), and F_ADD_SEALS with F_SEAL_WRITE is EBUSY while a
// writable shared mapping exists, as for the guest's own.

// dropToken unmaps a token of size bytes (none for 0).
func dropToken(token uintptr, size uint64) {
	if token != 0 {
		syscall.Syscall(syscall.SYS_MUNMAP, token, uintptr(size), 0)
	}
}

// maxShared bounds the bytes of shared file mappings kept coherent; larger
// ones behave as private mappings.
const maxShared = 64 << 20

func (p *Process) addShared(addr, size uint64, fd int64, off uint64, data []byte, token uintptr) {
	var total uint64
	for _, m := range p.shared {
		total += m.size
	}
	if total+size > maxShared {
		p.unimpf("gemu: MAP_SHARED mapping of fd %d too large to keep coherent: writes stay private\n", fd)
		dropToken(token, size)
		return
	}
	nfd := host(syscall.SYS_FCNTL, uintptr(fd), 1030 /* F_DUPFD_CLOEXEC */, 1000)
	if nfd < 0 {
		dropToken(token, size)
		return
	}
	shadow := make([]byte, size)
	copy(shadow, data)
	p.shared = append(p.shared, &sharedMap{addr: addr, size: size, fd: int(nfd), off: off, shadow: shadow, token: token})
}

// dropShared forgets shared mappings overlapping [addr, addr+size), after
// writing back what the guest changed in them.
func (p *Process) dropShared(addr, size uint64) {
	kept := p.shared[:0]
	for _, m := range p.shared {
		if m.addr < addr+size && addr < m.addr+m.size {
			host(syscall.SYS_CLOSE, uintptr(m.fd))
			dropToken(m.token, m.size)
			continue
		}
		kept = append(kept, m)
	}
	p.shared = kept
}

// syncSharedOut writes pages the guest changed to their files.
func (p *Process) syncSharedOut() {
	buf := make([]byte, pageSize)
	for _, m := range p.shared {
		var st syscall.Stat_t
		if syscall.Fstat(m.fd, &st) != nil {
			continue
		}
		for off := uint64(0); off < m.size; off += pageSize {
			if !p.Mem.Peek(m.addr+off, buf) {
				continue
			}
			old := m.shadow[off : off+pageSize]
			if string(buf) == string(old) {
				continue
			}
			copy(old, buf)
			// Writes through a mapping never extend the file.
			end := min(off+pageSize, uint64(max(st.Size, 0))-min(m.off, uint64(max(st.Size, 0))))
			if end > off {
				hb := hbuf(int(end - off))
				copy(hb, buf)
				host(syscall.SYS_PWRITE64, uintptr(m.fd), uintptr(ptr(hb)), uintptr(len(hb)), uintptr(m.off+off))
			}
		}
	}
}

// syncSharedIn reads back pages that changed in the files.
func (p *Process) syncSharedIn() {
	for _, m := range p.shared {
		hb := hbuf(int(m.size))
		n := host(syscall.SYS_PREAD64, uintptr(m.fd), uintptr(ptr(hb)), uintptr(len(hb)), uintptr(m.off))
		if n < 0 {
			continue
		}
		for off := uint64(0); off < m.size; off += pageSize {
			cur := hb[off : off+pageSize]
			if string(cur) != string(m.shadow[off:off+pageSize]) {
				copy(m.shadow[off:], cur)
				p.Mem.Poke(m.addr+off, cur)
			}
		}
	}
}

// sysNop is a call that has nothing to do and succeeds.
func sysNop(t *Thread, a *[6]uint64) int64 { return 0 }
