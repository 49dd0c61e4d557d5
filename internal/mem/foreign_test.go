package mem

import (
	"bytes"
	"testing"
)

// TestForeignPages: lent memory is the pages' contents in place (stores
// land in it, changes made to it are read), survives Discard, moves with
// Move, is left out of snapshots, and is forgotten by Unmap and Map.
func TestForeignPages(t *testing.T) {
	s := New(1 << 32)
	v := s.NewView()
	s.Map(0x10000, 4*PageSize, Read|Write)
	shm := make([]byte, 2*PageSize)
	s.Back(0x11000, shm, false)
	v.Store32(0x11004, 0xdeadbeef)
	if shm[4] != 0xef {
		t.Fatalf("store did not reach the lent memory: % x", shm[:8])
	}
	shm[PageSize] = 7 // another process's store
	if v.Load8(0x12000) != 7 {
		t.Fatal("the lent memory's change is not seen")
	}
	s.Discard(0x10000, 4*PageSize)
	if v.Load8(0x12000) != 7 || s.Backed(0x11000, shm) != 2 {
		t.Fatal("Discard dropped lent memory")
	}
	var snap bytes.Buffer
	if err := s.Snapshot(&snap, nil); err != nil {
		t.Fatal(err)
	}
	r, err := Restore(&snap, nil)
	if err != nil {
		t.Fatal(err)
	}
	rv := r.NewView()
	if rv.Load8(0x12000) != 0 || r.Backed(0x11000, shm) != 0 || !r.Mapped(0x11000, 2*PageSize) {
		t.Fatal("a snapshot carried lent memory")
	}
	if err := s.Move(0x11000, 0x40000, 2*PageSize); err != nil {
		t.Fatal(err)
	}
	if s.Backed(0x40000, shm) != 2 || v.Load8(0x41000) != 7 {
		t.Fatal("Move lost lent memory")
	}
	s.Map(0x41000, PageSize, Read|Write)
	if s.Backed(0x40000, shm) != 1 || v.Load8(0x41000) != 0 {
		t.Fatal("Map over lent memory kept it")
	}
	if !s.AnyBacked(0x40000, shm) {
		t.Fatal("AnyBacked missed the remaining lent page")
	}
	s.UnmapBacked(0x40000, shm)
	if s.Backed(0x40000, shm) != 0 || s.AnyBacked(0x40000, shm) || s.Mapped(0x40000, PageSize) || !s.Mapped(0x41000, PageSize) {
		t.Fatal("UnmapBacked unmapped the wrong pages")
	}

	// Read-only lent memory: stores fault even where the region allows
	// them, Poke refuses.
	s.Map(0x50000, PageSize, Read|Write)
	ro := make([]byte, PageSize)
	s.Back(0x50000, ro, true)
	if err := s.Write(0x50000, []byte{1}); err == nil || s.Poke(0x50000, []byte{1}) || ro[0] != 0 {
		t.Fatal("read-only lent memory was written")
	}
}
