package linux

import (
	"strings"
	"syscall"
	"testing"

	"gemu/internal/x86"
)

// TestKeyctlUntranslated checks the keyctl commands whose parameter
// structures gemu does not translate: EOPNOTSUPP (a kernel without
// CONFIG_KEY_DH_OPERATIONS or CONFIG_ASYMMETRIC_KEY_TYPE) with a -d unimp
// line naming the command, where the host kernel (which has them) would
// read the guest's pointers as its own.
func TestKeyctlUntranslated(t *testing.T) {
	var log strings.Builder
	p := newTestProcess(t, 32, nil, nil, Options{Log: &log, LogUnimp: true})
	for cmd := uint64(keyctlDHCompute); cmd <= keyctlPkeyVerify; cmd++ {
		if r := call(t, p, x86.GateInt80, "keyctl", cmd, 0, 0, 0, 0); r != -int64(syscall.EOPNOTSUPP) {
			t.Errorf("keyctl(%d) = %d, want EOPNOTSUPP", cmd, r)
		}
	}
	if n := strings.Count(log.String(), "Unsupported keyctl command"); n != 6 {
		t.Errorf("%d -d unimp lines, want 6:\n%s", n, log.String())
	}
}
