package x86

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"gemu/internal/mem"
)

// decodeTest pre-decodes one instruction for tests that run its handler
// directly.
func decodeTest(t testing.TB, mode int, code []byte) Inst {
	t.Helper()
	in, err := Decode(mode, testCode, code)
	if err != nil {
		t.Fatalf("% x: %v", code, err)
	}
	return in
}

// TestLockedMatchesUnlocked runs every instruction that takes LOCK with a
// memory destination, in each operand size, with and without the prefix
// on random operands and flags (some operands unaligned, some across a
// page boundary): registers, memory and status flags must agree.
func TestLockedMatchesUnlocked(t *testing.T) {
	type form struct {
		name string
		code []byte // without the LOCK prefix; the operand is [rbx]
	}
	var forms []form
	sized := func(name string, op8, op []byte, rest ...byte) {
		forms = append(forms,
			form{name + "b", append(append([]byte{}, op8...), rest...)},
			form{name + "w", append(append([]byte{0x66}, op...), rest...)},
			form{name + "l", append(append([]byte{}, op...), rest...)},
			form{name + "q", append(append([]byte{0x48}, op...), rest...)})
	}
	for i, name := range []string{"add", "or", "adc", "sbb", "and", "sub", "xor"} {
		o := byte(i * 8)
		sized(name+"-r", []byte{o}, []byte{o + 1}, 0x0b)                    // op [rbx], cl/cx/ecx/rcx
		sized(name+"-i", []byte{0x80}, []byte{0x83}, 0x03|byte(i)<<3, 0x9c) // op [rbx], imm8
		forms = append(forms, form{name + "-id", []byte{0x81, 0x03 | byte(i)<<3, 0x78, 0x56, 0x34, 0x92}})
	}
	sized("inc", []byte{0xfe}, []byte{0xff}, 0x03)
	sized("dec", []byte{0xfe}, []byte{0xff}, 0x0b)
	sized("not", []byte{0xf6}, []byte{0xf7}, 0x13)
	sized("neg", []byte{0xf6}, []byte{0xf7}, 0x1b)
	sized("xadd", []byte{0x0f, 0xc0}, []byte{0x0f, 0xc1}, 0x0b)
	sized("cmpxchg", []byte{0x0f, 0xb0}, []byte{0x0f, 0xb1}, 0x0b)
	for i, name := range []string{"bts", "btr", "btc"} {
		op := []byte{0xab, 0xb3, 0xbb}[i]
		for _, p := range [][]byte{{0x66}, nil, {0x48}} {
			sz := map[int]string{0: "l", 1: "w"}[len(p)]
			if len(p) == 1 && p[0] == 0x48 {
				sz = "q"
			}
			forms = append(forms,
				form{name + "-r" + sz, append(append([]byte{}, p...), 0x0f, op, 0x0b)},
				form{name + "-i" + sz, append(append([]byte{}, p...), 0x0f, 0xba, 0x2b+byte(i)*8, 0x47)})
		}
	}
	forms = append(forms, form{"cmpxchg8b", []byte{0x0f, 0xc7, 0x0b}}, form{"cmpxchg16b", []byte{0x48, 0x0f, 0xc7, 0x0b}})

	rng := rand.New(rand.NewPCG(1, 2))
	for _, f := range forms {
		plain := decodeTest(t, 64, f.code)
		locked := decodeTest(t, 64, append([]byte{0xf0}, f.code...))
		if !locked.Lock {
			t.Fatalf("%s: LOCK not decoded", f.name)
		}
		for iter := 0; iter < 200; iter++ {
			var regs [16]uint64
			for i := range regs {
				regs[i] = rng.Uint64()
			}
			addr := uint64(testData + 0x100 + rng.IntN(16))
			switch {
			case f.name == "cmpxchg16b":
				addr &^= 15
			case iter%10 == 9:
				addr = testData + 0x1000 - uint64(1+rng.IntN(7)) // across the page boundary
			}
			regs[RBX] = addr
			if f.name[:2] == "bt" && f.name[4] == 'r' {
				regs[RCX] = uint64(rng.IntN(256) - 64) // bit offset near the operand
			}
			var data [64]byte
			for i := range data {
				data[i] = byte(rng.Uint32())
			}
			if iter%2 == 0 { // the compare-exchanges' equal case
				switch f.name {
				case "cmpxchgb", "cmpxchgw", "cmpxchgl", "cmpxchgq", "cmpxchg16b":
					for i := 0; i < 8; i++ {
						data[0x20+i] = byte(regs[RAX] >> (8 * i))
						data[0x28+i] = byte(regs[RDX] >> (8 * i))
					}
				case "cmpxchg8b":
					for i := 0; i < 4; i++ {
						data[0x20+i] = byte(regs[RAX] >> (8 * i))
						data[0x24+i] = byte(regs[RDX] >> (8 * i))
					}
				}
			}
			flags := rng.Uint64() & StatusFlags
			var out [2]struct {
				r     [16]uint64
				flags uint64
				data  [64]byte
				trap  string
			}
			for k, in := range []Inst{plain, locked} {
				c := newTestCPU(t, 64, nil)
				c.R = regs
				c.SetFlags(flags, StatusFlags)
				c.Mem.Poke(addr-0x20, data[:])
				func() {
					defer func() {
						if r := recover(); r != nil {
							out[k].trap = fmt.Sprint(r)
						}
					}()
					in.Fn(c, &in)
				}()
				out[k].r = c.R
				out[k].flags = c.Flags() & StatusFlags
				c.Mem.Peek(addr-0x20, out[k].data[:])
			}
			if out[0] != out[1] {
				t.Fatalf("%s at %#x: regs %#x flags %#x\nunlocked: %+v\nlocked:   %+v", f.name, addr, regs, flags, out[0], out[1])
			}
		}
	}
}

// TestLockedFaultsAndForms: a locked operand on a read-only page faults
// as a store, changing nothing; LOCK on a register destination is #UD;
// XCHG with memory is locked without the prefix.
func TestLockedFaultsAndForms(t *testing.T) {
	// lock add dword [rbx], 1 on the code page (read and execute only).
	c, tr := runCode(t, 64, []byte{0xf0, 0x83, 0x03, 0x01}, func(c *CPU) {
		c.R[RBX] = testCode + 0x800
		c.SetFlags(FlagZF, StatusFlags)
	})
	if f, ok := tr.(*mem.Fault); !ok || f.Access != mem.AccWrite || f.Addr != testCode+0x800 {
		t.Fatalf("trap %v", tr)
	}
	if c.Flags()&StatusFlags != FlagZF || c.Mem.Load32(testCode+0x800) != 0 {
		t.Fatalf("state changed: flags %#x", c.Flags())
	}
	_, tr = runCode(t, 64, []byte{0xf0, 0x01, 0xc8}, nil) // lock add eax, ecx
	if trap, ok := tr.(*Trap); !ok || trap.Kind != TrapInvalidOp {
		t.Fatalf("lock add eax, ecx: %v", tr)
	}
	for _, code := range [][]byte{{0x87, 0x03}, {0xf0, 0x87, 0x03}} { // xchg [rbx], eax, without and with LOCK
		in := decodeTest(t, 64, code)
		c, tr = runCode(t, 64, code, func(c *CPU) {
			c.R[RBX], c.R[RAX] = testData+3, 0xffffffff11111111
			c.Mem.Store64(testData, 0x2222222222222222)
		})
		if tr != nil || c.R[RAX] != 0x22222222 || c.Mem.Load64(testData) != 0x2211111111222222 {
			t.Fatalf("% x (%v): trap %v rax=%#x mem=%#x", code, in.String(), tr, c.R[RAX], c.Mem.Load64(testData))
		}
	}
}

// TestAtomicGuestThreads runs locked guest instructions from several
// goroutines, each with a CPU of its own on one address space, with
// operands one byte off alignment, while another goroutine stores to the
// bytes next to them: the counters are exact, and the last plain stores
// are all there.
func TestAtomicGuestThreads(t *testing.T) {
	const base = testData + 0x101 // RBX: every operand unaligned
	const wide = testData + 0x400 // RDI: cmpxchg16b's operand
	progs := []struct {
		name string
		code []byte
	}{
		{"lock xadd [rbx], eax", []byte{0xf0, 0x0f, 0xc1, 0x03}},
		{"lock add dword [rbx+0x10], 3", []byte{0xf0, 0x83, 0x43, 0x10, 0x03}},
		{"lock sub dword [rbx+0x10], 1", []byte{0xf0, 0x83, 0x6b, 0x10, 0x01}},
		{"lock adc dword [rbx+0x18], 0", []byte{0xf0, 0x83, 0x53, 0x18, 0x00}},
		{"lock inc qword [rbx+0x20]", []byte{0xf0, 0x48, 0xff, 0x43, 0x20}},
		{"lock not dword [rbx+0x30]", []byte{0xf0, 0xf7, 0x53, 0x30}},
		{"lock cmpxchg [rbx+0x40], ecx", []byte{0xf0, 0x0f, 0xb1, 0x4b, 0x40}},
		{"lock cmpxchg8b [rbp+0x50]", []byte{0xf0, 0x0f, 0xc7, 0x4d, 0x50}},
		{"lock xor byte [rbx+0x60], bit", []byte{0xf0, 0x80, 0x73, 0x60, 0x00}},
		{"lock bts dword [rbx-0x20], edx", []byte{0xf0, 0x0f, 0xab, 0x53, 0xe0}},
		{"lock btr dword [rbx-0x20], edx", []byte{0xf0, 0x0f, 0xb3, 0x53, 0xe0}},
		{"lock cmpxchg16b [rdi]", []byte{0xf0, 0x48, 0x0f, 0xc7, 0x0f}},
		{"xchg [rbx-0x40], esi", []byte{0x87, 0x73, 0xc0}},
	}
	m := newTestCPU(t, 64, nil).Mem
	// Fill the translation caches before the goroutines share them (until
	// each thread has a memory view of its own).
	m.Store8(testData, 0)
	m.Load8(testData)
	const workers, iters = 4, 50000
	neighbours := []uint64{base - 1, base + 4, base + 0x0f, base + 0x14, base + 0x1f, base + 0x28,
		base + 0x2f, base + 0x34, base + 0x3f, base + 0x44, base + 0x4f, base + 0x58, base + 0x5f,
		base + 0x61, base - 0x21, base - 0x1c, base - 0x41, base - 0x3c, wide - 1, wide + 16}
	stop := make(chan struct{})
	plainDone := make(chan struct{})
	go func() {
		defer close(plainDone)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			for _, a := range neighbours {
				m.Store8(a, uint8(i))
			}
		}
	}()
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make(chan string, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := New(64, m.Space) // a view of its own
			in := make([]Inst, len(progs))
			for i, p := range progs {
				in[i] = decodeTest(t, 64, p.code)
			}
			in[8].Imm = 1 << w // xor: this worker's bit
			run := func(i int) { in[i].Fn(c, &in[i]) }
			c.R[RBX], c.R[RBP], c.R[RDI], c.R[RDX] = base, base, wide, uint64(w)
			<-start
			for i := 0; i < iters; i++ {
				c.R[RAX] = 1
				run(0)
				run(1)
				run(2)
				c.SetFlags(FlagCF, FlagCF)
				run(3)
				run(4)
				run(5)
				for c.R[RAX] = uint64(m.Load32(base + 0x40)); ; {
					c.R[RCX] = c.R[RAX] + 1
					if run(6); c.ZF() {
						break
					}
				}
				c.R[RAX], c.R[RDX] = uint64(m.Load32(base+0x50)), uint64(m.Load32(base+0x54))
				for {
					v := c.R[RDX]<<32 | c.R[RAX]
					c.R[RBX], c.R[RCX] = (v+5)&0xffffffff, (v+5)>>32
					if run(7); c.ZF() {
						break
					}
				}
				c.R[RBX] = base
				run(8)
				c.R[RDX] = uint64(w)
				run(9)
				if c.CF() {
					errs <- "bts found the worker's bit set"
					return
				}
				run(10)
				if !c.CF() {
					errs <- "btr found the worker's bit clear"
					return
				}
				c.R[RAX], c.R[RDX] = m.Load64(wide), m.Load64(wide+8)
				for {
					c.R[RBX], c.R[RCX] = c.R[RAX]+1, c.R[RDX]+2
					if run(11); c.ZF() {
						break
					}
				}
				c.R[RBX] = base
				c.R[RSI] = uint64(w + 1)
				run(12)
			}
		}()
	}
	close(start)
	wg.Wait()
	close(stop)
	<-plainDone
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	const total = workers * iters
	for _, chk := range []struct {
		name      string
		got, want uint64
	}{
		{"xadd", uint64(m.Load32(base)), total},
		{"add/sub", uint64(m.Load32(base + 0x10)), 2 * total},
		{"adc", uint64(m.Load32(base + 0x18)), total},
		{"inc", m.Load64(base + 0x20), total},
		{"not", uint64(m.Load32(base + 0x30)), 0}, // an even number of NOTs
		{"cmpxchg", uint64(m.Load32(base + 0x40)), total},
		{"cmpxchg8b", m.Load64(base + 0x50), 5 * total},
		{"xor", uint64(m.Load8(base + 0x60)), 0}, // each bit flipped an even number of times
		{"bts/btr", uint64(m.Load32(base - 0x20)), 0},
		{"cmpxchg16b low", m.Load64(wide), total},
		{"cmpxchg16b high", m.Load64(wide + 8), 2 * total},
	} {
		if chk.got != chk.want {
			t.Errorf("%s: %d, want %d", chk.name, chk.got, chk.want)
		}
	}
	if x := m.Load32(base - 0x40); x < 1 || x > workers {
		t.Errorf("xchg left %d", x)
	}
	last := m.Load8(neighbours[0])
	for _, a := range neighbours {
		if m.Load8(a) != last {
			t.Errorf("plain store at %#x lost: %#x, want %#x", a, m.Load8(a), last)
		}
	}
}

// BenchmarkLocked compares locked read-modify-writes with their unlocked
// forms, one goroutine, operand in a cached page.
func BenchmarkLocked(b *testing.B) {
	for _, bc := range []struct {
		name string
		code []byte
	}{
		{"add", []byte{0x01, 0x06}},
		{"lock_add", []byte{0xf0, 0x01, 0x06}},
		{"or", []byte{0x09, 0x06}},
		{"lock_or", []byte{0xf0, 0x09, 0x06}},
		{"cmpxchg", []byte{0x0f, 0xb1, 0x0e}},
		{"lock_cmpxchg", []byte{0xf0, 0x0f, 0xb1, 0x0e}},
		{"xchg", []byte{0x87, 0x06}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			c := newTestCPU(b, 64, nil)
			in := decodeTest(b, 64, bc.code)
			c.R[RSI], c.R[RAX] = testData+0x40, 1
			c.Mem.Store32(testData+0x40, 0)
			for i := 0; i < b.N; i++ {
				in.Fn(c, &in)
			}
		})
	}
}
