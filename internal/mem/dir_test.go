package mem

import (
	"bytes"
	"fmt"
	"math/bits"
	"math/rand"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// dirEntry walks the directory at root (levels, bits) the way code outside
// Go does, with atomic loads and no lock, and returns the entry that
// decides page pn: 0 if it is not mapped, else an entry with DirPresent
// whose address is the page's host address.
func dirEntry(root uintptr, levels int, bits uint, pn uint64) uint64 {
	if pn>>(bits*uint(levels)) != 0 {
		return 0
	}
	t := hostPtr(root)
	for l := 0; l < levels; l++ {
		sh := bits * uint(levels-1-l)
		e := atomic.LoadUint64((*uint64)(unsafe.Add(t, ((pn>>sh)&(1<<bits-1))*8)))
		if e&DirTable == 0 {
			return e
		}
		t = hostPtr(uintptr(e &^ DirFlags))
	}
	panic("directory: a table entry at the last level")
}

// dirRead reads len(dst) bytes of guest memory at a through the space's
// directory, as qemulib_read_memory's C does: every page of the range is
// checked before anything is copied, so that a failed read leaves dst
// alone.
func dirRead(s *Space, a uint64, dst []byte) bool {
	root := s.Directory()
	levels, bits := s.DirLayout()
	n := uint64(len(dst))
	if n == 0 {
		return true
	}
	if a+n < a {
		return false
	}
	first, last := a>>PageShift, (a+n-1)>>PageShift
	for pn := first; pn <= last; pn++ {
		if dirEntry(root, levels, bits, pn) == 0 {
			return false
		}
	}
	for len(dst) > 0 {
		e := dirEntry(root, levels, bits, a>>PageShift)
		src := unsafe.Slice((*byte)(hostPtr(uintptr(e&^DirFlags))), PageSize)
		k := copyGuest(dst, src[a&PageMask:])
		dst = dst[k:]
		a += uint64(k)
	}
	return true
}

// peekLikePlugin is what plugin.readGuest answers today: the whole range
// mapped (permissions ignored), then its bytes.
func peekLikePlugin(s *Space, a uint64, dst []byte) bool {
	n := uint64(len(dst))
	if n == 0 {
		return true
	}
	if a+n < a || a+n > s.Limit || !s.Mapped(a, n) {
		return false
	}
	return s.Peek(a, dst)
}

// checkDir compares the directory's answers with the space's for the
// probes: the bytes a debugger read gets, and for each page its
// permissions and whether it has data of its own.
func checkDir(t *testing.T, s *Space, probes [][2]uint64, what string) {
	t.Helper()
	root := s.Directory()
	levels, bits := s.DirLayout()
	for _, pr := range probes {
		a, n := pr[0], pr[1]
		want := make([]byte, n)
		got := make([]byte, n)
		for i := range got {
			got[i] = 0xa5
		}
		wok := peekLikePlugin(s, a, want)
		gok := dirRead(s, a, got)
		if wok != gok {
			t.Fatalf("%s: read [%#x, +%d): directory says %v, the space %v", what, a, n, gok, wok)
		}
		if wok && !bytes.Equal(want, got) {
			t.Fatalf("%s: read [%#x, +%d): directory's bytes differ from Peek's", what, a, n)
		}
		if !wok && bytes.Count(got, []byte{0xa5}) != len(got) {
			t.Fatalf("%s: failed read [%#x, +%d) wrote to the buffer", what, a, n)
		}
		for pa := a &^ PageMask; pa < a+n && pa >= a&^PageMask; pa += PageSize {
			e := dirEntry(root, levels, bits, pa>>PageShift)
			perm, mapped := s.PermAt(pa)
			if pa >= s.Limit {
				mapped = false
			}
			own := s.Materialized(pa, PageSize) != 0
			switch {
			case mapped != (e&DirPresent != 0):
				t.Fatalf("%s: page %#x: entry %#x, mapped %v", what, pa, e, mapped)
			case mapped && e&dirPermMask != dirPerm(perm):
				t.Fatalf("%s: page %#x: entry %#x, permissions %v", what, pa, e, perm)
			case mapped && own != (e&DirOwn != 0):
				t.Fatalf("%s: page %#x: entry %#x, own data %v", what, pa, e, own)
			case mapped && !own && uintptr(e&^DirFlags) != zeroHost():
				t.Fatalf("%s: page %#x: entry %#x without data, not the zero page %#x", what, pa, e, zeroHost())
			}
		}
	}
}

// hostPages returns n pages of memory outside the Go heap, like a shared
// memory segment the OS layer lends (Back).
func hostPages(t testing.TB, n int) []byte {
	b, err := syscall.Mmap(-1, 0, n*PageSize, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED|syscall.MAP_ANON)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Munmap(b) })
	return b
}

// TestDirectoryLayout: the shapes the documented constants promise, and an
// empty space's root that says nothing is mapped.
func TestDirectoryLayout(t *testing.T) {
	for _, tt := range []struct {
		limit  uint64
		levels int
		bits   uint
	}{
		{1 << 32, 2, 10},
		{1 << 20, 2, 10},
		{1 << 47, 4, 9},
		{1 << 48, 4, 9},
		{1 << 39, 3, 9},
		{1<<39 + PageSize, 4, 9},
	} {
		s := New(tt.limit)
		if l, b := s.DirLayout(); l != tt.levels || b != tt.bits {
			t.Errorf("New(%#x): layout %d levels of %d bits, want %d of %d", tt.limit, l, b, tt.levels, tt.bits)
		}
		if e := dirEntry(s.Directory(), tt.levels, tt.bits, 0x10); e != 0 {
			t.Errorf("New(%#x): empty space's entry %#x", tt.limit, e)
		}
	}
}

// TestDirectoryBasics walks through each kind of change once with known
// answers.
func TestDirectoryBasics(t *testing.T) {
	s := New(1 << 32)
	v := s.NewView()
	root := s.Directory()
	levels, bits := s.DirLayout()
	ent := func(a uint64) uint64 { return dirEntry(root, levels, bits, a>>PageShift) }

	s.Map(0x10000, 4*PageSize, Read|Write)
	if e := ent(0x11000); e != DirPresent|DirRead|DirWrite|uint64(zeroHost()) {
		t.Fatalf("mapped page's entry %#x", e)
	}
	v.Store32(0x11ffe, 0x04030201)
	e := ent(0x11000)
	if e&DirOwn == 0 || uintptr(e&^DirFlags) == zeroHost() {
		t.Fatalf("written page's entry %#x", e)
	}
	buf := make([]byte, 4)
	if !dirRead(s, 0x11ffe, buf) || !bytes.Equal(buf, []byte{1, 2, 3, 4}) {
		t.Fatalf("read across the page boundary: % x", buf)
	}
	s.Protect(0x11000, PageSize, 0) // PROT_NONE keeps its data, reads as a debugger's do
	if e2 := ent(0x11000); e2 != e&^(DirRead|DirWrite) {
		t.Fatalf("PROT_NONE entry %#x, was %#x", e2, e)
	}
	if !dirRead(s, 0x11ffe, buf) || !bytes.Equal(buf, []byte{1, 2, 3, 4}) {
		t.Fatalf("read of PROT_NONE: % x", buf)
	}
	s.Discard(0x11000, PageSize)
	if e := ent(0x11000); e != DirPresent|uint64(zeroHost()) {
		t.Fatalf("discarded page's entry %#x", e)
	}
	s.Unmap(0x12000, PageSize)
	if ent(0x12000) != 0 || dirRead(s, 0x11fff, buf[:2]) {
		t.Fatal("unmapped page still in the directory")
	}
	shm := hostPages(t, 1)
	shm[5] = 9
	s.Back(0x13000, shm, false)
	if e := ent(0x13000); e&^DirFlags != uint64(uintptr(unsafe.Pointer(&shm[0]))) || e&DirOwn == 0 {
		t.Fatalf("backed page's entry %#x", e)
	}
	if !dirRead(s, 0x13005, buf[:1]) || buf[0] != 9 {
		t.Fatal("backed page not read in place")
	}
	v.Store8(0x10000, 7)
	if err := s.Move(0x10000, 0x40000, PageSize); err != nil {
		t.Fatal(err)
	}
	if ent(0x10000) != 0 || !dirRead(s, 0x40000, buf[:1]) || buf[0] != 7 {
		t.Fatal("moved page")
	}
	checkDir(t, s, [][2]uint64{{0xf000, 0x40000}, {0x40000, 2 * PageSize}}, "basics")
}

// TestDirectoryHugeMapping: reserving most of an x86-64 space costs a few
// tables (whole spans are one entry), and the directory splits them where
// pages get data, permissions or holes.
func TestDirectoryHugeMapping(t *testing.T) {
	s, base := reserve64TiB(t)
	if n := len(s.dir.chunks); n > 1 {
		t.Fatalf("a 64 TiB reservation took %d blocks of tables", n)
	}
	v := s.NewView()
	s.Protect(base+1<<40, 1<<30, Read|Write)
	v.Store64(base+1<<40+0x123456, 0x55)
	s.Unmap(base+1<<41, 3*PageSize)
	probes := [][2]uint64{
		{base, 16}, {base + 1<<40 - 8, 16}, {base + 1<<40 + 0x123450, 16},
		{base + 1<<41 - 4, 8}, {base + 1<<41 + 3*PageSize - 4, 8}, {base + 1<<41 + 3*PageSize, 8},
		{base + 1<<40 + 1<<30 - 4, 8}, {1<<47 - 8, 16}, {0, 8},
	}
	checkDir(t, s, probes, "huge")
	if n := len(s.dir.chunks); n > 1 {
		t.Fatalf("splitting a few spans took %d blocks of tables", n)
	}
}

// zones are the areas the random test works in, per address-space size:
// some straddle the spans of the directory's tables.
var zones = map[uint64][]uint64{
	1 << 32: {0x8048000, 0x3ff000, 0xbff00000, 0xffff0000},
	1 << 47: {0x400000, 0x1ff000, 0x3fffe00000, 0x7ffffff00000, 0x7fffc0000000},
}

// TestDirectoryRandom applies random sequences of every kind of change and
// checks after each that the directory answers every probe as the space's
// own debugger read and permissions do.
func TestDirectoryRandom(t *testing.T) {
	for _, limit := range []uint64{1 << 32, 1 << 47} {
		for seed := int64(1); seed <= 6; seed++ {
			t.Run(fmt.Sprintf("%#x/%d", limit, seed), func(t *testing.T) {
				randomDirRun(t, limit, seed, 300)
			})
		}
	}
}

func randomDirRun(t *testing.T, limit uint64, seed int64, steps int) {
	rng := rand.New(rand.NewSource(seed))
	s := New(limit)
	v := s.NewView()
	zs := zones[limit]
	addr := func() uint64 {
		z := zs[rng.Intn(len(zs))]
		a := z + uint64(rng.Intn(1200)-600)*PageSize
		return min(a, limit-PageSize)
	}
	size := func() uint64 {
		switch rng.Intn(8) {
		case 0:
			return uint64(rng.Intn(2000)+1) * PageSize
		case 1:
			return 1 << (22 + rng.Intn(8))
		}
		return uint64(rng.Intn(8)+1) * PageSize
	}
	perm := func() Perm { return Perm(rng.Intn(8)) }
	shm := hostPages(t, 64)
	goShm := make([]byte, 8*PageSize) // lent Go memory (tests do so)
	var ops []string
	for step := 0; step < steps; step++ {
		a, n := addr(), size()
		if a+n > limit {
			n = limit - a
		}
		var op string
		switch k := rng.Intn(13); k {
		case 0, 1:
			op = fmt.Sprintf("Map(%#x, %#x)", a, n)
			s.Map(a, n, perm())
		case 2:
			op = fmt.Sprintf("Unmap(%#x, %#x)", a, n)
			s.Unmap(a, n)
		case 3:
			op = fmt.Sprintf("Protect(%#x, %#x)", a, n)
			s.Protect(a, n, perm())
		case 4, 5:
			b := make([]byte, rng.Intn(3*PageSize)+1)
			rng.Read(b)
			a += uint64(rng.Intn(PageSize))
			op = fmt.Sprintf("Poke(%#x, %d)", a, len(b))
			s.Poke(a, b)
		case 6:
			op = fmt.Sprintf("Discard(%#x, %#x)", a, n)
			s.Discard(a, n)
		case 7:
			// A file mapping whose file ends inside it: the data, then
			// the pages wholly past the end made inaccessible (as the
			// Linux layer does; they raise SIGBUS).
			n = uint64(rng.Intn(10)+2) * PageSize
			data := make([]byte, rng.Intn(int(n)/2)+1)
			rng.Read(data)
			op = fmt.Sprintf("MapFile(%#x, %#x, %d)", a, n, len(data))
			s.Map(a, n, Read|Exec)
			s.Poke(a, data)
			busFrom := (uint64(len(data)) + PageMask) &^ PageMask
			s.Protect(a+busFrom, n-busFrom, 0)
		case 8:
			k := rng.Intn(60)
			m := rng.Intn(4) + 1
			src := shm[k*PageSize : (k+m)*PageSize]
			if rng.Intn(3) == 0 {
				k = rng.Intn(6)
				m = min(m, 8-k)
				src = goShm[k*PageSize : (k+m)*PageSize]
			}
			src[rng.Intn(len(src))] = byte(step)
			op = fmt.Sprintf("Back(%#x, %d pages)", a, m)
			s.Back(a, src, rng.Intn(2) == 0)
			if rng.Intn(4) == 0 {
				s.UnmapBacked(a, src)
			}
		case 9:
			to := addr()
			n = min(n, 64*PageSize)
			op = fmt.Sprintf("Move(%#x, %#x, %#x)", a, to, n)
			s.Move(a, to, n)
		case 10:
			a += uint64(rng.Intn(PageSize))
			op = fmt.Sprintf("Store32(%#x)", a)
			catchFault(func() { v.Store32(a, rng.Uint32()) })
			catchFault(func() { v.Load8(a) })
			s.MarkCode(a)
		case 11:
			if rng.Intn(5) == 0 {
				var snap bytes.Buffer
				if err := s.Snapshot(&snap, nil); err != nil {
					t.Fatal(err)
				}
				r, err := Restore(&snap, nil)
				if err != nil {
					t.Fatal(err)
				}
				op = "Snapshot+Restore"
				v.Close()
				s, v = r, r.NewView()
			}
		case 12:
			op = fmt.Sprintf("Map+Unmap(%#x, %#x)", a, n)
			s.Map(a, n, perm())
			s.Unmap(a+n/3, n/3)
		}
		ops = append(ops, op)
		probes := make([][2]uint64, 0, 40)
		probes = append(probes, [2]uint64{a &^ PageMask, 3 * PageSize}, [2]uint64{a + n - 2, 4})
		for i := 0; i < 38; i++ {
			pa := addr() + uint64(rng.Intn(PageSize))
			probes = append(probes, [2]uint64{pa, uint64(rng.Intn(2*PageSize) + 1)})
		}
		checkDir(t, s, probes, fmt.Sprintf("after %d ops, last %s", len(ops), op))
	}
	runtime.KeepAlive(shm)
}

// pinned counts the page data a directory keeps pinned (slab pages in use
// and pages pinned on their own) and its slabs.
func pinned(d *directory) (pages, slabs int) {
	for sl := range d.slabs {
		pages += bits.OnesCount16(sl.used)
	}
	return pages + len(d.pins), len(d.slabs)
}

// TestDirectoryReleasedSpaces: spaces with pinned pages that become
// garbage are released without the runtime's complaint about leaked pins.
func TestDirectoryReleasedSpaces(t *testing.T) {
	for i := 0; i < 20; i++ {
		s := New(1 << 47)
		s.Map(0x10000, 20*PageSize, Read|Write)
		s.Poke(0x10000, make([]byte, 20*PageSize))
		s.Back(0x10000, hostPages(t, 1), false)
		if n, sl := pinned(s.dir); n != 20 || sl != 2 {
			t.Fatalf("%d pages pinned in %d slabs for 20 written pages", n, sl)
		}
	}
	for i := 0; i < 3; i++ {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
}

// TestPageSlabs: dropped page data goes back to its slab and is reused
// cleared; a slab whose pages are all dropped is let go, but for one kept
// for the next pages.
func TestPageSlabs(t *testing.T) {
	s := New(1 << 32)
	s.Map(0x10000, 40*PageSize, Read|Write)
	s.Poke(0x10000, bytes.Repeat([]byte{0xff}, 40*PageSize))
	if n, sl := pinned(s.dir); n != 40 || sl != 3 {
		t.Fatalf("40 pages: %d pinned in %d slabs", n, sl)
	}
	s.Discard(0x10000, 16*PageSize) // the first slab, whole: kept
	s.Unmap(0x20000, 2*PageSize)    // two pages of the second
	if n, sl := pinned(s.dir); n != 22 || sl != 3 || s.dir.empty != 1 {
		t.Fatalf("after dropping 18 pages: %d pinned in %d slabs, %d empty", n, sl, s.dir.empty)
	}
	s.Map(0x200000, 32*PageSize, Read|Write)
	s.Poke(0x200000, make([]byte, 32*PageSize)) // uses the empty one
	s.Unmap(0x200000, 32*PageSize)              // 2 empty slabs: one goes
	if n, sl := pinned(s.dir); n != 22 || sl != 3 || s.dir.empty != 1 {
		t.Fatalf("after 32 more pages and their unmap: %d pinned in %d slabs, %d empty", n, sl, s.dir.empty)
	}
	s.Map(0x100000, 4*PageSize, Read|Write)
	s.Poke(0x100000+5, []byte{1})
	s.Poke(0x101000+5, []byte{1})
	s.Poke(0x102000+5, []byte{1}) // a third page: a new slab or a fresh place
	want := make([]byte, 3*PageSize)
	want[5], want[PageSize+5], want[2*PageSize+5] = 1, 1, 1
	got := make([]byte, 3*PageSize)
	if !dirRead(s, 0x100000, got) || !bytes.Equal(got, want) {
		t.Fatal("reused page data was not cleared")
	}
	if n, _ := pinned(s.dir); n != 25 {
		t.Fatalf("%d pages pinned, want 25", n)
	}
}

// TestDirectoryConcurrentReaders: while one goroutine maps, unmaps,
// protects, writes and discards, readers inside Enter/Leave read through
// the directory: a page mapped for the whole test always reads its
// contents, others read either as unmapped or as bytes the writer put
// there (zeros or odd values). Run with -race.
func TestDirectoryConcurrentReaders(t *testing.T) {
	for _, limit := range []uint64{1 << 32, 1 << 47} {
		s := New(limit)
		const stable, churn = 0x100000, 0x200000
		s.Map(stable, 2*PageSize, Read)
		want := bytes.Repeat([]byte{0x5a}, 2*PageSize)
		s.Poke(stable, want)
		var stop atomic.Bool
		var wg sync.WaitGroup
		var reads, mapped atomic.Int64
		for r := 0; r < 3; r++ {
			v := s.NewView()
			wg.Add(1)
			go func() {
				defer wg.Done()
				buf := make([]byte, 2*PageSize)
				churned := make([]byte, PageSize)
				for i := 0; !stop.Load(); i++ {
					v.Enter()
					ok := dirRead(s, stable, buf)
					ok2 := dirRead(s, churn+uint64(i%16)*PageSize+PageSize/2, churned)
					v.Leave()
					if !ok || !bytes.Equal(buf, want) {
						t.Error("the stable pages read wrong")
						return
					}
					if ok2 {
						mapped.Add(1)
						for j, c := range churned {
							if c != 0 && c&1 == 0 {
								t.Errorf("a churned page reads %#x at %d, never written there", c, j)
								return
							}
						}
					}
					reads.Add(1)
				}
			}()
		}
		rng := rand.New(rand.NewSource(1))
		deadline := time.Now().Add(300 * time.Millisecond)
		for i := 0; time.Now().Before(deadline) || reads.Load() < 100; i++ {
			a := churn + uint64(rng.Intn(16))*PageSize
			n := uint64(rng.Intn(4)+1) * PageSize
			switch rng.Intn(5) {
			case 0:
				s.Map(a, n, Read|Write)
			case 1:
				s.Unmap(a, n)
			case 2:
				s.Protect(a, n, Perm(rng.Intn(8)))
			case 3:
				s.Poke(a, bytes.Repeat([]byte{byte(i) | 1}, int(n)))
			case 4:
				s.Discard(a, n)
			}
		}
		stop.Store(true)
		wg.Wait()
		t.Logf("limit %#x: %d reads, %d of churned pages", limit, reads.Load(), mapped.Load())
	}
}
