/*
 * The local APIC and the IO-APIC at their default physical addresses
 * (0xfee00000, 0xfec00000): identity, version and a register that reads
 * back. x86-64 maps the top 32 MiB of the 4th GiB (uncached 2 MiB pages);
 * i386 reads them with paging off.
 */
#include "kernel.h"

#define LAPIC 0xfee00000ul
#define IOAPIC 0xfec00000ul

#ifdef __x86_64__
extern u64 boot_pdpt[512];
static u64 pd_hi[512] __attribute__((aligned(4096)));

static void map_hi(void)
{
	/* 0xfe000000..0xffffffff: PD entries 496..511, P RW PS PWT PCD. */
	for (int i = 496; i < 512; i++)
		pd_hi[i] = (0xc0000000ull + (u64)i * 0x200000) | 0x9b;
	boot_pdpt[3] = (ulong)pd_hi | 3;
	wrcr3(rdcr3());
}
#else
static void map_hi(void) {}
#endif

static u32 rd(ulong a) { return *(volatile u32 *)a; }
static void wr(ulong a, u32 v) { *(volatile u32 *)a = v; }

void check_apic(void)
{
	if (!has_feat(1, 3, 9)) {
		skip("lapic", "CPUID says no APIC");
		skip("ioapic", "CPUID says no APIC");
		return;
	}
	map_hi();
	u32 a, b, c, d;
	cpuid(1, 0, &a, &b, &c, &d);
	u32 id = rd(LAPIC + 0x20), ver = rd(LAPIC + 0x30);
	u32 tpr = rd(LAPIC + 0x80);
	wr(LAPIC + 0x80, 0x20);
	u32 tpr2 = rd(LAPIC + 0x80);
	wr(LAPIC + 0x80, tpr);
	if (id >> 24 != b >> 24)
		fail("lapic", "APIC ID register %x, CPUID initial APIC ID %x", id, b >> 24);
	else if ((ver & 0xff) < 0x10 || (ver & 0xff) > 0x15 || ((ver >> 16) & 0xff) < 3)
		fail("lapic", "version register %x (want an integrated APIC, 0x1x)", ver);
	else if ((tpr2 & 0xff) != 0x20)
		fail("lapic", "TPR read %x after writing 20", tpr2);
	else
		ok("lapic");

	wr(IOAPIC, 1); /* IOREGSEL: the version register */
	u32 iv = rd(IOAPIC + 0x10);
	wr(IOAPIC, 0);
	u32 iid = rd(IOAPIC + 0x10);
	if ((iv & 0xff) != 0x11 && (iv & 0xff) != 0x20)
		fail("ioapic", "version register %x (want 0x11 or 0x20)", iv);
	else if (((iv >> 16) & 0xff) < 15)
		fail("ioapic", "version register %x: %u redirection entries", iv, ((iv >> 16) & 0xff) + 1);
	else if (iid & 0xf0ffffff)
		fail("ioapic", "ID register %x has bits beyond the ID", iid);
	else
		ok("ioapic");
#ifdef __x86_64__
	boot_pdpt[3] = 0;
	wrcr3(rdcr3());
#endif
}
