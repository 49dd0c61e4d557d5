package guest

import (
	"debug/elf"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// busyboxPath is Debian's statically linked busybox (package busybox-static).
const busyboxPath = "/bin/busybox"

// lcg is the same kind of deterministic generator the C programs use.
type lcg uint64

func (l *lcg) next() uint32 {
	*l = *l*6364136223846793005 + 1442695040888963407
	return uint32(*l >> 33)
}

// busyboxFixtures writes the input files every busybox case may use into dir.
func busyboxFixtures(t *testing.T, dir string) {
	t.Helper()
	r := lcg(20240601)
	data := make([]byte, 1<<20)
	for i := range data {
		data[i] = byte(r.next() >> 5)
	}
	write := func(name string, b []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("random.bin", data)
	write("small.bin", data[:64<<10])
	write("numbers.txt", []byte(numbersTable()))
}

// shuffledLines returns n distinct lines in a deterministic pseudo-random order.
func shuffledLines(n int) string {
	lines := make([]string, n)
	words := []string{"alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"}
	for i := range lines {
		lines[i] = fmt.Sprintf("%s-%05d %d", words[(i*7)%len(words)], (i*7919)%n, i%13)
	}
	r := lcg(42)
	for i := n - 1; i > 0; i-- {
		j := int(r.next() % uint32(i+1))
		lines[i], lines[j] = lines[j], lines[i]
	}
	return strings.Join(lines, "\n") + "\n"
}

// numbersTable returns whitespace separated numeric columns for awk.
func numbersTable() string {
	var b strings.Builder
	r := lcg(7)
	for i := 0; i < 2000; i++ {
		fmt.Fprintf(&b, "row%d %d %d.%03d %s\n", i, int(r.next()%100000)-50000, r.next()%1000, r.next()%1000,
			[]string{"a", "banana", "cab", "aardvark"}[i%4])
	}
	return b.String()
}

// TestBusybox runs busybox applets natively and under gemu.
func TestBusybox(t *testing.T) {
	f, err := elf.Open(busyboxPath)
	if err != nil {
		t.Fatalf("%s not usable (%v): install Debian's busybox-static package (apt-get install busybox-static)", busyboxPath, err)
	}
	machine, class := f.Machine, f.Class
	f.Close()
	if machine != elf.EM_X86_64 || class != elf.ELFCLASS64 {
		t.Fatalf("%s is %v/%v, want a static x86-64 busybox (package busybox-static, amd64)", busyboxPath, machine, class)
	}
	emuArgv := append([]string{gemu(t)}, gemuFlags()...)

	sedInput := strings.Repeat("a banana and an apple: abracadabra\nno match here? yes: aaaa\n", 200)
	cases := []struct {
		name  string
		args  []string
		stdin string
	}{
		{"echo", []string{"echo", "hello", "world"}, ""},
		{"seq", []string{"seq", "1", "1000"}, ""},
		{"sha256sum", []string{"sha256sum", "random.bin"}, ""},
		{"md5sum", []string{"md5sum", "random.bin", "small.bin"}, ""},
		{"sort", []string{"sort"}, shuffledLines(5000)},
		{"sort-numeric-reverse", []string{"sort", "-t", " ", "-k", "2", "-n", "-r"}, shuffledLines(3000)},
		{"sed", []string{"sed", "s/a/b/g"}, sedInput},
		{"sed-regex", []string{"sed", "-n", "-e", `s/\(a\+\)\([^a ]*\)/[\1|\2]/gp`}, sedInput},
		{"awk-float", []string{"awk", `BEGIN{for(i=1;i<=100;i++) s+=1/i; printf "%.15f %g\n", s, s*3.7}`}, ""},
		// Debian's busybox-static awk has no math library functions (sin, exp, ^)
		{"awk-arith", []string{"awk", `BEGIN{x=0.1; for(i=0;i<50;i++) x=x*1.1-0.013; printf "%.17g\n", x; printf "%.6e %d %.10g %s\n", 1/3e7, int(-7.9), 355/113, 1e300*1e10; y=1; for(i=0;i<60;i++) y=y*2.5; print y, y/7, -y}`}, ""},
		{"awk-fields", []string{"awk", `{s+=$2; f+=$3; n[$4]++} END{printf "%d %.3f\n", s, f; for(k in n) c++; print NR, c}`}, numbersTable()},
		{"wc", []string{"wc"}, shuffledLines(4000)},
		{"tr", []string{"tr", "a-z", "A-Z"}, sedInput},
		{"uniq-cut", []string{"sh", "-c", "cut -d ' ' -f 2 | sort | uniq -c | sort -n -r | head -n 5"}, shuffledLines(2000)},
		{"sh-arith", []string{"sh", "-c", `i=0; s=0; while [ $i -lt 300 ]; do s=$((s + i * i % 7)); i=$((i + 1)); done; echo "$s"; printf '%05d|%-6s|%x\n' 42 ab 255`}, ""},
		{"gzip-roundtrip", []string{"sh", "-c", "gzip -9 -c < small.bin | sha256sum; gzip -c < small.bin | gunzip -c | cmp - small.bin && echo same"}, ""},
		{"od", []string{"od", "-A", "x", "-t", "x1z", "-N", "256", "random.bin"}, ""},
		{"expr-test", []string{"sh", "-c", `expr 123456789 \* 3 + 7; expr length "hello"; [ 3 -lt 10 ] && echo lt; test -f random.bin && echo file`}, ""},
		{"false", []string{"false"}, ""},
	}
	for _, c := range cases {
		c := c
		t.Run(c.name, func(t *testing.T) {
			if reason, ok := knownFailures["busybox/"+c.name]; ok {
				t.Skip("known failure: " + reason)
			}
			t.Parallel()
			dir := t.TempDir()
			busyboxFixtures(t, dir)
			// applets run through the busybox binary itself: argv[0] stays /bin/busybox
			diffRun(t, dir, emuArgv, busyboxPath, runConfig{args: c.args, stdin: c.stdin})
		})
	}
}
