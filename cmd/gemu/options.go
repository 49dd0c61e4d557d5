package main

import (
	"fmt"
	"strings"

	"gemu/internal/cli"
	"gemu/plugin"
)

// Command-line options, parsed QEMU style: options come first, each
// introduced by "-" or "--", with its value (if any) as the next argument;
// the first argument that is not an option names the program, and the
// rest are the program's arguments.

const version = "0.1.0"

// PluginSpec is one -plugin option: a shared object to load (Path) with
// its argument string (Args), or a built-in tracer selected by name
// (Builtin).
type PluginSpec struct {
	Path    string
	Builtin string
	Args    string
}

// envOp is one -E (set) or -U (unset) of the guest environment, applied
// in command-line order.
type envOp struct {
	Unset bool
	Name  string
	Value string
}

// Options is the parsed command line.
type Options struct {
	LogFile      string // -D: log destination ("" is stderr)
	InAsm        bool   // -d in_asm
	Exec         bool   // -d exec
	CPU          bool   // -d cpu
	Unimp        bool   // -d unimp
	NoChain      bool   // -d nochain
	Strace       bool   // -strace or -d strace
	LogAny       bool   // any -d item was given
	OneInsnPerTB bool   // -one-insn-per-tb
	Argv0        string // -0
	Env          []envOp
	Plugins      []PluginSpec
	Help         bool
	Version      bool
	DebugHelp    bool // -d help

	Program string
	Args    []string // program arguments after the program name
}

// logItems are the -d items with their descriptions.
var logItems = []cli.Item{
	{Name: "in_asm", Help: "show the guest instructions of each translated block"},
	{Name: "exec", Help: "show a trace line for every executed block"},
	{Name: "cpu", Help: "show the CPU registers before each executed block"},
	{Name: "strace", Help: "log system calls and their results (same as -strace)"},
	{Name: "unimp", Help: "log unimplemented instructions, system calls and features"},
	{Name: "nochain", Help: "do not chain translated blocks (every block is looked up)"},
}

var optionTable = []cli.Option[Options]{
	{Name: "h", Help: "print this help and exit", Apply: func(o *Options, _ string) error { o.Help = true; return nil }},
	{Name: "help", Help: "print this help and exit", Apply: func(o *Options, _ string) error { o.Help = true; return nil }},
	{Name: "version", Help: "print the version and exit", Apply: func(o *Options, _ string) error { o.Version = true; return nil }},
	{Name: "D", Arg: "FILE", Help: "write the -d and -strace log to FILE instead of stderr", Apply: func(o *Options, v string) error {
		o.LogFile = v
		return nil
	}},
	{Name: "d", Arg: "ITEM,...", Help: "enable logging of the given items (-d help lists them)", Apply: parseLogItems},
	{Name: "strace", Help: "log system calls", Apply: func(o *Options, _ string) error { o.Strace = true; return nil }},
	{Name: "E", Arg: "VAR=VALUE", Help: "set VAR in the guest environment (repeatable)", Apply: func(o *Options, v string) error {
		i := strings.IndexByte(v, '=')
		if i <= 0 {
			return fmt.Errorf("bad -E option %q: expected VAR=VALUE", v)
		}
		o.Env = append(o.Env, envOp{Name: v[:i], Value: v[i+1:]})
		return nil
	}},
	{Name: "U", Arg: "VAR", Help: "remove VAR from the guest environment (repeatable)", Apply: func(o *Options, v string) error {
		if v == "" || strings.IndexByte(v, '=') >= 0 {
			return fmt.Errorf("bad -U option %q: expected a variable name", v)
		}
		o.Env = append(o.Env, envOp{Unset: true, Name: v})
		return nil
	}},
	{Name: "0", Arg: "ARGV0", Help: "pass ARGV0 as the program's argv[0]", Apply: func(o *Options, v string) error { o.Argv0 = v; return nil }},
	{Name: "one-insn-per-tb", Help: "translate one guest instruction per block", Apply: func(o *Options, _ string) error {
		o.OneInsnPerTB = true
		return nil
	}},
	{Name: "plugin", Arg: "file=PATH[,args=STRING]", Help: "load a plugin (repeatable; \",,\" is a comma in STRING);\n" +
		"                        a bare NAME selects a built-in tracer", Apply: func(o *Options, v string) error {
		spec, err := ParsePlugin(v)
		if err != nil {
			return err
		}
		o.Plugins = append(o.Plugins, spec)
		return nil
	}},
}

func parseLogItems(o *Options, v string) error {
	if v == "" {
		return fmt.Errorf("bad -d option: empty item list (-d help lists the items)")
	}
	for _, item := range strings.Split(v, ",") {
		switch item {
		case "help":
			o.DebugHelp = true
			continue
		case "in_asm":
			o.InAsm = true
		case "exec":
			o.Exec = true
		case "cpu":
			o.CPU = true
		case "strace":
			o.Strace = true
		case "unimp":
			o.Unimp = true
		case "nochain":
			o.NoChain = true
		default:
			return fmt.Errorf("unknown -d item %q (-d help lists the items)", item)
		}
		o.LogAny = true
	}
	return nil
}

// ParseArgs parses the command line (without the command name).
func ParseArgs(args []string) (*Options, error) {
	o := &Options{}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if len(a) < 2 || a[0] != '-' {
			o.Program, o.Args = a, args[i+1:]
			return o, nil
		}
		name := strings.TrimPrefix(a[1:], "-")
		if a == "--" {
			if i+1 < len(args) {
				o.Program, o.Args = args[i+1], args[i+2:]
			}
			return o, nil
		}
		opt := lookupOption(name)
		if opt == nil {
			return nil, fmt.Errorf("unknown option %q (try -help)", a)
		}
		var v string
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
		if o.Help || o.Version || o.DebugHelp {
			return o, nil
		}
	}
	return o, nil
}

func lookupOption(name string) *cli.Option[Options] { return cli.Lookup(optionTable, name) }

// ParsePlugin parses the value of -plugin (plugin.ParseSpec).
func ParsePlugin(v string) (PluginSpec, error) {
	spec, err := plugin.ParseSpec(v)
	if err != nil {
		return PluginSpec{}, err
	}
	return PluginSpec{Path: spec.Path, Builtin: spec.Name, Args: spec.Args}, nil
}

// Usage returns the -help text.
func Usage() string {
	var b strings.Builder
	b.WriteString("usage: gemu [options] PROGRAM [ARGS...]\n\n" +
		"Runs the static i386 or x86-64 Linux program PROGRAM with ARGS, translating its\n" +
		"system calls to the host. Options (also accepted with \"--\"):\n\n")
	b.WriteString(cli.Help(optionTable))
	b.WriteString("\nLog items for -d:\n")
	b.WriteString(LogHelp())
	return b.String()
}

// LogHelp lists the -d items, one per line.
func LogHelp() string { return cli.Items(logItems, 10) }

// GuestEnv applies the -E and -U operations to the host environment env.
func GuestEnv(env []string, ops []envOp) []string {
	out := append([]string{}, env...)
	for _, op := range ops {
		kept := out[:0]
		replaced := false
		for _, kv := range out {
			if i := strings.IndexByte(kv, '='); i >= 0 && kv[:i] == op.Name {
				// A set replaces the first definition in place; every
				// other definition of the name goes.
				if !op.Unset && !replaced {
					kept = append(kept, op.Name+"="+op.Value)
					replaced = true
				}
				continue
			}
			kept = append(kept, kv)
		}
		out = kept
		if !op.Unset && !replaced {
			out = append(out, op.Name+"="+op.Value)
		}
	}
	return out
}
