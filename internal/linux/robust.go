package linux

import "gemu/internal/linux/abi"

// Robust futex lists (set_robust_list, get_robust_list): a thread
// registers the head of a list of the robust mutexes it holds; when it
// ends, each of them whose futex word still names it is marked
// FUTEX_OWNER_DIED and one waiter woken, so that the next locker gets
// EOWNERDEAD instead of waiting for ever, as the kernel's exit does.
//
// The list lives in guest memory: struct robust_list_head is { next,
// futex_offset, list_op_pending }, three longs of the guest's width; an
// entry is a pointer to the next (its low bit marks a PI futex) and its
// futex word is at entry + futex_offset.

// Futex word bits.
const (
	futexWaiters   = 0x80000000
	futexOwnerDied = 0x40000000
	futexTIDMask   = 0x3fffffff
	// robustListLimit bounds the entries walked, against a cyclic list.
	robustListLimit = 2048
)

func init() {
	reg(sysSetRobustList, "set_robust_list")
	reg(sysGetRobustList, "get_robust_list")
}

// sysSetRobustList is set_robust_list(head, len): len must be the size of
// the guest's struct robust_list_head.
func sysSetRobustList(t *Thread, a *[6]uint64) int64 {
	if t.ulong(a[1]) != 3*uint64(t.w) {
		return -abi.EINVAL
	}
	t.robustHead = t.ulong(a[0])
	return 0
}

// sysGetRobustList is get_robust_list(pid, head_ptr, len_ptr) for the
// calling thread (pid 0) or another thread of the process; the list of a
// thread of another process is not the guest's to read here (ESRCH, as
// for a pid the kernel cannot find).
func sysGetRobustList(t *Thread, a *[6]uint64) int64 {
	target := t
	if pid := sint(a[0]); pid != 0 && pid != int64(t.gettid()) {
		target = nil
		if t.mt != nil {
			for _, o := range t.mt.list() {
				if int64(o.gettid()) == pid {
					target = o
				}
			}
		}
		if target == nil {
			return -abi.ESRCH
		}
	}
	if e := t.writeMem(a[1], t.w.Encode(target.robustHead)); e != 0 {
		return e
	}
	return t.writeMem(a[2], t.w.Encode(3*uint64(t.w)))
}

// exitRobustList releases the robust futexes the ending thread t still
// holds (the kernel's exit_robust_list): entries are read before their
// futex is handled, the pending one (list_op_pending, a lock or unlock
// in progress) last, and a fault or a misaligned word ends the walk.
func (t *Thread) exitRobustList() {
	head := t.robustHead
	if head == 0 {
		return
	}
	w := uint64(t.w)
	b, e := t.readMem(head, int(3*w))
	if e != 0 {
		return
	}
	entry := t.w.Get(b, 0)
	offset := uint64(t.w.GetSigned(b, 1))
	pending := t.w.Get(b, 2)
	pendingPI := pending&1 != 0
	pending &^= 1
	for n := 0; entry&^1 != head && n < robustListLimit; n++ {
		pi := entry&1 != 0
		entry &^= 1
		nb, e := t.readMem(entry, int(w))
		if e != 0 {
			return
		}
		next := t.w.Get(nb, 0)
		if entry != pending && !t.futexDeath(t.ulong(entry+offset), pi, false) {
			return
		}
		entry = next
	}
	if pending != 0 {
		t.futexDeath(t.ulong(pending+offset), pendingPI, true)
	}
}

// futexDeath marks the futex word at addr as its owner's death if it
// names t (handle_futex_death), waking one waiter of a non-PI futex. A
// pending operation's word that is still 0 (the thread died between
// taking the list slot and the lock) gets a wake-up only. It reports
// false when the word cannot be reached.
func (t *Thread) futexDeath(addr uint64, pi, pendingOp bool) bool {
	if addr&3 != 0 || !t.writable(addr, 4) {
		return false
	}
	b, e := t.readMem(addr, 4)
	if e != 0 {
		return false
	}
	if pendingOp && !pi && le32(b) == 0 {
		t.wakeFutex(addr)
		return true
	}
	tid := uint32(t.gettid())
	var was uint32
	t.atomicUpdate32(addr, func(old uint32) uint32 {
		was = old
		if old&futexTIDMask != tid {
			return old
		}
		return old&futexWaiters | futexOwnerDied
	})
	if was&futexTIDMask == tid && !pi && was&futexWaiters != 0 {
		t.wakeFutex(addr)
	}
	return true
}

// wakeFutex wakes one waiter of the futex at addr, if the process has
// threads that could wait.
func (t *Thread) wakeFutex(addr uint64) {
	if g := t.mt; g != nil {
		g.wake(addr, 1, ^uint32(0))
	}
}
