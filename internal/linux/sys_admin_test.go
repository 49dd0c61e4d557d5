package linux

import (
	"testing"

	"gemu/internal/linux/abi"
	"gemu/internal/x86"
)

// TestAdminCallsNotPermitted checks the calls answered as for a process
// without the capability (a root native run would carry them out, so
// tests/guest cannot compare them): EPERM whatever the arguments, and
// swapon's EINVAL for unknown flags first.
func TestAdminCallsNotPermitted(t *testing.T) {
	p := newTestProcess(t, 64, nil, nil, Options{})
	g := x86.GateSyscall
	for _, name := range []string{"acct", "reboot", "swapoff", "sethostname", "setdomainname", "pivot_root"} {
		if r := call(t, p, g, name, 0, 0, 0, 0); r != -abi.EPERM {
			t.Errorf("%s = %d, want EPERM", name, r)
		}
	}
	if r := call(t, p, g, "swapon", 0, 0x8000); r != -abi.EPERM {
		t.Errorf("swapon(SWAP_FLAG_PREFER) = %d, want EPERM", r)
	}
	if r := call(t, p, g, "swapon", 0, 0x80000); r != -abi.EINVAL {
		t.Errorf("swapon(unknown flag) = %d, want EINVAL", r)
	}
}
