// A SIGSEGV handler that makes the faulting code executable (mprotect
// PROT_EXEC, or mmap of the missing page) and returns: the call that
// faulted runs again and succeeds. Also a page that was executable, lost
// PROT_EXEC (fault) and got it back, and an instruction that runs from an
// executable page into a non-executable one.
#include "gt.h"
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

typedef int (*fn_t)(void);

static unsigned char *page;      /* the code page the handler fixes */
static int fix;                  /* 0: mprotect RX, 1: mmap fixed with code */
static volatile int faults;
static volatile int fault_code;
static volatile int fault_at_page;

/* mov eax, imm32; ret */
static void gen(unsigned char *p, uint32_t v)
{
	p[0] = 0xb8;
	memcpy(p + 1, &v, 4);
	p[5] = 0xc3;
}

static void handler(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	faults++;
	fault_code = si->si_code;
	fault_at_page = (unsigned char *)si->si_addr >= page && (unsigned char *)si->si_addr < page + 2 * 4096;
	if (faults > 3) {
		static const char m[] = "handler looping\n";
		write(1, m, sizeof m - 1);
		_exit(3);
	}
	if (fix == 0) {
		mprotect(page, 2 * 4096, PROT_READ | PROT_EXEC);
	} else {
		void *p = mmap(page, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		if (p == MAP_FAILED) {
			_exit(4);
		}
		gen(page, 77);
	}
}

static void run(const char *what, int off)
{
	faults = 0;
	fault_code = -1;
	fault_at_page = 0;
	int r = ((fn_t)(void *)(page + off))();
	printf("%s: result %d, faults %d, si_code %d, si_addr in page %d\n", what, r, faults, fault_code, fault_at_page);
}

int main(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = handler;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigaction(SIGSEGV, &sa, 0);

	page = mmap(0, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	gen(page, 42);
	fix = 0;
	run("rw page, handler adds PROT_EXEC", 0);
	run("now executable", 0);

	/* executable, then not, then executable again from the handler */
	mprotect(page, 2 * 4096, PROT_READ | PROT_WRITE);
	gen(page, 43);
	run("exec removed, handler restores it", 0);

	/* PROT_NONE: the handler makes it executable */
	mprotect(page, 2 * 4096, PROT_NONE);
	run("PROT_NONE page, handler adds PROT_EXEC", 0);

	/* an instruction starting on an executable page, ending on the next */
	mprotect(page, 2 * 4096, PROT_READ | PROT_WRITE);
	gen(page + 4096 - 2, 44);
	mprotect(page, 4096, PROT_READ | PROT_EXEC);
	run("instruction crossing into a non-exec page", 4096 - 2);

	/* an unmapped page: the handler maps code there */
	munmap(page, 2 * 4096);
	fix = 1;
	run("unmapped page, handler maps code", 0);
	run("mapped", 0);
	return 0;
}
