package pc

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
)

// fakeRAM is guest RAM for DMA tests.
type fakeRAM []byte

func (r fakeRAM) ReadPhys(pa uint64, dst []byte) { copy(dst, r[pa:]) }
func (r fakeRAM) WritePhys(pa uint64, src []byte) {
	copy(r[pa:], src)
}

// Where the test driver puts things in its 1 MiB of RAM.
const (
	tQueuePFN = 0x10 // the queue at 0x10000
	tHdr      = 0x20000
	tData     = 0x21000
	tStatus   = 0x30000
	tIndirect = 0x31000
)

// blkDriver plays the guest's virtio_pci and virtio_blk drivers.
type blkDriver struct {
	t     *testing.T
	bus   *Bus
	ram   fakeRAM
	blk   *VirtioBlk
	irq   *irqProbe
	io    uint16 // BAR0
	avail uint16 // the driver's available index
}

func newBlkDriver(t *testing.T, image []byte, ro bool) (*blkDriver, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "disk.img")
	if err := os.WriteFile(path, image, 0o644); err != nil {
		t.Fatal(err)
	}
	flag := os.O_RDWR
	if ro {
		flag = os.O_RDONLY
	}
	f, err := os.OpenFile(path, flag, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	d := &blkDriver{t: t, bus: NewBus(), ram: make(fakeRAM, 1<<20), irq: &irqProbe{}}
	host := NewPCIHost(d.bus, [4]PCIRoute{{11, nil}, {11, nil}, {11, nil}, {10, d.irq.line()}})
	d.blk, err = NewVirtioBlk(d.ram, f, ro, "gemu-disk-0")
	if err != nil {
		t.Fatal(err)
	}
	host.Add(4, &d.blk.Fn) // slot 4 INTA# -> PIRQ (4-1+0)&3 = D
	d.io = uint16(cfgRead(d.bus, 4, 0x10, 4) &^ 3)
	return d, path
}

func (d *blkDriver) in(off uint16, size int) uint32 { return d.bus.In(d.io+off, size) }
func (d *blkDriver) out(off uint16, size int, v uint32) {
	d.bus.Out(d.io+off, size, v)
}

// init does what Linux's legacy probe and virtio_blk do up to DRIVER_OK.
func (d *blkDriver) init(accept uint32) {
	t := d.t
	cfgWrite(d.bus, 4, 0x04, 2, PCICmdIO|PCICmdBusMaster)
	d.out(vioStatus, 1, 0)
	if s := d.in(vioStatus, 1); s != 0 {
		t.Fatalf("status after reset = %#x", s)
	}
	d.out(vioStatus, 1, 1)
	d.out(vioStatus, 1, 3)
	d.out(vioGuestFeatures, 4, accept)
	d.out(vioQueueSelect, 2, 0)
	if n := d.in(vioQueueSize, 2); n != 128 {
		t.Fatalf("queue 0 size = %d, want 128", n)
	}
	if p := d.in(vioQueuePFN, 4); p != 0 {
		t.Fatalf("queue 0 PFN before setup = %#x", p)
	}
	d.out(vioQueuePFN, 4, tQueuePFN)
	d.out(vioQueueSelect, 2, 1)
	if n := d.in(vioQueueSize, 2); n != 0 {
		t.Fatalf("queue 1 size = %d, want 0 (no such queue)", n)
	}
	d.out(vioStatus, 1, 7)
}

// Queue layout for 128 entries at 0x10000: descriptors 0x10000-0x107ff,
// available ring from 0x10800, used ring at 0x11000.
const (
	tDesc  = 0x10000
	tAvail = 0x10800
	tUsed  = 0x11000
)

func (d *blkDriver) desc(table uint64, i int, addr uint64, ln uint32, flags, next uint16) {
	b := d.ram[table+16*uint64(i):]
	binary.LittleEndian.PutUint64(b[0:], addr)
	binary.LittleEndian.PutUint32(b[8:], ln)
	binary.LittleEndian.PutUint16(b[12:], flags)
	binary.LittleEndian.PutUint16(b[14:], next)
}

func (d *blkDriver) header(typ uint32, sector uint64) {
	binary.LittleEndian.PutUint32(d.ram[tHdr:], typ)
	binary.LittleEndian.PutUint32(d.ram[tHdr+4:], 0)
	binary.LittleEndian.PutUint64(d.ram[tHdr+8:], sector)
	d.ram[tStatus] = 0xee
}

// submit makes chain head available and notifies queue 0; it returns
// the used element (id, len) the device produced.
func (d *blkDriver) submit(head uint16) (uint32, uint32) {
	t := d.t
	binary.LittleEndian.PutUint16(d.ram[tAvail+4+2*uint64(d.avail%128):], head)
	d.avail++
	binary.LittleEndian.PutUint16(d.ram[tAvail+2:], d.avail)
	d.out(vioQueueNotify, 2, 0)
	if u := binary.LittleEndian.Uint16(d.ram[tUsed+2:]); u != d.avail {
		t.Fatalf("used index %d, want %d", u, d.avail)
	}
	e := d.ram[tUsed+4+8*uint64((d.avail-1)%128):]
	return binary.LittleEndian.Uint32(e), binary.LittleEndian.Uint32(e[4:])
}

// request builds header, data, status in descriptors 0-2 and submits it.
func (d *blkDriver) request(typ uint32, sector uint64, dataLen uint32, write bool) (uint32, uint32) {
	d.header(typ, sector)
	var f uint16
	if write {
		f = vringDescWrite
	}
	d.desc(tDesc, 0, tHdr, 16, vringDescNext, 1)
	d.desc(tDesc, 1, tData, dataLen, f|vringDescNext, 2)
	d.desc(tDesc, 2, tStatus, 1, vringDescWrite, 0)
	return d.submit(0)
}

func testImage(sectors int) []byte {
	img := make([]byte, sectors*blkSector)
	for i := range img {
		img[i] = byte(i/blkSector + 1)
	}
	return img
}

func TestVirtioBlkPCIIdentity(t *testing.T) {
	d, _ := newBlkDriver(t, testImage(8), false)
	tests := []struct {
		reg, size int
		want      uint32
		what      string
	}{
		{0x00, 4, 0x10011af4, "vendor/device: transitional block"},
		{0x08, 4, 0x01000000, "class 010000, revision 0"},
		{0x10, 4, 0xc001, "BAR0: I/O"},
		{0x2c, 4, 0x00021af4, "subsystem: virtio type 2"},
		{0x3c, 2, 0x010a, "interrupt line 10 (PIRQD), INTA#"},
	}
	for _, tc := range tests {
		if got := cfgRead(d.bus, 4, tc.reg, tc.size); got != tc.want {
			t.Errorf("%s: %#x, want %#x", tc.what, got, tc.want)
		}
	}
	cfgWrite(d.bus, 4, 0x10, 4, 0xffffffff)
	if v := cfgRead(d.bus, 4, 0x10, 4); v != 0xffffffc1 {
		t.Errorf("BAR0 size mask %#x, want 0xffffffc1 (64 bytes)", v)
	}
}

func TestVirtioBlkConfig(t *testing.T) {
	d, _ := newBlkDriver(t, append(testImage(8), 1, 2, 3), false)
	if f := d.in(vioHostFeatures, 4); f != 0x10000244 {
		t.Errorf("host features %#x, want SEG_MAX|BLK_SIZE|FLUSH|INDIRECT_DESC 0x10000244", f)
	}
	d.out(vioGuestFeatures, 4, 0xffffffff)
	if f := d.in(vioGuestFeatures, 4); f != 0x10000244 {
		t.Errorf("guest features %#x, want only offered bits", f)
	}
	var cfg []byte
	for i := uint16(0); i < blkConfig; i++ {
		cfg = append(cfg, byte(d.in(vioConfig+i, 1))) // Linux reads legacy config bytewise
	}
	if c := binary.LittleEndian.Uint64(cfg); c != 8 {
		t.Errorf("capacity %d sectors, want 8 (partial sector dropped)", c)
	}
	if s := binary.LittleEndian.Uint32(cfg[12:]); s != 126 {
		t.Errorf("seg_max %d, want 126", s)
	}
	if s := d.in(vioConfig+20, 4); s != 512 {
		t.Errorf("blk_size %d, want 512", s)
	}
}

func TestVirtioBlkRequests(t *testing.T) {
	img := testImage(8)
	d, path := newBlkDriver(t, img, false)
	d.init(blkFeature)

	// IN: sectors 2 and 3.
	id, ln := d.request(blkTIn, 2, 1024, true)
	if id != 0 || ln != 1025 {
		t.Errorf("IN used element (%d, %d), want (0, 1025)", id, ln)
	}
	if !bytes.Equal(d.ram[tData:tData+1024], img[1024:2048]) || d.ram[tStatus] != blkSOK {
		t.Errorf("IN data %x..., status %d", d.ram[tData:tData+4], d.ram[tStatus])
	}
	if !d.irq.level {
		t.Error("no interrupt after the request")
	}
	if isr := d.in(vioISR, 1); isr != 1 {
		t.Errorf("ISR %#x, want 1", isr)
	}
	if d.irq.level || d.in(vioISR, 1) != 0 {
		t.Error("reading ISR did not clear it and lower the line")
	}

	// OUT: sector 5 gets a pattern; the file has it at once.
	for i := 0; i < 512; i++ {
		d.ram[tData+i] = byte(0xa0 + i%7)
	}
	if _, ln := d.request(blkTOut, 5, 512, false); ln != 1 || d.ram[tStatus] != blkSOK {
		t.Errorf("OUT: len %d, status %d", ln, d.ram[tStatus])
	}
	got, _ := os.ReadFile(path)
	if !bytes.Equal(got[5*512:6*512], d.ram[tData:tData+512]) || !bytes.Equal(got[:5*512], img[:5*512]) {
		t.Error("OUT did not reach the image file (or touched other sectors)")
	}

	tests := []struct {
		typ      uint32
		sector   uint64
		n        uint32
		write    bool
		wantLen  uint32
		wantStat byte
		what     string
	}{
		{blkTFlush, 0, 0, false, 1, blkSOK, "FLUSH"},
		{blkTGetID, 0, 20, true, 21, blkSOK, "GET_ID"},
		{blkTIn, 7, 512, true, 513, blkSOK, "IN of the last sector"},
		{blkTIn, 7, 1024, true, 1, blkSIOErr, "IN past the end"},
		{blkTOut, 8, 512, false, 1, blkSIOErr, "OUT past the end"},
		{99, 0, 16, false, 1, blkSUnsupp, "unknown type"},
	}
	for _, tc := range tests {
		_, ln := d.request(tc.typ, tc.sector, tc.n, tc.write)
		if ln != tc.wantLen || d.ram[tStatus] != tc.wantStat {
			t.Errorf("%s: len %d status %d, want %d and %d", tc.what, ln, d.ram[tStatus], tc.wantLen, tc.wantStat)
		}
		if tc.typ == blkTGetID && string(d.ram[tData:tData+20]) != "gemu-disk-0\x00\x00\x00\x00\x00\x00\x00\x00\x00" {
			t.Errorf("GET_ID wrote %q", d.ram[tData:tData+20])
		}
	}

	// An IN through an indirect table, its data split over two buffers,
	// with interrupts suppressed by the driver.
	d.in(vioISR, 1)
	binary.LittleEndian.PutUint16(d.ram[tAvail:], vringAvailNoInterrupt)
	d.header(blkTIn, 6)
	d.desc(tIndirect, 0, tHdr, 16, vringDescNext, 1)
	d.desc(tIndirect, 1, tData, 100, vringDescWrite|vringDescNext, 2)
	d.desc(tIndirect, 2, tData+0x800, 412, vringDescWrite|vringDescNext, 3)
	d.desc(tIndirect, 3, tStatus, 1, vringDescWrite, 0)
	d.desc(tDesc, 5, tIndirect, 4*16, vringDescIndirect, 0)
	if id, ln := d.submit(5); id != 5 || ln != 513 || d.ram[tStatus] != blkSOK {
		t.Errorf("indirect IN: used (%d, %d), status %d", id, ln, d.ram[tStatus])
	}
	if !bytes.Equal(d.ram[tData:tData+100], img[6*512:6*512+100]) || !bytes.Equal(d.ram[tData+0x800:tData+0x800+412], img[6*512+100:7*512]) {
		t.Error("indirect IN data wrong")
	}
	if d.irq.level || d.in(vioISR, 1) != 0 {
		t.Error("interrupt despite VRING_AVAIL_F_NO_INTERRUPT")
	}

	// Reset takes the queue down.
	d.out(vioStatus, 1, 0)
	d.out(vioQueueSelect, 2, 0)
	if p := d.in(vioQueuePFN, 4); p != 0 {
		t.Errorf("PFN after reset %#x", p)
	}
}

func TestVirtioBlkReadOnly(t *testing.T) {
	img := testImage(4)
	d, path := newBlkDriver(t, img, true)
	if f := d.in(vioHostFeatures, 4); f&blkFRO == 0 {
		t.Errorf("host features %#x lack VIRTIO_BLK_F_RO", f)
	}
	d.init(blkFeature | blkFRO)
	for i := 0; i < 512; i++ {
		d.ram[tData+i] = 0x55
	}
	if _, ln := d.request(blkTOut, 1, 512, false); ln != 1 || d.ram[tStatus] != blkSIOErr {
		t.Errorf("OUT on a read-only disk: len %d status %d, want 1 and IOERR", ln, d.ram[tStatus])
	}
	if got, _ := os.ReadFile(path); !bytes.Equal(got, img) {
		t.Error("read-only image changed")
	}
	if _, ln := d.request(blkTIn, 1, 512, true); ln != 513 || d.ram[tStatus] != blkSOK || d.ram[tData] != 2 {
		t.Errorf("IN on a read-only disk: len %d status %d data %d", ln, d.ram[tStatus], d.ram[tData])
	}
	if _, ln := d.request(blkTFlush, 0, 0, false); ln != 1 || d.ram[tStatus] != blkSOK {
		t.Errorf("FLUSH on a read-only disk: status %d", d.ram[tStatus])
	}
}

func TestVirtioBlkMalformed(t *testing.T) {
	d, _ := newBlkDriver(t, testImage(4), false)
	d.init(blkFeature)
	// A descriptor loop: 0 -> 1 -> 0.
	d.header(blkTIn, 0)
	d.desc(tDesc, 0, tHdr, 16, vringDescNext, 1)
	d.desc(tDesc, 1, tData, 512, vringDescWrite|vringDescNext, 0)
	binary.LittleEndian.PutUint16(d.ram[tAvail+4:], 0)
	binary.LittleEndian.PutUint16(d.ram[tAvail+2:], 1)
	d.out(vioQueueNotify, 2, 0)
	if s := d.in(vioStatus, 1); s != 0x47 {
		t.Errorf("status after a descriptor loop %#x, want DEVICE_NEEDS_RESET|7", s)
	}
	// Without bus mastering the device does not touch memory.
	d, _ = newBlkDriver(t, testImage(4), false)
	d.init(blkFeature)
	cfgWrite(d.bus, 4, 0x04, 2, PCICmdIO)
	d.header(blkTIn, 0)
	d.desc(tDesc, 0, tHdr, 16, vringDescNext, 1)
	d.desc(tDesc, 1, tStatus, 1, vringDescWrite, 0)
	binary.LittleEndian.PutUint16(d.ram[tAvail+2:], 1)
	d.out(vioQueueNotify, 2, 0)
	if u := binary.LittleEndian.Uint16(d.ram[tUsed+2:]); u != 0 || d.ram[tStatus] != 0xee {
		t.Errorf("device did DMA with bus mastering off (used %d)", u)
	}
}

func TestVirtioBlkRingWrap(t *testing.T) {
	img := testImage(16)
	d, _ := newBlkDriver(t, img, false)
	d.init(blkFeature)
	// Start near the end of the 16-bit index space, as after 65530
	// requests, and run 300: the ring positions wrap twice and the
	// indexes once.
	d.blk.queues[0].lastAvail, d.blk.queues[0].usedIdx = 65530, 65530
	d.avail = 65530
	binary.LittleEndian.PutUint16(d.ram[tUsed+2:], 65530)
	for i := 0; i < 300; i++ {
		sector := uint64(i % 16)
		head := uint16(i*3) % 126
		d.header(blkTIn, sector)
		d.desc(tDesc, int(head), tHdr, 16, vringDescNext, head+1)
		d.desc(tDesc, int(head+1), tData, 512, vringDescWrite|vringDescNext, head+2)
		d.desc(tDesc, int(head+2), tStatus, 1, vringDescWrite, 0)
		id, ln := d.submit(head)
		if id != uint32(head) || ln != 513 || d.ram[tStatus] != blkSOK || d.ram[tData] != byte(sector+1) {
			t.Fatalf("request %d: used (%d, %d), status %d, data %d", i, id, ln, d.ram[tStatus], d.ram[tData])
		}
	}
	if d.avail != (65530+300)&0xffff {
		t.Fatalf("driver index %d", d.avail)
	}
}
