package linux

import (
	"slices"
	"sync"
	"sync/atomic"
)

// The guest's descriptor table.
//
// Guest descriptor numbers are not host numbers: each one is an entry of
// the process's fdTable that names the host descriptor standing for it.
// gemu's own descriptors (the -D log, the Go runtime's poller, fork's
// state files, plugin files) are never in the table, so whatever numbers
// the guest closes, dup2s over, reads or writes, it cannot reach them;
// and the guest's numbers are allocated lowest-free under the guest's own
// RLIMIT_NOFILE, exactly as Linux allocates them, whatever gemu holds.
//
// Entries made by dup, dup2, dup3 and F_DUPFD share their source's host
// descriptor (they share the open file description anyway, and the only
// per-descriptor flag, close-on-exec, lives in the entry), so a guest
// that dup2s one descriptor over every number up to its limit costs no
// host descriptor. A host descriptor is counted once per entry and once
// per system call using it (hold/put): it is closed when the last goes,
// so a thread closing a descriptor another thread is blocked on does not
// let the host number be reused for another file under that call, as
// Linux's file references do.
//
// Host descriptors standing for guest ones are close-on-exec at the host
// level (the guest's flag is in the entry); execve clears the flag on the
// ones it passes to the new gemu (sys_exec.go). Host descriptors 0, 1 and
// 2 are never released: when the guest lets go of one, /dev/null takes
// its place, so that a file the guest opens later never lands on gemu's
// own standard error.

// emuFile is a file whose guest-visible behaviour gemu emulates on top of
// (or instead of) its host descriptor, such as a listing of /proc/self/fd.
type emuFile interface {
	// kind names the emulated file for fork and exec (fdKind*).
	kind() int
}

// Emulated file kinds, as passed to forked and exec'd gemus.
const (
	fdKindHost   = 0 // a plain host descriptor
	fdKindFdDir  = 1 // /proc/self/fd listing the guest's numbers
	fdKindFdInfo = 2 // /proc/self/fdinfo listing the guest's numbers
)

// fdEntry is one guest descriptor.
type fdEntry struct {
	host    int // the host descriptor; fdFree or fdReserved if unused
	cloexec bool
	file    emuFile // the emulated file, nil for a plain host descriptor
}

const (
	fdFree     = -1
	fdReserved = -2 // taken by a call that is creating the descriptor
)

// fdSlot is an entry as handed to a forked or exec'd gemu.
type fdSlot struct {
	Guest, Host int
	Cloexec     bool
	Kind        int
}

// fdTable maps guest descriptor numbers to entries. It is safe for
// concurrent use.
type fdTable struct {
	mu   sync.Mutex
	ents []fdEntry   // by guest number
	refs map[int]int // host descriptor -> entries and calls holding it
	// size is the size Linux's table would have: 64 descriptors at
	// first, grown (never shrunk) as expand_fdtable does. select ignores
	// descriptors beyond it.
	size int
	// sigfds says the table has held a signalfd (sys_signalfd.go): only
	// then do pending signals change host descriptors.
	sigfds atomic.Bool
	// epollRegs says an epoll instance has registered a descriptor
	// (sys_epoll.go): only then does closing one look at registrations.
	epollRegs atomic.Bool
}

func newFDTable() *fdTable { return &fdTable{refs: map[int]int{}, size: 64} }

// linuxTableSize is the size of the table Linux allocates (alloc_fdtable,
// 64-bit) to hold descriptor fd.
func linuxTableSize(fd int) int {
	n := fd/128 + 1
	p := 1
	for p < n {
		p <<= 1
	}
	return p * 128
}

// capacity returns the size Linux's table would have.
func (t *fdTable) capacity() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.size
}

// lookup returns the entry of guest descriptor fd.
func (t *fdTable) lookup(fd int64) (fdEntry, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.entryLocked(fd)
}

func (t *fdTable) entryLocked(fd int64) (fdEntry, bool) {
	if fd < 0 || fd >= int64(len(t.ents)) || t.ents[fd].host < 0 {
		return fdEntry{}, false
	}
	return t.ents[fd], true
}

// hold returns the entry of fd with its host descriptor held until put.
func (t *fdTable) hold(fd int64) (fdEntry, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e, ok := t.entryLocked(fd)
	if ok {
		t.refs[e.host]++
	}
	return e, ok
}

// put drops one hold or entry of host descriptor h and reports whether it
// was the last, so that the caller closes it.
func (t *fdTable) put(h int) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.putLocked(h)
}

func (t *fdTable) putLocked(h int) bool {
	n, ok := t.refs[h]
	if !ok {
		return false
	}
	if n <= 1 {
		delete(t.refs, h)
		return true
	}
	t.refs[h] = n - 1
	return false
}

// reserve takes the lowest free number at or above lo and below limit
// for a descriptor being created: EMFILE if there is none. fill or cancel
// ends the reservation.
func (t *fdTable) reserve(lo int, limit uint64) (int, int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	fd := max(lo, 0)
	for ; fd < len(t.ents); fd++ {
		if t.ents[fd].host == fdFree {
			break
		}
	}
	if uint64(fd) >= limit {
		return -1, -eMFILE
	}
	t.grow(fd)
	t.ents[fd] = fdEntry{host: fdReserved}
	return fd, 0
}

// grow makes room for descriptor fd.
func (t *fdTable) grow(fd int) {
	for len(t.ents) <= fd {
		t.ents = append(t.ents, fdEntry{host: fdFree})
	}
	if fd >= t.size {
		t.size = linuxTableSize(fd)
	}
}

// fill completes a reservation: guest descriptor fd stands for host
// descriptor h.
func (t *fdTable) fill(fd, h int, cloexec bool, file emuFile) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.ents[fd] = fdEntry{host: h, cloexec: cloexec, file: file}
	t.refs[h]++
}

// cancel gives back a reservation.
func (t *fdTable) cancel(fd int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if fd >= 0 && fd < len(t.ents) && t.ents[fd].host == fdReserved {
		t.ents[fd] = fdEntry{host: fdFree}
	}
}

// dupTo makes guest descriptor to a copy of old (dup2 and dup3): it
// returns the host descriptor the replaced entry held (-1 if none), which
// the caller puts; EBADF if old is not open, EBUSY if to is being
// created by another thread (as Linux's dup2 says).
func (t *fdTable) dupTo(old, to int64, cloexec bool) (int, int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e, ok := t.entryLocked(old)
	if !ok {
		return -1, -eBADF
	}
	t.grow(int(to))
	prev := t.ents[to]
	if prev.host == fdReserved {
		return -1, -eBUSY
	}
	t.ents[to] = fdEntry{host: e.host, cloexec: cloexec, file: e.file}
	t.refs[e.host]++
	return prev.host, 0
}

// dupFrom makes the lowest free descriptor at or above lo (and below
// limit) a copy of old (dup, F_DUPFD).
func (t *fdTable) dupFrom(old int64, lo int, limit uint64, cloexec bool) int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	e, ok := t.entryLocked(old)
	if !ok {
		return -eBADF
	}
	fd := lo
	for ; fd < len(t.ents); fd++ {
		if t.ents[fd].host == fdFree {
			break
		}
	}
	if uint64(fd) >= limit {
		return -eMFILE
	}
	t.grow(fd)
	t.ents[fd] = fdEntry{host: e.host, cloexec: cloexec, file: e.file}
	t.refs[e.host]++
	return int64(fd)
}

// remove frees guest descriptor fd and returns the host descriptor its
// entry held, to put; false if fd was not open.
func (t *fdTable) remove(fd int64) (int, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e, ok := t.entryLocked(fd)
	if !ok {
		return -1, false
	}
	t.ents[fd] = fdEntry{host: fdFree}
	return e.host, true
}

// setCloexec sets or clears the close-on-exec flag of fd.
func (t *fdTable) setCloexec(fd int64, on bool) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.entryLocked(fd); !ok {
		return false
	}
	t.ents[fd].cloexec = on
	return true
}

// closeRange frees (or, with cloexec, marks close-on-exec) the open
// descriptors in [lo, hi] and returns the host descriptors to put.
func (t *fdTable) closeRange(lo, hi uint64, cloexec bool) []int {
	t.mu.Lock()
	defer t.mu.Unlock()
	var hosts []int
	for fd := lo; fd < uint64(len(t.ents)) && fd <= hi; fd++ {
		e := &t.ents[fd]
		if e.host < 0 {
			continue
		}
		if cloexec {
			e.cloexec = true
			continue
		}
		hosts = append(hosts, e.host)
		*e = fdEntry{host: fdFree}
	}
	return hosts
}

// list returns the open guest descriptors in increasing order.
func (t *fdTable) list() []int {
	t.mu.Lock()
	defer t.mu.Unlock()
	var fds []int
	for fd, e := range t.ents {
		if e.host >= 0 {
			fds = append(fds, fd)
		}
	}
	return fds
}

// snapshot returns the open entries in increasing guest order.
func (t *fdTable) snapshot() []fdSlot {
	t.mu.Lock()
	defer t.mu.Unlock()
	var s []fdSlot
	for fd, e := range t.ents {
		if e.host < 0 {
			continue
		}
		k := fdKindHost
		if e.file != nil {
			k = e.file.kind()
		}
		s = append(s, fdSlot{Guest: fd, Host: e.host, Cloexec: e.cloexec, Kind: k})
	}
	return s
}

// hosts returns the distinct host descriptors of the open entries, sorted.
func (t *fdTable) hosts() []int {
	t.mu.Lock()
	defer t.mu.Unlock()
	var hs []int
	for _, e := range t.ents {
		if e.host >= 0 {
			hs = append(hs, e.host)
		}
	}
	slices.Sort(hs)
	return slices.Compact(hs)
}

// fdTableFrom builds a table from slots (a forked or exec'd gemu's).
func fdTableFrom(slots []fdSlot) *fdTable {
	t := newFDTable()
	for _, s := range slots {
		if s.Guest < 0 || s.Host < 0 {
			continue
		}
		t.grow(s.Guest)
		if t.ents[s.Guest].host >= 0 {
			continue
		}
		t.ents[s.Guest] = fdEntry{host: s.Host, cloexec: s.Cloexec, file: emuFileOfKind(s.Kind)}
		t.refs[s.Host]++
	}
	t.adoptSignalfds()
	return t
}

// Errnos the table returns.
const (
	eBADF  = 9
	eBUSY  = 16
	eMFILE = 24
)
