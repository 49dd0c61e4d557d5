package cpio

import (
	"compress/gzip"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
)

// Initramfs writes a gzip-compressed initramfs around a static busybox:
// /bin/busybox (with /bin/sh linking to it), /init with the given script,
// the directories a shell needs (bin, sbin, dev, proc, sys, tmp, mnt...),
// /dev/console, and extra files by their path in the guest. It is what
// gemu-system's tests boot and scripts/mkinitramfs builds.
func Initramfs(out io.Writer, busybox, initScript []byte, files map[string][]byte) error {
	z := gzip.NewWriter(out)
	w := NewWriter(z)
	dirs := map[string]bool{}
	var mkdir func(string)
	mkdir = func(d string) {
		if d == "." || d == "/" || d == "" || dirs[d] {
			return
		}
		mkdir(path.Dir(d))
		dirs[d] = true
		w.Add(Entry{Name: d, Mode: TypeDir | 0o755})
	}
	for _, d := range []string{"bin", "sbin", "usr/bin", "usr/sbin", "dev", "proc", "sys", "tmp", "mnt", "etc", "root"} {
		mkdir(d)
	}
	w.Add(Entry{Name: "dev/console", Mode: TypeChar | 0o600, Major: 5, Minor: 1})
	w.Add(Entry{Name: "bin/busybox", Mode: TypeRegular | 0o755, Data: busybox})
	w.Add(Entry{Name: "bin/sh", Mode: TypeSymlink | 0o777, Data: []byte("busybox")})
	w.Add(Entry{Name: "init", Mode: TypeRegular | 0o755, Data: initScript})
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		guest := strings.TrimPrefix(path.Clean("/"+name), "/")
		if guest == "" {
			return fmt.Errorf("initramfs: bad file name %q", name)
		}
		mkdir(path.Dir(guest))
		w.Add(Entry{Name: guest, Mode: TypeRegular | 0o644, Data: files[name]})
	}
	if err := w.Close(); err != nil {
		return err
	}
	return z.Close()
}
