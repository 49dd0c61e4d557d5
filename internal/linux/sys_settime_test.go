package linux

import (
	"testing"

	"gemu/internal/linux/abi"
	"gemu/internal/x86"
)

// TestSettimeRefused checks what the differential test cannot (a root
// native run would set the machine's clock): a valid time for
// CLOCK_REALTIME is EPERM through settimeofday, clock_settime,
// clock_settime64 and stime, while an invalid one keeps the kernel's
// EINVAL.
func TestSettimeRefused(t *testing.T) {
	p := newTestProcess(t, 32, nil, nil, Options{})
	g := x86.GateInt80
	buf := p.Stack.SP - 4096
	put := func(b []byte) {
		if e := p.writeMem(buf, b); e != 0 {
			t.Fatal(e)
		}
	}
	put(abi.Words(4).Encode(1700000000, 5))
	if r := call(t, p, g, "settimeofday", buf, 0); r != -abi.EPERM {
		t.Errorf("settimeofday = %d, want EPERM", r)
	}
	if r := call(t, p, g, "clock_settime", 0, buf); r != -abi.EPERM {
		t.Errorf("clock_settime = %d, want EPERM", r)
	}
	if r := call(t, p, g, "stime", buf); r != -abi.EPERM {
		t.Errorf("stime = %d, want EPERM", r)
	}
	put(abi.Words(8).Encode(1700000000, 5))
	if r := call(t, p, g, "clock_settime64", 0, buf); r != -abi.EPERM {
		t.Errorf("clock_settime64 = %d, want EPERM", r)
	}
	put(abi.Words(8).Encode(1700000000, 1e9))
	if r := call(t, p, g, "clock_settime64", 0, buf); r != -abi.EINVAL {
		t.Errorf("clock_settime64 with 1e9 ns = %d, want EINVAL", r)
	}
}
