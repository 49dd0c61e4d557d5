package mem

import (
	"fmt"
	"math/bits"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"
)

// The page directory: a map of the guest address space that code outside
// Go can read (C plugin callbacks running on a C stack, later generated
// code), kept by the Space next to its regions and page map.
//
// It is a radix tree in memory outside the Go heap (mmap), keyed by guest
// page number, with Levels levels of 1<<Bits entries of 8 bytes each
// (DirLayout). The page number's top Bits bits index the root table, the
// next Bits bits the table an entry of the root names, and so on. Every
// entry is a uint64, read with atomic loads:
//
//   - 0: no page of the entry's span is mapped.
//   - DirTable set (never at the last level): the address of the table of
//     the next level (e &^ DirFlags), which covers the entry's span.
//   - otherwise DirPresent is set: every page of the span is mapped, with
//     the permissions DirRead, DirWrite and DirExec of the entry, and
//     e &^ DirFlags is the host address of the 4 KiB that hold the page's
//     contents. Above the last level (a whole span that way) and at the
//     last level without DirOwn, that is the shared zero page: a read-only
//     page outside the Go heap whose contents stay zero. With DirOwn (last
//     level only) it is the page's own data.
//
// So a reader walks from the root, taking the page number's index at each
// level, until an entry is 0 (unmapped), or has no DirTable (the page's
// host address is the entry without its flags). Page numbers at or above
// 1<<(Levels*Bits) are never mapped; the walker must check that the page
// number fits before it indexes the root.
//
// Writers: the Space's methods, under its lock held for writing, store
// entries with atomic stores, so that a reader sees each entry either
// before or after a change, never half of it. A table is filled before the
// entry that names it is stored, and tables are never freed nor reused
// while the Space lives: a span that stops being mapped keeps its tables,
// with zero entries. A page's own data is pinned (runtime.Pinner, a slab
// of pages at a time: alloc) from before its address is stored until the
// data is dropped.
//
// Readers' rule: a reader may dereference an address it found in the
// directory only while a view of the Space is inside View.Enter/Leave (the
// reading vCPU's own), and must keep the Space alive meanwhile (the
// vCPU's View references it; runtime.KeepAlive after the read where the
// View is not used later). Everything that removes a page or drops its
// data (Unmap, Map over a mapping, Move, Discard, Back) runs in an
// exclusive section, while no view is inside Enter/Leave, so a page never
// goes away under a reader. Changes made outside exclusive sections only
// add: a mapping where nothing was mapped, more permissions, a page's own
// data in place of the zero page (the data then reads as zeros until the
// guest stores to it, as the zero page did).
//
// When the Space is unreachable its directory is unpinned and unmapped
// (runtime.AddCleanup).

// Directory entry flags, in the low bits of every entry (page addresses
// are 4 KiB aligned). The bits from DirTable+1 up to bit 11 are reserved
// (zero).
const (
	DirPresent uint64 = 1 << 0 // pages of the span are mapped
	DirRead    uint64 = 1 << 1 // guest may load (Read)
	DirWrite   uint64 = 1 << 2 // guest may store (Write)
	DirExec    uint64 = 1 << 3 // guest may execute (Exec)
	DirOwn     uint64 = 1 << 4 // last level: the page has data of its own, not the zero page
	DirTable   uint64 = 1 << 5 // the entry names a table of the next level
	DirFlags   uint64 = PageMask
)

// Directory shapes. A Space whose Limit is at most 1<<32 (i386 guests)
// has DirLevels32 levels of DirBits32 bits (page numbers of 20 bits); a
// larger one has levels of DirBits64 bits, as many as its Limit needs
// (4 for x86-64's 1<<47: page numbers of 35 bits, 36 bits indexed).
const (
	DirBits32   = 10
	DirLevels32 = 2
	DirBits64   = 9
)

// dirPerm is the flags of the permissions perm.
func dirPerm(perm Perm) uint64 { return uint64(perm&(Read|Write|Exec)) << 1 }

// dirPermMask is the permission flags of an entry.
const dirPermMask = DirRead | DirWrite | DirExec

// dirChunk is the size of the mmap'd blocks tables are carved from.
const dirChunk = 64 << 10

// zeroHost is the host address of the directory's zero page: one page,
// mapped read-only outside the Go heap, shared by every Space and never
// unmapped.
var zeroHost = sync.OnceValue(func() uintptr {
	b, err := syscall.Mmap(-1, 0, PageSize, syscall.PROT_READ, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if err != nil {
		panic(fmt.Sprintf("mem: mapping the directory's zero page: %v", err))
	}
	return uintptr(unsafe.Pointer(&b[0]))
})

// directory is a Space's page directory and what it owns: the memory of
// its tables and the pins of the page data its entries name. It refers to
// nothing of the Space (so that the Space's cleanup can release it).
// Guarded by the Space's mu.
type directory struct {
	root   unsafe.Pointer // the root table
	bits   uint           // index bits per level
	levels int
	zero   uint64 // zeroHost()

	chunks [][]byte // the mmap'd blocks, unmapped by release
	rest   []byte   // the unused rest of the last block

	// The space's own page data comes from pinned slabs (alloc, free);
	// slabs holds every slab, partial those with a free page.
	slabs   map[*pageSlab]bool
	partial []*pageSlab
	// empty counts the slabs in partial with no page in use: one is
	// kept, so that a page mapped and unmapped over and over does not
	// make and drop a slab each time.
	empty int

	// pins holds the pin of every other page data whose address an entry
	// may hold: lent memory (Back), adopted pages (Restore).
	pins map[*[PageSize]byte]*runtime.Pinner
}

// newDirectory returns the empty directory of a Space with limit.
func newDirectory(limit uint64) *directory {
	d := &directory{bits: DirBits32, levels: DirLevels32, zero: uint64(zeroHost()),
		pins: make(map[*[PageSize]byte]*runtime.Pinner), slabs: make(map[*pageSlab]bool)}
	if limit > 1<<32 {
		// Page number bits over DirBits64 bits a level, rounded up.
		pnBits := bits.Len64(limit-1) - PageShift
		d.bits = DirBits64
		d.levels = max(1, (pnBits+DirBits64-1)/DirBits64)
	}
	d.root = d.newTable(0)
	return d
}

// Directory returns the host address of the root table of the space's
// page directory (dir.go), for code outside Go to read under the readers'
// rule there. It stays the same for the Space's life.
func (s *Space) Directory() uintptr { return uintptr(s.dir.root) }

// DirLayout returns the shape of the space's page directory: its number of
// levels and the index bits per level.
func (s *Space) DirLayout() (levels int, bits uint) { return s.dir.levels, s.dir.bits }

// tableBytes is the size of one table.
func (d *directory) tableBytes() int { return 8 << d.bits }

// newTable returns a table whose every entry is e, carved from the
// current block (a new one when it is used up).
func (d *directory) newTable(e uint64) unsafe.Pointer {
	n := d.tableBytes()
	if len(d.rest) < n {
		b, err := syscall.Mmap(-1, 0, dirChunk, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
		if err != nil {
			panic(fmt.Sprintf("mem: mapping page directory tables: %v", err))
		}
		d.chunks = append(d.chunks, b)
		d.rest = b
	}
	t := unsafe.Pointer(&d.rest[0])
	d.rest = d.rest[n:]
	if e != 0 {
		for i := 0; i < 1<<d.bits; i++ {
			atomic.StoreUint64(slot(t, uint64(i)), e)
		}
	}
	return t
}

// slot returns entry i of table t.
func slot(t unsafe.Pointer, i uint64) *uint64 { return (*uint64)(unsafe.Add(t, i*8)) }

// hostPtr turns the address of memory outside the Go heap (a table), or
// of pinned memory, back into a pointer. (A plain conversion of a uintptr
// is what go vet and checkptr flag for Go memory; this memory is not
// moved nor freed while the directory names it.)
func hostPtr(a uintptr) unsafe.Pointer { return *(*unsafe.Pointer)(unsafe.Pointer(&a)) }

// child returns the table a DirTable entry names.
func child(e uint64) unsafe.Pointer { return hostPtr(uintptr(e &^ DirFlags)) }

// shift is the page number shift of level l's index.
func (d *directory) shift(l int) uint { return d.bits * uint(d.levels-1-l) }

// setRange makes pages [first, end) mapped with perm (mapped) or unmapped
// (!mapped). A mapped page that has its own data in the directory keeps
// it; every other mapped page reads the zero page. The caller holds mu
// for writing.
func (d *directory) setRange(first, end uint64, perm Perm, mapped bool) {
	var e uint64
	if mapped {
		e = DirPresent | dirPerm(perm) | d.zero
	}
	if end > first {
		d.fill(d.root, 0, 0, first, end, e)
	}
}

// fill stores e for pages [first, end) (within the span of table t, at
// level l, whose first page is base), as setRange says: at the last level
// a page with its own data keeps it and takes e's permissions, above it
// a span wholly inside the range takes e whole, and a span partly inside
// is split into a table first.
func (d *directory) fill(t unsafe.Pointer, l int, base, first, end, e uint64) {
	sh := d.shift(l)
	last := l == d.levels-1
	for i := (first - base) >> sh; i < 1<<d.bits && base+i<<sh < end; i++ {
		lo := base + i<<sh
		hi := lo + 1<<sh
		p := slot(t, i)
		old := atomic.LoadUint64(p)
		switch {
		case last:
			nv := e
			if e != 0 && old&DirOwn != 0 {
				nv = old&^dirPermMask | e&dirPermMask
			}
			if nv != old {
				atomic.StoreUint64(p, nv)
			}
		case old&DirTable != 0:
			d.fill(child(old), l+1, lo, max(first, lo), min(end, hi), e)
		case old == e:
		case first <= lo && hi <= end:
			atomic.StoreUint64(p, e)
		default:
			c := d.newTable(old)
			atomic.StoreUint64(p, uint64(uintptr(c))|DirTable)
			d.fill(c, l+1, lo, max(first, lo), min(end, hi), e)
		}
	}
}

// setPage records data (nil: none, the zero page) as the contents of the
// mapped page pn, keeping its permissions. Nothing is recorded for a page
// that is not mapped. The caller holds mu for writing; data is pinned
// (alloc or pin), and the data the page had before is the caller's to
// release if it is dropped (Space.dropData).
func (d *directory) setPage(pn uint64, data *[PageSize]byte) {
	if pn>>(d.bits*uint(d.levels)) != 0 {
		return
	}
	t := d.root
	for l := 0; ; l++ {
		p := slot(t, (pn>>d.shift(l))&(1<<d.bits-1))
		old := atomic.LoadUint64(p)
		if old&DirPresent == 0 && old&DirTable == 0 {
			return // not mapped
		}
		if l == d.levels-1 {
			nv := DirPresent | old&dirPermMask | d.zero
			if data != nil {
				a := uint64(uintptr(unsafe.Pointer(data)))
				if a&PageMask != 0 {
					panic(fmt.Sprintf("mem: page data at %#x is not page aligned", a))
				}
				nv = DirPresent | old&dirPermMask | DirOwn | a
			}
			atomic.StoreUint64(p, nv)
			return
		}
		if old&DirTable == 0 {
			if data == nil {
				return // the whole span reads the zero page already
			}
			c := d.newTable(old)
			atomic.StoreUint64(p, uint64(uintptr(c))|DirTable)
			old = uint64(uintptr(c)) | DirTable
		}
		t = child(old)
	}
}

// pin pins page data that does not come from alloc (lent or adopted
// memory) for as long as the directory holds its address; pinning it again
// is no change.
func (d *directory) pin(data *[PageSize]byte) {
	if _, ok := d.pins[data]; ok {
		return
	}
	p := new(runtime.Pinner)
	p.Pin(data)
	d.pins[data] = p
}

// unpin releases the pin of page data from pin that no page uses any
// more; the directory no longer holds its address. The caller is in an
// exclusive section (the readers' rule), with mu held for writing.
func (d *directory) unpin(data *[PageSize]byte) {
	if p, ok := d.pins[data]; ok {
		p.Unpin()
		delete(d.pins, data)
	}
}

// Page data allocation. A page's data must stay pinned while the
// directory holds its address, and pinning each page on its own would
// cost about as much again as allocating it (measured: 1.1 us for
// new([4096]byte), 2.4 us with a Pinner and its map entry). So the space
// allocates page data in slabs of slabPages pages, each pinned once: a
// dropped page's place is reused (cleared) by the next page the space
// allocates, and a slab whose pages are all dropped is unpinned and left
// to the garbage collector (but for one, kept for the next pages). The
// price: a slab stays while any of its pages lives.

// slabPages is the number of pages of a slab.
const slabPages = 16

// pageSlab is a pinned block of page data.
type pageSlab struct {
	mem  *[slabPages][PageSize]byte
	pin  runtime.Pinner
	used uint16 // bit i: page i is some page's data
	// dirty: bit i: page i was used and dropped, so it must be cleared
	// before it is used again.
	dirty uint16
	// at is the slab's index in directory.partial, or -1.
	at int
}

// alloc returns zeroed page data, pinned, and the slab it comes from.
// The caller holds mu for writing.
func (d *directory) alloc() (*[PageSize]byte, *pageSlab) {
	if len(d.partial) == 0 {
		sl := &pageSlab{mem: new([slabPages][PageSize]byte)}
		sl.pin.Pin(sl.mem)
		d.slabs[sl] = true
		sl.at = 0
		d.partial = append(d.partial, sl)
		d.empty++
	}
	sl := d.partial[len(d.partial)-1]
	if sl.used == 0 {
		d.empty--
	}
	i := bits.TrailingZeros16(^sl.used)
	sl.used |= 1 << i
	if sl.used == 1<<slabPages-1 {
		d.partial = d.partial[:len(d.partial)-1]
		sl.at = -1
	}
	data := &sl.mem[i]
	if sl.dirty&(1<<i) != 0 {
		sl.dirty &^= 1 << i
		clear(data[:])
	}
	return data, sl
}

// free returns data, from alloc out of slab sl, which no page uses any
// more and whose address the directory no longer holds. The caller is in
// an exclusive section (the readers' rule), with mu held for writing.
func (d *directory) free(data *[PageSize]byte, sl *pageSlab) {
	i := (uintptr(unsafe.Pointer(data)) - uintptr(unsafe.Pointer(sl.mem))) / PageSize
	if sl.used == 1<<slabPages-1 {
		sl.at = len(d.partial)
		d.partial = append(d.partial, sl)
	}
	sl.used &^= 1 << i
	sl.dirty |= 1 << i
	if sl.used == 0 && d.empty == 0 {
		d.empty++
	} else if sl.used == 0 {
		// Unpinned and forgotten: out of the partial list (the last
		// one takes its place) and the set.
		last := d.partial[len(d.partial)-1]
		d.partial[sl.at] = last
		last.at = sl.at
		d.partial = d.partial[:len(d.partial)-1]
		sl.pin.Unpin()
		delete(d.slabs, sl)
	}
}

// release unpins everything and unmaps the tables, when the Space is
// gone.
func (d *directory) release() {
	for _, p := range d.pins {
		p.Unpin()
	}
	for sl := range d.slabs {
		sl.pin.Unpin()
	}
	d.pins, d.slabs, d.partial = nil, nil, nil
	for _, b := range d.chunks {
		syscall.Munmap(b)
	}
	d.chunks, d.rest, d.root = nil, nil, nil
}

// dropData forgets the data of page p, which is being deleted or given
// other data: it goes back to its slab, or its pin is released (the
// directory entry is rewritten by the caller). The caller is in an
// exclusive section with mu held for writing.
func (s *Space) dropData(p *page) {
	switch {
	case p.data == nil:
	case p.slab != nil:
		s.dir.free(p.data, p.slab)
	default:
		s.dir.unpin(p.data)
	}
	p.data, p.slab = nil, nil
}
