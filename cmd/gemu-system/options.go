package main

import (
	"fmt"
	"strconv"
	"strings"

	"gemu/internal/cli"
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
var logItems = []cli.Item{
	{Name: "in_asm", Help: "show the guest instructions of each translated block"},
	{Name: "exec", Help: "show a trace line for every executed block"},
	{Name: "cpu", Help: "show the CPU registers before each executed block"},
	{Name: "int", Help: "show interrupts and exceptions"},
	{Name: "mmu", Help: "show page-table changes (CR3 loads, paging mode changes)"},
	{Name: "ioport", Help: "show port I/O accesses"},
	{Name: "unimp", Help: "log unimplemented instructions and devices"},
	{Name: "guest_errors", Help: "log accesses to unassigned ports and memory"},
	{Name: "nochain", Help: "do not chain translated blocks"},
}

var optionTable = []cli.Option[Options]{
	{Name: "h", Help: "print this help and exit", Apply: func(o *Options, _ string) error { o.Help = true; return nil }},
	{Name: "help", Help: "print this help and exit", Apply: func(o *Options, _ string) error { o.Help = true; return nil }},
	{Name: "version", Help: "print the version and exit", Apply: func(o *Options, _ string) error { o.Version = true; return nil }},
	{Name: "kernel", Arg: "bzImage", Help: "boot this Linux kernel (x86 boot protocol)", Apply: func(o *Options, v string) error { o.Kernel = v; return nil }},
	{Name: "initrd", Arg: "FILE", Help: "use FILE as the initial ram disk", Apply: func(o *Options, v string) error { o.Initrd = v; return nil }},
	{Name: "append", Arg: "CMDLINE", Help: "the kernel command line", Apply: func(o *Options, v string) error { o.Append = v; return nil }},
	{Name: "m", Arg: "SIZE", Help: "RAM size: a number of MiB, or with a suffix M or G (default 128M)", Apply: parseMem},
	{Name: "nographic", Help: "no display: COM1 on the terminal (the default, as there is no display)", Apply: func(o *Options, _ string) error {
		o.NoGraphic = true
		return nil
	}},
	{Name: "serial", Arg: "stdio|file:PATH|none", Help: "where COM1 goes (default stdio)", Apply: parseSerial},
	{Name: "no-reboot", Help: "end gemu-system when the guest resets instead of rebooting", Apply: func(o *Options, _ string) error {
		o.NoReboot = true
		return nil
	}},
	{Name: "cpu", Arg: "MODEL", Help: "CPU model (-cpu help lists them)", Apply: func(o *Options, v string) error {
		if v == "help" {
			o.CPUHelp = true
		}
		o.CPU = v
		return nil
	}},
	{Name: "smp", Arg: "N", Help: "number of CPUs (only 1 for now)", Apply: func(o *Options, v string) error {
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
	{Name: "drive", Arg: "file=IMG,format=raw,if=virtio[,readonly=on]", Help: "a virtio-blk disk backed by a raw image", Apply: parseDrive},
	{Name: "hda", Arg: "IMG", Help: "a raw disk image as the first disk (virtio-blk)", Apply: func(o *Options, v string) error {
		if v == "" {
			return fmt.Errorf("-hda: empty file name")
		}
		o.Drives = append(o.Drives, Drive{File: v})
		return nil
	}},
	{Name: "plugin", Arg: "file=PATH[,args=STRING]", Help: "load a plugin (repeatable); a bare NAME selects a built-in tracer", Apply: func(o *Options, v string) error {
		spec, err := plugin.ParseSpec(v)
		if err != nil {
			return err
		}
		o.Plugins = append(o.Plugins, spec)
		return nil
	}},
	{Name: "d", Arg: "ITEM,...", Help: "enable logging of the given items (-d help lists them)", Apply: parseLogItems},
	{Name: "D", Arg: "FILE", Help: "write the log to FILE instead of stderr", Apply: func(o *Options, v string) error { o.LogFile = v; return nil }},
}

func lookupOption(name string) *cli.Option[Options] { return cli.Lookup(optionTable, name) }

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
		if opt.Arg != "" {
			if i+1 >= len(args) {
				return nil, fmt.Errorf("option %s needs an argument (%s)", a, opt.Arg)
			}
			i++
			v = args[i]
		}
		if err := opt.Apply(o, v); err != nil {
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
			known = known || it.Name == item
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
	b.WriteString(cli.Help(optionTable))
	b.WriteString("\nLog items for -d:\n")
	b.WriteString(LogHelp())
	b.WriteString("\nOn the terminal, Ctrl-A X quits and Ctrl-A Ctrl-A sends Ctrl-A.\n")
	return b.String()
}

// LogHelp lists the -d items, one per line.
func LogHelp() string { return cli.Items(logItems, 13) }
