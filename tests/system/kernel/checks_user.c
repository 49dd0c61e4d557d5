/*
 * Privilege transitions: IRET to CPL 3, back through a DPL 3 gate on the
 * TSS's ESP0/RSP0 stack (and IST 1 on x86-64), privileged instructions at
 * CPL 3, IOPL 3, CR4.TSD, a DPL 0 gate at CPL 3, SYSENTER/SYSEXIT,
 * SYSCALL/SYSRET; on x86-64 also compatibility mode, the interrupt
 * frame's alignment and translated code keyed by the CPU mode.
 */
#include "kernel.h"

/* Written by the user code and the fast-system-call entries (entry*.S). */
volatile u16 user_seen_cs, user_seen_ss, k_seen_cs, k_seen_ss;
volatile ulong user_seen_sp, user_seen_flags, k_seen_sp, k_seen_rcx, k_seen_r11, k_seen_flags;

extern char user_ret[], user_hlt[], user_cli[], user_movcr[], user_in[], user_rdmsr[],
	user_int30[], sysenter_entry[];
#ifdef __x86_64__
extern char user_ist[], user_syscall[], syscall_entry[], syscall_entry32[], user_ret32[],
	user_sysenter32[], user_syscall32[];
int user_call32(void (*fn)(void), ulong usp, struct fault *out);
#define USER_SYSENTER user_sysenter32
#define SYSENTER_UCS UCODE32
#else
extern char user_sysenter[];
#define USER_SYSENTER user_sysenter
#define SYSENTER_UCS UCODE
#endif

static u8 sysenter_stack[4096] __attribute__((aligned(16)));

static int within(ulong p, u8 *lo, ulong size) { return p >= (ulong)lo && p < (ulong)lo + size; }

static void check_iret(void)
{
	struct fault f;
	user_seen_cs = user_seen_ss = 0;
	int v = user_call((void (*)(void))user_ret, user_stack_top, &f);
	if (v != VEC_USER) {
		fail("cpl3-iret", "back through vector %d (error %lx at %lx)", v, f.err, f.ip);
		return;
	}
	if (user_seen_cs != UCODE || user_seen_ss != UDATA)
		fail("cpl3-iret", "user cs %x ss %x want %x %x", user_seen_cs, user_seen_ss, UCODE, UDATA);
	else
		ok("cpl3-iret");
	if (f.cs != UCODE || f.sp != user_stack_top)
		fail("int-dpl3-gate", "frame cs %lx sp %lx want %x %lx", f.cs, f.sp, UCODE, user_stack_top);
	else
		ok("int-dpl3-gate");
	if (!within(f.frame, tss_stack, 8192))
		fail("tss-stack-switch", "handler frame at %lx, not on the TSS stack %lx", f.frame,
		     (ulong)tss_stack);
	else
		ok("tss-stack-switch");
}

static void priv(const char *name, char *fn)
{
	struct fault f;
	int v = user_call((void (*)(void))fn, user_stack_top, &f);
	if (v != 13 || f.err != 0)
		fail(name, "vector %d error %lx want #GP(0)", v, f.err);
	else if (f.ip != (ulong)fn || f.cs != UCODE)
		fail(name, "fault at %lx:%lx want %x:%lx", f.cs, f.ip, UCODE, (ulong)fn);
	else
		ok(name);
}

static void check_priv(void)
{
	priv("cpl3-hlt-gp", user_hlt);
	priv("cpl3-cli-gp", user_cli);
	priv("cpl3-mov-cr3-gp", user_movcr);
	priv("cpl3-in-gp", user_in);
	priv("cpl3-rdmsr-gp", user_rdmsr);
	struct fault f;
	int v = user_call((void (*)(void))user_int30, user_stack_top, &f);
#ifdef __x86_64__
	if (v == 13 && f.err == 0x30 * 16 + 2) {
		skip("cpl3-int-dpl0-gp", "error code %lx is vector*16+2 (qemu's TCG in long mode; the "
					 "SDM: vector*8+2)",
		     f.err);
		return;
	}
#endif
	if (v != 13 || f.err != 0x30 * 8 + 2)
		fail("cpl3-int-dpl0-gp", "vector %d error %lx want #GP(%x)", v, f.err, 0x30 * 8 + 2);
	else if (f.ip != (ulong)user_int30)
		fail("cpl3-int-dpl0-gp", "fault at %lx want %lx", f.ip, (ulong)user_int30);
	else
		ok("cpl3-int-dpl0-gp");
}

static __attribute__((unused)) int is_intel(void)
{
	u32 a, b, c, d;
	cpuid(0, 0, &a, &b, &c, &d);
	return b == 0x756e6547 && d == 0x49656e69 && c == 0x6c65746e;
}

/* With IOPL 3 in the flags IRET loads, CLI and IN work at CPL 3: the user
 * code runs on to the next privileged instruction (MOV CR3, RDMSR). */
static void check_iopl(void)
{
	struct fault f, g;
	user_flags_or = 0x3000;
	int v = user_call((void (*)(void))user_cli, user_stack_top, &f);
	int w = user_call((void (*)(void))user_in, user_stack_top, &g);
	user_flags_or = 0;
	if (v != 13 || f.ip != (ulong)user_movcr)
		fail("cpl3-iopl3-cli", "vector %d at %lx, want #GP at %lx", v, f.ip, (ulong)user_movcr);
	else if (w != 13 || g.ip != (ulong)user_rdmsr)
		fail("cpl3-iopl3-in", "vector %d at %lx, want #GP at %lx", w, g.ip, (ulong)user_rdmsr);
	else
		ok("cpl3-iopl3-cli-in");
}

/* CR4.TSD: RDTSC at CPL 3 is #GP(0); without it, it runs. */
extern char user_rdtsc[];
static void check_tsd(void)
{
	struct fault f, g;
	ulong cr4 = rdcr4();
	wrcr4(cr4 | 4);
	int v = user_call((void (*)(void))user_rdtsc, user_stack_top, &f);
	wrcr4(cr4 & ~4ul);
	int w = user_call((void (*)(void))user_rdtsc, user_stack_top, &g);
	wrcr4(cr4);
	if (v != 13 || f.err != 0 || f.ip != (ulong)user_rdtsc)
		fail("cpl3-rdtsc-tsd", "with CR4.TSD: vector %d error %lx at %lx, want #GP(0) at %lx", v,
		     f.err, f.ip, (ulong)user_rdtsc);
	else if (w != VEC_USER)
		fail("cpl3-rdtsc-tsd", "without CR4.TSD: vector %d", w);
	else
		ok("cpl3-rdtsc-tsd");
}

static void check_sysenter(void)
{
	struct fault f;
#ifdef __x86_64__
	/* SYSENTER/SYSEXIT in IA-32e mode are Intel's (AMD: #UD in long
	 * mode; qemu's TCG then runs SYSENTER but refuses SYSEXIT). */
	if (!is_intel()) {
		const char *why = "SYSENTER in long mode needs an Intel CPU (CPUID vendor)";
		skip("sysenter", why);
		skip("sysexit", why);
		skip("sysenter-cs0-gp", why);
		return;
	}
#endif
	ulong top = (ulong)sysenter_stack + sizeof sysenter_stack;
	wrmsr(0x174, KCODE);
	wrmsr(0x175, top);
	wrmsr(0x176, (ulong)sysenter_entry);
	k_seen_cs = k_seen_ss = user_seen_cs = user_seen_ss = 0;
	k_seen_sp = 0;
#ifdef __x86_64__
	int v = user_call32((void (*)(void))USER_SYSENTER, user_stack_top, &f);
#else
	int v = user_call((void (*)(void))USER_SYSENTER, user_stack_top, &f);
#endif
	if (v != VEC_USER)
		fail("sysenter", "back through vector %d error %lx at %lx:%lx", v, f.err, f.cs, f.ip);
	else if (k_seen_cs != KCODE || k_seen_ss != KDATA || k_seen_sp != top)
		fail("sysenter", "kernel cs %x ss %x sp %lx want %x %x %lx", k_seen_cs, k_seen_ss,
		     k_seen_sp, KCODE, KDATA, top);
	else
		ok("sysenter");
	if (v == VEC_USER) {
		if (user_seen_cs != SYSENTER_UCS || user_seen_ss != UDATA ||
		    user_seen_sp != user_stack_top)
			fail("sysexit", "user cs %x ss %x sp %lx want %x %x %lx", user_seen_cs,
			     user_seen_ss, user_seen_sp, SYSENTER_UCS, UDATA, user_stack_top);
		else
			ok("sysexit");
	}
	/* SYSENTER with IA32_SYSENTER_CS zero is #GP(0). */
	wrmsr(0x174, 0);
#ifdef __x86_64__
	v = user_call32((void (*)(void))USER_SYSENTER, user_stack_top, &f);
#else
	v = user_call((void (*)(void))USER_SYSENTER, user_stack_top, &f);
#endif
	if (v != 13 || f.err != 0)
		fail("sysenter-cs0-gp", "vector %d error %lx want #GP(0)", v, f.err);
	else
		ok("sysenter-cs0-gp");
}

#ifdef __x86_64__
static void do_int81(void) { __asm__ volatile("int $0x81"); }

static void check_ist(void)
{
	struct fault f;
	int v = user_call((void (*)(void))user_ist, user_stack_top, &f);
	if (v != VEC_IST || !within(f.frame, ist_stack, 8192))
		fail("ist-from-cpl3", "vector %d frame %lx, IST stack at %lx", v, f.frame, (ulong)ist_stack);
	else
		ok("ist-from-cpl3");
	if (!catch_call(do_int81, &f) || f.vec != VEC_IST || !within(f.frame, ist_stack, 8192))
		fail("ist-from-cpl0", "vector %lu frame %lx, IST stack at %lx", f.vec, f.frame,
		     (ulong)ist_stack);
	else
		ok("ist-from-cpl0");
}

static void do_int80_aligned(void) { __asm__ volatile("int $0x80"); }
static void do_int80_odd(void) { __asm__ volatile("push %%rax; int $0x80; pop %%rax" ::: "memory"); }

/* In 64-bit mode the CPU aligns RSP to 16 before it pushes the frame. */
static void check_align(void)
{
	struct fault f, g;
	catch_call(do_int80_aligned, &f);
	catch_call(do_int80_odd, &g);
	if ((f.frame_end & 15) || (g.frame_end & 15))
		fail("int-frame-align16", "frames end at %lx and %lx", f.frame_end, g.frame_end);
	else
		ok("int-frame-align16");
}

/* The same bytes at the same address mean different code in 64-bit and
 * in compatibility mode (0x48: REX.W, or DEC EAX): translated code is
 * keyed by the mode too. */
static u8 twomode[] = {
	0x31, 0xc0,       /* xor %eax, %eax */
	0x48, 0xff, 0xc0, /* 64-bit: inc %rax (1); 32-bit: dec %eax; inc %eax (0) */
	0xcd, 0x80,       /* int $0x80 */
};

static void check_mode_key(void)
{
	struct fault f;
	int v1 = user_call((void (*)(void))twomode, user_stack_top, &f);
	ulong a1 = f.ax;
	int v2 = user_call32((void (*)(void))twomode, user_stack_top, &f);
	ulong a2 = f.ax;
	int v3 = user_call((void (*)(void))twomode, user_stack_top, &f);
	ulong a3 = f.ax;
	if (v1 != VEC_USER || v2 != VEC_USER || v3 != VEC_USER || a1 != 1 || a2 != 0 || a3 != 1)
		fail("code-mode-key", "64-bit %lx, compatibility %lx, 64-bit %lx (want 1 0 1)", a1, a2,
		     a3);
	else
		ok("code-mode-key");
}

static void check_compat(void)
{
	struct fault f;
	user_seen_cs = 0;
	int v = user_call32((void (*)(void))user_ret32, user_stack_top, &f);
	if (v != VEC_USER || user_seen_cs != UCODE32 || f.cs != UCODE32)
		fail("cpl3-compat", "vector %d user cs %x frame cs %lx", v, user_seen_cs, f.cs);
	else
		ok("cpl3-compat");
}

static void check_syscall(void)
{
	struct fault f;
	u64 efer = rdmsr(MSR_EFER);
	wrmsr(0xc0000081u, (u64)0x20 << 48 | (u64)KCODE << 32); /* STAR */
	wrmsr(0xc0000082u, (ulong)syscall_entry);                /* LSTAR */
	wrmsr(0xc0000083u, (ulong)syscall_entry32);              /* CSTAR */
	wrmsr(0xc0000084u, 0x400);                               /* FMASK: DF */
	wrmsr(MSR_EFER, efer & ~(u64)EFER_SCE);
	int v = user_call((void (*)(void))user_syscall, user_stack_top, &f);
	if (v != 6)
		fail("syscall-sce0-ud", "vector %d want #UD", v);
	else
		ok("syscall-sce0-ud");

	wrmsr(MSR_EFER, efer | EFER_SCE);
	k_seen_cs = k_seen_ss = user_seen_cs = user_seen_ss = 0;
	k_seen_flags = k_seen_r11 = k_seen_rcx = user_seen_flags = 0;
	v = user_call((void (*)(void))user_syscall, user_stack_top, &f);
	ulong after = (ulong)user_syscall + 3; /* std (1) + syscall (2) */
	if (v != VEC_USER)
		fail("syscall", "back through vector %d error %lx at %lx", v, f.err, f.ip);
	else if (k_seen_cs != KCODE || k_seen_ss != KDATA || k_seen_sp != user_stack_top)
		fail("syscall", "kernel cs %x ss %x rsp %lx want %x %x %lx", k_seen_cs, k_seen_ss,
		     k_seen_sp, KCODE, KDATA, user_stack_top);
	else if (k_seen_rcx != after || !(k_seen_r11 & 0x400) || (k_seen_flags & 0x400))
		fail("syscall", "rcx %lx (want %lx) r11 %lx kernel rflags %lx (FMASK: DF)", k_seen_rcx,
		     after, k_seen_r11, k_seen_flags);
	else
		ok("syscall");
	if (v == VEC_USER) {
		if (user_seen_cs != UCODE || user_seen_ss != UDATA || !(user_seen_flags & 0x400))
			fail("sysret", "user cs %x ss %x rflags %lx", user_seen_cs, user_seen_ss,
			     user_seen_flags);
		else
			ok("sysret");
	}

	/* SYSCALL in compatibility mode: #UD on Intel, CSTAR on AMD. */
	k_seen_cs = user_seen_cs = 0;
	k_seen_rcx = 0;
	v = user_call32((void (*)(void))user_syscall32, user_stack_top, &f);
	if (is_intel()) {
		if (v == VEC_USER)
			skip("syscall-compat", "SYSCALL in compatibility mode reached CSTAR on an Intel "
					       "CPU (hardware: #UD; qemu's TCG runs it)");
		else if (v != 6)
			fail("syscall-compat", "vector %d want #UD (Intel)", v);
		else
			ok("syscall-compat");
	} else if (v != VEC_USER)
		fail("syscall-compat", "back through vector %d error %lx at %lx", v, f.err, f.ip);
	else if (k_seen_cs != KCODE || k_seen_rcx != (ulong)user_syscall32 + 2 ||
		 user_seen_cs != UCODE32 || user_seen_ss != UDATA)
		fail("syscall-compat", "kernel cs %x rcx %lx, user cs %x ss %x", k_seen_cs, k_seen_rcx,
		     user_seen_cs, user_seen_ss);
	else
		ok("syscall-compat");
	wrmsr(MSR_EFER, efer);
}
#endif

void check_user(void)
{
	check_iret();
	check_priv();
	check_iopl();
	check_tsd();
	check_sysenter();
#ifdef __x86_64__
	check_ist();
	check_align();
	check_compat();
	check_mode_key();
	check_syscall();
#endif
}
