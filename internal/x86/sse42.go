package x86

import (
	"hash/crc32"
	"math/bits"

	"golang.org/x/arch/x86/x86asm"
)

// SSE4.2: the packed string compares PCMPESTRI, PCMPESTRM, PCMPISTRI and
// PCMPISTRM, PCMPGTQ, and CRC32 (CRC-32C on general registers).

func init() {
	sseDef(x86asm.PCMPGTQ, opPcmpgtq)
	sseDefAux(x86asm.PCMPISTRI, strImplicit|strIndex, opPcmpstr)
	sseDefAux(x86asm.PCMPISTRM, strImplicit, opPcmpstr)
	sseDefAux(x86asm.PCMPESTRI, strIndex, opPcmpstr)
	sseDefAux(x86asm.PCMPESTRM, 0, opPcmpstr)
	def(x86asm.CRC32, opCrc32)
}

func opPcmpgtq(c *CPU, in *Inst) {
	lo, hi := c.src128(in)
	d := &c.XMM[in.A[0].Reg]
	d[0], d[1] = cmpMask(int64(d[0]) > int64(lo)), cmpMask(int64(d[1]) > int64(hi))
}

// Inst.Aux bits of the string compares.
const (
	strImplicit = 1 // lengths from the first zero element (PCMPISTRx)
	strIndex    = 2 // the result is an index in ECX (PCMPxSTRI), else a mask in XMM0
)

// strElem reads element i of a string operand: bytes or words, signed or
// unsigned as imm[1:0] says.
func strElem(v *vec, i int, imm uint8) int {
	switch imm & 3 {
	case 0:
		return int(v[i])
	case 1:
		return int(v.w(i))
	case 2:
		return int(int8(v[i]))
	}
	return int(int16(v.w(i)))
}

// strLen is an explicit length: the absolute value of the register,
// saturated to the element count n.
func strLen(r uint64, wide bool, n int) int {
	v := int64(int32(r))
	if wide {
		v = int64(r)
	}
	if v < 0 {
		v = -v
	}
	if v < 0 || v > int64(n) {
		return n
	}
	return int(v)
}

// opPcmpstr is the packed string compare. The first operand (a register)
// holds the set, ranges or substring, the second (register or unaligned
// memory) the string; each element's validity comes from the lengths. The
// aggregation imm[3:2] (equal any, ranges, equal each, equal ordered) gives
// a bit per element of the second operand, the polarity imm[5:4] may
// negate it (all of it, or only the valid elements), and it is returned as
// the index of its lowest or highest set bit (imm[6]) in ECX, or as a bit
// or element mask (imm[6]) in XMM0. CF: the result is nonzero; ZF, SF: the
// second, first operand is shorter than the register; OF: result bit 0;
// AF and PF are cleared.
func opPcmpstr(c *CPU, in *Inst) {
	var lo, hi uint64
	if o := &in.A[1]; o.Kind == KXMM {
		lo, hi = c.XMM[o.Reg][0], c.XMM[o.Reg][1]
	} else {
		lo, hi = c.load128(c.EA(in))
	}
	imm := uint8(in.Imm)
	a := toVec(c.XMM[in.A[0].Reg][0], c.XMM[in.A[0].Reg][1])
	b := toVec(lo, hi)
	n := 16
	if imm&1 != 0 {
		n = 8
	}
	var la, lb int
	if in.Aux&strImplicit != 0 {
		la, lb = n, n
		for i := n - 1; i >= 0; i-- {
			if strElem(&a, i, imm) == 0 {
				la = i
			}
			if strElem(&b, i, imm) == 0 {
				lb = i
			}
		}
	} else {
		la = strLen(c.R[RAX], in.OSize == 8, n)
		lb = strLen(c.R[RDX], in.OSize == 8, n)
	}
	var res uint32
	switch imm >> 2 & 3 {
	case 0: // equal any: element j of b is one of a's
		for j := 0; j < lb; j++ {
			y := strElem(&b, j, imm)
			for i := 0; i < la; i++ {
				if strElem(&a, i, imm) == y {
					res |= 1 << j
					break
				}
			}
		}
	case 1: // ranges: element j of b lies in one of a's [lo, hi] pairs
		for j := 0; j < lb; j++ {
			y := strElem(&b, j, imm)
			for i := 0; i+1 < la; i += 2 {
				if strElem(&a, i, imm) <= y && y <= strElem(&a, i+1, imm) {
					res |= 1 << j
					break
				}
			}
		}
	case 2: // equal each: element j of a and b are equal, or both invalid
		for j := 0; j < n; j++ {
			va, vb := j < la, j < lb
			if va && vb && strElem(&a, j, imm) == strElem(&b, j, imm) || !va && !vb {
				res |= 1 << j
			}
		}
	default: // equal ordered: a occurs in b from element j (a may run past b's register but not past b's end)
		for j := 0; j < n; j++ {
			match := true
			for k := 0; k < la && j+k < n; k++ {
				if j+k >= lb || strElem(&a, k, imm) != strElem(&b, j+k, imm) {
					match = false
					break
				}
			}
			if match {
				res |= 1 << j
			}
		}
	}
	all := uint32(1)<<n - 1
	switch imm >> 4 & 3 {
	case 1:
		res ^= all
	case 3:
		res ^= uint32(1)<<lb - 1
	}
	var f uint64
	if res != 0 {
		f |= FlagCF
	}
	if lb < n {
		f |= FlagZF
	}
	if la < n {
		f |= FlagSF
	}
	if res&1 != 0 {
		f |= FlagOF
	}
	if in.Aux&strIndex != 0 {
		idx := n
		if res != 0 {
			if imm&0x40 != 0 {
				idx = 31 - bits.LeadingZeros32(res)
			} else {
				idx = bits.TrailingZeros32(res)
			}
		}
		c.R[RCX] = uint64(idx)
	} else {
		var m vec
		if imm&0x40 == 0 {
			m.setD(0, res)
		} else {
			size := 1 + int(imm&1)
			for j := 0; j < n; j++ {
				if res>>j&1 != 0 {
					for k := 0; k < size; k++ {
						m[j*size+k] = 0xff
					}
				}
			}
		}
		c.XMM[0][0], c.XMM[0][1] = m.q()
	}
	c.SetFlags(f, StatusFlags)
}

// crc32c is the CRC-32C (Castagnoli) table CRC32 uses, bit-reflected.
var crc32c = crc32.MakeTable(crc32.Castagnoli)

// opCrc32 accumulates the CRC-32C of the source (1, 2, 4 or 8 bytes,
// least significant first) into the low 32 bits of the destination,
// without the pre- and post-inversion of the usual CRC; a 64-bit
// destination's upper half is zeroed. Flags are unchanged.
func opCrc32(c *CPU, in *Inst) {
	crc := uint32(c.R[in.A[0].Reg])
	v := c.get(in, 1)
	for i := 0; i < int(in.A[1].Size); i++ {
		crc = crc32c[byte(crc)^byte(v)] ^ crc>>8
		v >>= 8
	}
	c.R[in.A[0].Reg] = uint64(crc)
}
