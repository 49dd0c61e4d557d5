package mem

// Foreign pages. The OS layer may lend the space memory it does not own
// as the contents of mapped pages: a host shared memory segment (System V
// shmat) that other processes, other gemus, read and write at the same
// time. Such a page is used in place, so each side sees the other's
// stores at once; it is never replaced by zeros (Discard), never copied
// into a snapshot (the receiving process lends it again), and forgotten
// when its page is unmapped or mapped afresh, after which the OS layer
// may release the memory (Backed tells it when).

// Back makes the mapped pages of [addr, addr+len(data)) use data as their
// contents, page by page; unmapped pages are skipped. addr must be page
// aligned, data page aligned in host memory (as mmap's is; the page
// directory, dir.go, holds its address) and len(data) a multiple of
// PageSize; data must stay valid until
// no page uses it (Backed returns 0). readOnly says the memory cannot be
// written: Poke then refuses to, and stores are the region permissions'
// to refuse (the OS layer maps such pages without Write).
func (s *Space) Back(addr uint64, data []byte, readOnly bool) {
	first := addr >> PageShift
	s.change(func() {
		for i := 0; i+PageSize <= len(data); i += PageSize {
			pn := first + uint64(i>>PageShift)
			if s.find(pn<<PageShift) == nil {
				continue
			}
			if old := s.pages[pn]; old != nil {
				s.dropCode(pn, old)
				s.dropData(old)
			}
			p := &page{data: (*[PageSize]byte)(data[i : i+PageSize]), foreign: true, readOnly: readOnly}
			s.pages[pn] = p
			s.dir.pin(p.data)
			s.dir.setPage(pn, p.data)
		}
		s.flushAll(first, first+uint64(len(data)>>PageShift))
	})
}

// Backed counts the pages of [addr, addr+len(data)) that still use data
// as their contents (Back).
func (s *Space) Backed(addr uint64, data []byte) int {
	return s.backed(addr, data, false)
}

// AnyBacked reports whether a page of [addr, addr+len(data)) still uses
// data as its contents: Backed > 0, but found at the first such page, so
// that asking about an untouched attachment costs one lookup.
func (s *Space) AnyBacked(addr uint64, data []byte) bool {
	return s.backed(addr, data, true) > 0
}

func (s *Space) backed(addr uint64, data []byte, one bool) int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	n := 0
	first := addr >> PageShift
	for i := 0; i+PageSize <= len(data); i += PageSize {
		if p := s.pages[first+uint64(i>>PageShift)]; p != nil && p.foreign && p.data == (*[PageSize]byte)(data[i:i+PageSize]) {
			n++
			if one {
				break
			}
		}
	}
	return n
}

// UnmapBacked unmaps the pages of [addr, addr+len(data)) that use data as
// their contents, leaving the others (mapped afresh since) alone.
func (s *Space) UnmapBacked(addr uint64, data []byte) {
	first := addr >> PageShift
	if !s.AnyBacked(addr, data) {
		return
	}
	s.change(func() {
		run := -1 // first page index of the current run, or -1
		flush := func(end int) {
			if run >= 0 {
				s.unmapPages(first+uint64(run), first+uint64(end))
				run = -1
			}
		}
		n := len(data) >> PageShift
		for i := 0; i < n; i++ {
			p := s.pages[first+uint64(i)]
			if p != nil && p.foreign && p.data == (*[PageSize]byte)(data[i<<PageShift:(i+1)<<PageShift]) {
				if run < 0 {
					run = i
				}
				continue
			}
			flush(i)
		}
		flush(n)
	})
}

// readOnlyIn reports whether any page of [a, a+size) is read-only foreign
// memory; the caller holds mu.
func (s *Space) readOnlyIn(a, size uint64) bool {
	first, end := pageRange(a, size)
	found := false
	s.eachPage(first, end, func(pn uint64, p *page) {
		found = found || p.readOnly
	})
	return found
}
