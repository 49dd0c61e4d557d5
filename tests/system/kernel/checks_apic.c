/*
 * The local APIC and the IO-APIC at their default physical addresses
 * (0xfee00000, 0xfec00000): identity, version and a register that reads
 * back; virtual wire mode for the PIC; the LAPIC timer. x86-64 maps the
 * top 32 MiB of the 4th GiB (uncached 2 MiB pages) for good; i386 reaches
 * them with paging off.
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

	/* Virtual wire mode, as a BIOS leaves it and the PIT checks need
	 * without one: APIC software-enabled (SVR bit 8, spurious vector
	 * 0xff), LINT0 ExtINT (the PIC's INTR), LINT1 NMI. */
	wr(LAPIC + 0xf0, 0x1ff);
	wr(LAPIC + 0x350, 0x700);
	wr(LAPIC + 0x360, 0x400);
}

static volatile u32 lticks;
static void ltick(struct frame *f)
{
	if (f->vec == VEC_LAPIC)
		lticks++;
}

/* lapic_eoi ends the interrupt in service (trap(), vectors 0x30-0x3f). */
void lapic_eoi(void) { wr(LAPIC + 0xb0, 0); }

/* wait_lticks spins with interrupts on until n LAPIC ticks came, bounded. */
static void wait_lticks(u32 n)
{
	__asm__ volatile("sti");
	for (u32 i = 0; i < 100000000 && lticks < n; i++)
		__asm__ volatile("pause");
	__asm__ volatile("cli");
}

/* The LAPIC timer (Linux's clock event device): one-shot fires once and
 * its current count ends at 0; periodic fires again and again. */
void check_lapic_timer(void)
{
	if (!has_feat(1, 3, 9)) {
		skip("lapic-timer-oneshot", "CPUID says no APIC");
		skip("lapic-timer-periodic", "CPUID says no APIC");
		return;
	}
	irq_hook = ltick;
	lticks = 0;
	wr(LAPIC + 0x3e0, 0x3);        /* divide by 16 */
	wr(LAPIC + 0x320, VEC_LAPIC);  /* one-shot, unmasked */
	wr(LAPIC + 0x380, 100000);     /* initial count */
	wait_lticks(1);
	for (volatile u32 i = 0; i < 1000000; i++)
		;
	u32 cur = rd(LAPIC + 0x390), n1 = lticks;
	if (n1 != 1 || cur != 0)
		fail("lapic-timer-oneshot", "%u interrupts, current count %u (want 1 and 0)", n1, cur);
	else
		ok("lapic-timer-oneshot");
	lticks = 0;
	wr(LAPIC + 0x320, VEC_LAPIC | 0x20000); /* periodic */
	wr(LAPIC + 0x380, 100000);
	wait_lticks(5);
	wr(LAPIC + 0x320, VEC_LAPIC | 0x10000); /* masked */
	wr(LAPIC + 0x380, 0);
	irq_hook = NULL;
	if (lticks < 5)
		fail("lapic-timer-periodic", "%u interrupts, want 5", lticks);
	else
		ok("lapic-timer-periodic");
}
