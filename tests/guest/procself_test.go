package guest

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestProcselfI386 runs procself's (and exelink's) i386 builds under gemu against the
// native run of the matching x86_64 build where the host has no i386
// reference (i386 code runs only through qemu-i386, whose /proc/self is
// the host's: see qemuRefGaps). procself prints only facts that do not
// depend on the architecture, so the outputs must be identical. Where the
// host runs i386 code, TestGuest compares the i386 builds directly.
func TestProcselfI386(t *testing.T) {
	if !i386ThroughQemu() {
		t.Skip("the host runs i386 code: TestGuest/procself/i386* compare against it")
	}
	progs, err := loadPrograms()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"procself", "exelink"} {
		t.Run(name, func(t *testing.T) { compareI386WithX8664(t, progs, name, "", "-pie", "-dyn") })
	}
}

// compareI386WithX8664 runs program name's i386 builds under gemu against
// the native runs of its x86_64 builds, one pair per build suffix ("" for
// the static build, "-pie", "-dyn") and variant of the program.
func compareI386WithX8664(t *testing.T, progs []*program, name string, suffixes ...string) {
	var prog *program
	for _, p := range progs {
		if p.name == name {
			prog = p
		}
	}
	if prog == nil {
		t.Fatalf("no %s program", name)
	}
	spec := map[string]archSpec{}
	for _, a := range archs {
		spec[a.name] = a
	}
	emuArgv := append([]string{gemu(t)}, gemuFlags()...)
	for _, suffix := range suffixes {
		for _, v := range prog.variants {
			sub := "i386" + suffix
			if v.name != "" {
				sub += "-" + v.name
			}
			t.Run(sub, func(t *testing.T) {
				t.Parallel()
				ref := buildProgram(t, prog, spec["x86_64"+suffix])
				bin := buildProgram(t, prog, spec["i386"+suffix])
				cwd := t.TempDir()
				cfg := v.cfg
				env := append(baseEnv(cwd), cfg.env...)
				native, err := execute(append([]string{ref}, cfg.args...), cwd, env, cfg.stdin, runTimeout())
				if err != nil {
					t.Fatalf("native x86_64 run: %v", err)
				}
				argv := append(append(append([]string{}, emuArgv...), bin), cfg.args...)
				emu, err := execute(argv, cwd, env, cfg.stdin, runTimeout())
				if err != nil {
					t.Fatalf("gemu run: %v", err)
				}
				if d := compareResults(native, emu); d != nil {
					t.Errorf("gemu's i386 run differs from the native x86_64 run\n  command: %s (reference %s)\n%s",
						strings.Join(quoteAll(argv), " "), filepath.Base(ref), strings.Join(d, "\n"))
				}
			})
		}
	}
}
