package x86

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"gemu/internal/softfloat"
)

// Hardware vectors for the x87: snippets of machine code run natively by
// testdata/x87gen/gen.c from a random FPU state, with the state before and
// after. Each vector is replayed here on a fresh CPU and the whole FPU
// state (as FNSAVE stores it), EFLAGS, EAX and the data area must match.

const x87Vectors = "testdata/x87gen/vectors.txt.gz"

type x87Vector struct {
	line            int
	mode            int
	name            string
	code            []byte
	in, out         []byte // FNSAVE images
	inFlags, outFl  uint64
	inEAX, outEAX   uint64
	inData, outData []byte
}

func parseX87Vector(s string, line int) (x87Vector, error) {
	f := strings.Fields(s)
	if len(f) != 11 {
		return x87Vector{}, fmt.Errorf("line %d: %d fields", line, len(f))
	}
	v := x87Vector{line: line, name: f[1]}
	var err error
	bytesOf := func(s string) []byte {
		if s == "-" || err != nil {
			return nil
		}
		var b []byte
		b, err = hex.DecodeString(s)
		return b
	}
	num := func(s string) uint64 {
		n, e := strconv.ParseUint(s, 16, 64)
		if e != nil && err == nil {
			err = e
		}
		return n
	}
	v.mode, err = strconv.Atoi(f[0])
	v.code = bytesOf(f[2])
	v.in = bytesOf(f[3])
	v.inFlags = num(f[4])
	v.inEAX = num(f[5])
	v.inData = bytesOf(f[6])
	v.out = bytesOf(f[7])
	v.outFl = num(f[8])
	v.outEAX = num(f[9])
	v.outData = bytesOf(f[10])
	if err == nil && (len(v.in) != saveSize32 || len(v.out) != saveSize32 || len(v.inData) != len(v.outData)) {
		err = fmt.Errorf("bad field sizes")
	}
	if err != nil {
		return v, fmt.Errorf("line %d: %v", line, err)
	}
	return v, nil
}

// x87Result is what a vector produced on gemu.
type x87Result struct {
	img   [saveSize32]byte
	flags uint64
	eax   uint64
	data  []byte
	trap  any
}

func runX87Vector(t *testing.T, v *x87Vector) x87Result {
	c, trap := runCode(t, v.mode, v.code, func(c *CPU) {
		c.X87Restore(v.in, false)
		c.SetFlags(v.inFlags, StatusFlags)
		c.R[RAX] = v.inEAX
		c.R[RBX] = testData
		c.Mem.Poke(testData, v.inData)
	})
	var r x87Result
	r.trap = trap
	c.X87Save(r.img[:], false)
	r.flags = c.Flags() & StatusFlags
	r.eax = c.R[RAX] & 0xffffffff
	r.data = make([]byte, len(v.inData))
	c.Mem.Peek(testData, r.data)
	return r
}

// describeImage renders an FNSAVE image for failure messages.
func describeImage(b []byte) string {
	le := binary.LittleEndian
	var s strings.Builder
	fmt.Fprintf(&s, "cw=%04x sw=%04x tw=%04x fip=%08x cs=%04x fop=%03x fdp=%08x ds=%04x\n",
		le.Uint16(b[0:]), le.Uint16(b[4:]), le.Uint16(b[8:]), le.Uint32(b[12:]),
		le.Uint16(b[16:]), le.Uint16(b[18:]), le.Uint32(b[20:]), le.Uint16(b[24:]))
	for i := range 8 {
		r := b[28+10*i:]
		fmt.Fprintf(&s, "\tst%d=%04x_%016x", i, le.Uint16(r[8:]), le.Uint64(r))
		if i == 3 {
			s.WriteString("\n")
		}
	}
	return s.String()
}

// closeF80 reports whether two 80-bit register images are equal or
// adjacent finite values (for the transcendental instructions, where the
// hardware is sometimes 1 ulp away from the correctly rounded result).
func closeF80(a, b []byte) bool {
	x, y := softfloat.FromBytes(a), softfloat.FromBytes(b)
	if x == y {
		return true
	}
	if x.IsNaN() || y.IsNaN() || x.IsInf() || y.IsInf() || x.Sign() != y.Sign() {
		return false
	}
	if x.Exp() < y.Exp() {
		x, y = y, x
	}
	switch x.Exp() - y.Exp() {
	case 0:
		return x.Mant-y.Mant <= 1 || y.Mant-x.Mant <= 1
	case 1:
		// In units of y's ulp x is 2*x.Mant: adjacent only across the
		// binade boundary.
		return x.Mant == 1<<63 && y.Mant == ^uint64(0)
	}
	return false
}

// compareX87 returns what differs between the expected and actual results
// (empty if nothing does).
func compareX87(v *x87Vector, r *x87Result) string {
	var diffs []string
	if r.trap != nil {
		diffs = append(diffs, fmt.Sprintf("trap %v", r.trap))
	}
	want := v.out
	got := r.img[:]
	if v.name[0] == '~' {
		// Transcendentals: registers within 1 ulp; C1 (rounding direction)
		// and the precision flags are not compared.
		le := binary.LittleEndian
		const mask = ^uint16(swC1 | swPE | swUE)
		if le.Uint16(want[4:])&mask != le.Uint16(got[4:])&mask {
			diffs = append(diffs, "status word")
		}
		if string(want[:4])+string(want[8:28]) != string(got[:4])+string(got[8:28]) {
			diffs = append(diffs, "environment")
		}
		for i := range 8 {
			if !closeF80(want[28+10*i:38+10*i], got[28+10*i:38+10*i]) {
				diffs = append(diffs, fmt.Sprintf("st%d", i))
			}
		}
	} else if string(want) != string(got) {
		diffs = append(diffs, "fpu state")
	}
	if v.outFl&StatusFlags != r.flags {
		diffs = append(diffs, fmt.Sprintf("flags want %03x got %03x", v.outFl&StatusFlags, r.flags))
	}
	if v.outEAX != r.eax {
		diffs = append(diffs, fmt.Sprintf("eax want %08x got %08x", v.outEAX, r.eax))
	}
	wantData := v.outData
	if strings.Contains(v.name, "fxsave") && len(wantData) >= 32 {
		// MXCSR_MASK is the host's; gemu reports its own.
		wantData = append([]byte(nil), wantData...)
		binary.LittleEndian.PutUint32(wantData[28:], MXCSRMask)
	}
	if string(wantData) != string(r.data) {
		diffs = append(diffs, fmt.Sprintf("data\n\twant % x\n\tgot  % x", wantData, r.data))
	}
	if len(diffs) == 0 {
		return ""
	}
	return fmt.Sprintf("line %d: %d-bit %s (% x): %s\n in  %s\n want %s\n got  %s\n in data % x",
		v.line, v.mode, v.name, v.code, strings.Join(diffs, "; "),
		describeImage(v.in), describeImage(want), describeImage(got), v.inData)
}

func TestX87HardwareVectors(t *testing.T) {
	f, err := os.Open(x87Vectors)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(z)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	// X87VEC=name runs only the vectors whose name contains name.
	filter := os.Getenv("X87VEC")
	fails := map[string]int{}
	total, failed := 0, 0
	trans, transExact := 0, 0 // transcendental vectors, bit-exact ones
	line := 0
	for sc.Scan() {
		line++
		v, err := parseX87Vector(sc.Text(), line)
		if err != nil {
			t.Fatal(err)
		}
		if filter != "" && !strings.Contains(v.name, filter) {
			continue
		}
		total++
		r := runX87Vector(t, &v)
		if v.name[0] == '~' {
			trans++
			if string(r.img[:]) == string(v.out) {
				transExact++
			}
		}
		if msg := compareX87(&v, &r); msg != "" {
			failed++
			fails[v.name]++
			if fails[v.name] <= 2 {
				t.Error(msg)
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if total < 1000 && filter == "" {
		t.Fatalf("only %d vectors", total)
	}
	if failed > 0 {
		var names []string
		for n, k := range fails {
			names = append(names, fmt.Sprintf("%s:%d", n, k))
		}
		t.Errorf("%d of %d vectors failed: %s", failed, total, strings.Join(names, " "))
	}
	t.Logf("%d vectors; %d of %d transcendental ones bit-exact", total, transExact, trans)
	// The transcendentals are correctly rounded; the hardware is in all
	// but a few percent of the cases.
	if trans > 0 && transExact < trans*95/100 {
		t.Errorf("only %d of %d transcendental vectors bit-exact", transExact, trans)
	}
}
