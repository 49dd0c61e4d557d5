/*
 * The test kernel's main: every group of checks in turn, then power-off.
 * An exception no check expected ends its group, not the run: trap()
 * prints it and comes back here, the CPU state of the boot is restored
 * and the next group runs.
 */
#include "kernel.h"

static jmpbuf group_jb;
volatile int in_group;
static ulong cr0_boot, cr3_boot, cr4_boot;
static u64 efer_boot;
static int has_efer;

/* recover puts back what the groups change: control registers, EFER,
 * the PIC masks, and the descriptor tables (cpu_init). */
static void recover(void)
{
	__asm__ volatile("cli");
	in_catch = 0;
	irq_hook = NULL;
	user_flags_or = 0;
#ifdef __x86_64__
	wrcr3(cr3_boot);
	wrcr4(cr4_boot);
	wrcr0(cr0_boot);
#else
	wrcr0(cr0_boot);
	wrcr4(cr4_boot);
	wrcr3(cr3_boot);
#endif
	if (has_efer)
		wrmsr(MSR_EFER, efer_boot);
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
	cpu_init();
}

static void group(const char *name, void (*fn)(void))
{
	if (tk_setjmp(group_jb)) {
		recover();
		failures++;
		printf("FAIL group-%s: an unexpected exception stopped it\n", name);
		return;
	}
	in_group = 1;
	fn();
	in_group = 0;
}

/* group_abort is trap()'s way back after an unexpected exception. */
void group_abort(void)
{
	if (!in_group)
		return;
	in_group = 0;
	tk_longjmp(group_jb, 1);
}

void kmain(void)
{
	cpu_init();
#ifdef __x86_64__
	puts("gemu test kernel x86_64\n");
#else
	puts("gemu test kernel i386\n");
#endif
	cr0_boot = rdcr0();
	cr3_boot = rdcr3();
	cr4_boot = rdcr4();
	has_efer = has_feat(0x80000001u, 3, 20) || has_feat(0x80000001u, 3, 29) ||
		   has_feat(0x80000001u, 3, 11);
	if (has_efer)
		efer_boot = rdmsr(MSR_EFER);
	group("basic", check_basic);
	group("msr", check_msr);
	group("fxsave", check_fxsave);
	group("io", check_io);
	group("uart", check_uart);
	group("rtc-pci", check_rtc_pci);
	group("apic", check_apic);
	group("paging", check_paging);
	group("user", check_user);
	group("timer", check_timer);
	group("lapic-timer", check_lapic_timer);
	printf("done, %d failed\n", failures);
	poweroff();
}
