// Command mkinitramfs builds a gzip-compressed initramfs (newc cpio) around
// a static busybox: /bin/busybox, /init from a script, the directories a
// shell needs, /dev/console, and any extra files. gemu-system's tests and
// the README's example use it:
//
//	go run ./scripts/mkinitramfs -busybox /bin/busybox -init init.sh -o initrd.gz [-file HOST:GUEST]...
package main

import (
	"compress/gzip"
	"flag"
	"fmt"
	"os"
	"path"
	"strings"

	"gemu/internal/cpio"
)

type fileList []string

func (f *fileList) String() string     { return strings.Join(*f, ",") }
func (f *fileList) Set(s string) error { *f = append(*f, s); return nil }

func main() {
	bb := flag.String("busybox", "/bin/busybox", "static busybox binary")
	initScript := flag.String("init", "", "script to install as /init (required)")
	out := flag.String("o", "", "output file (required)")
	var files fileList
	flag.Var(&files, "file", "HOST:GUEST, a file to add (repeatable)")
	flag.Parse()
	if *initScript == "" || *out == "" {
		fmt.Fprintln(os.Stderr, "mkinitramfs: -init and -o are required")
		os.Exit(2)
	}
	if err := build(*out, *bb, *initScript, files); err != nil {
		fmt.Fprintln(os.Stderr, "mkinitramfs:", err)
		os.Exit(1)
	}
}

func build(out, bb, initScript string, files []string) error {
	busybox, err := os.ReadFile(bb)
	if err != nil {
		return err
	}
	script, err := os.ReadFile(initScript)
	if err != nil {
		return err
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	defer f.Close()
	z := gzip.NewWriter(f)
	w := cpio.NewWriter(z)
	dirs := map[string]bool{}
	mkdir := func(d string) {
		var walk func(string)
		walk = func(d string) {
			if d == "." || d == "/" || d == "" || dirs[d] {
				return
			}
			walk(path.Dir(d))
			dirs[d] = true
			w.Add(cpio.Entry{Name: d, Mode: cpio.TypeDir | 0o755})
		}
		walk(d)
	}
	for _, d := range []string{"bin", "sbin", "usr/bin", "usr/sbin", "dev", "proc", "sys", "tmp", "mnt", "etc", "root"} {
		mkdir(d)
	}
	w.Add(cpio.Entry{Name: "dev/console", Mode: cpio.TypeChar | 0o600, Major: 5, Minor: 1})
	w.Add(cpio.Entry{Name: "bin/busybox", Mode: cpio.TypeRegular | 0o755, Data: busybox})
	w.Add(cpio.Entry{Name: "bin/sh", Mode: cpio.TypeSymlink | 0o777, Data: []byte("busybox")})
	w.Add(cpio.Entry{Name: "init", Mode: cpio.TypeRegular | 0o755, Data: script})
	for _, spec := range files {
		host, guest, ok := strings.Cut(spec, ":")
		if !ok {
			return fmt.Errorf("-file %q: want HOST:GUEST", spec)
		}
		data, err := os.ReadFile(host)
		if err != nil {
			return err
		}
		guest = strings.TrimPrefix(path.Clean(guest), "/")
		mkdir(path.Dir(guest))
		w.Add(cpio.Entry{Name: guest, Mode: cpio.TypeRegular | 0o644, Data: data})
	}
	if err := w.Close(); err != nil {
		return err
	}
	if err := z.Close(); err != nil {
		return err
	}
	return f.Close()
}
