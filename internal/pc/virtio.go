package pc

import "encoding/binary"

// GuestRAM is guest-physical memory as a device doing DMA sees it. The
// board implements it over mem.Phys; writes must go through the path that
// drops translated code on the pages they touch.
type GuestRAM interface {
	ReadPhys(pa uint64, dst []byte)
	WritePhys(pa uint64, src []byte)
}

// Virtio over PCI, the legacy interface (virtio 1.x section 4.1.4.8 and
// the 0.9.5 layout it keeps): vendor 0x1af4, device 0x1000 + type - 1 for
// the transitional IDs below 0x1040, revision 0, the virtio device type in
// the subsystem ID, one I/O BAR holding these registers followed by the
// device-specific configuration (no MSI-X: Linux then takes INTx).
const (
	VirtioVendor = 0x1af4

	vioHostFeatures  = 0x00 // 32, read only
	vioGuestFeatures = 0x04 // 32
	vioQueuePFN      = 0x08 // 32: the selected queue's address >> 12
	vioQueueSize     = 0x0c // 16, read only
	vioQueueSelect   = 0x0e // 16
	vioQueueNotify   = 0x10 // 16, write only
	vioStatus        = 0x12 // 8: 0 resets the device
	vioISR           = 0x13 // 8: reading clears it and lowers the interrupt
	vioConfig        = 0x14 // device configuration (without MSI-X)

	vioStatusNeedsReset = 0x40

	vringAlign = 4096 // the legacy interface's queue alignment

	vringDescNext     = 1
	vringDescWrite    = 2
	vringDescIndirect = 4

	vringAvailNoInterrupt = 1
)

// virtioBackend is a device type behind the legacy transport.
type virtioBackend interface {
	// features returns the device's feature bits (only the low 32 exist
	// in the legacy interface).
	features() uint32
	// config returns the device configuration space as it is now.
	config() []byte
	// request serves one descriptor chain of queue q and returns the
	// number of bytes it wrote into the chain's device-writable buffers.
	request(q int, c *vchain) uint32
	// reset returns the device to its state after power-on.
	reset()
}

// VirtioPCI is the legacy virtio-pci transport: the PCI function, the
// common registers and the split virtqueues (descriptor table, available
// ring and used ring in guest RAM). Requests run synchronously inside the
// guest's queue notify write, under Bus.Mu.
type VirtioPCI struct {
	Fn PCIFunction // add it to the PCIHost

	ram    GuestRAM
	dev    virtioBackend
	guest  uint32 // features the driver accepted
	queues []virtqueue
	qsel   uint16
	status uint8
	isr    uint8
	chain  vchain
	hdr    [vioConfig]byte
	tmp    [8]byte // ring fields on their way to and from RAM
}

// virtqueue is one split virtqueue as the driver placed it.
type virtqueue struct {
	size      uint16 // number of entries the device offers
	pfn       uint32 // 0: not set up
	desc      uint64 // physical addresses of the three parts
	avail     uint64
	used      uint64
	lastAvail uint16 // next available ring entry to take
	usedIdx   uint16 // next used ring entry to fill
}

// vseg is one buffer of a descriptor chain.
type vseg struct {
	addr  uint64
	len   uint32
	write bool
}

// vchain is a descriptor chain as a device sees it: the driver's readable
// buffers (in order) and its writable buffers (in order). Its slices are
// reused from request to request.
type vchain struct {
	ram GuestRAM
	rd  []vseg
	wr  []vseg
	rdN uint64 // total readable bytes
	wrN uint64 // total writable bytes
	d   [16]byte
}

// newVirtioPCI makes a legacy virtio-pci function for a device of the
// given virtio type with queues of the given sizes, and a register BAR of
// barSize bytes (the common registers and the device configuration).
func newVirtioPCI(ram GuestRAM, dev virtioBackend, typ uint16, class uint32, barSize uint32, qsizes ...uint16) *VirtioPCI {
	v := &VirtioPCI{ram: ram, dev: dev}
	v.Fn = PCIFunction{
		Vendor: VirtioVendor, Device: 0x1000 + typ - 1, Class: class, Revision: 0,
		SubVendor: VirtioVendor, SubDevice: typ, Pin: 1,
		BARs:    [6]BAR{{Size: barSize, IO: true}},
		Handler: v,
	}
	v.queues = make([]virtqueue, len(qsizes))
	for i, s := range qsizes {
		v.queues[i].size = s
	}
	v.chain.ram = ram
	return v
}

// reset is the device reset (status 0): features, queues, ISR and the
// interrupt line back to their power-on state.
func (v *VirtioPCI) reset() {
	v.guest, v.qsel, v.status, v.isr = 0, 0, 0, 0
	for i := range v.queues {
		v.queues[i] = virtqueue{size: v.queues[i].size}
	}
	v.Fn.SetIRQ(false)
	v.dev.reset()
}

// ReadBAR implements BARHandler: the common registers, then the device
// configuration. Reading any byte of ISR clears it.
func (v *VirtioPCI) ReadBAR(bar int, off uint64, size int) uint64 {
	h := v.hdr[:]
	binary.LittleEndian.PutUint32(h[vioHostFeatures:], v.dev.features())
	binary.LittleEndian.PutUint32(h[vioGuestFeatures:], v.guest)
	var pfn uint32
	var qs uint16
	if int(v.qsel) < len(v.queues) {
		pfn, qs = v.queues[v.qsel].pfn, v.queues[v.qsel].size
	}
	binary.LittleEndian.PutUint32(h[vioQueuePFN:], pfn)
	binary.LittleEndian.PutUint16(h[vioQueueSize:], qs)
	binary.LittleEndian.PutUint16(h[vioQueueSelect:], v.qsel)
	binary.LittleEndian.PutUint16(h[vioQueueNotify:], 0)
	h[vioStatus] = v.status
	h[vioISR] = v.isr
	cfg := v.dev.config()
	var r uint64
	for i := 0; i < size; i++ {
		o := off + uint64(i)
		var b byte
		switch {
		case o < vioConfig:
			b = h[o]
		case o-vioConfig < uint64(len(cfg)):
			b = cfg[o-vioConfig]
		}
		r |= uint64(b) << (8 * i)
	}
	if off <= vioISR && vioISR < off+uint64(size) {
		v.isr = 0
		v.Fn.SetIRQ(false)
	}
	return r
}

// WriteBAR implements BARHandler. Writes to the device configuration are
// ignored (nothing there is writable for the devices here).
func (v *VirtioPCI) WriteBAR(bar int, off uint64, size int, val uint64) {
	switch off {
	case vioGuestFeatures:
		v.guest = uint32(val) & v.dev.features()
	case vioQueuePFN:
		if int(v.qsel) < len(v.queues) {
			v.setQueue(&v.queues[v.qsel], uint32(val))
		}
	case vioQueueSelect:
		v.qsel = uint16(val)
	case vioQueueNotify:
		if int(uint16(val)) < len(v.queues) {
			v.process(int(uint16(val)))
		}
	case vioStatus:
		if uint8(val) == 0 {
			v.reset()
		} else {
			v.status = uint8(val)
		}
	}
}

// setQueue places queue q at page pfn (0 takes the queue down), in the
// legacy layout: descriptors, then the available ring, then the used ring
// at the next 4096-byte boundary.
func (v *VirtioPCI) setQueue(q *virtqueue, pfn uint32) {
	*q = virtqueue{size: q.size, pfn: pfn}
	if pfn == 0 {
		return
	}
	n := uint64(q.size)
	q.desc = uint64(pfn) * vringAlign
	q.avail = q.desc + 16*n
	q.used = alignUp(q.avail+6+2*n, vringAlign)
}

func (v *VirtioPCI) read16(pa uint64) uint16 {
	v.ram.ReadPhys(pa, v.tmp[:2])
	return binary.LittleEndian.Uint16(v.tmp[:2])
}

func (v *VirtioPCI) write16(pa uint64, x uint16) {
	binary.LittleEndian.PutUint16(v.tmp[:2], x)
	v.ram.WritePhys(pa, v.tmp[:2])
}

// process serves every chain the driver made available on queue qi, puts
// each on the used ring, then interrupts unless the driver asked not to.
// A malformed queue (an available index running more than the queue size
// ahead, a bad descriptor) sets DEVICE_NEEDS_RESET and stops the queue.
func (v *VirtioPCI) process(qi int) {
	q := &v.queues[qi]
	if q.pfn == 0 || !v.Fn.BusMaster() || v.status&vioStatusNeedsReset != 0 {
		return
	}
	done := false
	for {
		idx := v.read16(q.avail + 2)
		if idx == q.lastAvail {
			break
		}
		if idx-q.lastAvail > q.size {
			v.status |= vioStatusNeedsReset
			break
		}
		head := v.read16(q.avail + 4 + 2*uint64(q.lastAvail%q.size))
		q.lastAvail++
		if !v.chain.load(q, head) {
			v.status |= vioStatusNeedsReset
			break
		}
		n := v.dev.request(qi, &v.chain)
		binary.LittleEndian.PutUint32(v.tmp[0:], uint32(head))
		binary.LittleEndian.PutUint32(v.tmp[4:], n)
		v.ram.WritePhys(q.used+4+8*uint64(q.usedIdx%q.size), v.tmp[:])
		q.usedIdx++
		v.write16(q.used+2, q.usedIdx)
		done = true
	}
	if done && v.read16(q.avail)&vringAvailNoInterrupt == 0 {
		v.isr |= 1
		v.Fn.SetIRQ(true)
	}
}

// load reads the chain starting at descriptor head of q, following
// indirect tables; it fails on an index out of range, a loop (more
// descriptors than the table holds) or a nested indirect table.
func (c *vchain) load(q *virtqueue, head uint16) bool {
	c.rd, c.wr, c.rdN, c.wrN = c.rd[:0], c.wr[:0], 0, 0
	table, n := q.desc, uint32(q.size)
	i, indirect := uint32(head), false
	for count := uint32(0); ; {
		if i >= n || count >= n {
			return false
		}
		count++
		d := c.d[:]
		c.ram.ReadPhys(table+16*uint64(i), d)
		addr := binary.LittleEndian.Uint64(d[0:])
		ln := binary.LittleEndian.Uint32(d[8:])
		flags := binary.LittleEndian.Uint16(d[12:])
		next := binary.LittleEndian.Uint16(d[14:])
		if flags&vringDescIndirect != 0 {
			if indirect || ln%16 != 0 || ln == 0 {
				return false
			}
			indirect = true
			table, n, i, count = addr, ln/16, 0, 0
			continue
		}
		if flags&vringDescWrite != 0 {
			c.wr = append(c.wr, vseg{addr, ln, true})
			c.wrN += uint64(ln)
		} else {
			c.rd = append(c.rd, vseg{addr, ln, false})
			c.rdN += uint64(ln)
		}
		if flags&vringDescNext == 0 {
			return true
		}
		i = uint32(next)
	}
}

// copyOut copies the readable bytes [off, off+len(dst)) of the chain into
// dst.
func (c *vchain) copyOut(off uint64, dst []byte) {
	for _, s := range c.rd {
		if len(dst) == 0 {
			return
		}
		if off >= uint64(s.len) {
			off -= uint64(s.len)
			continue
		}
		k := min(uint64(s.len)-off, uint64(len(dst)))
		c.ram.ReadPhys(s.addr+off, dst[:k])
		dst, off = dst[k:], 0
	}
}

// copyIn copies src into the writable bytes [off, off+len(src)) of the
// chain.
func (c *vchain) copyIn(off uint64, src []byte) {
	for _, s := range c.wr {
		if len(src) == 0 {
			return
		}
		if off >= uint64(s.len) {
			off -= uint64(s.len)
			continue
		}
		k := min(uint64(s.len)-off, uint64(len(src)))
		c.ram.WritePhys(s.addr+off, src[:k])
		src, off = src[k:], 0
	}
}
