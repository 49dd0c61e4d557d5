package x86

import (
	"testing"

	"golang.org/x/arch/x86/x86asm"
)

// Tests for the decoder adapter: how x86asm's view becomes an Inst.

func mustDecode(t *testing.T, mode int, pc uint64, code []byte) Inst {
	t.Helper()
	in, err := Decode(mode, pc, code)
	if err != nil {
		t.Fatalf("decode % x: %v", code, err)
	}
	if int(in.Len) != len(code) || in.Next != pc+uint64(len(code)) {
		t.Fatalf("decode % x: len %d next %#x", code, in.Len, in.Next)
	}
	return in
}

func TestDecodeOperands(t *testing.T) {
	for _, tc := range []struct {
		name string
		mode int
		code []byte
		args []Operand
		op   x86asm.Op
	}{
		{"add eax, ebx", 64, []byte{0x01, 0xd8}, []Operand{{Kind: KReg, Size: 4, Reg: RAX}, {Kind: KReg, Size: 4, Reg: RBX}}, x86asm.ADD},
		{"mov ah, 1", 64, []byte{0xb4, 0x01}, []Operand{{Kind: KReg, Size: 1, Reg: RAX, Hi: true}, {Kind: KImm, Size: 1}}, x86asm.MOV},
		{"mov spl, 1", 64, []byte{0x40, 0xb4, 0x01}, []Operand{{Kind: KReg, Size: 1, Reg: RSP}, {Kind: KImm, Size: 1}}, x86asm.MOV},
		{"mov r9w, [rax]", 64, []byte{0x66, 0x44, 0x8b, 0x08}, []Operand{{Kind: KReg, Size: 2, Reg: R9}, {Kind: KMem, Size: 2}}, x86asm.MOV},
		{"movzx eax, byte [rbx]", 64, []byte{0x0f, 0xb6, 0x03}, []Operand{{Kind: KReg, Size: 4, Reg: RAX}, {Kind: KMem, Size: 1}}, x86asm.MOVZX},
		{"movaps xmm1, xmm2", 64, []byte{0x0f, 0x28, 0xca}, []Operand{{Kind: KXMM, Size: 16, Reg: 1}, {Kind: KXMM, Size: 16, Reg: 2}}, x86asm.MOVAPS},
		{"movaps xmm9, [rax]", 64, []byte{0x44, 0x0f, 0x28, 0x08}, []Operand{{Kind: KXMM, Size: 16, Reg: 9}, {Kind: KMem, Size: 16}}, x86asm.MOVAPS},
		{"fxch st3", 32, []byte{0xd9, 0xcb}, []Operand{{Kind: KST, Size: 10, Reg: 3}}, x86asm.FXCH},
		{"mov es, eax", 32, []byte{0x8e, 0xc0}, []Operand{{Kind: KSeg, Size: 2, Reg: ES}, {Kind: KReg, Size: 4, Reg: RAX}}, x86asm.MOV},
		{"movq mm0, mm1", 32, []byte{0x0f, 0x6f, 0xc1}, []Operand{{Kind: KMMX, Size: 8, Reg: 0}, {Kind: KMMX, Size: 8, Reg: 1}}, x86asm.MOVQ},
		{"shl eax, cl", 32, []byte{0xd3, 0xe0}, []Operand{{Kind: KReg, Size: 4, Reg: RAX}, {Kind: KReg, Size: 1, Reg: RCX}}, x86asm.SHL},
		{"push 8-bit imm", 64, []byte{0x6a, 0xff}, []Operand{{Kind: KImm, Size: 4}}, x86asm.PUSH},
	} {
		// Operands are decoded even where no handler exists yet.
		in, _ := Decode(tc.mode, 0x1000, tc.code)
		if in.Op != tc.op || int(in.NArgs) != len(tc.args) {
			t.Errorf("%s: op %v nargs %d", tc.name, in.Op, in.NArgs)
			continue
		}
		for i, want := range tc.args {
			if in.A[i] != want {
				t.Errorf("%s: arg %d = %+v, want %+v", tc.name, i, in.A[i], want)
			}
		}
	}
}

func TestDecodeMemoryOperand(t *testing.T) {
	// mov al, [rbx+rcx*4+8]
	in := mustDecode(t, 64, 0x1000, []byte{0x8a, 0x44, 0x8b, 0x08})
	if in.Base != RBX || in.Index != RCX || in.Scale != 2 || in.Disp != 8 || in.Seg != -1 || in.ASize != 8 {
		t.Fatalf("base %d index %d scale %d disp %#x seg %d asize %d", in.Base, in.Index, in.Scale, in.Disp, in.Seg, in.ASize)
	}
	c := New(64, nil)
	c.R[RBX], c.R[RCX] = 0x100, 3
	if ea := c.EA(&in); ea != 0x114 {
		t.Fatalf("EA %#x", ea)
	}
	// A negative displacement wraps within 32-bit addressing.
	in = mustDecode(t, 32, 0x1000, []byte{0x8b, 0x45, 0xfc}) // mov eax, [ebp-4]
	c32 := New(32, nil)
	c32.R[RBP] = 2
	if ea := c32.EA(&in); ea != 0xfffffffe {
		t.Fatalf("32-bit EA %#x", ea)
	}
	// A disp32 is sign-extended in 64-bit mode: mov eax, [rax-16] encoded
	// with a 32-bit displacement, and an absolute [-16] via SIB.
	in = mustDecode(t, 64, 0x1000, []byte{0x8b, 0x80, 0xf0, 0xff, 0xff, 0xff})
	c.R[RAX] = 0x7fff0000
	if ea := c.EA(&in); ea != 0x7ffefff0 {
		t.Fatalf("disp32 EA %#x", ea)
	}
	in = mustDecode(t, 64, 0x1000, []byte{0x48, 0x8b, 0x04, 0x25, 0xf0, 0xff, 0xff, 0xff})
	if ea := c.EA(&in); ea != 0xfffffffffffffff0 {
		t.Fatalf("absolute disp32 EA %#x", ea)
	}
	// ...but the 64-bit moffs of movabs is an address, not a disp32.
	in = mustDecode(t, 64, 0x1000, []byte{0x48, 0xa1, 0xf0, 0xff, 0xff, 0xff, 0, 0, 0, 0})
	if ea := c.EA(&in); ea != 0xfffffff0 {
		t.Fatalf("moffs EA %#x", ea)
	}
	// 67 prefix in 64-bit mode truncates the address to 32 bits.
	in = mustDecode(t, 64, 0x1000, []byte{0x67, 0x8b, 0x03}) // mov eax, [ebx]
	c.R[RBX] = 0xffffffff00000010
	if in.ASize != 4 || c.EA(&in) != 0x10 {
		t.Fatalf("asize %d EA %#x", in.ASize, c.EA(&in))
	}
}

func TestDecodeRIPRelative(t *testing.T) {
	// mov rax, [rip+0x10]: the displacement is resolved against the next
	// instruction at translation time.
	in := mustDecode(t, 64, 0x400000, []byte{0x48, 0x8b, 0x05, 0x10, 0x00, 0x00, 0x00})
	if in.Base != -1 || in.Index != -1 || in.Disp != 0x400007+0x10 {
		t.Fatalf("base %d disp %#x", in.Base, in.Disp)
	}
	c := New(64, nil)
	if ea := c.EA(&in); ea != 0x400017 {
		t.Fatalf("EA %#x", ea)
	}
	// Negative displacement.
	in = mustDecode(t, 64, 0x400000, []byte{0x8b, 0x05, 0xf0, 0xff, 0xff, 0xff})
	if c.EA(&in) != 0x400006-0x10 {
		t.Fatalf("EA %#x", c.EA(&in))
	}
	// EIP-relative (67 prefix) wraps at 4 GiB.
	in = mustDecode(t, 64, 0xfffffff0, []byte{0x67, 0x8b, 0x05, 0x20, 0x00, 0x00, 0x00})
	if c.EA(&in) != (0xfffffff7+0x20)&0xffffffff {
		t.Fatalf("EIP-relative EA %#x", c.EA(&in))
	}
}

func TestDecodeSegments(t *testing.T) {
	// mov rax, fs:[0x28] (the stack protector canary)
	in := mustDecode(t, 64, 0, []byte{0x64, 0x48, 0x8b, 0x04, 0x25, 0x28, 0x00, 0x00, 0x00})
	c := New(64, nil)
	c.SegBase[FS] = 0x7f0000001000
	if in.Seg != FS || c.EA(&in) != 0x7f0000001028 {
		t.Fatalf("seg %d EA %#x", in.Seg, c.EA(&in))
	}
	// mov eax, gs:[0x14] in 32-bit mode; the sum wraps at 4 GiB.
	in = mustDecode(t, 32, 0, []byte{0x65, 0xa1, 0x14, 0x00, 0x00, 0x00})
	c32 := New(32, nil)
	c32.SegBase[GS] = 0xfffffff0
	if in.Seg != GS || c32.EA(&in) != 0x4 {
		t.Fatalf("seg %d EA %#x", in.Seg, c32.EA(&in))
	}
	// CS/DS/ES/SS overrides have no base in 64-bit mode; in 32-bit code
	// the segment's base applies (zero unless an LDT or TLS descriptor
	// is loaded).
	in = mustDecode(t, 64, 0, []byte{0x2e, 0x8b, 0x03})
	if in.Seg != -1 {
		t.Fatalf("64-bit cs override: seg %d", in.Seg)
	}
	in = mustDecode(t, 32, 0, []byte{0x2e, 0x8b, 0x03})
	c32.R[RBX] = 0x1000
	if in.Seg != CS || c32.EA(&in) != 0x1000 {
		t.Fatalf("cs override: seg %d EA %#x", in.Seg, c32.EA(&in))
	}
	in = mustDecode(t, 32, 0, []byte{0x26, 0x8b, 0x03})
	c32.SegBase[ES] = 0x500
	if in.Seg != ES || c32.EA(&in) != 0x1500 {
		t.Fatalf("es override: seg %d EA %#x", in.Seg, c32.EA(&in))
	}
	// String instructions take the override for the source only.
	in = mustDecode(t, 64, 0, []byte{0x65, 0xf3, 0xa4})
	if in.Seg != GS || in.Rep != RepE || in.Aux != strMovs || in.OSize != 1 {
		t.Fatalf("gs rep movsb: seg %d rep %d aux %d osize %d", in.Seg, in.Rep, in.Aux, in.OSize)
	}
	in = mustDecode(t, 32, 0, []byte{0x64, 0xa7})
	if in.Seg != FS || in.Aux != strCmps || in.OSize != 4 {
		t.Fatalf("fs cmpsd: seg %d aux %d", in.Seg, in.Aux)
	}
}

func TestDecodePrefixes(t *testing.T) {
	for _, tc := range []struct {
		name  string
		mode  int
		code  []byte
		rep   uint8
		lock  bool
		osize uint8
		asize uint8
	}{
		{"rep movsb", 64, []byte{0xf3, 0xa4}, RepE, false, 4, 8},
		{"repne scasb", 32, []byte{0xf2, 0xae}, RepNE, false, 4, 4},
		{"repe cmpsw", 32, []byte{0x66, 0xf3, 0xa7}, RepE, false, 2, 4},
		{"lock inc [rax]", 64, []byte{0xf0, 0xff, 0x00}, RepNone, true, 4, 8},
		{"lock cmpxchg8b", 32, []byte{0xf0, 0x0f, 0xc7, 0x0e}, RepNone, true, 4, 4},
		{"rex.w add", 64, []byte{0x48, 0x01, 0xd8}, RepNone, false, 8, 8},
		{"addr32 stosb", 64, []byte{0x67, 0xaa}, RepNone, false, 4, 4},
		{"addr16 movsb", 32, []byte{0x67, 0xa4}, RepNone, false, 4, 2},
	} {
		in := mustDecode(t, tc.mode, 0, tc.code)
		osize := in.OSize
		if in.Aux != 0 || in.Op >= x86asm.MOVSB && in.Op <= x86asm.MOVSW {
			// String builders replace OSize with the element size.
			osize = tc.osize
		}
		if in.Rep != tc.rep || in.Lock != tc.lock || osize != tc.osize || in.ASize != tc.asize {
			t.Errorf("%s: rep %d lock %v osize %d asize %d", tc.name, in.Rep, in.Lock, in.OSize, in.ASize)
		}
	}
}

func TestDecodeImmediates(t *testing.T) {
	// add rax, -1 (imm8 sign-extended to 64 bits)
	in := mustDecode(t, 64, 0, []byte{0x48, 0x83, 0xc0, 0xff})
	if in.Imm != ^uint64(0) || in.A[1].Size != 8 {
		t.Fatalf("imm %#x size %d", in.Imm, in.A[1].Size)
	}
	// add ax, 0xff03
	in = mustDecode(t, 64, 0, []byte{0x66, 0x05, 0x03, 0xff})
	if in.Imm&0xffff != 0xff03 || in.A[1].Size != 2 {
		t.Fatalf("imm %#x size %d", in.Imm, in.A[1].Size)
	}
	// shl eax, 0x25: the count is taken modulo 32 at translation time.
	in = mustDecode(t, 32, 0, []byte{0xc1, 0xe0, 0x25})
	if in.Imm != 5 {
		t.Fatalf("shift count %d", in.Imm)
	}
	// enter 0x1234, 3: both immediates survive.
	in = mustDecode(t, 32, 0, []byte{0xc8, 0x34, 0x12, 0x03})
	if in.Disp != 0x1234 || in.Aux != 3 {
		t.Fatalf("enter: size %#x level %d", in.Disp, in.Aux)
	}
}

func TestDecodeHintNops(t *testing.T) {
	for _, tc := range []struct {
		name string
		mode int
		code []byte
	}{
		{"endbr64", 64, []byte{0xf3, 0x0f, 0x1e, 0xfa}},
		{"endbr32", 32, []byte{0xf3, 0x0f, 0x1e, 0xfb}},
		{"nopl 0(rax,rax)", 64, []byte{0x0f, 0x1f, 0x44, 0x00, 0x00}},
		{"nopw 9 bytes", 64, []byte{0x66, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00}},
		{"reserved nop 0f 19", 64, []byte{0x0f, 0x19, 0x00}},
		{"reserved nop 0f 1c disp32", 32, []byte{0x0f, 0x1c, 0x80, 1, 2, 3, 4}},
		{"cs nopw", 64, []byte{0x2e, 0x66, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00}},
	} {
		// Trailing bytes must not change the length.
		code := append(append([]byte{}, tc.code...), 0xcc, 0xcc)
		in, err := Decode(tc.mode, 0x1000, code)
		if err != nil || int(in.Len) != len(tc.code) || in.IsBranch() {
			t.Errorf("%s: err %v len %d", tc.name, err, in.Len)
			continue
		}
		c, tr := runCode(t, tc.mode, tc.code, nil)
		if tr != nil || c.RIP != testCode+uint64(len(tc.code)) {
			t.Errorf("%s: trap %v rip %#x", tc.name, tr, c.RIP)
		}
	}
}

func TestDecodeBranchTargets(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mode   int
		pc     uint64
		code   []byte
		target uint64
		branch bool
	}{
		{"call rel32 back", 32, 0x8048000, []byte{0xe8, 0xfb, 0xff, 0xff, 0xff}, 0x8048000, true},
		{"jmp $", 32, 0x1000, []byte{0xeb, 0xfe}, 0x1000, true},
		{"jne rel32", 32, 0x1000, []byte{0x0f, 0x85, 0xf6, 0xff, 0xff, 0xff}, 0x1000 - 4, true},
		{"jmp wraps 4 GiB", 32, 0xfffffff0, []byte{0xe9, 0x20, 0x00, 0x00, 0x00}, 0x15, true},
		{"jmp rel16", 32, 0x12340, []byte{0x66, 0xe9, 0xfd, 0xff}, 0x2341, true},
		{"jmp rel32 64-bit", 64, 0x7f0000000000, []byte{0xe9, 0xf0, 0xff, 0xff, 0xff}, 0x7f0000000000 + 5 - 16, true},
		{"call rel32 64-bit", 64, 0x400000, []byte{0xe8, 0x00, 0x00, 0x00, 0x80}, 0xffffffff80400005, true},
		{"loop", 64, 0x1000, []byte{0xe2, 0x10}, 0x1012, true},
		{"ret", 64, 0x1000, []byte{0xc3}, 0, true},
		{"syscall", 64, 0x1000, []byte{0x0f, 0x05}, 0, true},
		{"add", 64, 0x1000, []byte{0x01, 0xd8}, 0, false},
		{"rep movsb", 64, 0x1000, []byte{0xf3, 0xa4}, 0, false},
	} {
		in := mustDecode(t, tc.mode, tc.pc, tc.code)
		if in.IsBranch() != tc.branch {
			t.Errorf("%s: IsBranch %v", tc.name, in.IsBranch())
		}
		if tc.target != 0 && in.Imm != tc.target {
			t.Errorf("%s: target %#x, want %#x", tc.name, in.Imm, tc.target)
		}
	}
}

func TestDecodeInvalid(t *testing.T) {
	for _, tc := range []struct {
		name string
		mode int
		code []byte
	}{
		{"push es in 64-bit mode", 64, []byte{0x06}},
		{"aaa in 64-bit mode", 64, []byte{0x37}},
		{"truncated mov imm32", 32, []byte{0xb8, 0x01, 0x00}},
		{"lone prefix", 64, []byte{0xf0}},
		{"sal alias /6", 64, []byte{0xd0, 0xf0}},
		{"cmpxchg8b register", 32, []byte{0x0f, 0xc7, 0xc8}},
	} {
		in, err := Decode(tc.mode, 0x1000, tc.code)
		if err == nil {
			t.Errorf("%s: no error", tc.name)
		}
		if in.Fn == nil || in.Len == 0 || in.Next != 0x1000+uint64(in.Len) {
			t.Errorf("%s: fn %v len %d", tc.name, in.Fn != nil, in.Len)
			continue
		}
		// Executing it raises #UD, not a Go panic.
		tr := func() (r any) {
			defer func() { r = recover() }()
			in.Fn(newTestCPU(t, tc.mode, nil), &in)
			return nil
		}()
		if trap, ok := tr.(*Trap); !ok || trap.Kind != TrapInvalidOp {
			t.Errorf("%s: trap %v, want #UD", tc.name, tr)
		}
	}
}

func TestDecodeString(t *testing.T) {
	in := mustDecode(t, 64, 0x1000, []byte{0x48, 0x01, 0xd8})
	if s := in.String(); s != "add %rbx,%rax" {
		t.Fatalf("disassembly %q", s)
	}
	bad, _ := Decode(64, 0x1000, []byte{0x06})
	if s := bad.String(); s != "(bad)" {
		t.Fatalf("bad disassembly %q", s)
	}
}
