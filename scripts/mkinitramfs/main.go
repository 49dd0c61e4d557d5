// Command mkinitramfs builds a gzip-compressed initramfs (newc cpio) around
// a static busybox: /bin/busybox, /init from a script, the directories a
// shell needs, /dev/console, and any extra files. gemu-system's tests and
// the README's example use it:
//
//	go run ./scripts/mkinitramfs -busybox /bin/busybox -init init.sh -o initrd.gz [-file HOST:GUEST]...
package main

import (
	"flag"
	"fmt"
	"os"
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

func build(out, bb, initScript string, specs []string) error {
	busybox, err := os.ReadFile(bb)
	if err != nil {
		return err
	}
	script, err := os.ReadFile(initScript)
	if err != nil {
		return err
	}
	files := map[string][]byte{}
	for _, spec := range specs {
		host, guest, ok := strings.Cut(spec, ":")
		if !ok {
			return fmt.Errorf("-file %q: want HOST:GUEST", spec)
		}
		if files[guest], err = os.ReadFile(host); err != nil {
			return err
		}
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	if err := cpio.Initramfs(f, busybox, script, files); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
