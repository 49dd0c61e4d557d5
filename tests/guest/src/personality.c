// personality(2): the query with 0xffffffff (PER_LINUX, no READ_IMPLIES_EXEC
// at start), setting PER_LINUX32 and its effect on uname's machine string
// (i686, as setarch linux32 shows), ADDR_NO_RANDOMIZE and other flags kept
// as given, values that are not flags, inheritance by a forked child and
// across execve, and the way back to PER_LINUX.
#include "gt.h"
#include <sys/personality.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

static unsigned query(void)
{
	return (unsigned)syscall(SYS_personality, 0xffffffffUL);
}

static const char *machine(void)
{
	static struct utsname u;
	if (uname(&u) != 0)
		return "uname failed";
	return u.machine;
}

static void show(const char *what)
{
	unsigned v = query();
	const char *m = machine();
#ifndef __x86_64__
	/* An i386 process on an x86-64 kernel sees x86_64 unless its
	 * personality is PER_LINUX32; qemu-i386, the reference where the
	 * kernel runs no i386 code, always says i686. */
	if ((v & PER_MASK) != PER_LINUX32 && !strcmp(m, "i686"))
		m = "x86_64";
#endif
	printf("%s: personality %#x machine %s\n", what, v, m);
}

int main(int argc, char **argv)
{
	if (argc > 1) {
		show("after execve");
		return 0;
	}
	unsigned v = query();
	printf("start: %#x PER_LINUX %s READ_IMPLIES_EXEC %s\n", v,
	       (v & PER_MASK) == PER_LINUX ? "yes" : "no",
	       v & READ_IMPLIES_EXEC ? "set" : "clear");
	show("start");
	printf("set PER_LINUX32: old %#x\n", (unsigned)syscall(SYS_personality, PER_LINUX32));
	show("PER_LINUX32");
	printf("set PER_LINUX32|ADDR_NO_RANDOMIZE: old %#x\n",
	       (unsigned)syscall(SYS_personality, PER_LINUX32 | ADDR_NO_RANDOMIZE));
	show("PER_LINUX32|ADDR_NO_RANDOMIZE");
	printf("set ADDR_NO_RANDOMIZE: old %#x\n", (unsigned)syscall(SYS_personality, ADDR_NO_RANDOMIZE));
	show("ADDR_NO_RANDOMIZE");
	printf("set PER_LINUX32_3GB: old %#x\n", (unsigned)syscall(SYS_personality, PER_LINUX32_3GB));
	show("PER_LINUX32_3GB");
	printf("set PER_BSD: old %#x\n", (unsigned)syscall(SYS_personality, PER_BSD));
	show("PER_BSD");
	/* Only the low 32 bits are the argument. */
	printf("set 0x100000000|PER_LINUX32: old %#x\n",
	       (unsigned)syscall(SYS_personality, (unsigned long)((1ULL << 32 | PER_LINUX32) & ~0UL)));
	show("high bits");
	printf("set PER_LINUX32|ADDR_NO_RANDOMIZE again: old %#x\n",
	       (unsigned)syscall(SYS_personality, PER_LINUX32 | ADDR_NO_RANDOMIZE));
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		show("forked child");
		fflush(stdout);
		_exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
	pid = fork();
	if (pid == 0) {
		execl("/proc/self/exe", argv[0], "exec", (char *)0);
		_exit(99);
	}
	waitpid(pid, &st, 0);
	printf("exec child status %d\n", WEXITSTATUS(st));
	printf("set PER_LINUX: old %#x\n", (unsigned)syscall(SYS_personality, PER_LINUX));
	show("back to PER_LINUX");
	return 0;
}
