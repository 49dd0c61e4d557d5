package main

import (
	"reflect"
	"strings"
	"testing"
)

func TestParsePlugin(t *testing.T) {
	for _, c := range []struct {
		in   string
		want PluginSpec
		err  string
	}{
		{in: "file=/p/x.so", want: PluginSpec{Path: "/p/x.so"}},
		{in: "file=x.so,args=a b", want: PluginSpec{Path: "x.so", Args: "a b"}},
		{in: "file=x.so,args=a,,b,,,,c", want: PluginSpec{Path: "x.so", Args: "a,b,,c"}},
		{in: "args=k=v,file=x.so", want: PluginSpec{Path: "x.so", Args: "k=v"}},
		{in: "file=we,,ird.so", want: PluginSpec{Path: "we,ird.so"}},
		{in: "insn", want: PluginSpec{Builtin: "insn"}},
		{in: "insn,args=verbose", want: PluginSpec{Builtin: "insn", Args: "verbose"}},
		{in: "", err: `bad -plugin option "": empty`},
		{in: "args=x", err: "missing file=PATH"},
		{in: "file=", err: "empty value for file"},
		{in: "file=x.so,args=", err: "empty value for args"},
		{in: "file=x.so,arg=1", err: `unknown key "arg"`},
		{in: "file=x.so,file=y.so", err: "file given twice"},
		{in: "file=x.so,", err: "empty element"},
		{in: "file=x.so,junk", err: `"junk" is not key=value`},
		{in: "insn,file=x.so", err: "cannot be combined"},
	} {
		got, err := ParsePlugin(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) || !strings.HasPrefix(err.Error(), `bad -plugin option "`) {
				t.Errorf("%q: error %v, want %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%q: %+v %v, want %+v", c.in, got, err, c.want)
		}
	}
}

func TestParseArgs(t *testing.T) {
	o, err := ParseArgs([]string{"-d", "in_asm,unimp", "-D", "/tmp/log", "-strace", "-E", "A=1", "-U", "B",
		"--E", "C=x=y", "-0", "zero", "-one-insn-per-tb", "-plugin", "file=p.so,args=1,,2",
		"-plugin", "insn", "prog", "-d", "arg2"})
	if err != nil {
		t.Fatal(err)
	}
	want := &Options{
		LogFile: "/tmp/log", InAsm: true, Unimp: true, LogAny: true, Strace: true, OneInsnPerTB: true,
		Argv0:   "zero",
		Env:     []envOp{{Name: "A", Value: "1"}, {Unset: true, Name: "B"}, {Name: "C", Value: "x=y"}},
		Plugins: []PluginSpec{{Path: "p.so", Args: "1,2"}, {Builtin: "insn"}},
		Program: "prog", Args: []string{"-d", "arg2"},
	}
	if !reflect.DeepEqual(o, want) {
		t.Errorf("got  %+v\nwant %+v", o, want)
	}
	for _, c := range []struct {
		args  []string
		check func(o *Options) bool
	}{
		{[]string{"-h"}, func(o *Options) bool { return o.Help }},
		{[]string{"-help", "prog"}, func(o *Options) bool { return o.Help }},
		{[]string{"-version"}, func(o *Options) bool { return o.Version }},
		{[]string{"-d", "help"}, func(o *Options) bool { return o.DebugHelp }},
		{[]string{"-d", "strace,nochain,exec,cpu", "p"}, func(o *Options) bool {
			return o.Strace && o.NoChain && o.Exec && o.CPU && o.LogAny && o.Program == "p"
		}},
		{[]string{"--", "-weird-name", "x"}, func(o *Options) bool { return o.Program == "-weird-name" && len(o.Args) == 1 }},
		{[]string{}, func(o *Options) bool { return o.Program == "" }},
	} {
		o, err := ParseArgs(c.args)
		if err != nil || !c.check(o) {
			t.Errorf("%q: %+v %v", c.args, o, err)
		}
	}
}

func TestParseArgsErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-bogus", "prog"}, `unknown option "-bogus"`},
		{[]string{"-D"}, "option -D needs an argument"},
		{[]string{"-d"}, "option -d needs an argument"},
		{[]string{"-d", "in_asm,bogus", "p"}, `unknown -d item "bogus"`},
		{[]string{"-d", "", "p"}, "empty item list"},
		{[]string{"-E", "NOEQUALS", "p"}, `bad -E option "NOEQUALS"`},
		{[]string{"-E", "=v", "p"}, `bad -E option "=v"`},
		{[]string{"-U", "A=B", "p"}, `bad -U option "A=B"`},
		{[]string{"-plugin", "file=x.so,bad=1", "p"}, `bad -plugin option "file=x.so,bad=1": unknown key "bad"`},
		{[]string{"-0"}, "option -0 needs an argument"},
	} {
		_, err := ParseArgs(c.args)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want %q", c.args, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: error is not one line: %q", c.args, err)
		}
	}
}

func TestGuestEnv(t *testing.T) {
	env := []string{"A=1", "B=2", "C=3", "B=dup"}
	got := GuestEnv(env, []envOp{{Name: "B", Value: "new"}, {Unset: true, Name: "C"}, {Name: "D", Value: "4"}})
	want := []string{"A=1", "B=new", "D=4"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q want %q", got, want)
	}
	if env[1] != "B=2" {
		t.Error("host environment modified")
	}
}

func TestUsageListsEverything(t *testing.T) {
	u := Usage()
	for _, opt := range []string{"-D FILE", "-d ITEM", "-strace", "-E VAR=VALUE", "-U VAR", "-0 ARGV0",
		"-one-insn-per-tb", "-h", "-help", "-version", "-plugin file=PATH", "in_asm", "exec", "cpu", "strace", "unimp", "nochain"} {
		if !strings.Contains(u, opt) {
			t.Errorf("usage lacks %q", opt)
		}
	}
}
