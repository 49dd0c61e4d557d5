/* The paging checks shared by the 2-level, PAE and 4-level modes. */
#ifndef TK_PAGING_H
#define TK_PAGING_H
#include "kernel.h"

#define PTE_P 0x1ull
#define PTE_RW 0x2ull
#define PTE_US 0x4ull
#define PTE_A 0x20ull
#define PTE_D 0x40ull
#define PTE_PS 0x80ull
#define PTE_NX (1ull << 63)

/* A paging mode under test, already switched on: 8 consecutive 4 KiB test
 * pages at va whose entries set/get write and read, and one large page at
 * big_va (its entry through set_big/get_big) that maps BIG_PHYS. */
struct pgmode {
	const char *name; /* prefix of the check names */
	ulong va;
	void (*set)(int i, u64 e);
	u64 (*get)(int i);
	const char *big_name;
	ulong big_va;
	void (*set_big)(u64 e);
	u64 (*get_big)(void);
	void (*set_dir)(u64 flags); /* the flags of the entry that maps the 4 KiB pages' table */
	u64 (*get_dir)(void);
	void (*kernel_sup)(int sup); /* the identity map (the kernel): supervisor-only or user too */
	/* alt_space(e) switches CR3 to a second set of tables, a copy of the
	 * first in which test page 6 has entry e; alt_space(0) switches back. */
	void (*alt_space)(u64 e);
	int nx;       /* 1: EFER.NXE is on, bit 63 is XD; 0: no NX; -1: the mode has none */
	int rsvd_bit; /* a reserved bit of a 4 KiB entry, or -1 */
	int big_rsvd_bit;
};

/* The large pages map physical 16 MiB (aligned for 4M and 2M). */
#define BIG_PHYS 0x1000000ul

void paging_checks(struct pgmode *m);
int maxphyaddr(void);
extern u8 frames[8][4096];
#endif
