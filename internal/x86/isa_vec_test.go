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
	"strconv"
	"strings"
	"testing"
)

// The hardware vectors of the post-SSE2 extensions: testdata/isagen/gen.c
// runs each instruction (or short sequence, for the MMX forms) on the host
// CPU and records its inputs and outputs; see the comment there for the
// format. Each family's file testdata/isa_FAMILY.txt.gz is replayed here in
// both modes and must match bit for bit: XMM0, XMM1, RAX, RCX, RDX, the 16
// bytes at [RBX] (followed by a copy of them), the defined status flags, MXCSR and whether #XM was
// raised.

type isaVec struct {
	name    string
	line    int
	enc     []byte
	flags   uint64 // defined status flags
	mx      uint32
	fl      uint64
	a, b, c [2]uint64
	gpr     [3]uint64 // RAX RCX RDX
	m       [2]uint64
	r0, r1  [2]uint64
	rgpr    [3]uint64
	rm      [2]uint64
	rfl     uint64
	mxo     uint32
	trap    bool
}

type isaEnc struct {
	code  []byte
	flags uint64
}

// readISAVectors parses a vector stream, calling f for each vector.
func readISAVectors(r io.Reader, f func(v *isaVec)) error {
	enc := map[string]isaEnc{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		fs := strings.Fields(sc.Text())
		if len(fs) == 0 {
			continue
		}
		var err error
		num := func(s string) uint64 {
			n, e := strconv.ParseUint(s, 16, 64)
			if e != nil && err == nil {
				err = e
			}
			return n
		}
		v128 := func(s string) [2]uint64 {
			v, e := parse128(s)
			if e != nil && err == nil {
				err = e
			}
			return v
		}
		switch {
		case fs[0] == "E" && len(fs) == 4:
			b, e := hex.DecodeString(fs[2])
			if e != nil {
				return fmt.Errorf("line %d: %v", line, e)
			}
			enc[fs[1]] = isaEnc{b, num(fs[3])}
			if err != nil {
				return fmt.Errorf("line %d: %v", line, err)
			}
			continue
		case fs[0] == "V" && len(fs) == 21 && fs[11] == ":":
		default:
			return fmt.Errorf("line %d: bad record", line)
		}
		e, ok := enc[fs[1]]
		if !ok {
			return fmt.Errorf("line %d: no encoding for %s", line, fs[1])
		}
		v := isaVec{name: fs[1], line: line, enc: e.code, flags: e.flags}
		v.mx = uint32(num(fs[2]))
		v.fl = num(fs[3])
		v.a, v.b, v.c = v128(fs[4]), v128(fs[5]), v128(fs[6])
		v.gpr = [3]uint64{num(fs[7]), num(fs[8]), num(fs[9])}
		v.m = v128(fs[10])
		v.r0, v.r1 = v128(fs[12]), v128(fs[13])
		v.rgpr = [3]uint64{num(fs[14]), num(fs[15]), num(fs[16])}
		v.rm = v128(fs[17])
		v.rfl = num(fs[18])
		v.mxo = uint32(num(fs[19]))
		v.trap = fs[20] == "1"
		if err != nil {
			return fmt.Errorf("line %d: %v", line, err)
		}
		f(&v)
	}
	return sc.Err()
}

// only64 reports whether a sequence uses what 32-bit mode lacks: a REX
// prefix or VEX.W1 (64-bit operands of a general-register instruction).
func only64(code []byte) bool {
	for len(code) > 0 {
		in, err := Decode(64, 0, code)
		if err != nil {
			return true
		}
		for i := 0; i < int(in.Len); i++ {
			b := code[i]
			if b&0xf0 == 0x40 {
				return true
			}
			if b == 0xc4 && i+2 < len(code) {
				return code[i+2]&0x80 != 0
			}
			if b == 0x0f || b == 0xc5 {
				break
			}
		}
		code = code[in.Len:]
	}
	return false
}

// isaRunner executes vectors on one reusable CPU per mode.
type isaRunner struct {
	c     *CPU
	insts map[string][]Inst
}

func newISARunner(t testing.TB, mode int) *isaRunner {
	return &isaRunner{c: newTestCPU(t, mode, nil), insts: map[string][]Inst{}}
}

const isaMem = testData + 0x100

// run executes v and describes any mismatch (empty if it matched).
func (r *isaRunner) run(v *isaVec) string {
	c := r.c
	insts, ok := r.insts[v.name]
	if !ok {
		code := v.enc
		pc := uint64(testCode)
		for len(code) > 0 {
			in, err := Decode(c.Mode, pc, code)
			if err != nil {
				return fmt.Sprintf("decode % x: %v", code, err)
			}
			insts = append(insts, in)
			pc += uint64(in.Len)
			code = code[in.Len:]
		}
		r.insts[v.name] = insts
	}
	c.XMM[0], c.XMM[1], c.XMM[2] = v.a, v.b, v.c
	c.R[RAX], c.R[RCX], c.R[RDX] = v.gpr[0], v.gpr[1], v.gpr[2]
	c.R[RBX] = isaMem
	mask := ^uint64(0)
	if c.Mode == 32 {
		mask = 0xffffffff
		for i := range c.R {
			c.R[i] &= mask
		}
	}
	for a := uint64(isaMem); a < isaMem+32; a += 16 { // m and a copy after it
		c.Mem.Store64(a, v.m[0])
		c.Mem.Store64(a+8, v.m[1])
	}
	c.MXCSR = v.mx
	c.SetFlags(v.fl, StatusFlags)
	var trap any
	func() {
		defer func() { trap = recover() }()
		for i := range insts {
			c.RIP = insts[i].Next
			insts[i].Fn(c, &insts[i])
		}
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
	x := func(name string, g, w [2]uint64) {
		if g != w {
			got = append(got, fmt.Sprintf("%s %016x:%016x want %016x:%016x", name, g[1], g[0], w[1], w[0]))
		}
	}
	x("xmm0", c.XMM[0], v.r0)
	x("xmm1", c.XMM[1], v.r1)
	x("mem", [2]uint64{c.Mem.Load64(isaMem), c.Mem.Load64(isaMem + 8)}, v.rm)
	for i, reg := range []int{RAX, RCX, RDX} {
		if g, w := c.R[reg]&mask, v.rgpr[i]&mask; g != w {
			got = append(got, fmt.Sprintf("%s %#x want %#x", []string{"rax", "rcx", "rdx"}[i], g, w))
		}
	}
	if f := c.Flags() & v.flags; f != v.rfl {
		got = append(got, fmt.Sprintf("flags %#x want %#x (of %#x)", f, v.rfl, v.flags))
	}
	if c.MXCSR != v.mxo {
		got = append(got, fmt.Sprintf("mxcsr %#x want %#x", c.MXCSR, v.mxo))
	}
	return strings.Join(got, ", ")
}

// isaCheck replays a vector stream in both modes and reports mismatches.
func isaCheck(t *testing.T, r io.Reader) {
	show := 30
	if s := os.Getenv("ISA_SHOW"); s != "" {
		show, _ = strconv.Atoi(s)
	}
	r64, r32 := newISARunner(t, 64), newISARunner(t, 32)
	n, n32, shown := 0, 0, 0
	fails := map[string]int{}
	skip32 := map[string]bool{}
	err := readISAVectors(r, func(v *isaVec) {
		n++
		s, ok := skip32[v.name]
		if !ok {
			s = only64(v.enc)
			skip32[v.name] = s
		}
		for _, rr := range []*isaRunner{r64, r32} {
			if rr == r32 && s {
				continue
			}
			if rr == r32 {
				n32++
			}
			if msg := rr.run(v); msg != "" {
				fails[v.name]++
				if shown < show {
					shown++
					t.Errorf("line %d %s (mode %d) mx=%#x fl=%#x a=%016x:%016x b=%016x:%016x c=%016x:%016x gpr=%x m=%016x:%016x: %s",
						v.line, v.name, rr.c.Mode, v.mx, v.fl, v.a[1], v.a[0], v.b[1], v.b[0], v.c[1], v.c[0], v.gpr, v.m[1], v.m[0], msg)
				}
				break
			}
		}
	})
	summarizeVectors(t, err, n, fails)
	t.Logf("%d vectors (%d also in 32-bit mode), %d instructions", n, n32, len(skip32))
}

// isaFamilies are the vector files testdata/isa_NAME.txt.gz, with the
// /proc/cpuinfo flags the host needs to regenerate or live-check them.
var isaFamilies = []struct{ name, cpuFlags string }{
	{"bmi", "bmi1 bmi2"},
	{"sse3", "pni"},
	{"ssse3", "ssse3"},
	{"sse41", "sse4_1"},
	{"sse42", "sse4_2"},
	// LZCNT is not required here: some hypervisors hide "abm" from
	// /proc/cpuinfo while CPUID reports it (a CPU without it runs LZCNT
	// as BSR, and the lzcnt vectors then fail visibly).
	{"gpr", "popcnt movbe sse4_2"},
}

func TestISAVectors(t *testing.T) {
	for _, fam := range isaFamilies {
		t.Run(fam.name, func(t *testing.T) {
			f, err := os.Open(filepath.Join("testdata", "isa_"+fam.name+".txt.gz"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			z, err := gzip.NewReader(f)
			if err != nil {
				t.Fatal(err)
			}
			isaCheck(t, z)
		})
	}
}

// TestISALiveHardware builds the generator and checks its output for every
// family directly on this host: ISA_LIVE=seed[:scale] go test -run ISALive
// (needs cc on an x86-64 host). A family whose extensions the host lacks
// is skipped with the flags it misses.
func TestISALiveHardware(t *testing.T) {
	seed, scale, _ := strings.Cut(os.Getenv("ISA_LIVE"), ":")
	if seed == "" {
		t.Skip("set ISA_LIVE=seed[:scale] to run the generator on this host")
	}
	if scale == "" {
		scale = "1"
	}
	info, _ := os.ReadFile("/proc/cpuinfo")
	have := map[string]bool{}
	if line, _, ok := strings.Cut(string(info), "\nflags"); ok || line != "" {
		for _, l := range strings.Split(string(info), "\n") {
			if strings.HasPrefix(l, "flags") {
				for _, f := range strings.Fields(l) {
					have[f] = true
				}
				break
			}
		}
	}
	exe := filepath.Join(t.TempDir(), "isagen")
	if out, err := exec.Command("cc", "-O1", "-mno-red-zone", "-o", exe, "testdata/isagen/gen.c").CombinedOutput(); err != nil {
		t.Fatalf("cc: %v\n%s", err, out)
	}
	for _, fam := range isaFamilies {
		t.Run(fam.name, func(t *testing.T) {
			for _, fl := range strings.Fields(fam.cpuFlags) {
				if !have[fl] {
					t.Skipf("host CPU lacks %s (/proc/cpuinfo flags)", fl)
				}
			}
			cmd := exec.Command(exe, seed, fam.name, scale)
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			isaCheck(t, out)
			if err := cmd.Wait(); err != nil {
				t.Fatal(err)
			}
		})
	}
}
