package x86

import (
	"bufio"
	"compress/gzip"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// The SSE hardware vectors: testdata/ssegen/gen.c runs each instruction on
// the host CPU and records its inputs and outputs (see the comment there
// for the format). Every vector is replayed here and must match bit for
// bit: XMM0, RAX, the status flags, MXCSR and whether #XM was raised.

const sseVectors = "testdata/sse_vectors.txt.gz"

type sseVec struct {
	name        string
	mx          uint32
	fl          uint64
	a, b        [2]uint64
	rax         uint64
	r           [2]uint64
	rrax, rfl   uint64
	mxo         uint32
	trap        bool
	line        int
	encoding    []byte
	skipIn32Bit bool
}

func parse128(s string) ([2]uint64, error) {
	hi, lo, ok := strings.Cut(s, ":")
	if !ok {
		return [2]uint64{}, fmt.Errorf("bad 128-bit value %q", s)
	}
	h, err := strconv.ParseUint(hi, 16, 64)
	if err != nil {
		return [2]uint64{}, err
	}
	l, err := strconv.ParseUint(lo, 16, 64)
	return [2]uint64{l, h}, err
}

// readSSEVectors parses a vector stream, calling f for each vector.
func readSSEVectors(r io.Reader, f func(v *sseVec)) error {
	enc := map[string][]byte{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		fs := strings.Fields(sc.Text())
		if len(fs) == 0 {
			continue
		}
		switch fs[0] {
		case "E":
			b, err := hex.DecodeString(fs[2])
			if err != nil {
				return fmt.Errorf("line %d: %v", line, err)
			}
			enc[fs[1]] = b
			continue
		case "V":
		default:
			return fmt.Errorf("line %d: bad record %q", line, fs[0])
		}
		if len(fs) != 13 || fs[7] != ":" {
			return fmt.Errorf("line %d: %d fields", line, len(fs))
		}
		v := sseVec{name: fs[1], line: line, encoding: enc[fs[1]]}
		if v.encoding == nil {
			return fmt.Errorf("line %d: no encoding for %s", line, fs[1])
		}
		var err error
		num := func(s string) uint64 {
			n, e := strconv.ParseUint(s, 16, 64)
			if e != nil && err == nil {
				err = e
			}
			return n
		}
		v.mx = uint32(num(fs[2]))
		v.fl = num(fs[3])
		var e1, e2, e3 error
		v.a, e1 = parse128(fs[4])
		v.b, e2 = parse128(fs[5])
		v.rax = num(fs[6])
		v.r, e3 = parse128(fs[8])
		v.rrax = num(fs[9])
		v.rfl = num(fs[10])
		v.mxo = uint32(num(fs[11]))
		v.trap = fs[12] == "1"
		for _, e := range []error{e1, e2, e3} {
			if e != nil && err == nil {
				err = e
			}
		}
		if err != nil {
			return fmt.Errorf("line %d: %v", line, err)
		}
		for _, b := range v.encoding {
			if b == 0x0f {
				break // the opcode: prefixes are over
			}
			if b&0xf0 == 0x40 {
				v.skipIn32Bit = true // REX prefix
			}
		}
		f(&v)
	}
	return sc.Err()
}

// sseRunner executes single vectors on one reusable CPU per mode.
type sseRunner struct {
	c     *CPU
	insts map[string]*Inst
}

func newSSERunner(t testing.TB, mode int) *sseRunner {
	return &sseRunner{c: newTestCPU(t, mode, nil), insts: map[string]*Inst{}}
}

// run executes v and describes any mismatch (empty if it matched).
func (r *sseRunner) run(v *sseVec) string {
	c := r.c
	in := r.insts[v.name]
	if in == nil {
		d, err := Decode(c.Mode, testCode, v.encoding)
		if err != nil {
			return fmt.Sprintf("decode: %v", err)
		}
		in = &d
		r.insts[v.name] = in
	}
	c.XMM[0], c.XMM[1] = v.a, v.b
	c.R[RAX] = v.rax
	c.MXCSR = v.mx
	c.SetFlags(v.fl, StatusFlags)
	var trap any
	func() {
		defer func() { trap = recover() }()
		c.RIP = in.Next
		in.Fn(c, in)
	}()
	var got []string
	if trap != nil {
		tr, ok := trap.(*Trap)
		if !ok || tr.Kind != TrapSIMD || !v.trap {
			got = append(got, fmt.Sprintf("trap %v", trap))
		}
	} else if v.trap {
		got = append(got, "no trap")
	}
	wantRAX, gotRAX := v.rrax, c.R[RAX]
	if c.Mode == 32 {
		wantRAX &= 0xffffffff
		gotRAX &= 0xffffffff
	}
	if c.XMM[0] != v.r {
		got = append(got, fmt.Sprintf("xmm0 %016x:%016x want %016x:%016x", c.XMM[0][1], c.XMM[0][0], v.r[1], v.r[0]))
	}
	if gotRAX != wantRAX {
		got = append(got, fmt.Sprintf("rax %#x want %#x", gotRAX, wantRAX))
	}
	if f := c.Flags() & StatusFlags; f != v.rfl {
		got = append(got, fmt.Sprintf("flags %#x want %#x", f, v.rfl))
	}
	if c.MXCSR != v.mxo {
		got = append(got, fmt.Sprintf("mxcsr %#x want %#x", c.MXCSR, v.mxo))
	}
	return strings.Join(got, ", ")
}

// sseCheck replays a vector stream in both modes and reports mismatches.
func sseCheck(t *testing.T, r io.Reader) {
	show := 40
	if s := os.Getenv("SSE_SHOW"); s != "" {
		show, _ = strconv.Atoi(s)
	}
	r64, r32 := newSSERunner(t, 64), newSSERunner(t, 32)
	n, fails := 0, map[string]int{}
	shown := 0
	err := readSSEVectors(r, func(v *sseVec) {
		n++
		for _, rr := range []*sseRunner{r64, r32} {
			if rr == r32 && v.skipIn32Bit {
				continue
			}
			if msg := rr.run(v); msg != "" {
				fails[v.name]++
				if shown < show {
					shown++
					t.Errorf("line %d %s (mode %d) mx=%#x a=%016x:%016x b=%016x:%016x rax=%#x: %s",
						v.line, v.name, rr.c.Mode, v.mx, v.a[1], v.a[0], v.b[1], v.b[0], v.rax, msg)
				}
				break
			}
		}
	})
	summarizeVectors(t, err, n, fails)
	t.Logf("%d vectors", n)
}

func TestSSEVectors(t *testing.T) {
	path := sseVectors
	if p := os.Getenv("SSE_VECTORS"); p != "" {
		path = p
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		z, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		r = z
	}
	sseCheck(t, r)
}

// TestSSELiveHardware builds the generator and checks its full output
// (every pair of special values in two modes, random sections multiplied by
// scale) directly: SSE_LIVE=seed[:scale] go test -run SSELive (needs cc on
// an x86-64 host).
func TestSSELiveHardware(t *testing.T) {
	seed, scale, _ := strings.Cut(os.Getenv("SSE_LIVE"), ":")
	if seed == "" {
		t.Skip("set SSE_LIVE=seed[:scale] to run the generator on this host")
	}
	if scale == "" {
		scale = "1"
	}
	exe := filepath.Join(t.TempDir(), "ssegen")
	if out, err := exec.Command("cc", "-O1", "-mno-red-zone", "-o", exe, "testdata/ssegen/gen.c").CombinedOutput(); err != nil {
		t.Fatalf("cc: %v\n%s", err, out)
	}
	cmd := exec.Command(exe, seed, scale)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sseCheck(t, out)
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
}

// summarizeVectors ends a vector test: a read error or an empty file is
// fatal, failures are counted per instruction in one error line.
func summarizeVectors(t *testing.T, err error, n int, fails map[string]int) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("no vectors")
	}
	if len(fails) > 0 {
		var names []string
		total := 0
		for k, c := range fails {
			names = append(names, fmt.Sprintf("%s:%d", k, c))
			total += c
		}
		sort.Strings(names)
		t.Errorf("%d of %d vectors failed: %s", total, n, strings.Join(names, " "))
	}
}
