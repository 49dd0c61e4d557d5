package x86

// Hardware task switches through 32-bit TSSs (SDM vol. 3, chapter 7), as
// far as an exception or interrupt through a task gate and the IRET back
// need them: i386 Linux handles #DF on a task of its own. Far JMP and
// CALL to a TSS or task gate are not supported (#GP, sysseg.go), nor are
// 16-bit TSSs, virtual-8086 tasks, or the debug trap bit.

// Offsets in a 32-bit TSS.
const (
	tssBackLink = 0x00
	tssCR3      = 0x1c
	tssEIP      = 0x20
	tssEFLAGS   = 0x24
	tssEAX      = 0x28 // EAX, ECX, EDX, EBX, ESP, EBP, ESI, EDI
	tssES       = 0x48 // ES, CS, SS, DS, FS, GS, one dword each
	tssLDT      = 0x60
	tssMinLimit = 0x67
)

// taskSwitch switches to the task whose TSS descriptor sel selects: nest
// for an exception or interrupt (the new task links back to the old one,
// gets NT set and becomes busy), else the return of IRET with NT set (the
// old task stops being busy, the new one must be busy). ret is the EIP
// saved for the old task. Checks that fail before the old task's state is
// saved fault in the old task: #GP(sel) (#TS(sel) for IRET) for a
// selector that is not a TSS of the right kind, #NP(sel) if it is not
// present, #TS(sel) for a limit below 0x67. The new task's LDT and
// segments are checked after the switch, where a fault belongs to the
// new task (#TS, #NP, #SS with the selector).
func (c *CPU) taskSwitch(sel uint16, nest bool, ret uint64) {
	p := c.Priv
	refuse := TrapGP
	want := uint32(sysTypeTSS)
	if !nest {
		refuse, want = TrapTS, sysTypeTSSBusy
	}
	if sel&4 != 0 || sel&^3 == 0 {
		segFault(refuse, sel)
	}
	d, ok := c.fetchDesc(sel, false)
	if !ok || d.isSeg() || d.typ() != want {
		segFault(refuse, sel)
	}
	if !d.present() {
		segFault(TrapNotPresent, sel)
	}
	if d.limit() < tssMinLimit {
		segFault(TrapTS, sel)
	}
	if p.TR.Attr&0xf != sysTypeTSSBusy || p.TR.Limit < tssMinLimit {
		segFault(TrapTS, p.TR.Sel)
	}
	oldDesc, ok := c.fetchDesc(p.TR.Sel, false)
	if !ok {
		segFault(TrapTS, p.TR.Sel)
	}
	// The new task's state, read before anything is written.
	var st [(tssLDT + 4) / 4]uint32
	for i := range st {
		st[i] = uint32(c.supLoad((d.base()+uint64(4*i))&0xffffffff, 4))
	}
	// Save the old task.
	old := p.TR.Base
	put := func(off uint64, n int, v uint64) { c.supStore((old+off)&0xffffffff, n, v) }
	fl := c.Flags()
	if !nest {
		fl &^= FlagNT
	}
	put(tssEIP, 4, ret)
	put(tssEFLAGS, 4, fl)
	for r := RAX; r <= RDI; r++ {
		put(tssEAX+4*uint64(r), 4, c.R[r])
	}
	for s := ES; s <= GS; s++ {
		put(tssES+4*uint64(s), 2, uint64(c.Seg[s]))
	}
	// The busy bits and the back link.
	if nest {
		c.supStore(d.base()&0xffffffff, 2, uint64(p.TR.Sel))
		d.hi |= 2 << 8
		c.supStore((d.addr+5)&c.linMask(), 1, uint64(d.hi>>8&0xff))
	} else {
		oldDesc.hi &^= 2 << 8
		c.supStore((oldDesc.addr+5)&c.linMask(), 1, uint64(oldDesc.hi>>8&0xff))
	}
	// Load the new task: TR, CR0.TS, CR3, the registers, then the LDT
	// and the segments with their checks.
	p.TR = d.cache(sel)
	c.TRBase = p.TR.Base
	c.CR0 |= CR0TS
	if c.CR0&CR0PG != 0 {
		c.writeCR3(uint64(st[tssCR3/4]))
	}
	nfl := uint64(st[tssEFLAGS/4]) &^ FlagVM
	if nest {
		nfl |= FlagNT
	}
	c.SetFlags(nfl|2, ^uint64(0))
	for r := RAX; r <= RDI; r++ {
		c.R[r] = uint64(st[tssEAX/4+r])
	}
	c.RIP = uint64(st[tssEIP/4])
	var segs [6]uint16
	for s := range segs {
		segs[s] = uint16(st[tssES/4+s])
	}
	// Until they are checked, the selectors are there with null caches.
	for s := range segs {
		c.Seg[s], c.SegBase[s], p.Segs[s] = segs[s], 0, SegCache{Sel: segs[s]}
	}
	ldt := uint16(st[tssLDT/4])
	p.LDTR = SegCache{Sel: ldt}
	if ldt&^3 != 0 {
		ld, ok := c.fetchDesc(ldt, false)
		if ldt&4 != 0 || !ok || ld.isSeg() || ld.typ() != sysTypeLDT {
			segFault(TrapTS, ldt)
		}
		if !ld.present() {
			segFault(TrapTS, ldt)
		}
		p.LDTR = ld.cache(ldt)
	}
	cs := segs[CS]
	cd, ok := c.fetchDescOK(cs)
	if !ok || !cd.isCode() || cd.conforming() && cd.dpl() > int(cs&3) ||
		!cd.conforming() && cd.dpl() != int(cs&3) {
		segFault(TrapTS, cs)
	}
	if !cd.present() {
		segFault(TrapNotPresent, cs)
	}
	mode := c.descMode(cd)
	if mode != 32 {
		segFault(TrapTS, cs)
	}
	c.sysLoadCS(cd.cache(cs), int(cs&3), mode, c.RIP)
	c.putSeg(SS, c.tssStack(segs[SS], c.CPL))
	for _, s := range [...]int{ES, DS, FS, GS} {
		c.taskDataSeg(s, segs[s])
	}
}

// taskDataSeg loads ES, DS, FS or GS of a new task: #TS(sel) where a MOV
// would raise #GP, #NP(sel) if not present.
func (c *CPU) taskDataSeg(seg int, sel uint16) {
	if sel&^3 == 0 {
		c.putSeg(seg, SegCache{Sel: sel})
		return
	}
	d, ok := c.fetchDesc(sel, false)
	if !ok || !d.isSeg() || !d.readable() ||
		!d.conforming() && (int(sel&3) > d.dpl() || c.CPL > d.dpl()) {
		segFault(TrapTS, sel)
	}
	if !d.present() {
		segFault(TrapNotPresent, sel)
	}
	c.setAccessed(&d)
	c.putSeg(seg, d.cache(sel))
}
