package mem

import (
	"bytes"
	"reflect"
	"runtime"
	"testing"
	"time"
)

const tib = uint64(1) << 40

// reserve64TiB reserves 64 TiB as a sanitizer or a JVM does, makes three
// pages in its middle read-write and writes them, and returns the space.
func reserve64TiB(t testing.TB) (*Space, uint64) {
	s := New(1 << 47)
	v := s.NewView()
	base := uint64(0x100000000000) // 16 TiB
	if err := s.Map(base, 64*tib, 0); err != nil {
		t.Fatal(err)
	}
	mid := base + 32*tib
	if err := s.Protect(mid, 3*PageSize, Read|Write); err != nil {
		t.Fatal(err)
	}
	for i := uint64(0); i < 3; i++ {
		v.Store64(mid+i*PageSize+8, 0x1000+i)
	}
	return s, base
}

// TestReserve64TiB checks that a huge reservation costs neither time nor
// memory in proportion to its size: mapping and unmapping 64 TiB (16 G
// pages), then protecting parts of it, using, snapshotting, unmapping and
// mapping it again.
func TestReserve64TiB(t *testing.T) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	s0 := New(1 << 47)
	if err := s0.Map(0x100000000000, 64*tib, 0); err != nil {
		t.Fatal(err)
	}
	s0.Unmap(0x100000000000, 64*tib)
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("mmap + munmap of 64 TiB: %v, %d bytes allocated (with the Space and its caches)", elapsed, alloc)
	// Page by page, 16 G pages would take hours and gigabytes; the time
	// bound leaves a wide margin for a loaded machine.
	if elapsed > 50*time.Millisecond {
		t.Errorf("took %v, want < 50ms", elapsed)
	}
	if alloc > 4<<20 {
		t.Errorf("allocated %d bytes, want < 4 MB", alloc)
	}

	runtime.ReadMemStats(&before)
	start = time.Now()
	s, base := reserve64TiB(t)
	v := s.NewView()
	mid := base + 32*tib
	if got := len(s.Regions()); got != 3 {
		t.Fatalf("%d regions after mprotect of the middle, want 3", got)
	}
	if got := v.Load64(mid + PageSize + 8); got != 0x1001 {
		t.Fatalf("load from the read-write part = %#x", got)
	}
	if f := catchFault(func() { v.Load8(mid + 3*PageSize) }); f == nil || f.Unmapped || f.Addr != mid+3*PageSize {
		t.Fatalf("load from the reservation: fault %+v, want a protection fault", f)
	}
	if f := catchFault(func() { v.Load8(base - 1) }); f == nil || !f.Unmapped {
		t.Fatalf("load below the reservation: fault %+v, want unmapped", f)
	}
	// Unmapping the first half and a page in the middle, then the whole.
	s.Unmap(base, 32*tib)
	s.Unmap(mid+PageSize, PageSize)
	if s.Mapped(base, PageSize) || !s.Mapped(mid, PageSize) || s.Mapped(mid+PageSize, 1) {
		t.Fatal("partial unmaps")
	}
	if got := v.Load64(mid + 2*PageSize + 8); got != 0x1002 {
		t.Fatalf("page after a partial unmap = %#x", got)
	}
	var snap bytes.Buffer
	if err := s.Snapshot(&snap, nil); err != nil {
		t.Fatal(err)
	}
	if snap.Len() > 4*PageSize {
		t.Errorf("snapshot of a reservation with 2 written pages is %d bytes", snap.Len())
	}
	s.Unmap(base, 64*tib)
	if len(s.Regions()) != 0 || len(s.pages) != 0 {
		t.Fatalf("after unmapping everything: %d regions, %d pages", len(s.Regions()), len(s.pages))
	}
	if err := s.Map(base, 64*tib, 0); err != nil {
		t.Fatal(err)
	}
	if a, ok := s.FindFreeDown(0x10000, 1<<47, 32*tib); !ok || a != 1<<47-32*tib {
		t.Fatalf("FindFreeDown of 32 TiB above the reservation = %#x, %v", a, ok)
	}
	if a, ok := s.FindFreeDown(0x10000, 1<<47, 64*tib); ok {
		t.Fatalf("FindFreeDown found 64 TiB free at %#x beside a 64 TiB reservation in 128 TiB", a)
	}

	elapsed = time.Since(start)
	runtime.ReadMemStats(&after)
	alloc = after.TotalAlloc - before.TotalAlloc
	t.Logf("64 TiB reserve, mprotect, use, snapshot, unmap, reserve again: %v, %d bytes allocated", elapsed, alloc)
	if elapsed > time.Second {
		t.Errorf("took %v, want < 1s", elapsed)
	}
	if alloc > 4<<20 {
		t.Errorf("allocated %d bytes, want < 4 MB", alloc)
	}
}

// A forked child receives a reservation in a few bytes.
func TestSnapshotReservation(t *testing.T) {
	s, base := reserve64TiB(t)
	var buf bytes.Buffer
	start := time.Now()
	if err := s.Snapshot(&buf, nil); err != nil {
		t.Fatal(err)
	}
	size := buf.Len()
	r, err := Restore(&buf, nil)
	if err != nil {
		t.Fatal(err)
	}
	rv := r.NewView()
	t.Logf("snapshot and restore of a 64 TiB reservation: %d bytes, %v", size, time.Since(start))
	if !reflect.DeepEqual(r.Regions(), s.Regions()) {
		t.Fatalf("regions %+v, want %+v", r.Regions(), s.Regions())
	}
	mid := base + 32*tib
	if rv.Load64(mid+2*PageSize+8) != 0x1002 || len(r.pages) != 3 {
		t.Fatalf("restored contents: %#x, %d pages", rv.Load64(mid+2*PageSize+8), len(r.pages))
	}
	if p, ok := r.PermAt(base + 63*tib); !ok || p != 0 {
		t.Fatalf("restored reservation: perm %v, mapped %v", p, ok)
	}
}

func TestRegionsSplitAndMerge(t *testing.T) {
	s := New(1 << 32)
	s.Map(0x10000, 8*PageSize, Read|Write)
	s.Map(0x18000, 2*PageSize, Read|Write) // adjacent, same: merges
	want := []Region{{0x10000, 0x1a000, Read | Write}}
	if got := s.Regions(); !reflect.DeepEqual(got, want) {
		t.Fatalf("after two adjacent maps: %+v", got)
	}
	s.Protect(0x12000, 2*PageSize, Read)
	want = []Region{{0x10000, 0x12000, Read | Write}, {0x12000, 0x14000, Read}, {0x14000, 0x1a000, Read | Write}}
	if got := s.Regions(); !reflect.DeepEqual(got, want) {
		t.Fatalf("after mprotect of the middle: %+v", got)
	}
	s.Protect(0x12000, 2*PageSize, Read|Write)
	if got := len(s.Regions()); got != 1 {
		t.Fatalf("%d regions after restoring the permission, want 1", got)
	}
	s.Unmap(0x13000, PageSize)
	want = []Region{{0x10000, 0x13000, Read | Write}, {0x14000, 0x1a000, Read | Write}}
	if got := s.Regions(); !reflect.DeepEqual(got, want) {
		t.Fatalf("after unmapping a page: %+v", got)
	}
	s.Map(0x11000, 4*PageSize, Read) // over the hole and both sides
	want = []Region{{0x10000, 0x11000, Read | Write}, {0x11000, 0x15000, Read}, {0x15000, 0x1a000, Read | Write}}
	if got := s.Regions(); !reflect.DeepEqual(got, want) {
		t.Fatalf("after a map across the hole: %+v", got)
	}
	// Protect fails on a hole and changes nothing.
	s.Unmap(0x16000, PageSize)
	if err := s.Protect(0x15000, 3*PageSize, Read); err == nil || err.(*Fault).Addr != 0x16000 {
		t.Fatalf("Protect across a hole: %v", err)
	}
	if p, _ := s.PermAt(0x15000); p != Read|Write {
		t.Fatalf("failed Protect changed a permission: %v", p)
	}
}

func TestMove(t *testing.T) {
	s := New(1 << 32)
	v := s.NewView()
	s.Map(0x10000, 4*PageSize, Read|Write)
	s.Protect(0x12000, PageSize, Read)
	v.Store32(0x10004, 11)
	s.Poke(0x12008, []byte{22})
	s.Map(0x80000, PageSize, Read|Exec)
	s.Poke(0x80000, []byte{0x90})
	s.MarkCode(0x80000)
	var code []uint64
	s.OnCodeWrite = func(a uint64) { code = append(code, a) }
	if v.Load32(0x10004) != 11 { // cache the source page
		t.Fatal("store lost")
	}
	if err := s.Move(0x10000, 0x7e000, 4*PageSize); err != nil {
		t.Fatal(err)
	}
	if s.Mapped(0x10000, 1) {
		t.Fatal("the source is still mapped")
	}
	if v.Load32(0x7e004) != 11 || v.Load8(0x80008) != 22 || v.Load8(0x80000) != 0 {
		t.Fatalf("moved contents: %d %d %d", v.Load32(0x7e004), v.Load8(0x80008), v.Load8(0x80000))
	}
	if p, _ := s.PermAt(0x80000); p != Read {
		t.Fatalf("moved permission %v, want r--", p)
	}
	if len(code) != 1 || code[0] != 0x80000 {
		t.Fatalf("code pages replaced by the move: %#x", code)
	}
	if err := s.Move(0x7e000, 0x7f000, 2*PageSize); err == nil {
		t.Fatal("an overlapping move succeeded")
	}
}

func TestFindFreeAroundRegions(t *testing.T) {
	s := New(1 << 32)
	s.Map(0x10000, PageSize, Read)
	s.Map(0x13000, PageSize, Read)
	s.Map(0x20000, 0x10000, Read)
	cases := []struct {
		down            bool
		from, top, size uint64
		want            uint64
		ok              bool
	}{
		{false, 0x10000, 0x100000, 2 * PageSize, 0x11000, true},
		{false, 0x10000, 0x100000, 3 * PageSize, 0x14000, true},
		{false, 0x10000, 0x100000, 0x10000, 0x30000, true},
		{false, 0x10000, 0x14000, 3 * PageSize, 0, false},
		{true, 0x10000, 0x20000, PageSize, 0x1f000, true},
		{true, 0x10000, 0x21000, 0xc000, 0x14000, true},
		{true, 0x10000, 0x21000, 0xd000, 0, false},
		{true, 0x11000, 0x13000, 2 * PageSize, 0x11000, true},
		{true, 0x11000, 0x13000, 3 * PageSize, 0, false},
		{true, 0, 0x10000, 0x10000, 0, true},
		{true, 0x30000, 0xffffffff, 0x10000, 0xfffef000, true},
	}
	for _, c := range cases {
		var a uint64
		var ok bool
		if c.down {
			a, ok = s.FindFreeDown(c.from, c.top, c.size)
		} else {
			a, ok = s.FindFree(c.from, c.top, c.size)
		}
		if a != c.want || ok != c.ok {
			t.Errorf("down=%v [%#x, %#x) size %#x: %#x %v, want %#x %v", c.down, c.from, c.top, c.size, a, ok, c.want, c.ok)
		}
	}
}

// BenchmarkReserve64TiB is the cost of mmap + munmap of a 64 TiB
// PROT_NONE reservation.
func BenchmarkReserve64TiB(b *testing.B) {
	s := New(1 << 47)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if err := s.Map(0x100000000000, 64*tib, 0); err != nil {
			b.Fatal(err)
		}
		s.Unmap(0x100000000000, 64*tib)
	}
}
