/* int $0x80 from 64-bit code: the i386 system calls, as an x86-64 Linux
 * kernel with IA-32 emulation serves them. Every line printed is fixed by
 * the Linux ABI; the program ends with the i386 exit (number 1, which is
 * write in the 64-bit table) and status 7. Built static, not PIE, so its
 * data is below 4 GiB. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <unistd.h>

/* i386 system call numbers */
#define I386_exit 1
#define I386_write 4
#define I386_getpid 20
#define I386_gettimeofday 78
#define I386_uname 122
#define I386_mmap2 192

static long i80(long nr, long a, long b, long c, long d, long e, long f)
{
	register long r8 asm("r8") = 0x0808080808080808;
	register long r9 asm("r9") = 0x0909090909090909;
	register long r10 asm("r10") = 0x1010101010101010;
	register long r11 asm("r11") = 0x1111111111111111;
	long ret, a0 = a, b0 = b, c0 = c, d0 = d, e0 = e;
	asm volatile("push %%rbp\n\tmov %[f], %%rbp\n\tint $0x80\n\tpop %%rbp"
		     : "=a"(ret), "+r"(r8), "+r"(r9), "+r"(r10), "+r"(r11),
		       "+b"(a), "+c"(b), "+d"(c), "+S"(d), "+D"(e)
		     : "0"(nr), [f] "m"(f)
		     : "memory");
	if (r8 != 0x0808080808080808 || r9 != 0x0909090909090909 || r10 != 0x1010101010101010 ||
	    r11 != 0x1111111111111111)
		printf("r8-r11 changed by int $0x80\n");
	if (a != a0 || b != b0 || c != c0 || d != d0 || e != e0)
		printf("an argument register changed by int $0x80\n");
	return ret;
}

static char msg[] = "written by int $0x80\n";

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	printf("getpid via int $0x80 equals getpid: %s\n",
	       i80(I386_getpid, 0, 0, 0, 0, 0, 0) == syscall(SYS_getpid) ? "yes" : "no");
	long n = i80(I386_write, 1, (long)msg, strlen(msg), 0, 0, 0);
	printf("write returned %ld\n", n);
	/* Upper halves are not part of the arguments: fd 1 | 1<<32. */
	n = i80(I386_write | 0x100000000L, 1 | 0x100000000L, (long)msg, 8 | 0x500000000L, 0, 0, 0);
	printf("\nwrite with upper halves set returned %ld\n", n);

	/* A buffer above 4 GiB: its low 32 bits (0x10000) name nothing. */
	char *hi = mmap((void *)0x500010000, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (hi == MAP_FAILED) {
		printf("mmap above 4 GiB failed\n");
		return 1;
	}
	memcpy(hi, "HIGH\n", 5);
	printf("write from above 4 GiB: %ld (EFAULT is -14)\n", i80(I386_write, 1, (long)hi, 5, 0, 0, 0));
	printf("the same write by syscall: %ld\n", (long)write(1, hi, 5) - 5);

	/* i386 layouts: gettimeofday fills two 32-bit longs (static: the
	 * stack is above 4 GiB). */
	static uint32_t tv[4] = {0, 0, 0xdeadbeef, 0xdeadbeef};
	long r = i80(I386_gettimeofday, (long)tv, 0, 0, 0, 0, 0);
	struct timeval now;
	gettimeofday(&now, 0);
	printf("gettimeofday: %ld, seconds close: %s, usec < 1e6: %s, 8 bytes written: %s\n", r,
	       now.tv_sec - tv[0] < 5 ? "yes" : "no", tv[1] < 1000000 ? "yes" : "no",
	       tv[2] == 0xdeadbeef && tv[3] == 0xdeadbeef ? "yes" : "no");
	static struct utsname u;
	r = i80(I386_uname, (long)&u, 0, 0, 0, 0, 0);
	printf("uname: %ld sysname %s\n", r, u.sysname);

	/* mmap2 (offset in pages, six arguments): the mapping is below 4 GiB. */
	long m = i80(I386_mmap2, 0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	printf("mmap2: %s, below 4 GiB: %s\n", m < 0 && m > -4096 ? "error" : "mapped",
	       (unsigned long)m < 0x100000000 ? "yes" : "no");
	if (m > 0) {
		((char *)m)[8191] = 1;
		printf("mapping writable: yes\n");
	}
	/* An unknown i386 number: ENOSYS as a 64-bit -38. */
	printf("i386 number 500: %ld\n", i80(500, 0, 0, 0, 0, 0, 0));
	i80(I386_exit, 7 | 0x100000000L, 0, 0, 0, 0, 0);
	printf("still running after exit\n");
	return 1;
}
