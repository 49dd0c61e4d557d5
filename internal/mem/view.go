package mem

import "sync/atomic"

// Views and exclusive sections.
//
// Each vCPU accesses the space through a View: its own direct-mapped
// translation caches (page number -> page data, one for loads, one for
// stores) in front of the space's locked lookups. A view uses its caches
// without any lock, so nothing else may change them while it does: a vCPU
// marks the stretches in which it runs guest code with Enter and Leave,
// and a change to the space that makes cached translations stale (unmap,
// protect, move, discard, new contents for a page, a code mark) runs in an
// exclusive section (Exclusive), which waits until no view is running,
// asking the running ones to stop at their next block boundary (SetKick),
// and keeps them from entering until it ends. Inside it the change flushes
// every view's entries for its range. While no other view runs (a
// single-threaded guest, or a guest whose other threads wait in system
// calls) the section costs a lock and a few atomic operations, no waiting.
//
// This is the scheme of QEMU's start_exclusive/cpu_exec_start in user
// mode: the common path (a running vCPU's loads and stores) pays nothing,
// and the rare one (munmap, mprotect) stops the world briefly.

// View is one vCPU's access to a Space. Its Load, Store and related
// methods are for the goroutine running that vCPU; the Space's methods
// (promoted: Read, Write, Map, PermAt...) work from any goroutine.
type View struct {
	*Space

	// rtlb and wtlb are the caches in use: the view's own, or emptyTLB
	// while tracing.
	rtlb, wtlb *[tlbSize]tlbEntry
	trace      Tracer

	// running is set between Enter and Leave. Written by the view's
	// goroutine, read by exclusive sections.
	running atomic.Bool
	// kick asks the view's vCPU to Leave soon (guarded by cmu).
	kick func()
	// bit is the view's bit in the pages' zeroBy masks: its own, or
	// sharedBit.
	bit    uint64
	closed bool

	rtlbMain, wtlbMain [tlbSize]tlbEntry

	// sys is the translation state of a system-mode view (mmu.go), nil
	// in user mode: the miss and slow paths test it. (Last, so that the
	// caches keep their offsets and alignment.)
	sys *sysState
}

// sharedBit is the zeroBy bit of the views that found no bit of their own
// free: a zero translation it records is shot down whichever view gives
// the page data. (A bit freed by Close may still be recorded in pages;
// that only costs its next owner a shootdown.)
const sharedBit = 1 << 63

// NewView returns a new view of s for a vCPU, not running (Enter) and
// with empty caches. It must not be called from the goroutine of a
// running view (it waits in an exclusive section).
func (s *Space) NewView() *View {
	v := &View{Space: s}
	v.rtlb, v.wtlb = &v.rtlbMain, &v.wtlbMain
	if s.phys != nil {
		v.sys = newSysState(v, s.phys)
	}
	s.Exclusive(func() {
		v.bit = sharedBit
		if free := ^s.usedBits &^ sharedBit; free != 0 {
			v.bit = free & -free
			s.usedBits |= v.bit
		}
		s.views = append(s.views, v)
		if len(s.views) > 1 {
			s.mu.Lock()
			if !s.multi {
				// From now on read translations of zeroPage are
				// recorded (page.zeroBy); forget those made before.
				s.multi = true
				for _, o := range s.views {
					o.flushZero()
				}
			}
			s.mu.Unlock()
		}
	})
	return v
}

// Close unregisters the view of a vCPU that has ended; the view must not
// be used afterwards. It must be called by the vCPU's own goroutine, or
// once that goroutine no longer uses the view.
func (v *View) Close() {
	v.Leave()
	s := v.Space
	s.Exclusive(func() {
		if v.closed {
			return
		}
		v.closed = true
		s.usedBits &^= v.bit &^ sharedBit
		for i, o := range s.views {
			if o == v {
				s.views = append(s.views[:i:i], s.views[i+1:]...)
				break
			}
		}
	})
}

// SetKick sets the function an exclusive section calls to make the view's
// vCPU, while it runs, leave (call Leave, or Enter again, which waits) as
// soon as it can, such as at its next block boundary. It is called from
// another goroutine, with an internal lock held: it must only signal, not
// wait nor call into the space.
func (v *View) SetKick(f func()) {
	v.cmu.Lock()
	v.kick = f
	v.cmu.Unlock()
}

// Enter marks the start of a stretch in which the view's vCPU runs guest
// code, using its caches. It waits while an exclusive section is pending
// or running; when it returns, the caches hold no stale translation.
func (v *View) Enter() {
	v.running.Store(true)
	if v.excl.Load() {
		v.enterSlow()
	}
}

func (v *View) enterSlow() {
	s := v.Space
	s.cmu.Lock()
	if s.excl.Load() {
		v.running.Store(false)
		s.cond.Broadcast()
		for s.excl.Load() {
			s.cond.Wait()
		}
		v.running.Store(true)
	}
	s.cmu.Unlock()
}

// Leave marks the end of a stretch begun by Enter: the vCPU stops using
// its caches (a system call, a signal, the end of the run loop) until it
// enters again. The space's own methods may be used meanwhile.
func (v *View) Leave() {
	v.running.Store(false)
	if v.excl.Load() {
		v.leaveSlow()
	}
}

// leaveSlow wakes an exclusive section waiting for the view to leave.
func (v *View) leaveSlow() {
	s := v.Space
	s.cmu.Lock()
	s.cond.Broadcast()
	s.cmu.Unlock()
}

// Exclusive runs f while no view is running: it waits for the running
// views to leave, kicking them (SetKick), keeps every view from entering
// until f returns, and serializes with other exclusive sections. It must
// not be called from the goroutine of a running view (which would wait
// for itself): that vCPU must Leave first.
func (s *Space) Exclusive(f func()) {
	s.cmu.Lock()
	for s.excl.Load() {
		s.cond.Wait()
	}
	s.excl.Store(true)
	for _, v := range s.views {
		if v.running.Load() && v.kick != nil {
			v.kick()
		}
	}
	for s.anyRunning() {
		s.cond.Wait()
	}
	s.cmu.Unlock()
	defer func() {
		s.cmu.Lock()
		s.excl.Store(false)
		s.cond.Broadcast()
		s.cmu.Unlock()
	}()
	f()
}

// exclusiveFrom is Exclusive called by the vCPU of view self (nil: by no
// vCPU), which leaves for the section if it was running.
func (s *Space) exclusiveFrom(self *View, f func()) {
	if self == nil || !self.running.Load() {
		s.Exclusive(f)
		return
	}
	self.Leave()
	s.Exclusive(f)
	self.Enter()
}

func (s *Space) anyRunning() bool {
	for _, v := range s.views {
		if v.running.Load() {
			return true
		}
	}
	return false
}

// change runs f, a change to the space that may make translations stale,
// in an exclusive section with mu held for writing; the code marks it
// drops are reported once mu is released, still inside the section.
func (s *Space) change(f func()) {
	s.Exclusive(func() {
		s.mu.Lock()
		f()
		s.unlock()
	})
}

// Tracer observes guest data accesses while tracing is on: the address, the
// size in bytes, whether it is a store, and the value (low 8 bytes).
type Tracer func(addr uint64, size int, store bool, value uint64)

// SetTracer turns access tracing on (t != nil) or off for the view. While
// on, every Load and Store reports to t after it succeeds. Tracing is
// meant to be switched on around single instrumented instructions.
func (v *View) SetTracer(t Tracer) {
	v.trace = t
	v.selectTLB()
}

// flushR drops the view's read translation of page pn. Like the other
// flushes, it is called by the view's goroutine or inside an exclusive
// section.
func (v *View) flushR(pn uint64) {
	if e := &v.rtlbMain[pn%tlbSize]; e.tag == pn+1 {
		*e = tlbEntry{}
	}
}

// flushW drops the view's write translation of page pn.
func (v *View) flushW(pn uint64) {
	if e := &v.wtlbMain[pn%tlbSize]; e.tag == pn+1 {
		*e = tlbEntry{}
	}
}

// flushPages drops the view's translations of pages [first, end): page by
// page for a small range, else by a scan of the caches, so that changing
// a huge mapping costs no more than the caches' size.
func (v *View) flushPages(first, end uint64) {
	if end-first <= tlbSize {
		for pn := first; pn < end; pn++ {
			v.flushR(pn)
			v.flushW(pn)
		}
		return
	}
	for _, t := range [2]*[tlbSize]tlbEntry{&v.rtlbMain, &v.wtlbMain} {
		for i := range t {
			if pn := t[i].tag - 1; t[i].tag != 0 && pn >= first && pn < end {
				t[i] = tlbEntry{}
			}
		}
	}
}

// flushZero drops the view's read translations of never-written pages.
func (v *View) flushZero() {
	for i := range v.rtlbMain {
		if v.rtlbMain[i].data == &zeroPage {
			v.rtlbMain[i] = tlbEntry{}
		}
	}
}

// flushAll drops every view's translations of pages [first, end); the
// caller is in an exclusive section.
func (s *Space) flushAll(first, end uint64) {
	for _, v := range s.views {
		v.flushPages(first, end)
	}
}

// flushRRange drops the view's read translations of pages [first, end).
func (v *View) flushRRange(first, end uint64) {
	if end-first <= tlbSize {
		for pn := first; pn < end; pn++ {
			v.flushR(pn)
		}
		return
	}
	for i := range v.rtlbMain {
		if e := &v.rtlbMain[i]; e.tag != 0 && e.tag-1 >= first && e.tag-1 < end {
			*e = tlbEntry{}
		}
	}
}
