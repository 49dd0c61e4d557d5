package mem

import (
	"encoding/binary"
	"sync"
	"sync/atomic"
	"testing"
)

func TestLockedOps(t *testing.T) {
	s := New(1 << 32)
	v := s.NewView()
	if err := s.Map(0x10000, 2*PageSize, Read|Write); err != nil {
		t.Fatal(err)
	}
	// Every width, aligned, unaligned within a page and across the page
	// boundary; the bytes around the operand stay as they were.
	for _, n := range []int{1, 2, 4, 8} {
		for _, a := range []uint64{0x10100, 0x10203, 0x10fff} { // the last crosses for n > 1
			m := sizeMask(n)
			v.Store64(a-8, 0x5a5a5a5a5a5a5a5a)
			v.Store64(a+uint64(n), 0xa5a5a5a5a5a5a5a5)
			v.StoreN(a, n, 0x8877665544332211&m)
			l := v.LockedAt(a, n)
			if got := l.Load(); got != 0x8877665544332211&m {
				t.Fatalf("n=%d a=%#x: Load %#x", n, a, got)
			}
			if prev := l.Xadd(0xff); prev != 0x8877665544332211&m || v.LoadN(a, n) != (0x8877665544332211+0xff)&m {
				t.Fatalf("n=%d a=%#x: Xadd prev %#x, now %#x", n, a, prev, v.LoadN(a, n))
			}
			if prev := l.Swap(0x0102030405060708); prev != (0x8877665544332211+0xff)&m || v.LoadN(a, n) != 0x0102030405060708&m {
				t.Fatalf("n=%d a=%#x: Swap prev %#x, now %#x", n, a, prev, v.LoadN(a, n))
			}
			if prev := l.CompareAndSwap(1, 2); prev != 0x0102030405060708&m || v.LoadN(a, n) != 0x0102030405060708&m {
				t.Fatalf("n=%d a=%#x: failed CAS prev %#x, now %#x", n, a, prev, v.LoadN(a, n))
			}
			if prev := l.CompareAndSwap(0x0102030405060708&m, 0xfedcba9876543210&m); prev != 0x0102030405060708&m || v.LoadN(a, n) != 0xfedcba9876543210&m {
				t.Fatalf("n=%d a=%#x: CAS prev %#x, now %#x", n, a, prev, v.LoadN(a, n))
			}
			if v.Load64(a-8) != 0x5a5a5a5a5a5a5a5a || v.Load64(a+uint64(n)) != 0xa5a5a5a5a5a5a5a5 {
				t.Fatalf("n=%d a=%#x: neighbours changed: %#x %#x", n, a, v.Load64(a-8), v.Load64(a+uint64(n)))
			}
		}
	}
}

func TestLockedFaults(t *testing.T) {
	s := New(1 << 32)
	v := s.NewView()
	s.Map(0x20000, PageSize, Read)
	s.Map(0x30000, PageSize, Read|Write)
	s.Map(0x31000, PageSize, Read)
	// A read-only page: a write fault at the operand, as a store.
	if f := catchFault(func() { v.LockedAt(0x20010, 4) }); f == nil || f.Access != AccWrite || f.Unmapped || f.Addr != 0x20010 {
		t.Fatalf("read-only: %+v", f)
	}
	if f := catchFault(func() { v.LockedAt(0x50000, 8) }); f == nil || f.Access != AccWrite || !f.Unmapped || f.Addr != 0x50000 {
		t.Fatalf("unmapped: %+v", f)
	}
	// Across a writable and a read-only page: the fault is at the second
	// page and nothing is written.
	v.Store64(0x30ff8, 0x1111111111111111)
	if f := catchFault(func() { v.LockedAt(0x30ffc, 8).Swap(0) }); f == nil || f.Access != AccWrite || f.Addr != 0x31000 {
		t.Fatalf("crossing: %+v", f)
	}
	if got := v.Load64(0x30ff8); got != 0x1111111111111111 {
		t.Fatalf("partial write: %#x", got)
	}
	if f := catchFault(func() { v.CmpXchg16(0x20000, 0, 0, 1, 1) }); f == nil || f.Access != AccWrite || f.Addr != 0x20000 {
		t.Fatalf("CmpXchg16 read-only: %+v", f)
	}
}

func TestLockedCodeAndTrace(t *testing.T) {
	s := New(1 << 32)
	v := s.NewView()
	s.Map(0x10000, PageSize, Read|Write|Exec)
	var code []uint64
	s.OnCodeWrite = func(a uint64) { code = append(code, a) }
	s.MarkCode(0x10000)
	v.LockedAt(0x10040, 4)
	if len(code) != 1 || code[0] != 0x10000 {
		t.Fatalf("code writes %#x", code)
	}
	type acc struct {
		a     uint64
		n     int
		store bool
		v     uint64
	}
	var got []acc
	v.SetTracer(func(a uint64, n int, store bool, v uint64) { got = append(got, acc{a, n, store, v}) })
	v.LockedAt(0x10040, 2).Xadd(0x10001) // 16 bits: 0 + 1
	l := v.LockedAt(0x10041, 1)
	l.CompareAndSwap(0, 7)
	l.Report(0, 7)
	v.CmpXchg16(0x10080, 0, 0, 5, 6)
	v.SetTracer(nil)
	want := []acc{{0x10040, 2, false, 0}, {0x10040, 2, true, 1}, {0x10041, 1, false, 0}, {0x10041, 1, true, 7},
		{0x10080, 16, false, 0}, {0x10080, 16, true, 5}}
	if len(got) != len(want) {
		t.Fatalf("trace %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("trace[%d] = %+v, want %+v", i, got[i], want[i])
		}
	}
	if v.Load64(0x10080) != 5 || v.Load64(0x10088) != 6 || v.Load16(0x10040) != 0x0701 {
		t.Fatalf("memory %#x %#x %#x", v.Load64(0x10080), v.Load64(0x10088), v.Load16(0x10040))
	}
}

// TestAtomicConcurrent has goroutines add to shared counters (unaligned,
// and across a page boundary) with Xadd and CompareAndSwap loops, and a
// 128-bit one with CmpXchg16, while another stores to the bytes around
// them: the totals are exact and the neighbours' last values survive.
func TestAtomicConcurrent(t *testing.T) {
	s := New(1 << 32)
	v := s.NewView()
	s.Map(0x10000, 2*PageSize, Read|Write)
	const (
		xaddAt = 0x10101 // 4 bytes, unaligned
		casAt  = 0x10203 // 8 bytes, unaligned
		crossA = 0x10ffe // 4 bytes across the pages
		wideAt = 0x10400 // 16 bytes
	)
	// Fill the translation caches of both pages before the goroutines
	// share them (until each thread has a view of its own).
	v.Store8(0x10000, 0)
	v.Store8(0x11000, 0)
	v.Load8(0x10000)
	v.Load8(0x11000)
	const workers, iters = 4, 50000
	var wg sync.WaitGroup
	start := make(chan struct{})
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			v.Store8(xaddAt-1, uint8(i))
			v.Store8(xaddAt+4, uint8(i))
			v.Store8(casAt-1, uint8(i))
			v.Store8(casAt+8, uint8(i))
			v.Store8(wideAt+16, uint8(i))
		}
	}()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for i := 0; i < iters; i++ {
				v.LockedAt(xaddAt, 4).Xadd(1)
				l := v.LockedAt(casAt, 8)
				for old := l.Load(); ; {
					prev := l.CompareAndSwap(old, old+3)
					if prev == old {
						break
					}
					old = prev
				}
				v.LockedAt(crossA, 4).Xadd(2)
				lo, hi := v.CmpXchg16(wideAt, 0, 0, 0, 0)
				for {
					nlo, nhi := lo+1, hi+1
					plo, phi := v.CmpXchg16(wideAt, lo, hi, nlo, nhi)
					if plo == lo && phi == hi {
						break
					}
					lo, hi = plo, phi
				}
			}
		}()
	}
	close(start)
	wg.Wait()
	close(stop)
	<-done
	const total = workers * iters
	if got := v.Load32(xaddAt); got != total {
		t.Errorf("xadd counter %d, want %d", got, total)
	}
	if got := v.Load64(casAt); got != 3*total {
		t.Errorf("cas counter %d, want %d", got, 3*total)
	}
	if got := v.Load32(crossA); got != 2*total {
		t.Errorf("crossing counter %d, want %d", got, 2*total)
	}
	if lo, hi := v.Load64(wideAt), v.Load64(wideAt+8); lo != total || hi != total {
		t.Errorf("128-bit counter %d:%d, want %d:%d", hi, lo, total, total)
	}
	last := v.Load8(xaddAt - 1)
	if v.Load8(xaddAt+4) != last || v.Load8(casAt-1) != last || v.Load8(casAt+8) != last || v.Load8(wideAt+16) != last {
		t.Errorf("neighbour bytes lost a store: %#x %#x %#x %#x %#x", last, v.Load8(xaddAt+4), v.Load8(casAt-1), v.Load8(casAt+8), v.Load8(wideAt+16))
	}
}

// TestLockedCrossingExclusive: locked operands across a page boundary run
// in exclusive sections, so they are atomic against what running vCPUs do
// to the same bytes meanwhile, here a locked 16-bit add to the operand's
// upper half (one host instruction on the second page): two vCPUs
// increment a 4-byte counter at the boundary by compare-and-swap loops
// and by Xadd, a third adds 1<<16 through its upper half; the total is
// exact. A lock ordering the crossing operations only among themselves
// loses some of the third vCPU's adds.
func TestLockedCrossingExclusive(t *testing.T) {
	s := New(1 << 32)
	if err := s.Map(0x10000, 2*PageSize, Read|Write); err != nil {
		t.Fatal(err)
	}
	const at = 0x10ffe // bytes 0x10ffe..0x11001
	const n = 50000
	var left [3]atomic.Int64
	left[0].Store(n)
	left[1].Store(n)
	left[2].Store(4 * n)
	c := []*vcpu{
		startVCPU(s, func(v *View) bool {
			l := v.LockedAt(at, 4)
			for old := l.Load(); ; {
				prev := l.CompareAndSwap(old, old+1)
				if prev == old {
					break
				}
				old = prev
			}
			return left[0].Add(-1) > 0
		}),
		startVCPU(s, func(v *View) bool {
			v.LockedAt(at, 4).Xadd(1)
			return left[1].Add(-1) > 0
		}),
		startVCPU(s, func(v *View) bool {
			v.LockedAt(at+2, 2).Xadd(1)
			return left[2].Add(-1) > 0
		}),
	}
	for _, v := range c {
		<-v.done
	}
	var b [4]byte
	s.Peek(at, b[:])
	if got, want := binary.LittleEndian.Uint32(b[:]), uint32((2*n+4*n<<16)&0xffffffff); got != want {
		t.Fatalf("counter %#x, want %#x", got, want)
	}
}
