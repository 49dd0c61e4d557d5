// Package mem is the guest's virtual address space: mappings (regions of
// 4 KiB pages with read, write and execute permissions), page contents
// allocated only for pages the guest writes, a direct-mapped translation
// cache for the common case and a checked slow path that reports precise
// faults.
//
// Guest memory lives in Go byte slices owned by the Space, so no guest address
// can ever reach gemu's own memory.
//
// In system mode (gemu-system) a Space is made over guest-physical memory
// instead (NewSystem; phys.go, mmu.go, walk.go): its views translate
// linear addresses through the guest's page tables, with the same caches
// and the same fast paths, and no mappings of their own.
//
// A Space is shared by the guest's vCPUs (threads), each of which accesses
// it through a View of its own: the View holds the vCPU's translation
// caches, which it uses without any lock while the vCPU runs guest code
// (between View.Enter and View.Leave). The Space's own state (regions and
// the page map) is guarded by a read-write lock, and every change that
// would make a cached translation stale shoots the translations down in
// every View before it returns, stopping running vCPUs for the moment it
// takes (an exclusive section, view.go). Guest memory contents are shared
// the way a multiprocessor's memory is: vCPUs load and store them at the
// same time without locks, and an aligned access of up to 8 bytes is a
// single host access.
package mem

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
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
	// Code is the page-fault error code of a system-mode access (the
	// present, write, user, reserved-bit and instruction-fetch bits);
	// zero in user mode.
	Code uint32
	// NonCanonical: in 4-level paging, Addr is not canonical (bits 63:47
	// differ), which the CPU turns into #GP(0) (#SS for a stack access),
	// not a page fault.
	NonCanonical bool
}

func (f *Fault) Error() string {
	kind := [...]string{"read", "write", "execute"}[f.Access]
	why := "protection"
	if f.NonCanonical {
		why = "non-canonical"
	} else if f.Unmapped {
		why = "unmapped"
	}
	if f.Code != 0 {
		return fmt.Sprintf("guest %s fault at %#x (%s, page fault code %#x)", kind, f.Addr, why, f.Code)
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
	// slab is where data comes from (directory.alloc), or nil for data
	// pinned on its own (directory.pin).
	slab *pageSlab
	// zeroBy has a bit (View.bit) for every view that may hold a read
	// translation of this page to zeroPage, while data is nil: giving the
	// page data must drop those translations. Views beyond the 63rd share
	// bit 63 (sharedBit). Kept only once the space
	// has more than one view (Space.multi); set under the read lock,
	// hence atomic.
	zeroBy atomic.Uint64
}

// zeroPage backs reads of pages that were never written. It is never
// written itself: the write path allocates a page's data first.
var zeroPage [PageSize]byte

const tlbSize = 1024

type tlbEntry struct {
	tag  uint64 // page number + 1 (0 = invalid)
	data *[PageSize]byte
}

// emptyTLB is the translation cache of a tracing view: always empty, so
// that every access takes the slow path, which reports it. It is never
// written: the slow path fills no entry while tracing.
var emptyTLB [tlbSize]tlbEntry

// Space is a guest address space, safe for concurrent use by the views
// of several vCPUs and by system calls on any goroutine.
type Space struct {
	// mu guards regions, pages (the map and the page entries' fields
	// other than their data's contents), multi and dropped. Lookups take
	// it for reading; a slow path upgrades to writing only to give a page
	// data or change its marks.
	mu sync.RWMutex
	// regions are the mappings, sorted by address, not overlapping; a
	// lookup is a binary search (regions.go).
	regions []region
	// pages holds the contents of pages inside regions that were written
	// or hold code, by page number.
	pages map[uint64]*page
	// multi: the space has had more than one view, so read translations
	// of zeroPage are recorded in the pages' zeroBy.
	multi bool
	// dropped lists the code pages whose marks a change under mu removed,
	// for OnCodeWrite once mu is released (report).
	dropped []uint64

	// Views and exclusive sections (view.go). cmu guards the waits on
	// cond; views and usedBits (the zeroBy bits of live views, bit 63
	// aside) change only in exclusive sections; excl is set while an
	// exclusive section is pending or running (written under cmu, read
	// without it by Enter and Leave).
	cmu      sync.Mutex
	cond     sync.Cond
	views    []*View
	usedBits uint64
	excl     atomic.Bool

	// OnCodeWrite is called (before the store lands) when the guest stores
	// to a page marked with MarkCode; the page loses its mark. It is also
	// called when a code page is unmapped, remapped, discarded, given
	// other contents (Back) or loses its execute permission. It may be
	// called from any vCPU's goroutine or system call, never with the
	// space's lock held (so it may take other locks and read the space),
	// sometimes inside an exclusive section (so it must not wait for a
	// vCPU to run, nor call Exclusive, Map, Unmap and the like itself).
	OnCodeWrite func(pageAddr uint64)

	// Limit is one past the highest guest address (1<<32 for i386 guests).
	// It is fixed when the space is made (it shapes the directory).
	Limit uint64

	// dir is the page directory (dir.go), which mirrors regions and the
	// pages' data for readers outside Go; changed under mu held for
	// writing, wherever those are.
	dir *directory

	// phys is the physical memory of a system-mode space (NewSystem,
	// mmu.go), nil in user mode.
	phys *Phys
}

// New returns an empty address space whose addresses are below limit.
func New(limit uint64) *Space {
	s := &Space{pages: make(map[uint64]*page), Limit: limit, dir: newDirectory(limit)}
	s.cond.L = &s.cmu
	runtime.AddCleanup(s, (*directory).release, s.dir)
	return s
}

func pageRange(addr, size uint64) (first, end uint64) {
	return addr >> PageShift, (addr + size + PageMask) >> PageShift
}

// eachPage calls f for every page with contents in [first, end), visiting
// the range or the page map, whichever is smaller; f may delete the page.
// The caller holds mu (for writing if f changes anything).
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

// dropCode removes page pn's code mark, if it has one, and queues its
// report to OnCodeWrite (report). The caller holds mu for writing.
func (s *Space) dropCode(pn uint64, p *page) {
	if p.code {
		p.code = false
		s.dropped = append(s.dropped, pn<<PageShift)
	}
}

// unlock releases mu, held for writing, and then tells OnCodeWrite about
// the code marks dropped meanwhile.
func (s *Space) unlock() {
	d := s.dropped
	s.dropped = nil
	s.mu.Unlock()
	if s.OnCodeWrite != nil {
		for _, a := range d {
			s.OnCodeWrite(a)
		}
	}
}

// contents returns the data of page pn for reading; the caller holds mu.
func (s *Space) contents(pn uint64) *[PageSize]byte {
	if p := s.pages[pn]; p != nil && p.data != nil {
		return p.data
	}
	return &zeroPage
}

// Discard drops the contents of the mapped pages in [addr, addr+size),
// which read as zeros again and cost no memory until their next store
// (madvise MADV_DONTNEED on private anonymous memory). Permissions stay,
// and so do the contents of foreign pages (Back), which are not the
// space's to drop.
func (s *Space) Discard(addr, size uint64) {
	first, end := pageRange(addr, size)
	s.change(func() {
		s.eachPage(first, end, func(pn uint64, p *page) {
			s.dropCode(pn, p)
			if !p.foreign {
				s.dropData(p)
				s.dir.setPage(pn, nil)
				delete(s.pages, pn)
			}
		})
		s.flushAll(first, end)
	})
}

// MarkCode records that the page holding addr contains translated code, so
// that stores to it are reported through OnCodeWrite.
func (s *Space) MarkCode(addr uint64) { s.markCode(nil, addr) }

// MarkCode is Space.MarkCode from the view's vCPU, which may be running.
func (v *View) MarkCode(addr uint64) {
	if v.sys != nil {
		v.sysMarkCode(addr)
		return
	}
	v.Space.markCode(v, addr)
}

// markCode marks the page holding addr as code and drops the write
// translations of it, so that the next store takes the slow path. self is
// the calling vCPU's view, or nil. A page without data has no write
// translation anywhere, and while the space has a single view only the
// caller's may hold one; otherwise every view's is dropped in an
// exclusive section.
func (s *Space) markCode(self *View, addr uint64) {
	pn := addr >> PageShift
	s.mu.RLock()
	p := s.pages[pn]
	done := p != nil && p.code || s.find(addr) == nil
	s.mu.RUnlock()
	if done {
		return
	}
	s.mu.Lock()
	p = s.pages[pn]
	if p != nil && p.code || s.find(addr) == nil {
		s.mu.Unlock()
		return
	}
	if p != nil && p.data != nil && (s.multi || self == nil) {
		s.mu.Unlock()
		s.exclusiveFrom(self, func() {
			s.mu.Lock()
			if s.find(addr) != nil {
				p := s.pages[pn]
				if p == nil {
					p = &page{}
					s.pages[pn] = p
				}
				p.code = true
			}
			s.mu.Unlock()
			for _, v := range s.views {
				v.flushW(pn)
			}
		})
		return
	}
	if p == nil {
		p = &page{}
		s.pages[pn] = p
	}
	p.code = true
	s.mu.Unlock()
	if self != nil {
		self.flushW(pn)
	}
}
