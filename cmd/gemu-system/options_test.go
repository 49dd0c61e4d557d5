package main

import (
	"strings"
	"testing"
)

func TestParseArgs(t *testing.T) {
	o, err := ParseArgs([]string{"-kernel", "bz", "-initrd", "ir", "-append", "console=ttyS0 quiet",
		"-m", "1G", "-nographic", "-no-reboot", "--serial", "file:/tmp/x", "-cpu", "gemu32",
		"-drive", "file=a.img,format=raw,if=virtio,readonly=on", "-hda", "b.img",
		"-plugin", "insn", "-d", "int,ioport", "-D", "log", "-smp", "1"})
	if err != nil {
		t.Fatal(err)
	}
	if o.Kernel != "bz" || o.Initrd != "ir" || o.Append != "console=ttyS0 quiet" || o.MemBytes != 1<<30 ||
		!o.NoGraphic || !o.NoReboot || o.Serial != (Serial{"file", "/tmp/x"}) || o.CPU != "gemu32" ||
		o.LogFile != "log" || !o.LogItems["int"] || !o.LogItems["ioport"] || o.LogItems["cpu"] || o.SMP != 1 {
		t.Fatalf("parsed %+v", o)
	}
	if len(o.Drives) != 2 || o.Drives[0] != (Drive{"a.img", true}) || o.Drives[1] != (Drive{"b.img", false}) {
		t.Fatalf("drives %+v", o.Drives)
	}
	if len(o.Plugins) != 1 || o.Plugins[0].Name != "insn" {
		t.Fatalf("plugins %+v", o.Plugins)
	}
	d, _ := ParseArgs(nil)
	if d.MemBytes != 128<<20 || d.Serial.Kind != "stdio" || d.SMP != 1 {
		t.Fatalf("defaults %+v", d)
	}
	for v, want := range map[string]uint64{"256": 256 << 20, "64M": 64 << 20, "2G": 2 << 30, "size=512M": 512 << 20, "131072K": 128 << 20} {
		o, err := ParseArgs([]string{"-m", v})
		if err != nil || o.MemBytes != want {
			t.Errorf("-m %s: %v, %d bytes, want %d", v, err, o.MemBytes, want)
		}
	}
}

func TestParseArgsErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-smp", "2"}, "one CPU"},
		{[]string{"-m", "12x"}, "bad -m"},
		{[]string{"-m", "8M"}, "at least 16 MiB"},
		{[]string{"-m", "100G"}, "at most 64G"},
		{[]string{"-serial", "tcp:1"}, "bad -serial"},
		{[]string{"-serial", "stdio", "-serial", "none"}, "twice"},
		{[]string{"-drive", "file=x,format=qcow2"}, "only raw"},
		{[]string{"-drive", "file=x,if=ide"}, "only if=virtio"},
		{[]string{"-drive", "format=raw"}, "missing file="},
		{[]string{"-d", "bogus"}, "unknown -d item"},
		{[]string{"-kernel"}, "needs an argument"},
		{[]string{"-frobnicate"}, "unknown option"},
		{[]string{"bzImage"}, "unexpected argument"},
		{[]string{"-plugin", "file="}, "bad -plugin"},
	} {
		_, err := ParseArgs(tc.args)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want one containing %q", tc.args, err, tc.want)
		}
	}
}

func TestUsageListsEverything(t *testing.T) {
	u := Usage()
	for _, o := range optionTable {
		if !strings.Contains(u, "-"+o.Name) {
			t.Errorf("usage lacks -%s", o.Name)
		}
	}
	for _, it := range logItems {
		if !strings.Contains(u, it.Name) {
			t.Errorf("usage lacks -d %s", it.Name)
		}
	}
}
