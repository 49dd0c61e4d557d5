package mem

// Materialized returns how many bytes of [addr, addr+size) have contents
// of their own: pages stored to at least once (or filled by the loader).
// The other mapped pages read as zeros with no memory behind them, so
// this is the guest's resident set as gemu holds it (/proc/self/smaps).
func (s *Space) Materialized(addr, size uint64) uint64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	first, end := pageRange(addr, size)
	var n uint64
	if end-first > uint64(len(s.pages)) {
		for pn, p := range s.pages {
			if pn >= first && pn < end && p.data != nil {
				n += PageSize
			}
		}
		return n
	}
	for pn := first; pn < end; pn++ {
		if p := s.pages[pn]; p != nil && p.data != nil {
			n += PageSize
		}
	}
	return n
}
