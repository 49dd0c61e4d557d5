package linux

import (
	"runtime"
	"unsafe"

	"gemu/internal/linux/abi"
	"gemu/internal/mem"
)

// process_vm_readv and process_vm_writev: copies between the caller's
// memory (the local iovecs) and a process's (the remote ones), with
// Linux's rules: the remote side is reached page by page with the
// permission the access needs (read, or write for process_vm_writev; a
// PROT_NONE or read-only page is EFAULT, whatever a debugger could do),
// the local side as the guest's own loads and stores, and the transfer
// stops at the first fault on either side, returning the bytes moved
// before it or EFAULT if none were.
//
// The remote process is the caller itself (its pid or any of its threads'
// ids), another guest of gemu, whose gemu serves its memory (peer.go), or
// a process that does not run gemu, whose memory the host's call reaches.
// Whether the caller may reach another process is the host kernel's
// decision, by its own rule.

func init() {
	reg(func(t *Thread, a *[6]uint64) int64 { return t.processVM(a, false) }, "process_vm_readv")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.processVM(a, true) }, "process_vm_writev")
}

// processVM serves both calls: (pid, local_iov, liovcnt, remote_iov,
// riovcnt, flags), checked in the kernel's order.
func (t *Thread) processVM(a *[6]uint64, write bool) int64 {
	if t.ulong(a[5]) != 0 {
		return -abi.EINVAL
	}
	local, e := t.vmIovecs(a[1], a[2])
	if e != 0 {
		return e
	}
	if iovTotal(local) == 0 {
		return 0
	}
	remote, e := t.vmIovecs(a[3], a[4])
	if e != 0 {
		return e
	}
	if iovTotal(remote) == 0 {
		return 0
	}
	pid := sint(a[0])
	if pid <= 0 || pid > 1<<30 {
		return -abi.ESRCH
	}
	var tg memTarget = selfTarget{t.Process}
	if !t.isThread(pid) {
		peer, e := t.peerTarget(int(pid))
		if e != 0 {
			return e
		}
		if peer == nil {
			return t.hostVM(int(pid), local, remote, write)
		}
		tg = peer
	}
	return t.copyVM(tg, local, remote, write)
}

// vmIovecs reads an iovec array whose count is an unsigned long.
func (t *Thread) vmIovecs(addr, cnt uint64) ([][2]uint64, int64) {
	cnt = t.ulong(cnt)
	if cnt > iovMax {
		return nil, -abi.EINVAL
	}
	return t.iovecs(addr, int64(cnt))
}

func iovTotal(v [][2]uint64) uint64 {
	var n uint64
	for _, x := range v {
		n += x[1]
	}
	return n
}

// copyVM moves bytes between the local iovecs and the remote ones of
// target t, remote iovec by remote iovec, until either side is used up or
// faults.
func (p *Process) copyVM(t memTarget, local, remote [][2]uint64, write bool) int64 {
	li, loff := 0, uint64(0) // the local iovec and the offset in it
	var done int64
	var buf [pageSize]byte
	for _, rv := range remote {
		for roff := uint64(0); roff < rv[1]; {
			for li < len(local) && loff == local[li][1] {
				li, loff = li+1, 0
			}
			if li == len(local) {
				return done
			}
			// One remote page at a time, as the kernel pins them;
			// within it, as much as the local iovec and its page hold.
			ra := rv[0] + roff
			n := min(rv[1]-roff, pageSize-ra&(pageSize-1))
			la := local[li][0] + loff
			n = min(n, local[li][1]-loff, pageSize-la&(pageSize-1))
			b := buf[:n]
			if write {
				if p.Mem.Read(la, b) != nil {
					return vmResult(done)
				}
			}
			moved := t.access(ra, b, write, false)
			if moved < 0 {
				if done > 0 {
					return done
				}
				return moved
			}
			if !write && p.Mem.Write(la, b[:moved]) != nil {
				return vmResult(done)
			}
			done += moved
			if uint64(moved) < n {
				return vmResult(done)
			}
			roff += n
			loff += n
		}
	}
	return done
}

// hostVM serves the calls for a process that does not run gemu: its
// addresses are host addresses, and the host's call moves the bytes,
// through a buffer standing for the local iovecs.
func (p *Process) hostVM(pid int, local, remote [][2]uint64, write bool) int64 {
	total := min(iovTotal(local), maxRW)
	buf := make([]byte, total)
	if write {
		// As much of the local side as can be read, in order.
		n := p.moveLocal(local, buf, true)
		if n == 0 {
			return -abi.EFAULT
		}
		buf = buf[:n]
	}
	riov := make([][2]uint64, 0, len(remote))
	for _, v := range remote {
		if v[1] != 0 {
			riov = append(riov, v)
		}
	}
	liov := [][2]uint64{{uint64(uintptr(unsafe.Pointer(unsafe.SliceData(buf)))), uint64(len(buf))}}
	nr := uintptr(sysProcessVMReadv)
	if write {
		nr = sysProcessVMWritev
	}
	r := host(nr, uintptr(pid), uintptr(unsafe.Pointer(&liov[0])), 1, uintptr(unsafe.Pointer(&riov[0])), uintptr(len(riov)), 0)
	runtime.KeepAlive(buf)
	if r <= 0 || write {
		return r
	}
	// The bytes read go to the local iovecs, up to the first fault.
	return vmResult(int64(p.moveLocal(local, buf[:r], false)))
}

// moveLocal copies between buf and the local iovecs, in order, up to the
// first fault: the guest's memory into buf if toBuf, else buf into it. It
// returns the bytes moved.
func (p *Process) moveLocal(iov [][2]uint64, buf []byte, toBuf bool) int {
	done := 0
	for _, v := range iov {
		for off := uint64(0); off < v[1] && done < len(buf); {
			a := v[0] + off
			n := int(min(v[1]-off, pageSize-a&(pageSize-1), uint64(len(buf)-done)))
			piece := buf[done : done+n]
			var err error
			if toBuf {
				err = p.Mem.Read(a, piece)
			} else {
				err = p.Mem.Write(a, piece)
			}
			if err != nil {
				return done
			}
			done += n
			off += uint64(n)
		}
	}
	return done
}

// accessMem moves bytes between b and the guest's memory at addr, page by
// page, stopping at the first page that does not allow the access and
// returning the bytes moved. A page allows it if it is mapped with the
// permission the access needs or, for a forced access (a debugger's,
// through /proc/N/mem), if it is mapped at all; never if it is a file
// mapping's page past the end of its file, which has nothing behind it.
// Writes go through the address space's Write or, forced, Poke (which
// lands on read-only pages too): either invalidates translated code on
// the pages it changes, as a guest store would.
func (p *Process) accessMem(addr uint64, b []byte, write, force bool) int {
	need := mem.Read
	if write {
		need = mem.Write
	}
	done := 0
	for done < len(b) {
		a := addr + uint64(done)
		if a >= p.Mem.Limit || a < addr {
			break
		}
		perm, ok := p.Mem.PermAt(a)
		if !ok || !force && perm&need == 0 || p.isBusPage(a) {
			break
		}
		n := min(len(b)-done, int(pageSize-a&(pageSize-1)))
		piece := b[done : done+n]
		switch {
		case !write:
			if !p.Mem.Peek(a, piece) {
				return done
			}
		case force:
			if !p.Mem.Poke(a, piece) {
				return done
			}
		default:
			if p.Mem.Write(a, piece) != nil {
				return done
			}
		}
		done += n
	}
	return done
}

// vmResult is the result of a transfer that faulted after done bytes.
func vmResult(done int64) int64 {
	if done > 0 {
		return done
	}
	return -abi.EFAULT
}
