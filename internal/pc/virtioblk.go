package pc

import (
	"encoding/binary"
	"fmt"
	"os"
)

// virtio-blk (virtio 1.x section 5.2, legacy interface).
const (
	virtioTypeBlock = 2

	blkFSegMax  = 1 << 2
	blkFRO      = 1 << 5
	blkFBlkSize = 1 << 6
	blkFFlush   = 1 << 9
	// vringFIndirect is the transport feature for indirect descriptor
	// tables (VIRTIO_RING_F_INDIRECT_DESC, bit 28).
	vringFIndirect = 1 << 28

	blkTIn    = 0
	blkTOut   = 1
	blkTFlush = 4
	blkTGetID = 8

	blkSOK     = 0
	blkSIOErr  = 1
	blkSUnsupp = 2

	blkSector  = 512
	blkIDBytes = 20
	blkQueue   = 128          // entries in the request queue
	blkSegMax  = blkQueue - 2 // data buffers in a request: a chain of header, data and status fits the ring
	blkConfig  = 24           // capacity, size_max, seg_max, geometry, blk_size
	blkBAR     = 64           // vioConfig + blkConfig rounded up to a power of two
	blkChunk   = 64 << 10     // bytes moved between the image and RAM at a time
	blkClass   = 0x010000     // mass storage, SCSI (what virtio-blk functions say)
	blkFeature = blkFSegMax | blkFBlkSize | blkFFlush | vringFIndirect
)

// VirtioBlk is a virtio block device on PCI backed by a raw image file.
// Requests: IN (read), OUT (write), FLUSH (f.Sync) and GET_ID; others
// complete with VIRTIO_BLK_S_UNSUPP. A read-only device offers
// VIRTIO_BLK_F_RO and fails OUT with VIRTIO_BLK_S_IOERR. The capacity is
// the image's size in 512-byte sectors, rounded down. Features offered:
// SEG_MAX (126), BLK_SIZE (512), FLUSH, RO when read-only, and indirect
// descriptors; one queue of 128 entries.
type VirtioBlk struct {
	*VirtioPCI

	f       *os.File
	ro      bool
	sectors uint64
	id      [blkIDBytes]byte
	cfg     [blkConfig]byte
	hdr     [16]byte
	status  [1]byte
	buf     []byte
}

// NewVirtioBlk makes a virtio-blk function over image f (opened read-write
// unless readOnly), doing DMA through ram. id is the serial number GET_ID
// returns (up to 20 bytes). Add v.Fn to the PCIHost.
func NewVirtioBlk(ram GuestRAM, f *os.File, readOnly bool, id string) (*VirtioBlk, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() < blkSector {
		return nil, fmt.Errorf("%s: disk image smaller than one 512-byte sector", f.Name())
	}
	b := &VirtioBlk{f: f, ro: readOnly, sectors: uint64(st.Size()) / blkSector, buf: make([]byte, blkChunk)}
	copy(b.id[:], id)
	binary.LittleEndian.PutUint64(b.cfg[0:], b.sectors)
	binary.LittleEndian.PutUint32(b.cfg[12:], blkSegMax)
	binary.LittleEndian.PutUint32(b.cfg[20:], blkSector)
	b.VirtioPCI = newVirtioPCI(ram, b, virtioTypeBlock, blkClass, blkBAR, blkQueue)
	return b, nil
}

// Sectors returns the capacity in 512-byte sectors.
func (b *VirtioBlk) Sectors() uint64 { return b.sectors }

func (b *VirtioBlk) features() uint32 {
	if b.ro {
		return blkFeature | blkFRO
	}
	return blkFeature
}

func (b *VirtioBlk) config() []byte { return b.cfg[:] }

func (b *VirtioBlk) reset() {}

// inRange says whether n bytes from sector lie inside the image.
func (b *VirtioBlk) inRange(sector, n uint64) bool {
	return sector <= b.sectors && n <= (b.sectors-sector)*blkSector
}

// request serves one virtio-blk request: a 16-byte header (type,
// reserved, sector) in the readable buffers, OUT data after it, IN or
// GET_ID data in the writable buffers and the status byte last.
func (b *VirtioBlk) request(q int, c *vchain) uint32 {
	if c.wrN == 0 {
		return 0 // no room even for the status: nothing to report
	}
	if c.rdN < uint64(len(b.hdr)) {
		b.status[0] = blkSIOErr
		c.copyIn(c.wrN-1, b.status[:])
		return 1
	}
	c.copyOut(0, b.hdr[:])
	typ := binary.LittleEndian.Uint32(b.hdr[0:])
	sector := binary.LittleEndian.Uint64(b.hdr[8:])
	in := c.wrN - 1 // writable bytes before the status
	var written uint64
	st := byte(blkSOK)
	switch typ {
	case blkTIn:
		if !b.inRange(sector, in) {
			st = blkSIOErr
			break
		}
		for off := uint64(0); off < in; {
			k := min(in-off, blkChunk)
			if _, err := b.f.ReadAt(b.buf[:k], int64(sector*blkSector+off)); err != nil {
				st = blkSIOErr
				break
			}
			c.copyIn(off, b.buf[:k])
			off += k
			written = off
		}
	case blkTOut:
		out := c.rdN - uint64(len(b.hdr))
		if b.ro || !b.inRange(sector, out) {
			st = blkSIOErr
			break
		}
		for off := uint64(0); off < out; {
			k := min(out-off, blkChunk)
			c.copyOut(uint64(len(b.hdr))+off, b.buf[:k])
			if _, err := b.f.WriteAt(b.buf[:k], int64(sector*blkSector+off)); err != nil {
				st = blkSIOErr
				break
			}
			off += k
		}
	case blkTFlush:
		if !b.ro {
			if err := b.f.Sync(); err != nil {
				st = blkSIOErr
			}
		}
	case blkTGetID:
		written = min(in, blkIDBytes)
		c.copyIn(0, b.id[:written])
	default:
		st = blkSUnsupp
	}
	b.status[0] = st
	c.copyIn(c.wrN-1, b.status[:])
	return uint32(written) + 1
}
