package linux

import (
	"testing"

	"gemu/internal/linux/abi"
	"gemu/internal/x86"
)

// TestSyslogRefusesChanges checks what the differential test cannot (its
// native reference may run as root, and would consume or clear the
// machine's log): the actions that change the log or the console are
// EPERM, while the buffer size is the host's.
func TestSyslogRefusesChanges(t *testing.T) {
	p := newTestProcess(t, 64, nil, nil, Options{})
	g := x86.GateSyscall
	buf := p.Stack.SP - 4096
	for _, typ := range []uint64{syslogRead, syslogReadClear, syslogClear, syslogConsoleOff, syslogConsoleOn, syslogConsoleLvl} {
		if r := call(t, p, g, "syslog", typ, buf, 100); r != -abi.EPERM {
			t.Errorf("syslog(%d) = %d, want EPERM", typ, r)
		}
	}
	if r := call(t, p, g, "syslog", syslogSizeBuffer, 0, 0); r <= 0 || r&(r-1) != 0 {
		t.Errorf("syslog(SIZE_BUFFER) = %d, want the host's power of two", r)
	}
}
