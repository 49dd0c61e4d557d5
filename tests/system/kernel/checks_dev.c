/*
 * Devices as Linux probes and drives them. COM1 as its 8250 driver does: the scratch register,
 * the divisor latch, the FIFO (IIR bits 7:6 say 16550A), the modem
 * control loopback (MSR follows MCR, a byte sent comes back), and the
 * transmitter-empty interrupt on IRQ 4. The console's settings (LCR,
 * divisor, MCR, IER) are put back afterwards. The RTC's periodic
 * interrupt through the slave PIC (IRQ 8, the cascade), and the PCI host
 * bridge through configuration mechanism 1.
 */
#include "kernel.h"

#define COM1 0x3f8
#define RBR 0
#define THR 0
#define DLL 0
#define IER 1
#define DLM 1
#define IIR 2
#define FCR 2
#define LCR 3
#define MCR 4
#define LSR 5
#define MSR 6
#define SCR 7

static volatile u32 thre_irqs;
static volatile u8 thre_iir;

static void com1_irq(struct frame *f)
{
	if (f->vec != VEC_IRQ0 + 4)
		return;
	u8 iir = inb(COM1 + IIR); /* reading IIR acknowledges THRE */
	if (!thre_irqs)
		thre_iir = iir;
	thre_irqs++;
	outb(COM1 + IER, 0); /* once is enough */
}

void check_uart(void)
{
	u8 lcr = inb(COM1 + LCR), mcr = inb(COM1 + MCR), ier = inb(COM1 + IER);
	while (!(inb(COM1 + LSR) & 0x40))
		; /* the console's last byte is out */

	outb(COM1 + SCR, 0xa5);
	u8 s1 = inb(COM1 + SCR);
	outb(COM1 + SCR, 0x5a);
	u8 s2 = inb(COM1 + SCR);
	if (s1 != 0xa5 || s2 != 0x5a)
		fail("uart-scratch", "scratch read %x %x, want a5 5a", s1, s2);
	else
		ok("uart-scratch");

	outb(COM1 + LCR, lcr | 0x80); /* DLAB */
	u8 dll = inb(COM1 + DLL), dlm = inb(COM1 + DLM);
	outb(COM1 + DLL, 0x0c); /* 9600 baud */
	outb(COM1 + DLM, 0x00);
	u8 d1 = inb(COM1 + DLL), d2 = inb(COM1 + DLM);
	outb(COM1 + DLL, dll);
	outb(COM1 + DLM, dlm);
	outb(COM1 + LCR, lcr);
	u8 lcr2 = inb(COM1 + LCR);
	if (d1 != 0x0c || d2 != 0 || lcr2 != lcr)
		fail("uart-divisor", "divisor read %x %x (want c 0), LCR %x (want %x)", d1, d2, lcr2, lcr);
	else
		ok("uart-divisor");

	outb(COM1 + FCR, 0x07); /* FIFO on, both cleared */
	u8 iir = inb(COM1 + IIR);
	if ((iir & 0xc0) != 0xc0)
		fail("uart-fifo", "IIR %x with the FIFO on, want bits 7:6 set (16550A)", iir);
	else
		ok("uart-fifo");

	/* Loopback: MSR's high nibble is MCR's low one (CTS=RTS, DSR=DTR,
	 * RI=OUT1, DCD=OUT2), and a byte sent is received. */
	outb(COM1 + MCR, 0x1f);
	u8 m1 = inb(COM1 + MSR) & 0xf0;
	outb(COM1 + MCR, 0x10);
	u8 m2 = inb(COM1 + MSR) & 0xf0;
	while (inb(COM1 + LSR) & 1)
		(void)inb(COM1 + RBR);
	outb(COM1 + THR, 0x5c);
	u8 got = 0, lsr = 0;
	for (u32 i = 0; i < 1000000; i++) {
		lsr = inb(COM1 + LSR);
		if (lsr & 1) {
			got = inb(COM1 + RBR);
			break;
		}
	}
	outb(COM1 + MCR, mcr);
	if (m1 != 0xf0 || m2 != 0)
		fail("uart-loopback", "MSR %x with MCR 1f, %x with MCR 10 (want f0 0)", m1, m2);
	else if (!(lsr & 1) || got != 0x5c)
		fail("uart-loopback", "LSR %x, received %x (want 5c)", lsr, got);
	else
		ok("uart-loopback");

	/* IER's THRE bit with the transmitter empty: IRQ 4 (vector 0x24)
	 * with IIR 0x2 (its FIFO bits aside). OUT2 gates IRQ 4 on a PC. */
	thre_irqs = 0;
	irq_hook = com1_irq;
	outb(COM1 + MCR, mcr | 0x08);
	outb(0x21, 0xef);
	outb(COM1 + IER, 0x02);
	__asm__ volatile("sti");
	for (u32 i = 0; i < 10000000 && !thre_irqs; i++)
		__asm__ volatile("pause");
	__asm__ volatile("cli");
	outb(0x21, 0xff);
	outb(COM1 + IER, ier);
	outb(COM1 + MCR, mcr);
	irq_hook = NULL;
	if (!thre_irqs)
		fail("uart-thre-irq", "no IRQ 4 with IER THRE enabled and THR empty");
	else if ((thre_iir & 0xf) != 0x2)
		fail("uart-thre-irq", "IIR %x in the handler, want 2 (THR empty)", thre_iir);
	else
		ok("uart-thre-irq");
}

static volatile u32 rtc_irqs;
static volatile u8 rtc_c;

static void rtc_irq(struct frame *f)
{
	if (f->vec != VEC_IRQ0 + 8)
		return;
	outb(0x70, 0x8c); /* register C: reading it acknowledges */
	rtc_c = inb(0x71);
	rtc_irqs++;
}

void check_rtc_pci(void)
{
	/* Periodic interrupt: register A's rate (6: 1024 Hz), B's PIE. */
	outb(0x70, 0x8a);
	u8 a = inb(0x71);
	outb(0x70, 0x8b);
	u8 b = inb(0x71);
	outb(0x70, 0x8c);
	(void)inb(0x71);
	outb(0x70, 0x8a);
	outb(0x71, (a & 0xf0) | 0x06);
	outb(0x70, 0x8b);
	outb(0x71, b | 0x40);
	rtc_irqs = 0;
	irq_hook = rtc_irq;
	outb(0xa1, 0xfe); /* slave: IRQ 8 only */
	outb(0x21, 0xfb); /* master: the cascade (IRQ 2) only */
	__asm__ volatile("sti");
	for (u32 i = 0; i < 100000000 && rtc_irqs < 3; i++)
		__asm__ volatile("pause");
	__asm__ volatile("cli");
	outb(0x70, 0x8b);
	outb(0x71, b);
	outb(0x70, 0x8a);
	outb(0x71, a);
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
	irq_hook = NULL;
	if (rtc_irqs < 3)
		fail("rtc-irq8", "%u periodic interrupts through the slave PIC, want 3", rtc_irqs);
	else if (!(rtc_c & 0x40) || !(rtc_c & 0x80))
		fail("rtc-irq8", "register C %x, want PF and IRQF set", rtc_c);
	else
		ok("rtc-irq8");

	/* PCI 00:00.0 is a host bridge: class 06, subclass 00. */
	outl(0xcf8, 0x80000000u);
	u32 id = inl(0xcfc);
	outl(0xcf8, 0x80000008u);
	u32 class = inl(0xcfc);
	if ((id & 0xffff) == 0xffff || (class >> 16) != 0x0600)
		fail("pci-hostbridge", "00:00.0 id %x class %x, want a host bridge (0600)", id, class >> 16);
	else
		ok("pci-hostbridge");
}
