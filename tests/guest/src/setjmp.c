// gemu-test: dyn=1
// setjmp/longjmp through many frames, volatile locals, sigsetjmp/siglongjmp
// with signal mask restore, longjmp out of a signal handler.
#include "gt.h"
#pragma GCC diagnostic ignored "-Winfinite-recursion"
#include <setjmp.h>
#include <signal.h>

static jmp_buf jb;
static int depth_reached;

static __attribute__((noinline)) void dive(int n)
{
	volatile char buf[64];
	buf[0] = (char)n;
	if (n == 0) {
		depth_reached = 1;
		longjmp(jb, 42 + buf[0]);
	}
	dive(n - 1);
	buf[1] = 0; /* not reached */
}

static sigjmp_buf sjb;
static void handler(int sig)
{
	siglongjmp(sjb, sig);
}

int main(void)
{
	volatile int counter = 0;
	int r = setjmp(jb);
	counter++;
	printf("setjmp returned %d counter=%d\n", r, counter);
	if (r == 0)
		dive(1000);
	printf("after longjmp: depth_reached=%d\n", depth_reached);

	/* longjmp with value 0 becomes 1 */
	r = setjmp(jb);
	if (r == 0)
		longjmp(jb, 0);
	printf("longjmp(0) gives %d\n", r);

	/* repeated jumps */
	volatile int loops = 0;
	r = setjmp(jb);
	if (loops < 100) {
		loops++;
		longjmp(jb, loops);
	}
	printf("looped %d times, last r=%d\n", loops, r);

	/* sigsetjmp with mask save: the handler's mask is undone by siglongjmp */
	signal(SIGUSR1, handler);
	sigset_t set, old;
	r = sigsetjmp(sjb, 1);
	if (r == 0) {
		raise(SIGUSR1);
		printf("not reached\n");
	}
	sigprocmask(SIG_BLOCK, NULL, &old);
	printf("sigsetjmp returned %d, SIGUSR1 blocked after: %d\n", r, sigismember(&old, SIGUSR1));

	/* without mask save the handler's blocked mask survives */
	r = sigsetjmp(sjb, 0);
	if (r == 0)
		raise(SIGUSR1);
	sigprocmask(SIG_BLOCK, NULL, &old);
	printf("sigsetjmp(0) returned %d, SIGUSR1 blocked after: %d\n", r, sigismember(&old, SIGUSR1));
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	return 0;
}
