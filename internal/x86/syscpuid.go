package x86

import "fmt"

// CPUID for a kernel (gemu-system). A CPUModel is what -cpu names: the
// identification and the feature bits CPUID reports in system mode. Each
// model claims exactly what gemu implements for a kernel, so that Linux
// chooses code paths gemu can run: no XSAVE/AVX (XSAVE and XGETBV are not
// implemented), no PCID, SMEP, SMAP, UMIP or PKU (the MMU does not enforce
// them), no MONITOR/MWAIT, no x2APIC, no MCE/MCA (no machine-check MSRs),
// no hypervisor bit. The local APIC bit follows the board (CPUModel.APIC).
// User mode keeps its own CPUID (misc.go's cpuid): a process sees the
// same CPU whatever the model.

// CPUModel describes a CPU as CPUID reports it in system mode.
type CPUModel struct {
	Name string // -cpu name
	Desc string // one line for -cpu help
	// Vendor is the 12-byte vendor string of leaf 0; Brand the brand
	// string of leaves 0x80000002-4 (up to 47 bytes).
	Vendor, Brand string
	// Family, Model and Stepping make the leaf 1 signature.
	Family, Model, Stepping uint32
	// Feature bits: leaf 1 EDX and ECX, leaf 7 (subleaf 0) EBX and EDX,
	// leaf 0x80000001 EDX and ECX. APIC (leaf 1 EDX bit 9) is not in Leaf1EDX:
	// it is set from the APIC field.
	Leaf1EDX, Leaf1ECX uint32
	Leaf7EBX, Leaf7EDX uint32
	Ext1EDX, Ext1ECX   uint32
	// PhysBits and VirtBits are the physical and linear address widths
	// (leaf 0x80000008): MAXPHYADDR bounds CR3, the MTRR and APIC base
	// MSRs.
	PhysBits, VirtBits uint32
	// APIC says that the board has a local APIC: CPUID then reports it
	// (leaf 1 EDX bit 9) with initial APIC ID 0.
	APIC bool
	// TSCHz is the rate of the time-stamp counter, reported as the core
	// crystal clock of leaf 0x15 with a TSC/crystal ratio of 1, and in
	// MHz as the base and maximum frequency of leaf 0x16 (0: neither
	// leaf, the highest basic leaf is 7). Linux then takes the TSC
	// frequency from CPUID instead of calibrating it against the PIT
	// (which needs a million port reads a second, more than an emulated
	// loop may do), and also takes the crystal for the local APIC
	// timer's input clock: a board with a local APIC must clock its
	// timer at TSCHz (before the divide configuration).
	TSCHz uint32
}

// tscHz is the rate of the TSC gemu-system's CPUs count at when the board
// sets no TSC source: host nanoseconds (readTSC).
const tscHz = 1_000_000_000

// CPUID feature bits used by the models beyond those of user mode.
const (
	cpuid1EdxPSE = 1 << 3
	// cpuid7EbxTSCAdjust is leaf 7 EBX bit 1: IA32_TSC_ADJUST
	// (sysmsr.go). With the invariant TSC (constant and nonstop) it lets
	// Linux trust the TSC without its clocksource watchdog, which under
	// an emulator on a loaded host compares it with a jiffies count that
	// loses ticks and throws the TSC out for the slow PIT.
	cpuid7EbxTSCAdjust = 1 << 1

	// cpuidExtEdxPage1G (leaf 0x80000001 EDX bit 26): 1 GiB pages in
	// 4-level paging, which the MMU walks (mem/walk.go).
	cpuidExtEdxPage1G = 1 << 26
	cpuid1EdxMSR      = 1 << 5
	cpuid1EdxPAE      = 1 << 6
	cpuid1EdxAPIC     = 1 << 9
	cpuid1EdxSEP      = 1 << 11
	cpuid1EdxMTRR     = 1 << 12
	cpuid1EdxPGE      = 1 << 13
	cpuid1EdxPAT      = 1 << 16

	// cpuid7EdxArchCap is leaf 7 EDX bit 29: IA32_ARCH_CAPABILITIES
	// exists (sysmsr.go), which tells Linux that gemu has none of the
	// speculative-execution flaws it would otherwise assume of a family
	// 6 Intel CPU (no page-table isolation, no VERW buffer clearing).
	cpuid7EdxArchCap = 1 << 29

	// cpuidExt7EdxInvTSC is leaf 0x80000007 EDX bit 8, the invariant
	// TSC: gemu's counter runs on host time at a constant rate whatever
	// the guest does.
	cpuidExt7EdxInvTSC = 1 << 8
)

// sysLeaf1Edx is the leaf 1 EDX set of both models: user mode's set plus
// the system features gemu-system implements (4 MiB pages, RDMSR/WRMSR,
// PAE paging, SYSENTER/SYSEXIT, MTRRs, global pages, PAT).
const sysLeaf1Edx = cpuidLeaf1Edx | cpuid1EdxPSE | cpuid1EdxMSR | cpuid1EdxPAE |
	cpuid1EdxSEP | cpuid1EdxMTRR | cpuid1EdxPGE | cpuid1EdxPAT

// Model64 is the default model: an x86-64 CPU with the instruction set the
// interpreter implements (SSE to SSE4.2, POPCNT, MOVBE, BMI1/2, LZCNT),
// long mode, NX, SYSCALL and RDTSCP.
var Model64 = CPUModel{
	Name:     "gemu64",
	Desc:     "x86-64: long mode, NX, SYSCALL, SSE-SSE4.2, POPCNT (default)",
	Vendor:   "GenuineIntel",
	Brand:    "gemu x86-64 CPU",
	Family:   6,
	Model:    0x0f,
	Stepping: 11,
	Leaf1EDX: sysLeaf1Edx,
	Leaf1ECX: cpuidLeaf1Ecx,
	Leaf7EBX: cpuid7EbxTSCAdjust | cpuid7EbxBMI1 | cpuid7EbxBMI2 | cpuid7EbxERMS,
	Leaf7EDX: cpuid7EdxArchCap,
	Ext1EDX:  cpuidExtEdxSCALL | cpuidExtEdxNX | cpuidExtEdxPage1G | cpuidExtEdxRDTSP | cpuidExtEdxLM,
	Ext1ECX:  cpuidExtEcxLAHF | cpuidExtEcxABM,
	PhysBits: 39,
	VirtBits: 48,
	TSCHz:    tscHz,
}

// Model32 is a 32-bit-only CPU: the same instruction set without long
// mode, NX, SYSCALL and RDTSCP (and the 64-bit-only LAHF/SAHF bit), with
// 36-bit physical addresses as PAE gives.
var Model32 = CPUModel{
	Name:     "gemu32",
	Desc:     "i686 (32-bit only): PAE, SYSENTER, SSE-SSE4.2; no long mode, no NX",
	Vendor:   "GenuineIntel",
	Brand:    "gemu i686 CPU",
	Family:   6,
	Model:    0x0f,
	Stepping: 11,
	Leaf1EDX: sysLeaf1Edx,
	Leaf1ECX: cpuidLeaf1Ecx,
	Leaf7EBX: cpuid7EbxTSCAdjust | cpuid7EbxBMI1 | cpuid7EbxBMI2 | cpuid7EbxERMS,
	Leaf7EDX: cpuid7EdxArchCap,
	Ext1ECX:  cpuidExtEcxABM,
	PhysBits: 36,
	VirtBits: 32,
	TSCHz:    tscHz,
}

// Models returns the models -cpu accepts, the default first.
func Models() []*CPUModel { return []*CPUModel{&Model64, &Model32} }

// ModelByName returns a copy of the named model (so that the board may set
// APIC on it), or an error naming the known ones.
func ModelByName(name string) (*CPUModel, error) {
	for _, m := range Models() {
		if m.Name == name {
			c := *m
			return &c, nil
		}
	}
	return nil, fmt.Errorf("unknown CPU model %q (known: gemu64, gemu32)", name)
}

// LongMode reports whether the model has long mode (LM).
func (m *CPUModel) LongMode() bool { return m.Ext1EDX&cpuidExtEdxLM != 0 }

// NX reports whether the model has the execute-disable bit.
func (m *CPUModel) NX() bool { return m.Ext1EDX&cpuidExtEdxNX != 0 }

// has reports whether leaf 1 EDX has all the bits of f.
func (m *CPUModel) has(f uint32) bool { return m.Leaf1EDX&f == f }

// Signature is the leaf 1 EAX value (also EDX after RESET).
func (m *CPUModel) Signature() uint32 {
	fam, ext := m.Family, uint32(0)
	if fam > 0xf {
		fam, ext = 0xf, m.Family-0xf
	}
	return ext<<20 | (m.Model>>4)<<16 | fam<<8 | (m.Model&0xf)<<4 | m.Stepping&0xf
}

// str4 returns the 4 bytes of s from i as a little-endian word (zeros past
// the end).
func str4(s string, i int) uint32 {
	var w uint32
	for j := 0; j < 4; j++ {
		if i+j < len(s) {
			w |= uint32(s[i+j]) << (8 * j)
		}
	}
	return w
}

// CPUID returns what the CPUID instruction reports for leaf and subleaf
// (EAX and ECX on input) on this model.
func (m *CPUModel) CPUID(leaf, subleaf uint32) (a, b, c, d uint32) {
	switch leaf {
	case 0:
		// Highest basic leaf; the vendor in EBX, EDX, ECX.
		max := uint32(7)
		if m.TSCHz != 0 {
			max = 0x16
		}
		return max, str4(m.Vendor, 0), str4(m.Vendor, 8), str4(m.Vendor, 4)
	case 1:
		// EBX: CLFLUSH line size 8 quadwords (bits 15:8), initial APIC
		// ID 0 (31:24); no HTT, so the logical count (23:16) is unused.
		d = m.Leaf1EDX &^ cpuid1EdxAPIC
		if m.APIC {
			d |= cpuid1EdxAPIC
		}
		return m.Signature(), 8 << 8, m.Leaf1ECX, d
	case 2, 4:
		// The cache descriptors and parameters of user mode.
		return cpuid(64, leaf, subleaf)
	case 7:
		if subleaf == 0 {
			return 0, m.Leaf7EBX, 0, m.Leaf7EDX
		}
		return 0, 0, 0, 0
	case 0x15:
		// TSC/crystal ratio EBX/EAX = 1, crystal frequency in ECX.
		if m.TSCHz != 0 {
			return 1, 1, m.TSCHz, 0
		}
		return 0, 0, 0, 0
	case 0x16:
		// Base and maximum frequency in MHz (no bus frequency): Linux's
		// cpu_khz without a PIT calibration loop.
		if m.TSCHz != 0 {
			return m.TSCHz / 1e6, m.TSCHz / 1e6, 0, 0
		}
		return 0, 0, 0, 0
	case 0x80000000:
		return 0x80000008, 0, 0, 0
	case 0x80000001:
		return 0, 0, m.Ext1ECX, m.Ext1EDX
	case 0x80000002, 0x80000003, 0x80000004:
		i := int(leaf-0x80000002) * 16
		return str4(m.Brand, i), str4(m.Brand, i+4), str4(m.Brand, i+8), str4(m.Brand, i+12)
	case 0x80000006:
		return cpuid(64, leaf, subleaf)
	case 0x80000007:
		return 0, 0, 0, cpuidExt7EdxInvTSC
	case 0x80000008:
		return m.VirtBits<<8 | m.PhysBits, 0, 0, 0
	}
	return 0, 0, 0, 0
}

// sysCpuid is CPUID in system mode: the CPU's model answers.
func sysCpuid(c *CPU) {
	a, b, cc, d := c.Priv.Ctl.Model.CPUID(uint32(c.R[RAX]), uint32(c.R[RCX]))
	c.R[RAX], c.R[RBX], c.R[RCX], c.R[RDX] = uint64(a), uint64(b), uint64(cc), uint64(d)
}
