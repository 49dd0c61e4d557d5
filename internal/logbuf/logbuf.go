// Package logbuf is the buffer of gemu's log (the -D file, or stderr):
// a buffered writer like bufio.Writer whose bytes and state live in memory
// outside the Go heap, at an address that does not change, so that code
// which cannot call into Go can still write out what is buffered.
//
// That code is C plugins' (gemu/plugin/cplugin): qemulib_log, called from
// plugin callbacks that run on a C stack and never call into Go, appends
// to the buffer itself, in order with gemu's own lines; and when a plugin
// crashes, a signal handler written in C writes the buffered log to its
// descriptor with write(2) before gemu dies, so no line written before the
// crash is lost (see docs/RATIONALE.md, "Plugins cannot take gemu down").
//
// The shared state is a small header followed by the data, laid out as
// struct gemu_logbuf in plugin/cplugin/cplugin.h:
//
//	offset  0  uint32  lock: 1 while a writer (Go or C) changes the data,
//	                   its length or the file
//	offset  4  int32   the log's host descriptor
//	offset  8  uint64  the number of buffered bytes
//	offset 16  uint64  the data's capacity
//	offset 24  int32   0, or the errno of a failed write of the file by C
//	offset 64          the data
//
// The header fields are read and written atomically. Every writer takes
// the lock (compare-and-swap 0 to 1) before it touches the data, the
// length or the file, so the bytes of one Write, Go's or C's, stay in one
// piece and in the order the writers took the lock. A writer in C that
// fails to write the file records its errno; Go reports it as its own
// first write error. The crash handler waits (a bounded time) for the
// lock, then writes out the buffered bytes.
package logbuf

import (
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"
)

// header is the start of the shared memory.
type header struct {
	lock   atomic.Uint32
	fd     int32
	n      atomic.Uint64
	cap    uint64
	cerrno atomic.Int32
}

// acquire takes the header's lock. Its holders (Go or C) hold it for a
// copy or a write to the file: waiting is a short spin, then yielding.
func (h *header) acquire() {
	for i := 0; !h.lock.CompareAndSwap(0, 1); i++ {
		if i > 100 {
			runtime.Gosched()
		}
	}
}

func (h *header) release() { h.lock.Store(0) }

const dataOffset = 64

// Writer is a buffered writer to a file, safe for concurrent use. Each
// Write's bytes stay in one piece in the file.
type Writer struct {
	mu   sync.Mutex
	f    *os.File
	h    *header
	data []byte
	// mapped: h and data are the anonymous mapping, not Go memory.
	mapped bool
	err    error
	// onErr is told about the first write error (SetErrorHandler).
	onErr func(error)
}

// New returns a Writer to f with a buffer of size bytes. The buffer is an
// anonymous mapping, which code outside Go reaches through Shared; if it
// cannot be made, the Writer buffers on the Go heap.
func New(f *os.File, size int) *Writer {
	w := &Writer{f: f}
	mem, err := syscall.Mmap(-1, 0, dataOffset+size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if err != nil {
		w.h = new(header)
		w.data = make([]byte, size)
	} else {
		w.h = (*header)(unsafe.Pointer(&mem[0]))
		w.data = mem[dataOffset:]
		w.mapped = true
	}
	w.h.fd = int32(f.Fd())
	w.h.cap = uint64(size)
	return w
}

// Shared returns the address of the Writer's shared state (the header
// described in the package comment), or nil if its buffer is on the Go
// heap (New could not map one).
func (w *Writer) Shared() unsafe.Pointer {
	if !w.mapped {
		return nil
	}
	return unsafe.Pointer(w.h)
}

// SetErrorHandler makes f be called once, with the Writer's lock held,
// when writing the file first fails. After that error the Writer drops
// everything written to it (Write and Flush return the error), so f is
// the one place the failure can be told: a log on a full disk or on
// /dev/full must not stop the program being logged, nor complain at
// every line.
func (w *Writer) SetErrorHandler(f func(error)) {
	w.mu.Lock()
	w.onErr = f
	w.mu.Unlock()
}

// fail records err as the Writer's error and reports it; w.mu is held.
func (w *Writer) fail(err error) error {
	w.err = err
	if w.onErr != nil {
		w.onErr(err)
	}
	return err
}

// Write appends p to the buffer, writing the buffer out first if p does
// not fit, and p directly if it is larger than the buffer. It returns the
// first error met writing the file, after which nothing more is written.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.h.acquire()
	defer w.h.release()
	if w.failed() {
		return 0, w.err
	}
	n := int(w.h.n.Load())
	if len(p) > len(w.data)-n {
		if err := w.flush(); err != nil {
			return 0, err
		}
		n = 0
		if len(p) >= len(w.data) {
			if _, err := w.f.Write(p); err != nil {
				return 0, w.fail(err)
			}
			return len(p), nil
		}
	}
	copy(w.data[n:], p)
	w.h.n.Store(uint64(n + len(p)))
	return len(p), nil
}

// Flush writes the buffered bytes to the file.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.h.acquire()
	defer w.h.release()
	if w.failed() {
		return w.err
	}
	return w.flush()
}

// failed reports whether the Writer has met a write error, its own or one
// C recorded in the header (which it then reports as its own); w.mu and
// the header's lock are held.
func (w *Writer) failed() bool {
	if w.err == nil {
		if e := w.h.cerrno.Load(); e != 0 {
			w.fail(&os.PathError{Op: "write", Path: w.f.Name(), Err: syscall.Errno(e)})
		}
	}
	return w.err != nil
}

// flush writes out the buffer; w.mu and the header's lock are held.
func (w *Writer) flush() error {
	n := int(w.h.n.Load())
	if n == 0 {
		return nil
	}
	if _, err := w.f.Write(w.data[:n]); err != nil {
		w.h.n.Store(0) // dropped: nothing more reaches the file
		return w.fail(err)
	}
	w.h.n.Store(0)
	return nil
}
