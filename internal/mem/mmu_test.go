package mem

import (
	"encoding/binary"
	"fmt"
	"slices"
	"testing"
)

// fakeBus claims [base, base+size) and logs every access.
type fakeBus struct {
	base, size uint64
	val        uint64 // what reads return
	log        []string
}

func (b *fakeBus) IsMMIO(pa uint64) bool { return pa >= b.base && pa < b.base+b.size }

func (b *fakeBus) ReadMMIO(pa uint64, size int) uint64 {
	b.log = append(b.log, fmt.Sprintf("r %#x %d", pa, size))
	if !b.IsMMIO(pa) {
		return ^uint64(0)
	}
	return b.val
}

func (b *fakeBus) WriteMMIO(pa uint64, size int, v uint64) {
	b.log = append(b.log, fmt.Sprintf("w %#x %d %#x", pa, size, v))
}

const (
	cr0PE   = 1
	eferLME = 1 << 8
	sysRAM  = 16 << 20
)

func newSys(t *testing.T, bus MMIOBus) (*Phys, *View) {
	t.Helper()
	p, err := NewPhys(sysRAM, bus)
	if err != nil {
		t.Fatal(err)
	}
	return p, NewSystem(p).NewView()
}

func put32(p *Phys, pa uint64, x uint32) { binary.LittleEndian.PutUint32(p.RAM()[pa:], x) }
func put64(p *Phys, pa uint64, x uint64) { binary.LittleEndian.PutUint64(p.RAM()[pa:], x) }
func get32(p *Phys, pa uint64) uint32    { return binary.LittleEndian.Uint32(p.RAM()[pa:]) }
func get64(p *Phys, pa uint64) uint64    { return binary.LittleEndian.Uint64(p.RAM()[pa:]) }

// catch runs f and returns the *Fault it panicked with, or nil.
func catch(f func()) (flt *Fault) {
	defer func() {
		if r := recover(); r != nil {
			flt = r.(*Fault)
		}
	}()
	f()
	return nil
}

// access kinds of the tables below.
const (
	opRead = iota
	opWrite
	opFetch
)

type vcase struct {
	name string
	va   uint64
	op   int
	user bool
	// want: the physical address reached, or the fault's code (fault
	// true).
	pa    uint64
	fault bool
	code  uint32
}

// runCases runs each case's access through v and checks where it landed
// (a store's byte in RAM, a load's byte from RAM) or its fault.
func runCases(t *testing.T, p *Phys, v *View, cases []vcase) {
	t.Helper()
	for i, c := range cases {
		v.SetUser(c.user)
		v.FlushTLB(true)
		mark := byte(0x40 + i)
		var f *Fault
		var got byte
		switch c.op {
		case opRead:
			if !c.fault {
				p.RAM()[c.pa] = mark
			}
			f = catch(func() { got = v.Load8(c.va) })
		case opWrite:
			f = catch(func() { v.Store8(c.va, mark) })
			if f == nil {
				got = p.RAM()[c.pa]
			}
		case opFetch:
			if !c.fault {
				p.RAM()[c.pa] = mark
			}
			var b [1]byte
			if v.Fetch(c.va, b[:]) == 1 {
				got = b[0]
			}
			f = v.FetchFault(c.va)
		}
		switch {
		case c.fault && f == nil:
			t.Errorf("%s: no fault, want code %#x", c.name, c.code)
		case c.fault && (f.Code != c.code || f.Addr != c.va || f.Unmapped != (c.code&PFPresent == 0)):
			t.Errorf("%s: fault %+v, want code %#x at %#x", c.name, *f, c.code, c.va)
		case !c.fault && f != nil:
			t.Errorf("%s: fault %+v", c.name, *f)
		case !c.fault && got != mark:
			t.Errorf("%s: byte %#x, want %#x (not at pa %#x)", c.name, got, mark, c.pa)
		}
	}
	v.SetUser(false)
}

// 2-level tables: PD at 0x1000, a PT at 0x2000.
func setup32(p *Phys) {
	put32(p, 0x1000+1*4, 0x2000|pteP|pteRW|pteUS)
	put32(p, 0x2000+0*4, 0x5000|pteP|pteRW|pteUS)        // 0x400000: user rw
	put32(p, 0x2000+1*4, 0x6000|pteP|pteUS)              // 0x401000: user ro
	put32(p, 0x2000+2*4, 0x7000|pteP|pteRW)              // 0x402000: supervisor rw
	put32(p, 0x2000+4*4, 0x5000|pteP|pteRW)              // 0x404000: alias of 0x400000
	put32(p, 0x1000+2*4, 0xc00000|ptePS|pteP|pteRW)      // 0x800000: 4M supervisor
	put32(p, 0x1000+3*4, 0xc00000|ptePS|pteP|1<<13)      // 0xc00000: 4M, reserved bit
	put32(p, 0x1000+4*4, 0x400000|ptePS|pteP|pteUS|pteG) // 0x1000000: 4M user ro global
}

func TestPaging32(t *testing.T) {
	p, v := newSys(t, nil)
	setup32(p)
	v.SetPaging(cr0PG|cr0PE, 0x1000, cr4PSE, 0)
	runCases(t, p, v, []vcase{
		{name: "read 4K", va: 0x400123, pa: 0x5123},
		{name: "write 4K", va: 0x400124, op: opWrite, pa: 0x5124},
		{name: "user write 4K", va: 0x400125, op: opWrite, user: true, pa: 0x5125},
		{name: "read 4M", va: 0x8abcde, pa: 0xcabcde},
		{name: "4M global user", va: 0x1012345, user: true, pa: 0x412345},
		{name: "sup write ro, WP=0", va: 0x401010, op: opWrite, pa: 0x6010},
		{name: "user write ro", va: 0x401010, op: opWrite, user: true, fault: true, code: PFPresent | PFWrite | PFUser},
		{name: "user read sup", va: 0x402000, user: true, fault: true, code: PFPresent | PFUser},
		{name: "user fetch sup", va: 0x402000, op: opFetch, user: true, fault: true, code: PFPresent | PFUser},
		{name: "user write 4M sup", va: 0x800000, op: opWrite, user: true, fault: true, code: PFPresent | PFWrite | PFUser},
		{name: "not present pte", va: 0x403000, fault: true, code: 0},
		{name: "not present pte write user", va: 0x403000, op: opWrite, user: true, fault: true, code: PFWrite | PFUser},
		{name: "not present pde", va: 0x4000000, fault: true, code: 0},
		{name: "fetch not present (no I/D without PAE)", va: 0x403000, op: opFetch, fault: true, code: 0},
		{name: "4M reserved bit", va: 0xc00000, fault: true, code: PFPresent | PFRsvd},
		{name: "fetch 4K", va: 0x400200, op: opFetch, pa: 0x5200},
	})

	// CR0.WP: supervisor writes to read-only pages fault too.
	v.SetPaging(cr0PG|cr0PE|cr0WP, 0x1000, cr4PSE, 0)
	runCases(t, p, v, []vcase{
		{name: "WP sup write ro", va: 0x401010, op: opWrite, fault: true, code: PFPresent | PFWrite},
		{name: "WP sup write rw", va: 0x402010, op: opWrite, pa: 0x7010},
	})

	// Without CR4.PSE the PS bit is ignored: the PDE names a page table
	// (at 0xc00000, zeros: not present).
	v.SetPaging(cr0PG|cr0PE, 0x1000, 0, 0)
	runCases(t, p, v, []vcase{
		{name: "no PSE", va: 0x800000, fault: true, code: 0},
		{name: "no PSE reserved ignored", va: 0xc00000, fault: true, code: 0},
	})
}

func TestAccessedDirty32(t *testing.T) {
	p, v := newSys(t, nil)
	setup32(p)
	v.SetPaging(cr0PG|cr0PE, 0x1000, cr4PSE, 0)
	pde, pte0, pte1 := uint64(0x1004), uint64(0x2000), uint64(0x2004)
	v.Load32(0x401000)
	if got := get32(p, pde); got != 0x2000|pteP|pteRW|pteUS|pteA {
		t.Errorf("pde after read %#x", got)
	}
	if got := get32(p, pte1); got != 0x6000|pteP|pteUS|pteA {
		t.Errorf("pte after read %#x", got)
	}
	if got := get32(p, pte0); got != 0x5000|pteP|pteRW|pteUS {
		t.Errorf("untouched pte %#x", got)
	}
	v.Load32(0x400000) // a read: accessed only
	if got := get32(p, pte0); got != 0x5000|pteP|pteRW|pteUS|pteA {
		t.Errorf("pte after read %#x", got)
	}
	v.Store32(0x400000, 1) // the write misses the write cache: walks, sets D
	if got := get32(p, pte0); got != 0x5000|pteP|pteRW|pteUS|pteA|pteD {
		t.Errorf("pte after write %#x", got)
	}
	// A 4M page's PDE is the leaf: A and D there.
	v.Store8(0x800000, 1)
	if got := get32(p, 0x1008); got != 0xc00000|ptePS|pteP|pteRW|pteA|pteD {
		t.Errorf("4M pde after write %#x", got)
	}
	// A faulting access sets nothing.
	put32(p, 0x1014, 0x3000|pteP|pteRW) // 0x1400000: PT at 0x3000, empty
	catch(func() { v.Load8(0x1400000) })
	if got := get32(p, 0x1014); got != 0x3000|pteP|pteRW {
		t.Errorf("pde after a fault %#x", got)
	}
}

// PAE tables: PDPT at 0x3000, PD at 0x4000, PT at 0x8000.
func setupPAE(p *Phys) {
	put64(p, 0x3000, 0x4000|pteP)
	put64(p, 0x3010, 0x4000|pteP|pteRW) // PDPTE 2: bit 1 reserved
	put64(p, 0x3018, 0x4000|pteP|1<<40) // PDPTE 3: above MAXPHYADDR
	put64(p, 0x4000, 0x8000|pteP|pteRW|pteUS)
	put64(p, 0x4008, 0x600000|ptePS|pteP|pteRW|pteUS) // 0x200000: 2M user
	put64(p, 0x4010, 0x600000|ptePS|pteP|1<<13)       // 0x400000: 2M reserved
	put64(p, 0x8000+5*8, 0x9000|pteP|pteRW|pteUS|pteXD)
	put64(p, 0x8000+6*8, 0x9000|pteP|pteRW|pteUS|1<<40)
	put64(p, 0x8000+7*8, 0xa000|pteP|pteRW|pteUS)
}

func TestPagingPAE(t *testing.T) {
	p, v := newSys(t, nil)
	setupPAE(p)
	v.SetPaging(cr0PG|cr0PE, 0x3000, cr4PAE, eferNXE)
	runCases(t, p, v, []vcase{
		{name: "4K", va: 0x7010, op: opWrite, user: true, pa: 0xa010},
		{name: "2M", va: 0x2abcde, pa: 0x6abcde},
		{name: "2M user write", va: 0x3fffff, op: opWrite, user: true, pa: 0x7fffff},
		{name: "NX read", va: 0x5000, pa: 0x9000},
		{name: "NX fetch", va: 0x5000, op: opFetch, fault: true, code: PFPresent | PFFetch},
		{name: "NX user fetch", va: 0x5001, op: opFetch, user: true, fault: true, code: PFPresent | PFFetch | PFUser},
		{name: "fetch ok", va: 0x7000, op: opFetch, pa: 0xa000},
		{name: "fetch not present", va: 0x8000, op: opFetch, fault: true, code: PFFetch},
		{name: "pte above maxphyaddr", va: 0x6000, fault: true, code: PFPresent | PFRsvd},
		{name: "2M reserved", va: 0x400000, op: opWrite, fault: true, code: PFPresent | PFRsvd | PFWrite},
		{name: "pdpte not present", va: 0x40000000, fault: true, code: 0},
		{name: "pdpte reserved", va: 0x80000000, fault: true, code: PFPresent | PFRsvd},
		{name: "pdpte above maxphyaddr", va: 0xc0000000, fault: true, code: PFPresent | PFRsvd},
	})
	// Without EFER.NXE bit 63 is reserved, and fetches don't say I/D.
	v.SetPaging(cr0PG|cr0PE, 0x3000, cr4PAE, 0)
	runCases(t, p, v, []vcase{
		{name: "XD reserved", va: 0x5000, fault: true, code: PFPresent | PFRsvd},
		{name: "fetch no NXE", va: 0x7000, op: opFetch, pa: 0xa000},
		{name: "fetch not present no NXE", va: 0x8000, op: opFetch, fault: true, code: 0},
	})
	// A wider MAXPHYADDR makes bit 40 an address bit (beyond RAM: the
	// access reaches no RAM, reads all ones).
	p.AddrBits = 41
	v.SetPaging(cr0PG|cr0PE, 0x3000, cr4PAE, eferNXE)
	if got := v.Load32(0x6000); got != 0xffffffff {
		t.Errorf("load beyond RAM %#x", got)
	}
	if pa, err := v.Translate(0x6123); err != nil || pa != 1<<40|0x9123 {
		t.Errorf("Translate %#x %v", pa, err)
	}
}

// 4-level tables: PML4 at 0x10000, PDPT 0x11000, PD 0x12000, PT 0x13000.
func setup4(p *Phys) {
	put64(p, 0x10000, 0x11000|pteP|pteRW|pteUS)
	put64(p, 0x10008, 0x11000|pteP|ptePS)             // PS in a PML4E: reserved
	put64(p, 0x10000+511*8, 0x11000|pteP|pteRW)       // the top 512 GiB: supervisor
	put64(p, 0x11000, 0x12000|pteP|pteRW|pteUS)       // 0: PD
	put64(p, 0x11008, 0|ptePS|pteP|pteRW)             // 1G: 1G page at 0
	put64(p, 0x11010, 0x40000000|ptePS|pteP|1<<13)    // 2G: reserved
	put64(p, 0x11018, 0x12000|pteP|pteRW|pteUS|1<<45) // 3G: above MAXPHYADDR
	put64(p, 0x12000, 0x13000|pteP|pteRW|pteUS)
	put64(p, 0x12008, 0x400000|ptePS|pteP|pteRW|pteUS) // 2M: 2M page at 4M
	put64(p, 0x13000+0x20*8, 0x30000|pteP|pteRW|pteUS)
	put64(p, 0x13000+0x21*8, 0x31000|pteP|pteRW|pteUS|pteXD)
	put64(p, 0x13000+0x22*8, 0x32000|pteP|pteUS) // read-only
}

func TestPaging4(t *testing.T) {
	p, v := newSys(t, nil)
	p.AddrBits = 40
	setup4(p)
	v.SetPaging(cr0PG|cr0PE|cr0WP, 0x10000, cr4PAE, eferLME|eferLMA|eferNXE)
	runCases(t, p, v, []vcase{
		{name: "4K", va: 0x20010, op: opWrite, user: true, pa: 0x30010},
		{name: "2M", va: 0x212345, pa: 0x412345},
		{name: "1G", va: 0x40abcdef, op: opWrite, pa: 0xabcdef},
		{name: "1G user sup", va: 0x40000000, user: true, fault: true, code: PFPresent | PFUser},
		{name: "high half", va: 0xffffff8040001000, pa: 0x1000},
		{name: "high half user", va: 0xffffff8000020000, user: true, fault: true, code: PFPresent | PFUser},
		{name: "XD fetch", va: 0x21000, op: opFetch, fault: true, code: PFPresent | PFFetch},
		{name: "XD read", va: 0x21000, pa: 0x31000},
		{name: "ro write WP", va: 0x22000, op: opWrite, fault: true, code: PFPresent | PFWrite},
		{name: "PS in PML4E", va: 1 << 39, fault: true, code: PFPresent | PFRsvd},
		{name: "1G reserved", va: 0x80000000, fault: true, code: PFPresent | PFRsvd},
		{name: "above MAXPHYADDR", va: 0xc0000000, fault: true, code: PFPresent | PFRsvd},
		{name: "not present", va: 0x23000, op: opWrite, user: true, fault: true, code: PFWrite | PFUser},
		{name: "not present pml4e", va: 2 << 39, op: opFetch, fault: true, code: PFFetch},
	})
	f := catch(func() { v.Load8(0x0000800000000000) })
	if f == nil || !f.NonCanonical || f.Addr != 0x0000800000000000 {
		t.Errorf("non-canonical: %+v", f)
	}
	// Accessed flags on every level, dirty on the leaf only.
	v.FlushTLB(true)
	v.Store8(0x20000, 1)
	for _, c := range []struct {
		pa, want uint64
	}{
		{0x10000, 0x11000 | pteP | pteRW | pteUS | pteA},
		{0x11000, 0x12000 | pteP | pteRW | pteUS | pteA},
		{0x12000, 0x13000 | pteP | pteRW | pteUS | pteA},
		{0x13000 + 0x20*8, 0x30000 | pteP | pteRW | pteUS | pteA | pteD},
		{0x11008, ptePS | pteP | pteRW | pteA | pteD}, // the 1G page written above
	} {
		if got := get64(p, c.pa); got != c.want {
			t.Errorf("entry at %#x: %#x, want %#x", c.pa, got, c.want)
		}
	}
}

func TestUserSupervisorSets(t *testing.T) {
	p, v := newSys(t, nil)
	setup32(p)
	v.SetPaging(cr0PG|cr0PE, 0x1000, cr4PSE, 0)
	put32(p, 0x7000, 0x11223344)
	if got := v.Load32(0x402000); got != 0x11223344 {
		t.Fatalf("supervisor load %#x", got)
	}
	// The supervisor's translation is cached; a user access must not use it.
	v.SetUser(true)
	if f := catch(func() { v.Load32(0x402000) }); f == nil || f.Code != PFPresent|PFUser {
		t.Errorf("user load of a supervisor page: %+v", f)
	}
	// The supervisor accessors check as CPL 0 while the CPU is at CPL 3.
	if got := v.LoadSup32(0x402000); got != 0x11223344 {
		t.Errorf("LoadSup32 %#x", got)
	}
	v.StoreSup16(0x402002, 0xaabb)
	if got := get32(p, 0x7000); got != 0xaabb3344 {
		t.Errorf("after StoreSup16 %#x", got)
	}
	if !v.User() {
		t.Error("User() false at CPL 3")
	}
	// Back at CPL 0 without a flush: the supervisor cache still holds it.
	v.SetUser(false)
	put32(p, 0x2008, 0) // unmapped, but cached
	if got := v.Load32(0x402000); got != 0xaabb3344 {
		t.Errorf("cached supervisor load %#x", got)
	}
}

func TestFlushes(t *testing.T) {
	p, v := newSys(t, nil)
	setup32(p)
	put32(p, 0x2000+8*4, 0x5000|pteP|pteRW|pteG) // 0x408000: global
	v.SetPaging(cr0PG|cr0PE, 0x1000, cr4PSE|cr4PGE, 0)
	put32(p, 0x5000, 5)
	put32(p, 0x6000, 6)
	put32(p, 0xc01000, 0xc)
	put32(p, 0x9ff000, 0x9f)
	put32(p, 0xdff000, 0xdf)
	load := func(va uint64) uint32 { return v.Load32(va) }
	if load(0x400000) != 5 || load(0x408000) != 5 || load(0x801000) != 0xc || load(0x9ff000) != 0xdf {
		t.Fatal("first loads")
	}
	// (0x801000 and 0x9ff000 are pieces of the 4M page in cache slots of
	// their own.)
	// Point both 4K pages at 0x6000 and the 4M page at 0x800000.
	put32(p, 0x2000, 0x6000|pteP|pteRW|pteUS)
	put32(p, 0x2000+8*4, 0x6000|pteP|pteRW|pteG)
	put32(p, 0x1008, 0x800000|ptePS|pteP|pteRW)
	if load(0x400000) != 5 || load(0x408000) != 5 {
		t.Error("a changed PTE was seen before a flush")
	}
	v.FlushPage(0x400abc)
	if load(0x400000) != 6 || load(0x408000) != 5 {
		t.Error("FlushPage")
	}
	// INVLPG anywhere in a large page drops all its pieces.
	v.FlushPage(0x800000)
	if got := load(0x9ff000); got != 0x9f {
		t.Errorf("4M page piece after FlushPage: %#x", got)
	}
	// A CR3 load keeps global entries; a CR4 change drops them.
	v.FlushTLB(false)
	if load(0x408000) != 5 {
		t.Error("global entry dropped by FlushTLB(false)")
	}
	v.SetPaging(cr0PG|cr0PE, 0x1000, cr4PSE|cr4PGE, 0) // only CR3 (the same)
	if load(0x408000) != 5 {
		t.Error("global entry dropped by a CR3 load")
	}
	v.FlushTLB(true)
	if load(0x408000) != 6 {
		t.Error("global entry kept by FlushTLB(true)")
	}
	// Without CR4.PGE nothing is global.
	put32(p, 0x2000+8*4, 0x5000|pteP|pteRW|pteG)
	v.SetPaging(cr0PG|cr0PE, 0x1000, cr4PSE, 0)
	load(0x408000)
	put32(p, 0x2000+8*4, 0x6000|pteP|pteRW|pteG)
	v.FlushTLB(false)
	if load(0x408000) != 6 {
		t.Error("G without PGE kept")
	}
}

func TestMMIO(t *testing.T) {
	bus := &fakeBus{base: 0xa0000, size: 0x1000, val: 0x1122334455667788}
	p, v := newSys(t, bus)
	p.RAM()[0xa0000] = 0x99
	cases := []struct {
		f    func() uint64
		want uint64
		log  []string
	}{
		{func() uint64 { return uint64(v.Load32(0xa0010)) }, 0x55667788, []string{"r 0xa0010 4"}},
		{func() uint64 { return v.Load64(0xa0010) }, 0x1122334455667788, []string{"r 0xa0010 8"}},
		{func() uint64 { return uint64(v.Load8(0xa0000)) }, 0x88, []string{"r 0xa0000 1"}},
		{func() uint64 { v.Store16(0xa0002, 0xbeef); return 0 }, 0, []string{"w 0xa0002 2 0xbeef"}},
		{func() uint64 { v.Store64(0xa0008, 1<<40|7); return 0 }, 0, []string{"w 0xa0008 8 0x10000000007"}},
		// Crossing from RAM into MMIO: the device's bytes one by one.
		{func() uint64 { return uint64(v.Load32(0x9fffe)) }, 0x88880000, []string{"r 0xa0000 1", "r 0xa0001 1"}},
		{func() uint64 { v.Store32(0xa0ffe, 0xa1b2c3d4); return 0 }, 0, []string{"w 0xa0ffe 1 0xd4", "w 0xa0fff 1 0xc3"}},
		// Unclaimed addresses beyond RAM go to the bus too (all ones).
		{func() uint64 { return uint64(v.Load16(0xfee00000)) }, 0xffff, []string{"r 0xfee00000 2"}},
		// Locked operations: one read and one write of the width.
		{func() uint64 { return v.LockedAt(0xa0020, 4).Xadd(1) }, 0x55667788, []string{"r 0xa0020 4", "w 0xa0020 4 0x55667789"}},
		{func() uint64 {
			var b [3]byte
			v.LoadBytes(0xa0004, b[:])
			return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16
		}, 0x888888,
			[]string{"r 0xa0004 1", "r 0xa0005 1", "r 0xa0006 1"}},
	}
	for i, c := range cases {
		for rep := 0; rep < 2; rep++ { // never cached: the second time too
			bus.log = nil
			if got := c.f(); got != c.want || !slices.Equal(bus.log, c.log) {
				t.Errorf("case %d/%d: %#x %q, want %#x %q", i, rep, got, bus.log, c.want, c.log)
			}
		}
	}
	if p.RAM()[0xa0000] != 0x99 || get32(p, 0xa0ffc) != 0 || p.RAM()[0xa1000] != 0xb2 {
		t.Errorf("RAM under MMIO written, or crossing store lost: %#x %#x %#x", p.RAM()[0xa0000], get32(p, 0xa0ffc), p.RAM()[0xa1000])
	}
	// Without a bus, unassigned memory reads all ones and drops stores.
	_, v2 := newSys(t, nil)
	v2.Store32(sysRAM, 5)
	if got := v2.Load64(sysRAM - 4); got != 0xffffffff00000000 {
		t.Errorf("load across the end of RAM: %#x", got)
	}
}

func TestCodeWriteAlias(t *testing.T) {
	p, v := newSys(t, nil)
	setup32(p)
	v.SetPaging(cr0PG|cr0PE, 0x1000, cr4PSE, 0)
	var reports []uint64
	var seen byte
	v.Space.OnCodeWrite = func(pa uint64) {
		reports = append(reports, pa)
		seen = p.RAM()[0x5001]
	}
	v.Store8(0x404001, 1) // fills a write translation through the alias
	v.MarkCode(0x400000)  // marks physical page 0x5000
	if pa, ok := v.CodePage(0x400010); !ok || pa != 0x5000 {
		t.Errorf("CodePage %#x %v", pa, ok)
	}
	v.Store8(0x404001, 2)
	if !slices.Equal(reports, []uint64{0x5000}) || seen != 1 || p.RAM()[0x5001] != 2 {
		t.Errorf("reports %#x, byte at report %d, after %d", reports, seen, p.RAM()[0x5001])
	}
	v.Store8(0x404001, 3) // the mark is gone
	if len(reports) != 1 {
		t.Errorf("reported again: %#x", reports)
	}
	// Device writes (DMA) report code pages too.
	v.MarkCode(0x404000)
	if err := p.Write(0x4ffe, []byte{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(reports, []uint64{0x5000, 0x5000}) {
		t.Errorf("reports after Phys.Write %#x", reports)
	}
	// So do a plugin's writes, and locked operations.
	v.MarkCode(0x400000)
	if err := v.WriteVirt(0x401ffe, []byte{9, 9, 9, 9}); err != nil { // 0x6ffe..0x7001: not code
		t.Fatal(err)
	}
	if err := v.WriteVirt(0x400002, []byte{9}); err != nil {
		t.Fatal(err)
	}
	v.MarkCode(0x400000)
	v.LockedAt(0x404008, 4).Xadd(1)
	if !slices.Equal(reports, []uint64{0x5000, 0x5000, 0x5000, 0x5000}) {
		t.Errorf("reports after WriteVirt and Xadd %#x", reports)
	}
	if err := p.Write(sysRAM-1, []byte{1, 2}); err == nil {
		t.Error("Phys.Write past the end of RAM")
	}
}

func TestFetchAndDebugAccess(t *testing.T) {
	p, v := newSys(t, nil)
	p.AddrBits = 40
	setup4(p)
	v.SetPaging(cr0PG|cr0PE, 0x10000, cr4PAE, eferLME|eferLMA|eferNXE)
	copy(p.RAM()[0x30ffc:], []byte{1, 2, 3, 4})
	var b [8]byte
	if n := v.Fetch(0x20ffc, b[:]); n != 4 || !slices.Equal(b[:4], []byte{1, 2, 3, 4}) {
		t.Errorf("Fetch up to an XD page: %d % x", n, b[:n])
	}
	if f := v.FetchFault(0x21000); f == nil || f.Code != PFPresent|PFFetch || f.Access != AccExec {
		t.Errorf("FetchFault %+v", f)
	}
	if _, ok := v.CodePage(0x21000); ok {
		t.Error("CodePage of an XD page")
	}
	// ReadVirt and WriteVirt set no accessed or dirty flag and ignore
	// write protection.
	put64(p, 0x13000+0x22*8, 0x32000|pteP|pteUS)
	v.FlushTLB(true)
	a0 := get64(p, 0x10000) // accessed by the fetches above
	if err := v.WriteVirt(0x22ffe, []byte{7, 8}); err != nil {
		t.Fatal(err)
	}
	if err := v.ReadVirt(0x22ffe, b[:2]); err != nil || b[0] != 7 || b[1] != 8 {
		t.Errorf("ReadVirt % x %v", b[:2], err)
	}
	if got := get64(p, 0x13000+0x22*8); got != 0x32000|pteP|pteUS {
		t.Errorf("PTE after debugger access %#x", got)
	}
	if get64(p, 0x10000) != a0 {
		t.Error("PML4E changed")
	}
	err := v.ReadVirt(0x22ffe, b[:])
	if f, ok := err.(*Fault); !ok || f.Addr != 0x23000 || !f.Unmapped {
		t.Errorf("ReadVirt into an unmapped page: %v", err)
	}
	if err := v.WriteVirt(0x22fff, []byte{1, 2}); err == nil || p.RAM()[0x32fff] != 8 {
		t.Errorf("WriteVirt into an unmapped page: %v, wrote %d", err, p.RAM()[0x32fff])
	}
	if err := v.ReadPhys(0x32ffe, b[:2]); err != nil || b[0] != 7 {
		t.Errorf("ReadPhys % x %v", b[:2], err)
	}
}

func TestAtomicsAndTracing(t *testing.T) {
	p, v := newSys(t, nil)
	setup32(p)
	v.SetPaging(cr0PG|cr0PE, 0x1000, cr4PSE, 0)
	put32(p, 0x5100, 40)
	if old := v.LockedAt(0x400100, 4).Xadd(2); old != 40 || get32(p, 0x5100) != 42 {
		t.Errorf("Xadd %d, now %d", old, get32(p, 0x5100))
	}
	// Crossing from 0x400ffe (pa 0x5ffe) to 0x401000 (pa 0x6000): user
	// read-only, so a user locked access faults there, nothing written.
	v.SetUser(true)
	if f := catch(func() { v.LockedAt(0x400ffe, 4).Swap(1) }); f == nil || f.Addr != 0x401000 || f.Code != PFPresent|PFWrite|PFUser {
		t.Errorf("crossing locked op %+v", f)
	}
	v.SetUser(false)
	if old := v.LockedAt(0x400ffe, 4).Swap(0xa1b2c3d4); old != 0 || get32(p, 0x5ffc)>>16 != 0xc3d4 || p.RAM()[0x6000] != 0xb2 {
		t.Errorf("crossing Swap %#x", old)
	}
	l := v.LockedAt(0x400200, 8)
	if prev := l.CompareAndSwap(0, 77); prev != 0 || get64(p, 0x5200) != 77 {
		t.Errorf("CAS %d", prev)
	}
	lo, hi := v.CmpXchg16(0x400300, 0, 0, 5, 6)
	if lo != 0 || hi != 0 || get64(p, 0x5300) != 5 || get64(p, 0x5308) != 6 {
		t.Errorf("CmpXchg16 %d %d", lo, hi)
	}

	// The tracer sees linear addresses; SetUser while tracing keeps every
	// access on the slow path, and ending tracing restores the user caches.
	var seen []string
	v.SetTracer(func(a uint64, n int, store bool, x uint64) {
		seen = append(seen, fmt.Sprintf("%#x %d %v %#x", a, n, store, x))
	})
	v.Store16(0x400010, 0x1234)
	v.SetUser(true)
	v.Load16(0x400010)
	v.Load16(0x400010)
	v.SetTracer(nil)
	v.Load16(0x400010)
	want := []string{"0x400010 2 true 0x1234", "0x400010 2 false 0x1234", "0x400010 2 false 0x1234"}
	if !slices.Equal(seen, want) {
		t.Errorf("traced %q", seen)
	}
	if v.rtlb != &v.sys.rtlbUser || v.wtlb != &v.sys.wtlbUser {
		t.Error("caches after tracing at CPL 3")
	}
}

func TestNoPaging(t *testing.T) {
	p, v := newSys(t, nil)
	v.Store64(0x123456, 0x0102030405060708)
	if get64(p, 0x123456) != 0x0102030405060708 || v.Load32(0x12345a) != 0x01020304 {
		t.Error("linear = physical")
	}
	v.StoreBytes(0x1ffe, []byte{1, 2, 3, 4})
	var b [4]byte
	v.LoadBytes(0x1ffe, b[:])
	if b != [4]byte{1, 2, 3, 4} || p.RAM()[0x2001] != 4 {
		t.Errorf("bytes % x", b)
	}
	if pa, ok := v.CodePage(0x2001); !ok || pa != 0x2000 {
		t.Errorf("CodePage %#x %v", pa, ok)
	}
	if _, err := NewPhys(0, nil); err == nil {
		t.Error("NewPhys(0)")
	}
}

func TestLargeList(t *testing.T) {
	st := &sysState{}
	st.noteLarge(0x1234, 21) // the 2M page of pages 0x1200-0x13ff
	st.noteLarge(0x1300, 21)
	st.noteLarge(0x40000, 30)
	if len(st.large) != 2 || st.large[0] != (largePage{0x1200, 21}) || st.large[1] != (largePage{0x40000, 30}) {
		t.Fatalf("large %+v", st.large)
	}
	for _, c := range []struct {
		pn   uint64
		want bool
	}{{0x1200, true}, {0x13ff, true}, {0x1400, false}, {0x11ff, false}, {0x7ffff, true}, {0x80000, false}} {
		if got := st.inLarge(c.pn); got != c.want {
			t.Errorf("inLarge(%#x) %v", c.pn, got)
		}
	}
	for i := uint64(0); i < maxLarge; i++ {
		st.noteLarge(0x100000+i<<9, 21)
	}
	if !st.largeMany || !st.inLarge(0) {
		t.Errorf("past maxLarge: many %v", st.largeMany)
	}
}

// BenchmarkSysMiss4 is a load that misses the cache and walks 4-level
// tables to a 4K page (FlushPage before each).
func BenchmarkSysMiss4(b *testing.B) {
	p, err := NewPhys(sysRAM, nil)
	if err != nil {
		b.Fatal(err)
	}
	p.AddrBits = 40
	v := NewSystem(p).NewView()
	setup4(p)
	v.SetPaging(cr0PG|cr0PE, 0x10000, cr4PAE, eferLME|eferLMA|eferNXE)
	b.ReportAllocs()
	for b.Loop() {
		v.FlushPage(0x20000)
		v.Load32(0x20010)
	}
}

func TestFetchCache(t *testing.T) {
	p, v := newSys(t, nil)
	setup32(p)
	v.SetPaging(cr0PG|cr0PE, 0x1000, cr4PSE, 0)
	p.RAM()[0x5000], p.RAM()[0x6000], p.RAM()[0x7000] = 5, 6, 7
	fetch := func(va uint64) int {
		var b [1]byte
		if v.Fetch(va, b[:]) != 1 {
			return -1
		}
		return int(b[0])
	}
	if fetch(0x400000) != 5 {
		t.Fatal("first fetch")
	}
	if got := get32(p, 0x2000); got != 0x5000|pteP|pteRW|pteUS|pteA {
		t.Errorf("PTE after a fetch %#x", got)
	}
	put32(p, 0x2000, 0x6000|pteP|pteRW|pteUS)
	if fetch(0x400000) != 5 {
		t.Error("a changed PTE was seen before a flush")
	}
	if pa, ok := v.CodePage(0x400000); !ok || pa != 0x5000 {
		t.Errorf("cached CodePage %#x %v", pa, ok)
	}
	v.FlushPage(0x400000)
	if fetch(0x400000) != 6 {
		t.Error("FlushPage")
	}
	// User fetches are cached apart: a supervisor page cached for CPL 0
	// faults at CPL 3.
	if fetch(0x402000) != 7 {
		t.Error("supervisor fetch")
	}
	v.SetUser(true)
	if fetch(0x402000) != -1 {
		t.Error("user fetch of a supervisor page")
	}
	v.SetUser(false)
	put32(p, 0x2000, 0x5000|pteP|pteRW|pteUS)
	v.FlushTLB(false)
	if fetch(0x400000) != 5 {
		t.Error("FlushTLB(false)")
	}
	// A large page: INVLPG anywhere in it drops the cached fetches.
	p.RAM()[0xc01000] = 0xc
	if fetch(0x801000) != 0xc {
		t.Error("4M fetch")
	}
	put32(p, 0x1008, 0)
	v.FlushPage(0x9ff000)
	if fetch(0x801000) != -1 {
		t.Error("fetch from a large page after FlushPage")
	}
}

func TestPhysDMA(t *testing.T) {
	p, v := newSys(t, nil)
	var reports []uint64
	v.Space.OnCodeWrite = func(pa uint64) { reports = append(reports, pa) }
	v.MarkCode(sysRAM - PageSize)
	p.WritePhys(sysRAM-2, []byte{1, 2, 3, 4}) // the last two bytes are not RAM
	b := make([]byte, 4)
	p.ReadPhys(sysRAM-2, b)
	if !slices.Equal(b, []byte{1, 2, 0xff, 0xff}) || !slices.Equal(reports, []uint64{sysRAM - PageSize}) {
		t.Errorf("read % x, reports %#x", b, reports)
	}
	p.ReadPhys(1<<40, b)
	if !slices.Equal(b, []byte{0xff, 0xff, 0xff, 0xff}) {
		t.Errorf("read beyond RAM % x", b)
	}
	if err := p.Read(sysRAM-2, b); err == nil {
		t.Error("Read across the end of RAM")
	}
	f := &Fault{Addr: 0x1000, Access: AccWrite, Code: PFPresent | PFWrite}
	if got := f.Error(); got != "guest write fault at 0x1000 (protection, page fault code 0x3)" {
		t.Errorf("Error %q", got)
	}
}
