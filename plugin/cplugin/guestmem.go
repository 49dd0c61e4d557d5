package cplugin

// The Go side of guestmem.c, the C reader of a Space's page directory:
// guestRead calls it through cgo, for tests and for Go code that wants the
// answers the C path gives (qemulib_read_memory's).

/*
#include <stdint.h>
#include <stdlib.h>
#include "guestmem.h"
#include "cplugin.h"
#include "plugins.h"

// sysmem_read calls qemulib_read_memory as a callback of vCPU v would,
// v being the call's vCPU.
static int sysmem_read(const struct gemu_vcpu *v, uint64_t addr, uint8_t *buf, int len)
{
    gemu_cur.vcpu = v;
    int r = qemulib_read_memory((void *)v->handle, addr, buf, len);
    gemu_cur.vcpu = NULL;
    return r;
}

// guestmem_bench calls gemu_guest_read n times and returns the number of
// calls that succeeded: a measure of the walker alone, without cgo's cost
// per call.
static int64_t guestmem_bench(uintptr_t root, int levels, int bits,
                              uint64_t addr, uint8_t *buf, int len, int64_t n)
{
    int64_t ok = 0;
    for (int64_t i = 0; i < n; i++) {
        ok += gemu_guest_read(root, levels, bits, addr + (i & 7), buf, len) == 0;
    }
    return ok;
}
*/
import "C"

import (
	"unsafe"

	"gemu/internal/mem"
	"gemu/internal/x86"
)

// guestRead copies len(buf) bytes of guest memory at addr into buf through
// the directory of s with the C walker, as a debugger reads: true if every
// byte is mapped, else false with buf untouched. The caller follows the
// directory's readers' rule (internal/mem/dir.go).
func guestRead(s *mem.Space, addr uint64, buf []byte) bool {
	levels, bits := s.DirLayout()
	var p *C.uint8_t
	if len(buf) > 0 {
		p = (*C.uint8_t)(unsafe.Pointer(&buf[0]))
	}
	return C.gemu_guest_read(C.uintptr_t(s.Directory()), C.int(levels), C.int(bits),
		C.uint64_t(addr), p, C.int(len(buf))) == 0
}

// guestReadLoop calls the C walker n times in C for reads of len(buf)
// bytes at addr..addr+7 and returns how many succeeded (benchmarks).
func guestReadLoop(s *mem.Space, addr uint64, buf []byte, n int) int {
	levels, bits := s.DirLayout()
	return int(C.guestmem_bench(C.uintptr_t(s.Directory()), C.int(levels), C.int(bits),
		C.uint64_t(addr), (*C.uint8_t)(unsafe.Pointer(&buf[0])), C.int(len(buf)), C.int64_t(n)))
}

// dirFlagsC are guestmem.h's flags in the order of mem's Dir* constants
// (DirPresent, DirRead, DirWrite, DirExec, DirOwn, DirTable, DirFlags), and
// its page shift, for the test that they agree.
var dirFlagsC = [...]uint64{C.GEMU_DIR_PRESENT, C.GEMU_DIR_READ, C.GEMU_DIR_WRITE, C.GEMU_DIR_EXEC,
	C.GEMU_DIR_OWN, C.GEMU_DIR_TABLE, C.GEMU_DIR_FLAGS, C.GEMU_PAGE_SHIFT}

// guestReadRaw is gemu_guest_read with every argument as given (len need
// not be len(buf)), for tests of bad arguments.
func guestReadRaw(root uintptr, levels int, bits uint, addr uint64, buf []byte, n int) int {
	var p *C.uint8_t
	if len(buf) > 0 {
		p = (*C.uint8_t)(unsafe.Pointer(&buf[0]))
	}
	return int(C.gemu_guest_read(C.uintptr_t(root), C.int(levels), C.int(bits), C.uint64_t(addr), p, C.int(n)))
}

// readMemoryC reads guest memory of c as qemulib_read_memory does from a
// callback of c, through a vCPU record made as the direct path makes it
// (attach): in system mode the C page walk over the RAM, in user mode the
// page directory. It returns qemulib_read_memory's result (0 or -1).
func readMemoryC(c *x86.CPU, addr uint64, buf []byte) int {
	rec := (*C.struct_gemu_vcpu)(C.calloc(1, C.size_t(unsafe.Sizeof(C.struct_gemu_vcpu{}))))
	defer C.free(unsafe.Pointer(rec))
	rec.handle = 1
	(&vcpu{r: rec}).attach(c)
	var p *C.uint8_t
	if len(buf) > 0 {
		p = (*C.uint8_t)(unsafe.Pointer(&buf[0]))
	}
	return int(C.sysmem_read(rec, C.uint64_t(addr), p, C.int(len(buf))))
}
