package linux

import (
	"testing"

	"gemu/internal/x86"
)

// TestAdjtimeRefusesChanges checks the paths the differential test
// cannot (its native reference may run as root and would set the
// clock): a mode that changes the clock is EPERM without reaching the
// host, ADJ_ADJTIME without ADJ_OFFSET_SINGLESHOT is EINVAL, an unknown
// clock is the host's EINVAL first, and a query is answered in i386's
// 4-byte layout (tick, the 12th field, is 10000 µs: USER_HZ is 100 on
// x86).
func TestAdjtimeRefusesChanges(t *testing.T) {
	p := newTestProcess(t, 32, nil, nil, Options{})
	g := x86.GateInt80
	tx := p.Stack.SP - 4096
	setModes := func(m uint32) {
		b := make([]byte, timexSize32)
		le32put(b, m)
		if e := p.writeMem(tx, b); e != 0 {
			t.Fatal(e)
		}
	}
	for _, c := range []struct {
		clock uint64
		modes uint32
		want  int64
	}{
		{0, 0x0002, -1},          // ADJ_FREQUENCY: EPERM
		{0, 0x0001 | 0x0100, -1}, // ADJ_OFFSET | ADJ_SETOFFSET: EPERM
		{0, 0x8000, -22},         // ADJ_ADJTIME alone: EINVAL
		{99, 0x0002, -22},        // unknown clock: EINVAL before privilege
		{1, 0x0002, -95},         // CLOCK_MONOTONIC: EOPNOTSUPP
	} {
		setModes(c.modes)
		if r := call(t, p, g, "clock_adjtime", c.clock, tx); r != c.want {
			t.Errorf("clock_adjtime(%d, modes %#x) = %d, want %d", c.clock, c.modes, r, c.want)
		}
	}
	setModes(0)
	if r := call(t, p, g, "adjtimex", tx); r < 0 {
		t.Fatalf("adjtimex query: %d", r)
	}
	b, _ := p.readMem(tx, timexSize32)
	if tick := le32(b[4*11:]); tick != 10000 {
		t.Errorf("tick %d, want 10000", tick)
	}
}
