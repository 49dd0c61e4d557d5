/*
 * Paging checks common to every mode (paging.h): mappings of 4 KiB and
 * large pages (PAT bits too), accessed and dirty bits, page faults with
 * their error codes and CR2 (not present, read-only with CR0.WP at CPL 0
 * and at CPL 3, user access to a supervisor page, directory entries'
 * R/W, U/S and XD, user fetch, reserved bit, NX, SMEP, SMAP, accesses
 * straddling a page boundary, precise state and REP MOVS progress),
 * INVLPG (large pages too), CR3 reloads and global pages dropping a stale
 * translation, and translated code following remaps, alias writes and
 * address-space switches.
 */
#include "paging.h"

u8 frames[8][4096] __attribute__((aligned(4096)));

extern char user_read[], user_write[];
volatile ulong user_addr;
static volatile ulong pg_addr;
static volatile u32 pg_val;

static void do_read(void) { pg_val = *(volatile u32 *)pg_addr; }
static void do_write(void) { *(volatile u32 *)pg_addr = 0x77; }
static void do_call(void) { ((void (*)(void))pg_addr)(); }

/* precise_load: EAX = 0xaaaa, ECX = 0x1234, then a load from pg_addr at
 * pf_site. */
extern char pf_site[];
__attribute__((noinline)) static void precise_load(void)
{
	ulong p = pg_addr;
	__asm__ volatile("mov $0xaaaa, %%eax\n\tmov $0x1234, %%ecx\n\t"
			 ".globl pf_site\npf_site:\n\tmov (%0), %%eax"
			 :
			 : "r"(p)
			 : "eax", "ecx", "memory");
}

/* rep_movs_0x20: REP MOVSB of 0x20 bytes from movs_src to pg_addr. */
extern char movs_site[];
static u8 movs_src[0x20] = "0123456789abcdefghijklmnopqrstu";
__attribute__((noinline)) static void rep_movs_0x20(void)
{
	void *d = (void *)pg_addr;
	const void *s = movs_src;
	ulong n = 0x20;
	__asm__ volatile(".globl movs_site\nmovs_site:\n\trep movsb"
			 : "+D"(d), "+S"(s), "+c"(n)
			 :
			 : "memory");
}

static char namebuf[64];
static const char *nm(struct pgmode *m, const char *check)
{
	char *p = namebuf;
	for (const char *s = m->name; *s;)
		*p++ = *s++;
	*p++ = '-';
	while (*check)
		*p++ = *check++;
	*p = 0;
	return namebuf;
}

static ulong phys(int i) { return (ulong)frames[i]; }

int maxphyaddr(void)
{
	u32 a, b, c, d;
	cpuid(0x80000000u, 0, &a, &b, &c, &d);
	if (a < 0x80000008u)
		return 36;
	cpuid(0x80000008u, 0, &a, &b, &c, &d);
	return a & 0xff;
}

/* expect_pf runs fn on addr (at CPL 0, or CPL 3 when user) and checks it
 * raised #PF with error code err and CR2 = addr. */
static void expect_pf(const char *name, void (*fn)(void), char *ufn, ulong addr, ulong err)
{
	struct fault f;
	int v;
	pg_addr = user_addr = addr;
	if (ufn)
		v = user_call((void (*)(void))ufn, user_stack_top, &f);
	else
		v = catch_call(fn, &f) ? (int)f.vec : -1;
	if (v != 14)
		fail(name, "vector %d (error %lx) want #PF", v, v >= 0 ? f.err : 0);
	else if ((err & 8) && f.err == (err & ~1ul) && f.cr2 == addr)
		skip(name, "error code %lx lacks P (qemu's TCG; the SDM: RSVD comes only with P=1)",
		     f.err);
	else if (f.err != err || f.cr2 != addr)
		fail(name, "error %lx cr2 %lx want %lx %lx", f.err, f.cr2, err, addr);
	else
		ok(name);
}

void paging_checks(struct pgmode *m)
{
	volatile u32 *p;
	ulong va;

	/* A 4 KiB page reaches its frame. */
	va = m->va;
	m->set(0, phys(0) | PTE_P | PTE_RW | PTE_US);
	invlpg(va);
	p = (volatile u32 *)(va + 0x124);
	*p = 0xabcd0001;
	if (*(volatile u32 *)(phys(0) + 0x124) != 0xabcd0001)
		fail(nm(m, "4k"), "write through %lx missed frame %lx", va, phys(0));
	else
		ok(nm(m, "4k"));

	/* The large page reaches BIG_PHYS; hardware sets its A and D bits. */
	m->set_big(BIG_PHYS | PTE_P | PTE_RW | PTE_US | PTE_PS);
	invlpg(m->big_va + 0x5000);
	p = (volatile u32 *)(m->big_va + 0x5008);
	*p = 0xb16b0002;
	u64 e = m->get_big();
	if (*(volatile u32 *)(BIG_PHYS + 0x5008) != 0xb16b0002)
		fail(nm(m, m->big_name), "write through %lx missed %lx", m->big_va, BIG_PHYS);
	else if (!(e & PTE_A) || !(e & PTE_D))
		fail(nm(m, m->big_name), "entry %llx after a write lacks A or D", e);
	else
		ok(nm(m, m->big_name));

	/* INVLPG of any address in a large page drops the whole page: a TLB
	 * that keeps 4 KiB pieces of it must drop them all. The second
	 * mapping is the next large page up (BIG_PHYS + 2 MiB or 4 MiB). */
	{
		ulong big = m->big_name[0] == '4' ? 0x400000ul : 0x200000ul;
		volatile u32 *p1 = (volatile u32 *)(BIG_PHYS + 0x7000);
		volatile u32 *p2 = (volatile u32 *)(BIG_PHYS + big + 0x7000);
		*p1 = 0x0b160001;
		*p2 = 0x0b160002;
		m->set_big(BIG_PHYS | PTE_P | PTE_RW | PTE_US | PTE_PS);
		invlpg(m->big_va);
		u32 a1 = *(volatile u32 *)(m->big_va + 0x7000);
		m->set_big((BIG_PHYS + big) | PTE_P | PTE_RW | PTE_US | PTE_PS);
		invlpg(m->big_va + 0x1000);
		u32 a2 = *(volatile u32 *)(m->big_va + 0x7000);
		m->set_big(BIG_PHYS | PTE_P | PTE_RW | PTE_US | PTE_PS);
		invlpg(m->big_va);
		if (a1 != 0x0b160001 || a2 != 0x0b160002)
			fail(nm(m, "invlpg-large"), "read %x, then %x after invlpg of another address "
							"in the page (want b160001 b160002)",
			     a1, a2);
		else
			ok(nm(m, "invlpg-large"));
	}

	/* Accessed on a read, dirty on a write, nothing before; the walk sets
	 * the directory entry's A bit too. */
	va = m->va + 0x1000;
	m->set(1, phys(1) | PTE_P | PTE_RW | PTE_US);
	m->set_dir(PTE_P | PTE_RW | PTE_US);
	wrcr3(rdcr3());
	u64 e0 = m->get(1);
	pg_val = *(volatile u32 *)va;
	u64 e1 = m->get(1);
	*(volatile u32 *)va = 5;
	u64 e2 = m->get(1);
	if (!(m->get_dir() & PTE_A))
		fail(nm(m, "accessed-dirty"), "the directory entry %llx has no A bit", m->get_dir());
	else if ((e0 & (PTE_A | PTE_D)) || (e1 & (PTE_A | PTE_D)) != PTE_A ||
	    (e2 & (PTE_A | PTE_D)) != (PTE_A | PTE_D))
		fail(nm(m, "accessed-dirty"), "entry %llx, after read %llx, after write %llx", e0, e1, e2);
	else
		ok(nm(m, "accessed-dirty"));

	/* Not present: error code P=0, W/R from the access. */
	va = m->va + 0x2000;
	m->set(2, 0);
	invlpg(va);
	expect_pf(nm(m, "pf-notpresent-read"), do_read, NULL, va + 0x10, 0);
	expect_pf(nm(m, "pf-notpresent-write"), do_write, NULL, va + 0x14, 2);
	expect_pf(nm(m, "pf-notpresent-user"), NULL, user_read, va + 0x18, 4);

	/* Precise state: a faulting load leaves its destination alone, the
	 * instructions before it are done, the saved IP is the load's. */
	struct fault f;
	pg_addr = va + 0x1c;
	if (!catch_call(precise_load, &f) || f.vec != 14)
		fail(nm(m, "pf-precise"), "vector %lu, want #PF", f.vec);
	else if (f.ip != (ulong)pf_site || f.ax != 0xaaaa || f.cx != 0x1234)
		fail(nm(m, "pf-precise"), "ip %lx (want %lx) eax %lx (want aaaa) ecx %lx (want 1234)",
		     f.ip, (ulong)pf_site, f.ax, f.cx);
	else
		ok(nm(m, "pf-precise"));

	/* REP MOVSB into a not-present page stops at the page boundary with
	 * the counts of the bytes done (copy_from_user's fixups rely on it). */
	ulong dst = m->va + 0x2000 - 0x10;
	pg_addr = dst;
	if (!catch_call(rep_movs_0x20, &f) || f.vec != 14)
		fail(nm(m, "pf-rep-movs"), "vector %lu, want #PF", f.vec);
	else if (f.cr2 != m->va + 0x2000 || f.err != 2 || f.cx != 0x10 || f.di != m->va + 0x2000 ||
		 f.si != (ulong)movs_src + 0x10 || f.ip != (ulong)movs_site)
		fail(nm(m, "pf-rep-movs"), "cr2 %lx error %lx ecx %lx edi %lx esi %lx ip %lx", f.cr2,
		     f.err, f.cx, f.di, f.si, f.ip);
	else if (*(volatile u8 *)(dst + 0xf) != movs_src[0xf])
		fail(nm(m, "pf-rep-movs"), "the bytes before the boundary were not copied");
	else
		ok(nm(m, "pf-rep-movs"));

	/* Accesses that straddle a page boundary into a not-present page: a
	 * store faults with CR2 at the boundary and leaves the first page's
	 * bytes alone; an instruction whose last bytes lie on the second
	 * page faults with CR2 at the boundary and IP at its first byte, and
	 * runs once that page is there. Pages 4 (present) and 5. */
	{
		ulong bound = m->va + 0x5000;
		m->set(4, phys(4) | PTE_P | PTE_RW);
		m->set(5, 0);
		invlpg(bound - 0x1000);
		invlpg(bound);
		frames[4][0xffe] = 0x11;
		frames[4][0xfff] = 0x22;
		pg_addr = bound - 2;
		int v = catch_call(do_write, &f) ? (int)f.vec : -1;
		if (v != 14 || f.err != 2 || f.cr2 != bound)
			fail(nm(m, "pf-store-straddle"), "vector %d error %lx cr2 %lx, want #PF(2) at %lx",
			     v, v >= 0 ? f.err : 0, v >= 0 ? f.cr2 : 0, bound);
		else if (frames[4][0xffe] != 0x11 || frames[4][0xfff] != 0x22)
			fail(nm(m, "pf-store-straddle"), "the first page's bytes became %x %x",
			     frames[4][0xffe], frames[4][0xfff]);
		else
			ok(nm(m, "pf-store-straddle"));

		/* mov $0x12345678, %eax; ret: 3 bytes before the boundary. */
		static const u8 movret[] = {0xb8, 0x78, 0x56, 0x34, 0x12, 0xc3};
		memcpy(frames[4] + 0xffd, movret, 3);
		memcpy(frames[5], movret + 3, 3);
		pg_addr = bound - 3;
		v = catch_call(do_call, &f) ? (int)f.vec : -1;
		ulong want = m->nx > 0 ? 0x10 : 0;
		if (v != 14 || f.err != want || f.cr2 != bound || f.ip != bound - 3)
			fail(nm(m, "pf-fetch-straddle"), "vector %d error %lx cr2 %lx ip %lx, want #PF(%lx) "
							 "cr2 %lx ip %lx",
			     v, v >= 0 ? f.err : 0, v >= 0 ? f.cr2 : 0, v >= 0 ? f.ip : 0, want, bound,
			     bound - 3);
		else {
			m->set(5, phys(5) | PTE_P | PTE_RW);
			invlpg(bound);
			u32 r = ((u32(*)(void))(bound - 3))();
			if (r != 0x12345678)
				fail(nm(m, "pf-fetch-straddle"), "with both pages the code returned %x", r);
			else
				ok(nm(m, "pf-fetch-straddle"));
		}
		m->set(4, 0);
		m->set(5, 0);
		invlpg(bound - 0x1000);
		invlpg(bound);
	}

	/* Bit 7 of a 4 KiB entry is PAT (not PS) and bit 12 of a large one
	 * is PAT (not an address bit): both map as without them. */
	{
		va = m->va + 0x4000;
		*(volatile u32 *)(phys(4) + 0x48) = 0x9a7a9a7a;
		m->set(4, phys(4) | PTE_P | PTE_RW | 0x80 | 0x18); /* PAT, PCD, PWT */
		invlpg(va);
		u32 x = *(volatile u32 *)(va + 0x48);
		m->set(4, 0);
		invlpg(va);
		*(volatile u32 *)(BIG_PHYS + 0x48) = 0x9a7a0b16;
		m->set_big(BIG_PHYS | 0x1000 | PTE_P | PTE_RW | PTE_US | PTE_PS);
		invlpg(m->big_va);
		u32 y = *(volatile u32 *)(m->big_va + 0x48);
		m->set_big(BIG_PHYS | PTE_P | PTE_RW | PTE_US | PTE_PS);
		invlpg(m->big_va);
		if (x != 0x9a7a9a7a || y != 0x9a7a0b16)
			fail(nm(m, "pat-bits"), "read %x through a 4 KiB PAT entry, %x through a large "
						"one (want 9a7a9a7a 9a7a0b16)",
			     x, y);
		else
			ok(nm(m, "pat-bits"));
	}

	/* XD in a directory entry covers the pages under it. */
	if (m->nx > 0) {
		va = m->va + 0x5000;
		frames[5][0x80] = 0xc3; /* ret */
		m->set(5, phys(5) | PTE_P | PTE_RW);
		m->set_dir(PTE_P | PTE_RW | PTE_US | PTE_NX);
		wrcr3(rdcr3());
		expect_pf(nm(m, "pf-nx-dir"), do_call, NULL, va + 0x80, 0x11);
		m->set_dir(PTE_P | PTE_RW | PTE_US);
		m->set(5, 0);
		wrcr3(rdcr3());
	} else if (m->nx == 0) {
		skip(nm(m, "pf-nx-dir"), "CPUID says no NX (80000001 EDX bit 20)");
	}

	/* A not-present directory entry: the same #PF as a not-present page. */
	m->set_dir(0);
	wrcr3(rdcr3());
	expect_pf(nm(m, "pf-dir-notpresent"), do_write, NULL, m->va + 0x44, 2);
	m->set_dir(PTE_P | PTE_RW | PTE_US);
	wrcr3(rdcr3());

	/* Read-only: CR0.WP=1 faults supervisor writes, WP=0 lets them by. */
	va = m->va + 0x3000;
	m->set(3, phys(3) | PTE_P | PTE_US);
	invlpg(va);
	ulong cr0 = rdcr0();
	wrcr0(cr0 | CR0_WP);
	expect_pf(nm(m, "pf-readonly-wp1"), do_write, NULL, va + 0x20, 3);
	wrcr0(cr0 & ~(ulong)CR0_WP);
	pg_addr = va + 0x24;
	if (catch_call(do_write, &f))
		fail(nm(m, "readonly-wp0"), "vector %lu error %lx at CR0.WP=0", f.vec, f.err);
	else if (*(volatile u32 *)(phys(3) + 0x24) != 0x77)
		fail(nm(m, "readonly-wp0"), "write did not reach the frame");
	else
		ok(nm(m, "readonly-wp0"));
	/* At CPL 3 the read-only page faults whatever WP says. */
	expect_pf(nm(m, "pf-readonly-user"), NULL, user_write, va + 0x28, 7);
	wrcr0(cr0 | CR0_WP);
	m->set(3, phys(3) | PTE_P);
	invlpg(va);
	expect_pf(nm(m, "pf-supervisor-user-read"), NULL, user_read, va + 0x2c, 5);
	expect_pf(nm(m, "pf-supervisor-user-write"), NULL, user_write, va + 0x30, 7);
	wrcr0(cr0);
	pg_addr = user_addr = va;
	m->set(3, phys(3) | PTE_P | PTE_RW | PTE_US);
	invlpg(va);
	if (user_call((void (*)(void))user_write, user_stack_top, &f) != VEC_USER ||
	    *(volatile u32 *)phys(3) != 0x77)
		fail(nm(m, "user-write"), "vector %lu error %lx", f.vec, f.err);
	else
		ok(nm(m, "user-write"));

	/* The directory entry's R/W and U/S count too: a user write through
	 * a read-only directory entry, a user read through a supervisor one. */
	va = m->va + 0x3000;
	m->set(3, phys(3) | PTE_P | PTE_RW | PTE_US);
	m->set_dir(PTE_P | PTE_US);
	wrcr3(rdcr3());
	expect_pf(nm(m, "pf-dir-readonly-user"), NULL, user_write, va + 0x34, 7);
	m->set_dir(PTE_P | PTE_RW);
	wrcr3(rdcr3());
	expect_pf(nm(m, "pf-dir-supervisor-user"), NULL, user_read, va + 0x38, 5);
	m->set_dir(PTE_P | PTE_RW | PTE_US);
	wrcr3(rdcr3());

	/* User fetches: a user page runs (INT 0x80 there), a supervisor page
	 * faults (I/D only where XD exists and EFER.NXE is on). */
	va = m->va + 0x5000;
	frames[5][0x100] = 0xcd; /* int $0x80 */
	frames[5][0x101] = 0x80;
	m->set(5, phys(5) | PTE_P | PTE_US);
	invlpg(va);
	int uv = user_call((void (*)(void))(va + 0x100), user_stack_top, &f);
	if (uv != VEC_USER || f.ip != va + 0x102)
		fail(nm(m, "user-fetch"), "vector %d at %lx (error %lx)", uv, f.ip, f.err);
	else
		ok(nm(m, "user-fetch"));
	m->set(5, phys(5) | PTE_P);
	invlpg(va);
	expect_pf(nm(m, "pf-supervisor-user-fetch"), NULL, (char *)(va + 0x100), va + 0x100,
		  m->nx > 0 ? 0x15 : 5);
	m->set(5, 0);
	invlpg(va);

	/* SMEP: no supervisor fetch from a user page (#PF with I/D). SMAP: no
	 * supervisor data access to one unless EFLAGS.AC (STAC). */
	va = m->va + 0x5000;
	frames[5][0x80] = 0xc3; /* ret */
	m->set(5, phys(5) | PTE_P | PTE_RW | PTE_US);
	invlpg(va);
	ulong cr4 = rdcr4();
	/* The kernel itself must be on supervisor pages while SMEP/SMAP are on. */
	m->kernel_sup(1);
	if (!has_feat(7, 1, 7)) {
		skip(nm(m, "smep"), "CPUID says no SMEP (7 EBX bit 7)");
	} else {
		wrcr4(cr4 | 0x100000);
		expect_pf(nm(m, "smep"), do_call, NULL, va + 0x80, 0x11);
		wrcr4(cr4);
	}
	if (!has_feat(7, 1, 20)) {
		skip(nm(m, "smap"), "CPUID says no SMAP (7 EBX bit 20)");
	} else {
		wrcr4(cr4 | 0x200000);
		pg_addr = va + 0x84;
		int v1 = catch_call(do_read, &f) ? (int)f.vec : -1;
		ulong e1 = f.err;
		__asm__ volatile("stac" ::: "memory");
		int v2 = catch_call(do_read, &f) ? (int)f.vec : -1;
		__asm__ volatile("clac" ::: "memory");
		wrcr4(cr4);
		if (v1 != 14 || e1 != 1)
			fail(nm(m, "smap"), "vector %d error %lx want #PF(1)", v1, v1 >= 0 ? e1 : 0);
		else if (v2 != -1)
			fail(nm(m, "smap"), "vector %d with EFLAGS.AC set", v2);
		else
			ok(nm(m, "smap"));
	}
	m->kernel_sup(0);
	m->set(5, 0);
	invlpg(va);

	/* A reserved bit: P=1 and RSVD in the error code. */
	if (m->rsvd_bit >= 0) {
		va = m->va + 0x4000;
		m->set(4, phys(4) | PTE_P | PTE_RW | (1ull << m->rsvd_bit));
		invlpg(va);
		expect_pf(nm(m, "pf-reserved-bit"), do_read, NULL, va + 0x40, 9);
		m->set(4, 0);
	} else if (m->big_rsvd_bit >= 0) {
		m->set_big(BIG_PHYS | PTE_P | PTE_RW | PTE_PS | (1ull << m->big_rsvd_bit));
		invlpg(m->big_va + 0x40);
		expect_pf(nm(m, "pf-reserved-bit"), do_write, NULL, m->big_va + 0x40, 0xb);
	}
	m->set_big(BIG_PHYS | PTE_P | PTE_RW | PTE_US | PTE_PS);
	invlpg(m->big_va + 0x40);

	/* NX: a fetch faults with I/D set, the same page without XD runs. */
	if (m->nx > 0) {
		/* One line, so that it lines up with the skip of a CPU without NX. */
		va = m->va + 0x5000;
		frames[5][0x80] = 0xc3; /* ret */
		m->set(5, phys(5) | PTE_P | PTE_RW | PTE_NX);
		invlpg(va);
		pg_addr = va + 0x80;
		int v = catch_call(do_call, &f) ? (int)f.vec : -1;
		m->set(5, phys(5) | PTE_P | PTE_RW);
		invlpg(va);
		if (v != 14 || f.err != 0x11 || f.cr2 != va + 0x80)
			fail(nm(m, "pf-nx-fetch"), "vector %d error %lx cr2 %lx want #PF(11) at %lx", v,
			     v >= 0 ? f.err : 0, v >= 0 ? f.cr2 : 0, va + 0x80);
		else if (catch_call(do_call, &f))
			fail(nm(m, "pf-nx-fetch"), "without XD: vector %lu error %lx calling %lx", f.vec,
			     f.err, va + 0x80);
		else
			ok(nm(m, "pf-nx-fetch"));
	} else if (m->nx == 0) {
		skip(nm(m, "pf-nx-fetch"), "CPUID says no NX (80000001 EDX bit 20)");
	}

	/* Translated code follows the page tables: a page remapped to other
	 * code runs the new code, and code written through another linear
	 * address of its frame (an alias) runs as written. */
	static const u8 ret1[] = {0xb8, 1, 0, 0, 0, 0xc3}; /* mov $1, %eax; ret */
	memcpy(frames[6] + 0x800, ret1, sizeof ret1);
	memcpy(frames[7] + 0x800, ret1, sizeof ret1);
	frames[7][0x801] = 2;
	va = m->va + 0x6000;
	m->set(6, phys(6) | PTE_P | PTE_RW);
	invlpg(va);
	u32 (*code)(void) = (u32(*)(void))(va + 0x800);
	u32 r1 = code(), r2 = code();
	m->set(6, phys(7) | PTE_P | PTE_RW);
	invlpg(va);
	u32 r3 = code();
	if (r1 != 1 || r2 != 1 || r3 != 2)
		fail(nm(m, "code-remap"), "returned %u %u, then %u after the remap (want 1 1 2)", r1, r2,
		     r3);
	else
		ok(nm(m, "code-remap"));
	m->set(6, phys(6) | PTE_P | PTE_RW);
	m->set(4, phys(6) | PTE_P | PTE_RW);
	invlpg(va);
	invlpg(m->va + 0x4000);
	r1 = code();
	*(volatile u8 *)(m->va + 0x4000 + 0x801) = 3;
	u32 a0, b0, c0, d0;
	cpuid(0, 0, &a0, &b0, &c0, &d0); /* serializing, as the SDM asks */
	r2 = code();
	m->set(4, 0);
	invlpg(m->va + 0x4000);
	if (r1 != 1 || r2 != 3)
		fail(nm(m, "code-alias-write"), "returned %u, then %u after a write through the alias "
						 "(want 1 3)",
		     r1, r2);
	else
		ok(nm(m, "code-alias-write"));

	/* Two address spaces with different code at one address: each CR3
	 * switch runs the code of the space switched to. */
	frames[6][0x801] = 1;
	cpuid(0, 0, &a0, &b0, &c0, &d0);
	m->set(6, phys(6) | PTE_P | PTE_RW);
	invlpg(va);
	u32 rs[4];
	for (int i = 0; i < 4; i++) {
		m->alt_space(i & 1 ? phys(7) | PTE_P | PTE_RW : 0);
		rs[i] = code();
	}
	m->alt_space(0);
	if (rs[0] != 1 || rs[1] != 2 || rs[2] != 1 || rs[3] != 2)
		fail(nm(m, "code-cr3-switch"), "returned %u %u %u %u (want 1 2 1 2)", rs[0], rs[1], rs[2],
		     rs[3]);
	else
		ok(nm(m, "code-cr3-switch"));

	/* A changed entry: INVLPG, then a CR3 reload, drops the old frame. */
	va = m->va + 0x6000;
	*(volatile u32 *)phys(6) = 0x66666666;
	*(volatile u32 *)phys(7) = 0x77777777;
	m->set(6, phys(6) | PTE_P | PTE_RW);
	invlpg(va);
	u32 a = *(volatile u32 *)va;
	m->set(6, phys(7) | PTE_P | PTE_RW);
	invlpg(va);
	u32 b = *(volatile u32 *)va;
	if (a != 0x66666666 || b != 0x77777777)
		fail(nm(m, "invlpg"), "read %x then %x after invlpg", a, b);
	else
		ok(nm(m, "invlpg"));
	m->set(6, phys(6) | PTE_P | PTE_RW);
	wrcr3(rdcr3());
	a = *(volatile u32 *)va;
	if (a != 0x66666666)
		fail(nm(m, "cr3-reload"), "read %x after the CR3 reload", a);
	else
		ok(nm(m, "cr3-reload"));

	/* Global pages: INVLPG drops one, and so does turning CR4.PGE off. */
	if (!has_feat(1, 3, 13)) {
		skip(nm(m, "global-invlpg"), "CPUID says no PGE");
		skip(nm(m, "global-pge-toggle"), "CPUID says no PGE");
	} else {
		ulong cr4 = rdcr4();
		wrcr4(cr4 | CR4_PGE);
		m->set(6, phys(6) | PTE_P | PTE_RW | 0x100);
		invlpg(va);
		a = *(volatile u32 *)va;
		m->set(6, phys(7) | PTE_P | PTE_RW | 0x100);
		invlpg(va);
		b = *(volatile u32 *)va;
		if (a != 0x66666666 || b != 0x77777777)
			fail(nm(m, "global-invlpg"), "read %x then %x after invlpg", a, b);
		else
			ok(nm(m, "global-invlpg"));
		m->set(6, phys(6) | PTE_P | PTE_RW | 0x100);
		wrcr4(cr4 & ~(ulong)CR4_PGE);
		wrcr4(cr4 | CR4_PGE);
		a = *(volatile u32 *)va;
		if (a != 0x66666666)
			fail(nm(m, "global-pge-toggle"), "read %x after CR4.PGE off and on", a);
		else
			ok(nm(m, "global-pge-toggle"));
		wrcr4(cr4);
	}
	for (int i = 0; i < 8; i++)
		m->set(i, 0);
	wrcr3(rdcr3());
}
