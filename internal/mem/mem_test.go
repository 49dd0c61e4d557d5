package mem

import (
	"errors"
	"testing"
)

// catchFault runs f and returns the *Fault it panicked with, or nil.
func catchFault(f func()) (flt *Fault) {
	defer func() {
		if r := recover(); r != nil {
			flt = r.(*Fault)
		}
	}()
	f()
	return nil
}

func TestLoadStoreRoundTrip(t *testing.T) {
	s := New(1 << 32)
	v := s.NewView()
	if err := s.Map(0x10000, 2*PageSize, Read|Write); err != nil {
		t.Fatal(err)
	}
	v.Store64(0x10008, 0x1122334455667788)
	if got := v.Load64(0x10008); got != 0x1122334455667788 {
		t.Fatalf("Load64 = %#x", got)
	}
	if got := v.Load16(0x1000a); got != 0x5566 {
		t.Fatalf("Load16 = %#x (little endian)", got)
	}
	// A value straddling the page boundary goes through the slow path.
	v.Store32(0x10ffe, 0xdeadbeef)
	if got := v.Load32(0x10ffe); got != 0xdeadbeef {
		t.Fatalf("cross-page Load32 = %#x", got)
	}
	if got := v.Load8(0x11000); got != 0xad {
		t.Fatalf("byte on the second page = %#x", got)
	}
}

func TestPermissionsAndFaults(t *testing.T) {
	s := New(1 << 32)
	v := s.NewView()
	s.Map(0x20000, PageSize, Read)
	s.Map(0x21000, PageSize, Read|Write)
	if f := catchFault(func() { v.Store8(0x20000, 1) }); f == nil || f.Access != AccWrite || f.Unmapped || f.Addr != 0x20000 {
		t.Fatalf("store to read-only page: %+v", f)
	}
	if f := catchFault(func() { v.Load32(0x5000) }); f == nil || !f.Unmapped || f.Access != AccRead {
		t.Fatalf("load from unmapped page: %+v", f)
	}
	// A store straddling a writable and a read-only page writes nothing.
	s.Map(0x30000, PageSize, Read|Write)
	s.Map(0x31000, PageSize, Read)
	if f := catchFault(func() { v.Store32(0x30ffe, 0xffffffff) }); f == nil || f.Addr != 0x31000 {
		t.Fatalf("straddling store: %+v", f)
	}
	if got := v.Load16(0x30ffe); got != 0 {
		t.Fatalf("partial store landed: %#x", got)
	}
	// Protect drops cached translations: a previously writable page faults.
	v.Store8(0x21000, 7)
	if err := s.Protect(0x21000, PageSize, Read); err != nil {
		t.Fatal(err)
	}
	if f := catchFault(func() { v.Store8(0x21000, 8) }); f == nil {
		t.Fatal("store after mprotect(PROT_READ) succeeded")
	}
	s.Unmap(0x21000, PageSize)
	if f := catchFault(func() { v.Load8(0x21000) }); f == nil || !f.Unmapped {
		t.Fatalf("load after unmap: %+v", f)
	}
}

func TestErrorReturningAccess(t *testing.T) {
	s := New(1 << 32)
	s.Map(0x40000, PageSize, Read|Write)
	buf := make([]byte, 16)
	var flt *Fault
	if err := s.Read(0x40ff8, buf); !errors.As(err, &flt) || flt.Addr != 0x41000 {
		t.Fatalf("Read across into unmapped: %v", err)
	}
	if err := s.Write(0xfffffff8, buf); err == nil {
		t.Fatal("Write past the address limit succeeded")
	}
	if err := s.Write(0x40010, []byte("hello\x00")); err != nil {
		t.Fatal(err)
	}
	if str, err := s.ReadString(0x40010, 100); err != nil || str != "hello" {
		t.Fatalf("ReadString = %q, %v", str, err)
	}
}

func TestPeekIgnoresPermissions(t *testing.T) {
	s := New(1 << 32)
	s.Map(0x50000, PageSize, 0)
	s.Map(0x51000, PageSize, Read)
	s.Poke(0x50ffc, []byte{1, 2, 3, 4, 5, 6, 7, 8})
	buf := make([]byte, 8)
	if !s.Peek(0x50ffc, buf) || buf[0] != 1 || buf[7] != 8 {
		t.Fatalf("Peek across pages = %v", buf)
	}
	if s.Peek(0x51ffc, buf) {
		t.Fatal("Peek into an unmapped page succeeded")
	}
}

func TestCodeWriteNotification(t *testing.T) {
	s := New(1 << 32)
	v := s.NewView()
	s.Map(0x60000, 2*PageSize, Read|Write|Exec)
	var hits []uint64
	s.OnCodeWrite = func(p uint64) { hits = append(hits, p) }
	v.Store8(0x60010, 1) // not code yet: cached for writing
	s.MarkCode(0x60000)
	v.Store8(0x60020, 2) // must notice despite the cached entry
	v.Store8(0x60030, 3) // the mark is gone after the first notification
	v.Store8(0x61000, 4)
	if len(hits) != 1 || hits[0] != 0x60000 {
		t.Fatalf("code write notifications %#x, want [0x60000]", hits)
	}
}

func TestTracer(t *testing.T) {
	s := New(1 << 32)
	v := s.NewView()
	s.Map(0x70000, PageSize, Read|Write)
	type acc struct {
		addr  uint64
		size  int
		store bool
		val   uint64
	}
	var got []acc
	v.Load32(0x70000) // warm the cache: tracing must still see accesses
	v.SetTracer(func(a uint64, n int, st bool, v uint64) { got = append(got, acc{a, n, st, v}) })
	v.Store32(0x70000, 0xabcd)
	v.Load16(0x70000)
	v.StoreBytes(0x70100, []byte{9, 8, 7})
	v.SetTracer(nil)
	v.Load32(0x70000)
	want := []acc{{0x70000, 4, true, 0xabcd}, {0x70000, 2, false, 0xabcd}, {0x70100, 3, true, 0x070809}}
	if len(got) != len(want) {
		t.Fatalf("traced %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("access %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestFindFree(t *testing.T) {
	s := New(1 << 32)
	s.Map(0x10000, PageSize, Read)
	if a, ok := s.FindFree(0x10000, 0x100000, 2*PageSize); !ok || a != 0x11000 {
		t.Fatalf("FindFree = %#x, %v", a, ok)
	}
	s.Map(0x20000-PageSize, PageSize, Read)
	if a, ok := s.FindFreeDown(0x10000, 0x20000, PageSize); !ok || a != 0x20000-2*PageSize {
		t.Fatalf("FindFreeDown = %#x, %v", a, ok)
	}
}

func BenchmarkLoad32Hit(b *testing.B) {
	s := New(1 << 32)
	v := s.NewView()
	s.Map(0x10000, PageSize, Read|Write)
	var sum uint32
	for i := 0; i < b.N; i++ {
		sum += v.Load32(0x10000 + uint64(i&0x3f)*4)
	}
	_ = sum
}

func TestLazyPages(t *testing.T) {
	s := New(1 << 32)
	v := s.NewView()
	s.Map(0x80000, 1<<20, Read|Write)
	if got := v.Load64(0x80100); got != 0 {
		t.Fatalf("fresh page reads %#x", got)
	}
	// The read above cached the shared zero page; the store must not land
	// there, and the next read must see it.
	v.Store32(0x80104, 0x12345678)
	if got := v.Load64(0x80100); got != 0x1234567800000000 {
		t.Fatalf("after store: %#x", got)
	}
	if got := v.Load32(0x81104); got != 0 {
		t.Fatalf("neighbour page changed: %#x (zero page was written)", got)
	}
	if zeroPage != [PageSize]byte{} {
		t.Fatal("the shared zero page was written")
	}
	allocated := 0
	for _, p := range s.pages {
		if p.data != nil {
			allocated++
		}
	}
	if allocated != 1 {
		t.Fatalf("%d pages allocated, want 1", allocated)
	}
}

func TestDiscard(t *testing.T) {
	s := New(1 << 32)
	v := s.NewView()
	s.Map(0x10000, 4*PageSize, Read|Write|Exec)
	v.Store64(0x10008, 0x1122334455667788)
	v.Store64(0x12008, 42)
	if v.Load64(0x10008) != 0x1122334455667788 { // cache the page
		t.Fatal("store lost")
	}
	s.MarkCode(0x12000)
	var code []uint64
	s.OnCodeWrite = func(a uint64) { code = append(code, a) }
	s.Discard(0x10000, 3*PageSize)
	if got := v.Load64(0x10008); got != 0 {
		t.Fatalf("discarded page reads %#x, want 0", got)
	}
	if got := v.Load64(0x12008); got != 0 {
		t.Fatalf("discarded code page reads %#x, want 0", got)
	}
	if len(code) != 1 || code[0] != 0x12000 {
		t.Fatalf("code-write notifications %#x, want [0x12000]", code)
	}
	if p, ok := s.PermAt(0x11000); !ok || p != Read|Write|Exec {
		t.Fatalf("permissions after discard: %v %v", p, ok)
	}
	v.Store32(0x10010, 9)
	if v.Load32(0x10010) != 9 || v.Load32(0x10008) != 0 {
		t.Fatal("store after discard")
	}
	for pn, p := range s.pages {
		if p.data != nil && pn != 0x10 {
			t.Errorf("page %#x still has contents", pn<<PageShift)
		}
	}
}
