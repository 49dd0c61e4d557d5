package mem

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
)

// Snapshots copy a whole address space to another process: the Linux layer
// implements fork by starting a new gemu and sending it the guest's memory
// (a Go program cannot fork itself safely). The stream lists the mapped
// pages with their permissions. Pages never written (still the shared zero
// page) are listed but carry no data, so a large, mostly untouched mapping
// costs a few bytes; so do pages whose contents the receiver can read on
// its own (a Base: the executable's pages, from its file).
//
// Format (little endian):
//
//	magic "GMEMSNP2", Limit uint64
//	runs of contiguous pages with one permission, in address order:
//	  first page number uint64, page count uint64 (0 ends the stream), perm uint8
//	  per group of up to 64 pages: a uint64 data mask (bit i: page i of
//	  the group has its contents in the stream), a uint64 base mask (bit i:
//	  the page holds its Base contents), then the 4096 bytes of each page
//	  in the data mask
//
// Translated-code marks are not part of a snapshot: the restored space has
// no translations yet.

var snapMagic = [8]byte{'G', 'M', 'E', 'M', 'S', 'N', 'P', '2'}

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
	// mapping, whose pages the kernel copies on the first write).
	Adopt bool
}

// isBase reports whether page data d holds the base contents b.
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

// Snapshot writes the address space's pages, permissions and contents to
// w. Pages that hold their base contents (base may be nil) are sent as
// such, without their bytes.
func (s *Space) Snapshot(w io.Writer, base *Base) error {
	bw := bufio.NewWriterSize(w, 256<<10)
	var hdr [17]byte
	copy(hdr[:8], snapMagic[:])
	binary.LittleEndian.PutUint64(hdr[8:], s.Limit)
	bw.Write(hdr[:16])

	pns := make([]uint64, 0, len(s.pages))
	for pn := range s.pages {
		pns = append(pns, pn)
	}
	slices.Sort(pns)
	for i := 0; i < len(pns); {
		// A run: contiguous pages with the same permissions.
		j := i + 1
		perm := s.pages[pns[i]].perm
		for j < len(pns) && pns[j] == pns[j-1]+1 && s.pages[pns[j]].perm == perm {
			j++
		}
		binary.LittleEndian.PutUint64(hdr[0:], pns[i])
		binary.LittleEndian.PutUint64(hdr[8:], uint64(j-i))
		hdr[16] = byte(perm)
		bw.Write(hdr[:17])
		for g := i; g < j; g += 64 {
			end := min(g+64, j)
			var data, fromBase uint64
			for k := g; k < end; k++ {
				d := s.pages[pns[k]].data
				if d == nil {
					continue
				}
				if base != nil {
					if b, ok := base.Page(pns[k] << PageShift); ok && len(b) <= PageSize && isBase(d, b) {
						fromBase |= 1 << (k - g)
						continue
					}
				}
				data |= 1 << (k - g)
			}
			var m [16]byte
			binary.LittleEndian.PutUint64(m[:], data)
			binary.LittleEndian.PutUint64(m[8:], fromBase)
			bw.Write(m[:])
			for k := g; k < end; k++ {
				if data&(1<<(k-g)) != 0 {
					bw.Write(s.pages[pns[k]].data[:])
				}
			}
		}
		i = j
	}
	clear(hdr[:])
	bw.Write(hdr[:17]) // a run of zero pages ends the stream
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
	var hdr [17]byte
	if _, err := io.ReadFull(br, hdr[:16]); err != nil {
		return nil, fmt.Errorf("%w: header: %v", errSnapshot, err)
	}
	if [8]byte(hdr[:8]) != snapMagic {
		return nil, fmt.Errorf("%w: wrong magic %q", errSnapshot, hdr[:8])
	}
	limit := binary.LittleEndian.Uint64(hdr[8:])
	if limit == 0 || limit&PageMask != 0 {
		return nil, fmt.Errorf("%w: limit %#x", errSnapshot, limit)
	}
	s := New(limit)
	maxPN := limit >> PageShift
	for {
		if _, err := io.ReadFull(br, hdr[:17]); err != nil {
			return nil, fmt.Errorf("%w: run header: %v", errSnapshot, err)
		}
		first := binary.LittleEndian.Uint64(hdr[0:])
		n := binary.LittleEndian.Uint64(hdr[8:])
		perm := Perm(hdr[16])
		if n == 0 {
			return s, nil
		}
		if first >= maxPN || n > maxPN-first || perm&^(Read|Write|Exec) != 0 {
			return nil, fmt.Errorf("%w: run of %d pages at %#x, permissions %#x", errSnapshot, n, first<<PageShift, uint8(perm))
		}
		for g := uint64(0); g < n; g += 64 {
			var m [16]byte
			if _, err := io.ReadFull(br, m[:]); err != nil {
				return nil, fmt.Errorf("%w: page masks: %v", errSnapshot, err)
			}
			data := binary.LittleEndian.Uint64(m[:])
			fromBase := binary.LittleEndian.Uint64(m[8:])
			cnt := min(64, n-g)
			if cnt < 64 && (data|fromBase)>>cnt != 0 || data&fromBase != 0 {
				return nil, fmt.Errorf("%w: page masks %#x, %#x", errSnapshot, data, fromBase)
			}
			// The group's contents arrive in one slab, read at once.
			var slab []byte
			if nd := popcount(data); nd > 0 {
				slab = make([]byte, nd*PageSize)
				if _, err := io.ReadFull(br, slab); err != nil {
					return nil, fmt.Errorf("%w: pages at %#x: %v", errSnapshot, (first+g)<<PageShift, err)
				}
			}
			var baseSlab []byte
			if nb := popcount(fromBase); nb > 0 {
				if base == nil {
					return nil, fmt.Errorf("%w: base pages without a base", errSnapshot)
				}
				if !base.Adopt {
					baseSlab = make([]byte, nb*PageSize)
				}
			}
			for k := uint64(0); k < cnt; k++ {
				pn := first + g + k
				if s.pages[pn] != nil {
					return nil, fmt.Errorf("%w: page %#x listed twice", errSnapshot, pn<<PageShift)
				}
				pg := &page{perm: perm}
				switch bit := uint64(1) << k; {
				case data&bit != 0:
					pg.data = (*[PageSize]byte)(slab[:PageSize])
					slab = slab[PageSize:]
				case fromBase&bit != 0:
					b, ok := base.Page(pn << PageShift)
					switch {
					case !ok || len(b) > PageSize:
						return nil, fmt.Errorf("%w: no base for page %#x", errSnapshot, pn<<PageShift)
					case base.Adopt && len(b) == PageSize:
						pg.data = (*[PageSize]byte)(b)
					case base.Adopt:
						pg.data = new([PageSize]byte)
						copy(pg.data[:], b)
					default:
						pg.data = (*[PageSize]byte)(baseSlab[:PageSize])
						baseSlab = baseSlab[PageSize:]
						copy(pg.data[:], b)
					}
				}
				s.pages[pn] = pg
			}
		}
	}
}

func popcount(x uint64) int {
	n := 0
	for ; x != 0; x &= x - 1 {
		n++
	}
	return n
}
