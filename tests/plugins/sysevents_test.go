package plugins

import (
	"reflect"
	"testing"
)

// TestSystemEventsInUserMode: gemu (user mode) loads a C plugin that
// defines only the system-mode events and the hwtrace tracer, runs the
// guest as without them, and calls none of those events: the log holds
// only the plugin's exit line and hwtrace's summary of zero counts.
func TestSystemEventsInUserMode(t *testing.T) {
	for _, mode := range modes {
		t.Run(archName(mode), func(t *testing.T) {
			r := runGemu(t, true, "-plugin", "file="+testPlugin(t, "sysonly"), "-plugin", "hwtrace", guest(t, mode))
			wantOK(t, r)
			want := []string{
				"sysonly: exit",
				"hwtrace: ports 0 (in 0, out 0), mmio 0 (read 0, write 0), int 0 (hw 0, sw 0, exc 0), mode 0 (cr0 0, cr3 0, cr4 0, efer 0)",
			}
			if !reflect.DeepEqual(r.log, want) {
				t.Errorf("log %q, want %q", r.log, want)
			}
		})
	}
}
