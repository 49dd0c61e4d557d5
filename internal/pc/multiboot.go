package pc

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"fmt"
)

// A multiboot (version 1, the Multiboot Specification 0.6.96) loader for
// freestanding kernels such as gemu's test kernels: an ELF image (32- or
// 64-bit, loaded by its program headers at their physical addresses) or
// an image whose multiboot header gives the load addresses (the "a.out
// kludge"); the entry is 32-bit flat protected mode with paging off, EAX
// the bootloader magic and EBX the multiboot information.

// Multiboot magic numbers: in the kernel's header, and in EAX at entry.
const (
	MultibootHeaderMagic = 0x1badb002
	MultibootLoaderMagic = 0x2badb002
)

// Multiboot header flags. Bits 0-15 are requirements: a loader that does
// not understand one must refuse the kernel.
const (
	mbPageAlignMods = 1 << 0 // modules page aligned (they are)
	mbMemInfo       = 1 << 1 // mem_lower/upper and the memory map (given)
	mbVideoMode     = 1 << 2 // a video mode table (none: serial-only machine; not given)
	mbKnownRequired = mbPageAlignMods | mbMemInfo | mbVideoMode
	mbAddrFields    = 1 << 16 // the header's address fields say where to load
	mbSearchLimit   = 8192    // the header lies in the image's first 8 KiB
)

// Multiboot information flags (which fields are valid).
const (
	mbiMem        = 1 << 0
	mbiCmdline    = 1 << 2
	mbiMods       = 1 << 3
	mbiMmap       = 1 << 6
	mbiLoaderName = 1 << 9
)

// Where the multiboot information goes, inside the loader's low page at
// BootMBInfoAddr.
const (
	mbModAddr    = BootMBInfoAddr + 0x80
	mbMmapAddr   = BootMBInfoAddr + 0x100
	mbNameAddr   = BootMBInfoAddr + 0xf00
	mbLoaderName = "gemu"
	mbDataEnd    = 0x30000 // segments must load above the loader's data
)

// multibootHeader is the kernel's multiboot header.
type multibootHeader struct {
	off                                                      int // in the image
	flags                                                    uint32
	headerAddr, loadAddr, loadEndAddr, bssEndAddr, entryAddr uint32
}

// findMultiboot returns the multiboot header in img's first 8 KiB: a
// 4-byte aligned magic whose checksum word makes magic+flags+checksum 0.
func findMultiboot(img []byte) (multibootHeader, bool) {
	le := binary.LittleEndian
	for off := 0; off+12 <= min(len(img), mbSearchLimit); off += 4 {
		if le.Uint32(img[off:]) != MultibootHeaderMagic {
			continue
		}
		flags := le.Uint32(img[off+4:])
		if MultibootHeaderMagic+flags+le.Uint32(img[off+8:]) != 0 {
			continue
		}
		h := multibootHeader{off: off, flags: flags}
		if flags&mbAddrFields != 0 && off+32 <= len(img) {
			h.headerAddr = le.Uint32(img[off+12:])
			h.loadAddr = le.Uint32(img[off+16:])
			h.loadEndAddr = le.Uint32(img[off+20:])
			h.bssEndAddr = le.Uint32(img[off+24:])
			h.entryAddr = le.Uint32(img[off+28:])
		}
		return h, true
	}
	return multibootHeader{}, false
}

// IsMultiboot reports whether img has a multiboot header.
func IsMultiboot(img []byte) bool { _, ok := findMultiboot(img); return ok }

// isBzImage reports whether img has the setup header's magic.
func isBzImage(img []byte) bool {
	return len(img) >= hdrMagic+4 && string(img[hdrMagic:hdrMagic+4]) == "HdrS"
}

// LoadKernel loads a kernel file of either kind into guest RAM b: a
// bzImage through the Linux boot protocol (LoadLinux), else a multiboot
// kernel (LoadMultiboot). name is the file, for errors.
func LoadKernel(b []byte, name string, img []byte, cfg *BootConfig) (*Entry, error) {
	if isBzImage(img) {
		k, err := ParseBzImage(name, img)
		if err != nil {
			return nil, err
		}
		return LoadLinux(b, k, cfg)
	}
	if IsMultiboot(img) {
		return LoadMultiboot(b, name, img, cfg)
	}
	return nil, fmt.Errorf("%s: not a bzImage (no \"HdrS\" setup header at 0x202) nor a multiboot kernel (no multiboot header in its first 8 KiB)", name)
}

// loadSeg is a piece of the kernel image to put at a physical address:
// data, then zeros up to memsz.
type loadSeg struct {
	pa    uint64
	data  []byte
	memsz uint64
}

// LoadMultiboot loads the multiboot kernel img into guest RAM b with the
// command line of cfg and its initrd as the one module, and returns the
// entry state. name is the file, for errors.
func LoadMultiboot(b []byte, name string, img []byte, cfg *BootConfig) (*Entry, error) {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%s: not a loadable multiboot kernel: %s", name, fmt.Sprintf(format, a...))
	}
	h, ok := findMultiboot(img)
	if !ok {
		return nil, bad("no multiboot header in its first 8 KiB")
	}
	if req := h.flags & 0xffff &^ mbKnownRequired; req != 0 {
		return nil, bad("its header requires features %#x this loader lacks", req)
	}
	r := ram{b, NewRAMLayout(uint64(len(b)))}
	e820, err := E820Map(r.l, cfg.Reserved)
	if err != nil {
		return nil, err
	}
	if len(cfg.Cmdline) >= BootCmdlineMax-0x100 {
		return nil, fmt.Errorf("command line of %d bytes: at most %d fit", len(cfg.Cmdline), BootCmdlineMax-0x101)
	}

	var segs []loadSeg
	var entry uint64
	if h.flags&mbAddrFields != 0 {
		if h.off+32 > len(img) {
			return nil, bad("the header's address fields are cut off")
		}
		if h.loadAddr > h.headerAddr || uint64(h.headerAddr-h.loadAddr) > uint64(h.off) {
			return nil, bad("load_addr %#x does not precede header_addr %#x in the file", h.loadAddr, h.headerAddr)
		}
		start := h.off - int(h.headerAddr-h.loadAddr)
		end := len(img)
		if h.loadEndAddr != 0 {
			if h.loadEndAddr < h.loadAddr || uint64(h.loadEndAddr-h.loadAddr) > uint64(len(img)-start) {
				return nil, bad("load_end_addr %#x is outside the file", h.loadEndAddr)
			}
			end = start + int(h.loadEndAddr-h.loadAddr)
		}
		memsz := uint64(end - start)
		if h.bssEndAddr != 0 {
			if uint64(h.bssEndAddr) < uint64(h.loadAddr)+memsz {
				return nil, bad("bss_end_addr %#x is below the end of the loaded image", h.bssEndAddr)
			}
			memsz = uint64(h.bssEndAddr - h.loadAddr)
		}
		segs = append(segs, loadSeg{uint64(h.loadAddr), img[start:end], memsz})
		entry = uint64(h.entryAddr)
	} else {
		f, err := elf.NewFile(bytes.NewReader(img))
		if err != nil {
			return nil, bad("not ELF and no address fields in its multiboot header (%v)", err)
		}
		if f.Machine != elf.EM_386 && f.Machine != elf.EM_X86_64 {
			return nil, bad("an ELF file for %v, not x86", f.Machine)
		}
		entry = f.Entry
		for _, p := range f.Progs {
			if p.Type != elf.PT_LOAD || p.Memsz == 0 {
				continue
			}
			if p.Filesz > p.Memsz || p.Off+p.Filesz > uint64(len(img)) || p.Off+p.Filesz < p.Off {
				return nil, bad("a program header outside the file")
			}
			segs = append(segs, loadSeg{p.Paddr, img[p.Off : p.Off+p.Filesz], p.Memsz})
			// The entry is a virtual address; multiboot enters at the
			// physical one.
			if f.Entry >= p.Vaddr && f.Entry-p.Vaddr < p.Memsz {
				entry = f.Entry - p.Vaddr + p.Paddr
			}
		}
		if len(segs) == 0 {
			return nil, bad("no loadable segment")
		}
	}

	lo, hi := ^uint64(0), uint64(0)
	for _, s := range segs {
		if s.pa < mbDataEnd || !r.fits(s.pa, s.memsz) {
			return nil, fmt.Errorf("%s: a segment at %#x-%#x is outside the RAM a kernel may load to (%#x up to %d MiB)",
				name, s.pa, s.pa+s.memsz, mbDataEnd, mib(r.l.Size))
		}
		lo, hi = min(lo, s.pa), max(hi, s.pa+s.memsz)
	}
	if entry < lo || entry >= hi {
		return nil, bad("entry point %#x outside the loaded image %#x-%#x", entry, lo, hi)
	}
	var modAddr uint64
	modSize := uint64(len(cfg.Initrd))
	if modSize > 0 {
		modAddr = alignUp(hi, 0x1000)
		if hi > r.l.Low || modAddr+modSize > r.l.Low {
			rd := cfg.InitrdName
			if rd == "" {
				rd = "initrd"
			}
			return nil, fmt.Errorf("%s: initrd (%d bytes) does not fit in %d MiB of RAM (after the kernel, which ends at %#x)",
				rd, modSize, mib(r.l.Size), hi)
		}
	}

	// Write the kernel, the module, the command line and the information.
	for _, s := range segs {
		r.put(s.pa, s.data)
		r.zero(s.pa+uint64(len(s.data)), s.memsz-uint64(len(s.data)))
	}
	if modSize > 0 {
		r.put(modAddr, cfg.Initrd)
	}
	r.zero(BootCmdlineAddr, uint64(len(cfg.Cmdline))+1)
	r.put(BootCmdlineAddr, []byte(cfg.Cmdline))
	r.zero(BootMBInfoAddr, 0x1000)
	info := uint64(BootMBInfoAddr)
	flags := uint32(mbiMem | mbiCmdline | mbiMmap | mbiLoaderName)
	r.put32(info+4, lowRAMEnd>>10)                     // mem_lower, KiB
	r.put32(info+8, uint32((r.l.Low-highRAMBase)>>10)) // mem_upper: KiB from 1 MiB to the first hole
	r.put32(info+16, BootCmdlineAddr)
	if modSize > 0 {
		flags |= mbiMods
		modName := BootCmdlineAddr + uint64(len(cfg.Cmdline)) + 1
		n := min(len(cfg.InitrdName), 0xfe)
		r.zero(modName, uint64(n)+1)
		r.put(modName, []byte(cfg.InitrdName[:n]))
		r.put32(info+20, 1) // mods_count
		r.put32(info+24, mbModAddr)
		r.put32(mbModAddr, uint32(modAddr))
		r.put32(mbModAddr+4, uint32(modAddr+modSize)) // mod_end: the first byte after
		r.put32(mbModAddr+8, uint32(modName))
	}
	for i, m := range e820 {
		p := uint64(mbMmapAddr + 24*i)
		r.put32(p, 20) // size of the entry after this field
		r.put64(p+4, m.Addr)
		r.put64(p+12, m.Size)
		r.put32(p+20, m.Type)
	}
	r.put32(info+44, uint32(24*len(e820))) // mmap_length
	r.put32(info+48, mbMmapAddr)
	r.put(mbNameAddr, []byte(mbLoaderName+"\x00"))
	r.put32(info+64, mbNameAddr)
	r.put32(info, flags)

	e := &Entry{
		RIP:        entry,
		RSP:        BootStackTop,
		RFLAGS:     flagsFix,
		RAX:        MultibootLoaderMagic,
		RBX:        info,
		CR0:        cr0PE | cr0ET,
		LoadAddr:   lo,
		KernelEnd:  hi,
		InitrdAddr: modAddr,
		InitrdSize: modSize,
		BootParams: info,
		Cmdline:    BootCmdlineAddr,
		E820:       e820,
	}
	e.writeGDT(r, descCode32, attrCode32)
	return e, nil
}
