package x86

import (
	"runtime/debug"
	"testing"

	"gemu/internal/mem"
)

// FuzzDecodeExecute runs random bytes as guest code in 32 and 64-bit mode:
// decode and execute a few instructions on a fresh CPU. CPU exceptions
// (*Trap) and refused memory accesses (*mem.Fault) are the expected ways
// for garbage to stop; any other Go panic is a bug in gemu.
//
//	go test -fuzz FuzzDecodeExecute -fuzztime 120s ./internal/x86/
func FuzzDecodeExecute(f *testing.F) {
	seeds := [][]byte{
		{0x01, 0xd8},                                  // add eax, ebx
		{0xf3, 0xa4},                                  // rep movsb
		{0xf3, 0x48, 0xab},                            // rep stosq
		{0xf2, 0xae},                                  // repne scasb
		{0x66, 0xf3, 0xa7},                            // repe cmpsw
		{0x48, 0xf7, 0xf3},                            // div rbx
		{0xf6, 0xfb},                                  // idiv bl
		{0x0f, 0xa5, 0xd0},                            // shld eax, edx, cl
		{0x66, 0x0f, 0xac, 0xd0, 0x1f},                // shrd ax, dx, 31
		{0xd3, 0xd0},                                  // rcl eax, cl
		{0x0f, 0xab, 0x03},                            // bts [rbx], eax
		{0x48, 0x0f, 0xc7, 0x0e},                      // cmpxchg16b [rsi]
		{0xc8, 0x10, 0x00, 0x05},                      // enter 16, 5
		{0x27, 0x2f, 0x37, 0x3f, 0xd4, 0x00},          // daa das aaa aas aam 0
		{0x9c, 0x9d, 0x60, 0x61},                      // pushf popf pusha popa
		{0x0f, 0xa2, 0x0f, 0x31},                      // cpuid rdtsc
		{0xf3, 0x0f, 0x1e, 0xfa},                      // endbr64
		{0x64, 0x48, 0x8b, 0x04, 0x25, 0x28, 0, 0, 0}, // mov rax, fs:[0x28]
		{0xe8, 0x00, 0x00, 0x00, 0x00, 0xc3},          // call; ret
		{0x0f, 0x05},                                  // syscall
		{0xcd, 0x80},                                  // int 0x80
		{0xd9, 0xe8, 0xdd, 0x18},                      // fld1; fstp qword [rax]
		{0x66, 0x0f, 0xef, 0xc0},                      // pxor xmm0, xmm0
		{0xf2, 0x0f, 0x59, 0x03},                      // mulsd xmm0, [rbx]
		{0xc5, 0xf9, 0xef, 0xc0},                      // vpxor xmm0, xmm0, xmm0
		{0xc4, 0xe2, 0x70, 0xf2, 0x03},                // andn eax, ecx, [rbx]
		{0xc4, 0xe2, 0xeb, 0xf6, 0x0b},                // mulx rcx, rdx, [rbx]
		{0xc4, 0xe3, 0xfb, 0xf0, 0xc1, 0x07},          // rorx rax, rcx, 7
		{0xc4, 0x03},                                  // les eax, [ebx] (32-bit)
		{0x62, 0xf1, 0x7d, 0x48, 0xef, 0xc0},          // vpxord zmm0 (EVEX)
	}
	for i, s := range seeds {
		f.Add(s, i%2 == 0, uint64(i)*0x9e3779b97f4a7c15)
		f.Add(s, i%2 != 0, ^uint64(i))
	}
	f.Fuzz(func(t *testing.T, code []byte, long bool, seed uint64) {
		if len(code) > 256 {
			code = code[:256]
		}
		mode := 32
		if long {
			mode = 64
		}
		c := newTestCPU(t, mode, code)
		c.TSC = func() uint64 { return 12345 }
		// Registers point into the data area (with some left far away)
		// so that memory operands reach both mapped and unmapped pages.
		for r := range c.R {
			if r == RSP {
				continue
			}
			c.R[r] = testData + (seed>>uint(r*4))&0xffff
			if (seed>>uint(r))&0x11 == 0x11 {
				c.R[r] = seed * uint64(r+1)
			}
		}
		c.R[RCX] &= 0x3ff
		if mode == 32 {
			for r := range c.R {
				c.R[r] &= 0xffffffff
			}
		}
		c.SetFlags(seed, StatusFlags|FlagDF)
		end := uint64(testCode + len(code))
		for i := 0; i < 16 && c.RIP >= testCode && c.RIP < end && !c.Exited; i++ {
			if stop := fuzzStep(t, c); stop {
				return
			}
		}
	})
}

// fuzzStep executes one instruction and reports whether it stopped with an
// expected exception; an unexpected panic fails the test with its stack.
func fuzzStep(t *testing.T, c *CPU) (stop bool) {
	var buf [MaxInstLen]byte
	n := c.Mem.Fetch(c.RIP, buf[:])
	in, _ := Decode(c.Mode, c.RIP, buf[:n])
	if in.Fn == nil {
		t.Fatalf("% x: decoded without a handler", buf[:n])
	}
	if in.Len == 0 || int(in.Len) > MaxInstLen {
		t.Fatalf("% x: length %d", buf[:n], in.Len)
	}
	_ = in.String()
	_ = in.IsBranch()
	PruneFlags([]Inst{in})
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		switch r.(type) {
		case *Trap, *mem.Fault:
			stop = true
		default:
			t.Fatalf("%d-bit % x (%s): panic %v\n%s", c.Mode, buf[:n], in.String(), r, debug.Stack())
		}
	}()
	c.RIP = in.Next
	in.Fn(c, &in)
	if c.Mode == 32 && (c.RIP>>32 != 0 || c.R[RSP]>>32 != 0) {
		t.Fatalf("%d-bit % x (%s): 64-bit value in rip %#x / esp %#x", c.Mode, buf[:n], in.String(), c.RIP, c.R[RSP])
	}
	return false
}
