package engine

import (
	"testing"

	"gemu/internal/mem"
	"gemu/internal/x86"
)

const (
	codeAddr  = 0x400000
	dataAddr  = 0x600000
	stackTop  = 0x800000
	stackSize = 0x10000
)

// machine is a bare CPU with code, data and stack mappings. A guest ends by
// executing hlt, which faults (#GP) and stops the run.
type machine struct {
	cpu   *x86.CPU
	eng   *Engine
	traps []*x86.Trap
	pcs   []uint64
}

func newMachine(t testing.TB, mode int, code []byte, opts Options, instr Instrumenter) *machine {
	t.Helper()
	m := mem.New(1 << 32)
	for _, r := range []struct {
		a, n uint64
		p    mem.Perm
	}{
		{codeAddr, 0x10000, mem.Read | mem.Write | mem.Exec},
		{dataAddr, 0x10000, mem.Read | mem.Write},
		{stackTop - stackSize, stackSize, mem.Read | mem.Write},
	} {
		if err := m.Map(r.a, r.n, r.p); err != nil {
			t.Fatal(err)
		}
	}
	m.Poke(codeAddr, code)
	c := x86.New(mode, m)
	c.RIP = codeAddr
	c.R[x86.RSP] = stackTop - 16
	mc := &machine{cpu: c}
	mc.eng = New(c, opts, instr, func(c *x86.CPU, tr *x86.Trap) {
		mc.traps = append(mc.traps, tr)
		mc.pcs = append(mc.pcs, c.RIP)
		c.Exited = true
	})
	return mc
}

func (m *machine) run(t testing.TB) {
	t.Helper()
	m.eng.Run()
	if len(m.traps) != 1 || m.traps[0].Kind != x86.TrapGP {
		t.Fatalf("expected to stop at hlt, got traps %+v at %#x", m.traps, m.pcs)
	}
}

// sumLoop: ecx = n; eax = 0; loop: add eax, ecx; dec ecx; jnz loop; hlt
func sumLoop(n uint32) []byte {
	return []byte{
		0xb9, byte(n), byte(n >> 8), byte(n >> 16), byte(n >> 24), // mov ecx, n
		0x31, 0xc0, // xor eax, eax
		0x01, 0xc8, // add eax, ecx
		0xff, 0xc9, // dec ecx
		0x75, 0xfa, // jnz -6
		0xf4, // hlt
	}
}

func TestLoopAndChaining(t *testing.T) {
	for _, nochain := range []bool{false, true} {
		m := newMachine(t, 32, sumLoop(1000), Options{NoChain: nochain}, nil)
		m.run(t)
		if got := uint32(m.cpu.R[x86.RAX]); got != 500500 {
			t.Fatalf("nochain=%v: sum = %d, want 500500", nochain, got)
		}
		if m.pcs[0] != codeAddr+13 {
			t.Fatalf("fault pc %#x, want %#x", m.pcs[0], codeAddr+13)
		}
		// Blocks: the prologue+loop body, the loop body (jnz target), hlt.
		if m.eng.Translated != 3 {
			t.Fatalf("translated %d blocks, want 3", m.eng.Translated)
		}
	}
}

func TestOneInsnPerTB(t *testing.T) {
	m := newMachine(t, 64, sumLoop(10), Options{OneInsnPerTB: true}, nil)
	m.run(t)
	if got := m.cpu.R[x86.RAX]; got != 55 {
		t.Fatalf("sum = %d", got)
	}
	if m.eng.Translated != 6 {
		t.Fatalf("translated %d blocks, want 6 (one per instruction)", m.eng.Translated)
	}
}

func TestPreciseMemoryFault(t *testing.T) {
	// mov eax, 1; mov ebx, [0x10]; mov eax, 2
	code := []byte{0xb8, 1, 0, 0, 0, 0x8b, 0x1d, 0x10, 0, 0, 0, 0xb8, 2, 0, 0, 0, 0xf4}
	m := newMachine(t, 32, code, Options{}, nil)
	m.eng.Run()
	if len(m.traps) != 1 || m.traps[0].Kind != x86.TrapPage || m.traps[0].Addr != 0x10 {
		t.Fatalf("traps %+v", m.traps)
	}
	if m.pcs[0] != codeAddr+5 || m.cpu.R[x86.RAX] != 1 {
		t.Fatalf("fault at %#x with eax=%d; want pc %#x eax=1", m.pcs[0], m.cpu.R[x86.RAX], codeAddr+5)
	}
}

func TestSelfModifyingCurrentBlock(t *testing.T) {
	// The block rewrites the immediate of an instruction later in itself:
	//   mov byte [codeAddr+12], 7   (c6 05 <addr32> 07)   7 bytes... then
	//   mov eax, 1                  (b8 01 00 00 00) at offset 7; imm at 8
	// so patch offset 8 instead: the running block must see eax = 7.
	code := []byte{
		0xc6, 0x05, 0x08, 0x00, 0x40, 0x00, 0x07, // mov byte [0x400008], 7 (x86-64: rip-rel! use 32-bit mode)
		0xb8, 0x01, 0x00, 0x00, 0x00, // mov eax, 1
		0xf4,
	}
	m := newMachine(t, 32, code, Options{}, nil)
	m.run(t)
	if got := m.cpu.R[x86.RAX]; got != 7 {
		t.Fatalf("eax = %d, want 7 (stale translation ran)", got)
	}
}

func TestSelfModifyingOtherBlock(t *testing.T) {
	// call f; patch f's immediate; call f; hlt.  f: mov eax, 1; ret
	code := []byte{
		0xe8, 0x0d, 0, 0, 0, // call +13 -> 0x400012
		0xc6, 0x05, 0x13, 0x00, 0x40, 0x00, 0x05, // mov byte [0x400013], 5
		0xe8, 0x01, 0, 0, 0, // call +1 -> 0x400012
		0xf4,                         // hlt at 0x400011
		0xb8, 0x01, 0x00, 0x00, 0x00, // f: mov eax, 1 (0x400012)
		0xc3,
	}
	m := newMachine(t, 32, code, Options{}, nil)
	m.run(t)
	if got := m.cpu.R[x86.RAX]; got != 5 {
		t.Fatalf("eax = %d, want 5", got)
	}
}

type countingInstr struct {
	insns, blocks int
	seen          []uint64
	memOps        int
}

func (ci *countingInstr) InsnHook(c *x86.CPU, pc uint64) Hook {
	return func(c *x86.CPU, pc uint64) {
		if c.RIP != pc {
			panic("RIP not set before hook")
		}
		ci.insns++
		ci.seen = append(ci.seen, pc)
	}
}

func (ci *countingInstr) BlockHook(c *x86.CPU, pc uint64) Hook {
	return func(c *x86.CPU, pc uint64) { ci.blocks++ }
}

func (ci *countingInstr) MemHook(c *x86.CPU, pc uint64) mem.Tracer {
	return func(addr uint64, size int, store bool, value uint64) { ci.memOps++ }
}

func TestHooksSeeEveryExecution(t *testing.T) {
	ci := &countingInstr{}
	m := newMachine(t, 32, sumLoop(10), Options{}, ci)
	m.run(t)
	// mov, xor, then 10 x (add, dec, jnz), then hlt (hooked before faulting).
	if want := 2 + 30 + 1; ci.insns != want {
		t.Fatalf("insn hooks %d, want %d", ci.insns, want)
	}
	// Blocks entered: first block once, loop block 9 more times, hlt once.
	if ci.blocks != 11 {
		t.Fatalf("block hooks %d, want 11", ci.blocks)
	}
	if ci.seen[0] != codeAddr || ci.seen[2] != codeAddr+7 {
		t.Fatalf("hook pcs %#x", ci.seen[:3])
	}
}

func TestMemHook(t *testing.T) {
	// push eax; pop ebx; hlt: one store, one load.
	ci := &countingInstr{}
	m := newMachine(t, 32, []byte{0x50, 0x5b, 0xf4}, Options{}, ci)
	m.run(t)
	if ci.memOps != 2 {
		t.Fatalf("memory hooks %d, want 2", ci.memOps)
	}
}

func BenchmarkTightLoop(b *testing.B) {
	const n = 1 << 20
	m := newMachine(b, 64, sumLoop(n), Options{}, nil)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.cpu.RIP = codeAddr
		m.cpu.Exited = false
		m.traps = m.traps[:0]
		m.eng.Run()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/(3*n), "ns/insn")
}

type nilInstr struct{}

func (nilInstr) InsnHook(*x86.CPU, uint64) Hook      { return nil }
func (nilInstr) BlockHook(*x86.CPU, uint64) Hook     { return nil }
func (nilInstr) MemHook(*x86.CPU, uint64) mem.Tracer { return nil }

func BenchmarkTightLoopNilInstrumenter(b *testing.B) {
	const n = 1 << 20
	m := newMachine(b, 64, sumLoop(n), Options{}, nilInstr{})
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.cpu.RIP = codeAddr
		m.cpu.Exited = false
		m.traps = m.traps[:0]
		m.eng.Run()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/(3*n), "ns/insn")
}

func TestCountInsnsExact(t *testing.T) {
	m := newMachine(t, 32, sumLoop(10), Options{CountInsns: true}, nil)
	m.run(t)
	// mov, xor, 10 x (add, dec, jnz), and the faulting hlt.
	if got := m.cpu.Icount; got != 33 {
		t.Fatalf("Icount = %d, want 33", got)
	}
	// A fault in the middle of a block: the instructions after it in the
	// block were counted on entry and must be taken back.
	code := []byte{0xb8, 1, 0, 0, 0, 0x8b, 0x1d, 0x10, 0, 0, 0, 0xb8, 2, 0, 0, 0, 0xf4}
	m = newMachine(t, 32, code, Options{CountInsns: true}, nil)
	m.eng.Run()
	if got := m.cpu.Icount; got != 2 {
		t.Fatalf("Icount after a mid-block fault = %d, want 2", got)
	}
}

func TestFusedCompareBranch(t *testing.T) {
	// xor ecx, ecx; loop: inc ecx; cmp ecx, 10; jne loop; hlt
	code := []byte{0x31, 0xc9, 0xff, 0xc1, 0x83, 0xf9, 0x0a, 0x75, 0xf9, 0xf4}
	for _, mode := range []int{32, 64} {
		m := newMachine(t, mode, code, Options{CountInsns: true}, nil)
		m.run(t)
		if got := m.cpu.R[x86.RCX]; got != 10 {
			t.Fatalf("mode %d: ecx = %d, want 10", mode, got)
		}
		// The flags of the fused compare stay visible: ZF set by the last cmp.
		if !m.cpu.ZF() {
			t.Fatalf("mode %d: ZF clear after the final compare", mode)
		}
		if got := m.cpu.Icount; got != 32 {
			t.Fatalf("mode %d: Icount = %d, want 32 (fused pairs count twice)", mode, got)
		}
	}
}

// TestFusedCompareBranchWidths checks that byte, high-byte and word
// register compares and tests fuse with the branch after them and keep
// their results and flags.
func TestFusedCompareBranchWidths(t *testing.T) {
	for _, tc := range []struct {
		name string
		code []byte
		want uint64 // RCX at the end
		zf   bool
	}{
		// xor ecx, ecx; loop: inc ecx; cmp cl, 10; jne loop; hlt
		{"cmp cl", []byte{0x31, 0xc9, 0xff, 0xc1, 0x80, 0xf9, 0x0a, 0x75, 0xf9, 0xf4}, 10, true},
		// xor ecx, ecx; loop: add ch, 1 (ecx += 0x100); cmp ch, 3; jne loop; hlt
		{"cmp ch", []byte{0x31, 0xc9, 0x80, 0xc5, 0x01, 0x80, 0xfd, 0x03, 0x75, 0xf8, 0xf4}, 0x300, true},
		// xor ecx, ecx; loop: inc ecx; cmp cx, 0x101; jne loop; hlt
		{"cmp cx", []byte{0x31, 0xc9, 0xff, 0xc1, 0x66, 0x81, 0xf9, 0x01, 0x01, 0x75, 0xf7, 0xf4}, 0x101, true},
		// mov ecx, 0x80; loop: dec ecx; test cl, 0x84; js loop (never:
		// SF of the byte); hlt. Ends with cl = 0x7f.
		{"test cl", []byte{0xb9, 0x80, 0, 0, 0, 0xff, 0xc9, 0xf6, 0xc1, 0x84, 0x78, 0xf9, 0xf4}, 0x7f, false},
		// mov ecx, 0x0500; loop: sub ch, 1; test ch, ch; jne loop; hlt
		{"test ch", []byte{0xb9, 0x00, 0x05, 0, 0, 0x80, 0xed, 0x01, 0x84, 0xed, 0x75, 0xf9, 0xf4}, 0, true},
	} {
		for _, mode := range []int{32, 64} {
			m := newMachine(t, mode, tc.code, Options{}, nil)
			m.run(t)
			if got := m.cpu.R[x86.RCX]; got != tc.want {
				t.Errorf("%s, mode %d: rcx = %#x, want %#x", tc.name, mode, got, tc.want)
			}
			if m.cpu.ZF() != tc.zf {
				t.Errorf("%s, mode %d: ZF = %v after the last compare, want %v", tc.name, mode, m.cpu.ZF(), tc.zf)
			}
			fused := false
			for _, b := range m.eng.blocks {
				for _, in := range b.Insts {
					fused = fused || in.Fused
				}
			}
			if !fused {
				t.Errorf("%s, mode %d: the compare did not fuse with the branch", tc.name, mode)
			}
		}
	}
}

func TestImulDeadFlags(t *testing.T) {
	// mov eax, -7; mov ebx, 6; imul eax, ebx (flags dead: the add below
	// overwrites them); imul ecx, ebx, -3; add edx, 1; hlt
	code := []byte{
		0xb8, 0xf9, 0xff, 0xff, 0xff,
		0xbb, 0x06, 0, 0, 0,
		0x0f, 0xaf, 0xc3,
		0x6b, 0xcb, 0xfd,
		0x83, 0xc2, 0x01,
		0xf4,
	}
	for _, mode := range []int{32, 64} {
		m := newMachine(t, mode, code, Options{}, nil)
		m.run(t)
		if got := uint32(m.cpu.R[x86.RAX]); got != uint32(0xffffffd6) { // -42
			t.Fatalf("mode %d: eax = %#x, want -42", mode, got)
		}
		if got := m.cpu.R[x86.RCX]; got != 0xffffffee { // -18, zero-extended
			t.Fatalf("mode %d: ecx = %#x, want 0xffffffee", mode, got)
		}
	}
}

// TestSingleStep runs 32-bit code that sets TF with POPF: every
// instruction after the one following the POPF raises the single-step
// trap with RIP at its successor, the fault handler clearing TF stops it,
// and the instruction count stays exact. (The i386 run of the trapflag
// differential program compares with qemu-i386, which reports the steps
// with another si_code; this checks the engine's side for i386 code.)
func TestSingleStep(t *testing.T) {
	code := []byte{
		0x9c,                         // pushf
		0x81, 0x0c, 0x24, 0, 1, 0, 0, // or dword [esp], 0x100
		0x9d,             // popf
		0x90,             // nop            (+9)
		0xb9, 3, 0, 0, 0, // mov ecx, 3     (+10)
		0x49,       // dec ecx        (+15)
		0x75, 0xfd, // jnz -3         (+16)
		0xf4, // hlt            (+18)
	}
	m := newMachine(t, 32, code, Options{CountInsns: true}, nil)
	var pcs []uint64
	m.eng.fault = func(c *x86.CPU, tr *x86.Trap) {
		if tr.Kind != x86.TrapDebug {
			m.traps = append(m.traps, tr)
			c.Exited = true
			return
		}
		pcs = append(pcs, c.RIP-codeAddr)
		if len(pcs) == 6 {
			c.SetFlags(0, x86.FlagTF)
		}
	}
	m.eng.Run()
	want := []uint64{10, 15, 16, 15, 16, 15}
	if len(m.traps) != 1 || m.traps[0].Kind != x86.TrapGP || len(pcs) != len(want) {
		t.Fatalf("steps at %v, traps %+v", pcs, m.traps)
	}
	for i := range want {
		if pcs[i] != want[i] {
			t.Fatalf("steps at %v, want %v", pcs, want)
		}
	}
	// pushf, or, popf, nop, mov, 3 x (dec, jnz), hlt (counted: it faults).
	if m.cpu.Icount != 12 {
		t.Errorf("icount %d, want 12", m.cpu.Icount)
	}
}

// TestFetchFaultRetried: a jump to a page without execute permission
// faults; once the fault handler makes the page executable (as a guest's
// SIGSEGV handler calling mprotect does), the same jump runs the code
// instead of faulting again from the cached block.
func TestFetchFaultRetried(t *testing.T) {
	const target = dataAddr + 0x100
	for _, fix := range []string{"mprotect", "map"} {
		m := mem.New(1 << 32)
		m.Map(codeAddr, 0x1000, mem.Read|mem.Exec)
		m.Map(dataAddr, 0x1000, mem.Read|mem.Write)
		m.Poke(codeAddr, []byte{0xe9, 0xfb, 0x00, 0x20, 0x00}) // jmp target
		m.Poke(target, []byte{0xb8, 42, 0, 0, 0, 0xf4})        // mov eax, 42; hlt
		if fix == "map" {
			m.Unmap(dataAddr, 0x1000)
		}
		c := x86.New(32, m)
		c.RIP = codeAddr
		var traps []*x86.Trap
		New(c, Options{}, nil, func(c *x86.CPU, tr *x86.Trap) {
			traps = append(traps, tr)
			switch {
			case len(traps) > 2 || tr.Kind != x86.TrapPage:
				c.Exited = true
			case fix == "mprotect":
				m.Protect(dataAddr, 0x1000, mem.Read|mem.Exec)
				c.RIP = codeAddr
			default:
				m.Map(dataAddr, 0x1000, mem.Read|mem.Exec)
				m.Poke(target, []byte{0xb8, 42, 0, 0, 0, 0xf4})
				c.RIP = codeAddr
			}
		}).Run()
		if len(traps) != 2 || traps[0].Kind != x86.TrapPage || traps[0].Addr != target || traps[1].Kind != x86.TrapGP || c.R[x86.RAX] != 42 {
			t.Errorf("%s: traps %+v, eax %d; want a page fault at %#x, then hlt with eax 42", fix, traps, c.R[x86.RAX], target)
		}
	}
}

// TestModeSwitchFlushes runs the same bytes in 64-bit code and in
// compatibility mode: 48 ff c0 is inc rax in one and dec eax; inc eax in
// the other. The block translated for 64-bit code must not run after the
// far call to 0x23.
func TestModeSwitchFlushes(t *testing.T) {
	d := uint32(dataAddr)
	abs := []byte{byte(d), byte(d >> 8), byte(d >> 16), byte(d >> 24)}
	code := make([]byte, 40)
	copy(code, []byte{0x31, 0xc0}) // xor eax, eax
	// lcall *[dataAddr] (F:0x33); lcall *[dataAddr+8] (F:0x23); hlt
	copy(code[2:], append([]byte{0xff, 0x1c, 0x25}, abs...))
	copy(code[9:], append([]byte{0xff, 0x1c, 0x25, abs[0] + 8}, abs[1:]...))
	code[16] = 0xf4
	copy(code[32:], []byte{0x48, 0xff, 0xc0, 0xcb}) // F: inc rax | dec eax; inc eax; then retf
	m := newMachine(t, 64, code, Options{}, nil)
	f := uint32(codeAddr + 32)
	m.cpu.Mem.Poke(dataAddr, []byte{byte(f), byte(f >> 8), byte(f >> 16), byte(f >> 24), 0x33, 0, 0, 0,
		byte(f), byte(f >> 8), byte(f >> 16), byte(f >> 24), 0x23, 0})
	m.run(t)
	if m.cpu.R[x86.RAX] != 1 || m.pcs[0] != codeAddr+16 || m.cpu.Mode != 64 {
		t.Errorf("rax %#x at %#x mode %d, want 1 at %#x in 64-bit mode", m.cpu.R[x86.RAX], m.pcs[0], m.cpu.Mode, codeAddr+16)
	}
}
