package mem

import "fmt"

// Mappings are kept as regions, like the kernel's VMAs: a sorted slice of
// non-overlapping page ranges, each with one permission. Mapping,
// protecting or unmapping a range splits the regions it cuts and merges
// adjacent regions with the same permissions, so the cost of an operation
// depends on the number of regions and of written pages it touches, never
// on the size of the range: reserving 64 TiB is as cheap as 4 KiB.

// region is one mapping: pages [start, end) with perm.
type region struct {
	start, end uint64
	perm       Perm
}

// Region is a mapping as reported by Regions.
type Region struct {
	Start, End uint64
	Perm       Perm
}

// Regions lists the mappings in address order, adjacent ones with the same
// permissions merged. What backs them (files, heap, stack) is the OS
// layer's to know.
func (s *Space) Regions() []Region {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Region, len(s.regions))
	for i, r := range s.regions {
		out[i] = Region{r.start, r.end, r.perm}
	}
	return out
}

// The helpers below (search through merge, covered, unmapPages) are
// called with mu held, for writing if they change anything.

// search returns the index of the first region ending above a.
func (s *Space) search(a uint64) int {
	lo, hi := 0, len(s.regions)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if s.regions[m].end <= a {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// find returns the region holding address a, or nil.
func (s *Space) find(a uint64) *region {
	i := s.search(a)
	if i < len(s.regions) && s.regions[i].start <= a {
		return &s.regions[i]
	}
	return nil
}

// split makes a a region boundary if a region spans it.
func (s *Space) split(a uint64) {
	i := s.search(a)
	if i == len(s.regions) || s.regions[i].start >= a {
		return
	}
	r := s.regions[i]
	right := region{a, r.end, r.perm}
	s.regions[i].end = a
	s.regions = append(s.regions, region{})
	copy(s.regions[i+2:], s.regions[i+1:])
	s.regions[i+1] = right
}

// within returns the indexes [i, j) of the regions inside [lo, hi), after
// splitting the regions that cross lo or hi.
func (s *Space) within(lo, hi uint64) (i, j int) {
	s.split(lo)
	s.split(hi)
	return s.search(lo), s.search(hi)
}

// continues reports whether region b (just after a) can merge into a.
func continues(a, b *region) bool {
	return a.end == b.start && a.perm == b.perm
}

// merge joins the regions around indexes [i, j) (itself included) with the
// neighbours they continue.
func (s *Space) merge(i, j int) {
	i, j = max(i-1, 0), min(j+1, len(s.regions))
	out := i
	for k := i; k < j; k++ {
		if k > i && continues(&s.regions[out], &s.regions[k]) {
			s.regions[out].end = s.regions[k].end
			continue
		}
		if k > i {
			out++
		}
		s.regions[out] = s.regions[k]
	}
	out++
	if out < j {
		s.regions = append(s.regions[:out], s.regions[j:]...)
	}
}

// checkRange validates a range the guest asks to map.
func (s *Space) checkRange(addr, size uint64) error {
	if addr&PageMask != 0 {
		return fmt.Errorf("mem: unaligned map address %#x", addr)
	}
	if size == 0 || addr+size < addr || addr+size > s.Limit {
		return fmt.Errorf("mem: bad mapping [%#x, +%#x)", addr, size)
	}
	return nil
}

// Map maps [addr, addr+size) with perm, zero-filled, replacing whatever was there. addr must be page aligned.
func (s *Space) Map(addr, size uint64, perm Perm) error {
	if err := s.checkRange(addr, size); err != nil {
		return err
	}
	first, end := pageRange(addr, size)
	insert := func() {
		i := s.search(first << PageShift)
		s.regions = append(s.regions, region{})
		copy(s.regions[i+1:], s.regions[i:])
		s.regions[i] = region{start: first << PageShift, end: end << PageShift, perm: perm}
		s.merge(i, i+1)
		s.dir.setRange(first, end, perm, true)
	}
	// A mapping where nothing was mapped makes no translation stale.
	s.mu.Lock()
	if s.vacant(first, end) {
		insert()
		s.mu.Unlock()
		return nil
	}
	s.mu.Unlock()
	s.change(func() {
		s.unmapPages(first, end)
		insert()
	})
	return nil
}

// vacant reports whether no page of [first, end) is mapped (and so none
// has contents).
func (s *Space) vacant(first, end uint64) bool {
	i := s.search(first << PageShift)
	return i == len(s.regions) || s.regions[i].start >= end<<PageShift
}

// Unmap removes any mappings in [addr, addr+size).
func (s *Space) Unmap(addr, size uint64) {
	first, end := pageRange(addr, size)
	if end <= first {
		return
	}
	s.mu.RLock()
	vacant := s.vacant(first, end)
	s.mu.RUnlock()
	if vacant {
		return
	}
	s.change(func() { s.unmapPages(first, end) })
}

// unmapPages removes the regions and page contents of pages [first, end)
// and every view's translations of them; the caller is in an exclusive
// section.
func (s *Space) unmapPages(first, end uint64) {
	i, j := s.within(first<<PageShift, end<<PageShift)
	s.regions = append(s.regions[:i], s.regions[j:]...)
	s.eachPage(first, end, func(pn uint64, p *page) {
		s.dropCode(pn, p)
		s.dropData(p)
		delete(s.pages, pn)
	})
	s.dir.setRange(first, end, 0, false)
	s.flushAll(first, end)
}

// covered returns the first unmapped address in [addr, addr+size), or
// addr+size and true if every page is mapped.
func (s *Space) covered(addr, size uint64) (uint64, bool) {
	a := addr &^ PageMask
	end := addr + size
	if end < addr {
		return a, false
	}
	for i := s.search(a); a < end; i++ {
		if i == len(s.regions) || s.regions[i].start > a {
			return a, false
		}
		a = s.regions[i].end
	}
	return end, true
}

// Mapped reports whether every page of [addr, addr+size) is mapped.
func (s *Space) Mapped(addr, size uint64) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	_, ok := s.covered(addr, size)
	return ok
}

// Protect changes the permissions of every page in [addr, addr+size). It
// fails, changing nothing, if any page in the range is unmapped.
func (s *Space) Protect(addr, size uint64, perm Perm) error {
	first, end := pageRange(addr, size)
	if end <= first {
		return nil
	}
	protect := func(flush bool) error {
		if a, ok := s.covered(first<<PageShift, (end-first)<<PageShift); !ok {
			return &Fault{Addr: a, Unmapped: true}
		}
		i, j := s.within(first<<PageShift, end<<PageShift)
		for k := i; k < j; k++ {
			s.regions[k].perm = perm
		}
		s.merge(i, j)
		s.dir.setRange(first, end, perm, true)
		if flush {
			if perm&Exec == 0 {
				s.eachPage(first, end, s.dropCode)
			}
			s.flushAll(first, end)
		}
		return nil
	}
	// Only permissions taken away make translations stale (code is
	// translated only from executable pages, so it stays too).
	s.mu.Lock()
	if s.onlyGains(first, end, perm) {
		err := protect(false)
		s.mu.Unlock()
		return err
	}
	s.mu.Unlock()
	var err error
	s.change(func() { err = protect(true) })
	return err
}

// onlyGains reports whether setting perm on [first, end) removes no
// permission any mapped page there has.
func (s *Space) onlyGains(first, end uint64, perm Perm) bool {
	for i := s.search(first << PageShift); i < len(s.regions) && s.regions[i].start < end<<PageShift; i++ {
		if s.regions[i].perm&^perm != 0 {
			return false
		}
	}
	return true
}

// PermAt returns the permissions of the page holding addr and whether it is
// mapped.
func (s *Space) PermAt(addr uint64) (Perm, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if r := s.find(addr); r != nil {
		return r.perm, true
	}
	return 0, false
}

// Move moves the mappings and contents of [from, from+size) to [to,
// to+size), replacing what was mapped there, and leaves the source
// unmapped (mremap). The ranges must be page aligned and not overlap.
// Translated code on either side is dropped.
func (s *Space) Move(from, to, size uint64) error {
	if from&PageMask != 0 || size&PageMask != 0 || from+size < from || from+size > s.Limit {
		return fmt.Errorf("mem: bad move source [%#x, +%#x)", from, size)
	}
	if err := s.checkRange(to, size); err != nil {
		return err
	}
	if from < to+size && to < from+size {
		return fmt.Errorf("mem: move of [%#x, +%#x) onto itself at %#x", from, size, to)
	}
	first, end := from>>PageShift, (from+size)>>PageShift
	s.change(func() {
		i, j := s.within(from, from+size)
		moved := append([]region(nil), s.regions[i:j]...)
		type content struct {
			pn   uint64
			page *page
		}
		var data []content
		s.eachPage(first, end, func(pn uint64, p *page) {
			if p.data != nil {
				data = append(data, content{pn, &page{data: p.data, foreign: p.foreign, readOnly: p.readOnly, slab: p.slab}})
				// Deleted here, so that unmapPages leaves the data's
				// pin to the page it moves to.
				s.dropCode(pn, p)
				delete(s.pages, pn)
			}
		})
		s.unmapPages(first, end)
		s.unmapPages(to>>PageShift, (to+size)>>PageShift)
		for _, r := range moved {
			r.start, r.end = r.start-from+to, r.end-from+to
			k := s.search(r.start)
			s.regions = append(s.regions, region{})
			copy(s.regions[k+1:], s.regions[k:])
			s.regions[k] = r
			s.merge(k, k+1)
			s.dir.setRange(r.start>>PageShift, r.end>>PageShift, r.perm, true)
		}
		for _, c := range data {
			pn := c.pn - first + (to >> PageShift)
			s.pages[pn] = c.page
			s.dir.setPage(pn, c.page.data)
		}
	})
	return nil
}

// FindFree returns the lowest page-aligned address >= from where size bytes
// are unmapped and end at or below top, or false if there is none.
func (s *Space) FindFree(from, top, size uint64) (uint64, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	size = (size + PageMask) &^ PageMask
	addr := (from + PageMask) &^ PageMask
	if addr < from {
		return 0, false
	}
	for i := s.search(addr); ; i++ {
		if addr+size < addr || addr+size > top {
			return 0, false
		}
		if i == len(s.regions) || s.regions[i].start >= addr+size {
			return addr, true
		}
		addr = max(addr, s.regions[i].end)
	}
}

// FindFreeDown is FindFree searching downwards from top: it returns the highest
// address a >= bottom with [a, a+size) free and a+size <= top.
func (s *Space) FindFreeDown(bottom, top, size uint64) (uint64, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	size = (size + PageMask) &^ PageMask
	end := top &^ PageMask
	// k counts the regions starting below end; the candidate range is
	// [end-size, end), moved below region k-1 while they overlap.
	k := s.search(end)
	if k < len(s.regions) && s.regions[k].start < end {
		k++
	}
	for {
		if end < size || end-size < bottom {
			return 0, false
		}
		if k == 0 || s.regions[k-1].end <= end-size {
			return end - size, true
		}
		k--
		end = s.regions[k].start
	}
}
