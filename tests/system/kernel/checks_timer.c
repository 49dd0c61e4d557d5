/*
 * The PIT interrupt: channel 0 in mode 2 at 1000 Hz through the PIC's
 * IRQ 0 (vector 0x20, set up by check_io), counted while HLT waits.
 */
#include "kernel.h"

static volatile u32 ticks;
static void tick(struct frame *f)
{
	if (f->vec == VEC_IRQ0)
		ticks++;
}

void check_timer(void)
{
	irq_hook = tick;
	ticks = 0;
	u16 div = 1193; /* 1193182 Hz / 1193: about 1000 Hz */
	outb(0x43, 0x34); /* channel 0, lobyte/hibyte, mode 2, binary */
	outb(0x40, div & 0xff);
	outb(0x40, div >> 8);
	outb(0x21, 0xfe); /* only IRQ 0 */
	__asm__ volatile("sti");
	/* First a bounded busy wait, so a dead timer cannot hang the kernel. */
	for (u32 i = 0; i < 100000000 && ticks == 0; i++)
		__asm__ volatile("pause");
	int first = ticks;
	u64 t0 = rdtsc();
	if (first)
		while (ticks < 20)
			__asm__ volatile("hlt");
	u64 t1 = rdtsc();
	__asm__ volatile("cli");
	outb(0x21, 0xff);
	outb(0x43, 0x30); /* channel 0 mode 0: one count, then quiet */
	outb(0x40, 0);
	outb(0x40, 0);
	irq_hook = NULL;
	if (!first)
		fail("pit-irq0", "no IRQ 0 arrived");
	else if (t1 <= t0)
		fail("pit-irq0", "rdtsc did not advance over 20 ticks");
	else
		ok("pit-irq0");
}
