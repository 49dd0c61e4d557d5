package cplugin

import (
	"bytes"
	"encoding/binary"
	"testing"

	"gemu/internal/mem"
	"gemu/internal/x86"
	"gemu/plugin"
)

// Paging bits for the tables the tests build (Intel SDM vol. 3, 4.3-4.5).
const (
	tP    = 1 << 0
	tRW   = 1 << 1
	tUS   = 1 << 2
	tA    = 1 << 5
	tPS   = 1 << 7
	tXD   = 1 << 63
	sRAM  = 16 << 20
	cr0PG = 1<<31 | 1 // PG and PE
)

// sysCPU returns a system-mode CPU of the given register numbering over
// sRAM bytes of RAM filled with a pattern (zeros at 0x1000-0x7fff, where
// the tests build page tables), with no paging yet.
func sysCPU(t *testing.T, mode int) (*x86.CPU, *mem.Phys) {
	t.Helper()
	p, err := mem.NewPhys(sRAM, nil)
	if err != nil {
		t.Fatal(err)
	}
	ram := p.RAM()
	for i := range ram {
		ram[i] = byte(i*7 + i>>12)
	}
	clear(ram[0x1000:0x8000]) // the page tables' pages
	c := x86.New(mode, nil)
	c.Priv = &x86.System{}
	c.Mem = mem.NewSystem(p).NewView()
	return c, p
}

// setPaging loads the paging registers into c and its MMU, as the CPU's
// setters do.
func setPaging(c *x86.CPU, cr0, cr3, cr4, efer uint64) {
	c.CR0, c.CR3, c.CR4, c.EFER = cr0, cr3, cr4, efer
	c.Mem.SetPaging(cr0, cr3, cr4, efer)
}

// memCase is a read and what it must give: ok with the bytes of RAM at
// physical address pa (and on, frame by frame as frames lists for a read
// crossing pages), or an error.
type memCase struct {
	name   string
	va     uint64
	n      int
	ok     bool
	frames []uint64 // physical address of each page the read touches
}

// checkSysRead reads every case through the Go API (plugin.CPU's
// ReadMemory, mem.View.ReadVirt) and through qemulib_read_memory's C walk
// and checks both against the expectation; entries' accessed bits must
// stay clear.
func checkSysRead(t *testing.T, c *x86.CPU, p *mem.Phys, cases []memCase) {
	t.Helper()
	if err := setRegmap(c.ProcMode); err != nil {
		t.Fatal(err)
	}
	ram := p.RAM()
	for _, tc := range cases {
		var want []byte
		if tc.ok {
			off := tc.va & 0xfff
			left := tc.n
			for _, f := range tc.frames {
				k := min(left, int(0x1000-off))
				want = append(want, ram[f+off:f+off+uint64(k)]...)
				left -= k
				off = 0
			}
			if left != 0 {
				t.Fatalf("%s: frames cover %d bytes short", tc.name, left)
			}
		}
		goBuf := make([]byte, tc.n)
		err := (*plugin.CPU)(c).ReadMemory(tc.va, goBuf)
		if tc.ok && (err != nil || !bytes.Equal(goBuf, want)) {
			t.Errorf("%s: Go read %x, %v; want %x", tc.name, goBuf, err, want)
		}
		if !tc.ok && err != plugin.ErrUnmapped {
			t.Errorf("%s: Go read succeeded (%x), want ErrUnmapped", tc.name, goBuf)
		}
		cBuf := bytes.Repeat([]byte{0xa5}, tc.n)
		r := readMemoryC(c, tc.va, cBuf)
		if tc.ok && (r != 0 || !bytes.Equal(cBuf, want)) {
			t.Errorf("%s: C read %x, %d; want %x", tc.name, cBuf, r, want)
		}
		if !tc.ok && (r != -1 || !bytes.Equal(cBuf, bytes.Repeat([]byte{0xa5}, tc.n))) {
			t.Errorf("%s: C read returned %d, buf %x; want -1 and buf untouched", tc.name, r, cBuf)
		}
	}
}

// noAccessed fails if any 8-byte (or, for 32-bit tables, 4-byte) entry in
// the table pages has its accessed bit set.
func noAccessed(t *testing.T, p *mem.Phys, tables []uint64, entry int) {
	t.Helper()
	ram := p.RAM()
	for _, tb := range tables {
		for off := uint64(0); off < 0x1000; off += uint64(entry) {
			if e := ram[tb+off]; e&tP != 0 && e&tA != 0 {
				t.Errorf("entry at %#x got its accessed bit: %#x", tb+off, e)
			}
		}
	}
}

func TestReadMemorySystem32(t *testing.T) {
	c, p := sysCPU(t, 32)
	ram := p.RAM()
	pd, pt := uint64(0x1000), uint64(0x2000)
	put := func(a uint64, v uint32) { binary.LittleEndian.PutUint32(ram[a:], v) }
	// 0x00400000: a page table; 0xc0000000: a 4 MiB page at 4 MiB.
	put(pd+1*4, uint32(pt)|tP|tRW|tUS)
	put(pd+0x300*4, 0x400000|tP|tRW|tPS)
	put(pt+0*4, 0x10000|tP)          // read-only, user
	put(pt+1*4, 0x30000|tP|tRW)      // another frame, not the next one
	put(pt+3*4, 0x2000000|tP|tRW)    // beyond the RAM
	put(pt+4*4, 0x5000|tP)           // supervisor-only: read anyway
	setPaging(c, cr0PG, pd, 1<<4, 0) // CR4.PSE
	cases := []memCase{
		{"4K page", 0x400123, 8, true, []uint64{0x10000}},
		{"across a page into another frame", 0x400ffc, 8, true, []uint64{0x10000, 0x30000}},
		{"not present PTE", 0x402000, 4, false, nil},
		{"into a not-present page", 0x401ffe, 4, false, nil},
		{"not present PDE", 0x80000000, 4, false, nil},
		{"frame beyond RAM", 0x403000, 4, false, nil},
		{"supervisor page", 0x404010, 16, true, []uint64{0x5000}},
		{"4M page", 0xc0123456, 4, true, []uint64{0x400000 + 0x123000}},
		{"empty read of an unmapped page", 0x80000000, 0, true, nil},
	}
	checkSysRead(t, c, p, cases)
	noAccessed(t, p, []uint64{pd, pt}, 4)
	// Without PSE the 4M entry is a table pointer (to 0x400000, whose
	// first entry is pattern bytes): both sides agree on what it gives.
	setPaging(c, cr0PG, pd, 0, 0)
	a, b := make([]byte, 4), make([]byte, 4)
	errGo := (*plugin.CPU)(c).ReadMemory(0xc0000000, a)
	if r := readMemoryC(c, 0xc0000000, b); (r == 0) != (errGo == nil) || r == 0 && !bytes.Equal(a, b) {
		t.Errorf("PS without PSE: Go %x %v, C %x %d", a, errGo, b, r)
	}
	// Paging off: virtual is physical, RAM only.
	setPaging(c, 1, 0, 0, 0)
	checkSysRead(t, c, p, []memCase{
		{"no paging", 0x10010, 4, true, []uint64{0x10000}},
		{"no paging, last bytes of RAM", sRAM - 4, 4, true, []uint64{sRAM - 0x1000}},
		{"no paging, past RAM", sRAM - 2, 4, false, nil},
	})
}

func TestReadMemorySystemPAE(t *testing.T) {
	c, p := sysCPU(t, 32)
	ram := p.RAM()
	put := func(a, v uint64) { binary.LittleEndian.PutUint64(ram[a:], v) }
	pdpt, pd, pt := uint64(0x1000), uint64(0x2000), uint64(0x3000)
	put(pdpt+0*8, pd|tP)
	put(pd+2*8, pt|tP|tRW|tUS)         // 0x00400000
	put(pd+3*8, 0x600000|tP|tPS)       // 0x00600000: a 2 MiB page
	put(pd+4*8, 0x800000|tP|tPS|1<<13) // reserved bit in a 2 MiB entry
	put(pt+0*8, 0x10000|tP)
	put(pt+1*8, 0x30000|tP|tXD)            // XD with NXE: read anyway
	put(pt+2*8, 0x40000)                   // not present
	setPaging(c, cr0PG, pdpt, 1<<5, 1<<11) // CR4.PAE, EFER.NXE
	checkSysRead(t, c, p, []memCase{
		{"4K page", 0x400800, 8, true, []uint64{0x10000}},
		{"across a page into another frame", 0x400ff8, 16, true, []uint64{0x10000, 0x30000}},
		{"into a not-present page", 0x401fff, 2, false, nil},
		{"2M page", 0x6abcde, 8, true, []uint64{0x6ab000}},
		{"reserved bit", 0x800000, 4, false, nil},
		{"PDPTE not present", 0x40000000, 4, false, nil},
		{"PDE not present", 0x200000, 4, false, nil},
	})
	noAccessed(t, p, []uint64{pd, pt}, 8)
}

func TestReadMemorySystem4Level(t *testing.T) {
	c, p := sysCPU(t, 64)
	ram := p.RAM()
	put := func(a, v uint64) { binary.LittleEndian.PutUint64(ram[a:], v) }
	pml4, pdptHi, pdptLo, pd, pt := uint64(0x1000), uint64(0x2000), uint64(0x3000), uint64(0x4000), uint64(0x5000)
	put(pml4+273*8, pdptHi|tP|tRW)                    // 0xffff888000000000
	put(pdptHi+0*8, 0|tP|tRW|tPS)                     // a 1 GiB page at 0
	put(pdptHi+1*8, 0x40000000|tP|tRW|tPS)            // a 1 GiB page beyond the RAM
	put(pml4+0*8, pdptLo|tP|tRW|tUS)                  // 0x0000000000000000
	put(pdptLo+0*8, pd|tP|tRW|tUS)                    //
	put(pd+2*8, pt|tP|tRW|tUS)                        // 0x400000
	put(pd+3*8, 0x600000|tP|tRW|tPS)                  // 0x600000: a 2 MiB page
	put(pt+0*8, 0x10000|tP|tUS)                       //
	put(pt+1*8, 0x30000|tP|tRW|tXD)                   // NX
	put(pt+5*8, 0x70000|tP|1<<51)                     // reserved (above MAXPHYADDR)
	put(pml4+1*8, 0x6000|tP|tRW|tPS)                  // PS in a PML4 entry: reserved
	setPaging(c, cr0PG, pml4, 1<<5, 1<<8|1<<10|1<<11) // PAE; LME LMA NXE
	checkSysRead(t, c, p, []memCase{
		{"4K page", 0x400100, 8, true, []uint64{0x10000}},
		{"across a page into another frame", 0x400ffd, 6, true, []uint64{0x10000, 0x30000}},
		{"into a not-present page", 0x401fff, 2, false, nil},
		{"2M page", 0x7fff00, 0x100, true, []uint64{0x7ff000}},
		{"1G page (the direct map)", 0xffff888000123456, 8, true, []uint64{0x123000}},
		{"1G page past RAM", 0xffff888040000000, 8, false, nil},
		{"reserved bit", 0x405000, 4, false, nil},
		{"PS in PML4E", 0x8000000000, 4, false, nil},
		{"non-canonical", 0x0000800000000000, 4, false, nil},
		{"PML4E not present", 0x7f0000000000, 4, false, nil},
	})
	noAccessed(t, p, []uint64{pml4, pdptHi, pdptLo, pd, pt}, 8)
}

// TestReadMemoryUserUnchanged: a user-mode CPU still reads through its
// page directory (no RAM in its record), in C and Go alike.
func TestReadMemoryUserUnchanged(t *testing.T) {
	s := mem.New(1 << 32)
	s.Map(0x10000, 0x2000, mem.Read)
	s.Poke(0x10ffe, []byte{1, 2, 3, 4})
	c := x86.New(32, s)
	if err := setRegmap(32); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 4)
	if r := readMemoryC(c, 0x10ffe, b); r != 0 || !bytes.Equal(b, []byte{1, 2, 3, 4}) {
		t.Errorf("C read %x, %d", b, r)
	}
	if r := readMemoryC(c, 0x11ffe, b); r != -1 {
		t.Errorf("C read past the mapping: %d", r)
	}
	if err := (*plugin.CPU)(c).ReadMemory(0x11ffe, b); err != plugin.ErrUnmapped {
		t.Errorf("Go read past the mapping: %v", err)
	}
}
