package mem

import "encoding/binary"

// The Load and Store functions are the guest's data accesses through a
// vCPU's view. They check permissions and panic with a *Fault when the
// access is refused; the engine recovers the panic and turns it into a
// guest signal. The fast path is a hit in the view's per-kind translation
// cache for an access that stays inside a page: no lock, no call. The
// functions that touch page contents are //go:norace: guest memory is
// shared by the vCPUs without synchronization, as a multiprocessor's is,
// and a guest's own races (a spinlock released by a plain store is legal
// x86) are not gemu's. An aligned access of up to 8 bytes stays a single
// host load or store (binary.LittleEndian compiles to one MOV).

// rpage returns the page holding address a for reading. A refused access
// faults at a, the first byte of the access in that page.
func (v *View) rpage(a uint64) *[PageSize]byte {
	pn := a >> PageShift
	e := &v.rtlb[pn%tlbSize]
	if e.tag == pn+1 {
		return e.data
	}
	return v.rmiss(a)
}

// rmiss is rpage's lookup in the space, which fills the cache.
func (v *View) rmiss(a uint64) *[PageSize]byte {
	if v.sys != nil {
		return v.sysRpage(a)
	}
	s := v.Space
	pn := a >> PageShift
	for {
		s.mu.RLock()
		r := s.find(a)
		if r == nil || r.perm&Read == 0 {
			s.mu.RUnlock()
			panic(&Fault{Addr: a, Access: AccRead, Unmapped: r == nil})
		}
		var d *[PageSize]byte
		switch p := s.pages[pn]; {
		case p != nil && p.data != nil:
			d = p.data
		case !s.multi:
			d = &zeroPage
		case p != nil:
			p.zeroBy.Or(v.bit)
			d = &zeroPage
		default:
			// Record the zero translation on a page entry of its own.
			s.mu.RUnlock()
			s.mu.Lock()
			if s.pages[pn] == nil && s.find(a) != nil {
				s.pages[pn] = &page{}
			}
			s.mu.Unlock()
			continue
		}
		if v.trace == nil {
			e := &v.rtlbMain[pn%tlbSize]
			e.tag, e.data = pn+1, d
		}
		s.mu.RUnlock()
		return d
	}
}

// wpage returns the page holding address a for writing, like rpage.
func (v *View) wpage(a uint64) *[PageSize]byte {
	pn := a >> PageShift
	e := &v.wtlb[pn%tlbSize]
	if e.tag == pn+1 {
		return e.data
	}
	return v.wmiss(a)
}

// wmiss is wpage's lookup in the space: a page gets its data, and loses
// its code mark (OnCodeWrite), before the cache is filled.
func (v *View) wmiss(a uint64) *[PageSize]byte {
	if v.sys != nil {
		return v.sysWpage(a)
	}
	s := v.Space
	pn := a >> PageShift
	for {
		s.mu.RLock()
		r := s.find(a)
		if r == nil || r.perm&Write == 0 {
			s.mu.RUnlock()
			panic(&Fault{Addr: a, Access: AccWrite, Unmapped: r == nil})
		}
		p := s.pages[pn]
		if p != nil && p.readOnly {
			s.mu.RUnlock()
			panic(&Fault{Addr: a, Access: AccWrite}) // read-only foreign memory
		}
		if p != nil && p.data != nil && !p.code {
			d := p.data
			if v.trace == nil {
				e := &v.wtlbMain[pn%tlbSize]
				e.tag, e.data = pn+1, d
			}
			s.mu.RUnlock()
			return d
		}
		s.mu.RUnlock()
		s.materialize(v, pn, pn+1)
	}
}

// materialize readies the mapped pages of [first, end) for stores: each
// gets data and loses its code mark, reported to OnCodeWrite. Read
// translations of the shared zero page that other views may hold are shot
// down; self (the calling vCPU's view, or nil) drops its own. Callers
// check permissions before and look again after: the space may change in
// between.
func (s *Space) materialize(self *View, first, end uint64) {
	var bit uint64 // the caller's translations, which it drops itself
	if self != nil && self.bit != sharedBit {
		bit = self.bit
	}
	shoot := false
	s.mu.Lock()
	for pn := first; pn < end; pn++ {
		if s.find(pn<<PageShift) == nil {
			continue
		}
		p := s.pages[pn]
		if p == nil {
			p = &page{}
			s.pages[pn] = p
		}
		s.dropCode(pn, p)
		if p.data == nil {
			p.data, p.slab = s.dir.alloc()
			s.dir.setPage(pn, p.data)
			// With a single view, only the caller's may hold a zero
			// translation, but a caller without a view cannot drop it.
			z := p.zeroBy.Swap(0)
			shoot = shoot || s.multi && z&^bit != 0 || !s.multi && self == nil
		}
	}
	s.unlock()
	if self != nil {
		self.flushRRange(first, end)
	}
	if shoot {
		s.exclusiveFrom(self, func() {
			for _, v := range s.views {
				v.flushRRange(first, end)
			}
		})
	}
}

// loadSlow assembles a little-endian value of n bytes that may cross pages.
//
//go:norace
func (v *View) loadSlow(a uint64, n int) uint64 {
	if v.sys != nil {
		return v.sysLoad(a, n, v.sys.user)
	}
	// Check every page first so a fault is reported at the right address
	// regardless of which byte is unmapped.
	var x uint64
	for i := 0; i < n; i++ {
		ai := a + uint64(i)
		d := v.rpage(ai)
		x |= uint64(d[ai&PageMask]) << (8 * i)
	}
	if v.trace != nil {
		v.trace(a, n, false, x)
	}
	return x
}

//go:norace
func (v *View) storeSlow(a uint64, n int, x uint64) {
	if v.sys != nil {
		v.sysStore(a, n, x, v.sys.user)
		return
	}
	// Probe both pages before writing anything: a store is all or nothing.
	v.wpage(a)
	if last := a + uint64(n) - 1; last>>PageShift != a>>PageShift {
		v.wpage(last &^ PageMask)
	}
	for i := 0; i < n; i++ {
		ai := a + uint64(i)
		d := v.wpage(ai)
		d[ai&PageMask] = byte(x >> (8 * i))
	}
	if v.trace != nil {
		v.trace(a, n, true, x)
	}
}

// Load8 loads a byte.
//
//go:norace
func (v *View) Load8(a uint64) uint8 {
	pn := a >> PageShift
	e := &v.rtlb[pn%tlbSize]
	if e.tag == pn+1 {
		return e.data[a&PageMask]
	}
	return uint8(v.loadSlow(a, 1))
}

// Load16 loads a little-endian 16-bit value.
//
//go:norace
func (v *View) Load16(a uint64) uint16 {
	pn, off := a>>PageShift, a&PageMask
	e := &v.rtlb[pn%tlbSize]
	if e.tag == pn+1 && off <= PageSize-2 {
		return binary.LittleEndian.Uint16(e.data[off:])
	}
	return uint16(v.loadSlow(a, 2))
}

// Load32 loads a little-endian 32-bit value.
//
//go:norace
func (v *View) Load32(a uint64) uint32 {
	pn, off := a>>PageShift, a&PageMask
	e := &v.rtlb[pn%tlbSize]
	if e.tag == pn+1 && off <= PageSize-4 {
		return binary.LittleEndian.Uint32(e.data[off:])
	}
	return uint32(v.loadSlow(a, 4))
}

// Load64 loads a little-endian 64-bit value.
//
//go:norace
func (v *View) Load64(a uint64) uint64 {
	pn, off := a>>PageShift, a&PageMask
	e := &v.rtlb[pn%tlbSize]
	if e.tag == pn+1 && off <= PageSize-8 {
		return binary.LittleEndian.Uint64(e.data[off:])
	}
	return v.loadSlow(a, 8)
}

// Store8 stores a byte.
//
//go:norace
func (v *View) Store8(a uint64, x uint8) {
	pn := a >> PageShift
	e := &v.wtlb[pn%tlbSize]
	if e.tag == pn+1 {
		e.data[a&PageMask] = x
		return
	}
	v.storeSlow(a, 1, uint64(x))
}

// Store16 stores a little-endian 16-bit value.
//
//go:norace
func (v *View) Store16(a uint64, x uint16) {
	pn, off := a>>PageShift, a&PageMask
	e := &v.wtlb[pn%tlbSize]
	if e.tag == pn+1 && off <= PageSize-2 {
		binary.LittleEndian.PutUint16(e.data[off:], x)
		return
	}
	v.storeSlow(a, 2, uint64(x))
}

// Store32 stores a little-endian 32-bit value.
//
//go:norace
func (v *View) Store32(a uint64, x uint32) {
	pn, off := a>>PageShift, a&PageMask
	e := &v.wtlb[pn%tlbSize]
	if e.tag == pn+1 && off <= PageSize-4 {
		binary.LittleEndian.PutUint32(e.data[off:], x)
		return
	}
	v.storeSlow(a, 4, uint64(x))
}

// Store64 stores a little-endian 64-bit value.
//
//go:norace
func (v *View) Store64(a uint64, x uint64) {
	pn, off := a>>PageShift, a&PageMask
	e := &v.wtlb[pn%tlbSize]
	if e.tag == pn+1 && off <= PageSize-8 {
		binary.LittleEndian.PutUint64(e.data[off:], x)
		return
	}
	v.storeSlow(a, 8, x)
}

// LoadN loads n (1, 2, 4 or 8) bytes zero-extended.
//
//go:norace
func (v *View) LoadN(a uint64, n int) uint64 {
	switch n {
	case 1:
		return uint64(v.Load8(a))
	case 2:
		return uint64(v.Load16(a))
	case 4:
		return uint64(v.Load32(a))
	}
	return v.Load64(a)
}

// StoreN stores the low n (1, 2, 4 or 8) bytes of x.
//
//go:norace
func (v *View) StoreN(a uint64, n int, x uint64) {
	switch n {
	case 1:
		v.Store8(a, uint8(x))
	case 2:
		v.Store16(a, uint16(x))
	case 4:
		v.Store32(a, uint32(x))
	default:
		v.Store64(a, x)
	}
}

// LoadBytes fills dst from guest memory at a, with read permission checks;
// it panics with *Fault like the Load functions.
//
//go:norace
func (v *View) LoadBytes(a uint64, dst []byte) {
	if v.sys != nil {
		v.sysLoadBytes(a, dst)
		return
	}
	a0, all := a, dst
	for len(dst) > 0 {
		d := v.rpage(a)
		n := copyGuest(dst, d[a&PageMask:])
		dst = dst[n:]
		a += uint64(n)
	}
	if v.trace != nil && len(all) > 0 {
		v.trace(a0, len(all), false, low8(all))
	}
}

// low8 returns the first (up to) 8 bytes of b as a little-endian value, the
// value a tracer sees for a wide access.
func low8(b []byte) uint64 {
	var v uint64
	for i := 0; i < len(b) && i < 8; i++ {
		v |= uint64(b[i]) << (8 * i)
	}
	return v
}

// StoreBytes copies src to guest memory at a, with write permission checks;
// it panics with *Fault like the Store functions. All pages are probed first.
//
//go:norace
func (v *View) StoreBytes(a uint64, src []byte) {
	if v.sys != nil {
		v.sysStoreBytes(a, src)
		return
	}
	if len(src) == 0 {
		return
	}
	for pn := a >> PageShift; pn <= (a+uint64(len(src))-1)>>PageShift; pn++ {
		v.wpage(max(a, pn<<PageShift))
	}
	a0, all := a, src
	for len(src) > 0 {
		d := v.wpage(a)
		n := copyGuest(d[a&PageMask:], src)
		src = src[n:]
		a += uint64(n)
	}
	if v.trace != nil {
		v.trace(a0, len(all), true, low8(all))
	}
}

// The Space's accessors below are for system calls, loaders and debuggers:
// they return errors instead of panicking, work from any goroutine, and
// look pages up under the space's lock, never through a view's caches.

// Read copies guest memory into dst with read permission checks and returns
// a *Fault error instead of panicking. Used by system calls. A fault leaves
// the bytes before the faulting page copied.
func (s *Space) Read(a uint64, dst []byte) error {
	if a+uint64(len(dst)) < a || a+uint64(len(dst)) > s.Limit {
		return &Fault{Addr: a, Unmapped: true}
	}
	if f := s.read(a, dst, Read); f != nil {
		return f
	}
	return nil
}

// read copies guest memory at a into dst page by page, under the lock,
// while each page is mapped with the permissions need (none: a debugger's
// read), and returns the fault at the first page that is not, or nil.
//
//go:norace
func (s *Space) read(a uint64, dst []byte, need Perm) *Fault {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for len(dst) > 0 {
		r := s.find(a)
		if r == nil || r.perm&need != need {
			return &Fault{Addr: a, Access: AccRead, Unmapped: r == nil}
		}
		n := copyGuest(dst, s.contents(a >> PageShift)[a&PageMask:])
		dst = dst[n:]
		a += uint64(n)
	}
	return nil
}

// Write copies src into guest memory with write permission checks and
// returns a *Fault error instead of panicking, writing nothing then. Used
// by system calls.
func (s *Space) Write(a uint64, src []byte) error { return s.write(nil, a, src) }

// Write is Space.Write from the view's vCPU, which may be running.
func (v *View) Write(a uint64, src []byte) error { return v.Space.write(v, a, src) }

//go:norace
func (s *Space) write(self *View, a uint64, src []byte) error {
	if a+uint64(len(src)) < a || a+uint64(len(src)) > s.Limit {
		return &Fault{Addr: a, Access: AccWrite, Unmapped: true}
	}
	if len(src) == 0 {
		return nil
	}
	first, end := pageRange(a, uint64(len(src)))
	for {
		s.mu.RLock()
		ready := true
		for pn := first; pn < end; pn++ {
			pa := max(a, pn<<PageShift)
			r := s.find(pa)
			if r == nil || r.perm&Write == 0 {
				s.mu.RUnlock()
				return &Fault{Addr: pa, Access: AccWrite, Unmapped: r == nil}
			}
			p := s.pages[pn]
			if p != nil && p.readOnly {
				s.mu.RUnlock()
				return &Fault{Addr: pa, Access: AccWrite}
			}
			ready = ready && p != nil && p.data != nil && !p.code
		}
		if ready {
			for len(src) > 0 {
				n := copyGuest(s.pages[a>>PageShift].data[a&PageMask:], src)
				src = src[n:]
				a += uint64(n)
			}
			s.mu.RUnlock()
			return nil
		}
		s.mu.RUnlock()
		s.materialize(self, first, end)
	}
}

// Peek reads guest memory the way a debugger does: it ignores permissions
// and reports false if any byte is unmapped, never faulting.
func (s *Space) Peek(a uint64, dst []byte) bool { return s.read(a, dst, 0) == nil }

// Poke writes guest memory ignoring permissions (used by the loader and for
// kernel-made data such as the initial stack). It reports false, writing
// nothing, if any byte is unmapped or lies in read-only foreign memory
// (Back); code pages are invalidated.
func (s *Space) Poke(a uint64, src []byte) bool { return s.poke(nil, a, src) }

// Poke is Space.Poke from the view's vCPU, which may be running.
func (v *View) Poke(a uint64, src []byte) bool { return v.Space.poke(v, a, src) }

//go:norace
func (s *Space) poke(self *View, a uint64, src []byte) bool {
	if len(src) == 0 {
		return s.Mapped(a, 0)
	}
	first, end := pageRange(a, uint64(len(src)))
	for {
		s.mu.RLock()
		if _, ok := s.covered(a, uint64(len(src))); !ok || s.readOnlyIn(a, uint64(len(src))) {
			s.mu.RUnlock()
			return false
		}
		ready := true
		for pn := first; pn < end && ready; pn++ {
			p := s.pages[pn]
			ready = p != nil && p.data != nil && !p.code
		}
		if ready {
			for len(src) > 0 {
				n := copyGuest(s.pages[a>>PageShift].data[a&PageMask:], src)
				src = src[n:]
				a += uint64(n)
			}
			s.mu.RUnlock()
			return true
		}
		s.mu.RUnlock()
		s.materialize(self, first, end)
	}
}

// Fetch copies up to len(dst) instruction bytes at a into dst, stopping at
// the first byte that is unmapped or not executable. It returns the count.
//
//go:norace
func (s *Space) Fetch(a uint64, dst []byte) int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	n := 0
	for n < len(dst) {
		if a >= s.Limit {
			break
		}
		if r := s.find(a); r == nil || r.perm&Exec == 0 {
			break
		}
		k := copyGuest(dst[n:], s.contents(a >> PageShift)[a&PageMask:])
		n += k
		a += uint64(k)
	}
	return n
}

// ReadString reads a NUL-terminated string of at most max bytes.
//
//go:norace
func (s *Space) ReadString(a uint64, max int) (string, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var buf []byte
	for len(buf) < max {
		r := s.find(a)
		if r == nil || r.perm&Read == 0 {
			return "", &Fault{Addr: a, Unmapped: r == nil}
		}
		chunk := s.contents(a >> PageShift)[a&PageMask:]
		for i, c := range chunk {
			if c == 0 {
				return string(append(buf, chunk[:i]...)), nil
			}
		}
		buf = append(buf, chunk...)
		a += uint64(len(chunk))
	}
	return string(buf[:max]), nil
}
