package cplugin

/*
#include <stdlib.h>
#include "cplugin.h"

// regs_bench reads register reg of v n times in C and returns the sum of
// the sizes read: a measure of the reader alone, without cgo's cost.
static int64_t regs_bench(const struct gemu_vcpu *v, int reg, int64_t n)
{
    uint8_t buf[16];
    int64_t sum = 0;
    for (int64_t i = 0; i < n; i++) {
        sum += gemu_read_register(v, buf, reg);
        __asm__ volatile("" : : "r"(buf) : "memory");
    }
    return sum;
}
*/
import "C"

import (
	"fmt"
	"unsafe"

	"gemu/internal/x86"
)

// setRegmap gives qemulib_read_register (regs.c) the register tables of
// a guest of the given mode (32 or 64), user mode's and system mode's, and
// the layout of the register block, from internal/x86: C reads each
// register the way GDBRegister does, by construction. A vCPU's record
// says which table applies to it (attach).
func setRegmap(procMode int) error {
	if err := setRegmapOf(x86.RegTable(procMode), 0); err != nil {
		return err
	}
	return setRegmapOf(x86.SysRegTable(procMode), 1)
}

// setRegmapOf sets C's table of user mode (sys 0) or system mode (1).
func setRegmapOf(t []x86.RegSlot, sys int) error {
	var m C.struct_gemu_regmap
	if len(t) > len(m.slot) {
		return fmt.Errorf("%d registers, the C table holds %d", len(t), len(m.slot))
	}
	m.n = C.int(len(t))
	m.flags = C.uint32_t(x86.RegsOffFlags)
	m.lazy_op = C.uint32_t(x86.RegsOffLazyOp)
	m.lazy_size = C.uint32_t(x86.RegsOffLazySize)
	m.lazy_res = C.uint32_t(x86.RegsOffLazyRes)
	m.lazy_a = C.uint32_t(x86.RegsOffLazyA)
	m.lazy_b = C.uint32_t(x86.RegsOffLazyB)
	m.lazy_cin = C.uint32_t(x86.RegsOffLazyCin)
	m.x87_st = C.uint32_t(x86.RegsOffX87St)
	m.x87_top = C.uint32_t(x86.RegsOffX87Top)
	m.x87_empty = C.uint32_t(x86.RegsOffX87Empty)
	m.x87_sw = C.uint32_t(x86.RegsOffX87SW)
	m.cr0 = C.uint32_t(x86.RegsOffCR0)
	m.cr3 = C.uint32_t(x86.RegsOffCR3)
	m.cr4 = C.uint32_t(x86.RegsOffCR4)
	m.efer = C.uint32_t(x86.RegsOffEFER)
	// The lazy flag operations, by x86's codes.
	for code, op := range map[uint8]int{
		x86.LazyNone: C.GEMU_LAZY_NONE, x86.LazyAdd: C.GEMU_LAZY_ADD, x86.LazyAdc: C.GEMU_LAZY_ADC,
		x86.LazySub: C.GEMU_LAZY_SUB, x86.LazySbb: C.GEMU_LAZY_SBB, x86.LazyLogic: C.GEMU_LAZY_LOGIC,
		x86.LazyInc: C.GEMU_LAZY_INC, x86.LazyDec: C.GEMU_LAZY_DEC, x86.LazyRes: C.GEMU_LAZY_RES,
	} {
		m.lazy_kind[code] = C.uint8_t(op)
	}
	for i, s := range t {
		m.slot[i] = C.struct_gemu_regslot{
			kind: C.uint8_t(s.Kind), size: C.uint8_t(s.Size), srcsize: C.uint8_t(s.SrcSize),
			shift: C.uint8_t(s.Shift), off: C.uint32_t(s.Off), mask: C.uint64_t(s.Mask),
		}
	}
	C.gemu_set_regmap(&m, C.int(sys))
	return nil
}

// regmapOf is the C register table that applies to c.
func regmapOf(c *x86.CPU) *C.struct_gemu_regmap {
	if c.Priv != nil {
		return C.gemu_regmap_of(1)
	}
	return C.gemu_regmap_of(0)
}

// readRegisterC reads register reg of c as qemulib_read_register does
// from a callback (regs.c), through a vCPU record made for the call: for
// the tests that hold C and Go to the same answers.
func readRegisterC(c *x86.CPU, reg int) []byte {
	rec := (*C.struct_gemu_vcpu)(C.calloc(1, C.size_t(unsafe.Sizeof(C.struct_gemu_vcpu{}))))
	defer C.free(unsafe.Pointer(rec))
	rec.regs = C.uintptr_t(c.RegsAddr())
	rec.regmap = regmapOf(c)
	var buf [32]byte
	n := C.gemu_read_register(rec, (*C.uint8_t)(unsafe.Pointer(&buf[0])), C.int(reg))
	return append([]byte(nil), buf[:n]...)
}

// readRegisterLoop reads register reg of c n times in C, as
// qemulib_read_register does, and returns the sum of the sizes
// (benchmarks).
func readRegisterLoop(c *x86.CPU, reg, n int) int {
	rec := (*C.struct_gemu_vcpu)(C.calloc(1, C.size_t(unsafe.Sizeof(C.struct_gemu_vcpu{}))))
	defer C.free(unsafe.Pointer(rec))
	rec.regs = C.uintptr_t(c.RegsAddr())
	rec.regmap = regmapOf(c)
	return int(C.regs_bench(rec, C.int(reg), C.int64_t(n)))
}
