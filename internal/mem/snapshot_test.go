package mem

import (
	"bytes"
	"encoding/binary"
	"errors"
	"reflect"
	"testing"
)

// snapshotFixture builds a space with runs of different permissions,
// written and untouched pages, and a run longer than one 64-page group.
func snapshotFixture(t *testing.T) *Space {
	t.Helper()
	s := New(1 << 32)
	v := s.NewView()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.Map(0x10000, 3*PageSize, Read|Exec))
	must(s.Map(0x13000, 2*PageSize, Read|Write)) // adjacent, other perm: a second run
	must(s.Map(0x100000, 130*PageSize, Read|Write))
	must(s.Map(0xfffff000, PageSize, 0)) // last page, no access
	s.Poke(0x10ffe, []byte{1, 2, 3, 4})  // straddles two code pages
	v.Store64(0x13008, 0x1122334455667788)
	v.Store8(0x100000+129*PageSize+PageMask, 0x5a) // last byte of the long run
	v.Store8(0x100000+64*PageSize, 0xa5)           // first page of the second group
	s.Poke(0xfffff010, []byte("hidden"))
	return s
}

func TestSnapshotRoundTrip(t *testing.T) {
	s := snapshotFixture(t)
	v := s.NewView()
	var buf bytes.Buffer
	if err := s.Snapshot(&buf, nil); err != nil {
		t.Fatal(err)
	}
	r, err := Restore(&buf, nil)
	if err != nil {
		t.Fatal(err)
	}
	rv := r.NewView()
	if buf.Len() != 0 {
		t.Errorf("%d bytes left after the snapshot", buf.Len())
	}
	if r.Limit != s.Limit {
		t.Errorf("Limit = %#x, want %#x", r.Limit, s.Limit)
	}
	if got, want := r.Regions(), s.Regions(); !reflect.DeepEqual(got, want) {
		t.Errorf("Regions = %+v\nwant %+v", got, want)
	}
	for _, reg := range s.Regions() {
		a := make([]byte, reg.End-reg.Start)
		b := make([]byte, reg.End-reg.Start)
		if !s.Peek(reg.Start, a) || !r.Peek(reg.Start, b) {
			t.Fatalf("region %#x unreadable", reg.Start)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("contents of [%#x, %#x) differ", reg.Start, reg.End)
		}
	}
	if got := rv.Load64(0x13008); got != 0x1122334455667788 {
		t.Errorf("Load64 = %#x", got)
	}
	if got := rv.Load8(0x100000 + 129*PageSize + PageMask); got != 0x5a {
		t.Errorf("last byte of the long run = %#x", got)
	}
	// Untouched pages stay shared zero pages; written ones were copied.
	if r.pages[0x101] != nil {
		t.Error("an untouched page got its own data")
	}
	if r.pages[0x13].data == nil || r.pages[0x13].data == s.pages[0x13].data {
		t.Error("a written page was not copied")
	}
	// Permissions are enforced in the copy.
	if f := catchFault(func() { rv.Store8(0x10000, 1) }); f == nil || f.Unmapped {
		t.Errorf("store to a read-only restored page: fault %v", f)
	}
	if f := catchFault(func() { rv.Load8(0xfffff010) }); f == nil {
		t.Error("load from a no-access restored page did not fault")
	}
	// The copy is independent of the original.
	rv.Store8(0x13000, 9)
	if v.Load8(0x13000) != 0 {
		t.Error("a store to the copy changed the original")
	}
}

// A large mapping that was never written costs a few bytes.
func TestSnapshotUntouchedIsSmall(t *testing.T) {
	s := New(1 << 47)
	if err := s.Map(0x7ff000000000, 2048*PageSize, Read|Write); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := s.Snapshot(&buf, nil); err != nil {
		t.Fatal(err)
	}
	// header 24 + one region 17 + end 8: no pages
	if want := 24 + 17 + 8; buf.Len() != want {
		t.Errorf("snapshot of 8 MiB untouched is %d bytes, want %d", buf.Len(), want)
	}
	r, err := Restore(&buf, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Mapped(0x7ff000000000, 2048*PageSize) || r.Mapped(0x7ff000000000+2048*PageSize, 1) {
		t.Error("restored mapping has the wrong extent")
	}
}

func TestRestoreRejectsBadInput(t *testing.T) {
	var good bytes.Buffer
	if err := snapshotFixture(t).Snapshot(&good, nil); err != nil {
		t.Fatal(err)
	}
	g := good.Bytes()
	le := binary.LittleEndian
	run := func(first, n uint64, kind byte) []byte {
		b := make([]byte, 17)
		le.PutUint64(b, first)
		le.PutUint64(b[8:], n)
		b[16] = kind
		if kind == pageData && n < 16 {
			b = append(b, make([]byte, n*PageSize)...)
		}
		return b
	}
	hdr := func(n uint64) []byte {
		b := append([]byte(nil), g[:24]...)
		le.PutUint64(b[16:], n)
		return b
	}
	reg := func(start, end uint64, perm byte) []byte {
		b := make([]byte, 17)
		le.PutUint64(b, start)
		le.PutUint64(b[8:], end)
		b[16] = perm
		return b
	}
	pg := func(pn uint64, kind byte) []byte { return run(pn, 1, kind) }
	end := pg(snapEnd, 0)[:8]
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	ok := cat(hdr(1), reg(0x10000, 0x12000, 3), run(0x10, 2, pageData), end)
	cases := map[string][]byte{
		"empty":              nil,
		"bad magic":          append([]byte("XMEMSNP3"), g[8:]...),
		"old format":         append([]byte("GMEMSNP2"), g[8:]...),
		"truncated":          g[:len(g)-100],
		"no end marker":      g[:len(g)-8],
		"too many regions":   cat(hdr(1<<40), end),
		"beyond limit":       cat(hdr(1), reg(0xfffff000, 0x100001000, 3), end),
		"empty region":       cat(hdr(1), reg(0x10000, 0x10000, 3), end),
		"unaligned region":   cat(hdr(1), reg(0x10010, 0x11000, 3), end),
		"bad perm":           cat(hdr(1), reg(0x10000, 0x11000, 0x80), end),
		"overlap":            cat(hdr(2), reg(0x10000, 0x12000, 3), reg(0x11000, 0x13000, 3), end),
		"truncated region":   cat(hdr(1), reg(0x10000, 0x11000, 3)[:10]),
		"page unmapped":      cat(hdr(1), reg(0x10000, 0x11000, 3), pg(0x20, pageData), end),
		"page twice":         cat(hdr(1), reg(0x10000, 0x12000, 3), pg(0x10, pageData), pg(0x10, pageData), end),
		"pages out of order": cat(hdr(1), reg(0x10000, 0x12000, 3), pg(0x11, pageData), pg(0x10, pageData), end),
		"bad page kind":      cat(hdr(1), reg(0x10000, 0x11000, 3), pg(0x10, 7), end),
		"run past region":    cat(hdr(1), reg(0x10000, 0x12000, 3), run(0x11, 2, pageData), end),
		"empty run":          cat(hdr(1), reg(0x10000, 0x12000, 3), run(0x10, 0, pageData), end),
		"huge run":           cat(hdr(1), reg(0x10000, 0x12000, 3), run(0x10, 1<<62, pageData), end),
		"overlapping runs":   cat(hdr(1), reg(0x10000, 0x13000, 3), run(0x10, 2, pageData), run(0x11, 1, pageData), end),
		"base, no Base":      cat(hdr(1), reg(0x10000, 0x11000, 3), pg(0x10, pageBase), end),
		"truncated page":     cat(hdr(1), reg(0x10000, 0x11000, 3), pg(0x10, pageData)[:100]),
	}
	// Sanity: the hand-made stream is well formed.
	if r, err := Restore(bytes.NewReader(ok), nil); err != nil || len(r.pages) != 2 {
		t.Fatalf("hand-made stream: %v", err)
	}
	for name, in := range cases {
		if _, err := Restore(bytes.NewReader(in), nil); !errors.Is(err, errSnapshot) {
			t.Errorf("%s: err = %v, want a bad snapshot error", name, err)
		}
	}
	// Sanity: the uncorrupted stream restores.
	if _, err := Restore(bytes.NewReader(g), nil); err != nil {
		t.Errorf("good stream: %v", err)
	}
}

// Pages holding their base contents travel without their bytes and are
// rebuilt from the base; changed ones travel whole.
func TestSnapshotBase(t *testing.T) {
	// 3 pages and 128 bytes, page aligned (a large allocation is) as the
	// mapped files whose pages Restore adopts are.
	file := make([]byte, 64<<10)[:3*PageSize+128]
	copy(file, bytes.Repeat([]byte("0123456789abcdef"), 3*PageSize/16+8))
	base := &Base{Page: func(addr uint64) ([]byte, bool) {
		if addr < 0x400000 || addr >= 0x404000 {
			return nil, false
		}
		off := addr - 0x400000
		return file[off:min(off+PageSize, uint64(len(file)))], true
	}}
	s := New(1 << 32)
	v := s.NewView()
	if err := s.Map(0x400000, 4*PageSize, Read|Exec); err != nil {
		t.Fatal(err)
	}
	if err := s.Map(0x600000, PageSize, Read|Write); err != nil {
		t.Fatal(err)
	}
	s.Poke(0x400000, file)
	s.Poke(0x401010, []byte("changed")) // page 1 differs from its base
	v.Store8(0x600000, 7)               // no base there
	s.Poke(0x403000+200, []byte{1})     // nonzero past the base's short last page
	var buf bytes.Buffer
	if err := s.Snapshot(&buf, base); err != nil {
		t.Fatal(err)
	}
	// Pages 1 and 3 of the image and the data page travel: 3 pages.
	if max := 3*PageSize + 400; buf.Len() > max {
		t.Errorf("snapshot is %d bytes, want at most %d", buf.Len(), max)
	}
	r, err := Restore(&buf, base)
	if err != nil {
		t.Fatal(err)
	}
	rv := r.NewView()
	a := make([]byte, 4*PageSize)
	b := make([]byte, 4*PageSize)
	s.Peek(0x400000, a)
	r.Peek(0x400000, b)
	if !bytes.Equal(a, b) {
		t.Error("image pages differ after the round trip")
	}
	if rv.Load8(0x600000) != 7 || rv.Load8(0x403000+200) != 1 {
		t.Error("changed pages lost")
	}
	// The restored base pages are the space's own, not the base's bytes.
	r.Poke(0x400000, []byte("X"))
	if file[0] != '0' {
		t.Error("writing a restored page changed the base")
	}

	// Adopting: whole base pages become the storage, short ones are copied.
	buf.Reset()
	if err := s.Snapshot(&buf, base); err != nil {
		t.Fatal(err)
	}
	adopt := *base
	adopt.Adopt = true
	r, err = Restore(&buf, &adopt)
	if err != nil {
		t.Fatal(err)
	}
	if &r.pages[0x400].data[0] != &file[0] || &r.pages[0x402].data[0] != &file[2*PageSize] {
		t.Error("whole base pages were not adopted")
	}
	r.Peek(0x400000, b)
	if !bytes.Equal(a, b) {
		t.Error("adopted image pages differ")
	}
}
