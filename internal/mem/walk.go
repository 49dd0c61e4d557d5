package mem

// The page-table walk of a system-mode View (Intel SDM vol. 3, chapter 4;
// AMD APM vol. 2, chapter 5): 2-level 32-bit paging with 4 MiB pages
// under CR4.PSE (without PSE-36: bits 21:13 of a 4 MiB entry are
// reserved), PAE paging with its four PDPTEs (loaded by SetPaging, as a
// CR3 load does) and 2 MiB pages, and 4-level paging with 2 MiB and 1 GiB
// pages; the execute-disable bit with EFER.NXE.

// Page-fault error code bits (Fault.Code).
const (
	PFPresent uint32 = 1 << 0 // the page was present: a protection or reserved-bit fault
	PFWrite   uint32 = 1 << 1 // the access was a write
	PFUser    uint32 = 1 << 2 // the access was a user-mode (CPL 3) access
	PFRsvd    uint32 = 1 << 3 // a paging-structure entry had a reserved bit set
	PFFetch   uint32 = 1 << 4 // an instruction fetch (reported with PAE or 4-level paging and EFER.NXE)
)

// Paging-structure entry bits.
const (
	pteP  = 1 << 0
	pteRW = 1 << 1
	pteUS = 1 << 2
	pteA  = 1 << 5
	pteD  = 1 << 6
	ptePS = 1 << 7
	pteG  = 1 << 8
	pteXD = 1 << 63
)

// Control register bits the walk depends on.
const (
	cr0WP   = 1 << 16
	cr0PG   = 1 << 31
	cr4PSE  = 1 << 4
	cr4PAE  = 1 << 5
	cr4PGE  = 1 << 7
	eferLMA = 1 << 10
	eferNXE = 1 << 11
)

// pagingMode is the translation regime.
type pagingMode uint8

const (
	pagingOff pagingMode = iota // linear = physical
	paging32                    // 2-level, 32-bit entries
	pagingPAE                   // PDPTEs, then 2 levels of 64-bit entries
	paging4                     // 4 levels of 64-bit entries
)

// walkHow says what a walk checks and changes.
type walkHow uint8

const (
	walkCheck  walkHow = 1 << iota // check U/S, R/W and XD for the access
	walkCommit                     // set accessed (and, for a write, dirty) flags
)

// walkOut is a successful translation.
type walkOut struct {
	pa     uint64 // the physical address of the linear address
	shift  uint8  // log2 of the page size: 12, 21, 22 or 30
	global bool   // the leaf entry is global (G with CR4.PGE)
}

// walk translates linear address va for an access of kind acc at user
// (CPL 3) or supervisor privilege. A refused access returns the page fault
// (or a non-canonical address's fault), having changed nothing; a
// successful one with walkCommit sets the accessed flag of every entry it
// used and, for a write, the dirty flag of the leaf.
func (st *sysState) walk(va uint64, acc Access, user bool, how walkHow) (walkOut, *Fault) {
	if st.mode == pagingOff {
		return walkOut{pa: va, shift: PageShift}, nil
	}
	p := st.phys
	nxe := st.efer&eferNXE != 0 && st.mode != paging32
	code := uint32(0)
	if acc == AccWrite {
		code |= PFWrite
	}
	if user {
		code |= PFUser
	}
	if acc == AccExec && nxe {
		code |= PFFetch
	}
	notPresent := func() (walkOut, *Fault) {
		return walkOut{}, &Fault{Addr: va, Access: acc, Unmapped: true, Code: code}
	}
	rsvdFault := func() (walkOut, *Fault) {
		return walkOut{}, &Fault{Addr: va, Access: acc, Code: code | PFPresent | PFRsvd}
	}

	// The entries used, for the accessed flags: their physical addresses
	// (the word holding bits 0-31).
	var used [4]uint64
	nused := 0
	rw, us, xd := true, true, false
	var out walkOut
	var leaf uint64

	if st.mode == paging32 {
		pdeA := st.cr3&0xfffff000 | (va>>22&0x3ff)<<2
		pde := uint64(p.load32(pdeA))
		if pde&pteP == 0 {
			return notPresent()
		}
		used[nused], nused = pdeA, nused+1
		rw, us = pde&pteRW != 0, pde&pteUS != 0
		if pde&ptePS != 0 && st.cr4&cr4PSE != 0 {
			if pde&(0x1ff<<13) != 0 {
				return rsvdFault()
			}
			out = walkOut{pa: pde&0xffc00000 | va&0x3fffff, shift: 22}
			leaf = pde
		} else {
			pteA := pde&0xfffff000 | (va>>12&0x3ff)<<2
			pte := uint64(p.load32(pteA))
			if pte&pteP == 0 {
				return notPresent()
			}
			used[nused], nused = pteA, nused+1
			rw, us = rw && pte&pteRW != 0, us && pte&pteUS != 0
			out = walkOut{pa: pte&0xfffff000 | va&0xfff, shift: PageShift}
			leaf = pte
		}
	} else {
		m := p.AddrBits
		addr := (uint64(1)<<m - 1) &^ PageMask
		var rsvd uint64 // reserved bits of every entry
		var table uint64
		top := uint(39)
		if st.mode == pagingPAE {
			rsvd = (1<<63 - 1) &^ (1<<m - 1)
			pdpte := st.pdpte[va>>30&3]
			if pdpte&pteP == 0 {
				return notPresent()
			}
			if pdpte&(0x1e6|^uint64(0)<<m) != 0 {
				return rsvdFault()
			}
			table = pdpte & addr
			top = 21
		} else {
			if sx := int64(va) >> 47; sx != 0 && sx != -1 {
				return walkOut{}, &Fault{Addr: va, Access: acc, NonCanonical: true}
			}
			rsvd = (1<<52 - 1) &^ (1<<m - 1)
			table = st.cr3 & addr
		}
		if !nxe {
			rsvd |= pteXD
		}
		for s := top; ; s -= 9 {
			ea := table | (va>>s&0x1ff)<<3
			e := p.load64(ea)
			if e&pteP == 0 {
				return notPresent()
			}
			r := rsvd
			large := false
			switch s {
			case 39:
				r |= ptePS
			case 30:
				if large = e&ptePS != 0; large {
					r |= 0x1ffff << 13
				}
			case 21:
				if large = e&ptePS != 0; large {
					r |= 0xff << 13
				}
			}
			if e&r != 0 {
				return rsvdFault()
			}
			used[nused], nused = ea, nused+1
			rw, us, xd = rw && e&pteRW != 0, us && e&pteUS != 0, xd || nxe && e&pteXD != 0
			if large || s == PageShift {
				out = walkOut{pa: e&addr&^(1<<s-1) | va&(1<<s-1), shift: uint8(s)}
				leaf = e
				break
			}
			table = e & addr
		}
	}

	if how&walkCheck != 0 {
		ok := true
		switch {
		case user && !us:
			ok = false
		case acc == AccWrite && !rw && (user || st.cr0&cr0WP != 0):
			ok = false
		case acc == AccExec && xd:
			ok = false
		}
		if !ok {
			return walkOut{}, &Fault{Addr: va, Access: acc, Code: code | PFPresent}
		}
	}
	if how&walkCommit != 0 {
		for i := 0; i < nused-1; i++ {
			if uint64(p.load32(used[i]))&pteA == 0 {
				p.setBits(used[i], pteA)
			}
		}
		need := uint32(pteA)
		if acc == AccWrite {
			need |= pteD
		}
		if uint32(leaf)&need != need {
			p.setBits(used[nused-1], need)
		}
	}
	out.global = leaf&pteG != 0 && st.cr4&cr4PGE != 0
	return out, nil
}
