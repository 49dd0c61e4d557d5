package x86

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"gemu/internal/mem"

	"golang.org/x/arch/x86/x86asm"
)

// MMX tests. The vectors in testdata/mmx_vectors.txt were recorded on the
// host CPU by testdata/mmxgen/gen.c; the x87 side effects (TOP, tags, the
// exponent word, #MF, #XM) were measured there too with small programs
// and are asserted by the hand-written tests below. Encodings come from
// GNU as (as --64, objdump -d).

// mmxOperand describes a pre-decoded operand for the decode table.
func mmxOperand(o Operand) string {
	switch o.Kind {
	case KMMX:
		return fmt.Sprintf("mm%d", o.Reg)
	case KXMM:
		return fmt.Sprintf("xmm%d", o.Reg)
	case KReg:
		return fmt.Sprintf("r%d/%d", o.Reg, 8*int(o.Size))
	case KMem:
		return fmt.Sprintf("m%d", 8*int(o.Size))
	case KImm:
		return "imm"
	}
	return "?"
}

// TestMMXDecode checks how x86asm and the adapter see each MMX form (MMX
// registers as M0..M7, memory sizes, which forms are SSE ones) and that
// every form has a handler in both modes.
func TestMMXDecode(t *testing.T) {
	for _, tc := range []struct {
		hex, op, args string
		only64        bool
	}{
		{"0f77", "EMMS", "", false},
		{"0f6ec8", "MOVD", "mm1 r0/32", false},
		{"0f6e08", "MOVD", "mm1 m32", false},
		{"480f6ec8", "MOVQ", "mm1 r0/64", true},
		{"0f6f08", "MOVQ", "mm1 m64", false},
		{"0f7ec8", "MOVD", "r0/32 mm1", false},
		{"0f7e08", "MOVD", "m32 mm1", false},
		{"480f7ec8", "MOVQ", "r0/64 mm1", true},
		{"0f6fca", "MOVQ", "mm1 mm2", false},
		{"0f7f08", "MOVQ", "m64 mm1", false},
		{"0f7fd1", "MOVQ", "mm1 mm2", false},
		{"f30fd6ca", "MOVQ2DQ", "xmm1 mm2", false},
		{"f20fd6ca", "MOVDQ2Q", "mm1 xmm2", false},
		{"0ffcca", "PADDB", "mm1 mm2", false},
		{"0ffd08", "PADDW", "mm1 m64", false},
		{"0fd4ca", "PADDQ", "mm1 mm2", false},
		{"0fe8ca", "PSUBSB", "mm1 mm2", false},
		{"0fd9ca", "PSUBUSW", "mm1 mm2", false},
		{"0f74ca", "PCMPEQB", "mm1 mm2", false},
		{"0f66ca", "PCMPGTD", "mm1 mm2", false},
		{"0fdfca", "PANDN", "mm1 mm2", false},
		{"0fefca", "PXOR", "mm1 mm2", false},
		{"0fe4ca", "PMULHUW", "mm1 mm2", false},
		{"0ff4ca", "PMULUDQ", "mm1 mm2", false},
		{"0ff5ca", "PMADDWD", "mm1 mm2", false},
		{"0f71f103", "PSLLW", "mm1 imm", false},
		{"0f72e103", "PSRAD", "mm1 imm", false},
		{"0f73d103", "PSRLQ", "mm1 imm", false},
		{"0ff208", "PSLLD", "mm1 m64", false},
		{"0fe1ca", "PSRAW", "mm1 mm2", false},
		{"0f60ca", "PUNPCKLBW", "mm1 mm2", false},
		{"0f6008", "PUNPCKLBW", "mm1 m32", false},
		{"0f6808", "PUNPCKHBW", "mm1 m64", false},
		{"0f6aca", "PUNPCKHDQ", "mm1 mm2", false},
		{"0f63ca", "PACKSSWB", "mm1 mm2", false},
		{"0f6bca", "PACKSSDW", "mm1 mm2", false},
		{"0f67ca", "PACKUSWB", "mm1 mm2", false},
		{"0fe0ca", "PAVGB", "mm1 mm2", false},
		{"0fdaca", "PMINUB", "mm1 mm2", false},
		{"0feeca", "PMAXSW", "mm1 mm2", false},
		{"0ff6ca", "PSADBW", "mm1 mm2", false},
		{"0f70ca1b", "PSHUFW", "mm1 mm2 imm", false},
		{"0f70081b", "PSHUFW", "mm1 m64 imm", false},
		{"0fc4c802", "PINSRW", "mm1 r0/32 imm", false},
		{"0fc40802", "PINSRW", "mm1 m16 imm", false},
		{"0fc5c102", "PEXTRW", "r0/32 mm1 imm", false},
		{"0fd7c1", "PMOVMSKB", "r0/32 mm1", false},
		{"0fe708", "MOVNTQ", "m64 mm1", false},
		{"0ff7ca", "MASKMOVQ", "mm1 mm2", false},
		{"0f2aca", "CVTPI2PS", "xmm1 mm2", false},
		{"0f2a08", "CVTPI2PS", "xmm1 m64", false},
		{"0f2dca", "CVTPS2PI", "mm1 xmm2", false},
		{"0f2d08", "CVTPS2PI", "mm1 m64", false},
		{"0f2cca", "CVTTPS2PI", "mm1 xmm2", false},
		{"660f2aca", "CVTPI2PD", "xmm1 mm2", false},
		{"660f2a08", "CVTPI2PD", "xmm1 m64", false},
		{"660f2dca", "CVTPD2PI", "mm1 xmm2", false},
		{"660f2d08", "CVTPD2PI", "mm1 m128", false},
		{"660f2cca", "CVTTPD2PI", "mm1 xmm2", false},
		// The XMM forms of shared opcodes stay with the SSE handlers.
		{"660ffcca", "PADDB", "xmm1 xmm2", false},
		{"660f6ec8", "MOVD", "xmm1 r0/32", false},
	} {
		code, err := hex.DecodeString(tc.hex)
		if err != nil {
			t.Fatal(err)
		}
		for _, mode := range []int{64, 32} {
			if mode == 32 && tc.only64 {
				continue
			}
			in, err := Decode(mode, testCode, code)
			if err != nil {
				t.Errorf("%s mode %d: %v", tc.hex, mode, err)
				continue
			}
			var args []string
			for i := 0; i < int(in.NArgs); i++ {
				args = append(args, mmxOperand(in.A[i]))
			}
			if got := strings.Join(args, " "); in.Op.String() != tc.op || got != tc.args || int(in.Len) != len(code) {
				t.Errorf("%s mode %d: %v %q len %d, want %s %q", tc.hex, mode, in.Op, got, in.Len, tc.op, tc.args)
			}
			mmxArg := false
			for _, a := range strings.Fields(tc.args) {
				mmxArg = mmxArg || strings.HasPrefix(a, "mm")
			}
			if mmxArg != mmxForm(&in) {
				t.Errorf("%s: mmxForm %v", tc.hex, mmxForm(&in))
			}
		}
	}
}

// mmxState is one input state of the vectors.
type mmxState struct {
	mm0, mm1, rax uint64
	x0, x1, mem   [2]uint64
	mx            uint32
}

// mmxVector is one recorded execution: the outputs that changed.
type mmxVector struct {
	name, state string
	line        int
	code        []byte
	out         mmxState // the state with the recorded outputs applied
}

func parseMMXVectors(t *testing.T, path string) (map[string]*mmxState, []mmxVector) {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	states := map[string]*mmxState{}
	var vecs []mmxVector
	var name string
	var code []byte
	hexn := func(s string) uint64 {
		v, err := strconv.ParseUint(s, 16, 64)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		return v
	}
	pair := func(s string) [2]uint64 {
		hi, lo, ok := strings.Cut(s, ":")
		if !ok {
			t.Fatalf("%s: bad pair %q", path, s)
		}
		return [2]uint64{hexn(lo), hexn(hi)}
	}
	sc := bufio.NewScanner(f)
	line := 0
	for sc.Scan() {
		line++
		fs := strings.Fields(sc.Text())
		switch {
		case len(fs) == 0:
		case fs[0] == "S" && len(fs) == 9:
			states[fs[1]] = &mmxState{mm0: hexn(fs[2]), mm1: hexn(fs[3]), rax: hexn(fs[4]),
				x0: pair(fs[5]), x1: pair(fs[6]), mem: pair(fs[7]), mx: uint32(hexn(fs[8]))}
		case fs[0] == "E" && len(fs) == 3:
			name = fs[1]
			if code, err = hex.DecodeString(fs[2]); err != nil {
				t.Fatalf("line %d: %v", line, err)
			}
		case fs[0] == "V" && len(fs) >= 2:
			st := states[fs[1]]
			if st == nil || code == nil {
				t.Fatalf("line %d: unknown state or no encoding", line)
			}
			v := mmxVector{name: name, state: fs[1], line: line, code: code, out: *st}
			for _, kv := range fs[2:] {
				k, val, _ := strings.Cut(kv, "=")
				switch k {
				case "mm0":
					v.out.mm0 = hexn(val)
				case "rax":
					v.out.rax = hexn(val)
				case "xmm0":
					v.out.x0 = pair(val)
				case "mem":
					v.out.mem = pair(val)
				case "mxcsr":
					v.out.mx = uint32(hexn(val))
				default:
					t.Fatalf("line %d: bad output %q", line, kv)
				}
			}
			vecs = append(vecs, v)
		default:
			t.Fatalf("line %d: bad record", line)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return states, vecs
}

// mmxBuf is where RSI and RDI point in the vectors (16-byte aligned).
const mmxBuf = testData + 0x100

// TestMMXVectors replays the hardware vectors in both modes and checks the
// x87 side effects of each instruction as well.
func TestMMXVectors(t *testing.T) {
	states, vecs := parseMMXVectors(t, "testdata/mmx_vectors.txt")
	if len(vecs) < 500 {
		t.Fatalf("only %d vectors", len(vecs))
	}
	names := map[string]bool{}
	for _, mode := range []int{64, 32} {
		c := newTestCPU(t, mode, nil)
		for _, v := range vecs {
			names[v.name] = true
			if mode == 32 && v.code[0]&0xf0 == 0x40 {
				continue // REX.W form
			}
			in, err := Decode(mode, testCode, v.code)
			if err != nil {
				t.Errorf("%s: %v", v.name, err)
				continue
			}
			st := states[v.state]
			x := &c.X87
			x.St[0] = F80{Mant: st.mm0, SE: 0x3fff}
			x.St[1] = F80{Mant: st.mm1, SE: 0x4000}
			x.Top = 5
			x.Empty = [8]bool{true, false, true, true, true, false, false, true}
			c.R[RAX], c.R[RSI], c.R[RDI] = st.rax, mmxBuf, mmxBuf
			c.XMM[0], c.XMM[1] = st.x0, st.x1
			c.MXCSR = st.mx
			ssePoke64(c, mmxBuf, st.mem[0])
			ssePoke64(c, mmxBuf+8, st.mem[1])
			var trap any
			func() {
				defer func() { trap = recover() }()
				in.Fn(c, &in)
			}()
			got := mmxState{mm0: x.St[0].Mant, mm1: x.St[1].Mant, rax: c.R[RAX], x0: c.XMM[0],
				x1: c.XMM[1], mem: [2]uint64{sseLoad64(c, mmxBuf), sseLoad64(c, mmxBuf+8)}, mx: c.MXCSR}
			want := v.out
			if mode == 32 {
				got.rax &= 0xffffffff
				want.rax &= 0xffffffff
			}
			if trap != nil || got != want {
				t.Errorf("line %d %s %s mode %d: trap %v\n got  %+x\n want %+x", v.line, v.name, v.state, mode, trap, got, want)
				continue
			}
			// The x87 side effects.
			var wantTop uint8
			wantEmpty := [8]bool{}
			wantSE := uint16(0x3fff)
			switch {
			case v.name == "emms":
				wantEmpty = [8]bool{true, true, true, true, true, true, true, true}
			case v.name == "cvtpi2ps_m" || v.name == "cvtpi2pd_m":
				// Not an MMX instruction: no switch.
				wantTop, wantEmpty = 5, [8]bool{true, false, true, true, true, false, false, true}
			}
			if in.A[0].Kind == KMMX && in.Op != x86asm.MASKMOVQ {
				wantSE = 0xffff
			}
			if x.Top != wantTop || x.Empty != wantEmpty || x.St[0].SE != wantSE || x.St[1].SE != 0x4000 {
				t.Errorf("%s mode %d: top %d tags %v se %#x %#x", v.name, mode, x.Top, x.Empty, x.St[0].SE, x.St[1].SE)
			}
		}
	}
	// Every instruction the generator knows was replayed.
	if len(names) < 130 {
		t.Errorf("only %d instructions", len(names))
	}
}

// mmxFXState is the x87 part of an FXSAVE image: TOP, the abridged tag
// byte and the exponent word of ST(i).
func mmxFXState(c *CPU) (top int, ftw byte, se [8]uint16) {
	var b [512]byte
	c.FXSave(b[:], c.Mode == 64)
	top = int(binary.LittleEndian.Uint16(b[2:]) >> 11 & 7)
	for i := range se {
		se[i] = binary.LittleEndian.Uint16(b[32+16*i+8:])
	}
	return top, b[4], se
}

// TestMMXX87State replays what the host showed after "fninit; fld1; fld1"
// followed by an MMX instruction (FXSAVE image: TOP, tag byte, exponent
// words).
func TestMMXX87State(t *testing.T) {
	// fld1; fld1; then the instruction.
	pre := []byte{0xd9, 0xe8, 0xd9, 0xe8}
	for _, tc := range []struct {
		name string
		code []byte
		top  int
		ftw  byte
		se   [8]uint16
	}{
		// pextrw $0, %mm0, %eax reads only: TOP 0, all valid, R6 and R7
		// keep 1.0.
		{"pextrw", []byte{0x0f, 0xc5, 0xc0, 0x00}, 0, 0xff, [8]uint16{6: 0x3fff, 7: 0x3fff}},
		{"emms", []byte{0x0f, 0x77}, 0, 0x00, [8]uint16{6: 0x3fff, 7: 0x3fff}},
		// movd %eax, %mm3 writes R3's exponent word.
		{"movd", []byte{0x0f, 0x6e, 0xd8}, 0, 0xff, [8]uint16{3: 0xffff, 6: 0x3fff, 7: 0x3fff}},
		// cvtpi2ps (%rax), %xmm0 is no MMX instruction.
		{"cvtpi2ps m64", []byte{0x0f, 0x2a, 0x00}, 6, 0xc0, [8]uint16{0: 0x3fff, 1: 0x3fff}},
		{"cvtpi2pd m64", []byte{0x66, 0x0f, 0x2a, 0x00}, 6, 0xc0, [8]uint16{0: 0x3fff, 1: 0x3fff}},
		{"cvtpi2ps mm", []byte{0x0f, 0x2a, 0xc3}, 0, 0xff, [8]uint16{6: 0x3fff, 7: 0x3fff}},
		{"movq2dq", []byte{0xf3, 0x0f, 0xd6, 0xc3}, 0, 0xff, [8]uint16{6: 0x3fff, 7: 0x3fff}},
	} {
		for _, mode := range []int{64, 32} {
			c, tr := runCode(t, mode, append(append([]byte{}, pre...), tc.code...), func(c *CPU) {
				c.R[RAX] = testData
			})
			if tr != nil {
				t.Fatalf("%s: %v", tc.name, tr)
			}
			top, ftw, se := mmxFXState(c)
			if top != tc.top || ftw != tc.ftw || se != tc.se {
				t.Errorf("%s mode %d: top %d ftw %#x se %04x, want top %d ftw %#x se %04x",
					tc.name, mode, top, ftw, se, tc.top, tc.ftw, tc.se)
			}
		}
	}
}

// TestMMXPendingX87 checks #MF: with an unmasked x87 exception pending,
// every MMX instruction faults before changing anything, while the
// memory-source CVTPI2PS/CVTPI2PD and plain SSE instructions do not (as
// measured on the host after fdivp by zero with ZE unmasked).
func TestMMXPendingX87(t *testing.T) {
	for _, tc := range []struct {
		name  string
		code  []byte
		fault bool
	}{
		{"emms", []byte{0x0f, 0x77}, true},
		{"paddb", []byte{0x0f, 0xfc, 0xc0}, true},
		{"movd", []byte{0x0f, 0x6e, 0xc0}, true},
		{"movd store", []byte{0x0f, 0x7e, 0x00}, true},
		{"cvtpi2ps mm", []byte{0x0f, 0x2a, 0xc0}, true},
		{"cvtps2pi", []byte{0x0f, 0x2d, 0xc0}, true},
		{"cvtpd2pi", []byte{0x66, 0x0f, 0x2d, 0xc0}, true},
		{"movq2dq", []byte{0xf3, 0x0f, 0xd6, 0xc0}, true},
		{"movdq2q", []byte{0xf2, 0x0f, 0xd6, 0xc0}, true},
		{"maskmovq", []byte{0x0f, 0xf7, 0xc1}, true},
		{"cvtpi2ps m64", []byte{0x0f, 0x2a, 0x00}, false},
		{"cvtpi2pd m64", []byte{0x66, 0x0f, 0x2a, 0x00}, false},
		{"addps", []byte{0x0f, 0x58, 0xc0}, false},
	} {
		c, tr := runCode(t, 64, tc.code, func(c *CPU) {
			c.X87.CW = 0x037b
			c.X87.SW = swZE | swES | swB
			c.X87.Top = 6
			c.X87.Empty = [8]bool{true, true, true, true, true, true, false, true}
			c.X87.St[0] = F80{Mant: 0x8080808080808080, SE: 0x1234}
			c.X87.St[1] = F80{Mant: 0x8080808080808080, SE: 0x1234}
			c.R[RAX], c.R[RDI] = testData, testData
			ssePoke64(c, testData, 0x5555555555555555)
		})
		if got := sseIsTrap(tr, TrapFPU); got != tc.fault {
			t.Errorf("%s: trap %v, want #MF %v", tc.name, tr, tc.fault)
			continue
		}
		if !tc.fault {
			continue
		}
		x := &c.X87
		if x.Top != 6 || x.Empty != [8]bool{true, true, true, true, true, true, false, true} ||
			x.St[0] != (F80{Mant: 0x8080808080808080, SE: 0x1234}) || c.XMM[0] != [2]uint64{} ||
			sseLoad64(c, testData) != 0x5555555555555555 || c.R[RAX] != testData {
			t.Errorf("%s: state changed by the faulting instruction: top %d tags %v st0 %+v xmm0 %x",
				tc.name, x.Top, x.Empty, x.St[0], c.XMM[0])
		}
	}
}

// TestMMXSIMDTrap checks the conversions that raise #XM: MXCSR gets the
// flag, the destination keeps its value, and (as measured on the host) the
// x87 unit has already switched to MMX use when the source is an MMX
// register or the destination is one; with a memory source CVTPI2PS does
// not switch.
func TestMMXSIMDTrap(t *testing.T) {
	const noPE = MXCSRDefault &^ (mxPE << mxMaskShift)
	for _, tc := range []struct {
		name     string
		code     []byte
		switched bool
	}{
		{"cvtpi2ps mm", []byte{0x0f, 0x2a, 0xc3}, true},   // cvtpi2ps %mm3, %xmm0
		{"cvtps2pi", []byte{0x0f, 0x2d, 0xd8}, true},      // cvtps2pi %xmm0, %mm3
		{"cvtpi2ps m64", []byte{0x0f, 0x2a, 0x00}, false}, // cvtpi2ps (%rax), %xmm0
	} {
		c, tr := runCode(t, 64, tc.code, func(c *CPU) {
			c.MXCSR = noPE
			c.X87.Top = 6
			c.X87.Empty = [8]bool{true, true, true, true, true, true, false, false}
			c.X87.St[3] = F80{Mant: 0x7fffffff, SE: 0xffff} // inexact as a single
			c.XMM[0] = [2]uint64{0x3fc00000, 0}             // 1.5: inexact as an integer
			c.R[RAX] = testData
			ssePoke64(c, testData, 0x7fffffff)
		})
		if !sseIsTrap(tr, TrapSIMD) {
			t.Errorf("%s: trap %v, want #XM", tc.name, tr)
			continue
		}
		if c.MXCSR != noPE|mxPE || c.XMM[0] != [2]uint64{0x3fc00000, 0} || c.X87.St[3].Mant != 0x7fffffff {
			t.Errorf("%s: mxcsr %#x xmm0 %x mm3 %#x", tc.name, c.MXCSR, c.XMM[0], c.X87.St[3].Mant)
		}
		switched := c.X87.Top == 0 && c.X87.Empty == [8]bool{}
		if switched != tc.switched {
			t.Errorf("%s: top %d tags %v", tc.name, c.X87.Top, c.X87.Empty)
		}
	}
}

// TestMMXFaults checks precise memory faults and the memory operand sizes.
func TestMMXFaults(t *testing.T) {
	const end = testStack // the first unmapped byte, after the stack
	setup := func(c *CPU) {
		c.X87.Top = 3
		c.X87.Empty = [8]bool{true, true, true, true, true, true, true, true}
		c.X87.St[0] = F80{Mant: 0x0102030405060708, SE: 0x1234}
		c.X87.St[1] = F80{Mant: 0x8080808080808080, SE: 0x1234}
	}
	unchanged := func(c *CPU) bool {
		return c.X87.Top == 3 && c.X87.Empty == [8]bool{true, true, true, true, true, true, true, true} &&
			c.X87.St[0] == F80{Mant: 0x0102030405060708, SE: 0x1234}
	}
	for _, tc := range []struct {
		name string
		code []byte
		addr uint64
		kind TrapKind
	}{
		{"movq load", []byte{0x0f, 0x6f, 0x00}, end - 4, TrapPage},                   // movq (%rax), %mm0
		{"paddw m64", []byte{0x0f, 0xfd, 0x00}, end - 7, TrapPage},                   // paddw (%rax), %mm0
		{"pshufw m64", []byte{0x0f, 0x70, 0x00, 0x1b}, end - 1, TrapPage},            // pshufw $0x1b, (%rax), %mm0
		{"movq store", []byte{0x0f, 0x7f, 0x00}, testCode, TrapPage},                 // movq %mm0, (%rax) read-only
		{"movd store", []byte{0x0f, 0x7e, 0x00}, end - 2, TrapPage},                  // movd %mm0, (%rax)
		{"movntq", []byte{0x0f, 0xe7, 0x00}, end - 4, TrapPage},                      // movntq %mm0, (%rax)
		{"cvtpd2pi unaligned", []byte{0x66, 0x0f, 0x2d, 0x00}, testData + 8, TrapGP}, // cvtpd2pi (%rax), %mm0
	} {
		for _, mode := range []int{64, 32} {
			c, tr := runCode(t, mode, tc.code, func(c *CPU) {
				setup(c)
				c.R[RAX] = tc.addr
			})
			if !sseIsTrap(tr, tc.kind) && !(tc.kind == TrapPage && isMemFault(tr)) {
				t.Errorf("%s mode %d: trap %v", tc.name, mode, tr)
			}
			if !unchanged(c) {
				t.Errorf("%s mode %d: x87 state changed: top %d st0 %+v", tc.name, mode, c.X87.Top, c.X87.St[0])
			}
			if tc.name == "movd store" && sseLoad64(c, end-8) != 0 {
				t.Errorf("movd store: partial write")
			}
		}
	}
	// Operands narrower than 8 bytes read only their bytes: these end
	// exactly at the unmapped page.
	for _, tc := range []struct {
		name string
		code []byte
		addr uint64
		want uint64
	}{
		{"punpcklbw m32", []byte{0x0f, 0x60, 0x00}, end - 4, 0xaa05bb06cc07dd08},    // punpcklbw (%rax), %mm0
		{"movd load", []byte{0x0f, 0x6e, 0x00}, end - 4, 0xaabbccdd},                // movd (%rax), %mm0
		{"pinsrw m16", []byte{0x0f, 0xc4, 0x00, 0x03}, end - 2, 0xaabb030405060708}, // pinsrw $3, (%rax), %mm0
	} {
		c, tr := runCode(t, 32, tc.code, func(c *CPU) {
			setup(c)
			c.Mem.Poke(end-4, []byte{0xdd, 0xcc, 0xbb, 0xaa})
			c.R[RAX] = tc.addr
		})
		if tr != nil {
			t.Errorf("%s: %v", tc.name, tr)
			continue
		}
		if got := c.X87.St[0].Mant; got != tc.want {
			t.Errorf("%s: mm0 %#x, want %#x", tc.name, got, tc.want)
		}
	}
}

func isMemFault(tr any) bool {
	_, ok := tr.(*mem.Fault)
	return ok
}

// TestMMXMaskmovq checks the byte selection, the DS:rDI address (with a
// segment override and 16-bit addressing) and that a store straddling an
// unmapped page writes nothing.
func TestMMXMaskmovq(t *testing.T) {
	code := []byte{0x0f, 0xf7, 0xc1} // maskmovq %mm1, %mm0
	data := uint64(0x8877665544332211)
	mask := uint64(0x80007f00ff000180) // bytes 0, 3, 7 selected
	c, tr := runCode(t, 64, code, func(c *CPU) {
		c.X87.St[0].Mant, c.X87.St[1].Mant = data, mask
		c.R[RDI] = testData + 0x10
		ssePoke64(c, testData+0x10, 0xeeeeeeeeeeeeeeee)
	})
	if tr != nil {
		t.Fatal(tr)
	}
	if got := sseLoad64(c, testData+0x10); got != 0x88eeeeee44eeee11 {
		t.Errorf("memory %#x", got)
	}
	if c.X87.Top != 0 || c.X87.Empty != [8]bool{} {
		t.Errorf("no switch to MMX use")
	}
	// The last selected byte is past the end of the mapping.
	const end = testStack
	c, tr = runCode(t, 32, code, func(c *CPU) {
		c.X87.St[0].Mant, c.X87.St[1].Mant = data, mask
		c.R[RDI] = end - 4
		ssePoke64(c, end-8, 0)
	})
	if tr == nil || sseLoad64(c, end-8) != 0 {
		t.Errorf("straddling maskmovq: trap %v memory %#x", tr, sseLoad64(c, end-8))
	}
}

// TestMMXRouting checks that the SSE builders hand MMX forms to this file
// and keep the XMM forms: paddb on mm and on xmm registers.
func TestMMXRouting(t *testing.T) {
	c, tr := runCode(t, 64, []byte{
		0x0f, 0xfc, 0xc1, // paddb %mm1, %mm0
		0x66, 0x0f, 0xfc, 0xc1, // paddb %xmm1, %xmm0
	}, func(c *CPU) {
		c.X87.St[0].Mant, c.X87.St[1].Mant = 0x01ff, 0x0102
		c.XMM[0], c.XMM[1] = [2]uint64{0x01ff, 0xff}, [2]uint64{0x0102, 1}
	})
	if tr != nil {
		t.Fatal(tr)
	}
	if c.X87.St[0].Mant != 0x0201 || c.XMM[0] != [2]uint64{0x0201, 0} {
		t.Errorf("mm0 %#x xmm0 %x", c.X87.St[0].Mant, c.XMM[0])
	}
	for _, op := range []x86asm.Op{x86asm.PADDB, x86asm.PSRAW, x86asm.PUNPCKHDQ, x86asm.MOVD} {
		if mmxBuilders[op] == nil {
			t.Errorf("%v has no MMX form", op)
		}
	}
}
