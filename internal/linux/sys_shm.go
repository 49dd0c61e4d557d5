package linux

import (
	"fmt"
	"strings"
	"syscall"
	"unsafe"

	"gemu/internal/linux/abi"
	"gemu/internal/mem"
)

// System V shared memory: shmget, shmat, shmdt, shmctl, and i386's ipc
// multiplexer for them.
//
// The segments are the host's: shmget and shmctl go to the host kernel,
// so keys, ids, permissions, sizes, attach counts and removal behave as
// they do natively, and other processes (the guest's forked children,
// which are other gemus, or native programs) share the same objects.
// Each guest attachment is a host attachment of the segment in gemu's
// own address space, lent page by page to the guest's address space as
// the pages' contents (mem.Space.Back): a store by one process is seen by
// every other at once, and the host's count of attachments is the
// guest's. A forked child attaches its parent's segments again at the
// same guest addresses; the parent waits until it has, so that a segment
// removed meanwhile (IPC_RMID) outlives the fork as it does on Linux.
//
// Known gaps: code executed from a segment is not retranslated when
// another process changes it; mremap of an attachment is refused
// (EINVAL).

func init() {
	reg(sysShmget, "shmget")
	reg(sysShmat, "shmat")
	reg(sysShmdt, "shmdt")
	reg(sysShmctl, "shmctl")
	reg(sysIpc, "ipc")
}

// System V IPC constants (the same on i386 and x86-64).
const (
	ipcRmid    = 0
	ipcSet     = 1
	ipcStat    = 2
	ipcInfo    = 3
	ipc64      = 0x100 // i386: the command wants the 64-bit ("ipc64") structures
	shmLock    = 11
	shmUnlock  = 12
	shmStat    = 13
	shmInfo    = 14
	shmStatAny = 15
	shmRdonly  = 0o10000
	shmRnd     = 0o20000
	shmRemap   = 0o40000
	shmExec    = 0o100000
	shmLBA     = pageSize // x86's SHMLBA

	// The ipc multiplexer's calls (i386).
	ipcShmat  = 21
	ipcShmdt  = 22
	ipcShmget = 23
	ipcShmctl = 24
)

// shmDevMinor is the device the kernel shows for a segment's mapping in
// maps (00:01, its internal shm mount, the first anonymous device).
const shmDevMinor = 1

// hostShmidDS is the size of the host's (x86-64) struct shmid64_ds.
const hostShmidDS = 112

// shmAttach is one guest attachment of a segment.
type shmAttach struct {
	addr     uint64 // guest address
	id       int
	host     []byte // gemu's host attachment, a whole number of pages
	readOnly bool
}

func sysShmget(t *Thread, a *[6]uint64) int64 {
	// key, size and flags mean the same to the host.
	return host(syscall.SYS_SHMGET, uintptr(int32(a[0])), uintptr(t.ulong(a[1])), uintptr(int32(a[2])))
}

func sysShmat(t *Thread, a *[6]uint64) int64 {
	addr, e := t.shmat(sint(a[0]), t.ulong(a[1]), sint(a[2]))
	if e != 0 {
		return e
	}
	return int64(addr)
}

func sysShmdt(t *Thread, a *[6]uint64) int64 { return t.shmdt(t.ulong(a[0])) }

// sysShmctl is shmctl. x86-64 has one layout of the structures, and an
// i386 shmctl (Linux 5.1's direct call) always uses the ipc64 ones: on
// both an IPC_64 bit in the command is an unknown command, EINVAL, as in
// the x86-64 kernel's compat call, which passes the command on unparsed
// (only the ipc multiplexer strips the bit, sysIpc).
func sysShmctl(t *Thread, a *[6]uint64) int64 {
	return t.shmctl(sint(a[0]), sint(a[1]), t.ulong(a[2]), true)
}

// sysIpc is i386's ipc(call, first, second, third, ptr, fifth)
// multiplexer. Its shmat is the old interface: the address goes to the
// long at third, and the call returns 0. shmctl's structures are the
// ipc64 ones if the command has IPC_64, else the old 16-bit ones.
// Semaphores and message queues: sysIpcSemMsg (sys_sem.go).
func sysIpc(t *Thread, a *[6]uint64) int64 {
	call, first, second, third, ptr := a[0]&0xffff, a[1], a[2], a[3], a[4]
	version := a[0] >> 16 & 0xffff
	switch call {
	case ipcShmat:
		if version == 1 {
			return -abi.EINVAL // the iBCS2 variant, which Linux refuses here
		}
		addr, e := t.shmat(sint(first), t.ulong(ptr), sint(second))
		if e != 0 {
			return e
		}
		return t.writeLong(t.ulong(third), addr)
	case ipcShmdt:
		return t.shmdt(t.ulong(ptr))
	case ipcShmget:
		return sysShmget(t, &[6]uint64{first, second, third})
	case ipcShmctl:
		cmd := sint(second)
		return t.shmctl(sint(first), cmd&^ipc64, t.ulong(ptr), cmd&ipc64 != 0)
	}
	if r, ok := t.sysIpcSemMsg(call, version, first, second, third, ptr, a[5]); ok {
		return r
	}
	t.unimpf("ipc: call %d is not supported\n", call)
	return -abi.ENOSYS
}

// hostMemory is the n bytes of host memory at addr, memory the kernel
// mapped outside Go's heap (a shmat result), as a slice. The address is
// read as a pointer from the uintptr's own word: such memory is not the
// garbage collector's, so there is nothing for it to track.
func hostMemory(addr uintptr, n int) []byte {
	return unsafe.Slice((*byte)(*(*unsafe.Pointer)(unsafe.Pointer(&addr))), n)
}

// hostShmStat returns the host's struct shmid64_ds of segment id (cmd
// IPC_STAT, or SHM_STAT/SHM_STAT_ANY with an index) and the call's result.
func hostShmStat(id int64, cmd int64) ([]byte, int64) {
	b := hbuf(hostShmidDS)
	r := host(syscall.SYS_SHMCTL, uintptr(id), uintptr(cmd), uintptr(ptr(b)))
	return b, r
}

// shmat attaches segment id at addr (0: where gemu chooses) as Linux's
// do_shmat does, and returns the guest address.
func (t *Thread) shmat(id int64, addr uint64, flg int64) (uint64, int64) {
	if id < 0 {
		return 0, -abi.EINVAL
	}
	if addr != 0 {
		if addr&(shmLBA-1) != 0 {
			if flg&shmRnd == 0 {
				return 0, -abi.EINVAL
			}
			addr &^= shmLBA - 1
			if addr == 0 && flg&shmRemap != 0 {
				return 0, -abi.EINVAL
			}
		}
	} else if flg&shmRemap != 0 {
		return 0, -abi.EINVAL
	}
	readOnly := flg&shmRdonly != 0
	perm := mem.Read | mem.Write
	hflg := 0
	if readOnly {
		perm, hflg = mem.Read, shmRdonly
	}
	if flg&shmExec != 0 {
		perm |= mem.Exec
	}
	// The host checks the id and the permissions.
	h := host(syscall.SYS_SHMAT, uintptr(id), 0, uintptr(hflg))
	if h < 0 {
		return 0, h
	}
	st, r := hostShmStat(id, ipcStat)
	if r < 0 {
		host(syscall.SYS_SHMDT, uintptr(h))
		return 0, r
	}
	size := pageUp(le64(st[48:]))
	fail := func(e int64) (uint64, int64) {
		host(syscall.SYS_SHMDT, uintptr(h))
		return 0, e
	}
	switch {
	case size == 0:
		return fail(-abi.EINVAL)
	case addr != 0:
		if addr+size < addr || addr+size > t.taskSize() {
			return fail(-abi.ENOMEM)
		}
		if flg&shmRemap == 0 && !t.free(addr, size) {
			return fail(-abi.EINVAL)
		}
	default:
		if addr = t.findArea(0, size, false); addr == 0 {
			return fail(-abi.ENOMEM)
		}
	}
	if err := t.Mem.Map(addr, size, perm); err != nil {
		return fail(-abi.ENOMEM)
	}
	at := &shmAttach{addr: addr, id: int(id), host: hostMemory(uintptr(h), int(size)), readOnly: readOnly}
	t.Mem.Back(addr, at.host, readOnly)
	t.clearBus(addr, size)
	t.dropShared(addr, size)
	t.proc.Files.set(FileRange{Start: addr, End: addr + size, Minor: shmDevMinor, Ino: uint64(id),
		Name: fmt.Sprintf("/SYSV%08x (deleted)", le32(st)), Shared: true})
	t.shm = append(t.shm, at)
	t.shmRelease() // SHM_REMAP may have replaced another attachment
	return addr, 0
}

// shmdt detaches the attachment that starts at addr: its pages still
// holding the segment are unmapped.
func (p *Process) shmdt(addr uint64) int64 {
	if addr&(pageSize-1) != 0 {
		return -abi.EINVAL
	}
	for _, at := range p.shm {
		if at.addr != addr || !p.Mem.AnyBacked(addr, at.host[:pageSize]) {
			continue
		}
		p.Mem.UnmapBacked(addr, at.host)
		p.forgetShmRanges(at)
		p.shmRelease()
		return 0
	}
	return -abi.EINVAL
}

// forgetShmRanges drops the maps records of at's pages that are no longer
// mapped.
func (p *Process) forgetShmRanges(at *shmAttach) {
	end := at.addr + uint64(len(at.host))
	for _, r := range append(FileRanges(nil), p.proc.Files...) {
		if r.Start < end && at.addr < r.End && r.Ino == uint64(at.id) && strings.HasPrefix(r.Name, "/SYSV") && !p.Mem.Mapped(r.Start, r.End-r.Start) {
			p.proc.Files.clear(max(r.Start, at.addr), min(r.End, end))
		}
	}
}

// shmRelease ends the host attachments whose pages the guest has all
// unmapped or mapped over (munmap, mmap, shmdt, shmat with SHM_REMAP).
//
// The list is settled before the host calls, during which other guest
// threads may run (host releases the thread group's lock).
func (p *Process) shmRelease() {
	var kept, gone []*shmAttach
	for _, at := range p.shm {
		if p.Mem.AnyBacked(at.addr, at.host) {
			kept = append(kept, at)
		} else {
			gone = append(gone, at)
		}
	}
	if len(gone) == 0 {
		return
	}
	p.shm = kept
	for _, at := range gone {
		h := at.host
		at.host = nil // no lasting Go value points at the memory once it is unmapped
		host(syscall.SYS_SHMDT, uintptr(ptr(h)))
	}
}

// shmOverlaps reports whether [addr, addr+size) holds a page of an
// attachment.
func (p *Process) shmOverlaps(addr, size uint64) bool {
	for _, at := range p.shm {
		if addr < at.addr+uint64(len(at.host)) && at.addr < addr+size {
			return true
		}
	}
	return false
}

// shmReadOnlyIn reports whether [addr, addr+size) holds a page of a
// read-only (SHM_RDONLY) attachment, which mprotect may not make writable.
func (p *Process) shmReadOnlyIn(addr, size uint64) bool {
	for _, at := range p.shm {
		if at.readOnly && addr < at.addr+uint64(len(at.host)) && at.addr < addr+size {
			return true
		}
	}
	return false
}

// shmctl is shmctl(id, cmd, buf) with cmd stripped of IPC_64; ipc64 says
// which of i386's structure layouts buf has (x86-64 has one).
func (t *Thread) shmctl(id, cmd int64, buf uint64, ipc64 bool) int64 {
	if id < 0 || cmd < 0 {
		return -abi.EINVAL
	}
	switch cmd {
	case ipcRmid, shmLock, shmUnlock:
		return host(syscall.SYS_SHMCTL, uintptr(id), uintptr(cmd), 0)
	case ipcStat, shmStat, shmStatAny:
		st, r := hostShmStat(id, cmd)
		if r < 0 {
			return r
		}
		if e := t.writeMem(buf, t.guestShmidDS(st, ipc64)); e != 0 {
			return e
		}
		return r
	case ipcSet:
		hb, e := t.hostShmidSet(buf, ipc64)
		if e != 0 {
			return e
		}
		return host(syscall.SYS_SHMCTL, uintptr(id), ipcSet, uintptr(ptr(hb)))
	case ipcInfo, shmInfo:
		hb := hbuf(72)
		r := host(syscall.SYS_SHMCTL, uintptr(id), uintptr(cmd), uintptr(ptr(hb)))
		if r < 0 {
			return r
		}
		if e := t.writeMem(buf, t.guestShmInfo(hb, cmd, ipc64)); e != 0 {
			return e
		}
		return r
	}
	return -abi.EINVAL
}

// guestShmidDS converts the host's struct shmid64_ds (x86-64) to the
// guest's: the same on x86-64; on i386 the ipc64 form (84 bytes: 32-bit
// sizes, times split in low and high halves) or the old one (48 bytes:
// 16-bit ids, mode, pids and attach count; ids above 65535 shown as the
// overflow id 65534, as the kernel does).
func (t *Thread) guestShmidDS(h []byte, ipc64 bool) []byte {
	if t.w == 8 {
		return h
	}
	key, uid, gid, cuid, cgid, mode, seq := le32(h), le32(h[4:]), le32(h[8:]), le32(h[12:]), le32(h[16:]), le32(h[20:]), le32(h[24:])&0xffff
	segsz, atime, dtime, ctime := le64(h[48:]), le64(h[56:]), le64(h[64:]), le64(h[72:])
	cpid, lpid, nattch := le32(h[80:]), le32(h[84:]), le64(h[88:])
	if ipc64 {
		g := make([]byte, 84)
		for i, v := range []uint32{key, uid, gid, cuid, cgid} {
			putLE32(g[4*i:], v)
		}
		putLE16(g[20:], uint16(mode))
		putLE16(g[24:], uint16(seq))
		putLE32(g[36:], uint32(segsz))
		putLE32(g[40:], uint32(atime))
		putLE32(g[44:], uint32(atime>>32))
		putLE32(g[48:], uint32(dtime))
		putLE32(g[52:], uint32(dtime>>32))
		putLE32(g[56:], uint32(ctime))
		putLE32(g[60:], uint32(ctime>>32))
		putLE32(g[64:], cpid)
		putLE32(g[68:], lpid)
		putLE32(g[72:], uint32(nattch))
		return g
	}
	id16 := func(v uint32) uint16 {
		if v > 0xffff {
			return 65534
		}
		return uint16(v)
	}
	g := make([]byte, 48)
	putLE32(g, key)
	putLE16(g[4:], id16(uid))
	putLE16(g[6:], id16(gid))
	putLE16(g[8:], id16(cuid))
	putLE16(g[10:], id16(cgid))
	putLE16(g[12:], uint16(mode))
	putLE16(g[14:], uint16(seq))
	putLE32(g[16:], uint32(segsz))
	putLE32(g[20:], uint32(atime))
	putLE32(g[24:], uint32(dtime))
	putLE32(g[28:], uint32(ctime))
	putLE16(g[32:], uint16(cpid))
	putLE16(g[34:], uint16(lpid))
	putLE16(g[36:], uint16(nattch))
	return g
}

// hostShmidSet reads the guest's struct shmid_ds for IPC_SET, of which the
// kernel uses the owner's uid and gid and the mode, into a host one.
func (t *Thread) hostShmidSet(buf uint64, ipc64 bool) ([]byte, int64) {
	hb := hbuf(hostShmidDS)
	switch {
	case t.w == 8:
		g, e := t.readMem(buf, hostShmidDS)
		if e != 0 {
			return nil, e
		}
		copy(hb, g)
	case ipc64:
		g, e := t.readMem(buf, 84)
		if e != 0 {
			return nil, e
		}
		putLE32(hb[4:], le32(g[4:]))
		putLE32(hb[8:], le32(g[8:]))
		putLE32(hb[20:], uint32(le16(g[20:])))
	default:
		g, e := t.readMem(buf, 48)
		if e != 0 {
			return nil, e
		}
		putLE32(hb[4:], uint32(le16(g[4:])))
		putLE32(hb[8:], uint32(le16(g[6:])))
		putLE32(hb[20:], uint32(le16(g[12:])))
	}
	return hb, 0
}

// guestShmInfo converts the host's answer to IPC_INFO (struct shminfo64:
// nine longs) or SHM_INFO (struct shm_info: an int, then five longs) to
// the guest's layout: x86-64's is the host's; i386's has 32-bit longs,
// and its old IPC_INFO form (struct shminfo) only the first five, as ints
// with the maximum size capped at INT_MAX.
func (t *Thread) guestShmInfo(h []byte, cmd int64, ipc64 bool) []byte {
	if t.w == 8 {
		if cmd == shmInfo {
			return h[:48]
		}
		return h
	}
	if cmd == shmInfo {
		g := make([]byte, 24)
		putLE32(g, le32(h))
		for i := 0; i < 5; i++ {
			putLE32(g[4+4*i:], uint32(le64(h[8+8*i:])))
		}
		return g
	}
	n := 9
	if !ipc64 {
		n = 5
	}
	g := make([]byte, 4*n)
	for i := 0; i < n; i++ {
		v := le64(h[8*i:])
		if !ipc64 && i == 0 && v > 0x7fffffff {
			v = 0x7fffffff
		}
		putLE32(g[4*i:], uint32(v))
	}
	return g
}

func le16(b []byte) uint16 { return uint16(b[0]) | uint16(b[1])<<8 }

func putLE16(b []byte, v uint16) { b[0], b[1] = byte(v), byte(v>>8) }

// Fork: the child attaches the segments again.

// shmImage is an attachment in a fork image: the pages (offsets from
// Addr) that still hold the segment.
type shmImage struct {
	Addr     uint64
	ID       int
	Size     int
	ReadOnly bool
	Runs     [][2]uint64 // [offset, length) runs of attached pages
}

// shmImages describes the attachments for a forked child.
func (p *Process) shmImages() []shmImage {
	var out []shmImage
	for _, at := range p.shm {
		img := shmImage{Addr: at.addr, ID: at.id, Size: len(at.host), ReadOnly: at.readOnly}
		for off := 0; off < len(at.host); off += pageSize {
			if p.Mem.Backed(at.addr+uint64(off), at.host[off:off+pageSize]) == 0 {
				continue
			}
			if n := len(img.Runs); n > 0 && img.Runs[n-1][0]+img.Runs[n-1][1] == uint64(off) {
				img.Runs[n-1][1] += pageSize
			} else {
				img.Runs = append(img.Runs, [2]uint64{uint64(off), pageSize})
			}
		}
		out = append(out, img)
	}
	return out
}

// shmReattach attaches, in a forked child, the segments its parent had
// attached, at the same guest pages. A segment that cannot be attached
// again leaves those pages private (zeros), with a message.
func (p *Process) shmReattach(imgs []shmImage) {
	for _, img := range imgs {
		flg := 0
		if img.ReadOnly {
			flg = shmRdonly
		}
		h := host(syscall.SYS_SHMAT, uintptr(img.ID), 0, uintptr(flg))
		if h < 0 {
			p.unimpf("gemu: fork: cannot attach shared memory segment %d again: %s\n", img.ID, abi.ErrnoName(int(-h)))
			continue
		}
		at := &shmAttach{addr: img.Addr, id: img.ID, host: hostMemory(uintptr(h), img.Size), readOnly: img.ReadOnly}
		for _, r := range img.Runs {
			p.Mem.Back(img.Addr+r[0], at.host[r[0]:r[0]+r[1]], img.ReadOnly)
		}
		p.shm = append(p.shm, at)
	}
}
