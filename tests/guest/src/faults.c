// Process termination: death by signal for each fault kind (null deref,
// write to read-only memory, ud2, divide by zero, int3, hlt, abort, bus
// error, raise/kill) and exit statuses (exit, _exit, return from main),
// including stdio buffer flushing behaviour.
// gemu-test: variant=segv arg=segv
// gemu-test: variant=segv_ro arg=segv_ro
// gemu-test: variant=segv_exec arg=segv_exec
// gemu-test: variant=ill arg=ill
// gemu-test: variant=fpe arg=fpe
// gemu-test: variant=trap arg=trap
// gemu-test: variant=hlt arg=hlt
// gemu-test: variant=abort arg=abort
// gemu-test: variant=bus arg=bus
// gemu-test: variant=sigterm arg=sigterm
// gemu-test: variant=sigkill arg=sigkill
// gemu-test: variant=sigusr1 arg=sigusr1
// gemu-test: variant=exit0 arg=exit arg=0
// gemu-test: variant=exit1 arg=exit arg=1
// gemu-test: variant=exit42 arg=exit arg=42
// gemu-test: variant=exit255 arg=exit arg=255
// gemu-test: variant=exit256 arg=exit arg=256
// gemu-test: variant=_exit7 arg=_exit arg=7
// gemu-test: variant=return3 arg=return arg=3
// gemu-test: variant=noargs
#include "gt.h"
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	printf("buffered line from %s (lost on _exit)\n", argc > 1 ? argv[1] : "none");
	fprintf(stderr, "stderr is unbuffered\n");
	if (argc < 2) {
		printf("no variant\n");
		return 5;
	}
	const char *v = argv[1];
	int code = argc > 2 ? atoi(argv[2]) : 0;
	if (!strcmp(v, "exit"))
		exit(code);
	if (!strcmp(v, "_exit"))
		_exit(code);
	if (!strcmp(v, "return"))
		return code;
	fflush(stdout);
	printf("unflushed line: lost when killed by a signal\n");
	if (!strcmp(v, "segv")) {
		volatile int *p = NULL;
		*p = 1;
	} else if (!strcmp(v, "segv_ro")) {
		static const char ro[] = "read-only data";
		*(volatile char *)ro = 'x';
	} else if (!strcmp(v, "segv_exec")) {
		/* jump to a non-executable page */
		void *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		memset(m, 0xc3, 4096);
		((void (*)(void))m)();
	} else if (!strcmp(v, "ill")) {
		__asm__ volatile("ud2");
	} else if (!strcmp(v, "fpe")) {
		volatile int a = 1, b = 0;
		a = a / b;
	} else if (!strcmp(v, "trap")) {
		__asm__ volatile("int3");
	} else if (!strcmp(v, "hlt")) {
		__asm__ volatile("hlt"); /* privileged: #GP -> SIGSEGV */
	} else if (!strcmp(v, "abort")) {
		abort();
	} else if (!strcmp(v, "bus")) {
		/* touching a file mapping beyond the end of the file */
		char path[] = "/tmp/gemu-bus-XXXXXX";
		int fd = mkstemp(path);
		unlink(path);
		ftruncate(fd, 100);
		volatile char *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		m[50] = 1;
		printf("inside file ok\n");
		fflush(stdout);
		m[5000] = 1;
	} else if (!strcmp(v, "sigterm")) {
		kill(getpid(), SIGTERM);
	} else if (!strcmp(v, "sigkill")) {
		raise(SIGKILL);
	} else if (!strcmp(v, "sigusr1")) {
		raise(SIGUSR1);
	} else {
		printf("unknown variant\n");
		return 2;
	}
	printf("survived %s\n", v);
	return 0;
}
