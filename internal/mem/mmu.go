package mem

import (
	"encoding/binary"
	"fmt"
	"unsafe"
)

// System mode: a Space over guest-physical memory (NewSystem) whose views
// translate linear addresses through the guest's page tables, as the
// processor's MMU does.
//
// A system-mode View keeps the user-mode fast paths exactly: the Load and
// Store functions hit in rtlb/wtlb, whose entries map a linear page to the
// host address of a RAM page. What differs is behind them: a miss, an
// access crossing a page, and the bulk and atomic accessors test v.sys
// (nil in user mode) and come here. A miss walks the page tables
// (walk.go), checking the access and setting the accessed and dirty
// flags, and fills the entry only for RAM that no device claims: MMIO is
// never cached, so every access to it reaches the bus with its width.
//
// The caches: rtlbMain and wtlbMain serve supervisor accesses (CPL 0-2),
// sysState's rtlbUser and wtlbUser user accesses (CPL 3), switched by
// SetUser without a flush. A write entry is filled only by a write walk
// (which set the dirty flag) and never for a page marked as code, so a
// read never opens the way to a write. Global entries (G with CR4.PGE)
// survive FlushTLB(false) (a CR3 load) and SetPaging with only CR3
// changed; FlushTLB(true) and other changes of the paging registers drop
// everything. INVLPG (FlushPage) drops the 4 KiB entries of the page, and,
// since a large page is cached in 4 KiB pieces, every piece of a large
// page holding the address.

// tlbGlobal and the page-size shift (low bits) make up an entry's attr.
const tlbGlobal = 0x80

// sysState is a system-mode view's translation state.
type sysState struct {
	phys                *Phys
	cr0, cr3, cr4, efer uint64
	mode                pagingMode
	pdpte               [4]uint64 // PAE: the PDPTEs loaded with CR3
	user                bool      // CPL 3

	rtlbUser, wtlbUser [tlbSize]tlbEntry
	// sets are the four caches: supervisor read and write (the view's
	// rtlbMain, wtlbMain), user read and write; attr their entries'
	// global flag and page-size shift.
	sets [4]*[tlbSize]tlbEntry
	attr [4][tlbSize]uint8
	// large lists the large pages some entry may cache a piece of (their
	// first linear page number and size shift), so that FlushPage scans
	// the caches only for an address inside one; past maxLarge of them,
	// largeMany says to scan for every address. Cleared by a full flush.
	large     []largePage
	largeMany bool

	// itlb caches execute translations for Fetch and CodePage, by
	// privilege (0 supervisor, 1 user): linear page number + 1 and the
	// physical page's address (RAM only). Flushed with the others.
	itlb [2][itlbSize]itlbEntry
}

const itlbSize = 256

type itlbEntry struct{ tag, pa uint64 }

// codePA returns the physical address of linear address a for an
// instruction fetch at the current privilege, walking (and setting the
// accessed flags) on a miss of itlb, and whether it may be fetched from:
// no fault, RAM.
func (st *sysState) codePA(a uint64) (uint64, bool) {
	pn := a >> PageShift
	u := 0
	if st.user {
		u = 1
	}
	e := &st.itlb[u][pn%itlbSize]
	if e.tag == pn+1 {
		return e.pa | a&PageMask, true
	}
	w, f := st.walk(a, AccExec, st.user, walkCheck|walkCommit)
	if f != nil || st.phys.ramOnly(w.pa) == nil {
		return 0, false
	}
	if w.shift > PageShift {
		st.noteLarge(pn, w.shift)
	}
	*e = itlbEntry{tag: pn + 1, pa: w.pa &^ PageMask}
	return w.pa, true
}

// largePage is a large page cached in 4 KiB pieces.
type largePage struct {
	pn    uint64 // first linear page number
	shift uint8  // log2 of its size
}

// maxLarge bounds sysState.large.
const maxLarge = 32

// noteLarge records that the large page of size 1<<shift holding linear
// page pn gets a piece cached.
func (st *sysState) noteLarge(pn uint64, shift uint8) {
	if st.largeMany {
		return
	}
	lp := largePage{pn &^ (1<<(shift-PageShift) - 1), shift}
	for _, l := range st.large {
		if l == lp {
			return
		}
	}
	if len(st.large) == maxLarge {
		st.largeMany = true
		return
	}
	st.large = append(st.large, lp)
}

// inLarge reports whether linear page pn may have a cached piece of a
// large page holding it.
func (st *sysState) inLarge(pn uint64) bool {
	if st.largeMany {
		return true
	}
	for _, l := range st.large {
		if pn>>(l.shift-PageShift) == l.pn>>(l.shift-PageShift) {
			return true
		}
	}
	return false
}

// NewSystem returns the address space of a machine with physical memory
// p. Its views (NewView) start with paging off and supervisor privilege;
// the CPU drives them through SetPaging, SetUser, FlushTLB and FlushPage
// (x86.MMUControl). The Space's OnCodeWrite receives physical page
// addresses. The user-mode mappings (Map and the like) are not for it.
func NewSystem(p *Phys) *Space {
	s := New(1 << 32)
	s.phys = p
	p.space = s
	return s
}

// Phys returns the physical memory of a system-mode space, or nil.
func (s *Space) Phys() *Phys { return s.phys }

// newSysState makes the system-mode state of view v.
func newSysState(v *View, p *Phys) *sysState {
	st := &sysState{phys: p}
	st.sets = [4]*[tlbSize]tlbEntry{&v.rtlbMain, &v.wtlbMain, &st.rtlbUser, &st.wtlbUser}
	return st
}

// SetPaging sets the translation regime from the registers that define it
// (x86.MMUControl). In PAE mode it loads the four PDPTEs from CR3 as a CR3
// load does (a reserved bit in one makes later accesses through it fault
// with RSVD, where the processor would fail the CR3 load with #GP). It
// flushes every cached translation, but the global ones when only CR3
// changed.
func (v *View) SetPaging(cr0, cr3, cr4, efer uint64) {
	st := v.sys
	onlyCR3 := cr0 == st.cr0 && cr4 == st.cr4 && efer == st.efer
	st.cr0, st.cr3, st.cr4, st.efer = cr0, cr3, cr4, efer
	switch {
	case cr0&cr0PG == 0:
		st.mode = pagingOff
	case efer&eferLMA != 0:
		st.mode = paging4
	case cr4&cr4PAE != 0:
		st.mode = pagingPAE
		for i := range st.pdpte {
			st.pdpte[i] = st.phys.load64(cr3&0xffffffe0 + uint64(i)*8)
		}
	default:
		st.mode = paging32
	}
	v.FlushTLB(!onlyCR3)
}

// SetUser says whether the CPU runs at CPL 3 (x86.MMUControl): its
// accesses then check the U/S bits and use the user caches.
func (v *View) SetUser(user bool) {
	v.sys.user = user
	v.selectTLB()
}

// selectTLB points rtlb and wtlb at the caches for the current privilege,
// or at emptyTLB while tracing.
func (v *View) selectTLB() {
	switch {
	case v.trace != nil:
		v.rtlb, v.wtlb = &emptyTLB, &emptyTLB
	case v.sys != nil && v.sys.user:
		v.rtlb, v.wtlb = &v.sys.rtlbUser, &v.sys.wtlbUser
	default:
		v.rtlb, v.wtlb = &v.rtlbMain, &v.wtlbMain
	}
}

// FlushTLB drops the cached translations (x86.MMUControl): all of them if
// global, else all but the global ones.
func (v *View) FlushTLB(global bool) {
	st := v.sys
	for k, t := range st.sets {
		if global {
			*t = [tlbSize]tlbEntry{}
			st.attr[k] = [tlbSize]uint8{}
			continue
		}
		for i := range t {
			if st.attr[k][i]&tlbGlobal == 0 {
				t[i] = tlbEntry{}
			}
		}
	}
	st.itlb = [2][itlbSize]itlbEntry{}
	if global {
		st.large, st.largeMany = st.large[:0], false
	}
}

// FlushPage drops the cached translations of the page holding linear
// address va (INVLPG; x86.MMUControl), global or not, and of the whole
// large page if a large page holds it.
func (v *View) FlushPage(va uint64) {
	st := v.sys
	pn := va >> PageShift
	large := st.inLarge(pn)
	for k, t := range st.sets {
		if e := &t[pn%tlbSize]; e.tag == pn+1 {
			*e = tlbEntry{}
		}
		if !large {
			continue
		}
		for i := range t {
			if sh := st.attr[k][i] &^ tlbGlobal; sh > PageShift && t[i].tag != 0 &&
				(t[i].tag-1)>>(sh-PageShift) == pn>>(sh-PageShift) {
				t[i] = tlbEntry{}
			}
		}
	}
	for u := range st.itlb {
		if large {
			st.itlb[u] = [itlbSize]itlbEntry{}
		} else if e := &st.itlb[u][pn%itlbSize]; e.tag == pn+1 {
			*e = itlbEntry{}
		}
	}
}

// xlate translates linear address a for an access of kind AccRead or
// AccWrite with the given privilege, through the caches, and returns the
// RAM page holding it, or nil and the physical address if it is not RAM
// (a device's, or nothing's). A refused access panics with its *Fault. A
// write to a page marked as code reports it (OnCodeWrite) first. The
// caches are filled for RAM only; a write fills the read cache too.
func (v *View) xlate(a uint64, acc Access, user bool) (*[PageSize]byte, uint64) {
	st := v.sys
	pn := a >> PageShift
	k := 0
	if user {
		k = 2
	}
	if acc == AccWrite {
		k++
	}
	if e := &st.sets[k][pn%tlbSize]; e.tag == pn+1 {
		return e.data, 0
	}
	w, f := st.walk(a, acc, user, walkCheck|walkCommit)
	if f != nil {
		panic(f)
	}
	d := st.phys.ramPage(w.pa)
	if d == nil {
		return nil, w.pa
	}
	attr := w.shift
	if w.shift > PageShift {
		st.noteLarge(pn, w.shift)
	}
	if w.global {
		attr |= tlbGlobal
	}
	if acc == AccWrite {
		st.phys.codeWrite(w.pa >> PageShift)
		st.sets[k][pn%tlbSize] = tlbEntry{tag: pn + 1, data: d}
		st.attr[k][pn%tlbSize] = attr
		k--
	}
	st.sets[k][pn%tlbSize] = tlbEntry{tag: pn + 1, data: d}
	st.attr[k][pn%tlbSize] = attr
	return d, w.pa
}

// sysRpage and sysWpage are rmiss and wmiss of a system-mode view, for the
// callers that need a page: RAM. Every caller that may meet MMIO branches
// to the system-mode code before, so a page that is not RAM here reads
// as all ones and swallows stores (never reached in practice).
func (v *View) sysRpage(a uint64) *[PageSize]byte {
	if d, _ := v.xlate(a, AccRead, v.sys.user); d != nil {
		return d
	}
	return &onesPage
}

func (v *View) sysWpage(a uint64) *[PageSize]byte {
	if d, _ := v.xlate(a, AccWrite, v.sys.user); d != nil {
		return d
	}
	return new([PageSize]byte)
}

// onesPage is what a CPU reads where nothing is (sysRpage's fallback).
var onesPage = func() (p [PageSize]byte) {
	for i := range p {
		p[i] = 0xff
	}
	return
}()

// access loads (store false) or stores the n bytes (1 to 8) at linear
// address a with the given privilege, untraced, returning the value
// loaded. Every page is translated (and checked) before any byte moves.
// RAM moves as one host access where the bytes are in one page; MMIO gets
// one bus access of the full width, or byte accesses where the access
// crosses into another page.
//
//go:norace
func (v *View) access(a uint64, n int, store bool, x uint64, user bool) uint64 {
	acc := AccRead
	if store {
		acc = AccWrite
	}
	d0, pa0 := v.xlate(a, acc, user)
	off := a & PageMask
	if off+uint64(n) <= PageSize {
		switch {
		case d0 == nil && store:
			v.sys.phys.ioWrite(pa0, n, x)
		case d0 == nil:
			return v.sys.phys.ioRead(pa0, n)
		case store:
			putN(d0[off:], n, x)
		default:
			return getN(d0[off:], n)
		}
		return x
	}
	next := (a | PageMask) + 1
	d1, pa1 := v.xlate(next, acc, user)
	var y uint64
	for i := 0; i < n; i++ {
		ai := a + uint64(i)
		d, pa := d0, pa0+uint64(i)
		if ai >= next {
			d, pa = d1, pa1+(ai-next)
		}
		switch {
		case d == nil && store:
			v.sys.phys.ioWrite(pa, 1, x>>(8*i))
		case d == nil:
			y |= v.sys.phys.ioRead(pa, 1) << (8 * i)
		case store:
			d[ai&PageMask] = byte(x >> (8 * i))
		default:
			y |= uint64(d[ai&PageMask]) << (8 * i)
		}
	}
	return y
}

// getN and putN move a little-endian value of n bytes (1, 2, 4 or 8; 3,
// 5, 6 and 7 by bytes) in one host access where they can.
//
//go:norace
func getN(b []byte, n int) uint64 {
	switch n {
	case 1:
		return uint64(b[0])
	case 2:
		return uint64(binary.LittleEndian.Uint16(b))
	case 4:
		return uint64(binary.LittleEndian.Uint32(b))
	case 8:
		return binary.LittleEndian.Uint64(b)
	}
	return leBytes(b[:n])
}

//go:norace
func putN(b []byte, n int, x uint64) {
	switch n {
	case 1:
		b[0] = byte(x)
	case 2:
		binary.LittleEndian.PutUint16(b, uint16(x))
	case 4:
		binary.LittleEndian.PutUint32(b, uint32(x))
	case 8:
		binary.LittleEndian.PutUint64(b, x)
	default:
		putLE(b[:n], x)
	}
}

// sysLoad and sysStore are loadSlow and storeSlow in system mode.
func (v *View) sysLoad(a uint64, n int, user bool) uint64 {
	x := v.access(a, n, false, 0, user)
	if v.trace != nil {
		v.trace(a, n, false, x)
	}
	return x
}

func (v *View) sysStore(a uint64, n int, x uint64, user bool) {
	v.access(a, n, true, x, user)
	if v.trace != nil {
		v.trace(a, n, true, x)
	}
}

// sysLoadBytes is LoadBytes in system mode: RAM by pages, MMIO by bytes.
//
//go:norace
func (v *View) sysLoadBytes(a uint64, dst []byte) {
	a0, all := a, dst
	for len(dst) > 0 {
		d, pa := v.xlate(a, AccRead, v.sys.user)
		k := min(len(dst), int(PageSize-a&PageMask))
		if d != nil {
			copyGuest(dst[:k], d[a&PageMask:])
		} else {
			for i := range k {
				dst[i] = byte(v.sys.phys.ioRead(pa+uint64(i), 1))
			}
		}
		dst = dst[k:]
		a += uint64(k)
	}
	if v.trace != nil && len(all) > 0 {
		v.trace(a0, len(all), false, low8(all))
	}
}

// sysStoreBytes is StoreBytes in system mode: every page is translated
// for writing before anything is stored.
//
//go:norace
func (v *View) sysStoreBytes(a uint64, src []byte) {
	if len(src) == 0 {
		return
	}
	user := v.sys.user
	for pn := a >> PageShift; pn <= (a+uint64(len(src))-1)>>PageShift; pn++ {
		v.xlate(max(a, pn<<PageShift), AccWrite, user)
	}
	a0, all := a, src
	for len(src) > 0 {
		d, pa := v.xlate(a, AccWrite, user)
		k := min(len(src), int(PageSize-a&PageMask))
		if d != nil {
			copyGuest(d[a&PageMask:], src[:k])
		} else {
			for i := range k {
				v.sys.phys.ioWrite(pa+uint64(i), 1, uint64(src[i]))
			}
		}
		src = src[k:]
		a += uint64(k)
	}
	if v.trace != nil {
		v.trace(a0, len(all), true, low8(all))
	}
}

// sysLockedAt is LockedAt's miss in system mode: the operand's pages
// translated for writing; a RAM operand within a page is operated on in
// place, any other (MMIO, or crossing pages) in an exclusive section
// (sysRMW).
func (v *View) sysLockedAt(a uint64, n int) Locked {
	d, _ := v.xlate(a, AccWrite, v.sys.user)
	if off := a & PageMask; off <= PageSize-uint64(n) {
		if d != nil {
			return Locked{p: unsafe.Pointer(&d[off]), v: v, a: a, n: n}
		}
		return Locked{v: v, a: a, n: n}
	}
	v.xlate((a|PageMask)+1, AccWrite, v.sys.user)
	return Locked{v: v, a: a, n: n}
}

// sysRMW is exclusiveRMW in system mode: the operand (up to 16 bytes),
// translated for writing first (so that nothing faults inside the
// section), is read, changed by f and stored back while no other vCPU
// runs; an MMIO operand within a page gets one bus access of its width
// each way where it is at most 8 bytes.
func (v *View) sysRMW(a uint64, n int, f func(b []byte) bool) {
	user := v.sys.user
	v.xlate(a, AccWrite, user)
	v.xlate(a+uint64(n)-1, AccWrite, user)
	v.Space.exclusiveFrom(v, func() {
		var buf [16]byte
		b := buf[:n]
		for i := 0; i < n; i += 8 {
			putLE(b[i:min(i+8, n)], v.access(a+uint64(i), min(8, n-i), false, 0, user))
		}
		if f(b) {
			for i := 0; i < n; i += 8 {
				v.access(a+uint64(i), min(8, n-i), true, leBytes(b[i:min(i+8, n)]), user)
			}
		}
	})
}

// LoadSup8, LoadSup16, LoadSup32 and LoadSup64 load as a supervisor
// access whatever the CPL (the processor's implicit supervisor accesses:
// descriptor tables, the TSS, the IDT), checking U/S as CPL 0 would; in
// user mode, and at CPL 0-2, they are Load8 and so on.
func (v *View) LoadSup8(a uint64) uint8 { return uint8(v.loadSup(a, 1)) }

// LoadSup16 is LoadSup8 for 16 bits.
func (v *View) LoadSup16(a uint64) uint16 { return uint16(v.loadSup(a, 2)) }

// LoadSup32 is LoadSup8 for 32 bits.
func (v *View) LoadSup32(a uint64) uint32 { return uint32(v.loadSup(a, 4)) }

// LoadSup64 is LoadSup8 for 64 bits.
func (v *View) LoadSup64(a uint64) uint64 { return v.loadSup(a, 8) }

// StoreSup8, StoreSup16, StoreSup32 and StoreSup64 store as a supervisor
// access whatever the CPL (a descriptor's accessed or busy bit, a
// TSS), like LoadSup8.
func (v *View) StoreSup8(a uint64, x uint8) { v.storeSup(a, 1, uint64(x)) }

// StoreSup16 is StoreSup8 for 16 bits.
func (v *View) StoreSup16(a uint64, x uint16) { v.storeSup(a, 2, uint64(x)) }

// StoreSup32 is StoreSup8 for 32 bits.
func (v *View) StoreSup32(a uint64, x uint32) { v.storeSup(a, 4, uint64(x)) }

// StoreSup64 is StoreSup8 for 64 bits.
func (v *View) StoreSup64(a uint64, x uint64) { v.storeSup(a, 8, x) }

func (v *View) loadSup(a uint64, n int) uint64 {
	if v.sys == nil || !v.sys.user {
		return v.LoadN(a, n)
	}
	return v.sysLoad(a, n, false)
}

func (v *View) storeSup(a uint64, n int, x uint64) {
	if v.sys == nil || !v.sys.user {
		v.StoreN(a, n, x)
		return
	}
	v.sysStore(a, n, x, false)
}

// User reports whether the view makes user (CPL 3) accesses: SetUser's
// last word; false in user mode (where there are no privileges).
func (v *View) User() bool { return v.sys != nil && v.sys.user }

// Fetch copies up to len(dst) instruction bytes at linear address a into
// dst, stopping at the first byte that may not be executed, and returns
// the count. In system mode the bytes are fetched through the page tables
// with the current privilege (setting accessed flags), from RAM only (a
// fetch from device memory is not supported: it stops there).
//
//go:norace
func (v *View) Fetch(a uint64, dst []byte) int {
	if v.sys == nil {
		return v.Space.Fetch(a, dst)
	}
	n := 0
	for n < len(dst) {
		pa, ok := v.sys.codePA(a)
		if !ok {
			break
		}
		k := copyGuest(dst[n:], v.sys.phys.ramOnly(pa)[a&PageMask:])
		n += k
		a += uint64(k)
	}
	return n
}

// FetchFault returns the fault a fetch of the byte at linear address a
// raises now with the current privilege, or nil if it may be fetched (in
// user mode: a fault if the byte is not mapped executable). It changes
// nothing.
func (v *View) FetchFault(a uint64) *Fault {
	if v.sys == nil {
		if perm, ok := v.PermAt(a); !ok || perm&Exec == 0 {
			return &Fault{Addr: a, Access: AccExec, Unmapped: !ok}
		}
		return nil
	}
	_, f := v.sys.walk(a, AccExec, v.sys.user, walkCheck)
	return f
}

// CodePage returns the physical address of the page holding linear
// address a for execution with the current privilege, and whether it may
// be executed from (RAM, no fault); it sets the accessed flags a fetch
// would, nothing else. In user mode the "physical" address is the page's
// own.
func (v *View) CodePage(a uint64) (uint64, bool) {
	if v.sys == nil {
		perm, ok := v.PermAt(a)
		return a &^ PageMask, ok && perm&Exec != 0
	}
	pa, ok := v.sys.codePA(a)
	return pa &^ PageMask, ok
}

// sysMarkCode is MarkCode in system mode: it marks the RAM page that
// linear address a translates to now (no fault, no side effect), and
// drops every write translation of that page, whatever linear address
// (alias) and view made it, so that the next store to it takes the slow
// path and reports it.
func (v *View) sysMarkCode(a uint64) {
	w, f := v.sys.walk(a, AccRead, false, 0)
	if f != nil {
		return
	}
	p := v.sys.phys
	pn := w.pa >> PageShift
	if pn >= uint64(len(p.code)) || p.code[pn].Swap(1) != 0 {
		return
	}
	d := p.ramOnly(w.pa)
	s := v.Space
	s.cmu.Lock()
	multi := len(s.views) > 1
	s.cmu.Unlock()
	if !multi {
		v.flushWData(d)
		return
	}
	s.exclusiveFrom(v, func() {
		for _, o := range s.views {
			if o.sys != nil {
				o.flushWData(d)
			}
		}
	})
}

// flushWData drops the view's write translations to RAM page d.
func (v *View) flushWData(d *[PageSize]byte) {
	for _, t := range [2]*[tlbSize]tlbEntry{v.sys.sets[1], v.sys.sets[3]} {
		for i := range t {
			if t[i].data == d {
				t[i] = tlbEntry{}
			}
		}
	}
}

// ReadVirt copies guest memory at linear address a into dst for a plugin
// or a debugger: in system mode through the current page tables, without
// privilege checks, accessed or dirty flags nor cache fills, from RAM
// only (a page that is not RAM is an error: reading a device has effects);
// in user mode from the mapped pages whatever their permissions. The
// error is a *Fault at the first byte that cannot be read; the bytes
// before it are copied.
//
//go:norace
func (v *View) ReadVirt(a uint64, dst []byte) error {
	if v.sys == nil {
		if f := v.Space.read(a, dst, 0); f != nil {
			return f
		}
		return nil
	}
	for len(dst) > 0 {
		d, err := v.virtPage(a, AccRead)
		if err != nil {
			return err
		}
		k := copyGuest(dst, d[a&PageMask:])
		dst = dst[k:]
		a += uint64(k)
	}
	return nil
}

// WriteVirt copies src to guest memory at linear address a for a plugin or
// a debugger, like ReadVirt: ignoring write protection, setting no flags,
// writing nothing if any byte cannot be written; code pages are reported
// (OnCodeWrite) first.
//
//go:norace
func (v *View) WriteVirt(a uint64, src []byte) error {
	if v.sys == nil {
		if !v.Space.Poke(a, src) {
			return &Fault{Addr: a, Access: AccWrite, Unmapped: true}
		}
		return nil
	}
	if len(src) == 0 {
		return nil
	}
	for pn := a >> PageShift; pn <= (a+uint64(len(src))-1)>>PageShift; pn++ {
		if _, err := v.virtPage(max(a, pn<<PageShift), AccWrite); err != nil {
			return err
		}
	}
	for len(src) > 0 {
		w, _ := v.sys.walk(a, AccWrite, false, 0)
		v.sys.phys.codeWrite(w.pa >> PageShift)
		k := copyGuest(v.sys.phys.ramOnly(w.pa)[a&PageMask:], src)
		src = src[k:]
		a += uint64(k)
	}
	return nil
}

// virtPage is the RAM page linear address a translates to for ReadVirt
// and WriteVirt.
func (v *View) virtPage(a uint64, acc Access) (*[PageSize]byte, error) {
	w, f := v.sys.walk(a, acc, false, 0)
	if f != nil {
		return nil, f
	}
	d := v.sys.phys.ramOnly(w.pa)
	if d == nil {
		return nil, &Fault{Addr: a, Access: acc}
	}
	return d, nil
}

// Translate returns the physical address linear address a translates to
// now, for a debugger: no checks, no flags, no cache fill. In user mode
// it is a itself.
func (v *View) Translate(a uint64) (uint64, error) {
	if v.sys == nil {
		return a, nil
	}
	w, f := v.sys.walk(a, AccRead, false, 0)
	if f != nil {
		return 0, f
	}
	return w.pa, nil
}

// ReadPhys copies the RAM at physical address pa into dst (Phys.Read); in
// user mode there is no physical memory.
func (v *View) ReadPhys(pa uint64, dst []byte) error {
	if v.sys == nil {
		return fmt.Errorf("mem: no physical memory in user mode")
	}
	return v.sys.phys.Read(pa, dst)
}
