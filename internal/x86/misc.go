package x86

import (
	"time"

	"golang.org/x/arch/x86/x86asm"
)

// Miscellaneous integer instructions: sign extension of the accumulator,
// flag transfers, ENTER/LEAVE, PUSHA/POPA, the BCD adjustments, XLAT,
// CPUID, RDTSC, and the cache hints that are no-ops for an interpreter
// (the fences are in locked.go).

// opCbw covers CBW, CWDE and CDQE: sign-extend the low half of the
// accumulator into all of it.
func opCbw(c *CPU, in *Inst) {
	switch in.OSize {
	case 2:
		c.setRegN(RAX, 2, uint64(int8(c.R[RAX])))
	case 4:
		c.R[RAX] = uint64(uint32(int16(c.R[RAX])))
	default:
		c.R[RAX] = uint64(int32(c.R[RAX]))
	}
}

// opCwd covers CWD, CDQ and CQO: fill the data register with the sign of
// the accumulator.
func opCwd(c *CPU, in *Inst) {
	size := int(in.OSize)
	var v uint64
	if c.R[RAX]&signBit[size] != 0 {
		v = ^uint64(0)
	}
	c.setRegN(RDX, size, v)
}

// lahfMask selects the flags LAHF and SAHF transfer through AH.
const lahfMask = FlagSF | FlagZF | FlagAF | FlagPF | FlagCF

func opLahf(c *CPU, in *Inst) {
	f := c.Flags()&lahfMask | 2
	c.R[RAX] = c.R[RAX]&^0xff00 | f<<8
}

func opSahf(c *CPU, in *Inst) {
	c.SetFlags(c.R[RAX]>>8, lahfMask)
}

// popfMask is what POPF may change in user mode: the status flags, DF, TF
// (single-stepping), and AC and ID (which programs toggle to probe for
// 486/CPUID support); IF and IOPL are not writable at CPL 3.
const popfMask = StatusFlags | FlagDF | FlagTF | FlagAC | FlagID

// opPushf pushes the flags (PUSHF, PUSHFD, PUSHFQ). RF and VM read as 0.
func opPushf(c *CPU, in *Inst) {
	c.push(c.Flags()&^(1<<16|1<<17), c.pushSize(in))
}

// opPopf pops the flags; a 16-bit POPF changes only the low word. In
// system mode the CPL and IOPL rules apply (sysPopf).
func opPopf(c *CPU, in *Inst) {
	if c.Priv != nil {
		sysPopf(c, in)
		return
	}
	n := c.pushSize(in)
	v := c.pop(n)
	mask := popfMask
	if n == 2 {
		mask &= 0xffff
	}
	tf := c.TF()
	c.SetFlags(v, mask)
	if !tf && c.TF() {
		c.RIP = in.Next
		panic(resume)
	}
}

// resume is the TrapResume the instructions that set TF raise.
var resume = &Trap{Kind: TrapResume}

// TF reports the trap flag: the engine single-steps while it is set.
func (c *CPU) TF() bool { return c.flags&FlagTF != 0 }

func opClc(c *CPU, in *Inst) { c.SetCF(false) }
func opStc(c *CPU, in *Inst) { c.SetCF(true) }
func opCmc(c *CPU, in *Inst) { c.SetCF(!c.CF()) }
func opCld(c *CPU, in *Inst) { c.flags &^= FlagDF }
func opStd(c *CPU, in *Inst) { c.flags |= FlagDF }

// opEnter makes a stack frame: push RBP, copy level-1 outer frame
// pointers, push the new frame pointer, and reserve Disp bytes. Aux holds
// the nesting level (mod 32). Registers change only once every store has
// succeeded.
func opEnter(c *CPU, in *Inst) {
	n := uint64(c.stackSize(in))
	mask := c.AddrMask
	sp := (c.R[RSP] - n) & mask
	c.Mem.StoreN(sp, int(n), c.R[RBP])
	frame := sp
	if level := int(in.Aux); level > 0 {
		bp := c.R[RBP] & mask
		for i := 1; i < level; i++ {
			bp = (bp - n) & mask
			v := c.Mem.LoadN(bp, int(n))
			sp = (sp - n) & mask
			c.Mem.StoreN(sp, int(n), v)
		}
		sp = (sp - n) & mask
		c.Mem.StoreN(sp, int(n), frame)
	}
	c.setRegN(RBP, int(n), frame)
	c.setRegN(RSP, c.Mode/8, (sp-in.Disp)&mask)
}

func buildEnter(in *Inst) Handler {
	if in.Raw != nil {
		if size, ok := in.Raw.Args[0].(x86asm.Imm); ok {
			in.Disp = uint64(size) & 0xffff
		}
	}
	in.Aux = uint8(in.Imm & 31)
	return opEnter
}

// opLeave releases a stack frame: RSP = RBP, then pop RBP.
func opLeave(c *CPU, in *Inst) {
	n := c.stackSize(in)
	sp := c.R[RBP] & c.AddrMask
	v := c.Mem.LoadN(sp, n)
	c.setRegN(RSP, c.Mode/8, (sp+uint64(n))&c.AddrMask)
	c.setRegN(RBP, n, v)
}

// opPusha pushes the eight general registers (32-bit mode only); the
// stack pointer pushed is the one before the instruction.
func opPusha(c *CPU, in *Inst) {
	if c.Mode == 64 {
		panic(&Trap{Kind: TrapInvalidOp})
	}
	n := uint64(in.OSize)
	sp := c.R[RSP] & c.AddrMask
	for r := RAX; r <= RDI; r++ {
		sp = (sp - n) & c.AddrMask
		c.Mem.StoreN(sp, int(n), c.R[r])
	}
	c.setRegN(RSP, 4, sp)
}

// opPopa pops the eight general registers, skipping the stack pointer.
func opPopa(c *CPU, in *Inst) {
	if c.Mode == 64 {
		panic(&Trap{Kind: TrapInvalidOp})
	}
	n := uint64(in.OSize)
	sp := c.R[RSP] & c.AddrMask
	var v [8]uint64
	for r := RDI; r >= RAX; r-- {
		v[r] = c.Mem.LoadN(sp, int(n))
		sp = (sp + n) & c.AddrMask
	}
	for r := RAX; r <= RDI; r++ {
		if r != RSP {
			c.setRegN(r, int(n), v[r])
		}
	}
	c.setRegN(RSP, 4, sp)
}

// The BCD adjustments exist only in 32-bit mode. The flags the manuals
// leave undefined follow the host (see the notes at each).

func (c *CPU) bcdOnly32() {
	if c.Mode == 64 {
		panic(&Trap{Kind: TrapInvalidOp})
	}
}

// bcdFlags sets ZF, SF and PF from the byte al and CF, AF and OF as given.
func (c *CPU) bcdFlags(al uint64, cf, af, of bool) {
	f := uint64(0)
	if cf {
		f |= FlagCF
	}
	if af {
		f |= FlagAF
	}
	if of {
		f |= FlagOF
	}
	c.setResultBits(1, al&0xff, f)
}

// opDaa adjusts AL after a packed BCD addition.
func opDaa(c *CPU, in *Inst) {
	c.bcdOnly32()
	old := c.R[RAX] & 0xff
	oldCF, af := c.CF(), c.AF()
	al, cf := old, false
	if al&0xf > 9 || af {
		al += 6
		cf = oldCF || al > 0xff
		af = true
	} else {
		af = false
	}
	if old > 0x99 || oldCF {
		al += 0x60
		cf = true
	} else {
		cf = false
	}
	al &= 0xff
	c.R[RAX] = c.R[RAX]&^0xff | al
	// OF is undefined: the host reports the signed overflow of the
	// whole adjustment, AL + (al - old).
	of := old&0x80 == 0 && al&0x80 != 0
	c.bcdFlags(al, cf, af, of)
}

// opDas adjusts AL after a packed BCD subtraction.
func opDas(c *CPU, in *Inst) {
	c.bcdOnly32()
	old := c.R[RAX] & 0xff
	oldCF, af := c.CF(), c.AF()
	al, cf := old, false
	if al&0xf > 9 || af {
		cf = oldCF || al < 6
		al -= 6
		af = true
	} else {
		af = false
	}
	if old > 0x99 || oldCF {
		al -= 0x60
		cf = true
	}
	al &= 0xff
	c.R[RAX] = c.R[RAX]&^0xff | al
	// OF is undefined: the host reports the signed overflow of the
	// subtraction.
	of := old&0x80 != 0 && al&0x80 == 0
	c.bcdFlags(al, cf, af, of)
}

// opAaa adjusts AX after an unpacked BCD addition. Only CF and AF are
// defined; the host computes the others from the 16-bit sum AX + 0x106
// (or AX + 0 without adjustment), before AL is masked.
func opAaa(c *CPU, in *Inst) {
	c.bcdOnly32()
	ax := c.R[RAX] & 0xffff
	var add uint64
	adj := ax&0xf > 9 || c.AF()
	if adj {
		add = 0x106
	}
	sum := (ax + add) & 0xffff
	c.R[RAX] = c.R[RAX]&^0xffff | sum&0xff0f
	c.bcdWordFlags(sum, (ax^sum)&(add^sum)&0x8000 != 0, adj)
}

// opAas adjusts AX after an unpacked BCD subtraction; the undefined flags
// come from the 16-bit difference AX - 0x106 (or AX - 0), like AAA's.
func opAas(c *CPU, in *Inst) {
	c.bcdOnly32()
	ax := c.R[RAX] & 0xffff
	var sub uint64
	adj := ax&0xf > 9 || c.AF()
	if adj {
		sub = 0x106
	}
	diff := (ax - sub) & 0xffff
	c.R[RAX] = c.R[RAX]&^0xffff | diff&0xff0f
	c.bcdWordFlags(diff, (ax^sub)&(ax^diff)&0x8000 != 0, adj)
}

// bcdWordFlags sets ZF, SF and PF from the 16-bit value v, OF as given and
// CF = AF = adj.
func (c *CPU) bcdWordFlags(v uint64, of, adj bool) {
	f := uint64(0)
	if adj {
		f |= FlagCF | FlagAF
	}
	if of {
		f |= FlagOF
	}
	c.setResultBits(2, v, f)
}

// opAam splits AL into base-imm digits: AH = AL / imm, AL = AL % imm.
func opAam(c *CPU, in *Inst) {
	c.bcdOnly32()
	base := in.Imm & 0xff
	if base == 0 {
		panic(&Trap{Kind: TrapDivide})
	}
	al := c.R[RAX] & 0xff
	hi, lo := al/base, al%base
	c.R[RAX] = c.R[RAX]&^0xffff | hi<<8 | lo
	c.bcdFlags(lo, false, false, false)
}

// opAad joins two base-imm digits: AL = AL + AH*imm, AH = 0. Only ZF, SF
// and PF are defined; the host sets all six as for the byte addition of
// AL and AH*imm, and so does gemu.
func opAad(c *CPU, in *Inst) {
	c.bcdOnly32()
	base := in.Imm & 0xff
	ah := c.R[RAX] >> 8 & 0xff
	al := c.R[RAX] & 0xff
	p := ah * base & 0xff
	r := (al + p) & 0xff
	c.R[RAX] = c.R[RAX]&^0xffff | r
	c.SetLazy(flagsAdd, 1, r, al, p)
}

// segOverride returns the FS or GS segment named by an instruction's
// prefixes, or -1: the implicit operands of XLAT and the string
// instructions do not carry it in the decoded memory argument.
func segOverride(in *Inst) int8 {
	if in.Raw == nil {
		return -1
	}
	seg := int8(-1)
	for _, p := range in.Raw.Prefix {
		if p == 0 {
			break
		}
		if p&x86asm.PrefixIgnored != 0 {
			continue
		}
		switch p &^ x86asm.PrefixImplicit {
		case x86asm.PrefixFS:
			seg = FS
		case x86asm.PrefixGS:
			seg = GS
		case x86asm.PrefixES, x86asm.PrefixCS, x86asm.PrefixSS, x86asm.PrefixDS:
			seg = -1
		}
	}
	return seg
}

// opXlat loads AL from the table at [RBX + AL].
func opXlat(c *CPU, in *Inst) {
	a := (c.R[RBX] + c.R[RAX]&0xff) & sizeMask[in.ASize]
	if in.Seg >= 0 {
		a += c.SegBase[in.Seg]
	}
	c.setRegN(RAX, 1, uint64(c.Mem.Load8(a&c.AddrMask)))
}

func buildXlat(in *Inst) Handler {
	in.Seg = segOverride(in)
	return opXlat
}

// CPU identification. gemu presents itself as a family 6 Intel processor
// that claims exactly the features it implements.

// CPUID feature bits.
const (
	cpuid1EdxFPU   = 1 << 0
	cpuid1EdxTSC   = 1 << 4
	cpuid1EdxCX8   = 1 << 8
	cpuid1EdxCMOV  = 1 << 15
	cpuid1EdxCLFSH = 1 << 19
	cpuid1EdxMMX   = 1 << 23
	cpuid1EdxFXSR  = 1 << 24
	cpuid1EdxSSE   = 1 << 25
	cpuid1EdxSSE2  = 1 << 26

	cpuid1EcxSSE3   = 1 << 0
	cpuid1EcxSSSE3  = 1 << 9
	cpuid1EcxCX16   = 1 << 13
	cpuid1EcxSSE41  = 1 << 19
	cpuid1EcxSSE42  = 1 << 20
	cpuid1EcxMOVBE  = 1 << 22
	cpuid1EcxPOPCNT = 1 << 23

	cpuid7EbxBMI1 = 1 << 3
	cpuid7EbxBMI2 = 1 << 8
	cpuid7EbxERMS = 1 << 9

	cpuidExtEcxLAHF  = 1 << 0
	cpuidExtEcxABM   = 1 << 5 // LZCNT
	cpuidExtEdxSCALL = 1 << 11
	cpuidExtEdxNX    = 1 << 20
	cpuidExtEdxRDTSP = 1 << 27
	cpuidExtEdxLM    = 1 << 29
)

// cpuidLeaf1Edx is the leaf 1 EDX feature set. MMX is claimed because
// glibc's x86-64 baseline ISA check (CMOV, CX8, FPU, FXSR, MMX, SSE, SSE2)
// refuses to load a libc marked "x86-64-baseline" without it, which would
// stop every dynamically linked 64-bit program.
const cpuidLeaf1Edx = cpuid1EdxFPU | cpuid1EdxTSC | cpuid1EdxCX8 | cpuid1EdxCMOV |
	cpuid1EdxCLFSH | cpuid1EdxMMX | cpuid1EdxFXSR | cpuid1EdxSSE | cpuid1EdxSSE2

// cpuidLeaf1Ecx is the leaf 1 ECX feature set. No AVX, XSAVE or OSXSAVE:
// VEX-encoded instructions other than BMI1/BMI2 raise #UD.
const cpuidLeaf1Ecx = cpuid1EcxSSE3 | cpuid1EcxSSSE3 | cpuid1EcxCX16 | cpuid1EcxSSE41 | cpuid1EcxSSE42 |
	cpuid1EcxMOVBE | cpuid1EcxPOPCNT

// CPUIDHWCap returns the leaf 1 EDX feature bits, which Linux reports to
// i386 and x86-64 programs as AT_HWCAP.
func CPUIDHWCap() uint32 { return cpuidLeaf1Edx }

// Cache geometry reported by leaf 4 (and 0x80000006): 32 KiB 8-way L1 data
// and instruction caches, a 1 MiB 16-way L2 and an 8 MiB 16-way L3, all
// with 64-byte lines. glibc sizes its memcpy strategies from these.
var cpuidCaches = [...]struct{ typ, level, ways, sets uint32 }{
	{1, 1, 8, 64},
	{2, 1, 8, 64},
	{3, 2, 16, 1024},
	{3, 3, 16, 8192},
}

const cpuidBrand = "gemu x86 CPU"

// CPUID returns what the CPUID instruction reports for leaf and subleaf
// (EAX and ECX on input) as seen by a 64-bit program.
func CPUID(leaf, subleaf uint32) (a, b, c, d uint32) {
	return cpuid(64, leaf, subleaf)
}

func cpuid(mode int, leaf, subleaf uint32) (a, b, c, d uint32) {
	switch leaf {
	case 0:
		// Highest basic leaf and "GenuineIntel" in EBX, EDX, ECX.
		return 7, 0x756e6547, 0x6c65746e, 0x49656e69
	case 1:
		// Family 6, model 0x0f, stepping 11 (a Core 2 signature, which
		// no library singles out for special treatment); CLFLUSH line
		// 8 quadwords; one logical processor.
		return 0x000006fb, 8<<8 | 1<<16, cpuidLeaf1Ecx, cpuidLeaf1Edx
	case 2:
		// Descriptor 0xff: the cache parameters are in leaf 4.
		return 0x0000ff01, 0, 0, 0
	case 4:
		if int(subleaf) >= len(cpuidCaches) {
			return 0, 0, 0, 0
		}
		k := cpuidCaches[subleaf]
		a = k.typ | k.level<<5 | 1<<8 // self-initializing
		b = 63 | (k.ways-1)<<22       // line size 64, 1 partition
		c = k.sets - 1
		if k.level == 3 {
			d = 2 // inclusive
		}
		return a, b, c, d
	case 7:
		if subleaf == 0 {
			return 0, cpuid7EbxBMI1 | cpuid7EbxBMI2 | cpuid7EbxERMS, 0, 0
		}
		return 0, 0, 0, 0
	case 0x80000000:
		return 0x80000008, 0, 0, 0
	case 0x80000001:
		d = cpuidExtEdxNX | cpuidExtEdxRDTSP | cpuidExtEdxLM
		if mode == 64 {
			// Intel reports SYSCALL only to 64-bit code.
			d |= cpuidExtEdxSCALL
		}
		return 0, 0, cpuidExtEcxLAHF | cpuidExtEcxABM, d
	case 0x80000002, 0x80000003, 0x80000004:
		var s [16]byte
		copy(s[:], cpuidBrand[min(len(cpuidBrand), int(leaf-0x80000002)*16):])
		w := func(i int) uint32 {
			return uint32(s[i]) | uint32(s[i+1])<<8 | uint32(s[i+2])<<16 | uint32(s[i+3])<<24
		}
		return w(0), w(4), w(8), w(12)
	case 0x80000006:
		// L2: 1024 KiB, 16-way (encoding 8), 64-byte lines.
		return 0, 0, 1024<<16 | 8<<12 | 64, 0
	case 0x80000008:
		// 39 physical, 48 virtual address bits.
		return 0x3027, 0, 0, 0
	}
	// Leaves above the maximum report the highest basic leaf's data on
	// Intel; zeros are what the unused leaves below it give, and no
	// program relies on the difference.
	return 0, 0, 0, 0
}

func opCpuid(c *CPU, in *Inst) {
	if c.Priv != nil {
		sysCpuid(c)
		return
	}
	a, b, cc, d := cpuid(c.Mode, uint32(c.R[RAX]), uint32(c.R[RCX]))
	c.R[RAX], c.R[RBX], c.R[RCX], c.R[RDX] = uint64(a), uint64(b), uint64(cc), uint64(d)
}

// tscEpoch anchors the host-based time-stamp counter.
var tscEpoch = time.Now()

// readTSC returns the time-stamp counter: c.TSC if the embedder set one,
// otherwise host nanoseconds since gemu started (a 1 GHz counter).
func (c *CPU) readTSC() uint64 {
	if c.TSC != nil {
		return c.TSC()
	}
	return uint64(time.Since(tscEpoch).Nanoseconds())
}

func opRdtsc(c *CPU, in *Inst) {
	if c.Priv != nil {
		sysRdtsc(c, in)
		return
	}
	t := c.readTSC()
	c.R[RAX], c.R[RDX] = t&0xffffffff, t>>32
}

// opRdtscp is RDTSC that also returns IA32_TSC_AUX (the CPU number Linux
// stores there: always 0) in ECX.
func opRdtscp(c *CPU, in *Inst) {
	if c.Priv != nil {
		sysRdtsc(c, in)
		return
	}
	opRdtsc(c, in)
	c.R[RCX] = 0
}

func init() {
	for _, op := range []x86asm.Op{x86asm.CBW, x86asm.CWDE, x86asm.CDQE} {
		def(op, opCbw)
	}
	for _, op := range []x86asm.Op{x86asm.CWD, x86asm.CDQ, x86asm.CQO} {
		def(op, opCwd)
	}
	def(x86asm.LAHF, opLahf)
	def(x86asm.SAHF, opSahf)
	for _, op := range []x86asm.Op{x86asm.PUSHF, x86asm.PUSHFD, x86asm.PUSHFQ} {
		def(op, opPushf)
	}
	for _, op := range []x86asm.Op{x86asm.POPF, x86asm.POPFD, x86asm.POPFQ} {
		def(op, opPopf)
	}
	def(x86asm.CLC, opClc)
	def(x86asm.STC, opStc)
	def(x86asm.CMC, opCmc)
	def(x86asm.CLD, opCld)
	def(x86asm.STD, opStd)
	def(x86asm.ENTER, opEnter)
	defBuild(x86asm.ENTER, buildEnter)
	def(x86asm.LEAVE, opLeave)
	def(x86asm.PUSHA, opPusha)
	def(x86asm.PUSHAD, opPusha)
	def(x86asm.POPA, opPopa)
	def(x86asm.POPAD, opPopa)
	def(x86asm.DAA, opDaa)
	def(x86asm.DAS, opDas)
	def(x86asm.AAA, opAaa)
	def(x86asm.AAS, opAas)
	def(x86asm.AAM, opAam)
	def(x86asm.AAD, opAad)
	def(x86asm.XLATB, opXlat)
	defBuild(x86asm.XLATB, buildXlat)
	def(x86asm.CPUID, opCpuid)
	def(x86asm.RDTSC, opRdtsc)
	def(x86asm.RDTSCP, opRdtscp)
	for _, op := range []x86asm.Op{
		x86asm.CLFLUSH,
		x86asm.PREFETCHNTA, x86asm.PREFETCHT0, x86asm.PREFETCHT1, x86asm.PREFETCHT2,
		x86asm.PREFETCHW,
	} {
		def(op, opNop)
	}
	// Not claimed by CPUID, so #UD as on a processor without them.
	def(x86asm.UD0, opUndefined)
	def(x86asm.XGETBV, opUndefined)
	def(x86asm.RDRAND, opUndefined)
	// I/O and interrupt-flag instructions fault at CPL 3 with IOPL 0 (user
	// mode); in system mode they check CPL against IOPL (sysctl.go,
	// sysio.go).
	def(x86asm.CLI, opCli)
	def(x86asm.STI, opSti)
	def(x86asm.IN, opIn)
	def(x86asm.OUT, opOut)
	for _, op := range []x86asm.Op{x86asm.INSB, x86asm.INSW, x86asm.INSD} {
		def(op, opIns)
	}
	for _, op := range []x86asm.Op{x86asm.OUTSB, x86asm.OUTSW, x86asm.OUTSD} {
		def(op, opOuts)
	}
}
