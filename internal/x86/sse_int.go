package x86

import "golang.org/x/arch/x86/x86asm"

// SSE2 integer SIMD on XMM registers: logic, add/subtract (wrapping and
// saturating), compares, min/max, averages, multiplies, shifts, packs,
// unpacks and shuffles. The bitwise floating-point logic (ANDPS, XORPD...)
// shares the integer handlers: it touches no MXCSR state.
//
// Operations whose 64-bit halves are independent are written as functions
// of one destination and one source quadword (qop) and applied to both
// halves by opQ; the hottest ones used by glibc's string functions have
// their own handlers.

// qop computes one 64-bit half of a lane-wise operation.
type qop func(d, s uint64) uint64

// Indexes into qops, stored in Inst.Aux.
const (
	qPaddB uint8 = iota
	qPaddW
	qPaddD
	qPaddQ
	qPsubW
	qPsubD
	qPsubQ
	qPaddSB
	qPaddSW
	qPaddUSB
	qPaddUSW
	qPsubSB
	qPsubSW
	qPsubUSB
	qPsubUSW
	qPcmpeqW
	qPcmpeqD
	qPcmpgtB
	qPcmpgtW
	qPcmpgtD
	qPmaxUB
	qPminSW
	qPmaxSW
	qPavgB
	qPavgW
	qPmullW
	qPmulhW
	qPmulhUW
	qPmulUDQ
	qPmaddWD
	qPsadBW
	numQops
)

var qops = [numQops]qop{
	qPaddB:   paddb,
	qPaddW:   func(a, b uint64) uint64 { return laneAdd(a, b, 0x8000800080008000) },
	qPaddD:   func(a, b uint64) uint64 { return laneAdd(a, b, 0x8000000080000000) },
	qPaddQ:   func(a, b uint64) uint64 { return a + b },
	qPsubW:   func(a, b uint64) uint64 { return laneSub(a, b, 0x8000800080008000) },
	qPsubD:   func(a, b uint64) uint64 { return laneSub(a, b, 0x8000000080000000) },
	qPsubQ:   func(a, b uint64) uint64 { return a - b },
	qPaddSB:  lanes8(func(a, b uint8) uint8 { return satS8(int(int8(a)) + int(int8(b))) }),
	qPaddSW:  lanes16(func(a, b uint16) uint16 { return satS16(int(int16(a)) + int(int16(b))) }),
	qPaddUSB: lanes8(func(a, b uint8) uint8 { return satU8(int(a) + int(b)) }),
	qPaddUSW: lanes16(func(a, b uint16) uint16 { return satU16(int(a) + int(b)) }),
	qPsubSB:  lanes8(func(a, b uint8) uint8 { return satS8(int(int8(a)) - int(int8(b))) }),
	qPsubSW:  lanes16(func(a, b uint16) uint16 { return satS16(int(int16(a)) - int(int16(b))) }),
	qPsubUSB: lanes8(func(a, b uint8) uint8 { return satU8(int(a) - int(b)) }),
	qPsubUSW: lanes16(func(a, b uint16) uint16 { return satU16(int(a) - int(b)) }),
	qPcmpeqW: lanes16(func(a, b uint16) uint16 { return mask16(a == b) }),
	qPcmpeqD: lanes32(func(a, b uint32) uint32 { return uint32(mask16(a == b)) * 0x10001 }),
	qPcmpgtB: lanes8(func(a, b uint8) uint8 { return uint8(mask16(int8(a) > int8(b))) }),
	qPcmpgtW: lanes16(func(a, b uint16) uint16 { return mask16(int16(a) > int16(b)) }),
	qPcmpgtD: lanes32(func(a, b uint32) uint32 { return uint32(mask16(int32(a) > int32(b))) * 0x10001 }),
	qPmaxUB:  lanes8(func(a, b uint8) uint8 { return max(a, b) }),
	qPminSW:  lanes16(func(a, b uint16) uint16 { return uint16(min(int16(a), int16(b))) }),
	qPmaxSW:  lanes16(func(a, b uint16) uint16 { return uint16(max(int16(a), int16(b))) }),
	qPavgB:   lanes8(func(a, b uint8) uint8 { return uint8((uint(a) + uint(b) + 1) >> 1) }),
	qPavgW:   lanes16(func(a, b uint16) uint16 { return uint16((uint(a) + uint(b) + 1) >> 1) }),
	qPmullW:  lanes16(func(a, b uint16) uint16 { return a * b }),
	qPmulhW:  lanes16(func(a, b uint16) uint16 { return uint16(int32(int16(a)) * int32(int16(b)) >> 16) }),
	qPmulhUW: lanes16(func(a, b uint16) uint16 { return uint16(uint32(a) * uint32(b) >> 16) }),
	qPmulUDQ: func(a, b uint64) uint64 { return (a & 0xffffffff) * (b & 0xffffffff) },
	qPmaddWD: lanes32(func(a, b uint32) uint32 {
		return uint32(int32(int16(a))*int32(int16(b)) + int32(int16(a>>16))*int32(int16(b>>16)))
	}),
	qPsadBW: psadbw,
}

func lanes8(f func(a, b uint8) uint8) qop {
	return func(d, s uint64) uint64 {
		var r uint64
		for i := 0; i < 64; i += 8 {
			r |= uint64(f(uint8(d>>i), uint8(s>>i))) << i
		}
		return r
	}
}

func lanes16(f func(a, b uint16) uint16) qop {
	return func(d, s uint64) uint64 {
		var r uint64
		for i := 0; i < 64; i += 16 {
			r |= uint64(f(uint16(d>>i), uint16(s>>i))) << i
		}
		return r
	}
}

func lanes32(f func(a, b uint32) uint32) qop {
	return func(d, s uint64) uint64 {
		return uint64(f(uint32(d), uint32(s))) | uint64(f(uint32(d>>32), uint32(s>>32)))<<32
	}
}

func mask16(b bool) uint16 {
	if b {
		return 0xffff
	}
	return 0
}

func satS8(v int) uint8   { return uint8(int8(min(max(v, -128), 127))) }
func satS16(v int) uint16 { return uint16(int16(min(max(v, -32768), 32767))) }
func satU8(v int) uint8   { return uint8(min(max(v, 0), 255)) }
func satU16(v int) uint16 { return uint16(min(max(v, 0), 65535)) }

const (
	lo7s = 0x7f7f7f7f7f7f7f7f
	hi1s = 0x8080808080808080
)

// laneAdd adds the lanes of a and b whose top bits are h, without carries
// between lanes: the top bits are added separately, without carry out.
func laneAdd(a, b, h uint64) uint64 {
	return (a&^h + b&^h) ^ (a^b)&h
}

// laneSub subtracts lanes without borrows between them: setting each
// minuend's top bit absorbs the borrow, which the final XOR then accounts
// for.
func laneSub(a, b, h uint64) uint64 {
	return (a | h - b&^h) ^ (a^^b)&h
}

// paddb adds bytes without carries between them.
func paddb(a, b uint64) uint64 { return laneAdd(a, b, hi1s) }

// psubb subtracts bytes without borrows between them.
func psubb(a, b uint64) uint64 { return laneSub(a, b, hi1s) }

// pcmpeqb is 0xff in each byte where a and b are equal.
func pcmpeqb(a, b uint64) uint64 {
	x := a ^ b
	// Top bit set exactly in the zero bytes of x.
	t := ^((x&lo7s + lo7s) | x | lo7s)
	return (t >> 7) * 0xff
}

// pminub is the unsigned byte-wise minimum.
func pminub(a, b uint64) uint64 {
	// Per-byte a-b with a borrow out of each byte: set where a < b.
	lt := ltU8(a, b)
	return a&lt | b&^lt
}

// ltU8 is 0xff in each byte where a < b (unsigned), else 0.
func ltU8(a, b uint64) uint64 {
	// a < b in a byte iff its subtraction borrows: compute the borrow out
	// of bit 7 from the bits of a, b and the difference.
	d := psubb(a, b)
	borrow := (^a&b | ^(a^b)&d) & hi1s
	return (borrow >> 7) * 0xff
}

func psadbw(a, b uint64) uint64 {
	var s uint64
	for i := 0; i < 64; i += 8 {
		x, y := int(uint8(a>>i)), int(uint8(b>>i))
		if x > y {
			s += uint64(x - y)
		} else {
			s += uint64(y - x)
		}
	}
	return s
}

func init() {
	qdefs := []struct {
		op x86asm.Op
		q  uint8
	}{
		{x86asm.PADDW, qPaddW}, {x86asm.PADDD, qPaddD}, {x86asm.PADDQ, qPaddQ},
		{x86asm.PSUBW, qPsubW}, {x86asm.PSUBD, qPsubD}, {x86asm.PSUBQ, qPsubQ},
		{x86asm.PADDSB, qPaddSB}, {x86asm.PADDSW, qPaddSW},
		{x86asm.PADDUSB, qPaddUSB}, {x86asm.PADDUSW, qPaddUSW},
		{x86asm.PSUBSB, qPsubSB}, {x86asm.PSUBSW, qPsubSW},
		{x86asm.PSUBUSB, qPsubUSB}, {x86asm.PSUBUSW, qPsubUSW},
		{x86asm.PCMPEQW, qPcmpeqW}, {x86asm.PCMPEQD, qPcmpeqD},
		{x86asm.PCMPGTB, qPcmpgtB}, {x86asm.PCMPGTW, qPcmpgtW}, {x86asm.PCMPGTD, qPcmpgtD},
		{x86asm.PMAXUB, qPmaxUB}, {x86asm.PMINSW, qPminSW}, {x86asm.PMAXSW, qPmaxSW},
		{x86asm.PAVGB, qPavgB}, {x86asm.PAVGW, qPavgW},
		{x86asm.PMULLW, qPmullW}, {x86asm.PMULHW, qPmulhW}, {x86asm.PMULHUW, qPmulhUW},
		{x86asm.PMULUDQ, qPmulUDQ}, {x86asm.PMADDWD, qPmaddWD}, {x86asm.PSADBW, qPsadBW},
	}
	for _, d := range qdefs {
		sseDefAux(d.op, d.q, opQ)
	}
	sseDef(x86asm.PADDB, opPaddb)
	sseDef(x86asm.PSUBB, opPsubb)
	sseDef(x86asm.PCMPEQB, opPcmpeqb)
	sseDef(x86asm.PMINUB, opPminub)
	for _, op := range []x86asm.Op{x86asm.PAND, x86asm.ANDPS, x86asm.ANDPD} {
		sseDef(op, opPand)
	}
	for _, op := range []x86asm.Op{x86asm.PANDN, x86asm.ANDNPS, x86asm.ANDNPD} {
		sseDef(op, opPandn)
	}
	for _, op := range []x86asm.Op{x86asm.POR, x86asm.ORPS, x86asm.ORPD} {
		sseDef(op, opPor)
	}
	for _, op := range []x86asm.Op{x86asm.PXOR, x86asm.XORPS, x86asm.XORPD} {
		sseDef(op, opPxor)
	}

	// Shifts: Aux is the lane width in bits; the count comes from an
	// immediate or the low quadword of an XMM/m128 operand.
	for _, s := range []struct {
		op   x86asm.Op
		bits uint8
		h    Handler
	}{
		{x86asm.PSLLW, 16, opPsll}, {x86asm.PSLLD, 32, opPsll}, {x86asm.PSLLQ, 64, opPsll},
		{x86asm.PSRLW, 16, opPsrl}, {x86asm.PSRLD, 32, opPsrl}, {x86asm.PSRLQ, 64, opPsrl},
		{x86asm.PSRAW, 16, opPsra}, {x86asm.PSRAD, 32, opPsra},
	} {
		sseDefAux(s.op, s.bits, s.h)
	}
	sseDef(x86asm.PSLLDQ, opPslldq)
	sseDef(x86asm.PSRLDQ, opPsrldq)

	// Interleaves: Aux is the element size in bytes; the low forms take
	// the low halves of both operands, the high forms the high halves.
	for _, u := range []struct {
		op   x86asm.Op
		size uint8
		h    Handler
	}{
		{x86asm.PUNPCKLBW, 1, opPunpckl}, {x86asm.PUNPCKLWD, 2, opPunpckl},
		{x86asm.PUNPCKLDQ, 4, opPunpckl}, {x86asm.PUNPCKLQDQ, 8, opPunpckl},
		{x86asm.PUNPCKHBW, 1, opPunpckh}, {x86asm.PUNPCKHWD, 2, opPunpckh},
		{x86asm.PUNPCKHDQ, 4, opPunpckh}, {x86asm.PUNPCKHQDQ, 8, opPunpckh},
		{x86asm.UNPCKLPS, 4, opPunpckl}, {x86asm.UNPCKLPD, 8, opPunpckl},
		{x86asm.UNPCKHPS, 4, opPunpckh}, {x86asm.UNPCKHPD, 8, opPunpckh},
	} {
		sseDefAux(u.op, u.size, u.h)
	}
	sseDef(x86asm.PACKSSWB, opPacksswb)
	sseDef(x86asm.PACKSSDW, opPackssdw)
	sseDef(x86asm.PACKUSWB, opPackuswb)

	sseDef(x86asm.PSHUFD, opPshufd)
	sseDef(x86asm.PSHUFLW, opPshuflw)
	sseDef(x86asm.PSHUFHW, opPshufhw)
	sseDef(x86asm.SHUFPS, opShufps)
	sseDef(x86asm.SHUFPD, opShufpd)
	sseDef(x86asm.PINSRW, opPinsrw)
	sseDef(x86asm.PEXTRW, opPextrw)
}

// opQ applies qops[Aux] to both halves of the destination and source.
func opQ(c *CPU, in *Inst) {
	lo, hi := c.src128(in)
	f := qops[in.Aux]
	d := &c.XMM[in.A[0].Reg]
	d[0], d[1] = f(d[0], lo), f(d[1], hi)
}

func opPaddb(c *CPU, in *Inst) {
	lo, hi := c.src128(in)
	d := &c.XMM[in.A[0].Reg]
	d[0], d[1] = paddb(d[0], lo), paddb(d[1], hi)
}

func opPsubb(c *CPU, in *Inst) {
	lo, hi := c.src128(in)
	d := &c.XMM[in.A[0].Reg]
	d[0], d[1] = psubb(d[0], lo), psubb(d[1], hi)
}

func opPcmpeqb(c *CPU, in *Inst) {
	lo, hi := c.src128(in)
	d := &c.XMM[in.A[0].Reg]
	d[0], d[1] = pcmpeqb(d[0], lo), pcmpeqb(d[1], hi)
}

func opPminub(c *CPU, in *Inst) {
	lo, hi := c.src128(in)
	d := &c.XMM[in.A[0].Reg]
	d[0], d[1] = pminub(d[0], lo), pminub(d[1], hi)
}

func opPand(c *CPU, in *Inst) {
	lo, hi := c.src128(in)
	d := &c.XMM[in.A[0].Reg]
	d[0] &= lo
	d[1] &= hi
}

func opPandn(c *CPU, in *Inst) {
	lo, hi := c.src128(in)
	d := &c.XMM[in.A[0].Reg]
	d[0] = ^d[0] & lo
	d[1] = ^d[1] & hi
}

func opPor(c *CPU, in *Inst) {
	lo, hi := c.src128(in)
	d := &c.XMM[in.A[0].Reg]
	d[0] |= lo
	d[1] |= hi
}

func opPxor(c *CPU, in *Inst) {
	lo, hi := c.src128(in)
	d := &c.XMM[in.A[0].Reg]
	d[0] ^= lo
	d[1] ^= hi
}

// xmmShiftCount is the count of a packed shift: the immediate, or the whole
// low quadword of the XMM/m128 operand (counts past the lane width clear
// the lanes, or fill them with the sign).
func (c *CPU) xmmShiftCount(in *Inst) uint64 {
	if in.A[1].Kind == KImm {
		return in.Imm & 0xff
	}
	lo, _ := c.src128(in)
	return lo
}

// laneLow is the mask of the low bit of each lane of the given width.
func laneLow(w uint8) uint64 {
	switch w {
	case 16:
		return 0x0001000100010001
	case 32:
		return 0x0000000100000001
	}
	return 1
}

func opPsll(c *CPU, in *Inst) {
	n := c.xmmShiftCount(in)
	d := &c.XMM[in.A[0].Reg]
	d[0], d[1] = psllLanes(d[0], n, in.Aux), psllLanes(d[1], n, in.Aux)
}

func opPsrl(c *CPU, in *Inst) {
	n := c.xmmShiftCount(in)
	d := &c.XMM[in.A[0].Reg]
	d[0], d[1] = psrlLanes(d[0], n, in.Aux), psrlLanes(d[1], n, in.Aux)
}

func opPsra(c *CPU, in *Inst) {
	n := c.xmmShiftCount(in)
	d := &c.XMM[in.A[0].Reg]
	d[0], d[1] = psraLanes(d[0], n, in.Aux), psraLanes(d[1], n, in.Aux)
}

// psllLanes shifts each lane of width w bits (16, 32 or 64) of q left by
// n; counts past the lane width clear it. It shifts the whole quadword and
// drops the bits that crossed into the next lane.
func psllLanes(q, n uint64, w uint8) uint64 {
	if n >= uint64(w) {
		return 0
	}
	return q << n & laneMaskShl(w, uint(n))
}

// psrlLanes is the logical right shift of each lane.
func psrlLanes(q, n uint64, w uint8) uint64 {
	if n >= uint64(w) {
		return 0
	}
	return q >> n & laneMaskShr(w, uint(n))
}

// psraLanes is the arithmetic right shift of each 16 or 32-bit lane;
// counts past the lane width fill it with its sign.
func psraLanes(q, n uint64, w uint8) uint64 {
	wb := uint(w)
	if n >= uint64(w) {
		n = uint64(w - 1)
	}
	var r uint64
	for i := uint(0); i < 64; i += wb {
		lane := int64(q<<(64-wb-i)) >> (64 - wb) // sign-extended lane i
		r |= uint64(lane>>n) & (1<<wb - 1) << i
	}
	return r
}

// laneMaskShl is the mask of the bits that stay inside their lane of width
// w after a left shift by n < w.
func laneMaskShl(w uint8, n uint) uint64 {
	lane := uint64(1)<<w - 1
	if w == 64 {
		lane = ^uint64(0)
	}
	return (lane << n & lane) * (laneLow(w))
}

// laneMaskShr is the same for a right shift.
func laneMaskShr(w uint8, n uint) uint64 {
	lane := uint64(1)<<w - 1
	if w == 64 {
		lane = ^uint64(0)
	}
	return (lane >> n) * laneLow(w)
}

// shl128 and shr128 shift a 128-bit value by n bytes (n < 16).
func shl128(lo, hi uint64, n uint) (uint64, uint64) {
	s := 8 * n
	if s >= 64 {
		return 0, lo << (s - 64)
	}
	if s == 0 {
		return lo, hi
	}
	return lo << s, hi<<s | lo>>(64-s)
}

func shr128(lo, hi uint64, n uint) (uint64, uint64) {
	s := 8 * n
	if s >= 64 {
		return hi >> (s - 64), 0
	}
	if s == 0 {
		return lo, hi
	}
	return lo>>s | hi<<(64-s), hi >> s
}

func opPslldq(c *CPU, in *Inst) {
	d := &c.XMM[in.A[0].Reg]
	n := in.Imm & 0xff
	if n > 15 {
		d[0], d[1] = 0, 0
		return
	}
	d[0], d[1] = shl128(d[0], d[1], uint(n))
}

func opPsrldq(c *CPU, in *Inst) {
	d := &c.XMM[in.A[0].Reg]
	n := in.Imm & 0xff
	if n > 15 {
		d[0], d[1] = 0, 0
		return
	}
	d[0], d[1] = shr128(d[0], d[1], uint(n))
}

// interleave merges the elements of two quadwords, a's first:
// a0 b0 a1 b1 ... for elements of size bytes. It returns the low and high
// quadwords of the 128-bit result.
func interleave(a, b uint64, size uint8) (uint64, uint64) {
	if size == 8 {
		return a, b
	}
	w := uint(size) * 8
	m := uint64(1)<<w - 1
	var r [2]uint64
	n := 64 / w // elements per quadword
	for i := uint(0); i < n; i++ {
		ea, eb := a>>(i*w)&m, b>>(i*w)&m
		pos := 2 * i * w // bit position of ea in the 128-bit result
		r[pos/64] |= ea << (pos % 64)
		pos += w
		r[pos/64] |= eb << (pos % 64)
	}
	return r[0], r[1]
}

func opPunpckl(c *CPU, in *Inst) {
	lo, _ := c.src128(in)
	d := &c.XMM[in.A[0].Reg]
	d[0], d[1] = interleave(d[0], lo, in.Aux)
}

func opPunpckh(c *CPU, in *Inst) {
	_, hi := c.src128(in)
	d := &c.XMM[in.A[0].Reg]
	d[0], d[1] = interleave(d[1], hi, in.Aux)
}

// packWords narrows the four 16-bit lanes of q to bytes with f.
func packWords(q uint64, f func(int) uint8) uint64 {
	var r uint64
	for i := 0; i < 4; i++ {
		r |= uint64(f(int(int16(q>>(16*i))))) << (8 * i)
	}
	return r
}

// packsswb narrows the words of a and then b to signed-saturated bytes:
// the four bytes from a form the low half of the result.
func packsswb(a, b uint64) uint64 { return packWords(a, satS8) | packWords(b, satS8)<<32 }

// packuswb is packsswb with unsigned saturation.
func packuswb(a, b uint64) uint64 { return packWords(a, satU8) | packWords(b, satU8)<<32 }

// packssdw narrows the doublewords of a and then b to signed-saturated
// words.
func packssdw(a, b uint64) uint64 { return packDwords(a) | packDwords(b)<<32 }

func opPacksswb(c *CPU, in *Inst) {
	lo, hi := c.src128(in)
	d := &c.XMM[in.A[0].Reg]
	d[0], d[1] = packsswb(d[0], d[1]), packsswb(lo, hi)
}

func opPackuswb(c *CPU, in *Inst) {
	lo, hi := c.src128(in)
	d := &c.XMM[in.A[0].Reg]
	d[0], d[1] = packuswb(d[0], d[1]), packuswb(lo, hi)
}

// packDwords narrows the two 32-bit lanes of q to signed-saturated words.
func packDwords(q uint64) uint64 {
	return uint64(satS16(int(int32(q)))) | uint64(satS16(int(int32(q>>32))))<<16
}

func opPackssdw(c *CPU, in *Inst) {
	lo, hi := c.src128(in)
	d := &c.XMM[in.A[0].Reg]
	d[0], d[1] = packssdw(d[0], d[1]), packssdw(lo, hi)
}

// dword returns doubleword i (0..3) of a 128-bit value.
func dword(lo, hi uint64, i uint64) uint64 {
	q := lo
	if i >= 2 {
		q = hi
	}
	return q >> (32 * (i & 1)) & 0xffffffff
}

func opPshufd(c *CPU, in *Inst) {
	lo, hi := c.src128(in)
	im := in.Imm
	d := &c.XMM[in.A[0].Reg]
	d[0] = dword(lo, hi, im&3) | dword(lo, hi, im>>2&3)<<32
	d[1] = dword(lo, hi, im>>4&3) | dword(lo, hi, im>>6&3)<<32
}

// shufWords permutes the four words of q by the 2-bit fields of im.
func shufWords(q, im uint64) uint64 {
	var r uint64
	for i := uint(0); i < 4; i++ {
		r |= q >> (16 * (im >> (2 * i) & 3)) & 0xffff << (16 * i)
	}
	return r
}

func opPshuflw(c *CPU, in *Inst) {
	lo, hi := c.src128(in)
	c.XMM[in.A[0].Reg] = [2]uint64{shufWords(lo, in.Imm), hi}
}

func opPshufhw(c *CPU, in *Inst) {
	lo, hi := c.src128(in)
	c.XMM[in.A[0].Reg] = [2]uint64{lo, shufWords(hi, in.Imm)}
}

// opShufps takes the low two result elements from the destination and the
// high two from the source, each chosen by two bits of the immediate.
func opShufps(c *CPU, in *Inst) {
	lo, hi := c.src128(in)
	im := in.Imm
	d := &c.XMM[in.A[0].Reg]
	d0, d1 := d[0], d[1]
	d[0] = dword(d0, d1, im&3) | dword(d0, d1, im>>2&3)<<32
	d[1] = dword(lo, hi, im>>4&3) | dword(lo, hi, im>>6&3)<<32
}

func opShufpd(c *CPU, in *Inst) {
	lo, hi := c.src128(in)
	d := &c.XMM[in.A[0].Reg]
	r0 := d[in.Imm&1]
	r1 := lo
	if in.Imm&2 != 0 {
		r1 = hi
	}
	d[0], d[1] = r0, r1
}

func opPinsrw(c *CPU, in *Inst) {
	var v uint64
	if in.A[1].Kind == KReg {
		v = c.R[in.A[1].Reg] & 0xffff
	} else {
		v = uint64(c.Mem.Load16(c.EA(in)))
	}
	i := in.Imm & 7
	q := &c.XMM[in.A[0].Reg][i/4]
	*q = insertWord(*q, v, i%4)
}

// insertWord replaces word i (0..3) of q with the low 16 bits of v.
func insertWord(q, v, i uint64) uint64 {
	sh := 16 * i
	return q&^(0xffff<<sh) | (v&0xffff)<<sh
}

// opPextrw extracts a word to a general register (zero-extended) or, in
// the SSE4.1 encoding 66 0F 3A 15, to memory.
func opPextrw(c *CPU, in *Inst) {
	i := in.Imm & 7
	v := c.XMM[in.A[1].Reg][i/4] >> (16 * (i % 4)) & 0xffff
	if in.A[0].Kind == KMem {
		c.Mem.Store16(c.EA(in), uint16(v))
		return
	}
	c.R[in.A[0].Reg] = v
}
