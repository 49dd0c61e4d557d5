package cplugin

// The Go half of the qemulib_* functions (qemulib.c holds the C half,
// which checks the arguments it can check without Go). This file holds
// only //export functions: cgo allows no C definitions in its preamble.

/*
#include <stdint.h>
*/
import "C"

import "unsafe"

// gemuLog appends n bytes at p to the log, for qemulib_log.
//
//export gemuLog
func gemuLog(p *C.char, n C.int) {
	h := logHost.Load()
	if h == nil || n <= 0 {
		return
	}
	h.Write(unsafe.Slice((*byte)(unsafe.Pointer(p)), int(n)))
}

// gemuReadMemory copies n > 0 bytes of guest memory at addr to buf, for
// qemulib_read_memory: 0 on success, -1 for an unknown cpu handle or if any
// byte is unmapped, in which case buf is untouched.
//
//export gemuReadMemory
func gemuReadMemory(cpu C.uintptr_t, addr C.uint64_t, buf *C.uint8_t, n C.int) C.int {
	c := cpuOf(cpu)
	if c == nil || n <= 0 || buf == nil {
		return -1
	}
	if c.ReadMemory(uint64(addr), unsafe.Slice((*byte)(unsafe.Pointer(buf)), int(n))) != nil {
		return -1
	}
	return 0
}

// gemuReadRegister stores register reg (include/regnum.h numbering) at buf
// and returns its size, for qemulib_read_register; 0 for an unknown cpu
// handle or register number, writing nothing.
//
//export gemuReadRegister
func gemuReadRegister(cpu C.uintptr_t, buf *C.uint8_t, reg C.int) C.int {
	c := cpuOf(cpu)
	if c == nil || buf == nil {
		return 0
	}
	var val [16]byte
	n := c.ReadRegister(int(reg), val[:])
	if n == 0 {
		return 0
	}
	copy(unsafe.Slice((*byte)(unsafe.Pointer(buf)), n), val[:n])
	return C.int(n)
}
