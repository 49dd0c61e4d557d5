// POSIX message queues (issue 15 item 4): mq_open with attributes
// (O_CREAT, O_EXCL, O_NONBLOCK), mq_getattr/mq_setattr, mq_send and
// mq_receive in priority order with the priority returned, EMSGSIZE,
// EAGAIN, ETIMEDOUT of mq_timedsend/mq_timedreceive, poll on a queue,
// mq_notify with SIGEV_SIGNAL (SI_MESGQ, the sender's pid and the value,
// once; EBUSY for a second registration) and glibc's SIGEV_THREAD, a
// forked child sending, mq_unlink, and error paths (EBADF, EINVAL,
// ENOENT, EEXIST, EFAULT).
#include "gt.h"
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BAD ((void *)16)

static void res(const char *what, long r)
{
	if (r < 0)
		printf("%s: -1 %s\n", what, strerrorname_np(errno));
	else
		printf("%s: %ld\n", what, r);
}

static volatile int got_sig, got_code, got_value, got_pid;

static void handler(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	got_sig = sig;
	got_code = si->si_code;
	got_value = si->si_value.sival_int;
	got_pid = si->si_pid;
}

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int thread_value;

static void notified(union sigval v)
{
	pthread_mutex_lock(&mu);
	thread_value = v.sival_int;
	pthread_cond_signal(&cv);
	pthread_mutex_unlock(&mu);
}

static struct timespec soon(long ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += ms * 1000000;
	ts.tv_sec += ts.tv_nsec / 1000000000;
	ts.tv_nsec %= 1000000000;
	return ts;
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	char name[64];
	snprintf(name, sizeof name, "/gemu-test-%d", getpid());
	mq_unlink(name);
	struct mq_attr at = {0, 4, 32, 0, {0}};
	mqd_t q = mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, &at);
	printf("mq_open: %s\n", q >= 0 ? "ok" : strerrorname_np(errno));
	printf("  close-on-exec: %s\n", fcntl(q, F_GETFD) & FD_CLOEXEC ? "yes" : "no");
	res("mq_open O_EXCL again", mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, &at));
	res("mq_open missing", mq_open("/gemu-test-missing", O_RDWR));
	res("mq_open no slash name", mq_open("a/b", O_RDWR | O_CREAT, 0600, NULL));
	struct mq_attr bad = {0, 0, 32, 0, {0}};
	res("mq_open maxmsg 0", mq_open("/gemu-test-x", O_RDWR | O_CREAT, 0600, &bad));
	res("mq_open bad attr pointer", syscall(SYS_mq_open, name + 1, O_RDWR | O_CREAT, 0600, BAD));
	res("mq_open bad name pointer", syscall(SYS_mq_open, BAD, O_RDWR, 0, NULL));
	memset(&at, 0xee, sizeof at);
	res("mq_getattr", mq_getattr(q, &at));
	printf("  flags %ld maxmsg %ld msgsize %ld curmsgs %ld\n", at.mq_flags, at.mq_maxmsg, at.mq_msgsize,
	       at.mq_curmsgs);

	res("mq_send prio 1", mq_send(q, "low", 4, 1));
	res("mq_send prio 9", mq_send(q, "high", 5, 9));
	res("mq_send prio 5", mq_send(q, "middle", 7, 5));
	res("mq_send 33 bytes", mq_send(q, "0123456789012345678901234567890123", 33, 0));
	res("mq_send prio 32768", mq_send(q, "x", 1, 32768));
	res("mq_send bad buffer", mq_send(q, BAD, 4, 0));
	struct pollfd p = {q, POLLIN | POLLOUT, 0};
	res("poll", poll(&p, 1, 0));
	printf("  revents in %d out %d\n", !!(p.revents & POLLIN), !!(p.revents & POLLOUT));
	char buf[64];
	unsigned prio;
	for (int i = 0; i < 3; i++) {
		memset(buf, 0, sizeof buf);
		prio = 99;
		res("mq_receive", mq_receive(q, buf, sizeof buf, &prio));
		printf("  %s prio %u\n", buf, prio);
	}
	res("mq_receive small buffer", mq_receive(q, buf, 31, &prio));
	struct timespec ts = soon(20);
	res("mq_timedreceive empty 20 ms", mq_timedreceive(q, buf, sizeof buf, &prio, &ts));
	ts.tv_nsec = 2000000000;
	res("mq_timedreceive bad timeout", mq_timedreceive(q, buf, sizeof buf, &prio, &ts));
	res("mq_timedreceive bad timeout pointer", syscall(SYS_mq_timedreceive, q, buf, sizeof buf, &prio, BAD));
#ifndef __x86_64__
	{
		/* The 32-bit timespec calls (glibc uses the _time64 ones). */
		struct timespec now = soon(20);
		int ts32[2] = {(int)now.tv_sec, (int)now.tv_nsec};
		res("i386 mq_timedreceive (32-bit timespec) 20 ms", syscall(SYS_mq_timedreceive, q, buf, sizeof buf, &prio, ts32));
		res("i386 mq_timedsend (32-bit timespec)", syscall(SYS_mq_timedsend, q, "32", 3, 4, ts32));
		res("i386 mq_timedreceive (32-bit timespec)", syscall(SYS_mq_timedreceive, q, buf, sizeof buf, &prio, ts32));
		printf("  %s prio %u\n", buf, prio);
	}
#endif
	for (int i = 0; i < 4; i++)
		mq_send(q, "fill", 5, 0);
	ts = soon(20);
	res("mq_timedsend full 20 ms", mq_timedsend(q, "more", 5, 0, &ts));
	struct mq_attr nb = {O_NONBLOCK, 0, 0, 0, {0}}, old;
	res("mq_setattr O_NONBLOCK", mq_setattr(q, &nb, &old));
	printf("  old flags %ld\n", old.mq_flags);
	res("mq_send full, nonblocking", mq_send(q, "more", 5, 0));
	res("mq_receive into a bad buffer", mq_receive(q, BAD, sizeof buf, &prio));
	mq_getattr(q, &at);
	printf("  curmsgs after it %ld flags %ld\n", at.mq_curmsgs, at.mq_flags);
	while (mq_receive(q, buf, sizeof buf, &prio) >= 0)
		;
	res("mq_receive empty, nonblocking", mq_receive(q, buf, sizeof buf, &prio));
	nb.mq_flags = 0;
	mq_setattr(q, &nb, NULL);
	res("mq_getattr bad descriptor", mq_getattr(999, &at));
	res("mq_getattr not a queue", mq_getattr(1, &at));
	res("mq_getsetattr bad pointer", syscall(SYS_mq_getsetattr, q, NULL, BAD));

	// SIGEV_SIGNAL: a forked child's message to the empty queue.
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = handler;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGUSR1, &sa, NULL);
	struct sigevent ev;
	memset(&ev, 0, sizeof ev);
	ev.sigev_notify = SIGEV_SIGNAL;
	ev.sigev_signo = SIGUSR1;
	ev.sigev_value.sival_int = 77;
	res("mq_notify SIGEV_SIGNAL", mq_notify(q, &ev));
	res("mq_notify again", mq_notify(q, &ev));
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		mq_send(q, "from the child", 15, 3);
		_exit(0);
	}
	waitpid(c, NULL, 0);
	for (int i = 0; i < 5000 && !got_sig; i++)
		usleep(1000);
	printf("signal %d code %s value %d from the child %s\n", got_sig, got_code == SI_MESGQ ? "SI_MESGQ" : "other",
	       got_value, got_pid == c ? "yes" : "no");
	memset(buf, 0, sizeof buf);
	mq_receive(q, buf, sizeof buf, &prio);
	printf("  message %s prio %u\n", buf, prio);
	got_sig = 0;
	mq_send(q, "again", 6, 0);
	usleep(20000);
	printf("a second message signals: %s\n", got_sig ? "yes" : "no");
	mq_receive(q, buf, sizeof buf, &prio);
	res("mq_notify NULL (none registered)", mq_notify(q, NULL));
	res("mq_notify", mq_notify(q, &ev));
	res("mq_notify NULL", mq_notify(q, NULL));
	ev.sigev_notify = 4; /* SIGEV_THREAD_ID */
	res("mq_notify SIGEV_THREAD_ID", mq_notify(q, &ev));
	ev.sigev_notify = 99;
	res("mq_notify bad notify", mq_notify(q, &ev));
	res("mq_notify bad pointer", syscall(SYS_mq_notify, q, BAD));
	res("mq_notify bad descriptor", syscall(SYS_mq_notify, 999, NULL));

	// glibc's SIGEV_THREAD.
	memset(&ev, 0, sizeof ev);
	ev.sigev_notify = SIGEV_THREAD;
	ev.sigev_notify_function = notified;
	ev.sigev_value.sival_int = 55;
	res("mq_notify SIGEV_THREAD", mq_notify(q, &ev));
	mq_send(q, "wake", 5, 0);
	struct timespec dl = soon(5000);
	pthread_mutex_lock(&mu);
	while (!thread_value && pthread_cond_timedwait(&cv, &mu, &dl) == 0)
		;
	pthread_mutex_unlock(&mu);
	printf("thread notified with %d\n", thread_value);

	res("mq_close", mq_close(q));
	res("mq_unlink", mq_unlink(name));
	res("mq_unlink again", mq_unlink(name));
	return 0;
}
