package x86

import (
	"reflect"
	"testing"
)

// TestPruneFlagsThroughHooks: flags written by an instruction and
// overwritten by the next are pruned (the no-flags variant) unless an
// engine pseudo-instruction between them may read them; one marked
// AuxNoRegs (a hook that cannot read registers) lets liveness through.
func TestPruneFlagsThroughHooks(t *testing.T) {
	add := mustDecode(t, 32, 0x1000, []byte{0x01, 0xd8}) // add eax, ebx
	sub := mustDecode(t, 32, 0x1002, []byte{0x29, 0xd8}) // sub eax, ebx: writes every flag add wrote
	hook := func(aux uint8) Inst {
		return Inst{PC: 0x1002, Next: 0x1002, Base: -1, Index: -1, Seg: -1, Aux: aux,
			Call: func(*CPU, uint64) {}, Fn: func(*CPU, *Inst) {}}
	}
	fn := func(h Handler) uintptr { return reflect.ValueOf(h).Pointer() }
	nf := fn(aluRR32NF)
	for _, tc := range []struct {
		name   string
		insts  []Inst
		pruned bool
	}{
		{"no hook", []Inst{add, sub}, true},
		{"hook that may read registers", []Inst{add, hook(0), sub}, false},
		{"hook that cannot", []Inst{add, hook(AuxNoRegs), sub}, true},
	} {
		PruneFlags(tc.insts)
		if got := fn(tc.insts[0].Fn) == nf; got != tc.pruned {
			t.Errorf("%s: add's flags pruned %v, want %v", tc.name, got, tc.pruned)
		}
	}
}
