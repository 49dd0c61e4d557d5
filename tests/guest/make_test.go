package guest

import (
	"os"
	"path/filepath"
	"testing"
)

// makePath is the host's GNU make, a dynamically linked program that
// spawns its recipes with posix_spawn (POSIX_SPAWN_RESETIDS: the set*id
// calls) and runs $(shell ...) through /bin/sh.
const makePath = "/usr/bin/make"

// testMakefile has ordinary recipes, a pattern rule, automatic variables,
// $(shell ...), a shell loop, an ignored error and a failing target. The
// default goal removes what it built, so the native and the emulated run
// start from the same directory contents.
const testMakefile = `WORDS := $(shell echo alpha beta gamma | tr a-z A-Z)
COUNT := $(words $(WORDS))
OUTS := a.out b.out

all: report
	rm -f $(OUTS)

%.out: %.in
	@echo "building $@ from $<"
	tr a-z A-Z < $< > $@

report: $(OUTS)
	@echo "words: $(WORDS) ($(COUNT))"
	cat $^
	@for i in 1 2 3; do printf 'loop %s\n' $$i; done
	@sh -c 'exit 0' && echo "status ok"
	-@false
	@echo "after ignored error" >&2

fail:
	@echo "about to fail" >&2
	@exit 3
`

// TestMake runs GNU make natively and under gemu on testMakefile.
func TestMake(t *testing.T) {
	if _, err := os.Stat(makePath); err != nil {
		t.Skipf("%s is absent (%v): install GNU make (scripts/deps does)", makePath, err)
	}
	emuArgv := append([]string{gemu(t)}, gemuFlags()...)
	for _, c := range []struct {
		name string
		args []string
	}{
		{"build", nil},
		{"dry-run", []string{"-n"}},
		{"fail", []string{"fail"}},
		{"keep-going", []string{"-k", "fail", "all"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			for name, content := range map[string]string{"Makefile": testMakefile, "a.in": "one\n", "b.in": "two\n"} {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			diffRun(t, dir, emuArgv, makePath, runConfig{args: c.args})
		})
	}
}
