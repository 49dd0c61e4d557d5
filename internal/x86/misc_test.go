package x86

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"gemu/internal/mem"
)

// Host-generated test vectors (testdata/genvec.c): each line is one
// instruction run natively with its inputs and outputs. This file holds the
// loader and the runner shared by the shift, multiply/divide, bit and BCD
// tests.

// hostVector is one line of a vectors file.
type hostVector struct {
	line      string
	name      string
	size      int
	fin, fout uint64
	in, out   []uint64
}

// vecKinds maps a hostVector name to its register roles: the input registers
// and the output registers, in the order the line lists them.
var vecKinds = map[string][2][]int{}

func init() {
	set := func(kind [2][]int, names ...string) {
		for _, n := range names {
			vecKinds[n] = kind
		}
	}
	set([2][]int{{RAX, RCX}, {RAX}}, "shl", "shr", "sar", "rol", "ror", "rcl", "rcr")
	set([2][]int{{RAX, RDX, RCX}, {RAX}}, "shld", "shrd")
	set([2][]int{{RAX, RBX}, {RAX, RDX}}, "mul", "imul", "imul2_")
	set([2][]int{{RAX, RDX, RBX}, {RAX, RDX}}, "div", "idiv")
	set([2][]int{{RAX, RDX}, {RAX}}, "bt", "bts", "btr", "btc")
	set([2][]int{{RAX, RBX}, {RAX}}, "bsf", "bsr", "tzcnt", "lzcnt", "popcnt")
	set([2][]int{{RAX}, {RAX}}, "bswap", "daa", "das", "aaa", "aas",
		"aam_0a", "aam_10", "aam_07", "aam_ff", "aad_0a", "aad_10", "aad_07", "aad_ff")
}

// vecGarbage is what genvec leaves in RDX for multiplies.
const vecGarbage = 0xdeadbeefcafe0000

func loadHostVectors(t *testing.T, file string) []hostVector {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var vs []hostVector
	sc := bufio.NewScanner(z)
	for sc.Scan() {
		line := sc.Text()
		fs := strings.Fields(line)
		kind, ok := vecKinds[fs[0]]
		if !ok || len(fs) != 3+len(kind[0])+1+len(kind[1])+1 || fs[3+len(kind[0])] != ":" {
			t.Fatalf("bad hostVector line %q", line)
		}
		v := hostVector{line: line, name: fs[0]}
		v.size, _ = strconv.Atoi(fs[1])
		hex := func(s string) uint64 {
			x, err := strconv.ParseUint(s, 16, 64)
			if err != nil {
				t.Fatalf("bad number in %q: %v", line, err)
			}
			return x
		}
		v.fin = hex(fs[2])
		for i := range kind[0] {
			v.in = append(v.in, hex(fs[3+i]))
		}
		o := 4 + len(kind[0])
		for i := range kind[1] {
			v.out = append(v.out, hex(fs[o+i]))
		}
		v.fout = hex(fs[len(fs)-1])
		vs = append(vs, v)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(vs) == 0 {
		t.Fatalf("%s: no vectors", file)
	}
	return vs
}

// opSizePrefix returns the operand-size prefix for size (66 or REX.W), and
// whether the byte form of the opcode is needed.
func opSizePrefix(size int) []byte {
	switch size {
	case 2:
		return []byte{0x66}
	case 8:
		return []byte{0x48}
	}
	return nil
}

func catBytes(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// vecEncodings returns the machine code forms that must all produce the
// hostVector's result: register operands RAX (destination), RBX (source), RCX
// (count) and RDX (second source, bit offset).
func vecEncodings(v hostVector) [][]byte {
	p := opSizePrefix(v.size)
	w := byte(1)
	if v.size == 1 {
		w = 0
	}
	shiftExt := map[string]byte{"rol": 0, "ror": 1, "rcl": 2, "rcr": 3, "shl": 4, "shr": 5, "sar": 7}
	mulExt := map[string]byte{"mul": 4, "imul": 5, "div": 6, "idiv": 7}
	btOp := map[string]byte{"bt": 0xa3, "bts": 0xab, "btr": 0xb3, "btc": 0xbb}
	btExt := map[string]byte{"bt": 4, "bts": 5, "btr": 6, "btc": 7}
	switch v.name {
	case "shl", "shr", "sar", "rol", "ror", "rcl", "rcr":
		m := 0xc0 | shiftExt[v.name]<<3
		count := byte(v.in[1])
		forms := [][]byte{
			catBytes(p, []byte{0xd2 | w, m}),        // by CL
			catBytes(p, []byte{0xc0 | w, m, count}), // by imm8
		}
		if count == 1 {
			forms = append(forms, catBytes(p, []byte{0xd0 | w, m})) // by 1
		}
		return forms
	case "shld", "shrd":
		op := byte(0xa4)
		if v.name == "shrd" {
			op = 0xac
		}
		return [][]byte{
			catBytes(p, []byte{0x0f, op + 1, 0xd0}),
			catBytes(p, []byte{0x0f, op, 0xd0, byte(v.in[2])}),
		}
	case "mul", "imul", "div", "idiv":
		return [][]byte{catBytes(p, []byte{0xf6 | w, 0xc3 | mulExt[v.name]<<3})}
	case "imul2_":
		forms := [][]byte{catBytes(p, []byte{0x0f, 0xaf, 0xc3})}
		// The three-operand forms compute the same product when the
		// immediate equals the source.
		b := signExtend(v.in[1], uint8(v.size))
		if int64(b) >= -128 && int64(b) < 128 {
			forms = append(forms, catBytes(p, []byte{0x6b, 0xc0, byte(b)}))
		}
		if v.size == 2 {
			forms = append(forms, catBytes(p, []byte{0x69, 0xc0, byte(b), byte(b >> 8)}))
		} else if int64(b) == int64(int32(b)) {
			forms = append(forms, catBytes(p, []byte{0x69, 0xc0, byte(b), byte(b >> 8), byte(b >> 16), byte(b >> 24)}))
		}
		return forms
	case "bt", "bts", "btr", "btc":
		return [][]byte{
			catBytes(p, []byte{0x0f, btOp[v.name], 0xd0}),
			catBytes(p, []byte{0x0f, 0xba, 0xc0 | btExt[v.name]<<3, byte(v.in[1])}),
		}
	case "bsf", "bsr", "tzcnt", "lzcnt", "popcnt":
		op := map[string]byte{"bsf": 0xbc, "bsr": 0xbd, "tzcnt": 0xbc, "lzcnt": 0xbd, "popcnt": 0xb8}[v.name]
		if v.name == "bsf" || v.name == "bsr" {
			return [][]byte{catBytes(p, []byte{0x0f, op, 0xc3})}
		}
		if v.size == 2 {
			return [][]byte{{0x66, 0xf3, 0x0f, op, 0xc3}}
		}
		return [][]byte{catBytes([]byte{0xf3}, p, []byte{0x0f, op, 0xc3})}
	case "bswap":
		return [][]byte{catBytes(p, []byte{0x0f, 0xc8})}
	case "daa":
		return [][]byte{{0x27}}
	case "das":
		return [][]byte{{0x2f}}
	case "aaa":
		return [][]byte{{0x37}}
	case "aas":
		return [][]byte{{0x3f}}
	}
	if strings.HasPrefix(v.name, "aam_") || strings.HasPrefix(v.name, "aad_") {
		imm, _ := strconv.ParseUint(v.name[4:], 16, 8)
		op := byte(0xd4)
		if v.name[2] == 'd' {
			op = 0xd5
		}
		return [][]byte{{op, byte(imm)}}
	}
	panic("no encoding for " + v.name)
}

// vecCPUs are reused across vectors: making a fresh address space for
// each of tens of thousands of runs is what would dominate the test time.
var vecCPUs = map[int]*CPU{}

func vecCPU(t *testing.T, mode int) *CPU {
	if c := vecCPUs[mode]; c != nil {
		return c
	}
	c := newTestCPU(t, mode, nil)
	vecCPUs[mode] = c
	return c
}

// checkHostVector runs one encoding of v in mode (64, or 32 for operand sizes
// up to 4 bytes, with the registers truncated to 32 bits) and reports
// mismatches. ignore lists flags not compared.
func checkHostVector(t *testing.T, mode int, v hostVector, code []byte, ignore uint64) bool {
	t.Helper()
	kind := vecKinds[v.name]
	regMask := ^uint64(0)
	if mode == 32 {
		regMask = 0xffffffff
	}
	c := vecCPU(t, mode)
	c.Mem.Poke(testCode, code)
	c.R = [16]uint64{RSP: testStack - 64}
	c.RIP = testCode
	for i, r := range kind[0] {
		c.R[r] = v.in[i] & regMask
	}
	if strings.HasPrefix(v.name, "mul") || strings.HasPrefix(v.name, "imul") {
		c.R[RDX] = vecGarbage & regMask
	}
	c.SetFlags(v.fin, StatusFlags)
	tr := step(c)
	if tr == nil && c.RIP != testCode+uint64(len(code)) {
		t.Fatalf("% x: decoded with the wrong length", code)
	}
	ok := true
	var got []string
	for i, r := range kind[1] {
		got = append(got, fmt.Sprintf("%x", c.R[r]))
		if c.R[r]&regMask != v.out[i]&regMask {
			ok = false
		}
	}
	f := c.Flags() & StatusFlags
	got = append(got, fmt.Sprintf("%x", f|2))
	if f&^ignore != v.fout&StatusFlags&^ignore {
		ok = false
	}
	if !ok {
		t.Errorf("%d-bit % x: %s: got %s", mode, code, v.line, strings.Join(got, " "))
	}
	return ok
}

// runHostVectors checks every hostVector whose name passes filter in 64-bit mode
// and, for sizes up to 4 bytes, in 32-bit mode too. ignore gives per-name
// flags that are not compared (none unless a test says why).
func runHostVectors(t *testing.T, file string, mode int, filter func(name string) bool, ignore map[string]uint64) {
	vs := loadHostVectors(t, file)
	n, fails := 0, 0
	for _, v := range vs {
		if !filter(v.name) {
			continue
		}
		for _, code := range vecEncodings(v) {
			modes := []int{mode}
			if mode == 64 && v.size <= 4 {
				modes = append(modes, 32)
			}
			for _, m := range modes {
				n++
				if !checkHostVector(t, m, v, code, ignore[v.name]) {
					fails++
					if fails > 40 {
						t.Fatalf("too many failures")
					}
				}
			}
		}
	}
	if n == 0 {
		t.Fatal("no vectors selected")
	}
	t.Logf("%d hostVector runs", n)
}

func vecNames(names ...string) func(string) bool {
	return func(n string) bool {
		for _, x := range names {
			if n == x {
				return true
			}
		}
		return false
	}
}

func TestBCDVectors(t *testing.T) {
	runHostVectors(t, "testdata/vectors32.txt.gz", 32, func(string) bool { return true }, nil)
}

func TestSignExtendAccumulator(t *testing.T) {
	for _, tc := range []struct {
		name         string
		code         []byte
		rax, rdx     uint64
		wantA, wantD uint64
	}{
		{"cbw", []byte{0x66, 0x98}, 0x1111111111111180, 0, 0x111111111111ff80, 0},
		{"cwde", []byte{0x98}, 0x1111111111118000, 0, 0xffff8000, 0},
		{"cdqe", []byte{0x48, 0x98}, 0x1111111180000000, 0, 0xffffffff80000000, 0},
		{"cwd", []byte{0x66, 0x99}, 0x8000, 0x2222222222222222, 0x8000, 0x222222222222ffff},
		{"cdq", []byte{0x99}, 0x7fffffff, 0x2222222222222222, 0x7fffffff, 0},
		{"cqo", []byte{0x48, 0x99}, 1 << 63, 0, 1 << 63, ^uint64(0)},
	} {
		c, tr := runCode(t, 64, tc.code, func(c *CPU) { c.R[RAX], c.R[RDX] = tc.rax, tc.rdx })
		if tr != nil || c.R[RAX] != tc.wantA || c.R[RDX] != tc.wantD {
			t.Errorf("%s: trap %v rax=%#x rdx=%#x", tc.name, tr, c.R[RAX], c.R[RDX])
		}
	}
}

func TestFlagTransfers(t *testing.T) {
	// stc; cmc; lahf: AH = SF ZF - AF - PF 1 CF from the previous flags.
	c, _ := runCode(t, 64, []byte{0xf9, 0xf5, 0x9f}, func(c *CPU) {
		c.SetFlags(FlagZF|FlagPF|FlagOF, StatusFlags)
	})
	if ah := c.R[RAX] >> 8 & 0xff; ah != 0x46 {
		t.Fatalf("lahf: ah=%#x", ah)
	}
	// sahf loads SF ZF AF PF CF and leaves OF.
	c, _ = runCode(t, 32, []byte{0x9e}, func(c *CPU) {
		c.R[RAX] = 0xff00
		c.SetFlags(FlagOF, StatusFlags)
	})
	if f := c.Flags() & StatusFlags; f != StatusFlags {
		t.Fatalf("sahf: flags %#x", f)
	}
	// std; pushfq; cld; popfq restores DF; popf cannot set IF or IOPL.
	c, _ = runCode(t, 64, []byte{0xfd, 0x9c, 0xfc, 0x9d}, nil)
	if !c.DF() {
		t.Fatal("popfq did not restore DF")
	}
	c, _ = runCode(t, 32, []byte{0x9d}, func(c *CPU) {
		c.R[RSP] -= 4
		c.Mem.Store32(c.R[RSP], 0xffffffff)
	})
	if f := c.Flags(); f != 0x200|0x2|popfMask {
		t.Fatalf("popfd all ones: %#x", f)
	}
	// 16-bit popf changes only the low word: AC and ID survive.
	c, _ = runCode(t, 32, []byte{0x66, 0x9d}, func(c *CPU) {
		c.SetFlags(FlagAC|FlagID, FlagAC|FlagID)
		c.R[RSP] -= 2
		c.Mem.Store16(c.R[RSP], 0x0001)
	})
	if f := c.Flags(); f != 0x200|0x2|FlagAC|FlagID|FlagCF {
		t.Fatalf("popf: %#x", f)
	}
	// pushf sizes: 2, 4, 8 bytes.
	for _, tc := range []struct {
		mode int
		code []byte
		n    uint64
	}{{32, []byte{0x66, 0x9c}, 2}, {32, []byte{0x9c}, 4}, {64, []byte{0x9c}, 8}, {64, []byte{0x66, 0x9c}, 2}} {
		c, _ = runCode(t, tc.mode, tc.code, func(c *CPU) { c.SetFlags(FlagCF|FlagDF, StatusFlags|FlagDF) })
		if sp := uint64(testStack-64) - c.R[RSP]; sp != tc.n {
			t.Errorf("pushf %d-bit % x: pushed %d bytes", tc.mode, tc.code, sp)
		}
		if v := c.Mem.LoadN(c.R[RSP], int(tc.n)); v != 0x603 {
			t.Errorf("pushf pushed %#x", v)
		}
	}
}

func TestEnterLeave(t *testing.T) {
	// enter 0x20, 0 / leave in 64-bit mode.
	c, tr := runCode(t, 64, []byte{0xc8, 0x20, 0x00, 0x00}, func(c *CPU) { c.R[RBP] = 0x1234 })
	sp0 := uint64(testStack - 64)
	if tr != nil || c.R[RBP] != sp0-8 || c.R[RSP] != sp0-8-0x20 || c.Mem.Load64(sp0-8) != 0x1234 {
		t.Fatalf("enter: %v rbp=%#x rsp=%#x", tr, c.R[RBP], c.R[RSP])
	}
	// enter 8, 3 in 32-bit mode copies two outer frame pointers.
	c, tr = runCode(t, 32, []byte{0xc8, 0x08, 0x00, 0x03}, func(c *CPU) {
		c.R[RBP] = testData + 0x100
		c.Mem.Store32(testData+0x100-4, 0xaaaa)
		c.Mem.Store32(testData+0x100-8, 0xbbbb)
	})
	if tr != nil {
		t.Fatal(tr)
	}
	frame := sp0 - 4
	want := []uint32{testData + 0x100, 0xaaaa, 0xbbbb, uint32(frame)}
	for i, w := range want {
		if got := c.Mem.Load32(sp0 - 4*uint64(i+1)); got != w {
			t.Errorf("enter level 3: slot %d = %#x, want %#x", i, got, w)
		}
	}
	if c.R[RBP] != frame || c.R[RSP] != sp0-16-8 {
		t.Fatalf("enter level 3: ebp=%#x esp=%#x", c.R[RBP], c.R[RSP])
	}
	// leave
	c, tr = runCode(t, 64, []byte{0xc9}, func(c *CPU) {
		c.R[RBP] = testData + 0x40
		c.Mem.Store64(testData+0x40, 0x5555)
	})
	if tr != nil || c.R[RSP] != testData+0x48 || c.R[RBP] != 0x5555 {
		t.Fatalf("leave: %v rsp=%#x rbp=%#x", tr, c.R[RSP], c.R[RBP])
	}
	// A faulting leave changes nothing.
	c, tr = runCode(t, 64, []byte{0xc9}, func(c *CPU) { c.R[RBP] = 0x700000 })
	if _, ok := tr.(*mem.Fault); !ok || c.R[RSP] != sp0 || c.R[RBP] != 0x700000 {
		t.Fatalf("leave fault: %v rsp=%#x", tr, c.R[RSP])
	}
}

func TestPushaPopa(t *testing.T) {
	// pushad; xor eax,eax; ...; popad restores everything but ESP.
	c, tr := runCode(t, 32, []byte{0x60, 0x31, 0xc0, 0x31, 0xdb, 0x31, 0xf6, 0x61}, func(c *CPU) {
		for r := RAX; r <= RDI; r++ {
			if r != RSP {
				c.R[r] = uint64(0x11111111 * (r + 1))
			}
		}
	})
	if tr != nil {
		t.Fatal(tr)
	}
	for r := RAX; r <= RDI; r++ {
		if r != RSP && c.R[r] != uint64(0x11111111*(r+1)) {
			t.Errorf("r%d = %#x", r, c.R[r])
		}
	}
	if c.R[RSP] != testStack-64 {
		t.Errorf("esp=%#x", c.R[RSP])
	}
	// The ESP slot holds the value before pushad.
	if v := c.Mem.Load32(testStack - 64 - 20); v != testStack-64 {
		t.Errorf("pushed esp %#x", v)
	}
}

func TestBCDErrors(t *testing.T) {
	_, tr := runCode(t, 32, []byte{0xd4, 0x00}, nil)
	if trap, ok := tr.(*Trap); !ok || trap.Kind != TrapDivide {
		t.Fatalf("aam 0: %v", tr)
	}
	for _, code := range [][]byte{{0x27}, {0x37}, {0xd5, 0x0a}, {0xd4, 0x0a}, {0x60}} {
		_, tr := runCode(t, 64, code, nil)
		if trap, ok := tr.(*Trap); !ok || trap.Kind != TrapInvalidOp {
			t.Errorf("% x in 64-bit mode: %v, want #UD", code, tr)
		}
	}
}

func TestXlat(t *testing.T) {
	c, tr := runCode(t, 32, []byte{0xd7, 0x64, 0xd7}, func(c *CPU) {
		c.Mem.Poke(testData+0x80, []byte{0x10})
		c.Mem.Poke(testData+0x1000+0x10, []byte{0x99})
		c.SegBase[FS] = 0x1000
		c.R[RAX], c.R[RBX] = 0xffffff80, testData
	})
	if tr != nil || c.R[RAX] != 0xffffff99 {
		t.Fatalf("xlat: %v eax=%#x", tr, c.R[RAX])
	}
}

func TestCPUID(t *testing.T) {
	c, tr := runCode(t, 64, []byte{0x0f, 0xa2}, func(c *CPU) { c.R[RAX] = 0xffffffff00000000 })
	if tr != nil {
		t.Fatal(tr)
	}
	var v [12]byte
	for i, r := range []int{RBX, RDX, RCX} {
		for j := 0; j < 4; j++ {
			v[4*i+j] = byte(c.R[r] >> (8 * j))
		}
	}
	if string(v[:]) != "GenuineIntel" || c.R[RAX] < 4 {
		t.Fatalf("vendor %q max %d", v, c.R[RAX])
	}
	a, b, cx, d := CPUID(1, 0)
	if a>>8&0xf != 6 || b>>8&0xff != 8 || d != CPUIDHWCap() {
		t.Fatalf("leaf 1: %#x %#x %#x %#x", a, b, cx, d)
	}
	// What glibc needs: x86-64 baseline (CMOV CX8 FPU FXSR MMX SSE SSE2).
	const baseline = 1<<15 | 1<<8 | 1<<0 | 1<<24 | 1<<23 | 1<<25 | 1<<26
	if d&baseline != baseline || cx&(1<<13|1<<23) != 1<<13|1<<23 {
		t.Fatalf("leaf 1 features ecx=%#x edx=%#x", cx, d)
	}
	// Exactly the implemented extensions: SSE3, SSSE3, CX16, SSE4.1,
	// SSE4.2, MOVBE, POPCNT; never AVX (28), XSAVE (26), OSXSAVE (27), FMA
	// (12) or MONITOR (3).
	if want := uint32(1<<0 | 1<<9 | 1<<13 | 1<<19 | 1<<20 | 1<<22 | 1<<23); cx != want {
		t.Fatalf("leaf 1 ecx=%#x, want %#x", cx, want)
	}
	// Leaf 7: BMI1, BMI2, ERMS; no AVX2 (5).
	if _, b, c, d := CPUID(7, 0); b != 1<<3|1<<8|1<<9 || c != 0 || d != 0 {
		t.Fatalf("leaf 7: ebx=%#x ecx=%#x edx=%#x", b, c, d)
	}
	// Leaf 4: L1d 32 KiB, L2 1 MiB, L3 8 MiB; subleaf 4 ends the list.
	sizes := []uint32{32 << 10, 32 << 10, 1 << 20, 8 << 20}
	for i, want := range sizes {
		a, b, cx, _ := CPUID(4, uint32(i))
		size := (b>>22 + 1) * (b>>12&0x3ff + 1) * (b&0xfff + 1) * (cx + 1)
		if a&0x1f == 0 || size != want {
			t.Errorf("leaf 4.%d: type %d size %d", i, a&0x1f, size)
		}
	}
	if a, _, _, _ := CPUID(4, 4); a&0x1f != 0 {
		t.Error("leaf 4 does not end")
	}
	// Brand string and extended features.
	var brand []byte
	for l := uint32(0x80000002); l <= 0x80000004; l++ {
		a, b, c, d := CPUID(l, 0)
		for _, r := range []uint32{a, b, c, d} {
			brand = append(brand, byte(r), byte(r>>8), byte(r>>16), byte(r>>24))
		}
	}
	if s := string(brand[:12]); s != "gemu x86 CPU" || brand[12] != 0 {
		t.Fatalf("brand %q", brand)
	}
	if _, _, cx, d := cpuid(32, 0x80000001, 0); d&(1<<29) == 0 || d&(1<<11) != 0 || cx&(1<<5) == 0 {
		t.Fatalf("ext leaf in 32-bit mode: ecx=%#x edx=%#x", cx, d)
	}
	if _, _, _, d := cpuid(64, 0x80000001, 0); d&(1<<11) == 0 {
		t.Fatal("SYSCALL not reported to 64-bit code")
	}
}

func TestRdtsc(t *testing.T) {
	c, tr := runCode(t, 64, []byte{0x0f, 0x31, 0x0f, 0x01, 0xf9}, func(c *CPU) {
		c.TSC = func() uint64 { return 0x123456789abcdef0 }
		c.R[RAX], c.R[RDX], c.R[RCX] = ^uint64(0), ^uint64(0), ^uint64(0)
	})
	if tr != nil || c.R[RAX] != 0x9abcdef0 || c.R[RDX] != 0x12345678 || c.R[RCX] != 0 {
		t.Fatalf("rdtscp: %v rax=%#x rdx=%#x rcx=%#x", tr, c.R[RAX], c.R[RDX], c.R[RCX])
	}
	// Without a TSC source the host clock advances.
	c1, _ := runCode(t, 32, []byte{0x0f, 0x31}, nil)
	c2, _ := runCode(t, 32, []byte{0x0f, 0x31}, nil)
	t1, t2 := c1.R[RDX]<<32|c1.R[RAX], c2.R[RDX]<<32|c2.R[RAX]
	if t2 <= t1 {
		t.Fatalf("tsc went from %d to %d", t1, t2)
	}
}

func TestMiscNopsAndFaults(t *testing.T) {
	// mfence; lfence; sfence; prefetcht0 [rax]; clflush [rax]; prefetchw [rax]
	code := []byte{0x0f, 0xae, 0xf0, 0x0f, 0xae, 0xe8, 0x0f, 0xae, 0xf8, 0x0f, 0x18, 0x08, 0x0f, 0xae, 0x38, 0x0f, 0x0d, 0x08}
	if _, tr := runCode(t, 64, code, func(c *CPU) { c.R[RAX] = 0x900000 }); tr != nil {
		t.Fatalf("fences and hints: %v", tr)
	}
	for _, tc := range []struct {
		code []byte
		kind TrapKind
	}{
		{[]byte{0x0f, 0xff, 0xc0}, TrapInvalidOp}, // ud0
		{[]byte{0x0f, 0x01, 0xd0}, TrapInvalidOp}, // xgetbv
		{[]byte{0x0f, 0xc7, 0xf0}, TrapInvalidOp}, // rdrand
		{[]byte{0xfa}, TrapGP},                    // cli
		{[]byte{0xe4, 0x60}, TrapGP},              // in al, 0x60
	} {
		_, tr := runCode(t, 64, tc.code, nil)
		if trap, ok := tr.(*Trap); !ok || trap.Kind != tc.kind || trap.Code != 0 {
			t.Errorf("% x: %v", tc.code, tr)
		}
	}
}

// TestHotPathsDoNotAllocate executes pre-decoded instructions repeatedly,
// as the engine does, and requires that none allocates.
func TestHotPathsDoNotAllocate(t *testing.T) {
	for _, tc := range []struct {
		name string
		code []byte
	}{
		{"shl rax, 3", []byte{0x48, 0xc1, 0xe0, 0x03}},
		{"rcl eax, cl", []byte{0xd3, 0xd0}},
		{"shld eax, edx, cl", []byte{0x0f, 0xa5, 0xd0}},
		{"imul rax, rbx", []byte{0x48, 0x0f, 0xaf, 0xc3}},
		{"imul ecx, ebx, 7", []byte{0x6b, 0xcb, 0x07}},
		{"mul rbx", []byte{0x48, 0xf7, 0xe3}},
		{"div ebx", []byte{0xf7, 0xf3}},
		{"bt eax, edx", []byte{0x0f, 0xa3, 0xd0}},
		{"bsf rax, rbx", []byte{0x48, 0x0f, 0xbc, 0xc3}},
		{"cmovne rax, rbx", []byte{0x48, 0x0f, 0x45, 0xc3}},
		{"setb al", []byte{0x0f, 0x92, 0xc0}},
		{"rep movsb 4 KiB", []byte{0xf3, 0xa4}},
		{"rep stosq 4 KiB", []byte{0xf3, 0x48, 0xab}},
		{"repne scasb", []byte{0xf2, 0xae}},
		{"pushfq; popfq", []byte{0x9c}},
		{"cpuid", []byte{0x0f, 0xa2}},
		{"lock add [rsi], eax", []byte{0xf0, 0x01, 0x06}},
		{"lock or [rsi], eax", []byte{0xf0, 0x09, 0x06}},
		{"lock inc qword [rsi]", []byte{0xf0, 0x48, 0xff, 0x06}},
		{"lock xadd [rsi], eax", []byte{0xf0, 0x0f, 0xc1, 0x06}},
		{"lock cmpxchg [rsi], ecx", []byte{0xf0, 0x0f, 0xb1, 0x0e}},
		{"lock cmpxchg16b [rsi]", []byte{0xf0, 0x48, 0x0f, 0xc7, 0x0e}},
		{"lock bts [rsi], edx", []byte{0xf0, 0x0f, 0xab, 0x16}},
		{"xchg [rsi], eax", []byte{0x87, 0x06}},
		{"mfence", []byte{0x0f, 0xae, 0xf0}},
	} {
		c := newTestCPU(t, 64, tc.code)
		in, err := Decode(64, testCode, tc.code)
		if err != nil {
			t.Fatal(err)
		}
		reset := func() {
			c.R = [16]uint64{RAX: 0x1234, RBX: 3, RCX: 512, RDX: 1, RSI: testData, RDI: testData + 0x8000, RSP: testStack - 64}
		}
		allocs := testing.AllocsPerRun(100, func() {
			reset()
			in.Fn(c, &in)
		})
		if allocs != 0 {
			t.Errorf("%s: %v allocations per run", tc.name, allocs)
		}
	}
}
