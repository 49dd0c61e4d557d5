package softfloat

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// Status word bits used by the vectors.
const (
	swExc = 0x003F // IE DE ZE OE UE PE
	swSF  = 0x0040
	swC0  = 0x0100
	swC1  = 0x0200
	swC2  = 0x0400
	swC3  = 0x4000
)

// vector is one parsed line of the vector file (see testdata/gen/gen.c).
type vector struct {
	op         string
	cw         uint16
	in1, in2   string
	out1, out2 string
	sw         uint16
}

func parseVector(line string) (vector, error) {
	f := strings.Fields(line)
	if len(f) != 7 {
		return vector{}, fmt.Errorf("want 7 fields, got %d", len(f))
	}
	cw, err := strconv.ParseUint(f[1], 16, 16)
	if err != nil {
		return vector{}, err
	}
	sw, err := strconv.ParseUint(f[6], 16, 16)
	if err != nil {
		return vector{}, err
	}
	return vector{op: f[0], cw: uint16(cw), in1: f[2], in2: f[3], out1: f[4], out2: f[5], sw: uint16(sw)}, nil
}

func hexU(s string) uint64 {
	v, err := strconv.ParseUint(s, 16, 64)
	if err != nil {
		panic(fmt.Sprintf("bad hex %q", s))
	}
	return v
}

// hexF80 parses 20 hex digits: sign/exponent word then significand.
func hexF80(s string) F80 {
	if len(s) != 20 {
		panic(fmt.Sprintf("bad f80 %q", s))
	}
	return F80{SE: uint16(hexU(s[:4])), Mant: hexU(s[4:])}
}

func (f F80) String() string { return fmt.Sprintf("%04x%016x", f.SE, f.Mant) }

// bytes10 converts the 20-digit form to the 10 memory bytes.
func bytes10(s string) []byte {
	b := make([]byte, 10)
	hexF80(s).Bytes(b)
	return b
}

// check runs one vector through the package and returns a description of
// any mismatch ("" if it matches).
func check(v vector) string {
	e := &Env{}
	e.SetControlWord(v.cw)
	var got1, got2 string
	var sw uint16
	mask := uint16(swExc | swC1)
	switch v.op {
	case "add", "sub", "mul", "div", "scale":
		a, b := hexF80(v.in1), hexF80(v.in2)
		var r F80
		switch v.op {
		case "add":
			r = e.Add(a, b)
		case "sub":
			r = e.Sub(a, b)
		case "mul":
			r = e.Mul(a, b)
		case "div":
			r = e.Div(a, b)
		case "scale":
			r = e.Scale(a, b)
		}
		got1, got2 = r.String(), "-"
	case "adds", "addl", "subrs", "subl", "muls", "divs", "divrl", "coms", "coml":
		// Arithmetic with a float32/float64 memory operand.
		a := hexF80(v.in1)
		var m Mem
		if strings.HasSuffix(v.op, "s") {
			m = MemFloat32(uint32(hexU(v.in2)))
		} else {
			m = MemFloat64(hexU(v.in2))
		}
		r := a
		switch v.op[:len(v.op)-1] {
		case "add":
			r = e.AddM(a, m)
		case "sub":
			r = e.SubM(a, m)
		case "subr":
			r = e.SubRM(a, m)
		case "mul":
			r = e.MulM(a, m)
		case "div":
			r = e.DivM(a, m)
		case "divr":
			r = e.DivRM(a, m)
		case "com":
			sw |= e.CompareM(a, m).CC()
			mask |= swC0 | swC2 | swC3
		}
		got1, got2 = r.String(), "-"
	case "iaddl": // FIADD m32int: the integer converts exactly
		r := e.Add(hexF80(v.in1), FromInt64(int64(int32(hexU(v.in2)))))
		got1, got2 = r.String(), "-"
	case "idivrs": // FIDIVR m16int
		r := e.Div(FromInt64(int64(int16(hexU(v.in2)))), hexF80(v.in1))
		got1, got2 = r.String(), "-"
	case "prem", "prem1":
		a, b := hexF80(v.in1), hexF80(v.in2)
		var r F80
		var q uint8
		var partial bool
		if v.op == "prem" {
			r, q, partial = e.Prem(a, b)
		} else {
			r, q, partial = e.Prem1(a, b)
		}
		got1, got2 = r.String(), "-"
		mask |= swC0 | swC2 | swC3
		if q&4 != 0 {
			sw |= swC0
		}
		if q&2 != 0 {
			sw |= swC3
		}
		if partial {
			sw |= swC2
		}
	case "fcom", "fucom":
		a, b := hexF80(v.in1), hexF80(v.in2)
		sw |= e.Compare(a, b, v.op == "fcom").CC()
		got1, got2 = a.String(), "-"
		mask |= swC0 | swC2 | swC3
	case "sqrt", "rndint":
		a := hexF80(v.in1)
		var r F80
		if v.op == "sqrt" {
			r = e.Sqrt(a)
		} else {
			r = e.RoundInt(a)
		}
		got1, got2 = r.String(), "-"
	case "fxam":
		a := hexF80(v.in1)
		c := a.Classify()
		sw = uint16(c&4)<<12 | uint16(c&2)<<9 | uint16(c&1)<<8
		if a.Sign() {
			sw |= swC1
		}
		got1, got2 = a.String(), "-"
		mask |= swC0 | swC2 | swC3
	case "xtract":
		s, x := e.Xtract(hexF80(v.in1))
		got1, got2 = s.String(), x.String()
	case "fst32":
		got1, got2 = fmt.Sprintf("%08x", e.ToFloat32(hexF80(v.in1))), "-"
	case "fst64":
		got1, got2 = fmt.Sprintf("%016x", e.ToFloat64(hexF80(v.in1))), "-"
	case "fld32":
		got1, got2 = e.FromFloat32(uint32(hexU(v.in1))).String(), "-"
	case "fld64":
		got1, got2 = e.FromFloat64(hexU(v.in1)).String(), "-"
	case "fist16":
		got1 = fmt.Sprintf("%04x", uint16(e.ToInt16(hexF80(v.in1))))
	case "fist32":
		got1 = fmt.Sprintf("%08x", uint32(e.ToInt32(hexF80(v.in1))))
	case "fist64":
		got1 = fmt.Sprintf("%016x", uint64(e.ToInt64(hexF80(v.in1))))
	case "fisttp16":
		got1 = fmt.Sprintf("%04x", uint16(e.TruncInt16(hexF80(v.in1))))
	case "fisttp32":
		got1 = fmt.Sprintf("%08x", uint32(e.TruncInt32(hexF80(v.in1))))
	case "fisttp64":
		got1 = fmt.Sprintf("%016x", uint64(e.TruncInt64(hexF80(v.in1))))
	case "fild16":
		got1 = FromInt64(int64(int16(hexU(v.in1)))).String()
	case "fild32":
		got1 = FromInt64(int64(int32(hexU(v.in1)))).String()
	case "fild64":
		got1 = FromInt64(int64(hexU(v.in1))).String()
	case "fbld":
		got1 = FromBCD(bytes10(v.in1)).String()
	case "fbstp":
		b := make([]byte, 10)
		e.ToBCD(hexF80(v.in1), b)
		got1 = FromBytes(b).String()
	case "const":
		got1 = e.LoadConst(Constant(hexU(v.in1))).String()
	default:
		return "unknown op"
	}
	if got2 == "" {
		got2 = "-"
	}
	sw |= uint16(e.Exc)
	if e.C1 {
		sw |= swC1
	}
	if v.sw&swSF != 0 {
		return "vector has a stack fault (generator bug)"
	}
	if got1 != v.out1 || got2 != v.out2 || sw&mask != v.sw&mask {
		return fmt.Sprintf("got %s %s sw %04x, want %s %s sw %04x (mask %04x)", got1, got2, sw&mask, v.out1, v.out2, v.sw&mask, mask)
	}
	return ""
}

// runVectors checks every line from r and reports per-op pass counts.
func runVectors(t *testing.T, r io.Reader, name string) {
	t.Helper()
	type stat struct{ n, fail int }
	stats := map[string]*stat{}
	sc := bufio.NewScanner(r)
	total, failed, shown := 0, 0, 0
	maxShown := 60
	if n, err := strconv.Atoi(os.Getenv("SOFTFLOAT_SHOW")); err == nil {
		maxShown = n
	}
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		v, err := parseVector(line)
		if err != nil {
			t.Fatalf("%s: bad line %q: %v", name, line, err)
		}
		s := stats[v.op]
		if s == nil {
			s = &stat{}
			stats[v.op] = s
		}
		s.n++
		total++
		if msg := check(v); msg != "" {
			s.fail++
			failed++
			if shown < maxShown {
				shown++
				t.Errorf("%s: %s\n\t%s", name, line, msg)
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	ops := make([]string, 0, len(stats))
	for op := range stats {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	var sb strings.Builder
	for _, op := range ops {
		s := stats[op]
		fmt.Fprintf(&sb, " %s %d/%d", op, s.n-s.fail, s.n)
	}
	t.Logf("%s: %d/%d vectors pass:%s", name, total-failed, total, sb.String())
	if total == 0 {
		t.Fatalf("%s: no vectors", name)
	}
}

func openVectors(t *testing.T, path string) io.Reader {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	if !strings.HasSuffix(path, ".gz") {
		return f
	}
	z, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	return z
}

// TestHardwareVectors checks the committed vectors recorded on a real x87.
// SOFTFLOAT_VECTORS may name another vector file (plain or .gz).
func TestHardwareVectors(t *testing.T) {
	path := filepath.Join("testdata", "x87.txt.gz")
	if p := os.Getenv("SOFTFLOAT_VECTORS"); p != "" {
		path = p
	}
	runVectors(t, openVectors(t, path), filepath.Base(path))
}

// TestLiveHardware builds the generator and checks a fresh batch of vectors
// straight from this machine's FPU. It runs only when SOFTFLOAT_LIVE is set
// (to "seed" or "seed:scale") on an x86 host with gcc.
func TestLiveHardware(t *testing.T) {
	spec := os.Getenv("SOFTFLOAT_LIVE")
	if spec == "" {
		t.Skip("set SOFTFLOAT_LIVE=seed[:scale] to test against this host's x87")
	}
	if runtime.GOARCH != "amd64" && runtime.GOARCH != "386" {
		t.Skip("needs an x86 host")
	}
	seed, scale, _ := strings.Cut(spec, ":")
	if scale == "" {
		scale = "1"
	}
	bin := filepath.Join(t.TempDir(), "x87gen")
	if out, err := exec.Command("gcc", "-O2", "-o", bin, filepath.Join("testdata", "gen", "gen.c")).CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, seed, scale)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	runVectors(t, out, "live seed "+seed)
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
}
