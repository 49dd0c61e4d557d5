// sigtest: guest scenarios for tests/signals. The test process runs each
// natively and under gemu, sends signals from outside at the points the
// program announces on stdout ("ready", ...), and compares what the two
// runs print and how they end. Output never depends on pids or timing.
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t probed, caught;

static void say(const char *s) { write(1, s, strlen(s)); }

static void sayf(const char *fmt, ...) {
	char b[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(b, sizeof b, fmt, ap);
	va_end(ap);
	write(1, b, n);
}

static const char *errname(int e) {
	switch (e) {
	case EINTR: return "EINTR";
	case EAGAIN: return "EAGAIN";
	case ECHILD: return "ECHILD";
	case ETIMEDOUT: return "ETIMEDOUT";
	}
	return "other";
}

// The handler of the signal under test: the first time, it reports the
// siginfo fields that do not depend on pids (the sender is the test
// process, our parent). The test may repeat a signal that came before
// the program reached the call it is to interrupt.
static void on_sig(int sig, siginfo_t *si, void *uc) {
	(void)uc;
	if (caught++ == 0)
		sayf("handler %d signo=%d code=%d from-parent=%s\n", sig, si->si_signo, si->si_code,
		     si->si_pid == getppid() ? "yes" : "no");
}

static void on_probe(int sig) { (void)sig; probed = 1; }

static void handle(int sig, void (*fn)(int, siginfo_t *, void *), int flags) {
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = fn;
	sa.sa_flags = SA_SIGINFO | flags;
	sigaction(sig, &sa, 0);
}

// wait_probe sleeps until the probe signal's handler ran.
static void wait_probe(int probe) {
	sigset_t m, old;
	sigemptyset(&m);
	sigaddset(&m, probe);
	sigprocmask(SIG_BLOCK, &m, &old);
	sigdelset(&old, probe);
	while (!probed)
		sigsuspend(&old);
}

// case MODE SIG PROBE: the signal SIG from outside with the guest's
// disposition handler (h), default (d), ignore (i), or blocked (b, then
// sigpending and unblocking). The test sends SIG after "ready", then the
// probe signal, whose handler ends the wait.
static int do_case(char mode, int sig, int probe) {
	signal(probe, on_probe);
	sigset_t m;
	switch (mode) {
	case 'h':
		handle(sig, on_sig, 0);
		break;
	case 'i':
		signal(sig, SIG_IGN);
		break;
	case 'b':
		sigemptyset(&m);
		sigaddset(&m, sig);
		sigprocmask(SIG_BLOCK, &m, 0);
		break;
	}
	say("ready\n");
	wait_probe(probe);
	if (mode == 'b') {
		sigpending(&m);
		sayf("pending %d: %s\n", sig, sigismember(&m, sig) ? "yes" : "no");
		sigemptyset(&m);
		sigaddset(&m, sig);
		sigprocmask(SIG_UNBLOCK, &m, 0);
		say("unblocked\n");
	}
	sayf("done caught=%d\n", (int)caught);
	return 0;
}

// disp: prints which signals start ignored, then survives what the test
// sends until the probe (SIGUSR1).
static int do_disp(void) {
	say("ignored:");
	for (int s = 1; s < 65; s++) {
		if (s == 32 || s == 33)
			continue;
		struct sigaction sa;
		if (sigaction(s, 0, &sa) == 0 && sa.sa_handler == SIG_IGN)
			sayf(" %d", s);
	}
	say("\n");
	signal(SIGUSR1, on_probe);
	say("ready\n");
	wait_probe(SIGUSR1);
	say("done\n");
	return 0;
}

// execign: ignores SIGHUP, SIGUSR2 and SIGWINCH, handles SIGTERM, then
// execs disp: ignored signals stay ignored, the handled one is reset.
static int do_execign(char *self) {
	signal(SIGHUP, SIG_IGN);
	signal(SIGUSR2, SIG_IGN);
	signal(SIGWINCH, SIG_IGN);
	handle(SIGTERM, on_sig, 0);
	char *argv[] = {self, "disp", 0};
	execv("/proc/self/exe", argv);
	perror("execv");
	return 1;
}

// group: two processes in a new process group (this one and a forked
// child, each a gemu under gemu) get kill(0, SIGUSR1) and
// kill(-pgrp, SIGUSR2) from the parent.
static void count(int sig, siginfo_t *si, void *uc) {
	(void)si, (void)uc;
	caught += sig == SIGUSR1 ? 1 : 10;
}

static int do_group(void) {
	setpgid(0, 0);
	handle(SIGUSR1, count, 0);
	handle(SIGUSR2, count, 0);
	sigset_t m, old;
	sigemptyset(&m);
	sigaddset(&m, SIGUSR1);
	sigaddset(&m, SIGUSR2);
	sigprocmask(SIG_BLOCK, &m, &old);
	int p[2];
	pipe(p);
	pid_t c = fork();
	if (c == 0) {
		write(p[1], "x", 1);
		while (caught != 11)
			sigsuspend(&old);
		_exit(caught);
	}
	char x;
	read(p[0], &x, 1);
	int r1 = kill(0, SIGUSR1);
	int r2 = kill(-getpgrp(), SIGUSR2);
	sayf("kill(0)=%d kill(-pgrp)=%d\n", r1, r2);
	sigprocmask(SIG_SETMASK, &old, 0);
	sayf("parent caught=%d\n", (int)caught);
	int st;
	waitpid(c, &st, 0);
	sayf("child exited=%d code=%d\n", WIFEXITED(st), WEXITSTATUS(st));
	return 0;
}

// stopchild: a forked child is stopped and continued from outside (the
// test reads its pid from the "child" line); waitpid reports both.
static int do_stopchild(void) {
	pid_t c = fork();
	if (c == 0) {
		for (;;)
			pause();
	}
	sayf("child %d\n", (int)c);
	int st;
	pid_t r = waitpid(c, &st, WUNTRACED);
	sayf("waitpid=%s stopped=%d sig=%d\n", r == c ? "child" : "other", WIFSTOPPED(st), WSTOPSIG(st));
	r = waitpid(c, &st, WCONTINUED);
	sayf("waitpid=%s continued=%d\n", r == c ? "child" : "other", WIFCONTINUED(st));
	kill(c, SIGTERM);
	r = waitpid(c, &st, 0);
	sayf("waitpid=%s signaled=%d sig=%d\n", r == c ? "child" : "other", WIFSIGNALED(st), WTERMSIG(st));
	return 0;
}

// read R: a read from stdin interrupted by SIGUSR1 (handler with
// SA_RESTART if R is 1): without it read fails with EINTR; with it read
// goes on and returns what the test writes after the handler ran.
static int do_read(int restart) {
	handle(SIGUSR1, on_sig, restart ? SA_RESTART : 0);
	say("ready\n");
	char b[16];
	ssize_t n = read(0, b, sizeof b);
	sayf("read=%d %s\n", (int)n, n < 0 ? errname(errno) : "");
	return 0;
}

// block OP: a blocking call interrupted by SIGUSR1 (no SA_RESTART), or
// (mmap) a huge mapping ended by SIGTERM.
static int futexword;

static int do_block(const char *op) {
	handle(SIGUSR1, on_sig, 0);
	long r = 0;
	if (!strcmp(op, "wait4")) {
		pid_t c = fork();
		if (c == 0) {
			sleep(30);
			_exit(0);
		}
		say("ready\n");
		int st;
		r = wait4(c, &st, 0, 0);
		sayf("%s=%ld %s\n", op, r, r < 0 ? errname(errno) : "");
		kill(c, SIGKILL);
		waitpid(c, &st, 0);
		return 0;
	}
	sigset_t usr1, old;
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	if (!strcmp(op, "sigsuspend"))
		sigprocmask(SIG_BLOCK, &usr1, &old);
	say("ready\n");
	if (!strcmp(op, "mmap")) {
		// A reservation that is instant natively and may take gemu
		// long; SIGTERM (default action) must end it promptly.
		mmap(0, 64UL << 30, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		for (;;)
			pause();
	} else if (!strcmp(op, "nanosleep")) {
		struct timespec ts = {30, 0};
		r = nanosleep(&ts, &ts);
	} else if (!strcmp(op, "pause")) {
		r = pause();
	} else if (!strcmp(op, "sigsuspend")) {
		r = sigsuspend(&old);
	} else if (!strcmp(op, "futex")) {
		r = syscall(SYS_futex, &futexword, FUTEX_WAIT, 0, 0, 0, 0);
	} else if (!strcmp(op, "select")) {
		struct timespec ts = {30, 0};
		r = pselect(0, 0, 0, 0, &ts, 0);
	}
	sayf("%s=%ld %s\n", op, r, r < 0 ? errname(errno) : "");
	return 0;
}

int main(int argc, char **argv) {
	setvbuf(stdout, 0, _IONBF, 0);
	if (argc < 2)
		return 2;
	const char *s = argv[1];
	if (!strcmp(s, "case") && argc == 5)
		return do_case(argv[2][0], atoi(argv[3]), atoi(argv[4]));
	if (!strcmp(s, "disp"))
		return do_disp();
	if (!strcmp(s, "execign"))
		return do_execign(argv[0]);
	if (!strcmp(s, "group"))
		return do_group();
	if (!strcmp(s, "stopchild"))
		return do_stopchild();
	if (!strcmp(s, "read") && argc == 3)
		return do_read(atoi(argv[2]));
	if (!strcmp(s, "block") && argc == 3)
		return do_block(argv[2]);
	return 2;
}
