// Package cpio writes cpio archives in the "newc" format (070701), the
// format the Linux kernel unpacks an initramfs from, so that gemu's tests
// and tools can build an initramfs without a cpio program.
package cpio

import (
	"fmt"
	"io"
)

// Mode bits of an entry's file type, as in the archive's mode field.
const (
	TypeDir     = 0o040000
	TypeRegular = 0o100000
	TypeSymlink = 0o120000
	TypeChar    = 0o020000
)

// Writer appends entries to a newc archive.
type Writer struct {
	w    io.Writer
	ino  uint32
	off  int64
	err  error
	done bool
}

// NewWriter returns a Writer on w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w, ino: 1} }

// Entry is one archive member. Mode holds the type and permission bits;
// Data is a regular file's contents or a symlink's target. Major and
// Minor are a device node's numbers.
type Entry struct {
	Name         string
	Mode         uint32
	Data         []byte
	Major, Minor uint32
}

func (w *Writer) write(b []byte) {
	if w.err != nil {
		return
	}
	n, err := w.w.Write(b)
	w.off += int64(n)
	w.err = err
}

func (w *Writer) pad() {
	if r := w.off % 4; r != 0 {
		w.write(make([]byte, 4-r))
	}
}

// Add appends e. Names are relative to the archive's root ("init",
// "bin/busybox"); parents must be added before their children.
func (w *Writer) Add(e Entry) error {
	if w.done {
		return fmt.Errorf("cpio: add after Close")
	}
	nlink := 1
	if e.Mode&0o170000 == TypeDir {
		nlink = 2
	}
	hdr := fmt.Sprintf("070701%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x",
		w.ino, e.Mode, 0, 0, nlink, 0, len(e.Data), 0, 0, e.Major, e.Minor, len(e.Name)+1, 0)
	w.ino++
	w.write([]byte(hdr))
	w.write(append([]byte(e.Name), 0))
	w.pad()
	w.write(e.Data)
	w.pad()
	return w.err
}

// Close writes the trailer entry; the archive is complete after it.
func (w *Writer) Close() error {
	if w.done {
		return w.err
	}
	w.Add(Entry{Name: "TRAILER!!!"})
	w.done = true
	return w.err
}
