/*
 * x86-64 paging: 4-level tables with 4 KiB, 2 MiB and (when CPUID has
 * pdpe1gb) 1 GiB pages, NX. The boot tables (entry64.S) stay in place for
 * the kernel's identity map; the test pages hang off PML4 entry 1
 * (512 GiB up), which nothing else uses.
 */
#include "paging.h"

#define TVA 0x8000000000ul /* PML4 index 1 */

extern u64 boot_pml4[512], boot_pdpt[512];
static u64 pdpt[512] __attribute__((aligned(4096)));
static u64 pd[512] __attribute__((aligned(4096)));
static u64 pt[512] __attribute__((aligned(4096)));

static void set64(int i, u64 e) { pt[i] = e; }
static u64 get64(int i) { return pt[i]; }
static void setbig64(u64 e) { pd[2] = e; }
static u64 getbig64(void) { return pd[2]; }
static void setdir64(u64 f) { pd[0] = (ulong)pt | f; }
static u64 getdir64(void) { return pd[0]; }

static u64 pml4b[512] __attribute__((aligned(4096)));
static u64 pdptb[512] __attribute__((aligned(4096)));
static u64 pdb[512] __attribute__((aligned(4096)));
static u64 ptb[512] __attribute__((aligned(4096)));

static void alt64(u64 e)
{
	if (!e) {
		wrcr3((ulong)boot_pml4);
		return;
	}
	memcpy(pml4b, boot_pml4, sizeof pml4b);
	memcpy(pdptb, pdpt, sizeof pdpt);
	memcpy(pdb, pd, sizeof pd);
	memcpy(ptb, pt, sizeof pt);
	pml4b[1] = (ulong)pdptb | 7;
	pdptb[0] = (ulong)pdb | 7;
	pdb[0] = (ulong)ptb | 7;
	ptb[6] = e;
	wrcr3((ulong)pml4b);
}

/* sup64 sets or clears U/S in the PDPT entry of the kernel's first GiB. */
static void sup64(int sup)
{
	boot_pdpt[0] = (boot_pdpt[0] & ~PTE_US) | (sup ? 0 : PTE_US);
	wrcr3(rdcr3());
}

static void one_gib(void)
{
	if (!has_feat(0x80000001u, 3, 26)) {
		skip("paging4-1g", "CPUID says no 1 GiB pages (80000001 EDX bit 26)");
		return;
	}
	/* PDPT entry 1: VA TVA+1 GiB -> physical 0, one page. */
	ulong va = TVA + 0x40000000ul;
	pdpt[1] = PTE_P | PTE_RW | PTE_PS;
	invlpg(va + BIG_PHYS);
	*(volatile u32 *)(va + BIG_PHYS + 0x9000) = 0x1661;
	u32 got = *(volatile u32 *)(BIG_PHYS + 0x9000);
	u64 e = pdpt[1];
	if (got != 0x1661)
		fail("paging4-1g", "write through %lx missed physical %lx", va + BIG_PHYS + 0x9000,
		     BIG_PHYS + 0x9000);
	else if (!(e & PTE_A) || !(e & PTE_D))
		fail("paging4-1g", "entry %llx after a write lacks A or D", e);
	else
		ok("paging4-1g");
	pdpt[1] = 0;
	invlpg(va + BIG_PHYS);
}

/* A #PF while delivering a #PF is a double fault: user code's INT 0x80
 * finds RSP0 on a not-present page, so does the #PF that follows; #DF
 * comes through IST 1 with error 0, CR2 the first push's address. */
static void df_stack(void)
{
	extern char user_ret[];
	struct fault f;
	ulong top = TVA + 0x3000; /* page 2 (TVA+0x2000) is not present */
	pt[2] = 0;
	invlpg(TVA + 0x2000);
	set_gate(8, NULL, 0, 1);
	set_rsp0(top);
	int v = user_call((void (*)(void))user_ret, user_stack_top, &f);
	set_rsp0(0);
	set_gate(8, NULL, 0, 0);
	if (v != 8 || f.err != 0 || f.cr2 != top - 8)
		fail("pf-during-delivery-df", "vector %d error %lx cr2 %lx, want #DF(0) with cr2 %lx",
		     v, f.err, f.cr2, top - 8);
	else
		ok("pf-during-delivery-df");
}

void check_paging(void)
{
	ulong cr4 = rdcr4(), cr0 = rdcr0();
	if (!(cr0 & CR0_PG) || !(cr4 & CR4_PAE) || rdcr3() != (ulong)boot_pml4)
		fail("paging4-on", "cr0 %lx cr4 %lx cr3 %lx", cr0, cr4, rdcr3());
	else
		ok("paging4-on");
	int nx = has_feat(0x80000001u, 3, 20);
	if (nx)
		wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
	pd[0] = (ulong)pt | 7;
	pdpt[0] = (ulong)pd | 7;
	boot_pml4[1] = (ulong)pdpt | 7;
	wrcr3(rdcr3());
	int m_phys = maxphyaddr();
	struct pgmode m = {
		.name = "paging4",
		.va = TVA,
		.set = set64,
		.get = get64,
		.big_name = "2m",
		.big_va = TVA + 0x400000,
		.set_big = setbig64,
		.get_big = getbig64,
		.set_dir = setdir64,
		.get_dir = getdir64,
		.kernel_sup = sup64,
		.alt_space = alt64,
		.nx = nx,
		.rsvd_bit = m_phys < 52 ? 51 : -1,
		.big_rsvd_bit = -1,
	};
	paging_checks(&m);
	one_gib();
	df_stack();
	boot_pml4[1] = 0;
	wrcr3(rdcr3());
	if (nx)
		wrmsr(MSR_EFER, rdmsr(MSR_EFER) & ~(u64)EFER_NXE);
}
