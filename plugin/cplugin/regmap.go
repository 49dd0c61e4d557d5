package cplugin

/*
#include <stdlib.h>
#include "cplugin.h"
*/
import "C"

import (
	"fmt"
	"unsafe"

	"gemu/internal/x86"
)

// setRegmap gives qemulib_read_register (regs.c) the register table of a
// process of the given mode (32 or 64) and the layout of the register
// block, from internal/x86: C reads each register the way GDBRegister
// does, by construction.
func setRegmap(procMode int) error {
	t := x86.RegTable(procMode)
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
	C.gemu_set_regmap(&m)
	return nil
}

// readRegisterC reads register reg of c as qemulib_read_register does
// from a callback (regs.c), through a vCPU record made for the call: for
// the tests that hold C and Go to the same answers.
func readRegisterC(c *x86.CPU, reg int) []byte {
	rec := (*C.struct_gemu_vcpu)(C.calloc(1, C.size_t(unsafe.Sizeof(C.struct_gemu_vcpu{}))))
	defer C.free(unsafe.Pointer(rec))
	rec.regs = C.uintptr_t(c.RegsAddr())
	var buf [32]byte
	n := C.gemu_read_register(rec, (*C.uint8_t)(unsafe.Pointer(&buf[0])), C.int(reg))
	return append([]byte(nil), buf[:n]...)
}
