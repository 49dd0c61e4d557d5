package mem

import "unsafe"

// The locked host instructions of atomic_amd64.s. p points into a page's
// bytes; the values are the low bytes of the uint64s, results
// zero-extended.

func lockCas8(p unsafe.Pointer, old, new uint64) (prev uint64)
func lockCas16(p unsafe.Pointer, old, new uint64) (prev uint64)
func lockCas32(p unsafe.Pointer, old, new uint64) (prev uint64)
func lockCas64(p unsafe.Pointer, old, new uint64) (prev uint64)
func lockCas128(p unsafe.Pointer, oldLo, oldHi, newLo, newHi uint64) (prevLo, prevHi uint64)
func lockXadd8(p unsafe.Pointer, v uint64) (prev uint64)
func lockXadd16(p unsafe.Pointer, v uint64) (prev uint64)
func lockXadd32(p unsafe.Pointer, v uint64) (prev uint64)
func lockXadd64(p unsafe.Pointer, v uint64) (prev uint64)
func lockXchg8(p unsafe.Pointer, v uint64) (prev uint64)
func lockXchg16(p unsafe.Pointer, v uint64) (prev uint64)
func lockXchg32(p unsafe.Pointer, v uint64) (prev uint64)
func lockXchg64(p unsafe.Pointer, v uint64) (prev uint64)
func load8(p unsafe.Pointer) uint64
func load16(p unsafe.Pointer) uint64
func load32(p unsafe.Pointer) uint64
func load64(p unsafe.Pointer) uint64

// MFence orders every earlier load and store of this host thread before
// every later one (the guest's MFENCE: under x86's TSO the one reordering
// the host does, a later load passing an earlier store, is what it stops).
func MFence()

// LFence is the host's LFENCE (the guest's, which also waits for earlier
// instructions to complete).
func LFence()

// SFence is the host's SFENCE (the guest's, ordering stores, non-temporal
// ones included).
func SFence()
