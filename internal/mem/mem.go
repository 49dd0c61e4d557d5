// Package mem is the guest's virtual address space: mappings (regions of
// 4 KiB pages with read, write and execute permissions), page contents
// allocated only for pages the guest writes, a direct-mapped translation
// cache for the common case and a checked slow path that reports precise
// faults.
//
// Guest memory lives in Go byte slices owned by the Space, so no guest address
// can ever reach gemu's own memory.
package mem

import "fmt"

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

// page is the contents of one guest page that the guest wrote (or that
// holds translated code). Pages never written have no page: they read as
// zeros (from zeroPage), so a mapping costs memory only for the pages the
// guest stores to, whatever its size.
type page struct {
	data *[PageSize]byte // nil: all zeros
	code bool            // holds translated code: stores go through the slow path
	// foreign: data is memory the OS layer lent (Back), such as a host
	// shared memory segment other processes see; it is never dropped for
	// zeros nor copied into a snapshot.
	foreign bool
	// readOnly: the foreign memory cannot be written (the host mapped it
	// read-only), whatever the region's permissions.
	readOnly bool
}

// zeroPage backs reads of pages that were never written. It is never
// written itself: the write path allocates a page's data first.
var zeroPage [PageSize]byte

const tlbSize = 1024

type tlbEntry struct {
	tag  uint64 // page number + 1 (0 = invalid)
	data *[PageSize]byte
}

// Space is a guest address space.
type Space struct {
	// regions are the mappings, sorted by address, not overlapping; a
	// lookup is a binary search (regions.go).
	regions []region
	// pages holds the contents of pages inside regions that were written
	// or hold code, by page number.
	pages map[uint64]*page

	// Direct-mapped caches of page number -> data, one per access kind.
	// While tracing they point at always-empty tables, so that every
	// access takes the slow path, which reports it.
	rtlb, wtlb     *[tlbSize]tlbEntry
	rtlbMain       [tlbSize]tlbEntry
	wtlbMain       [tlbSize]tlbEntry
	emptyR, emptyW [tlbSize]tlbEntry
	trace          Tracer

	// OnCodeWrite is called (before the store lands) when the guest stores
	// to a page marked with MarkCode; the page loses its mark. It is also
	// called when a code page is unmapped, remapped, discarded or loses
	// its execute permission.
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

// flushPages drops the cached translations of pages [first, end): page by
// page for a small range, else by a scan of the caches, so that changing
// a huge mapping costs no more than the caches' size.
func (s *Space) flushPages(first, end uint64) {
	if end-first <= tlbSize {
		for pn := first; pn < end; pn++ {
			s.flushPage(pn)
		}
		return
	}
	for _, t := range [2]*[tlbSize]tlbEntry{&s.rtlbMain, &s.wtlbMain} {
		for i := range t {
			if pn := t[i].tag - 1; t[i].tag != 0 && pn >= first && pn < end {
				t[i] = tlbEntry{}
			}
		}
	}
}

func pageRange(addr, size uint64) (first, end uint64) {
	return addr >> PageShift, (addr + size + PageMask) >> PageShift
}

// eachPage calls f for every page with contents in [first, end), visiting
// the range or the page map, whichever is smaller; f may delete the page.
func (s *Space) eachPage(first, end uint64, f func(pn uint64, p *page)) {
	if end-first > uint64(len(s.pages)) {
		for pn, p := range s.pages {
			if pn >= first && pn < end {
				f(pn, p)
			}
		}
		return
	}
	for pn := first; pn < end; pn++ {
		if p := s.pages[pn]; p != nil {
			f(pn, p)
		}
	}
}

// dropCode tells OnCodeWrite that the code on page pn goes away.
func (s *Space) dropCode(pn uint64, p *page) {
	if p.code {
		p.code = false
		if s.OnCodeWrite != nil {
			s.OnCodeWrite(pn << PageShift)
		}
	}
}

// contents returns the data of page pn for reading.
func (s *Space) contents(pn uint64) *[PageSize]byte {
	if p := s.pages[pn]; p != nil && p.data != nil {
		return p.data
	}
	return &zeroPage
}

// writable returns page pn's entry with its data allocated, for a store
// that may go ahead: the page's code mark is dropped (OnCodeWrite), and a
// read translation of the shared zero page is forgotten.
func (s *Space) writable(pn uint64) *page {
	p := s.pages[pn]
	if p == nil {
		p = &page{}
		s.pages[pn] = p
	}
	if p.code {
		s.dropCode(pn, p)
		s.flushPage(pn)
	}
	if p.data == nil {
		p.data = new([PageSize]byte)
		s.flushPage(pn)
	}
	return p
}

// Discard drops the contents of the mapped pages in [addr, addr+size),
// which read as zeros again and cost no memory until their next store
// (madvise MADV_DONTNEED on private anonymous memory). Permissions stay,
// and so do the contents of foreign pages (Back), which are not the
// space's to drop.
func (s *Space) Discard(addr, size uint64) {
	first, end := pageRange(addr, size)
	s.eachPage(first, end, func(pn uint64, p *page) {
		s.dropCode(pn, p)
		if !p.foreign {
			delete(s.pages, pn)
		}
	})
	s.flushPages(first, end)
}

// MarkCode records that the page holding addr contains translated code, so
// that stores to it are reported through OnCodeWrite.
func (s *Space) MarkCode(addr uint64) {
	if s.find(addr) == nil {
		return
	}
	pn := addr >> PageShift
	p := s.pages[pn]
	if p == nil {
		p = &page{}
		s.pages[pn] = p
	}
	if !p.code {
		p.code = true
		i := pn % tlbSize
		if s.wtlbMain[i].tag == pn+1 {
			s.wtlbMain[i] = tlbEntry{}
		}
	}
}
