package x86

import (
	"fmt"
	"os"
	"runtime"
	"sync"
	"syscall"
	"unsafe"
)

// Register blocks live outside the Go heap so that code which is not Go
// (C plugin callbacks on a C stack, later generated code) can read and
// write them while the garbage collector runs: a small slab allocator hands
// out 64-byte aligned blocks carved from anonymous mmap chunks, and takes a
// block back when the CPU that owns it has been collected. Chunks are never
// unmapped: a block's memory stays valid for the life of the process, so a
// stale read can see another CPU's registers but never fault.

const (
	// regsChunk is the size of one mmap'd chunk of register blocks.
	regsChunk = 64 << 10
	// regsAlign is the alignment (and size granule) of a block: a cache
	// line, so no two CPUs' registers share one.
	regsAlign = 64
	// regsStride is the distance between two blocks in a chunk.
	regsStride = int(RegsSize+regsAlign-1) &^ (regsAlign - 1)
)

// RegsSize is the size in bytes of a Regs block (the C struct of Regs's
// comment).
const RegsSize = unsafe.Sizeof(Regs{})

// regsPool is the allocator's state: blocks returned by collected CPUs and
// the unused tail of the newest chunk.
var regsPool struct {
	mu    sync.Mutex
	free  []*Regs // returned blocks, reused first
	chunk []byte  // the newest chunk
	next  int     // offset of its first unused block
	inUse int     // blocks handed out and not yet returned (for tests)
}

// allocRegs returns a zeroed register block for owner and arranges for it
// to be returned to the pool once owner is unreachable. The cleanup refers
// to the block only, never to owner.
func allocRegs(owner *CPU) *Regs {
	p := &regsPool
	p.mu.Lock()
	var r *Regs
	if n := len(p.free); n > 0 {
		r = p.free[n-1]
		p.free = p.free[:n-1]
	} else {
		if p.chunk == nil || p.next+regsStride > len(p.chunk) {
			b, err := syscall.Mmap(-1, 0, regsChunk, syscall.PROT_READ|syscall.PROT_WRITE,
				syscall.MAP_PRIVATE|syscall.MAP_ANON)
			if err != nil {
				p.mu.Unlock()
				fmt.Fprintf(os.Stderr, "gemu: cannot map memory for CPU registers: %v\n", err)
				os.Exit(1)
			}
			p.chunk, p.next = b, 0
		}
		// The chunk is page aligned, so every block is regsAlign aligned.
		r = (*Regs)(unsafe.Pointer(&p.chunk[p.next]))
		p.next += regsStride
	}
	p.inUse++
	p.mu.Unlock()
	*r = Regs{}
	runtime.AddCleanup(owner, freeRegs, r)
	return r
}

// freeRegs returns a block to the pool; it runs as owner's cleanup.
func freeRegs(r *Regs) {
	p := &regsPool
	p.mu.Lock()
	p.free = append(p.free, r)
	p.inUse--
	p.mu.Unlock()
}

// RegsAddr returns the address of c's register block, where non-Go code
// reads it with the layout of Regs's comment. It stays valid while c is
// reachable.
func (c *CPU) RegsAddr() uintptr {
	return uintptr(unsafe.Pointer(c.Regs))
}
