package cpio

import (
	"bytes"
	"compress/gzip"
	"io"
	"strconv"
	"strings"
	"testing"
)

// TestLayout checks a header's fields, the name's NUL and the 4-byte
// padding of name and data, and the trailer, byte by byte.
func TestLayout(t *testing.T) {
	var b bytes.Buffer
	w := NewWriter(&b)
	if err := w.Add(Entry{Name: "init", Mode: TypeRegular | 0o755, Data: []byte("#!x\n\n")}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got := b.String()
	want := "070701" + "00000001" + "000081ed" + "00000000" + "00000000" + "00000001" + "00000000" +
		"00000005" + "00000000" + "00000000" + "00000000" + "00000000" + "00000005" + "00000000" +
		"init\x00" + "\x00" + // 110+5 = 115, padded to 116
		"#!x\n\n" + "\x00\x00\x00" // 121 padded to 124
	if !strings.HasPrefix(got, want) {
		t.Fatalf("first entry:\n got %q\nwant %q", got[:min(len(got), len(want))], want)
	}
	rest := got[len(want):]
	if !strings.HasPrefix(rest, "070701") || !strings.Contains(rest, "TRAILER!!!\x00") || len(got)%4 != 0 {
		t.Fatalf("trailer: %q (total %d bytes)", rest, len(got))
	}
	if err := w.Add(Entry{Name: "late"}); err == nil {
		t.Fatal("Add after Close succeeded")
	}
}

// TestInitramfs unpacks an initramfs and checks its members: the fixed
// directories and files, an extra file with its parents made first.
func TestInitramfs(t *testing.T) {
	var b bytes.Buffer
	err := Initramfs(&b, []byte("BB"), []byte("#!/bin/sh\n"), map[string][]byte{"/lib/modules/x.ko": []byte("KO")})
	if err != nil {
		t.Fatal(err)
	}
	z, err := gzip.NewReader(&b)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(z)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	data := map[string]string{}
	for off := 0; off+110 <= len(raw); {
		hdr := string(raw[off : off+110])
		field := func(i int) int {
			v, err := strconv.ParseUint(hdr[6+8*i:14+8*i], 16, 32)
			if err != nil {
				t.Fatalf("header %q: %v", hdr, err)
			}
			return int(v)
		}
		size, nameLen := field(6), field(11)
		name := string(raw[off+110 : off+110+nameLen-1])
		off = (off + 110 + nameLen + 3) &^ 3
		data[name] = string(raw[off : off+size])
		off = (off + size + 3) &^ 3
		names = append(names, name)
	}
	got := strings.Join(names, " ")
	want := "bin sbin usr usr/bin usr/sbin dev proc sys tmp mnt etc root dev/console bin/busybox bin/sh init lib lib/modules lib/modules/x.ko TRAILER!!!"
	if got != want {
		t.Fatalf("members:\n got %s\nwant %s", got, want)
	}
	if data["bin/busybox"] != "BB" || data["bin/sh"] != "busybox" || data["init"] != "#!/bin/sh\n" || data["lib/modules/x.ko"] != "KO" {
		t.Fatalf("contents %q", data)
	}
}
