package cpio

import (
	"bytes"
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
