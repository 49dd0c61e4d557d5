package mem

import "encoding/binary"

// The Load and Store functions are the guest's data accesses. They check
// permissions and panic with a *Fault when the access is refused; the engine
// recovers the panic and turns it into a guest signal. The fast path is a hit
// in the per-kind translation cache for an access that stays inside a page.

// rpage returns the page holding address a for reading. A refused access
// faults at a, the first byte of the access in that page.
func (s *Space) rpage(a uint64) *[PageSize]byte {
	pn := a >> PageShift
	e := &s.rtlb[pn%tlbSize]
	if e.tag == pn+1 {
		return e.data
	}
	r := s.find(a)
	if r == nil {
		panic(&Fault{Addr: a, Access: AccRead, Unmapped: true})
	}
	if r.perm&Read == 0 {
		panic(&Fault{Addr: a, Access: AccRead})
	}
	d := s.contents(pn)
	if s.trace == nil {
		e.tag, e.data = pn+1, d
	}
	return d
}

// wpage returns the page holding address a for writing, like rpage.
func (s *Space) wpage(a uint64) *[PageSize]byte {
	pn := a >> PageShift
	e := &s.wtlb[pn%tlbSize]
	if e.tag == pn+1 {
		return e.data
	}
	r := s.find(a)
	if r == nil {
		panic(&Fault{Addr: a, Access: AccWrite, Unmapped: true})
	}
	if r.perm&Write == 0 {
		panic(&Fault{Addr: a, Access: AccWrite})
	}
	if p := s.pages[pn]; p != nil && p.readOnly {
		panic(&Fault{Addr: a, Access: AccWrite}) // read-only foreign memory
	}
	d := s.writable(pn).data
	if s.trace == nil {
		e.tag, e.data = pn+1, d
	}
	return d
}

// loadSlow assembles a little-endian value of n bytes that may cross pages.
func (s *Space) loadSlow(a uint64, n int) uint64 {
	// Check every page first so a fault is reported at the right address
	// regardless of which byte is unmapped.
	var v uint64
	for i := 0; i < n; i++ {
		ai := a + uint64(i)
		d := s.rpage(ai)
		v |= uint64(d[ai&PageMask]) << (8 * i)
	}
	if s.trace != nil {
		s.trace(a, n, false, v)
	}
	return v
}

func (s *Space) storeSlow(a uint64, n int, v uint64) {
	// Probe both pages before writing anything: a store is all or nothing.
	s.wpage(a)
	if last := a + uint64(n) - 1; last>>PageShift != a>>PageShift {
		s.wpage(last &^ PageMask)
	}
	for i := 0; i < n; i++ {
		ai := a + uint64(i)
		d := s.wpage(ai)
		d[ai&PageMask] = byte(v >> (8 * i))
	}
	if s.trace != nil {
		s.trace(a, n, true, v)
	}
}

// Load8 loads a byte.
func (s *Space) Load8(a uint64) uint8 {
	pn := a >> PageShift
	e := &s.rtlb[pn%tlbSize]
	if e.tag == pn+1 {
		return e.data[a&PageMask]
	}
	return uint8(s.loadSlow(a, 1))
}

// Load16 loads a little-endian 16-bit value.
func (s *Space) Load16(a uint64) uint16 {
	pn, off := a>>PageShift, a&PageMask
	e := &s.rtlb[pn%tlbSize]
	if e.tag == pn+1 && off <= PageSize-2 {
		return binary.LittleEndian.Uint16(e.data[off:])
	}
	return uint16(s.loadSlow(a, 2))
}

// Load32 loads a little-endian 32-bit value.
func (s *Space) Load32(a uint64) uint32 {
	pn, off := a>>PageShift, a&PageMask
	e := &s.rtlb[pn%tlbSize]
	if e.tag == pn+1 && off <= PageSize-4 {
		return binary.LittleEndian.Uint32(e.data[off:])
	}
	return uint32(s.loadSlow(a, 4))
}

// Load64 loads a little-endian 64-bit value.
func (s *Space) Load64(a uint64) uint64 {
	pn, off := a>>PageShift, a&PageMask
	e := &s.rtlb[pn%tlbSize]
	if e.tag == pn+1 && off <= PageSize-8 {
		return binary.LittleEndian.Uint64(e.data[off:])
	}
	return s.loadSlow(a, 8)
}

// Store8 stores a byte.
func (s *Space) Store8(a uint64, v uint8) {
	pn := a >> PageShift
	e := &s.wtlb[pn%tlbSize]
	if e.tag == pn+1 {
		e.data[a&PageMask] = v
		return
	}
	s.storeSlow(a, 1, uint64(v))
}

// Store16 stores a little-endian 16-bit value.
func (s *Space) Store16(a uint64, v uint16) {
	pn, off := a>>PageShift, a&PageMask
	e := &s.wtlb[pn%tlbSize]
	if e.tag == pn+1 && off <= PageSize-2 {
		binary.LittleEndian.PutUint16(e.data[off:], v)
		return
	}
	s.storeSlow(a, 2, uint64(v))
}

// Store32 stores a little-endian 32-bit value.
func (s *Space) Store32(a uint64, v uint32) {
	pn, off := a>>PageShift, a&PageMask
	e := &s.wtlb[pn%tlbSize]
	if e.tag == pn+1 && off <= PageSize-4 {
		binary.LittleEndian.PutUint32(e.data[off:], v)
		return
	}
	s.storeSlow(a, 4, uint64(v))
}

// Store64 stores a little-endian 64-bit value.
func (s *Space) Store64(a uint64, v uint64) {
	pn, off := a>>PageShift, a&PageMask
	e := &s.wtlb[pn%tlbSize]
	if e.tag == pn+1 && off <= PageSize-8 {
		binary.LittleEndian.PutUint64(e.data[off:], v)
		return
	}
	s.storeSlow(a, 8, v)
}

// LoadN loads n (1, 2, 4 or 8) bytes zero-extended.
func (s *Space) LoadN(a uint64, n int) uint64 {
	switch n {
	case 1:
		return uint64(s.Load8(a))
	case 2:
		return uint64(s.Load16(a))
	case 4:
		return uint64(s.Load32(a))
	}
	return s.Load64(a)
}

// StoreN stores the low n (1, 2, 4 or 8) bytes of v.
func (s *Space) StoreN(a uint64, n int, v uint64) {
	switch n {
	case 1:
		s.Store8(a, uint8(v))
	case 2:
		s.Store16(a, uint16(v))
	case 4:
		s.Store32(a, uint32(v))
	default:
		s.Store64(a, v)
	}
}

// LoadBytes fills dst from guest memory at a, with read permission checks;
// it panics with *Fault like the Load functions.
func (s *Space) LoadBytes(a uint64, dst []byte) {
	a0, all := a, dst
	for len(dst) > 0 {
		d := s.rpage(a)
		n := copy(dst, d[a&PageMask:])
		dst = dst[n:]
		a += uint64(n)
	}
	if s.trace != nil && len(all) > 0 {
		s.trace(a0, len(all), false, low8(all))
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
func (s *Space) StoreBytes(a uint64, src []byte) {
	if len(src) == 0 {
		return
	}
	for pn := a >> PageShift; pn <= (a+uint64(len(src))-1)>>PageShift; pn++ {
		s.wpage(max(a, pn<<PageShift))
	}
	a0, all := a, src
	for len(src) > 0 {
		d := s.wpage(a)
		n := copy(d[a&PageMask:], src)
		src = src[n:]
		a += uint64(n)
	}
	if s.trace != nil {
		s.trace(a0, len(all), true, low8(all))
	}
}

// catch runs f and converts a *Fault panic into an error.
func catch(f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if flt, ok := r.(*Fault); ok {
				err = flt
				return
			}
			panic(r)
		}
	}()
	f()
	return nil
}

// Read copies guest memory into dst with read permission checks and returns
// a *Fault error instead of panicking. Used by system calls.
func (s *Space) Read(a uint64, dst []byte) error {
	if a+uint64(len(dst)) < a || a+uint64(len(dst)) > s.Limit {
		return &Fault{Addr: a, Unmapped: true}
	}
	return catch(func() { s.LoadBytes(a, dst) })
}

// Write copies src into guest memory with write permission checks and
// returns a *Fault error instead of panicking. Used by system calls.
func (s *Space) Write(a uint64, src []byte) error {
	if a+uint64(len(src)) < a || a+uint64(len(src)) > s.Limit {
		return &Fault{Addr: a, Access: AccWrite, Unmapped: true}
	}
	return catch(func() { s.StoreBytes(a, src) })
}

// Peek reads guest memory the way a debugger does: it ignores permissions
// and reports false if any byte is unmapped, never faulting.
func (s *Space) Peek(a uint64, dst []byte) bool {
	for len(dst) > 0 {
		if a >= s.Limit {
			return false
		}
		if s.find(a) == nil {
			return false
		}
		n := copy(dst, s.contents(a >> PageShift)[a&PageMask:])
		dst = dst[n:]
		a += uint64(n)
	}
	return true
}

// Poke writes guest memory ignoring permissions (used by the loader and for
// kernel-made data such as the initial stack). It reports false, writing
// nothing, if any byte is unmapped or lies in read-only foreign memory
// (Back); code pages are invalidated.
func (s *Space) Poke(a uint64, src []byte) bool {
	if !s.Mapped(a, uint64(len(src))) || len(src) > 0 && s.readOnlyIn(a, uint64(len(src))) {
		return false
	}
	for len(src) > 0 {
		n := copy(s.writable(a >> PageShift).data[a&PageMask:], src)
		src = src[n:]
		a += uint64(n)
	}
	return true
}

// Fetch copies up to len(dst) instruction bytes at a into dst, stopping at
// the first byte that is unmapped or not executable. It returns the count.
func (s *Space) Fetch(a uint64, dst []byte) int {
	n := 0
	for n < len(dst) {
		if a >= s.Limit {
			break
		}
		if r := s.find(a); r == nil || r.perm&Exec == 0 {
			break
		}
		k := copy(dst[n:], s.contents(a >> PageShift)[a&PageMask:])
		n += k
		a += uint64(k)
	}
	return n
}

// ReadString reads a NUL-terminated string of at most max bytes.
func (s *Space) ReadString(a uint64, max int) (string, error) {
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
