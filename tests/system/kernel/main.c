/* The test kernel's main: every group of checks in turn, then power-off. */
#include "kernel.h"

void kmain(void)
{
	cpu_init();
#ifdef __x86_64__
	puts("gemu test kernel x86_64\n");
#else
	puts("gemu test kernel i386\n");
#endif
	check_basic();
	check_msr();
	check_fxsave();
	check_io();
	check_apic();
	check_paging();
	check_user();
	check_timer();
	printf("done, %d failed\n", failures);
	poweroff();
}
