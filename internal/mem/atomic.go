package mem

import "unsafe"

// Atomic guest read-modify-writes: LOCK-prefixed instructions, XCHG with
// memory, CMPXCHG8B/16B. An access within one page is one locked host
// instruction of the guest's width on the page's bytes (atomic_amd64.s),
// so it is atomic against every other thread touching those bytes, with
// plain stores or locked ones, as on hardware (where an unaligned locked
// access is atomic too). An access that crosses a page boundary cannot be
// one host instruction: it runs in an exclusive section of the address
// space (no other vCPU runs meanwhile), which is slow but rare.
//
// Each access first checks write permission and faults exactly as a store
// to the same bytes would (a locked read-modify-write needs write access:
// at the first byte, or at the second page's first byte, with nothing
// written), and while tracing reports one load and one store.

// Locked is the memory operand of one locked read-modify-write, its write
// permission checked. Obtain it with LockedAt, then either Xadd or Swap
// (complete operations), or a compare-and-swap loop: Load, compute,
// CompareAndSwap, repeat with the value it returns until it succeeds, then
// Report. It holds no lock and lives for one instruction.
type Locked struct {
	p unsafe.Pointer // host address of the operand; nil if it crosses a page
	v *View
	a uint64
	n int
}

// LockedAt checks that the n bytes (1, 2, 4 or 8) at a may be stored to,
// faulting as StoreN would (code pages lose their translations first, as
// for a store), and returns them as a locked operand.
func (v *View) LockedAt(a uint64, n int) Locked {
	pn, off := a>>PageShift, a&PageMask
	if e := &v.wtlb[pn%tlbSize]; e.tag == pn+1 && off <= PageSize-uint64(n) {
		return Locked{p: unsafe.Pointer(&e.data[off]), v: v, a: a, n: n}
	}
	if v.sys != nil {
		return v.sysLockedAt(a, n)
	}
	d := v.wpage(a)
	if off <= PageSize-uint64(n) {
		return Locked{p: unsafe.Pointer(&d[off]), v: v, a: a, n: n}
	}
	v.wpage((a + uint64(n) - 1) &^ PageMask)
	return Locked{v: v, a: a, n: n}
}

// Load returns the operand's current value, read in one access (for a
// compare-and-swap loop's first attempt; not reported to the tracer).
func (l Locked) Load() uint64 {
	switch {
	case l.p == nil:
		return l.v.crossLoad(l.a, l.n) // a first guess: CompareAndSwap checks it
	case l.n == 1:
		return load8(l.p)
	case l.n == 2:
		return load16(l.p)
	case l.n == 4:
		return load32(l.p)
	}
	return load64(l.p)
}

// CompareAndSwap stores new if the operand holds old, atomically, and
// returns the value it held: the swap happened if and only if that is old.
// It reports nothing to the tracer (Report does, once the loop is done).
func (l Locked) CompareAndSwap(old, new uint64) (prev uint64) {
	switch {
	case l.p == nil:
		l.v.exclusiveRMW(l.a, l.n, func(b []byte) bool {
			prev = leBytes(b)
			if prev != old {
				return false
			}
			putLE(b, new)
			return true
		})
		return prev
	case l.n == 1:
		return lockCas8(l.p, old, new)
	case l.n == 2:
		return lockCas16(l.p, old, new)
	case l.n == 4:
		return lockCas32(l.p, old, new)
	}
	return lockCas64(l.p, old, new)
}

// Xadd adds v to the operand atomically (LOCK XADD) and returns the old
// value; it reports the load and the store.
func (l Locked) Xadd(v uint64) (prev uint64) {
	switch {
	case l.p == nil:
		l.v.exclusiveRMW(l.a, l.n, func(b []byte) bool {
			prev = leBytes(b)
			putLE(b, prev+v)
			return true
		})
	case l.n == 1:
		prev = lockXadd8(l.p, v)
	case l.n == 2:
		prev = lockXadd16(l.p, v)
	case l.n == 4:
		prev = lockXadd32(l.p, v)
	default:
		prev = lockXadd64(l.p, v)
	}
	if l.v.trace != nil {
		l.Report(prev, prev+v)
	}
	return prev
}

// Swap stores v in the operand atomically (XCHG) and returns the old
// value; it reports the load and the store.
func (l Locked) Swap(v uint64) (prev uint64) {
	switch {
	case l.p == nil:
		l.v.exclusiveRMW(l.a, l.n, func(b []byte) bool {
			prev = leBytes(b)
			putLE(b, v)
			return true
		})
	case l.n == 1:
		prev = lockXchg8(l.p, v)
	case l.n == 2:
		prev = lockXchg16(l.p, v)
	case l.n == 4:
		prev = lockXchg32(l.p, v)
	default:
		prev = lockXchg64(l.p, v)
	}
	if l.v.trace != nil {
		l.Report(prev, v)
	}
	return prev
}

// Report tells the tracer, if one is on, that the operand was loaded
// (old) and stored (new), as an unlocked read-modify-write reports it.
func (l Locked) Report(old, new uint64) {
	if t := l.v.trace; t != nil {
		m := sizeMask(l.n)
		t(l.a, l.n, false, old&m)
		t(l.a, l.n, true, new&m)
	}
}

func sizeMask(n int) uint64 {
	if n >= 8 {
		return ^uint64(0)
	}
	return 1<<(8*n) - 1
}

// crossLoad reads the bytes of an operand crossing a page boundary,
// whose pages LockedAt made writable: not atomically, a first guess for a
// compare-and-swap loop.
//
//go:norace
func (v *View) crossLoad(a uint64, n int) uint64 {
	if v.sys != nil {
		return v.access(a, n, false, 0, v.sys.user)
	}
	var x uint64
	for i := 0; i < n; i++ {
		ai := a + uint64(i)
		x |= uint64(v.wpage(ai)[ai&PageMask]) << (8 * i)
	}
	return x
}

// exclusiveRMW is a read-modify-write of the n bytes (up to 16) at a that
// cannot be one host instruction (they cross a page boundary, or are not
// one aligned host location), whose pages LockedAt made writable. It runs
// in an exclusive section, so no other vCPU touches memory meanwhile: f
// gets a copy of the bytes and says whether to store it back. Should the
// pages have changed since LockedAt (unmapped, protected, discarded, given
// a code mark by another thread), the section ends without calling f,
// LockedAt runs again (faulting, or making the pages writable once more)
// and so does the section: nothing that could wait for an exclusive
// section itself runs inside it.
func (v *View) exclusiveRMW(a uint64, n int, f func(b []byte) bool) {
	if v.sys != nil {
		v.sysRMW(a, n, f)
		return
	}
	s := v.Space
	for {
		done := false
		s.exclusiveFrom(v, func() {
			var pages [2]*[PageSize]byte
			if !s.writableNow(a, n, &pages) {
				return
			}
			var buf [16]byte
			b := buf[:n]
			copyOut(b, a, &pages)
			if f(b) {
				copyIn(a, b, &pages)
			}
			done = true
		})
		if done {
			return
		}
		for _, pa := range [2]uint64{a, a + uint64(n) - 1} {
			v.wpage(pa) // faults as a store would, or readies the page again
		}
	}
}

// writableNow fills pages with the data of the (one or two) pages under the
// n bytes at a if a store could go ahead without any change to the space:
// mapped writable, with data, no code mark, not read-only foreign memory.
func (s *Space) writableNow(a uint64, n int, pages *[2]*[PageSize]byte) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	first := a >> PageShift
	for _, pa := range [2]uint64{a, a + uint64(n) - 1} {
		r := s.find(pa)
		if r == nil || r.perm&Write == 0 {
			return false
		}
		p := s.pages[pa>>PageShift]
		if p == nil || p.data == nil || p.code || p.readOnly {
			return false
		}
		pages[pa>>PageShift-first] = p.data
	}
	return true
}

//go:norace
func copyOut(b []byte, a uint64, pages *[2]*[PageSize]byte) {
	first := a >> PageShift
	for i := range b {
		ai := a + uint64(i)
		b[i] = pages[ai>>PageShift-first][ai&PageMask]
	}
}

//go:norace
func copyIn(a uint64, b []byte, pages *[2]*[PageSize]byte) {
	first := a >> PageShift
	for i := range b {
		ai := a + uint64(i)
		pages[ai>>PageShift-first][ai&PageMask] = b[i]
	}
}

// leBytes and putLE convert between a little-endian operand of up to 8
// bytes and its value.
func leBytes(b []byte) uint64 {
	var x uint64
	for i := len(b) - 1; i >= 0; i-- {
		x = x<<8 | uint64(b[i])
	}
	return x
}

func putLE(b []byte, x uint64) {
	for i := range b {
		b[i] = byte(x >> (8 * i))
	}
}

// CmpXchg16 is CMPXCHG16B on the 16 bytes at a, which should be 16-byte
// aligned (the instruction's #GP is the caller's): if they hold old (low
// quadword first) they receive new, atomically. It returns what they
// held, faults as a 16-byte store would, and reports a load and a store
// (of the low quadwords) to the tracer.
func (v *View) CmpXchg16(a uint64, oldLo, oldHi, newLo, newHi uint64) (lo, hi uint64) {
	l0 := v.LockedAt(a, 8)
	l1 := v.LockedAt(a+8, 8)
	if l0.p != nil && l1.p != nil && uintptr(l0.p)&15 == 0 && uintptr(l1.p) == uintptr(l0.p)+8 {
		lo, hi = lockCas128(l0.p, oldLo, oldHi, newLo, newHi)
	} else {
		// Not one aligned host location (a misaligned guest address):
		// in an exclusive section, like an access crossing pages.
		v.exclusiveRMW(a, 16, func(b []byte) bool {
			lo, hi = leBytes(b[:8]), leBytes(b[8:])
			if lo != oldLo || hi != oldHi {
				return false
			}
			putLE(b[:8], newLo)
			putLE(b[8:], newHi)
			return true
		})
	}
	if t := v.trace; t != nil {
		stored := lo
		if lo == oldLo && hi == oldHi {
			stored = newLo
		}
		t(a, 16, false, lo)
		t(a, 16, true, stored)
	}
	return lo, hi
}
