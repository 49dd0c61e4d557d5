// Package mem is the guest's virtual address space: 4 KiB pages with read,
// write and execute permissions, a direct-mapped translation cache for the
// common case and a checked slow path that reports precise faults.
//
// Guest memory lives in Go byte slices owned by the Space, so no guest address
// can ever reach gemu's own memory.
package mem

import (
	"fmt"
	"sort"
)

// PageSize is the guest page size in bytes.
const PageSize = 4096

// PageShift is log2(PageSize).
const PageShift = 12

// PageMask masks the offset within a page.
const PageMask = PageSize - 1

// Perm is a set of page permissions.
type Perm uint8

// Page permissions, combinable.
const (
	Read  Perm = 1 << iota // guest may load
	Write                  // guest may store
	Exec                   // guest may execute
)

// String renders the permissions as "rwx" with dashes.
func (p Perm) String() string {
	b := []byte("---")
	if p&Read != 0 {
		b[0] = 'r'
	}
	if p&Write != 0 {
		b[1] = 'w'
	}
	if p&Exec != 0 {
		b[2] = 'x'
	}
	return string(b)
}

// Access says what kind of access faulted.
type Access uint8

// Access kinds.
const (
	AccRead Access = iota
	AccWrite
	AccExec
)

// Fault describes a guest access that the address space refused. It is used
// as a panic value on the execution fast path and as an error elsewhere.
type Fault struct {
	Addr     uint64 // first faulting address
	Access   Access // what was attempted
	Unmapped bool   // true if no page is mapped there (SEGV_MAPERR), else SEGV_ACCERR
}

func (f *Fault) Error() string {
	kind := [...]string{"read", "write", "execute"}[f.Access]
	why := "protection"
	if f.Unmapped {
		why = "unmapped"
	}
	return fmt.Sprintf("guest %s fault at %#x (%s)", kind, f.Addr, why)
}

// page is one guest page. Its contents are allocated on the first store:
// until then it reads as zeros (from zeroPage), so mapping a large region,
// like the 8 MiB stack, costs nothing for the pages the guest never writes.
type page struct {
	data *[PageSize]byte // nil: all zeros
	perm Perm
	code bool // holds translated code: stores go through the slow path
}

// zeroPage backs reads of pages that were never written. It is never
// written itself: the write path allocates a page's data first.
var zeroPage [PageSize]byte

// bytes returns the page's contents for reading.
func (p *page) bytes() *[PageSize]byte {
	if p.data == nil {
		return &zeroPage
	}
	return p.data
}

// writable returns the page's contents for writing, allocating them.
func (p *page) writable() *[PageSize]byte {
	if p.data == nil {
		p.data = new([PageSize]byte)
	}
	return p.data
}

const tlbSize = 1024

type tlbEntry struct {
	tag  uint64 // page number + 1 (0 = invalid)
	data *[PageSize]byte
}

// Space is a guest address space.
type Space struct {
	pages map[uint64]*page // by page number

	// Direct-mapped caches of page number -> data, one per access kind.
	// While tracing they point at always-empty tables, so that every
	// access takes the slow path, which reports it.
	rtlb, wtlb     *[tlbSize]tlbEntry
	rtlbMain       [tlbSize]tlbEntry
	wtlbMain       [tlbSize]tlbEntry
	emptyR, emptyW [tlbSize]tlbEntry
	trace          Tracer

	// OnCodeWrite is called (before the store lands) when the guest stores
	// to a page marked with MarkCode; the page loses its mark.
	OnCodeWrite func(pageAddr uint64)

	// Limit is one past the highest guest address (1<<32 for i386 guests).
	Limit uint64
}

// New returns an empty address space whose addresses are below limit.
func New(limit uint64) *Space {
	s := &Space{pages: make(map[uint64]*page), Limit: limit}
	s.rtlb, s.wtlb = &s.rtlbMain, &s.wtlbMain
	return s
}

// Tracer observes guest data accesses while tracing is on: the address, the
// size in bytes, whether it is a store, and the value (low 8 bytes).
type Tracer func(addr uint64, size int, store bool, value uint64)

// SetTracer turns access tracing on (t != nil) or off. While on, every Load
// and Store reports to t after it succeeds. Tracing is meant to be switched
// on around single instrumented instructions.
func (s *Space) SetTracer(t Tracer) {
	s.trace = t
	if t != nil {
		s.rtlb, s.wtlb = &s.emptyR, &s.emptyW
	} else {
		s.rtlb, s.wtlb = &s.rtlbMain, &s.wtlbMain
	}
}

func (s *Space) flushPage(pn uint64) {
	i := pn % tlbSize
	if s.rtlbMain[i].tag == pn+1 {
		s.rtlbMain[i] = tlbEntry{}
	}
	if s.wtlbMain[i].tag == pn+1 {
		s.wtlbMain[i] = tlbEntry{}
	}
}

func pageRange(addr, size uint64) (first, end uint64) {
	return addr >> PageShift, (addr + size + PageMask) >> PageShift
}

// Map maps [addr, addr+size) with perm, zero-filled, replacing any pages that
// were there. addr must be page aligned.
func (s *Space) Map(addr, size uint64, perm Perm) error {
	if addr&PageMask != 0 {
		return fmt.Errorf("mem: unaligned map address %#x", addr)
	}
	if size == 0 || addr+size < addr || addr+size > s.Limit {
		return fmt.Errorf("mem: bad mapping [%#x, +%#x)", addr, size)
	}
	first, end := pageRange(addr, size)
	for pn := first; pn < end; pn++ {
		if old := s.pages[pn]; old != nil && old.code && s.OnCodeWrite != nil {
			s.OnCodeWrite(pn << PageShift)
		}
		s.pages[pn] = &page{perm: perm}
		s.flushPage(pn)
	}
	return nil
}

// Unmap removes any pages in [addr, addr+size).
func (s *Space) Unmap(addr, size uint64) {
	first, end := pageRange(addr, size)
	if end-first > uint64(len(s.pages)) {
		for pn, p := range s.pages {
			if pn >= first && pn < end {
				s.dropPage(pn, p)
			}
		}
		return
	}
	for pn := first; pn < end; pn++ {
		if p := s.pages[pn]; p != nil {
			s.dropPage(pn, p)
		}
	}
}

func (s *Space) dropPage(pn uint64, p *page) {
	if p.code && s.OnCodeWrite != nil {
		s.OnCodeWrite(pn << PageShift)
	}
	delete(s.pages, pn)
	s.flushPage(pn)
}

// Discard drops the contents of the mapped pages in [addr, addr+size),
// which read as zeros again and cost no memory until their next store
// (madvise MADV_DONTNEED on private anonymous memory). Permissions stay.
func (s *Space) Discard(addr, size uint64) {
	first, end := pageRange(addr, size)
	drop := func(pn uint64, p *page) {
		if p.data == nil {
			return
		}
		if p.code && s.OnCodeWrite != nil {
			p.code = false
			s.OnCodeWrite(pn << PageShift)
		}
		p.data = nil
		s.flushPage(pn)
	}
	if end-first > uint64(len(s.pages)) {
		for pn, p := range s.pages {
			if pn >= first && pn < end {
				drop(pn, p)
			}
		}
		return
	}
	for pn := first; pn < end; pn++ {
		if p := s.pages[pn]; p != nil {
			drop(pn, p)
		}
	}
}

// Protect changes the permissions of every page in [addr, addr+size). It
// fails, changing nothing, if any page in the range is unmapped.
func (s *Space) Protect(addr, size uint64, perm Perm) error {
	first, end := pageRange(addr, size)
	for pn := first; pn < end; pn++ {
		if s.pages[pn] == nil {
			return &Fault{Addr: pn << PageShift, Unmapped: true}
		}
	}
	for pn := first; pn < end; pn++ {
		p := s.pages[pn]
		if p.code && perm&Exec == 0 && s.OnCodeWrite != nil {
			p.code = false
			s.OnCodeWrite(pn << PageShift)
		}
		p.perm = perm
		s.flushPage(pn)
	}
	return nil
}

// PermAt returns the permissions of the page holding addr and whether it is
// mapped.
func (s *Space) PermAt(addr uint64) (Perm, bool) {
	p := s.pages[addr>>PageShift]
	if p == nil {
		return 0, false
	}
	return p.perm, true
}

// Mapped reports whether every page of [addr, addr+size) is mapped.
func (s *Space) Mapped(addr, size uint64) bool {
	first, end := pageRange(addr, size)
	for pn := first; pn < end; pn++ {
		if s.pages[pn] == nil {
			return false
		}
	}
	return true
}

// FindFree returns the lowest page-aligned address >= from where size bytes
// are unmapped and end at or below top, or false if there is none.
func (s *Space) FindFree(from, top, size uint64) (uint64, bool) {
	size = (size + PageMask) &^ PageMask
	addr := (from + PageMask) &^ PageMask
	for addr+size <= top && addr+size > addr {
		ok := true
		for a := addr; a < addr+size; a += PageSize {
			if s.pages[a>>PageShift] != nil {
				addr = a + PageSize
				ok = false
				break
			}
		}
		if ok {
			return addr, true
		}
	}
	return 0, false
}

// FindFreeDown is FindFree searching downwards from top: it returns the highest
// address a >= bottom with [a, a+size) free and a+size <= top.
func (s *Space) FindFreeDown(bottom, top, size uint64) (uint64, bool) {
	size = (size + PageMask) &^ PageMask
	top &^= PageMask
	if top < size {
		return 0, false
	}
	addr := top - size
	for addr >= bottom {
		ok := true
		for a := addr + size - PageSize; ; a -= PageSize {
			if s.pages[a>>PageShift] != nil {
				ok = false
				if a < size || a-size < bottom {
					return 0, false
				}
				addr = a - size
				break
			}
			if a == addr {
				break
			}
		}
		if ok {
			return addr, true
		}
	}
	return 0, false
}

// Region is a run of contiguous pages with the same permissions, as reported
// by Regions (for /proc/self/maps and debugging).
type Region struct {
	Start, End uint64
	Perm       Perm
}

// Regions lists the mapped regions in address order.
func (s *Space) Regions() []Region {
	pns := make([]uint64, 0, len(s.pages))
	for pn := range s.pages {
		pns = append(pns, pn)
	}
	sort.Slice(pns, func(i, j int) bool { return pns[i] < pns[j] })
	var out []Region
	for _, pn := range pns {
		p := s.pages[pn]
		a := pn << PageShift
		if n := len(out); n > 0 && out[n-1].End == a && out[n-1].Perm == p.perm {
			out[n-1].End += PageSize
			continue
		}
		out = append(out, Region{a, a + PageSize, p.perm})
	}
	return out
}

// MarkCode records that the page holding addr contains translated code, so
// that stores to it are reported through OnCodeWrite.
func (s *Space) MarkCode(addr uint64) {
	pn := addr >> PageShift
	if p := s.pages[pn]; p != nil && !p.code {
		p.code = true
		i := pn % tlbSize
		if s.wtlbMain[i].tag == pn+1 {
			s.wtlbMain[i] = tlbEntry{}
		}
	}
}
