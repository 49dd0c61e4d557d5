package mem

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"unsafe"
)

// Snapshots copy a whole address space to another process: the Linux layer
// implements fork by starting a new gemu and sending it the guest's memory
// (a Go program cannot fork itself safely). The stream lists the regions
// (mappings) with their permissions, then the pages that have
// contents. Pages never written are not listed at all, so a mapping costs
// a few bytes whatever its size; pages whose contents the receiver can
// read on its own (a Base: the executable's pages, from its file) are
// listed without their bytes.
//
// Format (little endian):
//
//	magic "GMEMSNP3", Limit uint64
//	region count uint64, then per region in address order:
//	  start uint64, end uint64, perm uint8
//	runs of contiguous pages with contents, in address order: first page
//	  number uint64, page count uint64, kind uint8 (1: the pages' 4096
//	  bytes each follow, 2: they hold their Base contents); a first page
//	  number of 0xffffffffffffffff ends the stream
//
// Translated-code marks are not part of a snapshot: the restored space has
// no translations yet. Nor are foreign pages (Back): they read as zeros in
// the restored space until its OS layer lends them again.

var snapMagic = [8]byte{'G', 'M', 'E', 'M', 'S', 'N', 'P', '3'}

const (
	pageData = 1
	pageBase = 2
	snapEnd  = ^uint64(0)
)

// Base describes the pages that both ends of a snapshot can produce on
// their own.
type Base struct {
	// Page gives the base contents of the page at addr: b followed by
	// zeros (len(b) <= PageSize); ok is false for a page without a base.
	// Both ends must give the same answers.
	Page func(addr uint64) (b []byte, ok bool)
	// Adopt lets Restore use a whole page's b as that page's storage
	// instead of copying it: b must then be writable memory that nothing
	// else uses for as long as the space lives (a private writable file
	// mapping, whose pages the kernel copies on the first write). Only a
	// b that starts on a host page boundary is adopted (the page
	// directory, dir.go, holds page-aligned addresses); others are copied.
	Adopt bool
}

// isBase reports whether page data d holds the base contents b.
//
//go:norace
func isBase(d *[PageSize]byte, b []byte) bool {
	if !bytes.Equal(d[:len(b)], b) {
		return false
	}
	for _, c := range d[len(b):] {
		if c != 0 {
			return false
		}
	}
	return true
}

// Snapshot writes the address space's regions, permissions and contents
// to w. Pages that hold their base contents (base may be nil) are sent as
// such, without their bytes.
//
//go:norace
func (s *Space) Snapshot(w io.Writer, base *Base) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	bw := bufio.NewWriterSize(w, 256<<10)
	var b [48]byte
	copy(b[:8], snapMagic[:])
	binary.LittleEndian.PutUint64(b[8:], s.Limit)
	binary.LittleEndian.PutUint64(b[16:], uint64(len(s.regions)))
	bw.Write(b[:24])
	for _, r := range s.regions {
		binary.LittleEndian.PutUint64(b[0:], r.start)
		binary.LittleEndian.PutUint64(b[8:], r.end)
		b[16] = byte(r.perm)
		bw.Write(b[:17])
	}
	pns := make([]uint64, 0, len(s.pages))
	for pn, p := range s.pages {
		if p.data != nil && !p.foreign {
			pns = append(pns, pn)
		}
	}
	slices.Sort(pns)
	kinds := make([]byte, len(pns))
	for i, pn := range pns {
		kinds[i] = pageData
		if base != nil {
			if bb, ok := base.Page(pn << PageShift); ok && len(bb) <= PageSize && isBase(s.pages[pn].data, bb) {
				kinds[i] = pageBase
			}
		}
	}
	for i := 0; i < len(pns); {
		j := i + 1
		for j < len(pns) && pns[j] == pns[j-1]+1 && kinds[j] == kinds[i] {
			j++
		}
		binary.LittleEndian.PutUint64(b[0:], pns[i])
		binary.LittleEndian.PutUint64(b[8:], uint64(j-i))
		b[16] = kinds[i]
		bw.Write(b[:17])
		if kinds[i] == pageData {
			for _, pn := range pns[i:j] {
				bw.Write(s.pages[pn].data[:])
			}
		}
		i = j
	}
	binary.LittleEndian.PutUint64(b[:], snapEnd)
	bw.Write(b[:8])
	return bw.Flush()
}

// errSnapshot is wrapped by the errors of Restore.
var errSnapshot = errors.New("mem: bad snapshot")

// Restore reads an address space written by Snapshot, with the same base
// (nil if the snapshot was written without). It reads exactly the
// snapshot's bytes from r when r is an io.ByteReader (such as a
// bufio.Reader); otherwise it may read ahead.
func Restore(r io.Reader, base *Base) (*Space, error) {
	br, ok := r.(interface {
		io.Reader
		io.ByteReader
	})
	if !ok {
		br = bufio.NewReaderSize(r, 256<<10)
	}
	var b [48]byte
	if _, err := io.ReadFull(br, b[:24]); err != nil {
		return nil, fmt.Errorf("%w: header: %v", errSnapshot, err)
	}
	if [8]byte(b[:8]) != snapMagic {
		return nil, fmt.Errorf("%w: wrong magic %q", errSnapshot, b[:8])
	}
	le := binary.LittleEndian
	limit := le.Uint64(b[8:])
	if limit == 0 || limit&PageMask != 0 {
		return nil, fmt.Errorf("%w: limit %#x", errSnapshot, limit)
	}
	n := le.Uint64(b[16:])
	if n > limit>>PageShift {
		return nil, fmt.Errorf("%w: %d regions", errSnapshot, n)
	}
	s := New(limit)
	for i := uint64(0); i < n; i++ {
		if _, err := io.ReadFull(br, b[:17]); err != nil {
			return nil, fmt.Errorf("%w: region: %v", errSnapshot, err)
		}
		r := region{start: le.Uint64(b[0:]), end: le.Uint64(b[8:]), perm: Perm(b[16])}
		prev := uint64(0)
		if len(s.regions) > 0 {
			prev = s.regions[len(s.regions)-1].end
		}
		if r.start&PageMask != 0 || r.end&PageMask != 0 || r.start >= r.end || r.end > limit || r.start < prev ||
			r.perm&^(Read|Write|Exec) != 0 {
			return nil, fmt.Errorf("%w: region [%#x, %#x) permissions %#x", errSnapshot, r.start, r.end, b[16])
		}
		s.regions = append(s.regions, r)
		s.dir.setRange(r.start>>PageShift, r.end>>PageShift, r.perm, true)
	}
	next := uint64(0) // lowest page number the next run may start at
	for {
		if _, err := io.ReadFull(br, b[:8]); err != nil {
			return nil, fmt.Errorf("%w: page run: %v", errSnapshot, err)
		}
		first := le.Uint64(b[:])
		if first == snapEnd {
			return s, nil
		}
		if _, err := io.ReadFull(br, b[8:17]); err != nil {
			return nil, fmt.Errorf("%w: page run: %v", errSnapshot, err)
		}
		n, kind := le.Uint64(b[8:]), b[16]
		if first < next || n == 0 || n > limit>>PageShift || first > limit>>PageShift-n || !s.Mapped(first<<PageShift, n<<PageShift) {
			return nil, fmt.Errorf("%w: run of %d pages at %#x out of order or unmapped", errSnapshot, n, first<<PageShift)
		}
		next = first + n
		for pn := first; pn < first+n; pn++ {
			pg := &page{}
			switch kind {
			case pageData:
				pg.data, pg.slab = s.dir.alloc()
				if _, err := io.ReadFull(br, pg.data[:]); err != nil {
					return nil, fmt.Errorf("%w: page %#x: %v", errSnapshot, pn<<PageShift, err)
				}
			case pageBase:
				if base == nil {
					return nil, fmt.Errorf("%w: base pages without a base", errSnapshot)
				}
				bb, ok := base.Page(pn << PageShift)
				switch {
				case !ok || len(bb) > PageSize:
					return nil, fmt.Errorf("%w: no base for page %#x", errSnapshot, pn<<PageShift)
				case base.Adopt && len(bb) == PageSize && uintptr(unsafe.Pointer(&bb[0]))&PageMask == 0:
					pg.data = (*[PageSize]byte)(bb)
					s.dir.pin(pg.data)
				default:
					pg.data, pg.slab = s.dir.alloc()
					copy(pg.data[:], bb)
				}
			default:
				return nil, fmt.Errorf("%w: pages at %#x of kind %d", errSnapshot, pn<<PageShift, kind)
			}
			s.pages[pn] = pg
			s.dir.setPage(pn, pg.data)
		}
	}
}
