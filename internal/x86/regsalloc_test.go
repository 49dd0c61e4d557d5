package x86

import (
	"runtime"
	"testing"
	"time"
	"unsafe"
)

func TestRegsBlockAlignedAndZeroed(t *testing.T) {
	var cpus []*CPU
	for i := 0; i < 300; i++ { // more than one chunk's worth
		c := New(64, nil)
		if a := c.RegsAddr(); a%regsAlign != 0 {
			t.Fatalf("cpu %d: registers at %#x, not %d-byte aligned", i, a, regsAlign)
		}
		if c.R != [16]uint64{} || c.RIP != 0 || c.XMM != [16][2]uint64{} {
			t.Fatalf("cpu %d: fresh registers not zero: R %x RIP %#x", i, c.R, c.RIP)
		}
		if c.MXCSR != 0x1f80 || c.Flags() != 0x202 || c.ProcMode != 64 || c.AddrMask != ^uint64(0) {
			t.Fatalf("cpu %d: MXCSR %#x flags %#x ProcMode %d AddrMask %#x", i, c.MXCSR, c.Flags(), c.ProcMode, c.AddrMask)
		}
		// Dirty it so that a recycled block would show if not zeroed.
		for r := range c.R {
			c.R[r] = ^uint64(r)
		}
		c.RIP, c.XMM[15][1] = 0x401000, 0xdead
		cpus = append(cpus, c)
	}
	seen := map[uintptr]bool{}
	for i, c := range cpus {
		a := c.RegsAddr()
		if seen[a] {
			t.Fatalf("cpu %d shares its register block %#x", i, a)
		}
		seen[a] = true
		if uintptr(unsafe.Pointer(&c.X87.FDS))+2 > a+uintptr(regsStride) {
			t.Fatalf("register block overruns its stride %d", regsStride)
		}
		if c.R[RDI] != ^uint64(RDI) || c.XMM[15][1] != 0xdead {
			t.Fatalf("cpu %d: registers overwritten by another CPU: rdi %#x", i, c.R[RDI])
		}
	}
	runtime.KeepAlive(cpus)
}

func TestNewThreadCopiesRegisters(t *testing.T) {
	c := New(64, nil)
	c.R[RAX], c.RIP, c.XMM[3][0], c.MXCSR = 7, 0x401000, 0x1234, 0x1fa0
	c.SegBase[FS] = 0x7000
	c.X87.push(F80{Mant: 1 << 63, SE: 0x3fff})
	c.SetLazy(flagsSub, 4, 0, 5, 5) // ZF=1
	n := c.NewThread()
	if n.RegsAddr() == c.RegsAddr() {
		t.Fatal("new thread shares its parent's register block")
	}
	if n.R[RAX] != 7 || n.RIP != 0x401000 || n.XMM[3][0] != 0x1234 || n.MXCSR != 0x1fa0 ||
		n.SegBase[FS] != 0x7000 || n.X87 != c.X87 || !n.ZF() {
		t.Fatalf("new thread's registers differ: rax %d rip %#x xmm3 %x mxcsr %#x fs %#x zf %v",
			n.R[RAX], n.RIP, n.XMM[3], n.MXCSR, n.SegBase[FS], n.ZF())
	}
	n.R[RAX], n.X87.Top = 9, 3
	n.SetLazy(flagsSub, 4, 1, 6, 5) // ZF=0
	if c.R[RAX] != 7 || c.X87.Top == 3 || !c.ZF() {
		t.Fatalf("writing the thread's registers changed its parent's: rax %d top %d zf %v", c.R[RAX], c.X87.Top, c.ZF())
	}
}

// TestRegsBlocksRecycled creates many CPUs and drops them: their blocks
// must come back to the pool once they are collected, not pile up.
func TestRegsBlocksRecycled(t *testing.T) {
	inUse := func() int {
		regsPool.mu.Lock()
		defer regsPool.mu.Unlock()
		return regsPool.inUse
	}
	runtime.GC()
	before := inUse()
	for i := 0; i < 5000; i++ {
		c := New(32, nil)
		c.R[RAX] = uint64(i)
		if i%2 == 0 {
			c.NewThread()
		}
	}
	if got := inUse(); got < before+5000 {
		// Some may already be back; that is fine, but 7500 were made.
		t.Logf("in use before collection: %d (from %d)", got, before)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		runtime.GC()
		got := inUse()
		// Other tests' CPUs may be alive or die meanwhile; the 7500
		// dropped here must be (nearly) all returned.
		if got < before+100 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("blocks in use: %d before, %d after dropping 7500 CPUs and collecting", before, got)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
