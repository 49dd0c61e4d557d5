package plugins

import (
	"encoding/binary"
	"encoding/hex"
	"math"
	"strconv"
	"strings"
	"testing"

	"gemu/plugin"
)

// TestRegnum runs testdata/regall.c, a C plugin that uses every name of
// include/regnum.h, on testdata/regvals.c, which loads known values into
// the registers before a marker instruction. Every name means the number
// the Go API gives it, and every register number from 0 to 299 reads
// through qemulib_read_register what the guest put there (or what the
// registers of a Linux process hold, include/regnum.h), with the size
// regnum.h gives; numbers that name no register read nothing.
func TestRegnum(t *testing.T) {
	for _, mode := range modes {
		t.Run(archName(mode), func(t *testing.T) {
			arch := "-m64"
			if mode == 32 {
				arch = "-m32"
			}
			prog := buildOnce(t, "regvals"+strconv.Itoa(mode), "cc", arch, "-static", "-fno-pie", "-no-pie", "-O1", "testdata/regvals.c")
			r := runGemu(t, true, "-plugin", "file="+testPlugin(t, "regall"), prog)
			if r.status != 0 {
				t.Fatalf("status %d, stderr %s", r.status, r.stderr)
			}
			guestSaid := map[string]uint64{}
			for _, l := range lines(r.stdout) {
				f := strings.Fields(l)
				base := 16
				if f[0] == "pid" {
					base = 10
				}
				v, err := strconv.ParseUint(f[len(f)-1], base, 64)
				if len(f) != 2 || err != nil {
					t.Fatalf("guest output line %q", l)
				}
				guestSaid[f[0]] = v
			}
			checkRegNames(t, archName(mode), r.log)
			checkRegValues(t, archName(mode), r.log, regExpect(archName(mode), guestSaid))
		})
	}
}

// checkRegNames checks regall's "name NAME NUMBER" lines against the Go
// API's names: a C name I386_X_REGNUM or AMD64_X_REGNUM of the guest's
// architecture has the number RegisterNumber gives "x", and every register
// the Go API names has its C name.
func checkRegNames(t *testing.T, arch string, log []string) {
	prefix := "I386_"
	numRegs := plugin.I386NumRegs
	if arch == "x86_64" {
		prefix, numRegs = "AMD64_", plugin.AMD64NumRegs
	}
	// Names that are another name's number: SWAT's spellings.
	aliases := map[string]string{"fsbase": "fs_base", "gsbase": "gs_base", "ctl": "cr0"}
	cNames := map[string]bool{}
	n := 0
	for _, l := range log {
		f := strings.Fields(l)
		if len(f) != 3 || f[0] != "name" {
			continue
		}
		n++
		num, _ := strconv.Atoi(f[2])
		if foreignRegName(f[1]) && !strings.Contains(f[1], "_NUM_") && num < 0x10000 {
			t.Errorf("%s = %d: an ARM or AArch64 register number an x86 guest can read", f[1], num)
		}
		lower, ok := strings.CutPrefix(f[1], prefix)
		if !ok {
			continue
		}
		if lower == "NUM_REGS" {
			if num != numRegs {
				t.Errorf("%s = %d, the Go API's %d", f[1], num, numRegs)
			}
			continue
		}
		lower = strings.ToLower(strings.TrimSuffix(lower, "_REGNUM"))
		if a, ok := aliases[lower]; ok {
			lower = a
		}
		cNames[lower] = true
		if goNum, ok := plugin.RegisterNumber(arch, lower); ok {
			if goNum != num {
				t.Errorf("%s = %d, the Go API's %q is %d", f[1], num, lower, goNum)
			}
			continue
		}
		// A register gemu does not have: a number past the table.
		if num < numRegs || plugin.RegisterName(arch, num) != "" {
			t.Errorf("%s = %d: no register of that name in the Go API, but the number is in the table", f[1], num)
		}
	}
	if n < 200 {
		t.Fatalf("%d name lines in the log", n)
	}
	for num := 0; num < numRegs; num++ {
		if name := plugin.RegisterName(arch, num); name != "" && !cNames[name] {
			t.Errorf("register %d %q of the Go API has no C name in regnum.h", num, name)
		}
	}
}

// foreignRegName reports whether name is one of regnum.h's ARM or AArch64
// names, whose numbers lie past every x86 number.
func foreignRegName(name string) bool {
	for _, p := range []string{"ARM_", "THUMB_", "AARCH64_"} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// regVal is a register's expected size and value (little-endian bytes); a
// nil val checks only the size.
type regVal struct {
	size int
	val  []byte
}

func le(v uint64, size int) []byte {
	b := make([]byte, 16)
	binary.LittleEndian.PutUint64(b, v)
	return b[:size]
}

// regExpect returns the value each register number (by its Go API name)
// must have at regvals.c's marker, given what the guest printed.
func regExpect(arch string, g map[string]uint64) map[string]regVal {
	word := 4
	gprs := []string{"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"}
	seg := map[string]uint64{"cs": 0x23, "ss": 0x2b, "ds": 0x2b, "es": 0x2b, "fs": 0, "gs": 0x63}
	nxmm, ip, trBase := 8, "eip", uint64(0xfffff000)
	if arch == "x86_64" {
		word = 8
		gprs = []string{"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
			"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"}
		seg = map[string]uint64{"cs": 0x33, "ss": 0x2b, "ds": 0, "es": 0, "fs": 0, "gs": 0}
		nxmm, ip, trBase = 16, "rip", 0xfffffe0000003000
	}
	e := map[string]regVal{}
	for i, n := range gprs {
		v := 0x0101010101010101*uint64(i+1) + 0x10 // regvals.c's gpr[i]
		if i == 4 {
			v = g["sp"]
		}
		e[n] = regVal{word, le(v, word)}
	}
	e[ip] = regVal{word, le(g["marker"], word)}
	e["eflags"] = regVal{4, le(0x8d7|0x200|2, 4)} // IF stays set in user mode
	for n, v := range seg {
		e[n] = regVal{4, le(v, 4)}
	}
	for n, v := range map[string]uint64{
		"fs_base": g["fs_base"], "gs_base": g["gs_base"], "kernel_gs_base": 0,
		"cr0": 0x80050033, "cr2": 0, "cr3": g["pid"] << cr3Shift(arch), "cr4": 0x6f0, "cr8": 0, "efer": 0xd01,
		"cs_base": 0, "ss_base": 0, "tr_base": trBase,
	} {
		e[n] = regVal{word, le(v, word)}
	}
	// fninit; fld1; fldpi; fldz: st0 0, st1 pi, st2 1, the rest empty.
	f80 := func(mant uint64, se uint16) []byte {
		b := make([]byte, 10)
		binary.LittleEndian.PutUint64(b, mant)
		binary.LittleEndian.PutUint16(b[8:], se)
		return b
	}
	e["st0"] = regVal{10, f80(0, 0)}
	e["st1"] = regVal{10, f80(0xc90fdaa22168c235, 0x4000)}
	e["st2"] = regVal{10, f80(1<<63, 0x3fff)}
	for i := 3; i < 8; i++ {
		e["st"+strconv.Itoa(i)] = regVal{10, nil}
	}
	for n, v := range map[string]uint64{
		"fctrl": 0x37f, "fstat": 5 << 11, "ftag": 0x07ff, // R5 zero, R6 R7 valid, others empty
		"fiseg": g["fldz"] >> 32, "fioff": g["fldz"] & math.MaxUint32,
		"foseg": 0, "fooff": 0, "fop": 0x1ee, // fldz is d9 ee
		"mxcsr": 0x7f80, "cpl": 3,
	} {
		e[n] = regVal{4, le(v, 4)}
	}
	for i := 0; i < nxmm; i++ {
		b := make([]byte, 16)
		for k := range b {
			b[k] = byte(i*0x10 + k)
		}
		e["xmm"+strconv.Itoa(i)] = regVal{16, b}
	}
	return e
}

// checkRegValues checks regall's "reg NUMBER SIZE BYTES" lines: every
// register of the Go API's table is there with its expected value, and no
// other number reads anything.
func checkRegValues(t *testing.T, arch string, log []string, want map[string]regVal) {
	got := map[int][]byte{}
	done := false
	for _, l := range log {
		if l == "regs done" {
			done = true
		}
		f := strings.Fields(l)
		if len(f) < 4 || f[0] != "reg" {
			continue
		}
		num, _ := strconv.Atoi(f[1])
		size, _ := strconv.Atoi(f[2])
		b, err := hex.DecodeString(f[3])
		if err != nil || len(b) != size || len(f) != 4 {
			t.Errorf("log line %q (wrote past the register?)", l)
		}
		got[num] = b
	}
	if !done {
		t.Fatalf("the plugin did not reach the marker:\n%s", strings.Join(log, "\n"))
	}
	for num := 0; num < 300; num++ {
		name := plugin.RegisterName(arch, num)
		b, ok := got[num]
		if name == "" {
			if ok {
				t.Errorf("register number %d names nothing but read % x", num, b)
			}
			continue
		}
		w, known := want[name]
		switch {
		case !known:
			t.Errorf("register %d %q: the test expects nothing of it", num, name)
		case !ok:
			t.Errorf("register %d %q read nothing", num, name)
		case len(b) != w.size:
			t.Errorf("register %d %q: %d bytes, want %d", num, name, len(b), w.size)
		case w.val != nil && string(b) != string(w.val):
			t.Errorf("register %d %q = % x, want % x", num, name, b, w.val)
		}
	}
}

// cr3Shift is how far gemu shifts a process's pid to make its cr3:
// include/regnum.h.
func cr3Shift(arch string) int {
	if arch == "x86_64" {
		return 12
	}
	return 10
}
