package guest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// Go guest programs: each file in gosrc/ is a main package (its build
// constraint "ignore" keeps it out of ./...) built with the installed Go
// as a static Linux program (CGO_ENABLED=0) for amd64 and 386, then run
// natively and under gemu and compared like the C programs. The Go
// runtime is a demanding guest: it parses the vDSO, starts threads with
// clone, preempts them with signals, uses futexes, epoll, eventfd and
// high mmap hints.
//
// qemu-i386 7.2, the i386 reference on hosts without IA-32 emulation,
// cannot run Go's 386 runtime (it keeps one set of set_thread_area
// descriptors for all threads, so every thread sees the last thread's g
// and the runtime crashes at start-up): there the i386 build under gemu is
// compared with the native run of the amd64 build. The programs print
// nothing that depends on the architecture.

const goSrcDir = "gosrc"

// goArchs maps subtest architecture names to GOARCH values.
var goArchs = []struct{ name, goarch string }{{"x86_64", "amd64"}, {"i386", "386"}}

var (
	goIdentOnce sync.Once
	goIdent     string
	goIdentErr  error
	goBuildMu   sync.Mutex
	goBuilds    = map[string]*buildResult{}
)

// buildGo builds Go program src for goarch (once per process, cached on
// disk by a hash of the Go version, GOARCH and source).
func buildGo(t testing.TB, src, goarch string) string {
	t.Helper()
	goIdentOnce.Do(func() {
		out, err := exec.Command("go", "version").Output()
		if err != nil {
			goIdentErr = fmt.Errorf("go version: %v (the Go programs need the go command)", err)
		}
		goIdent = strings.TrimSpace(string(out))
	})
	if goIdentErr != nil {
		t.Fatal(goIdentErr)
	}
	key := src + "/" + goarch
	goBuildMu.Lock()
	br := goBuilds[key]
	if br == nil {
		br = &buildResult{}
		goBuilds[key] = br
	}
	goBuildMu.Unlock()
	br.once.Do(func() {
		compileSema <- struct{}{}
		defer func() { <-compileSema }()
		br.path, br.err = compileGo(src, goarch)
	})
	if br.err != nil {
		t.Fatal(br.err)
	}
	return br.path
}

func compileGo(src, goarch string) (string, error) {
	code, err := os.ReadFile(src)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n", goIdent, goarch)
	h.Write(code)
	dir := filepath.Join(tmpRoot, "gobin")
	if os.Getenv("GEMU_TEST_CACHE") != "off" {
		if d, err := os.UserCacheDir(); err == nil {
			dir = filepath.Join(d, "gemu-guest-tests")
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	name := strings.TrimSuffix(filepath.Base(src), ".go")
	out, err := filepath.Abs(filepath.Join(dir, fmt.Sprintf("go-%s-%s-%s", name, goarch, hex.EncodeToString(h.Sum(nil))[:20])))
	if err != nil {
		return "", err
	}
	if st, err := os.Stat(out); err == nil && st.Mode().IsRegular() {
		return out, nil
	}
	tmp, err := os.CreateTemp(dir, ".build-*")
	if err != nil {
		return "", err
	}
	tmp.Close()
	cmd := exec.Command("go", "build", "-trimpath", "-o", tmp.Name(), src)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+goarch, "GOFLAGS=")
	if b, err := cmd.CombinedOutput(); err != nil {
		os.Remove(tmp.Name())
		return "", fmt.Errorf("GOARCH=%s go build %s: %v\n%s", goarch, src, err, b)
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return "", err
	}
	return out, nil
}

// TestGoGuest runs every Go program in gosrc/ for amd64 and 386 natively
// and under gemu. Subtests are named PROGRAM/ARCH; each logs both run
// times.
func TestGoGuest(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(goSrcDir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no Go programs in %s", goSrcDir)
	}
	sort.Strings(files)
	emuArgv := append([]string{gemu(t)}, gemuFlags()...)
	for _, src := range files {
		name := strings.TrimSuffix(filepath.Base(src), ".go")
		for _, a := range goArchs {
			t.Run(name+"/"+a.name, func(t *testing.T) {
				t.Parallel()
				bin := buildGo(t, src, a.goarch)
				ref, refNote := bin, ""
				if a.goarch == "386" && i386ThroughQemu() {
					ref, refNote = buildGo(t, src, "amd64"), " (reference: the native amd64 build; qemu-i386 cannot run Go's 386 runtime)"
				}
				cwd := t.TempDir()
				env := baseEnv(cwd)
				start := time.Now()
				native, err := execute([]string{ref}, cwd, env, "", runTimeout())
				if err != nil {
					t.Fatalf("native run: %v", err)
				}
				nativeTime := time.Since(start)
				// A fresh directory for gemu's run: the programs may
				// leave files behind.
				if err := os.RemoveAll(cwd); err != nil {
					t.Fatal(err)
				}
				if err := os.Mkdir(cwd, 0o755); err != nil {
					t.Fatal(err)
				}
				argv := append(append([]string{}, emuArgv...), bin)
				start = time.Now()
				emu, err := execute(argv, cwd, env, "", runTimeout())
				if err != nil {
					t.Fatalf("gemu run: %v", err)
				}
				t.Logf("run time: native %v, gemu %v%s", nativeTime.Round(time.Millisecond), time.Since(start).Round(time.Millisecond), refNote)
				if d := compareResults(native, emu); d != nil {
					saveOutputs(t, native, emu)
					t.Errorf("gemu and native runs differ%s\n  command: %s\n%s", refNote, strings.Join(quoteAll(argv), " "), strings.Join(d, "\n"))
				}
			})
		}
	}
}

// messyGo is gofmt's input in TestGoTools: valid Go laid out badly, with
// a composite literal -s simplifies.
const messyGo = "package   main\nimport \"fmt\"\ntype pt struct{x,y int}\nfunc main( ) {\nps:=[]pt{pt{1,2},pt{3,4}}\n\tfor _,p:=range ps{fmt.Println( p.x+p.y )}\n}\n"

// TestGoTools runs the Go distribution's own static programs (gofmt and
// the go command, built with CGO_ENABLED=0) natively and under gemu: real
// Go programs no one here wrote. gofmt formats source from standard input
// (-s simplifying), reports a syntax error, and lists the unformatted
// files of a directory (parsing them in parallel goroutines); go prints
// its version and environment.
func TestGoTools(t *testing.T) {
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Fatalf("go env GOROOT: %v", err)
	}
	bin := filepath.Join(strings.TrimSpace(string(out)), "bin")
	emuArgv := append([]string{gemu(t)}, gemuFlags()...)
	cases := []struct {
		name, prog string
		args       []string
		stdin      string
	}{
		{"gofmt-stdin", "gofmt", nil, messyGo},
		{"gofmt-s", "gofmt", []string{"-s"}, messyGo},
		{"gofmt-syntax-error", "gofmt", nil, "package main\nfunc main() {\n\tx := \n}\n"},
		{"gofmt-l", "gofmt", []string{"-l", "."}, ""},
		{"go-version", "go", []string{"version"}, ""},
		{"go-env", "go", []string{"env", "GOARCH", "GOOS", "CGO_ENABLED"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			cwd := t.TempDir()
			for i, src := range []string{messyGo, "package a\n\nvar X = 1\n", "package b\nvar  Y=2\n"} {
				if err := os.WriteFile(filepath.Join(cwd, fmt.Sprintf("f%d.go", i)), []byte(src), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			diffRun(t, cwd, emuArgv, filepath.Join(bin, c.prog), runConfig{args: c.args, stdin: c.stdin})
		})
	}
}
