/*
 * i386 paging: the 2-level mode (4 KiB and, with CR4.PSE, 4 MiB pages)
 * and PAE (4 KiB and 2 MiB pages, NX when CPUID has it). The kernel runs
 * with paging off; each mode maps the first 64 MiB identity with large
 * user pages, its test pages at 1 GiB, runs paging_checks and turns
 * paging off again.
 */
#include "paging.h"

#define TVA 0x40000000ul

static u32 pd32[1024] __attribute__((aligned(4096)));
static u32 pt32[1024] __attribute__((aligned(4096)));

static void set32(int i, u64 e) { pt32[i] = (u32)e; }
static u64 get32(int i) { return pt32[i]; }
static void setbig32(u64 e) { pd32[TVA / 0x400000 + 1] = (u32)e; }
static u64 getbig32(void) { return pd32[TVA / 0x400000 + 1]; }
static void setdir32(u64 f) { pd32[TVA / 0x400000] = (u32)(ulong)pt32 | (u32)f; }
static u64 getdir32(void) { return pd32[TVA / 0x400000]; }

static u64 pdpt[4] __attribute__((aligned(32)));
static u64 pdpae0[512] __attribute__((aligned(4096)));
static u64 pdpae1[512] __attribute__((aligned(4096)));
static u64 ptpae[512] __attribute__((aligned(4096)));

static void setpae(int i, u64 e) { ptpae[i] = e; }
static u64 getpae(int i) { return ptpae[i]; }
static void setbigpae(u64 e) { pdpae1[2] = e; }
static u64 getbigpae(void) { return pdpae1[2]; }
static void setdirpae(u64 f) { pdpae1[0] = (ulong)ptpae | f; }
static u64 getdirpae(void) { return pdpae1[0]; }

static u32 pd32b[1024] __attribute__((aligned(4096)));
static u32 pt32b[1024] __attribute__((aligned(4096)));

static void alt32(u64 e)
{
	if (!e) {
		wrcr3((ulong)pd32);
		return;
	}
	memcpy(pd32b, pd32, sizeof pd32);
	memcpy(pt32b, pt32, sizeof pt32);
	pd32b[TVA / 0x400000] = (u32)(ulong)pt32b | 7;
	pt32b[6] = (u32)e;
	wrcr3((ulong)pd32b);
}

static u64 pdptb[4] __attribute__((aligned(32)));
static u64 pdpae1b[512] __attribute__((aligned(4096)));
static u64 ptpaeb[512] __attribute__((aligned(4096)));

static void altpae(u64 e)
{
	if (!e) {
		wrcr3((ulong)pdpt);
		return;
	}
	memcpy(pdptb, pdpt, sizeof pdpt);
	memcpy(pdpae1b, pdpae1, sizeof pdpae1);
	memcpy(ptpaeb, ptpae, sizeof ptpae);
	pdptb[1] = (ulong)pdpae1b | 1;
	pdpae1b[0] = (ulong)ptpaeb | 7;
	ptpaeb[6] = e;
	wrcr3((ulong)pdptb);
}

static void sup32(int sup)
{
	for (int i = 0; i < 16; i++)
		pd32[i] = (u32)(i * 0x400000u) | (sup ? 0x83 : 0x87);
	wrcr3(rdcr3());
}

static void suppae(int sup)
{
	for (int i = 0; i < 512; i++)
		pdpae0[i] = (u64)i * 0x200000u | (sup ? 0x83 : 0x87);
	wrcr3(rdcr3());
}

static void paging_off(void)
{
	wrcr0(rdcr0() & ~(ulong)CR0_PG);
	wrcr4(rdcr4() & ~(ulong)(CR4_PSE | CR4_PAE));
}

static void two_level(void)
{
	if (!has_feat(1, 3, 3)) {
		skip("paging2-4m", "CPUID says no PSE");
		return;
	}
	pd32[TVA / 0x400000] = (u32)(ulong)pt32 | 7;
	wrcr3((ulong)pd32);
	sup32(0); /* identity 4 MiB pages: P RW US PS */
	wrcr4(rdcr4() | CR4_PSE);
	wrcr0(rdcr0() | CR0_PG);
	u32 cr0 = rdcr0();
	if (!(cr0 & CR0_PG) || rdcr3() != (ulong)pd32)
		fail("paging2-on", "cr0 %x cr3 %lx", cr0, rdcr3());
	else
		ok("paging2-on");
	struct pgmode m = {
		.name = "paging2",
		.va = TVA,
		.set = set32,
		.get = get32,
		.big_name = "4m",
		.big_va = TVA + 0x400000,
		.set_big = setbig32,
		.get_big = getbig32,
		.set_dir = setdir32,
		.get_dir = getdir32,
		.kernel_sup = sup32,
		.alt_space = alt32,
		.nx = -1,
		.rsvd_bit = -1,
		.big_rsvd_bit = 21,
	};
	paging_checks(&m);
	paging_off();
}

static void pae(void)
{
	if (!has_feat(1, 3, 6)) {
		skip("pae-on", "CPUID says no PAE");
		return;
	}
	int nx = has_feat(0x80000001u, 3, 20);
	suppae(0);
	pdpt[0] = (ulong)pdpae0 | 1; /* PDPTEs have P and no RW/US */
	pdpt[1] = (ulong)pdpae1 | 1;
	pdpae1[0] = (ulong)ptpae | 7;
	if (nx)
		wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
	wrcr3((ulong)pdpt);
	wrcr4(rdcr4() | CR4_PAE);
	wrcr0(rdcr0() | CR0_PG);
	if (!(rdcr0() & CR0_PG) || !(rdcr4() & CR4_PAE))
		fail("pae-on", "cr0 %lx cr4 %lx", rdcr0(), rdcr4());
	else
		ok("pae-on");
	int m_phys = maxphyaddr();
	struct pgmode m = {
		.name = "pae",
		.va = TVA,
		.set = setpae,
		.get = getpae,
		.big_name = "2m",
		.big_va = TVA + 0x400000,
		.set_big = setbigpae,
		.get_big = getbigpae,
		.set_dir = setdirpae,
		.get_dir = getdirpae,
		.kernel_sup = suppae,
		.alt_space = altpae,
		.nx = nx,
		.rsvd_bit = m_phys < 52 ? 51 : -1,
		.big_rsvd_bit = -1,
	};
	paging_checks(&m);
	paging_off();
	if (nx)
		wrmsr(MSR_EFER, rdmsr(MSR_EFER) & ~(u64)EFER_NXE);
}

void check_paging(void)
{
	two_level();
	pae();
}
