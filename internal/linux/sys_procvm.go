package linux

import (
	"syscall"

	"gemu/internal/linux/abi"
	"gemu/internal/mem"
)

// process_vm_readv and process_vm_writev: copies between the caller's
// memory (the local iovecs) and a process's (the remote ones).
//
// The remote process can be the caller itself (its pid or any of its
// threads' ids): then both sides are this guest's address space and the
// copy is served here, with Linux's rules: the remote side is reached
// page by page with the permission the access needs (read, or write for
// process_vm_writev; a PROT_NONE or read-only page is EFAULT, whatever a
// debugger could do), the local side as the guest's own loads and stores,
// and the transfer stops at the first fault on either side, returning the
// bytes moved before it or EFAULT if none were.
//
// Another process's memory is not served. Its guest memory lives in the
// Go heap of another gemu, at no fixed host address, so the host's call
// cannot be pointed at it, and passing the guest's remote addresses to
// the host would reach that gemu's own memory: the call is EPERM for any
// process that exists (and logged with -d unimp), ESRCH for one that does
// not, as Linux says for a pid it cannot find.

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
	if pid <= 0 {
		return -abi.ESRCH
	}
	if !t.isThread(pid) {
		if r := host(syscall.SYS_KILL, uintptr(pid), 0); r == -abi.ESRCH {
			return r
		}
		name := "process_vm_readv"
		if write {
			name = "process_vm_writev"
		}
		t.unimpf("%s: the memory of another process (%d) is not supported\n", name, pid)
		return -abi.EPERM
	}
	return t.copyVM(local, remote, write)
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

// copyVM moves bytes between the local and remote iovecs of the calling
// process's own memory, remote iovec by remote iovec, until either side
// is used up or faults.
func (p *Process) copyVM(local, remote [][2]uint64, write bool) int64 {
	need := mem.Read
	if write {
		need = mem.Write
	}
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
			// One remote page at a time, as the kernel pins them.
			ra := rv[0] + roff
			if ra >= p.Mem.Limit {
				return vmResult(done)
			}
			perm, ok := p.Mem.PermAt(ra)
			if !ok || perm&need == 0 || p.isBusPage(ra) {
				return vmResult(done)
			}
			n := min(rv[1]-roff, pageSize-ra&(pageSize-1))
			// Within it, as much as the local iovec and its page hold.
			la := local[li][0] + loff
			n = min(n, local[li][1]-loff, pageSize-la&(pageSize-1))
			b := buf[:n]
			if write {
				if p.Mem.Read(la, b) != nil || p.Mem.Write(ra, b) != nil {
					return vmResult(done)
				}
			} else {
				if !p.Mem.Peek(ra, b) || p.Mem.Write(la, b) != nil {
					return vmResult(done)
				}
			}
			done += int64(n)
			roff += n
			loff += n
		}
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
