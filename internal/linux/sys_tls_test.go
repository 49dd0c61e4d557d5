package linux

import (
	"encoding/binary"
	"testing"

	"gemu/internal/linux/abi"
	"gemu/internal/x86"
)

// TestModifyLDT checks modify_ldt in both ABIs against an x86-64 kernel's
// results: the i386 ABI is what the ldt differential program cannot
// compare (qemu-i386, its reference there, answers func 2 with ENOSYS and
// leaves the accessed bit clear). Errors are -errno for i386 and the int
// zero-extended for x86-64; descriptors read back in the hardware format.
func TestModifyLDT(t *testing.T) {
	for _, bits := range []int{32, 64} {
		p := newTestProcess(t, bits, nil, nil, Options{})
		g := x86.GateInt80
		if bits == 64 {
			g = x86.GateSyscall
		}
		scratch := p.Stack.SP - 4096
		errno := func(e int64) int64 {
			if bits == 64 {
				return int64(uint32(-e))
			}
			return -e
		}
		if r := call(t, p, g, "modify_ldt", 0, scratch, 64); r != 0 {
			t.Errorf("%d: read without an LDT = %d", bits, r)
		}
		if r := call(t, p, g, "modify_ldt", 2, scratch, 200); r != 128 {
			t.Errorf("%d: read default = %d", bits, r)
		}
		ud := abi.UserDesc{Entry: 2, Base: 0x12345678, Limit: 0xabcde, Flags: 1<<1 | 1<<6}
		p.Mem.Poke(scratch, ud.Encode())
		if r := call(t, p, g, "modify_ldt", 0x11, scratch, 16); r != 0 {
			t.Errorf("%d: write = %d", bits, r)
		}
		if r := call(t, p, g, "modify_ldt", 0x11, scratch, 15); r != errno(abi.EINVAL) {
			t.Errorf("%d: short write = %d", bits, r)
		}
		ud.Entry = 8192
		p.Mem.Poke(scratch, ud.Encode())
		if r := call(t, p, g, "modify_ldt", 1, scratch, 16); r != errno(abi.EINVAL) {
			t.Errorf("%d: entry 8192 = %d", bits, r)
		}
		if r := call(t, p, g, "modify_ldt", 3, scratch, 16); r != errno(abi.ENOSYS) {
			t.Errorf("%d: func 3 = %d", bits, r)
		}
		if r := call(t, p, g, "modify_ldt", 0, scratch, 20); r != 20 {
			t.Errorf("%d: read = %d", bits, r)
		}
		b := make([]byte, 24)
		p.Mem.Peek(scratch, b)
		if d := binary.LittleEndian.Uint64(b[16:]); d != 0x121af734_5678bcde&0xffffffff || binary.LittleEndian.Uint64(b) != 0 {
			t.Errorf("%d: read back % x", bits, b)
		}
		// The selector loads, with the entry's base.
		p.CPU.LoadSeg(x86.FS, 0x17)
		if p.CPU.SegBase[x86.FS] != 0x12345678 {
			t.Errorf("%d: fs base %#x", bits, p.CPU.SegBase[x86.FS])
		}
	}
}
