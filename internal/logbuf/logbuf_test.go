package logbuf

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"unsafe"
)

func TestWriter(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := New(f, 64)
	if w.Shared() != unsafe.Pointer(w.h) {
		t.Fatal("New did not give the writer a shared header")
	}
	var want bytes.Buffer
	for i := range 50 {
		s := fmt.Sprintf("line %d\n", i)
		if i%7 == 0 {
			s = fmt.Sprintf("long line %d %s\n", i, bytes.Repeat([]byte{'x'}, 100))
		}
		w.Write([]byte(s))
		want.WriteString(s)
	}
	// The shared header says what is buffered: the file plus the buffer
	// is everything written.
	got, _ := os.ReadFile(path)
	n := w.h.n.Load()
	got = append(got, w.data[:n]...)
	if !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("file+buffer:\n%q\nwant\n%q", got, want.Bytes())
	}
	if w.h.lock.Load() != 0 || w.h.fd != int32(f.Fd()) || w.h.cap != 64 {
		t.Fatalf("header lock %d fd %d cap %d", w.h.lock.Load(), w.h.fd, w.h.cap)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	got, _ = os.ReadFile(path)
	if !bytes.Equal(got, want.Bytes()) || w.h.n.Load() != 0 {
		t.Fatalf("after Flush: %d bytes buffered, file %q", w.h.n.Load(), got)
	}
}

// TestConcurrentWrites: each Write stays in one piece.
func TestConcurrentWrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := New(f, 4096)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 1000 {
				fmt.Fprintf(w, "goroutine %d line %04d %s\n", g, i, bytes.Repeat([]byte{byte('a' + g)}, g*20))
			}
		}()
	}
	wg.Wait()
	w.Flush()
	data, _ := os.ReadFile(path)
	lines := bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n"))
	if len(lines) != 4000 {
		t.Fatalf("%d lines, want 4000", len(lines))
	}
	for _, l := range lines {
		var g, i int
		var tail string
		n, _ := fmt.Sscanf(string(l), "goroutine %d line %d %s", &g, &i, &tail)
		if n < 2 || (g > 0 && tail != string(bytes.Repeat([]byte{byte('a' + g)}, g*20))) {
			t.Fatalf("mixed line %q", l)
		}
	}
}

// TestWriteError: a write error is returned and sticks.
func TestWriteError(t *testing.T) {
	r, wf, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	defer wf.Close()
	w := New(wf, 16)
	if _, err := w.Write(bytes.Repeat([]byte{'x'}, 100)); err == nil {
		t.Fatal("write to a closed pipe succeeded")
	}
	if _, err := w.Write([]byte("y")); err == nil {
		t.Fatal("error did not stick")
	}
}

// TestErrorReportedOnce: the first failing write of the file is told to
// the error handler, and only it: later writes and flushes are dropped
// without another report.
func TestErrorReportedOnce(t *testing.T) {
	f, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skip(err)
	}
	defer f.Close()
	w := New(f, 64)
	var errs []error
	w.SetErrorHandler(func(err error) { errs = append(errs, err) })
	for i := range 100 {
		w.Write([]byte(fmt.Sprintf("line %d of the log\n", i)))
		if i%10 == 0 {
			w.Flush()
		}
	}
	w.Write(bytes.Repeat([]byte{'x'}, 200)) // larger than the buffer
	if err := w.Flush(); err == nil {
		t.Fatal("Flush to /dev/full succeeded")
	}
	if len(errs) != 1 {
		t.Fatalf("error handler called %d times, want once: %v", len(errs), errs)
	}
	if w.h.n.Load() != 0 {
		t.Fatalf("%d bytes still buffered after the error", w.h.n.Load())
	}
}
