package guest

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestProcCallsI386 runs the i386 builds of pdeathsig and procvm (its
// self variant) under gemu against the native run of their x86_64
// builds where the host has no i386 reference: qemu-i386 differs from
// Linux there (qemuRefGaps). Both print only facts that do not depend on
// the architecture, so the outputs must be identical.
func TestProcCallsI386(t *testing.T) {
	if !i386ThroughQemu() {
		t.Skip("the host runs i386 code: TestGuest compares the i386 builds against it")
	}
	progs, err := loadPrograms()
	if err != nil {
		t.Fatal(err)
	}
	spec := map[string]archSpec{}
	for _, a := range archs {
		spec[a.name] = a
	}
	emuArgv := append([]string{gemu(t)}, gemuFlags()...)
	for _, name := range []string{"pdeathsig", "procvm"} {
		var prog *program
		for _, p := range progs {
			if p.name == name {
				prog = p
			}
		}
		if prog == nil {
			t.Fatalf("no %s program", name)
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ref := buildProgram(t, prog, spec["x86_64"])
			bin := buildProgram(t, prog, spec["i386"])
			cwd := t.TempDir()
			cfg := prog.variants[0].cfg
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
