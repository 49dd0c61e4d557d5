/*
 * The freestanding test kernel of gemu-system (tests/system): shared
 * declarations of the i386 and the x86-64 build. Every check prints one
 * line over COM1: "ok NAME", "FAIL NAME: what", or "skip NAME: why".
 */
#ifndef TK_KERNEL_H
#define TK_KERNEL_H

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef unsigned long ulong; /* register width */

#define NULL ((void *)0)

/* Selectors, the same numbers in both kernels where they can be. */
#ifdef __x86_64__
#define KCODE 0x10
#define KDATA 0x18
#define UCODE32 0x23
#define UDATA 0x2b
#define UCODE 0x33
#define TSSSEL 0x40
#define TSS_LIMIT 0x67
#else
#define KCODE 0x08
#define KDATA 0x10
#define UCODE 0x1b
#define UDATA 0x23
#define TSSSEL 0x28
#define TSS_LIMIT 0x67
#endif

/* Interrupt vectors the kernel installs besides the exceptions. */
#define VEC_IRQ0 0x20
#define VEC_LAPIC 0x30 /* the LAPIC timer; 0x30-0x3f end with a LAPIC EOI */
#define VEC_USER 0x80 /* DPL 3 gate: user code returns to the kernel */
#define VEC_IST 0x81  /* x86-64: a gate with IST 1 */

/* The register frame the interrupt stubs build (entry32.S/entry64.S). */
#ifdef __x86_64__
struct frame {
	u64 r15, r14, r13, r12, r11, r10, r9, r8;
	u64 rdi, rsi, rbp, rbx, rdx, rcx, rax;
	u64 vec, err;
	u64 ip, cs, flags, sp, ss;
};
#else
struct frame {
	u32 es, ds;
	u32 edi, esi, ebp, esp0, ebx, edx, ecx, eax;
	u32 vec, err;
	u32 ip, cs, flags;
	u32 sp, ss; /* only when the interrupt came from CPL 3 */
};
#endif

/* What the last caught exception (or user INT) looked like. */
struct fault {
	ulong vec, err, ip, cs, cr2, sp, frame;
	ulong flags;   /* the EFLAGS the interrupted code had (frame) */
	ulong hflags;  /* the EFLAGS the handler started with */
	ulong frame_end; /* the address just above the CPU's frame (x86-64: SS + 8) */
	ulong ax, cx, si, di; /* registers of the interrupted code */
};

/* setjmp/longjmp of the kernel (entry*.S): callee-saved registers. */
typedef ulong jmpbuf[8];
int tk_setjmp(jmpbuf jb);
void tk_longjmp(jmpbuf jb, int v) __attribute__((noreturn));

/* console.c */
void putc(char c);
void puts(const char *s);
void printf(const char *fmt, ...);
void ok(const char *name);
void fail(const char *name, const char *fmt, ...);
void skip(const char *name, const char *fmt, ...);
void poweroff(void) __attribute__((noreturn));
void *memset(void *d, int c, unsigned long n);
void *memcpy(void *d, const void *s, unsigned long n);
extern int failures;

/* cpu.c */
void cpu_init(void);
void set_gate(int vec, void (*stub)(void), int dpl, int ist);
void set_rsp0(ulong top);
extern void (*irq_hook)(struct frame *f);
int catch_call(void (*fn)(void), struct fault *out);
int user_call(void (*fn)(void), ulong usp, struct fault *out);
extern struct fault last;
extern u8 tss_stack[], ist_stack[];
extern volatile int in_catch;
extern ulong user_stack_top;
extern u8 user_stack[];
void trap(struct frame *f);
void group_abort(void);
extern ulong user_flags_or;

/* checks */
void check_basic(void);
void check_io(void);
void check_msr(void);
void check_fxsave(void);
void check_paging(void);
void check_user(void);
void check_timer(void);
void check_apic(void);
void check_uart(void);
void check_rtc_pci(void);
void check_lapic_timer(void);
void lapic_eoi(void);

/* Small inline helpers. */
static inline void outb(u16 port, u8 v) { __asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port)); }
static inline u8 inb(u16 port)
{
	u8 v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline void outl(u16 port, u32 v) { __asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(port)); }
static inline u32 inl(u16 port)
{
	u32 v;
	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline void cpuid(u32 leaf, u32 sub, u32 *a, u32 *b, u32 *c, u32 *d)
{
	__asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(sub));
}
static inline u64 rdmsr(u32 msr)
{
	u32 lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((u64)hi << 32) | lo;
}
static inline void wrmsr(u32 msr, u64 v)
{
	__asm__ volatile("wrmsr" ::"c"(msr), "a"((u32)v), "d"((u32)(v >> 32)));
}
static inline u64 rdtsc(void)
{
	u32 lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((u64)hi << 32) | lo;
}
#define RDCR(n)                                                  \
	static inline ulong rdcr##n(void)                        \
	{                                                        \
		ulong v;                                         \
		__asm__ volatile("mov %%cr" #n ", %0" : "=r"(v)); \
		return v;                                        \
	}                                                        \
	static inline void wrcr##n(ulong v) { __asm__ volatile("mov %0, %%cr" #n ::"r"(v) : "memory"); }
RDCR(0)
RDCR(2)
RDCR(3)
RDCR(4)
static inline void invlpg(ulong va) { __asm__ volatile("invlpg (%0)" ::"r"(va) : "memory"); }
static inline ulong rdflags(void)
{
	ulong v;
	__asm__ volatile("pushf; pop %0" : "=r"(v));
	return v;
}

/* CPUID helpers (cpu.c). */
int has_feat(u32 leaf, int reg, int bit); /* reg: 0 eax,1 ebx,2 ecx,3 edx */

#define CR0_WP 0x10000u
#define CR0_PG 0x80000000u
#define CR4_PSE 0x10u
#define CR4_PAE 0x20u
#define CR4_PGE 0x80u
#define CR4_OSFXSR 0x200u
#define MSR_EFER 0xc0000080u
#define EFER_SCE 0x1u
#define EFER_LME 0x100u
#define EFER_NXE 0x800u

#endif
