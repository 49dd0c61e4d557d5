package mem

import "unsafe"

// copyGuest is copy for guest page contents. Guest threads running in
// parallel may race on their memory, as on hardware; that is the guest's
// business, not a bug of gemu, so the race detector must not see these
// copies: the built-in copy is instrumented even in a //go:norace
// function (the compiler lowers it to a checked runtime call when the
// package is built with -race), runtime.memmove is not.
//
//go:norace
func copyGuest(dst, src []byte) int {
	n := min(len(dst), len(src))
	if n > 0 {
		memmove(unsafe.Pointer(&dst[0]), unsafe.Pointer(&src[0]), uintptr(n))
	}
	return n
}

//go:linkname memmove runtime.memmove
//go:noescape
func memmove(to, from unsafe.Pointer, n uintptr)
