package pc

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"gemu/internal/x86"
)

var le = binary.LittleEndian

// synthKernel describes a minimal bzImage built by the test: a boot sector
// with the setup header, setupSects sectors of (empty) setup code and a
// protected-mode part of pmSize bytes with a known pattern.
type synthKernel struct {
	version     uint16
	setupSects  byte
	loadflags   byte
	reloc       bool
	align       uint32
	pref        uint64
	initSize    uint32
	xlf         uint16
	cmdlineSize uint32
	initrdMax   uint32
	pmSize      int
}

// synth64 is a 64-bit relocatable kernel like Debian's, scaled down.
var synth64 = synthKernel{
	version: 0x20f, setupSects: 2, loadflags: LoadedHigh, reloc: true,
	align: 0x200000, pref: 0x1000000, initSize: 0x800000, xlf: 0x7f,
	cmdlineSize: 0x7ff, initrdMax: 0x7fffffff, pmSize: 0x3000,
}

// synth32 is an i386 relocatable kernel.
var synth32 = synthKernel{
	version: 0x20f, setupSects: 2, loadflags: LoadedHigh, reloc: true,
	align: 0x1000000, pref: 0x1000000, initSize: 0x800000, xlf: 0x4,
	cmdlineSize: 0x7ff, initrdMax: 0x7fffffff, pmSize: 0x3000,
}

const synthHeaderEnd = 0x268 // jump 0xeb 0x66

func pmByte(i int) byte { return byte(i*7 + 3) }

func (s synthKernel) build() []byte {
	n := s.setupSects
	if n == 0 {
		n = 4
	}
	img := make([]byte, (int(n)+1)*512+s.pmSize)
	img[0x1f1] = s.setupSects
	le.PutUint32(img[0x1f4:], uint32((s.pmSize+15)/16))
	le.PutUint16(img[0x1fa:], 0xffff) // vid_mode: normal
	le.PutUint16(img[0x1fe:], 0xaa55)
	img[0x200], img[0x201] = 0xeb, synthHeaderEnd-0x202
	copy(img[0x202:], "HdrS")
	le.PutUint16(img[0x206:], s.version)
	img[0x211] = s.loadflags
	le.PutUint32(img[0x214:], 0x100000)
	le.PutUint32(img[0x22c:], s.initrdMax)
	le.PutUint32(img[0x230:], s.align)
	if s.reloc {
		img[0x234] = 1
	}
	img[0x235] = 0x15
	le.PutUint16(img[0x236:], s.xlf)
	le.PutUint32(img[0x238:], s.cmdlineSize)
	le.PutUint64(img[0x258:], s.pref)
	le.PutUint32(img[0x260:], s.initSize)
	// Bytes after the header that must not reach boot_params.
	for i := synthHeaderEnd; i < 0x400; i++ {
		img[i] = 0xcc
	}
	pm := img[(int(n)+1)*512:]
	for i := range pm {
		pm[i] = pmByte(i)
	}
	return img
}

func mustParse(t *testing.T, s synthKernel) *LinuxKernel {
	t.Helper()
	k, err := ParseBzImage("synth", s.build())
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// debianKernel returns the first file matching one of globs (a Debian
// kernel, a busybox), or skips the test.
func debianKernel(t *testing.T, globs ...string) (string, []byte) {
	t.Helper()
	for _, g := range globs {
		m, _ := filepath.Glob(g)
		if len(m) == 0 {
			continue
		}
		b, err := os.ReadFile(m[0])
		if err != nil {
			t.Fatal(err)
		}
		return m[0], b
	}
	t.Skipf("none of %v here (scripts/sysdeps fetches Debian's kernels)", globs)
	return "", nil
}

func TestBootParseDebian(t *testing.T) {
	for _, c := range []struct {
		glob string
		want LinuxKernel
	}{
		{"/tmp/sys/k64/boot/vmlinuz-6.1.0-57-amd64", LinuxKernel{
			SetupSects: 39, SysSize: 0x7d820, Version: 0x20f, LoadFlags: 1, Code32Start: 0x100000,
			InitrdAddrMax: 0x7fffffff, KernelAlignment: 0x200000, Relocatable: true, MinAlignment: 0x15,
			XLoadFlags: 0x7f, CmdlineSize: 0x7ff, PrefAddress: 0x1000000, InitSize: 0x3f98000, HeaderEnd: 0x26c}},
		{"/tmp/sys/k32/boot/vmlinuz-6.1.0-57-686", LinuxKernel{
			SetupSects: 39, SysSize: 0x57120, Version: 0x20f, LoadFlags: 1, Code32Start: 0x100000,
			InitrdAddrMax: 0x7fffffff, KernelAlignment: 0x1000000, Relocatable: true, MinAlignment: 0xd,
			XLoadFlags: 0x4, CmdlineSize: 0x7ff, PrefAddress: 0x1000000, InitSize: 0x1018000, HeaderEnd: 0x26c}},
	} {
		t.Run(filepath.Base(c.glob), func(t *testing.T) {
			name, img := debianKernel(t, c.glob)
			k, err := ParseBzImage(name, img)
			if err != nil {
				t.Fatal(err)
			}
			got := *k
			got.Name, got.Image = "", nil
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("header\n got %+v\nwant %+v", got, c.want)
			}
			if off := len(img) - len(k.ProtectedMode()); off != 40*512 {
				t.Errorf("protected-mode kernel at file offset %d, want %d", off, 40*512)
			}
		})
	}
}

// TestBootDebian loads the Debian kernels (any version) into 128 MiB with
// an initrd and checks where everything went.
func TestBootDebian(t *testing.T) {
	for _, c := range []struct {
		name  string
		globs []string
		long  bool
	}{
		{"amd64", kernels64, true},
		{"686", kernels32, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			name, img := debianKernel(t, c.globs...)
			k, err := ParseBzImage(name, img)
			if err != nil {
				t.Fatal(err)
			}
			ram := make([]byte, 128<<20)
			rd := bytes.Repeat([]byte("initrd!"), 300000) // 2100000 bytes
			e, err := LoadLinux(ram, k, &BootConfig{Cmdline: "console=ttyS0 nokaslr", Initrd: rd, LongMode: true})
			if err != nil {
				t.Fatal(err)
			}
			if e.Long != c.long || e.LoadAddr != 0x1000000 {
				t.Errorf("long %v load %#x, want %v 0x1000000", e.Long, e.LoadAddr, c.long)
			}
			wantRIP := uint64(0x1000000)
			if c.long {
				wantRIP += 0x200
			}
			if e.RIP != wantRIP || e.RSI != BootParamsAddr {
				t.Errorf("RIP %#x RSI %#x, want %#x %#x", e.RIP, e.RSI, wantRIP, BootParamsAddr)
			}
			if want := uint64((128<<20 - 2100000) &^ 0xfff); e.InitrdAddr != want {
				t.Errorf("initrd at %#x, want %#x", e.InitrdAddr, want)
			}
			if !bytes.Equal(ram[0x1000000:0x1000000+len(k.ProtectedMode())], k.ProtectedMode()) {
				t.Error("protected-mode kernel not at 16 MiB")
			}
			bp := ram[BootParamsAddr:]
			if !bytes.Equal(bp[0x1f1:0x210], img[0x1f1:0x210]) || string(bp[0x202:0x206]) != "HdrS" {
				t.Error("setup header not copied")
			}
			if le.Uint32(bp[0x218:]) != uint32(e.InitrdAddr) || le.Uint32(bp[0x21c:]) != 2100000 {
				t.Errorf("ramdisk_image %#x size %d", le.Uint32(bp[0x218:]), le.Uint32(bp[0x21c:]))
			}
			if got := string(ram[BootCmdlineAddr : BootCmdlineAddr+22]); got != "console=ttyS0 nokaslr\x00" {
				t.Errorf("command line %q", got)
			}
			// The RAM it needs: from pref_address (16 MiB) init_size bytes.
			need := (0x1000000 + uint64(k.InitSize) + 1<<20 - 1) >> 20
			_, err = LoadLinux(make([]byte, (need-1)<<20), k, &BootConfig{LongMode: true})
			if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("the kernel needs %d MiB of RAM", need)) {
				t.Errorf("in %d MiB: %v", need-1, err)
			}
			if _, err = LoadLinux(make([]byte, need<<20), k, &BootConfig{LongMode: true}); err != nil {
				t.Errorf("in %d MiB: %v", need, err)
			}
		})
	}
}

// expectedBootParams builds the zero page LoadLinux must write, field by
// field from the protocol's offsets, independently of the loader.
func expectedBootParams(img []byte, load, rdAddr, rdSize uint32, e820 []E820Entry, extK uint16, altK uint32) []byte {
	p := make([]byte, 4096)
	copy(p[0x1f1:], img[0x1f1:synthHeaderEnd])
	p[0x210] = 0xff                  // type_of_loader
	le.PutUint32(p[0x214:], load)    // code32_start
	le.PutUint32(p[0x218:], rdAddr)  // ramdisk_image
	le.PutUint32(p[0x21c:], rdSize)  // ramdisk_size
	le.PutUint32(p[0x228:], 0x20000) // cmd_line_ptr
	le.PutUint16(p[0x002:], extK)    // screen_info.ext_mem_k
	le.PutUint32(p[0x1e0:], altK)    // alt_mem_k
	p[0x1e8] = byte(len(e820))       // e820_entries
	for i, m := range e820 {         // e820_table
		le.PutUint64(p[0x2d0+20*i:], m.Addr)
		le.PutUint64(p[0x2d0+20*i+8:], m.Size)
		le.PutUint32(p[0x2d0+20*i+16:], m.Type)
	}
	return p
}

var pcMMIO = []E820Entry{
	{0xfec00000, 0x1000, E820Reserved}, // IO-APIC
	{0xfee00000, 0x1000, E820Reserved}, // local APIC
}

func TestBootParams32(t *testing.T) {
	k := mustParse(t, synth32)
	ram := make([]byte, 64<<20)
	for i := range ram[:0x40000] {
		ram[i] = 0x5a // stale bytes the loader must clear where it writes
	}
	rd := bytes.Repeat([]byte{0xab}, 100000)
	e, err := LoadLinux(ram, k, &BootConfig{Cmdline: "console=ttyS0", Initrd: rd, LongMode: true, Reserved: pcMMIO})
	if err != nil {
		t.Fatal(err)
	}
	wantE820 := []E820Entry{
		{0, 0x9fc00, 1},
		{0x9fc00, 0x400, 2},
		{0xf0000, 0x10000, 2},
		{0x100000, 63 << 20, 1},
		{0xfec00000, 0x1000, 2},
		{0xfee00000, 0x1000, 2},
	}
	rdAddr := uint32(64<<20-100000) &^ 0xfff
	want := expectedBootParams(k.Image, 0x1000000, rdAddr, 100000, wantE820, 0xfc00, 63<<10)
	got := ram[0x10000:0x11000]
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("boot_params[%#x] = %#02x, want %#02x", i, got[i], want[i])
		}
	}
	if got[0x26c] != 0 || got[0x1ef] != 0 {
		t.Error("bytes past the setup header copied")
	}
	if !bytes.Equal(ram[0x20000:0x2000e], []byte("console=ttyS0\x00")) {
		t.Errorf("command line %q", ram[0x20000:0x2000e])
	}
	if !bytes.Equal(ram[rdAddr:rdAddr+100000], rd) {
		t.Error("initrd not in RAM")
	}
	for i := 0; i < synth32.pmSize; i++ {
		if ram[0x1000000+i] != pmByte(i) {
			t.Fatalf("kernel byte %#x = %#x, want %#x", i, ram[0x1000000+i], pmByte(i))
		}
	}
	// The GDT: null, null, flat 32-bit code, flat data.
	gdt := ram[0x1000:0x1020]
	for i, d := range []uint64{0, 0, 0x00cf9b000000ffff, 0x00cf93000000ffff} {
		if v := le.Uint64(gdt[8*i:]); v != d {
			t.Errorf("GDT[%d] = %#x, want %#x", i, v, d)
		}
	}
	wantEntry := Entry{
		RIP: 0x1000000, RSP: 0xf000, RFLAGS: 2, RSI: 0x10000,
		CR0: 0x11, GDT: x86.DescTable{Base: 0x1000, Limit: 31},
	}
	for i := range wantEntry.Segs {
		wantEntry.Segs[i] = x86.SegCache{Sel: 0x18, Limit: 0xffffffff, Attr: 0xc093}
	}
	wantEntry.Segs[x86.CS] = x86.SegCache{Sel: 0x10, Limit: 0xffffffff, Attr: 0xc09b}
	checkEntryState(t, e, &wantEntry)
	if e.LoadAddr != 0x1000000 || e.KernelEnd != 0x1800000 || e.InitrdAddr != uint64(rdAddr) || e.InitrdSize != 100000 {
		t.Errorf("placement: load %#x end %#x initrd %#x+%d", e.LoadAddr, e.KernelEnd, e.InitrdAddr, e.InitrdSize)
	}
}

// checkEntryState compares the CPU state of an entry (not the placement).
func checkEntryState(t *testing.T, got, want *Entry) {
	t.Helper()
	g := *got
	g.LoadAddr, g.KernelEnd, g.InitrdAddr, g.InitrdSize, g.BootParams, g.Cmdline, g.E820 = 0, 0, 0, 0, 0, 0, nil
	w := *want
	w.LoadAddr, w.KernelEnd, w.InitrdAddr, w.InitrdSize, w.BootParams, w.Cmdline, w.E820 = 0, 0, 0, 0, 0, 0, nil
	if g.Long != w.Long || g.RIP != w.RIP || g.RSP != w.RSP || g.RFLAGS != w.RFLAGS ||
		g.RAX != w.RAX || g.RBX != w.RBX || g.RSI != w.RSI ||
		g.CR0 != w.CR0 || g.CR3 != w.CR3 || g.CR4 != w.CR4 || g.EFER != w.EFER ||
		g.GDT != w.GDT || g.Segs != w.Segs {
		t.Errorf("entry state\n got %+v\nwant %+v", g, w)
	}
}

// walk translates va through 4-level page tables in ram as the MMU would
// (present and PS bits only), returning false for an unmapped address.
func walk(ram []byte, cr3, va uint64) (uint64, bool) {
	tab := cr3 &^ 0xfff
	for level, shift := 4, uint(39); level >= 1; level, shift = level-1, shift-9 {
		pte := le.Uint64(ram[tab+8*(va>>shift&511):])
		if pte&1 == 0 {
			return 0, false
		}
		if pte&0x80 != 0 && (level == 2 || level == 3) {
			mask := uint64(1)<<shift - 1
			return pte&0x000ffffffffff000&^mask | va&mask, true
		}
		tab = pte & 0x000ffffffffff000
		if level == 1 {
			return tab | va&0xfff, true
		}
	}
	return 0, false
}

func TestBootLongMode(t *testing.T) {
	k := mustParse(t, synth64)
	ram := make([]byte, 256<<20)
	rd := bytes.Repeat([]byte{0x11}, 5<<20)
	e, err := LoadLinux(ram, k, &BootConfig{Cmdline: "x", Initrd: rd, LongMode: true, Reserved: pcMMIO})
	if err != nil {
		t.Fatal(err)
	}
	wantEntry := Entry{
		Long: true, RIP: 0x1000200, RSP: 0xf000, RFLAGS: 2, RSI: 0x10000,
		CR0: 0x80000011, CR3: 0x30000, CR4: 0x20, EFER: 0x500,
		GDT: x86.DescTable{Base: 0x1000, Limit: 31},
	}
	for i := range wantEntry.Segs {
		wantEntry.Segs[i] = x86.SegCache{Sel: 0x18, Limit: 0xffffffff, Attr: 0xc093}
	}
	wantEntry.Segs[x86.CS] = x86.SegCache{Sel: 0x10, Limit: 0xffffffff, Attr: 0xa09b}
	checkEntryState(t, e, &wantEntry)
	if v := le.Uint64(ram[0x1010:]); v != 0x00af9b000000ffff {
		t.Errorf("GDT[2] = %#x, want a 64-bit code descriptor", v)
	}
	// The identity map covers the kernel, boot_params, the command line,
	// the initrd, RAM's last byte and the APICs below 4 GiB; not beyond.
	for _, va := range []uint64{0, 0x1000, 0x10000, 0x20000, 0x1000200, e.InitrdAddr, 256<<20 - 1,
		0xfec00000, 0xfee00000, 0xffffffff, 0x123456789 & 0xffffffff} {
		if pa, ok := walk(ram, e.CR3, va); !ok || pa != va {
			t.Errorf("va %#x -> %#x, %v; want identity", va, pa, ok)
		}
	}
	if _, ok := walk(ram, e.CR3, 1<<32); ok {
		t.Error("4 GiB mapped with 256 MiB of RAM")
	}
	// Exactly 4 PDs of 2 MiB pages: PML4[0] and PDPT[0..3] only.
	if le.Uint64(ram[0x30000:]) != 0x31003 || le.Uint64(ram[0x30008:]) != 0 {
		t.Errorf("PML4 %#x %#x", le.Uint64(ram[0x30000:]), le.Uint64(ram[0x30008:]))
	}
	for i, want := range []uint64{0x32003, 0x33003, 0x34003, 0x35003, 0} {
		if v := le.Uint64(ram[0x31000+8*i:]); v != want {
			t.Errorf("PDPT[%d] = %#x, want %#x", i, v, want)
		}
	}
	if v := le.Uint64(ram[0x33000+8*3:]); v != 1<<30|3<<21|0x83 {
		t.Errorf("PD1[3] = %#x", v)
	}

	// The same kernel through its 32-bit entry on request.
	e, err = LoadLinux(ram, k, &BootConfig{LongMode: true, Entry32: true})
	if err != nil {
		t.Fatal(err)
	}
	if e.Long || e.RIP != 0x1000000 || e.CR0 != 0x11 || e.CR3 != 0 || e.EFER != 0 || e.Segs[x86.CS].Attr != 0xc09b {
		t.Errorf("32-bit entry of a 64-bit kernel: %+v", e)
	}
	if v := le.Uint64(ram[0x1010:]); v != 0x00cf9b000000ffff {
		t.Errorf("GDT[2] = %#x, want a 32-bit code descriptor", v)
	}
}

// TestBootInitrdPlacement checks where the initrd goes for several RAM
// sizes: the top of RAM or of initrd_addr_max, page aligned, above the
// kernel.
func TestBootInitrdPlacement(t *testing.T) {
	low := synth32
	low.initrdMax = 0x37ffffff // the protocol's default before 2.03
	for _, c := range []struct {
		name   string
		k      synthKernel
		ram    uint64
		rdSize int
		want   uint64
	}{
		{"32M", synth32, 32 << 20, 4096, 0x1fff000},
		{"32M-odd", synth32, 32 << 20, 5000, 0x1ffe000},
		{"64M", synth32, 64 << 20, 1 << 20, 0x3f00000},
		{"1G", synth32, 1 << 30, 12345678, (1<<30 - 12345678) &^ 0xfff},
		{"1G-addrmax", low, 1 << 30, 1 << 20, 0x37f00000},
		{"exact-fit", synth32, 32 << 20, 8 << 20, 0x1800000},
	} {
		t.Run(c.name, func(t *testing.T) {
			k := mustParse(t, c.k)
			ram := make([]byte, c.ram)
			rd := make([]byte, c.rdSize)
			rd[0], rd[len(rd)-1] = 0xa1, 0xa2
			e, err := LoadLinux(ram, k, &BootConfig{Initrd: rd, LongMode: true})
			if err != nil {
				t.Fatal(err)
			}
			if e.InitrdAddr != c.want {
				t.Errorf("initrd at %#x, want %#x", e.InitrdAddr, c.want)
			}
			if ram[c.want] != 0xa1 || ram[c.want+uint64(c.rdSize)-1] != 0xa2 {
				t.Error("initrd bytes not there")
			}
			bp := ram[BootParamsAddr:]
			if le.Uint32(bp[0x218:]) != uint32(c.want) || le.Uint32(bp[0x21c:]) != uint32(c.rdSize) ||
				le.Uint32(bp[0xc0:]) != 0 || le.Uint32(bp[0xc4:]) != 0 {
				t.Error("ramdisk fields wrong")
			}
		})
	}
}

// TestBootHighRAM boots with more than 4 GiB of RAM: the E820 map leaves
// out the PCI hole, the page tables map the RAM above 4 GiB, and an
// initrd that does not fit below initrd_addr_max goes above 4 GiB when the
// kernel allows it.
func TestBootHighRAM(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates 4.1 GiB of (mostly untouched) address space")
	}
	const size = 4<<30 + 64<<20
	l := NewRAMLayout(size)
	if l.Low != 0xc0000000 || l.High() != 64<<20 || l.End() != 1<<32+64<<20 {
		t.Fatalf("layout %+v", l)
	}
	s := synth64
	s.initrdMax = 0x01ffffff // 32 MiB: the kernel (16 + 8 MiB) leaves too little below it
	k := mustParse(t, s)
	ram := make([]byte, size)
	rd := make([]byte, 10<<20)
	rd[0] = 0x77
	e, err := LoadLinux(ram, k, &BootConfig{Initrd: rd, LongMode: true})
	if err != nil {
		t.Fatal(err)
	}
	wantAddr := uint64(1<<32 + 54<<20)
	if e.InitrdAddr != wantAddr || ram[wantAddr] != 0x77 {
		t.Errorf("initrd at %#x, want %#x", e.InitrdAddr, wantAddr)
	}
	bp := ram[BootParamsAddr:]
	if le.Uint32(bp[0x218:]) != uint32(wantAddr) || le.Uint32(bp[0xc0:]) != 1 || le.Uint32(bp[0x21c:]) != 10<<20 || le.Uint32(bp[0xc4:]) != 0 {
		t.Errorf("ramdisk_image %#x ext %#x", le.Uint32(bp[0x218:]), le.Uint32(bp[0xc0:]))
	}
	wantE820 := []E820Entry{{0, 0x9fc00, 1}, {0x9fc00, 0x400, 2}, {0xf0000, 0x10000, 2},
		{0x100000, 0xc0000000 - 0x100000, 1}, {1 << 32, 64 << 20, 1}}
	if bp[0x1e8] != 5 {
		t.Errorf("e820_entries %d", bp[0x1e8])
	}
	for i, w := range wantE820 {
		g := E820Entry{le.Uint64(bp[0x2d0+20*i:]), le.Uint64(bp[0x2d8+20*i:]), le.Uint32(bp[0x2e0+20*i:])}
		if g != w {
			t.Errorf("e820[%d] = %v, want %v", i, g, w)
		}
	}
	// 5 GiB mapped: RAM above 4 GiB included.
	for _, va := range []uint64{1 << 32, wantAddr, 5<<30 - 1} {
		if pa, ok := walk(ram, e.CR3, va); !ok || pa != va {
			t.Errorf("va %#x -> %#x, %v", va, pa, ok)
		}
	}
	if _, ok := walk(ram, e.CR3, 5<<30); ok {
		t.Error("5 GiB mapped")
	}
	// Without XLF_CAN_BE_LOADED_ABOVE_4G it does not fit.
	s.xlf = XLFKernel64
	_, err = LoadLinux(ram, mustParse(t, s), &BootConfig{InitrdName: "big.cpio", Initrd: rd, LongMode: true})
	if err == nil || !strings.HasPrefix(err.Error(), "big.cpio: initrd (10485760 bytes) does not fit in 4160 MiB of RAM") {
		t.Errorf("error %v", err)
	}
}

func TestBootE820(t *testing.T) {
	for _, c := range []struct {
		name string
		size uint64
		res  []E820Entry
		want []E820Entry
		err  string
	}{
		{"128M", 128 << 20, pcMMIO, []E820Entry{{0, 0x9fc00, 1}, {0x9fc00, 0x400, 2}, {0xf0000, 0x10000, 2},
			{0x100000, 127 << 20, 1}, {0xfec00000, 0x1000, 2}, {0xfee00000, 0x1000, 2}}, ""},
		{"3G", 3 << 30, nil, []E820Entry{{0, 0x9fc00, 1}, {0x9fc00, 0x400, 2}, {0xf0000, 0x10000, 2},
			{0x100000, 3<<30 - 1<<20, 1}}, ""},
		{"8G", 8 << 30, []E820Entry{{0xe0000000, 0x10000000, 2}}, []E820Entry{{0, 0x9fc00, 1}, {0x9fc00, 0x400, 2},
			{0xf0000, 0x10000, 2}, {0x100000, 3<<30 - 1<<20, 1}, {0xe0000000, 0x10000000, 2}, {1 << 32, 4 << 30, 1}}, ""},
		{"overlap-ram", 128 << 20, []E820Entry{{0x7000000, 0x2000000, 2}}, nil,
			"memory map range [0x7000000-0x9000000) type 2 overlaps [0x100000-0x8000000) type 1"},
		{"overlap-res", 128 << 20, []E820Entry{{0xfec00000, 0x1000, 2}, {0xfec00800, 0x1000, 2}}, nil,
			"memory map range [0xfec00800-0xfec01800) type 2 overlaps [0xfec00000-0xfec01000) type 2"},
		{"tiny", 1 << 20, nil, nil, "RAM of 1024 KiB is too small: at least 2 MiB are needed"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := E820Map(NewRAMLayout(c.size), c.res)
			if c.err != "" {
				if err == nil || err.Error() != c.err {
					t.Errorf("error %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(c.want) {
				t.Fatalf("map %v, want %v", got, c.want)
			}
			for i := range got {
				if got[i] != c.want[i] {
					t.Errorf("entry %d: %v, want %v", i, got[i], c.want[i])
				}
			}
		})
	}
	l := NewRAMLayout(8 << 30)
	for _, c := range []struct {
		pa, n, off uint64
		ok         bool
	}{
		{0, 1, 0, true}, {0xbffff000, 0x1000, 0xbffff000, true}, {0xbffff000, 0x1001, 0, false},
		{0xc0000000, 1, 0, false}, {1<<32 - 1, 2, 0, false}, {1 << 32, 16, 1 << 32, true},
		{8<<30 - 1, 1, 8<<30 - 1, true}, {8<<30 - 1, 2, 0, false}, {^uint64(0), 2, 0, false},
	} {
		if off, ok := l.Offset(c.pa, c.n); off != c.off || ok != c.ok {
			t.Errorf("Offset(%#x, %#x) = %#x, %v; want %#x, %v", c.pa, c.n, off, ok, c.off, c.ok)
		}
	}
}

func TestBootRefusals(t *testing.T) {
	old := synth32
	old.version = 0x205
	zimage := synth32
	zimage.loadflags = 0
	trunc := synth32.build()
	le.PutUint32(trunc[0x1f4:], 0x10000)
	elf := append([]byte("\x7fELF"), make([]byte, 4096)...)
	for _, c := range []struct {
		name string
		img  []byte
		err  string
	}{
		{"elf", elf, "k: not a bootable bzImage: no \"HdrS\" setup header at 0x202"},
		{"short", []byte("HdrS"), "k: not a bootable bzImage: 4 bytes, too short for a setup header"},
		{"old", old.build(), "k: not a bootable bzImage: boot protocol 2.05, older than the 2.06 this loader needs"},
		{"zimage", zimage.build(), "k: not a bootable bzImage: a zImage (loadflags LOADED_HIGH clear), which loads below 1 MiB"},
		{"truncated", trunc, "k: not a bootable bzImage: truncated: syssize says 1048576 bytes of protected-mode code, the file has 12288"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseBzImage("k", c.img)
			if err == nil || err.Error() != c.err {
				t.Errorf("error %v\nwant %q", err, c.err)
			}
		})
	}

	long := strings.Repeat("a", 0x800)
	for _, c := range []struct {
		name string
		k    synthKernel
		ram  uint64
		cfg  BootConfig
		err  string
	}{
		{"initrd-too-big", synth32, 64 << 20, BootConfig{InitrdName: "rd.img", Initrd: make([]byte, 41<<20)},
			"rd.img: initrd (42991616 bytes) does not fit in 64 MiB of RAM (above the kernel, which needs up to 0x1800000)"},
		{"kernel-too-big", synth64, 20 << 20, BootConfig{LongMode: true},
			"synth: the kernel needs 24 MiB of RAM (12288 bytes loaded at 0x1000000, init_size 8388608 from 0x1000000), more than the 20 MiB given"},
		{"kernel-too-big-fixed", synthKernel{version: 0x20f, setupSects: 2, loadflags: 1, pref: 0x1000000,
			initSize: 0x1000000, cmdlineSize: 0x7ff, initrdMax: 0x7fffffff, pmSize: 0x1000}, 31 << 20, BootConfig{},
			"synth: the kernel needs 32 MiB of RAM (4096 bytes loaded at 0x100000, init_size 16777216 from 0x1000000), more than the 31 MiB given"},
		{"64-on-32", synth64, 64 << 20, BootConfig{LongMode: false},
			"synth: a 64-bit kernel, and the CPU model has no long mode"},
		{"cmdline", synth32, 64 << 20, BootConfig{Cmdline: long},
			"command line of 2048 bytes: synth takes at most 2047"},
		{"tiny-ram", synth32, 1 << 20, BootConfig{},
			"RAM of 1024 KiB is too small: at least 2 MiB are needed"},
	} {
		t.Run(c.name, func(t *testing.T) {
			k := mustParse(t, c.k)
			_, err := LoadLinux(make([]byte, c.ram), k, &c.cfg)
			if err == nil || err.Error() != c.err {
				t.Errorf("error %v\nwant %q", err, c.err)
			}
		})
	}
}

// TestBootProtocol206: a kernel of protocol 2.06 (header up to
// cmdline_size, no pref_address or init_size) loads at 1 MiB, and only its
// shorter header reaches boot_params.
func TestBootProtocol206(t *testing.T) {
	img := synthKernel{version: 0x206, setupSects: 1, loadflags: 1, reloc: true, align: 0x400000,
		pref: 0x1000000, initSize: 0x400000, cmdlineSize: 0xff, initrdMax: 0x37ffffff, pmSize: 0x1000}.build()
	img[0x201] = 0x3c - 0x02 // the header ends at 0x23c
	k, err := ParseBzImage("old", img)
	if err != nil {
		t.Fatal(err)
	}
	if k.HeaderEnd != 0x23c || k.PrefAddress != 0 || k.InitSize != 0 {
		t.Errorf("header end %#x, pref_address %#x, init_size %#x", k.HeaderEnd, k.PrefAddress, k.InitSize)
	}
	ram := make([]byte, 16<<20)
	e, err := LoadLinux(ram, k, &BootConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if e.LoadAddr != 0x400000 || e.KernelEnd != 0x401000 || ram[BootParamsAddr+0x23b] != 0 || ram[BootParamsAddr+0x238] != 0xff || ram[BootParamsAddr+0x25b] != 0 || img[0x25b] != 1 {
		t.Errorf("load %#x end %#x", e.LoadAddr, e.KernelEnd)
	}
	img[0x201] = 0x30 // ends before cmdline_size
	if _, err := ParseBzImage("old", img); err == nil || !strings.Contains(err.Error(), "does not end a setup header") {
		t.Errorf("short header: %v", err)
	}
}

// TestBootFixedKernel: a kernel that is not relocatable loads at 1 MiB
// (it moves itself to pref_address).
func TestBootFixedKernel(t *testing.T) {
	s := synthKernel{version: 0x20f, setupSects: 0, loadflags: 1, pref: 0x1000000, initSize: 0x400000,
		cmdlineSize: 0xff, initrdMax: 0x37ffffff, pmSize: 0x2000}
	k := mustParse(t, s)
	if k.SetupSects != 4 || len(k.ProtectedMode()) != 0x2000 {
		t.Fatalf("setup_sects 0 must read as 4: %d, pm %d bytes", k.SetupSects, len(k.ProtectedMode()))
	}
	ram := make([]byte, 32<<20)
	e, err := LoadLinux(ram, k, &BootConfig{Cmdline: strings.Repeat("b", 0xff)})
	if err != nil {
		t.Fatal(err)
	}
	if e.RIP != 0x100000 || e.LoadAddr != 0x100000 || e.KernelEnd != 0x1400000 || ram[0x100001] != pmByte(1) {
		t.Errorf("RIP %#x load %#x end %#x", e.RIP, e.LoadAddr, e.KernelEnd)
	}
	if le.Uint32(ram[BootParamsAddr+0x214:]) != 0x100000 || ram[BootCmdlineAddr+0xff] != 0 || ram[BootCmdlineAddr+0xfe] != 'b' {
		t.Error("code32_start or command line wrong")
	}
}

// mbHeader returns a multiboot header with flags (and, for the a.out
// kludge, the address fields).
func mbHeader(flags uint32, addrs ...uint32) []byte {
	h := make([]byte, 12+4*len(addrs))
	le.PutUint32(h, MultibootHeaderMagic)
	le.PutUint32(h[4:], flags)
	le.PutUint32(h[8:], -(MultibootHeaderMagic + flags))
	for i, a := range addrs {
		le.PutUint32(h[12+4*i:], a)
	}
	return h
}

// mbELF32 builds an i386 ELF executable with a multiboot header: text
// (virtual 0xc0100000, physical 1 MiB, 4 KiB, the header first), data at
// 2 MiB with 0x100 bytes in the file and 0x3000 in memory, entry at
// virtual 0xc0100010.
func mbELF32(flags uint32) []byte {
	img := make([]byte, 0x2100)
	copy(img, "\x7fELF\x01\x01\x01")
	le.PutUint16(img[16:], 2) // ET_EXEC
	le.PutUint16(img[18:], 3) // EM_386
	le.PutUint32(img[20:], 1)
	le.PutUint32(img[24:], 0xc0100010) // e_entry
	le.PutUint32(img[28:], 52)         // e_phoff
	le.PutUint16(img[40:], 52)
	le.PutUint16(img[42:], 32)
	le.PutUint16(img[44:], 2)
	le.PutUint16(img[46:], 40)
	for i, ph := range [][8]uint32{
		{1, 0x1000, 0xc0100000, 0x100000, 0x1000, 0x1000, 5, 0x1000},
		{1, 0x2000, 0x200000, 0x200000, 0x100, 0x3000, 6, 0x1000},
	} {
		for j, v := range ph {
			le.PutUint32(img[52+32*i+4*j:], v)
		}
	}
	copy(img[0x1000:], mbHeader(flags))
	for i := 0x100c; i < 0x2100; i++ {
		img[i] = byte(i)
	}
	return img
}

func TestBootMultiboot(t *testing.T) {
	aout := make([]byte, 0x1000)
	copy(aout[0x40:], mbHeader(0x10003, 0x100040, 0x100000, 0x100800, 0x102000, 0x100080))
	for i := 0x60; i < len(aout); i++ {
		aout[i] = byte(i)
	}
	for _, c := range []struct {
		name        string
		img         []byte
		rip, lo, hi uint64
	}{
		{name: "elf32", img: mbELF32(3), rip: 0x100010, lo: 0x100000, hi: 0x203000},
		{name: "aout", img: aout, rip: 0x100080, lo: 0x100000, hi: 0x102000},
	} {
		t.Run(c.name, func(t *testing.T) {
			ram := make([]byte, 64<<20)
			for i := range ram[:4<<20] {
				ram[i] = 0xee
			}
			rd := []byte("module bytes")
			e, err := LoadKernel(ram, "k", c.img, &BootConfig{Cmdline: "check=all", Initrd: rd, InitrdName: "rd.cpio", Reserved: pcMMIO})
			if err != nil {
				t.Fatal(err)
			}
			want := Entry{RIP: c.rip, RSP: 0xf000, RFLAGS: 2, RAX: 0x2badb002, RBX: 0x2000, CR0: 0x11,
				GDT: x86.DescTable{Base: 0x1000, Limit: 31}}
			for i := range want.Segs {
				want.Segs[i] = x86.SegCache{Sel: 0x18, Limit: 0xffffffff, Attr: 0xc093}
			}
			want.Segs[x86.CS] = x86.SegCache{Sel: 0x10, Limit: 0xffffffff, Attr: 0xc09b}
			checkEntryState(t, e, &want)
			if e.LoadAddr != c.lo || e.KernelEnd != c.hi {
				t.Errorf("image %#x-%#x, want %#x-%#x", e.LoadAddr, e.KernelEnd, c.lo, c.hi)
			}
			// The image: bytes from the file, then zeros (bss), then
			// RAM untouched (after the 12-byte module).
			switch c.name {
			case "elf32":
				if !bytes.Equal(ram[0x100000:0x101000], c.img[0x1000:0x2000]) || !bytes.Equal(ram[0x200000:0x200100], c.img[0x2000:0x2100]) {
					t.Error("segments not loaded")
				}
				if ram[0x200100] != 0 || ram[0x202fff] != 0 || ram[0x20300c] != 0xee || ram[0x101000] != 0xee {
					t.Error("bss not zeroed or too much written")
				}
			case "aout":
				if !bytes.Equal(ram[0x100000:0x100800], aout[:0x800]) || ram[0x100800] != 0 || ram[0x101fff] != 0 || ram[0x10200c] != 0xee {
					t.Error("a.out kludge image wrong")
				}
			}
			info := ram[0x2000:]
			modAddr := alignUp(c.hi, 0x1000)
			for _, f := range []struct {
				off  int
				want uint32
			}{
				{0, 0x24d}, {4, 639}, {8, 63 << 10}, {12, 0}, {16, 0x20000}, {20, 1}, {24, 0x2080},
				{44, 6 * 24}, {48, 0x2100}, {64, 0x2f00},
			} {
				if v := le.Uint32(info[f.off:]); v != f.want {
					t.Errorf("info+%d = %#x, want %#x", f.off, v, f.want)
				}
			}
			mod := ram[0x2080:]
			if le.Uint32(mod) != uint32(modAddr) || le.Uint32(mod[4:]) != uint32(modAddr)+12 ||
				le.Uint32(mod[8:]) != 0x2000a || le.Uint32(mod[12:]) != 0 {
				t.Errorf("module %x", mod[:16])
			}
			if string(ram[modAddr:modAddr+12]) != "module bytes" || string(ram[0x20000:0x20012]) != "check=all\x00rd.cpio\x00" {
				t.Error("module or strings wrong")
			}
			if string(ram[0x2f00:0x2f05]) != "gemu\x00" {
				t.Error("loader name")
			}
			mm := ram[0x2100:]
			for i, m := range []E820Entry{{0, 0x9fc00, 1}, {0x9fc00, 0x400, 2}, {0xf0000, 0x10000, 2},
				{0x100000, 63 << 20, 1}, {0xfec00000, 0x1000, 2}, {0xfee00000, 0x1000, 2}} {
				p := mm[24*i:]
				if g := (E820Entry{le.Uint64(p[4:]), le.Uint64(p[12:]), le.Uint32(p[20:])}); le.Uint32(p) != 20 || g != m {
					t.Errorf("mmap[%d] = %d %v, want 20 %v", i, le.Uint32(p), g, m)
				}
			}
		})
	}
}

func TestBootMultibootRefusals(t *testing.T) {
	low := mbELF32(0)
	le.PutUint32(low[52+12:], 0x8000) // text's physical address in the loader's data
	noSum := mbELF32(0)
	noSum[0x1008]++
	aoutBad := make([]byte, 0x1000)
	copy(aoutBad[0x40:], mbHeader(0x10000, 0x100040, 0x100080, 0, 0, 0x100080))
	for _, c := range []struct {
		name string
		img  []byte
		ram  uint64
		rd   int
		err  string
	}{
		{"features", mbELF32(0x8), 64 << 20, 0, "k: not a loadable multiboot kernel: its header requires features 0x8 this loader lacks"},
		{"checksum", noSum, 64 << 20, 0, "k: not a bzImage (no \"HdrS\" setup header at 0x202) nor a multiboot kernel (no multiboot header in its first 8 KiB)"},
		{"low", low, 64 << 20, 0, "k: a segment at 0x8000-0x9000 is outside the RAM a kernel may load to (0x30000 up to 64 MiB)"},
		{"small-ram", mbELF32(0), 2 << 20, 0, "k: a segment at 0x200000-0x203000 is outside the RAM a kernel may load to (0x30000 up to 2 MiB)"},
		{"aout", aoutBad, 64 << 20, 0, "k: not a loadable multiboot kernel: load_addr 0x100080 does not precede header_addr 0x100040 in the file"},
		{"initrd", mbELF32(0), 4 << 20, 2 << 20, "initrd: initrd (2097152 bytes) does not fit in 4 MiB of RAM (after the kernel, which ends at 0x203000)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := LoadKernel(make([]byte, c.ram), "k", c.img, &BootConfig{Initrd: make([]byte, c.rd)})
			if err == nil || err.Error() != c.err {
				t.Errorf("error %v\nwant %q", err, c.err)
			}
		})
	}
}

// pagingRecorder is an x86.MMUControl that keeps the last paging regime.
type pagingRecorder struct {
	cr0, cr3, cr4, efer uint64
	user                bool
}

func (m *pagingRecorder) SetPaging(cr0, cr3, cr4, efer uint64) {
	m.cr0, m.cr3, m.cr4, m.efer = cr0, cr3, cr4, efer
}
func (m *pagingRecorder) SetUser(user bool)    { m.user = user }
func (m *pagingRecorder) FlushTLB(global bool) {}
func (m *pagingRecorder) FlushPage(va uint64)  {}

func TestBootApply(t *testing.T) {
	m64, err := x86.ModelByName("gemu64")
	if err != nil {
		t.Skip(err)
	}
	m32, err := x86.ModelByName("gemu32")
	if err != nil {
		t.Skip(err)
	}
	ram := make([]byte, 64<<20)
	for _, c := range []struct {
		name    string
		k       synthKernel
		model   *x86.CPUModel
		mode    int
		cr0     uint64
		efer    uint64
		rip     uint64
		codeSel uint16
	}{
		{"long", synth64, m64, 64, 0x80000011, 0x500, 0x1000200, 0x10},
		{"32-on-64", synth32, m64, 32, 0x11, 0, 0x1000000, 0x10},
		{"32-on-32", synth32, m32, 32, 0x11, 0, 0x1000000, 0x10},
	} {
		t.Run(c.name, func(t *testing.T) {
			e, err := LoadLinux(ram, mustParse(t, c.k), &BootConfig{LongMode: c.model.LongMode()})
			if err != nil {
				t.Fatal(err)
			}
			cpu := x86.NewSystemCPU(c.model)
			mmu := &pagingRecorder{user: true}
			cpu.Priv.MMU = mmu
			cpu.R[x86.RDX] = 0x1234
			if err := e.Apply(cpu); err != nil {
				t.Fatal(err)
			}
			if cpu.Mode != c.mode || cpu.CR0 != c.cr0 || cpu.EFER != c.efer || cpu.CR3 != e.CR3 || cpu.CR4 != e.CR4 {
				t.Errorf("mode %d CR0 %#x EFER %#x CR3 %#x CR4 %#x", cpu.Mode, cpu.CR0, cpu.EFER, cpu.CR3, cpu.CR4)
			}
			if mmu.cr0 != c.cr0 || mmu.efer != c.efer || mmu.cr3 != e.CR3 || mmu.cr4 != e.CR4 || mmu.user {
				t.Errorf("MMU told %+v", mmu)
			}
			if cpu.RIP != c.rip || cpu.R[x86.RSI] != 0x10000 || cpu.R[x86.RSP] != 0xf000 || cpu.R[x86.RDX] != 0 || cpu.Flags() != 2 {
				t.Errorf("RIP %#x RSI %#x RSP %#x RDX %#x flags %#x", cpu.RIP, cpu.R[x86.RSI], cpu.R[x86.RSP], cpu.R[x86.RDX], cpu.Flags())
			}
			if cpu.Priv.GDTR != e.GDT || cpu.Priv.Segs != e.Segs || cpu.CPL != 0 ||
				cpu.Seg[x86.CS] != c.codeSel || cpu.Seg[x86.SS] != 0x18 || cpu.SegBase[x86.DS] != 0 {
				t.Errorf("GDTR %+v segs %+v CPL %d selectors %v", cpu.Priv.GDTR, cpu.Priv.Segs, cpu.CPL, cpu.Seg)
			}
		})
	}
	// A long-mode entry on a 32-bit model is refused.
	e, err := LoadLinux(ram, mustParse(t, synth64), &BootConfig{LongMode: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Apply(x86.NewSystemCPU(m32)); err == nil {
		t.Error("long-mode entry applied to a 32-bit CPU")
	}
}
