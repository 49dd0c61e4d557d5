package plugins

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// SWAT's sources are not part of gemu and not fetched by the tests: they
// are used only when these variables name checkouts of them.
const (
	// swatEnv names a checkout of https://github.com/ispras/swat (its
	// qemu-plugins/ directory holds the introspection plugin).
	swatEnv = "GEMU_SWAT"
	// swatQemuEnv names a checkout of the swat branch of
	// https://github.com/ispras/qemu (plugins/ holds the exec-log,
	// syscall-log and template plugins and plugins/include the headers;
	// include/elf.h is needed by introspection).
	swatQemuEnv = "GEMU_SWAT_QEMU"
)

// swatSources returns the two checkouts, or skips the test saying what is
// missing.
func swatSources(t *testing.T) (swat, qemu string) {
	t.Helper()
	swat, qemu = os.Getenv(swatEnv), os.Getenv(swatQemuEnv)
	if swat == "" || qemu == "" {
		t.Skipf("SWAT's sources not given: set %s to a checkout of github.com/ispras/swat and %s to one of "+
			"github.com/ispras/qemu, branch swat, to build SWAT's plugins against include/", swatEnv, swatQemuEnv)
	}
	for _, f := range []string{
		filepath.Join(swat, "qemu-plugins", "introspection", "introspection.c"),
		filepath.Join(qemu, "plugins", "include", "regnum.h"),
		filepath.Join(qemu, "plugins", "exec-log", "exec-log.c"),
		filepath.Join(qemu, "include", "elf.h"),
	} {
		if _, err := os.Stat(f); err != nil {
			t.Fatalf("%s=%s, %s=%s: %v", swatEnv, swat, swatQemuEnv, qemu, err)
		}
	}
	return swat, qemu
}

// swatHeaders are the two include directories SWAT's plugins are built
// against: gemu's and SWAT's own.
func swatHeaders(qemu string) map[string]string {
	return map[string]string{
		"gemu": filepath.Join(repoRoot, "include"),
		"swat": filepath.Join(qemu, "plugins", "include"),
	}
}

// swatPlugin builds one of the single-file plugins of SWAT's QEMU (exec-log,
// syscall-log, template) unmodified against the include directory inc.
func swatPlugin(t *testing.T, qemu, name, hdr, inc string) string {
	src := filepath.Join(qemu, "plugins", name, name+".c")
	return buildOnce(t, "libswat-"+name+"-"+hdr+".so", "cc", "-shared", "-fPIC", "-O2", "-I"+inc, src)
}

// swatRegnumDiffers lists the names of SWAT's regnum.h that gemu's header
// gives another number, documented in include/regnum.h: where SWAT's header
// disagrees with its own QEMU. Names of registers gemu does not have (AVX,
// AVX-512, MPX, PKRU) are the other difference: they must be past the end
// of gemu's table.
var swatRegnumDiffers = map[string]int{
	"I386_MXCSR_REGNUM":   49,
	"AMD64_ST0_REGNUM":    33,
	"AMD64_ST1_REGNUM":    34,
	"AMD64_FCTRL_REGNUM":  41,
	"AMD64_FSTAT_REGNUM":  42,
	"AMD64_FTAG_REGNUM":   43,
	"AMD64_XMM0_REGNUM":   49,
	"AMD64_XMM1_REGNUM":   50,
	"AMD64_MXCSR_REGNUM":  65,
	"AMD64_FSBASE_REGNUM": 24,
	"AMD64_GSBASE_REGNUM": 25,
}

// TestSWATPlugins builds the plugins of ISP RAS SWAT, the project gemu's C
// plugin API comes from, from their own sources and unmodified, against
// gemu's include/ and against SWAT's plugins/include, and runs them: every
// name of SWAT's regnum.h is defined (with SWAT's number but for the
// documented differences), exec-log logs one line per instruction -plugin
// insn counts, syscall-log logs the sysenter calls -strace shows,
// template loads, and introspection with args=Linux logs a dynamically
// linked program's system calls and file opens, the same lines whichever
// header it was built with. Skipped unless SWAT's sources are given
// (swatEnv, swatQemuEnv).
func TestSWATPlugins(t *testing.T) {
	swat, qemu := swatSources(t)
	hdrs := swatHeaders(qemu)

	t.Run("regnum", func(t *testing.T) {
		swatH := filepath.Join(qemu, "plugins", "include", "regnum.h")
		names := enumNames(t, swatH)
		if len(names) < 150 {
			t.Fatalf("found %d names in %s", len(names), swatH)
		}
		vals := map[string]map[string]int{}
		for hdr, inc := range hdrs {
			vals[hdr] = enumValues(t, "swatnames-"+hdr, inc, names)
		}
		for _, n := range names {
			g, s := vals["gemu"][n], vals["swat"][n]
			if want, ok := swatRegnumDiffers[n]; ok {
				if g != want || g == s {
					t.Errorf("%s: gemu %d, SWAT %d; want gemu %d", n, g, s, want)
				}
				continue
			}
			if g == s {
				continue
			}
			// ARM and AArch64 numbers: SWAT's plus gemu's base for them.
			if base := map[bool]int{true: 0x10000, false: 0x20000}[strings.HasPrefix(n, "ARM_") || strings.HasPrefix(n, "THUMB_")]; foreignRegName(n) {
				if g != s+base {
					t.Errorf("%s: gemu %d, SWAT %d: want SWAT's plus %#x", n, g, s, base)
				}
				continue
			}
			// A register gemu does not have: past both tables.
			end := 75
			if strings.HasPrefix(n, "AMD64_") {
				end = 155
			}
			if !regexp.MustCompile(`_(YMM\d+H|ZMM\d+H|BND\w+|K\d|PKRU|XMM(16|31))_REGNUM$`).MatchString(n) || g < end {
				t.Errorf("%s: gemu %d, SWAT %d: an undocumented difference", n, g, s)
			}
		}
	})

	for _, mode := range modes {
		t.Run("exec-log/"+archName(mode), func(t *testing.T) {
			for hdr, inc := range hdrs {
				lib := swatPlugin(t, qemu, "exec-log", hdr, inc)
				r := runGemu(t, true, "-plugin", "file="+lib, "-plugin", "insn", guest(t, mode))
				wantOK(t, r)
				n := len(r.log) - 1
				if n < 1000 || r.log[n] != fmt.Sprintf("insns: %d", n) {
					t.Fatalf("built against %s: %d lines before %q, want that many instructions", hdr, n, r.log[max(n, 0)])
				}
				for i, l := range r.log[:n] {
					if !strings.HasPrefix(l, "executing instruction at ") {
						t.Fatalf("built against %s: line %d is %q", hdr, i, l)
					}
				}
				t.Logf("built against %s: %d lines, insns: %d", hdr, n, n)
			}
		})
	}

	t.Run("syscall-log", func(t *testing.T) {
		nums := sysNumbers(32)
		for hdr, inc := range hdrs {
			lib := swatPlugin(t, qemu, "syscall-log", hdr, inc)
			r := runGemu(t, true, "-strace", "-plugin", "file="+lib, guest(t, 32))
			wantOK(t, r)
			names, at := straceCalls(r.log)
			k, seen := 0, 0
			for i, l := range r.log {
				v, ok := strings.CutPrefix(l, "sysenter ")
				if !ok {
					continue
				}
				seen++
				for k < len(at) && at[k] < i {
					k++
				}
				if k == len(at) || uint64(nums[names[k]]) != parseHex(t, v) {
					t.Fatalf("built against %s: log line %d %q is not followed by that call's -strace line", hdr, i, l)
				}
			}
			if seen < 4 {
				t.Fatalf("built against %s: %d sysenter lines:\n%s", hdr, seen, strings.Join(r.log, "\n"))
			}
			t.Logf("built against %s: %d sysenter lines, %d system calls", hdr, seen, len(names))
		}
	})

	t.Run("template", func(t *testing.T) {
		for hdr, inc := range hdrs {
			lib := swatPlugin(t, qemu, "template", hdr, inc)
			r := runGemu(t, true, "-plugin", "file="+lib, guest(t, 64))
			// template prints with printf to stdout, which the guest's
			// output shares: check that it loaded and ran.
			if r.status != 0 || !strings.HasPrefix(r.stdout, "template plugin loaded successfully\nexecuting instruction at ") {
				t.Fatalf("built against %s: status %d, stdout begins %q", hdr, r.status, r.stdout[:min(len(r.stdout), 200)])
			}
		}
	})

	if out, err := exec.Command("pkg-config", "--cflags", "--libs", "glib-2.0").Output(); err != nil {
		t.Logf("introspection not built: it needs glib (pkg-config glib-2.0: %v)", err)
	} else {
		glib := strings.Fields(string(out))
		for _, mode := range modes {
			t.Run("introspection/"+archName(mode), func(t *testing.T) {
				swatIntrospection(t, swat, qemu, glib, hdrs, mode)
			})
		}
	}
}

// swatIntrospection runs SWAT's introspection plugin with args=Linux on a
// dynamically linked program, built against each header.
func swatIntrospection(t *testing.T, swat, qemu string, glib []string, hdrs map[string]string, mode int) {
	// The plugin includes "../../qemu/include/elf.h": lay its sources out
	// next to a copy of that file, as in SWAT's tree.
	tree := filepath.Join(workDir, "swat-tree")
	buildMu.Lock()
	if _, err := os.Stat(tree); err != nil {
		dir := filepath.Join(tree, "qemu-plugins", "introspection")
		err := os.MkdirAll(filepath.Join(tree, "qemu", "include"), 0o755)
		if err == nil {
			err = os.MkdirAll(filepath.Join(tree, "qemu-plugins"), 0o755)
		}
		if err == nil {
			err = exec.Command("cp", "-r", filepath.Join(swat, "qemu-plugins", "introspection"), filepath.Join(tree, "qemu-plugins")).Run()
		}
		if err == nil {
			err = exec.Command("cp", filepath.Join(qemu, "include", "elf.h"), filepath.Join(tree, "qemu", "include")).Run()
		}
		if err != nil {
			buildMu.Unlock()
			t.Fatalf("laying out %s: %v", dir, err)
		}
	}
	buildMu.Unlock()
	srcs, _ := filepath.Glob(filepath.Join(tree, "qemu-plugins", "introspection", "*.c"))
	if len(srcs) < 20 {
		t.Fatalf("introspection sources: %d .c files", len(srcs))
	}
	arch := "-m64"
	if mode == 32 {
		arch = "-m32"
	}
	prog := buildOnce(t, fmt.Sprintf("opener%d", mode), "cc", arch, "-O1", "testdata/opener.c")
	target := filepath.Join(repoRoot, "go.mod")
	logs := map[string][]string{}
	for hdr, inc := range hdrs {
		// glib's flags last: its -l options must follow the sources.
		args := append([]string{"cc", "-shared", "-fPIC", "-O2", "-w", "-I" + inc}, srcs...)
		args = append(args, glib...)
		lib := buildOnce(t, "libintrospection-"+hdr+".so", args...)
		r := runGemu(t, true, "-strace", "-plugin", "file="+lib+",args=Linux", prog, target)
		if r.status != 0 || r.stdout != "opened "+target+"\n" {
			t.Fatalf("built against %s: status %d, stdout %q, stderr %s", hdr, r.status, r.stdout, r.stderr)
		}
		logs[hdr] = checkIntrospectionLog(t, hdr, mode, r.log, target)
	}
	g, s := logs["gemu"], logs["swat"]
	if strings.Join(g, "\n") != strings.Join(s, "\n") {
		t.Errorf("the log differs with the header: %d lines built against gemu's, %d against SWAT's", len(g), len(s))
		for i := 0; i < len(g) && i < len(s); i++ {
			if g[i] != s[i] {
				t.Fatalf("first difference, line %d: %q vs %q", i, g[i], s[i])
			}
		}
	}
}

// introLine is a line introspection logs for each system call: the
// context (cr3), then "syscall N" (x86-64) or "int80 N sp=..." /
// "sysenter N" (i386).
var introLine = regexp.MustCompile(`^([0-9a-f]+): (syscall|int80|sysenter) ([0-9a-f]+)( sp=[0-9a-f]+)?$`)

// checkIntrospectionLog checks introspection's lines in a -strace -D log
// and returns them: one system call line per -strace line, with the same
// number, the program's open of target, and the process's context (cr3)
// non-zero, derived from the guest's pid, on every line (returned as "cr3").
func checkIntrospectionLog(t *testing.T, hdr string, mode int, log []string, target string) []string {
	t.Helper()
	names, _ := straceCalls(log)
	nums := sysNumbers(mode)
	var pid int
	for _, l := range log {
		if straceLine.MatchString(l) {
			pid, _ = strconv.Atoi(strings.Fields(l)[0])
			break
		}
	}
	var plugin []string
	var calls []string
	opened := false
	ctxRe := regexp.MustCompile(`^([0-9a-f]+): `)
	for _, l := range log {
		if straceLine.MatchString(l) || strings.HasPrefix(l, " = ") {
			continue
		}
		if m := ctxRe.FindStringSubmatch(l); m != nil {
			if ctx := parseHex(t, m[1]); ctx == 0 || ctx != uint64(pid)<<cr3Shift(archName(mode)) {
				t.Fatalf("built against %s: %q: context %#x, want the pid %d shifted by %d", hdr, l, ctx, pid, cr3Shift(archName(mode)))
			}
			// The pid differs from run to run.
			plugin = append(plugin, "cr3"+l[len(m[1]):])
		} else {
			plugin = append(plugin, l)
		}
		if m := introLine.FindStringSubmatch(l); m != nil {
			calls = append(calls, m[3])
		}
		if strings.HasSuffix(l, ": trying to openat file: "+target) || strings.HasSuffix(l, ": trying to open file: "+target) {
			opened = true
		}
	}
	if len(calls) != len(names) {
		t.Fatalf("built against %s: %d system call lines, -strace shows %d calls:\n%s", hdr, len(calls), len(names), strings.Join(log, "\n"))
	}
	for i, c := range calls {
		if want := nums[names[i]]; parseHex(t, c) != uint64(want) {
			t.Fatalf("built against %s: system call %d is %s, -strace says %s (%#x)", hdr, i, c, names[i], want)
		}
	}
	if !opened {
		t.Fatalf("built against %s: no line for the open of %s:\n%s", hdr, target, strings.Join(plugin, "\n"))
	}
	t.Logf("built against %s: %d lines, %d system calls, context %#x", hdr, len(plugin), len(calls), pid<<cr3Shift(archName(mode)))
	return plugin
}

// enumNames returns the enumerator names of the C header file.
func enumNames(t *testing.T, file string) []string {
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`(?m)^\s*([A-Z][A-Z0-9_]*)\s*(=[^,\n]*)?,?\s*(/\*.*)?$`)
	seen := map[string]bool{}
	var names []string
	for _, m := range re.FindAllStringSubmatch(string(data), -1) {
		if n := m[1]; !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

// enumValues compiles and runs a program that prints names, with regnum.h
// from the include directory inc; compiling fails if one is not defined.
func enumValues(t *testing.T, out, inc string, names []string) map[string]int {
	var src strings.Builder
	src.WriteString("#include <stdio.h>\n#include \"regnum.h\"\nint main(void)\n{\n")
	for _, n := range names {
		fmt.Fprintf(&src, "    printf(\"%s %%d\\n\", (int)%s);\n", n, n)
	}
	src.WriteString("    return 0;\n}\n")
	c := filepath.Join(workDir, out+".c")
	if err := os.WriteFile(c, []byte(src.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := buildOnce(t, out, "cc", "-I"+inc, c)
	res, err := exec.Command(bin).Output()
	if err != nil {
		t.Fatalf("%s: %v", bin, err)
	}
	vals := map[string]int{}
	for _, l := range lines(string(res)) {
		f := strings.Fields(l)
		v, _ := strconv.Atoi(f[1])
		vals[f[0]] = v
	}
	return vals
}
