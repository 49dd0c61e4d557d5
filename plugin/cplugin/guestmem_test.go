package cplugin

import (
	"bytes"
	"fmt"
	"math/rand"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"gemu/internal/mem"
)

// debuggerRead is today's qemulib_read_memory answer (plugin.readGuest):
// the whole range mapped, permissions ignored, then its bytes.
func debuggerRead(s *mem.Space, a uint64, dst []byte) bool {
	n := uint64(len(dst))
	if n == 0 {
		return true
	}
	if a+n < a || a+n > s.Limit || !s.Mapped(a, n) {
		return false
	}
	return s.Peek(a, dst)
}

// TestGuestMemFlags: guestmem.h's constants are mem's.
func TestGuestMemFlags(t *testing.T) {
	want := [...]uint64{mem.DirPresent, mem.DirRead, mem.DirWrite, mem.DirExec,
		mem.DirOwn, mem.DirTable, mem.DirFlags, mem.PageShift}
	if dirFlagsC != want {
		t.Fatalf("guestmem.h says %#x, internal/mem %#x", dirFlagsC, want)
	}
}

// guestSpace builds a space with every kind of page a read can meet:
// written, never written, PROT_NONE with data, a file mapping whose last
// pages lie past the file's end (made inaccessible, as the Linux layer
// does), lent host memory (shm), holes, and the last page below Limit.
func guestSpace(t *testing.T, limit uint64) (*mem.Space, []uint64) {
	s := mem.New(limit)
	rng := rand.New(rand.NewSource(int64(limit >> 20)))
	fill := func(a uint64, n int) {
		b := make([]byte, n)
		rng.Read(b)
		if !s.Poke(a, b) {
			t.Fatalf("Poke(%#x, %d)", a, n)
		}
	}
	base := uint64(0x8048000)
	s.Map(base, 8*mem.PageSize, mem.Read|mem.Write)
	fill(base, 3*mem.PageSize)                 // pages 0-2 written, 3-7 zeros
	s.Unmap(base+5*mem.PageSize, mem.PageSize) // a hole at page 5
	s.Map(base+16*mem.PageSize, 4*mem.PageSize, mem.Read|mem.Write)
	fill(base+16*mem.PageSize, 4*mem.PageSize)
	s.Protect(base+17*mem.PageSize, 2*mem.PageSize, 0) // PROT_NONE with data
	file := base + 32*mem.PageSize                     // 6 pages, the file ends in page 1
	s.Map(file, 6*mem.PageSize, mem.Read|mem.Exec)
	fill(file, mem.PageSize+100)
	s.Protect(file+2*mem.PageSize, 4*mem.PageSize, 0)
	shm, err := syscall.Mmap(-1, 0, 2*mem.PageSize, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED|syscall.MAP_ANON)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Munmap(shm) })
	rng.Read(shm)
	s.Map(base+48*mem.PageSize, 4*mem.PageSize, mem.Read)
	s.Back(base+49*mem.PageSize, shm, true)
	top := limit - 2*mem.PageSize
	s.Map(top, 2*mem.PageSize, mem.Read|mem.Write)
	fill(top+mem.PageSize-8, 16)
	return s, []uint64{base, file, base + 48*mem.PageSize, top}
}

// TestGuestReadMatchesSpace: the C walker answers as the space's debugger
// read, byte for byte, for reads that cross pages, hit holes, PROT_NONE
// and past-EOF pages, lent memory, the top of the address space and
// beyond, on i386 and x86-64 spaces; a failed read leaves buf alone.
func TestGuestReadMatchesSpace(t *testing.T) {
	for _, limit := range []uint64{1 << 32, 1 << 47} {
		t.Run(fmt.Sprintf("%#x", limit), func(t *testing.T) {
			s, areas := guestSpace(t, limit)
			v := s.NewView()
			rng := rand.New(rand.NewSource(1))
			type probe struct {
				a uint64
				n int
			}
			probes := []probe{
				{areas[0] + mem.PageSize - 4, 8},                    // written to written
				{areas[0] + 3*mem.PageSize - 4, 8},                  // written to zeros
				{areas[0] + 5*mem.PageSize - 4, 8},                  // into the hole
				{areas[0] + 4*mem.PageSize, 2 * mem.PageSize},       // zeros, then the hole
				{areas[0] + 16*mem.PageSize + 10, 3 * mem.PageSize}, // through PROT_NONE
				{areas[1] + mem.PageSize + 90, 40},                  // the file's end
				{areas[1] + 5*mem.PageSize, mem.PageSize},           // wholly past it
				{areas[1] + 6*mem.PageSize - 4, 8},                  // off the mapping's end
				{areas[2] + mem.PageSize - 8, 3 * mem.PageSize},     // shm pages
				{areas[3] + mem.PageSize - 8, 16},
				{areas[3] + 2*mem.PageSize - 8, 8},            // the last bytes below Limit
				{areas[3] + 2*mem.PageSize - 8, 9},            // one byte beyond
				{limit, 1}, {1 << 52, 4}, {^uint64(0) - 3, 8}, // beyond, wrapping
				{areas[0], 0}, {0x1000, 0},
			}
			for i := 0; i < 3000; i++ {
				a := areas[rng.Intn(len(areas))] + uint64(rng.Intn(64*mem.PageSize)) - 8*mem.PageSize
				probes = append(probes, probe{a, rng.Intn(3*mem.PageSize) + 1})
			}
			v.Enter()
			defer v.Leave()
			for _, p := range probes {
				want := make([]byte, p.n)
				got := bytes.Repeat([]byte{0xa5}, p.n)
				wok := debuggerRead(s, p.a, want)
				gok := guestRead(s, p.a, got)
				switch {
				case wok != gok:
					t.Fatalf("read [%#x, +%d): C says %v, the space %v", p.a, p.n, gok, wok)
				case wok && !bytes.Equal(got, want):
					t.Fatalf("read [%#x, +%d): C's bytes differ", p.a, p.n)
				case !wok && bytes.Count(got, []byte{0xa5}) != p.n:
					t.Fatalf("failed read [%#x, +%d) wrote to buf", p.a, p.n)
				}
			}
		})
	}
}

// TestGuestReadBadArguments: a negative length or a NULL buffer fail.
func TestGuestReadBadArguments(t *testing.T) {
	s, areas := guestSpace(t, 1<<32)
	levels, bits := s.DirLayout()
	if guestReadRaw(s.Directory(), levels, bits, areas[0], nil, 4) != -1 {
		t.Error("NULL buf succeeded")
	}
	var b [4]byte
	if guestReadRaw(s.Directory(), levels, bits, areas[0], b[:], -1) != -1 {
		t.Error("negative length succeeded")
	}
	if guestReadRaw(0, levels, bits, areas[0], b[:], 4) != -1 {
		t.Error("no directory succeeded")
	}
}

// TestGuestReadRacesMunmap: vCPUs read through the C walker inside
// Enter/Leave while another thread maps, unmaps, protects, writes and
// discards the pages they read: each read fails or returns bytes that
// were there, and a page mapped throughout always reads right.
func TestGuestReadRacesMunmap(t *testing.T) {
	s := mem.New(1 << 47)
	const stable, churn = 0x100000, 0x200000
	s.Map(stable, mem.PageSize, mem.Read)
	want := bytes.Repeat([]byte{0x5a}, mem.PageSize)
	s.Poke(stable, want)
	var stop atomic.Bool
	var wg sync.WaitGroup
	var reads, hits atomic.Int64
	for r := 0; r < 2; r++ {
		v := s.NewView()
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, mem.PageSize)
			churned := make([]byte, mem.PageSize)
			for i := 0; !stop.Load(); i++ {
				v.Enter()
				ok := guestRead(s, stable, buf)
				ok2 := guestRead(s, churn+uint64(i%8)*mem.PageSize+mem.PageSize/2, churned)
				v.Leave()
				if !ok || !bytes.Equal(buf, want) {
					t.Error("the stable page read wrong")
					return
				}
				if ok2 {
					hits.Add(1)
					for _, c := range churned {
						if c != 0 && c&1 == 0 {
							t.Errorf("a churned page reads %#x, never written", c)
							return
						}
					}
				}
				reads.Add(1)
			}
		}()
	}
	rng := rand.New(rand.NewSource(1))
	deadline := time.Now().Add(200 * time.Millisecond)
	for i := 0; time.Now().Before(deadline) || reads.Load() < 100; i++ {
		a := churn + uint64(rng.Intn(8))*mem.PageSize
		n := uint64(rng.Intn(3)+1) * mem.PageSize
		switch rng.Intn(5) {
		case 0:
			s.Map(a, n, mem.Read|mem.Write)
		case 1:
			s.Unmap(a, n)
		case 2:
			s.Protect(a, n, mem.Perm(rng.Intn(8)))
		case 3:
			s.Poke(a, bytes.Repeat([]byte{byte(i) | 1}, int(n)))
		case 4:
			s.Discard(a, n)
		}
	}
	stop.Store(true)
	wg.Wait()
	t.Logf("%d reads, %d of mapped churned pages", reads.Load(), hits.Load())
}

// BenchmarkGuestRead8 is the C walker's cost for an 8-byte read of a
// written page (x86-64 space: 4 levels), measured in a C loop.
func BenchmarkGuestRead8(b *testing.B) {
	for _, limit := range []uint64{1 << 32, 1 << 47} {
		b.Run(fmt.Sprintf("%#x", limit), func(b *testing.B) {
			s := mem.New(limit)
			s.Map(0x10000, mem.PageSize, mem.Read|mem.Write)
			s.Poke(0x10000, make([]byte, mem.PageSize))
			buf := make([]byte, 8)
			b.ResetTimer()
			if guestReadLoop(s, 0x10100, buf, b.N) != b.N {
				b.Fatal("reads failed")
			}
		})
	}
}
