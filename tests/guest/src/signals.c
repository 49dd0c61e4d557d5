// gemu-test: dyn=1
// Signal delivery: sigaction with SA_SIGINFO (si_signo/si_code/si_addr),
// handlers for synchronous faults (SIGSEGV, SIGILL, SIGFPE, SIGTRAP, SIGBUS)
// returning via siglongjmp or by editing the saved context, sa_mask and
// nesting order, SA_RESETHAND, SA_NODEFER, sigprocmask/sigpending, real-time
// signal queueing, sigqueue values, sigaltstack, setitimer + sigsuspend,
// EINTR from a blocking read.
#include "gt.h"
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <ucontext.h>
#include <unistd.h>

static sigjmp_buf jb;
static volatile sig_atomic_t got[65];
static char order[256];
static volatile int olen;
static volatile void *fault_addr;
static volatile int fault_code;

static void note(char c)
{
	if (olen < 255)
		order[olen++] = c;
}

static void jump_handler(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	fault_addr = si->si_addr;
	fault_code = si->si_code;
	siglongjmp(jb, sig);
}

extern char after_ud2[], after_int3[];

static void skip_handler(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	fault_code = si->si_code;
#ifdef __x86_64__
	greg_t *ip = &uc->uc_mcontext.gregs[REG_RIP];
#else
	greg_t *ip = &uc->uc_mcontext.gregs[REG_EIP];
#endif
	if (sig == SIGILL) {
		printf("SIGILL at ud2: ip points at after_ud2-2: %s\n", (char *)*ip == after_ud2 - 2 ? "yes" : "no");
		*ip += 2; /* skip the ud2 */
	} else if (sig == SIGTRAP) {
		printf("SIGTRAP ip is after int3: %s\n", (char *)*ip == after_int3 ? "yes" : "no");
	}
}

static void usr_handler(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	got[sig]++;
	if (sig == SIGUSR1) {
		note('1');
		raise(SIGUSR2); /* blocked by sa_mask: delivered after we return */
		note('a');
	} else if (sig == SIGUSR2) {
		note('2');
	} else if (sig >= SIGRTMIN && sig <= SIGRTMAX) {
		note((char)('A' + si->si_value.sival_int));
	} else if (sig == SIGALRM) {
		note('T');
	}
}

static char altstack[65536];
static void alt_handler(int sig)
{
	char local;
	stack_t ss;
	sigaltstack(NULL, &ss);
	(void)sig;
	printf("on alternate stack: %s, SS_ONSTACK: %s\n",
	       &local >= altstack && &local < altstack + sizeof altstack ? "yes" : "no", (ss.ss_flags & SS_ONSTACK) ? "yes" : "no");
}

static void install(int sig, void (*h)(int, siginfo_t *, void *), int flags, int masksig)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = h;
	sa.sa_flags = SA_SIGINFO | flags;
	sigemptyset(&sa.sa_mask);
	if (masksig)
		sigaddset(&sa.sa_mask, masksig);
	sigaction(sig, &sa, NULL);
}

int main(void)
{
	/* synchronous faults caught with siglongjmp */
	install(SIGSEGV, jump_handler, 0, 0);
	install(SIGFPE, jump_handler, 0, 0);
	install(SIGBUS, jump_handler, 0, 0);
	volatile int *bad = (volatile int *)(uintptr_t)0x10;
	int r = sigsetjmp(jb, 1);
	if (r == 0)
		*bad = 1;
	printf("SIGSEGV caught: sig=%d si_addr ok: %s code=%s\n", r, fault_addr == (void *)bad ? "yes" : "no",
	       fault_code == SEGV_MAPERR ? "SEGV_MAPERR" : "other");
	char *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	r = sigsetjmp(jb, 1);
	if (r == 0)
		ro[100] = 1;
	printf("write to PROT_READ: sig=%d si_addr ok: %s code=%s\n", r, fault_addr == ro + 100 ? "yes" : "no",
	       fault_code == SEGV_ACCERR ? "SEGV_ACCERR" : "other");
	volatile int zero = 0;
	r = sigsetjmp(jb, 1);
	if (r == 0)
		zero = 5 / zero;
	printf("SIGFPE caught: sig=%d code=%s\n", r, fault_code == FPE_INTDIV ? "FPE_INTDIV" : "other");
	/* the handler ran with SIGSEGV blocked; sigsetjmp(,1) restored the mask */
	sigset_t cur;
	sigprocmask(SIG_BLOCK, NULL, &cur);
	printf("SIGSEGV blocked after siglongjmp: %d\n", sigismember(&cur, SIGSEGV));
	volatile int many = 0;
	for (volatile int i = 0; i < 50; i++) {
		if (sigsetjmp(jb, 1) == 0)
			*bad = i;
		else
			many++;
	}
	printf("50 repeated faults caught: %d\n", many);

	/* handlers that return after editing the context */
	install(SIGILL, skip_handler, 0, 0);
	install(SIGTRAP, skip_handler, 0, 0);
	__asm__ volatile("ud2\n.globl after_ud2\nafter_ud2:");
	printf("continued after ud2, si_code=%s\n", fault_code == ILL_ILLOPN ? "ILL_ILLOPN" : "other");
	__asm__ volatile("int3\n.globl after_int3\nafter_int3:");
	printf("continued after int3\n");

	/* mask and ordering */
	install(SIGUSR1, usr_handler, 0, SIGUSR2);
	install(SIGUSR2, usr_handler, 0, 0);
	raise(SIGUSR1);
	note('|');
	sigset_t set, pend;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, NULL);
	raise(SIGUSR2);
	raise(SIGUSR2); /* standard signals coalesce */
	sigpending(&pend);
	printf("SIGUSR2 pending while blocked: %d delivered so far: %d\n", sigismember(&pend, SIGUSR2), (int)got[SIGUSR2]);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	note('|');
	/* real-time signals queue, in order, with values */
	int rt = SIGRTMIN + 2;
	install(rt, usr_handler, 0, 0);
	sigemptyset(&set);
	sigaddset(&set, rt);
	sigprocmask(SIG_BLOCK, &set, NULL);
	for (int i = 0; i < 5; i++) {
		union sigval v = {.sival_int = i};
		sigqueue(getpid(), rt, v);
	}
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	note(0);
	printf("delivery order: %s\n", order);
	printf("counts: usr1=%d usr2=%d rt=%d\n", (int)got[SIGUSR1], (int)got[SIGUSR2], (int)got[rt]);

	/* SA_RESETHAND */
	install(SIGUSR2, usr_handler, SA_RESETHAND, 0);
	raise(SIGUSR2);
	struct sigaction old;
	sigaction(SIGUSR2, NULL, &old);
	printf("SA_RESETHAND reset to default: %s\n", old.sa_handler == SIG_DFL ? "yes" : "no");
	/* ignored signal */
	signal(SIGUSR2, SIG_IGN);
	raise(SIGUSR2);
	printf("ignored SIGUSR2 survived\n");

	/* alternate stack */
	stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0};
	printf("sigaltstack: %d\n", sigaltstack(&ss, NULL));
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = alt_handler;
	sa.sa_flags = SA_ONSTACK;
	sigaction(SIGWINCH, &sa, NULL);
	raise(SIGWINCH);

	/* timer signal and sigsuspend */
	install(SIGALRM, usr_handler, 0, 0);
	sigemptyset(&set);
	sigaddset(&set, SIGALRM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	struct itimerval it = {{0, 0}, {0, 20000}};
	setitimer(ITIMER_REAL, &it, NULL);
	sigset_t waitmask;
	sigemptyset(&waitmask);
	r = sigsuspend(&waitmask);
	printf("sigsuspend returned %d errno=%s alarm count=%d\n", r, errno == EINTR ? "EINTR" : "?", (int)got[SIGALRM]);
	sigprocmask(SIG_UNBLOCK, &set, NULL);

	/* a blocking read interrupted by a signal without SA_RESTART */
	int p[2];
	pipe(p);
	it.it_value.tv_usec = 20000;
	setitimer(ITIMER_REAL, &it, NULL);
	char c;
	ssize_t n = read(p[0], &c, 1);
	printf("blocking read interrupted: %zd errno=%s alarms=%d\n", n, errno == EINTR ? "EINTR" : "?", (int)got[SIGALRM]);
	/* sigwaitinfo */
	sigprocmask(SIG_BLOCK, &set, NULL);
	it.it_value.tv_usec = 10000;
	setitimer(ITIMER_REAL, &it, NULL);
	siginfo_t si;
	r = sigwaitinfo(&set, &si);
	printf("sigwaitinfo: %s si_signo ok: %s\n", r == SIGALRM ? "SIGALRM" : "?", si.si_signo == SIGALRM ? "yes" : "no");
	return 0;
}
