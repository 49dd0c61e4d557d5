package main

import (
	"fmt"
	"strconv"
	"strings"

	"gemu/plugin"
)

// Command-line options, parsed QEMU style (qemu-system-x86_64's names and
// meanings): each option is introduced by "-" or "--" and takes its value,
// if any, from the next argument. There are no positional arguments.

const version = "0.1.0"

// Drive is one disk: -drive file=IMG,format=raw,if=virtio[,readonly=on]
// or -hda IMG.
type Drive struct {
	File     string
	ReadOnly bool
}

// Serial says where COM1 goes: the terminal, a file, or nowhere.
type Serial struct {
	Kind string // "stdio", "file", "none"
	Path string // for "file"
}

// Options is the parsed command line.
type Options struct {
	Kernel, Initrd, Append string
	MemBytes               uint64
	NoGraphic              bool
	Serial                 Serial
	serialSet              bool
	NoReboot               bool
	CPU                    string
	SMP                    int
	Drives                 []Drive
	Plugins                []plugin.Spec

	LogFile   string // -D
	LogItems  map[string]bool
	DebugHelp bool
	Help      bool
	Version   bool
	CPUHelp   bool // -cpu help
}

// logItems are the -d items with their descriptions.
var logItems = []struct{ name, help string }{
	{"in_asm", "show the guest instructions of each translated block"},
	{"exec", "show a trace line for every executed block"},
	{"cpu", "show the CPU registers before each executed block"},
	{"int", "show interrupts and exceptions"},
	{"mmu", "show page-table changes (CR3 loads, paging mode changes)"},
	{"ioport", "show port I/O accesses"},
	{"unimp", "log unimplemented instructions and devices"},
	{"guest_errors", "log accesses to unassigned ports and memory"},
	{"nochain", "do not chain translated blocks"},
}

type option struct {
	name, arg, help string
	apply           func(o *Options, v string) error
}

var optionTable = []option{
	{"h", "", "print this help and exit", func(o *Options, _ string) error { o.Help = true; return nil }},
	{"help", "", "print this help and exit", func(o *Options, _ string) error { o.Help = true; return nil }},
	{"version", "", "print the version and exit", func(o *Options, _ string) error { o.Version = true; return nil }},
	{"kernel", "bzImage", "boot this Linux kernel (x86 boot protocol)", func(o *Options, v string) error { o.Kernel = v; return nil }},
	{"initrd", "FILE", "use FILE as the initial ram disk", func(o *Options, v string) error { o.Initrd = v; return nil }},
	{"append", "CMDLINE", "the kernel command line", func(o *Options, v string) error { o.Append = v; return nil }},
	{"m", "SIZE", "RAM size: a number of MiB, or with a suffix M or G (default 128M)", parseMem},
	{"nographic", "", "no display: COM1 on the terminal (the default, as there is no display)", func(o *Options, _ string) error {
		o.NoGraphic = true
		return nil
	}},
	{"serial", "stdio|file:PATH|none", "where COM1 goes (default stdio)", parseSerial},
	{"no-reboot", "", "end gemu-system when the guest resets instead of rebooting", func(o *Options, _ string) error {
		o.NoReboot = true
		return nil
	}},
	{"cpu", "MODEL", "CPU model (-cpu help lists them)", func(o *Options, v string) error {
		if v == "help" {
			o.CPUHelp = true
		}
		o.CPU = v
		return nil
	}},
	{"smp", "N", "number of CPUs (only 1 for now)", func(o *Options, v string) error {
		n, err := strconv.Atoi(strings.TrimPrefix(strings.SplitN(v, ",", 2)[0], "cpus="))
		if err != nil || n < 1 {
			return fmt.Errorf("bad -smp value %q", v)
		}
		if n > 1 {
			return fmt.Errorf("-smp %d: gemu-system emulates one CPU for now", n)
		}
		o.SMP = n
		return nil
	}},
	{"drive", "file=IMG,format=raw,if=virtio[,readonly=on]", "a virtio-blk disk backed by a raw image", parseDrive},
	{"hda", "IMG", "a raw disk image as the first disk (virtio-blk)", func(o *Options, v string) error {
		if v == "" {
			return fmt.Errorf("-hda: empty file name")
		}
		o.Drives = append(o.Drives, Drive{File: v})
		return nil
	}},
	{"plugin", "file=PATH[,args=STRING]", "load a plugin (repeatable); a bare NAME selects a built-in tracer", func(o *Options, v string) error {
		spec, err := plugin.ParseSpec(v)
		if err != nil {
			return err
		}
		o.Plugins = append(o.Plugins, spec)
		return nil
	}},
	{"d", "ITEM,...", "enable logging of the given items (-d help lists them)", parseLogItems},
	{"D", "FILE", "write the log to FILE instead of stderr", func(o *Options, v string) error { o.LogFile = v; return nil }},
}

func lookupOption(name string) *option {
	for i := range optionTable {
		if optionTable[i].name == name {
			return &optionTable[i]
		}
	}
	return nil
}

// ParseArgs parses gemu-system's command line (without the program name).
func ParseArgs(args []string) (*Options, error) {
	o := &Options{MemBytes: 128 << 20, Serial: Serial{Kind: "stdio"}, SMP: 1, LogItems: map[string]bool{}}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") || a == "-" {
			return nil, fmt.Errorf("unexpected argument %q (options start with -; try -h)", a)
		}
		name := strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-")
		opt := lookupOption(name)
		if opt == nil {
			return nil, fmt.Errorf("unknown option %q (try -h)", a)
		}
		v := ""
		if opt.arg != "" {
			if i+1 >= len(args) {
				return nil, fmt.Errorf("option %s needs an argument (%s)", a, opt.arg)
			}
			i++
			v = args[i]
		}
		if err := opt.apply(o, v); err != nil {
			return nil, err
		}
	}
	return o, nil
}

// parseMem reads -m: a number of MiB, or a number with a suffix K, M, G
// (QEMU also accepts "size=N").
func parseMem(o *Options, v string) error {
	s := strings.TrimPrefix(v, "size=")
	mult := uint64(1 << 20)
	if n := len(s); n > 0 {
		switch s[n-1] {
		case 'k', 'K':
			mult, s = 1<<10, s[:n-1]
		case 'm', 'M':
			mult, s = 1<<20, s[:n-1]
		case 'g', 'G':
			mult, s = 1<<30, s[:n-1]
		}
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n == 0 {
		return fmt.Errorf("bad -m value %q (want a size like 128M or 1G)", v)
	}
	size := n * mult
	if size/mult != n || size < 16<<20 {
		return fmt.Errorf("bad -m value %q: gemu-system needs at least 16 MiB", v)
	}
	if size > 64<<30 {
		return fmt.Errorf("bad -m value %q: at most 64G", v)
	}
	o.MemBytes = size &^ (1<<20 - 1)
	return nil
}

func parseSerial(o *Options, v string) error {
	if o.serialSet {
		return fmt.Errorf("-serial given twice: gemu-system has one serial port (COM1)")
	}
	o.serialSet = true
	switch {
	case v == "stdio", v == "mon:stdio":
		o.Serial = Serial{Kind: "stdio"}
	case v == "none", v == "null":
		o.Serial = Serial{Kind: "none"}
	case strings.HasPrefix(v, "file:") && len(v) > len("file:"):
		o.Serial = Serial{Kind: "file", Path: v[len("file:"):]}
	default:
		return fmt.Errorf("bad -serial value %q (want stdio, file:PATH or none)", v)
	}
	return nil
}

func parseDrive(o *Options, v string) error {
	var d Drive
	for _, kv := range strings.Split(v, ",") {
		key, val, ok := strings.Cut(kv, "=")
		if !ok {
			return fmt.Errorf("bad -drive element %q (want key=value)", kv)
		}
		switch key {
		case "file":
			d.File = val
		case "format":
			if val != "raw" {
				return fmt.Errorf("-drive format=%s: only raw images are supported", val)
			}
		case "if":
			if val != "virtio" {
				return fmt.Errorf("-drive if=%s: only if=virtio is supported", val)
			}
		case "readonly":
			switch val {
			case "on", "true", "yes":
				d.ReadOnly = true
			case "off", "false", "no":
			default:
				return fmt.Errorf("bad -drive readonly=%s (want on or off)", val)
			}
		case "media":
			if val != "disk" {
				return fmt.Errorf("-drive media=%s: only disks are supported", val)
			}
		default:
			return fmt.Errorf("unknown -drive key %q", key)
		}
	}
	if d.File == "" {
		return fmt.Errorf("-drive %q: missing file=IMG", v)
	}
	o.Drives = append(o.Drives, d)
	return nil
}

func parseLogItems(o *Options, v string) error {
	if v == "" {
		return fmt.Errorf("bad -d option: empty item list (-d help lists the items)")
	}
	for _, item := range strings.Split(v, ",") {
		if item == "help" {
			o.DebugHelp = true
			continue
		}
		known := false
		for _, it := range logItems {
			known = known || it.name == item
		}
		if !known {
			return fmt.Errorf("unknown -d item %q (-d help lists the items)", item)
		}
		o.LogItems[item] = true
	}
	return nil
}

// Usage returns the -h text.
func Usage() string {
	var b strings.Builder
	b.WriteString("usage: gemu-system [options]\n\n" +
		"Emulates a PC with one x86 CPU and boots a Linux kernel on it (-kernel), its\n" +
		"console on COM1. Options (also accepted with \"--\"):\n\n")
	for _, o := range optionTable {
		left := "-" + o.name
		if o.arg != "" {
			left += " " + o.arg
		}
		if len(left) > 22 {
			fmt.Fprintf(&b, "  %s\n  %-22s  %s\n", left, "", o.help)
		} else {
			fmt.Fprintf(&b, "  %-22s  %s\n", left, o.help)
		}
	}
	b.WriteString("\nLog items for -d:\n")
	b.WriteString(LogHelp())
	b.WriteString("\nOn the terminal, Ctrl-A X quits and Ctrl-A Ctrl-A sends Ctrl-A.\n")
	return b.String()
}

// LogHelp lists the -d items, one per line.
func LogHelp() string {
	var b strings.Builder
	for _, it := range logItems {
		fmt.Fprintf(&b, "  %-13s %s\n", it.name, it.help)
	}
	return b.String()
}
