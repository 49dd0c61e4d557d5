package main

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// The options a forked or execve'd gemu gets parse back to the same
// settings, less those that concern the first program only.
func TestRelaunchArgs(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range [][]string{
		{"prog"},
		{"-strace", "prog"},
		{"-d", "strace", "prog"},
		{"-d", "in_asm,unimp", "-strace", "-one-insn-per-tb", "prog"},
		{"-d", "exec,cpu,nochain", "prog"},
		{"-D", "log.txt", "-E", "A=1", "-U", "B", "-0", "zero", "-plugin", "insn,args=a,,b", "-plugin", "file=rel/p.so", "prog", "x"},
	} {
		o, err := ParseArgs(line)
		if err != nil {
			t.Fatal(err)
		}
		args := relaunchArgs(o)
		back, err := ParseArgs(append(append([]string{}, args...), "--", "other"))
		if err != nil {
			t.Fatalf("%q: relaunched with %q: %v", line, args, err)
		}
		want := *o
		want.LogFile, want.Env, want.Argv0, want.Program, want.Args = "", nil, "", "other", []string{}
		for i, s := range want.Plugins {
			if s.Path != "" {
				want.Plugins[i].Path = filepath.Join(wd, s.Path)
			}
		}
		if !reflect.DeepEqual(*back, want) {
			t.Errorf("%q: relaunched as %q:\n got %+v\nwant %+v", line, args, *back, want)
		}
	}
}
