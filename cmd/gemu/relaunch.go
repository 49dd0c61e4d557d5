package main

import (
	"path/filepath"
	"strings"
)

// relaunchArgs returns the options that the gemu of a forked child or of
// an execve'd program runs with (linux.Options.Relaunch): the -d items,
// -strace, -one-insn-per-tb and the plugins, with plugin files as
// absolute paths (the guest may change directory). -D is not repeated
// (the new gemu appends to the same file through its descriptor), nor are
// -E, -U and -0, which concern the first program only.
func relaunchArgs(o *Options) []string {
	var a, items []string
	for _, it := range []struct {
		on   bool
		name string
	}{{o.InAsm, "in_asm"}, {o.Exec, "exec"}, {o.CPU, "cpu"}, {o.Unimp, "unimp"}, {o.NoChain, "nochain"}} {
		if it.on {
			items = append(items, it.name)
		}
	}
	switch {
	case o.Strace && (o.LogAny || len(items) > 0):
		// "-d strace" also turns on fault logging (LogAny).
		items = append(items, "strace")
	case o.Strace:
		a = append(a, "-strace")
	}
	if len(items) > 0 {
		a = append(a, "-d", strings.Join(items, ","))
	}
	if o.OneInsnPerTB {
		a = append(a, "-one-insn-per-tb")
	}
	for _, s := range o.Plugins {
		a = append(a, "-plugin", pluginArg(s))
	}
	return a
}

// pluginArg renders a plugin specification as -plugin's value, which
// ParsePlugin reads back.
func pluginArg(s PluginSpec) string {
	esc := func(v string) string { return strings.ReplaceAll(v, ",", ",,") }
	var v string
	if s.Builtin != "" {
		v = esc(s.Builtin)
	} else {
		path := s.Path
		if abs, err := filepath.Abs(path); err == nil {
			path = abs
		}
		v = "file=" + esc(path)
	}
	if s.Args != "" {
		v += ",args=" + esc(s.Args)
	}
	return v
}
