/*
 * The kernel's descriptor tables (GDT, IDT, TSS), the trap dispatcher and
 * the two ways checks provoke exceptions: catch_call (run a function at
 * CPL 0, return what it raised) and user_call (IRET to CPL 3, come back
 * through INT 0x80 or the exception the user code raised).
 */
#include "kernel.h"

extern u8 vec_stubs[];
void enter_user(ulong ip, ulong sp, ulong cs) __attribute__((noreturn));

/* Segment reloads test a data segment with a nonzero base at 0x38. */
#define BASESEG 0x38
#define SEG_BASE 0x2000u

static u64 gdt[16] __attribute__((aligned(16)));
/* A not-present data segment (#NP) and the LDT's descriptor; the LDT
 * holds one data segment with base LDT_BASE at index 1. */
#define NPSEG 0x50
#define LDTSEG 0x60
#define LDT_DATA 0x0c /* index 1, TI=1, RPL 0 */
#define LDT_BASE 0x3000u
static u64 ldt[4] __attribute__((aligned(16)));

#ifdef __x86_64__
struct tss {
	u32 rsvd0;
	u64 rsp[3];
	u64 rsvd1;
	u64 ist[7];
	u64 rsvd2;
	u16 rsvd3, iomap;
} __attribute__((packed));
static u64 idt[512] __attribute__((aligned(16)));
#else
struct tss {
	u32 link, esp0, ss0, esp1, ss1, esp2, ss2, cr3, eip, eflags;
	u32 eax, ecx, edx, ebx, esp, ebp, esi, edi;
	u32 es, cs, ss, ds, fs, gs, ldt;
	u16 trap, iomap;
} __attribute__((packed));
static u64 idt[256] __attribute__((aligned(16)));
#endif

_Static_assert(sizeof(struct tss) == TSS_LIMIT + 1, "the TSS is 104 bytes");
static struct tss tss __attribute__((aligned(16)));
u8 tss_stack[8192] __attribute__((aligned(16)));
u8 ist_stack[8192] __attribute__((aligned(16)));
u8 user_stack[8192] __attribute__((aligned(4096)));
#define tss_stack_end ((ulong)tss_stack + sizeof tss_stack)
#define ist_stack_end ((ulong)ist_stack + sizeof ist_stack)
ulong user_stack_top;
static ulong user_cs = UCODE; /* the CS user_call enters (UCODE32: compatibility mode) */
ulong user_flags_or; /* EFLAGS bits enter_user adds (IF) */

static u64 seg(u32 base, u32 limit, u32 access, u32 flags)
{
	return (limit & 0xffff) | ((u64)(base & 0xffffff) << 16) | ((u64)access << 40) |
	       ((u64)((limit >> 16) & 0xf) << 48) | ((u64)flags << 52) | ((u64)(base >> 24) << 56);
}

struct __attribute__((packed)) dtr {
	u16 limit;
	ulong base;
};

void set_gate(int vec, void (*stub)(void), int dpl, int ist)
{
	ulong off = stub ? (ulong)stub : (ulong)vec_stubs + 16 * (ulong)vec;
	u64 lo = (off & 0xffff) | ((u64)KCODE << 16) | ((u64)(0x8e | dpl << 5) << 40) |
		 ((u64)((off >> 16) & 0xffff) << 48);
#ifdef __x86_64__
	lo |= (u64)(ist & 7) << 32;
	idt[2 * vec] = lo;
	idt[2 * vec + 1] = (u64)off >> 32;
#else
	(void)ist;
	idt[vec] = lo;
#endif
}

/* clear_gate_present makes vector vec's gate not present. */
void clear_gate_present(int vec)
{
#ifdef __x86_64__
	idt[2 * vec] &= ~(1ull << 47);
#else
	idt[vec] &= ~(1ull << 47);
#endif
}

/* make_trap_gate turns vector vec's gate into a trap gate (type 0xf). */
void make_trap_gate(int vec)
{
#ifdef __x86_64__
	idt[2 * vec] |= 1ull << 40;
#else
	idt[vec] |= 1ull << 40;
#endif
}

static void load_gdt(void)
{
	struct dtr d = {sizeof gdt - 1, (ulong)gdt};
	__asm__ volatile("lgdt %0" ::"m"(d));
#ifdef __x86_64__
	/* Reload CS with a far return, then the data segments. */
	__asm__ volatile("pushq %0; lea 1f(%%rip), %%rax; pushq %%rax; lretq; 1:" ::"i"(KCODE)
			 : "rax", "memory");
#else
	__asm__ volatile("ljmp %0, $1f; 1:" ::"i"(KCODE) : "memory");
#endif
	__asm__ volatile("mov %0, %%ds; mov %0, %%es; mov %0, %%ss; mov %1, %%fs; mov %1, %%gs" ::"r"(
				 (u16)KDATA),
			 "r"((u16)0));
}

void cpu_init(void)
{
	gdt[0] = 0;
#ifdef __x86_64__
	gdt[1] = seg(0, 0xfffff, 0x9a, 0xc); /* 0x08 kernel code, 32-bit */
	gdt[2] = seg(0, 0xfffff, 0x9a, 0xa); /* 0x10 kernel code, 64-bit */
	gdt[3] = seg(0, 0xfffff, 0x92, 0xc); /* 0x18 kernel data */
	gdt[4] = seg(0, 0xfffff, 0xfa, 0xc); /* 0x20 user code, 32-bit */
	gdt[5] = seg(0, 0xfffff, 0xf2, 0xc); /* 0x28 user data */
	gdt[6] = seg(0, 0xfffff, 0xfa, 0xa); /* 0x30 user code, 64-bit */
	gdt[7] = seg(SEG_BASE, 0xfffff, 0xf2, 0xc);
	gdt[8] = seg((u32)(ulong)&tss, sizeof tss - 1, 0x89, 0);
	gdt[9] = (ulong)&tss >> 32;
	gdt[LDTSEG / 8 + 1] = (ulong)ldt >> 32;
	tss.rsp[0] = tss_stack_end;
	tss.ist[0] = ist_stack_end;
#else
	gdt[1] = seg(0, 0xfffff, 0x9a, 0xc); /* 0x08 kernel code */
	gdt[2] = seg(0, 0xfffff, 0x92, 0xc); /* 0x10 kernel data */
	gdt[3] = seg(0, 0xfffff, 0xfa, 0xc); /* 0x18 user code */
	gdt[4] = seg(0, 0xfffff, 0xf2, 0xc); /* 0x20 user data */
	gdt[5] = seg((u32)&tss, sizeof tss - 1, 0x89, 0);
	gdt[7] = seg(SEG_BASE, 0xfffff, 0xf2, 0xc);
	tss.esp0 = tss_stack_end;
	tss.ss0 = KDATA;
#endif
	gdt[NPSEG / 8] = seg(0, 0xfffff, 0x12, 0xc); /* data, P=0 */
	gdt[LDTSEG / 8] = seg((u32)(ulong)ldt, sizeof ldt - 1, 0x82, 0);
	ldt[1] = seg(LDT_BASE, 0xfffff, 0x92, 0xc);
	tss.iomap = sizeof tss; /* no I/O permission bitmap: CPL 3 has no ports */
	user_stack_top = (ulong)user_stack + sizeof user_stack;
	user_cs = UCODE;
	load_gdt();
	__asm__ volatile("ltr %w0" ::"r"((u16)TSSSEL));
	for (int v = 0; v < 256; v++)
		set_gate(v, NULL, 0, 0);
	set_gate(VEC_USER, NULL, 3, 0);
#ifdef __x86_64__
	set_gate(VEC_IST, NULL, 3, 1);
#endif
	struct dtr d = {sizeof idt - 1, (ulong)idt};
	__asm__ volatile("lidt %0" ::"m"(d));
}

static void do_ltr(void) { __asm__ volatile("ltr %w0" ::"r"((u16)TSSSEL)); }

/* set_rsp0 points the TSS's ring-0 stack (ESP0/RSP0) at top; 0: the
 * kernel's TSS stack again. */
void set_rsp0(ulong top)
{
	if (!top)
		top = tss_stack_end;
#ifdef __x86_64__
	tss.rsp[0] = top;
#else
	tss.esp0 = top;
#endif
}

/* check_gdt: the GDT just loaded holds, the selectors read back, and a
 * data segment with a base reaches memory at that base through FS. */
void check_gdt(void)
{
	struct dtr d;
	__asm__ volatile("sgdt %0" : "=m"(d));
	u16 cs, ds, ss, tr;
	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	__asm__ volatile("mov %%ds, %0" : "=r"(ds));
	__asm__ volatile("mov %%ss, %0" : "=r"(ss));
	__asm__ volatile("str %0" : "=r"(tr));
	if (d.base != (ulong)gdt || d.limit != sizeof gdt - 1)
		fail("gdt-load", "sgdt base %lx limit %x want %lx %x", d.base, d.limit, (ulong)gdt,
		     (u32)sizeof gdt - 1);
	else if (cs != KCODE || ds != KDATA || ss != KDATA || tr != TSSSEL)
		fail("gdt-load", "cs %x ds %x ss %x tr %x", cs, ds, ss, tr);
	else
		ok("gdt-load");
	struct dtr di;
	__asm__ volatile("sidt %0" : "=m"(di));
	if (di.base != (ulong)idt || di.limit != sizeof idt - 1)
		fail("idt-load", "sidt base %lx limit %x want %lx %x", di.base, di.limit, (ulong)idt,
		     (u32)sizeof idt - 1);
	else
		ok("idt-load");

	volatile u32 *p = (volatile u32 *)(ulong)(SEG_BASE + 0x10);
	*p = 0x5eed1234;
	u32 v;
	u16 sel;
	__asm__ volatile("mov %2, %%fs; mov %%fs:0x10, %0; mov %%fs, %1; mov %3, %%fs"
			 : "=r"(v), "=r"(sel)
			 : "r"((u16)BASESEG), "r"((u16)0));
	if (v != 0x5eed1234 || sel != BASESEG)
		fail("segment-base", "fs:0x10 read %x (want 5eed1234), fs %x", v, sel);
	else
		ok("segment-base");
	/* LLDT, then a TI=1 selector reaches the LDT's segment. */
	__asm__ volatile("lldt %w0" ::"r"((u16)LDTSEG));
	volatile u32 *q = (volatile u32 *)(ulong)(LDT_BASE + 0x20);
	*q = 0x1d7a1d7a;
	u16 ldtr;
	__asm__ volatile("sldt %0" : "=r"(ldtr));
	__asm__ volatile("mov %1, %%fs; mov %%fs:0x20, %0; mov %2, %%fs"
			 : "=r"(v)
			 : "r"((u16)LDT_DATA), "r"((u16)0));
	__asm__ volatile("lldt %w0" ::"r"((u16)0));
	if (v != 0x1d7a1d7a || ldtr != LDTSEG)
		fail("ldt-segment", "fs:0x20 through the LDT read %x, sldt %x", v, ldtr);
	else
		ok("ldt-segment");
	/* LTR marked the TSS busy (type 0xb); LTR of a busy TSS is #GP. */
	{
		u32 type = (u32)(gdt[TSSSEL / 8] >> 40) & 0xf;
		struct fault f;
		int v = catch_call(do_ltr, &f) ? (int)f.vec : -1;
		if (type != 0xb)
			fail("ltr-busy", "TSS descriptor type %x after LTR, want b", type);
		else if (v != 13 || f.err != TSSSEL)
			fail("ltr-busy", "LTR of the busy TSS: vector %d error %lx, want #GP(%x)", v,
			     v >= 0 ? f.err : 0, TSSSEL);
		else
			ok("ltr-busy");
	}
	/* The accessed bit of the descriptor is set by the load. */
	if (!(gdt[BASESEG / 8] & (1ull << 40)))
		fail("segment-accessed", "descriptor %llx has no accessed bit", gdt[BASESEG / 8]);
	else
		ok("segment-accessed");
}

/* Exceptions during a catch_call or user_call come back here. */
volatile int in_catch;
static jmpbuf catch_jb;
struct fault last;
void (*irq_hook)(struct frame *f);

void trap(struct frame *f)
{
	ulong hflags = rdflags();
	if (f->vec >= 0x20 && f->vec < 0x30) {
		if (irq_hook)
			irq_hook(f);
		if (f->vec >= 0x28)
			outb(0xa0, 0x20);
		outb(0x20, 0x20);
		return;
	}
	if (f->vec >= 0x30 && f->vec < 0x40) {
		if (irq_hook)
			irq_hook(f);
		lapic_eoi();
		return;
	}
	if (in_catch) {
		in_catch = 0;
		last.vec = f->vec;
		last.err = f->err;
		last.ip = f->ip;
		last.cs = f->cs;
		last.cr2 = rdcr2();
		last.frame = (ulong)f;
		last.flags = f->flags;
		last.hflags = hflags;
		last.frame_end = (ulong)(&f->ss + 1);
#ifdef __x86_64__
		last.ax = f->rax;
		last.cx = f->rcx;
		last.si = f->rsi;
		last.di = f->rdi;
#else
		last.ax = f->eax;
		last.cx = f->ecx;
		last.si = f->esi;
		last.di = f->edi;
#endif
#ifdef __x86_64__
		last.sp = f->sp;
#else
		last.sp = (f->cs & 3) ? f->sp : 0;
#endif
		tk_longjmp(catch_jb, 1);
	}
	printf("FAIL unexpected exception %u error %lx at %lx:%lx cr2 %lx\n", (u32)f->vec,
	       (ulong)f->err, (ulong)f->cs, (ulong)f->ip, rdcr2());
	group_abort();
	poweroff();
}

/* catch_call runs fn at CPL 0; it returns 1 and fills out if fn raised an
 * exception (fn's frame is dropped), 0 if fn returned. */
int catch_call(void (*fn)(void), struct fault *out)
{
	struct fault *volatile o = out;
	if (tk_setjmp(catch_jb)) {
		*o = last;
		return 1;
	}
	in_catch = 1;
	fn();
	in_catch = 0;
	return 0;
}


/* user_call IRETs to fn at CPL 3 on stack usp; fn ends with INT 0x80 (or
 * raises an exception). It returns the vector that brought the CPU back. */
int user_call(void (*fn)(void), ulong usp, struct fault *out)
{
	struct fault *volatile o = out;
	if (tk_setjmp(catch_jb)) {
		*o = last;
		return (int)last.vec;
	}
	in_catch = 1;
	enter_user((ulong)fn, usp, user_cs);
}

#ifdef __x86_64__
/* user_call32 is user_call into 32-bit compatibility mode. */
int user_call32(void (*fn)(void), ulong usp, struct fault *out)
{
	user_cs = UCODE32;
	int r = user_call(fn, usp, out);
	user_cs = UCODE;
	return r;
}
#endif

int has_feat(u32 leaf, int reg, int bit)
{
	u32 r[4];
	cpuid(leaf & 0x80000000u, 0, &r[0], &r[1], &r[2], &r[3]);
	if (r[0] < leaf)
		return 0;
	cpuid(leaf, 0, &r[0], &r[1], &r[2], &r[3]);
	return (r[reg] >> bit) & 1;
}
