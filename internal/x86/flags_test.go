package x86

import "testing"

// TestLogicCondMatchesCond checks the fused test-and-branch shortcut against
// the lazy-flag evaluation for every condition over edge values.
func TestLogicCondMatchesCond(t *testing.T) {
	vals := []uint64{0, 1, 2, 3, 0x7f, 0x80, 0xff, 0x8000, 0x7fffffff, 0x80000000, 0xffffffff, 1 << 63, ^uint64(0)}
	c := New(64, nil)
	for _, size := range []int{4, 8} {
		for _, v := range vals {
			r := v & sizeMask[size]
			c.SetLazy(flagsLogic, size, r, r, r)
			for cc := uint8(0); cc < 16; cc++ {
				if got, want := logicCond(cc, r, size), c.Cond(cc); got != want {
					t.Errorf("size %d r=%#x cc=%d: logicCond %v, Cond %v", size, r, cc, got, want)
				}
			}
		}
	}
}
