// argv, envp and the auxiliary vector: arguments as passed (including empty
// and spaced ones), only GEMU_TEST_* environment variables, getauxval checks
// printed as comparisons, /proc/self/exe, initial stack layout.
// gemu-test: arg=first arg="second arg" arg="" arg=--flag=x arg="tab\tand unicode \u00e9"
// gemu-test: env=GEMU_TEST_VAR=hello-from-harness env="GEMU_TEST_OTHER=a b c"
// gemu-test: pie=1
#include "gt.h"
#include <elf.h>
#include <link.h>
#include <sys/auxv.h>
#include <unistd.h>

extern char **environ;
extern const ElfW(Ehdr) __ehdr_start;
extern char _start[];

int main(int argc, char **argv, char **envp)
{
	const char *base = strrchr(argv[0], '/');
	printf("argc=%d argv0 basename=%s absolute=%d\n", argc, base ? base + 1 : argv[0], argv[0][0] == '/');
	for (int i = 1; i < argc; i++)
		printf("argv[%d]=\"%s\" len=%zu\n", i, argv[i], strlen(argv[i]));
	printf("argv[argc] is NULL: %s\n", argv[argc] == NULL ? "yes" : "no");
	printf("envp follows argv: %s\n", envp == argv + argc + 1 ? "yes" : "no");
	printf("environ == envp: %s\n", environ == envp ? "yes" : "no");
	int contiguous = 1;
	for (int i = 0; i + 1 < argc; i++)
		if (argv[i + 1] != argv[i] + strlen(argv[i]) + 1)
			contiguous = 0;
	printf("argv strings contiguous: %s\n", contiguous ? "yes" : "no");
	/* GEMU_TEST_* variables, sorted (a stand-in shell may reorder envp) */
	const char *mine[64];
	int nmine = 0;
	for (char **e = envp; *e; e++)
		if (!strncmp(*e, "GEMU_TEST_", 10) && nmine < 64)
			mine[nmine++] = *e;
	for (int i = 0; i < nmine; i++)
		for (int j = i + 1; j < nmine; j++)
			if (strcmp(mine[j], mine[i]) < 0) {
				const char *t = mine[i];
				mine[i] = mine[j];
				mine[j] = t;
			}
	for (int i = 0; i < nmine; i++)
		printf("env %s\n", mine[i]);
	printf("getenv GEMU_TEST_VAR=%s\n", getenv("GEMU_TEST_VAR") ? getenv("GEMU_TEST_VAR") : "(unset)");
	printf("getenv GEMU_TEST_UNSET=%s\n", getenv("GEMU_TEST_UNSET") ? "set" : "(unset)");
	setenv("GEMU_TEST_NEW", "42", 1);
	printf("setenv/getenv: %s\n", getenv("GEMU_TEST_NEW"));

	printf("AT_PAGESZ=%lu\n", getauxval(AT_PAGESZ));
	printf("AT_PAGESZ==sysconf: %s\n", getauxval(AT_PAGESZ) == (unsigned long)sysconf(_SC_PAGESIZE) ? "yes" : "no");
	printf("AT_UID==getuid: %s\n", getauxval(AT_UID) == getuid() ? "yes" : "no");
	printf("AT_EUID==geteuid: %s\n", getauxval(AT_EUID) == geteuid() ? "yes" : "no");
	printf("AT_GID==getgid: %s\n", getauxval(AT_GID) == getgid() ? "yes" : "no");
	printf("AT_EGID==getegid: %s\n", getauxval(AT_EGID) == getegid() ? "yes" : "no");
	printf("AT_SECURE=%lu\n", getauxval(AT_SECURE));
	printf("AT_BASE=%lu (static: no interpreter)\n", getauxval(AT_BASE));
	printf("AT_ENTRY nonzero: %s\n", getauxval(AT_ENTRY) ? "yes" : "no");
	printf("AT_ENTRY==_start: %s\n", getauxval(AT_ENTRY) == (unsigned long)_start ? "yes" : "no");
	unsigned long phdr = getauxval(AT_PHDR);
	printf("AT_PHDR==ehdr+e_phoff: %s\n", phdr == (unsigned long)&__ehdr_start + __ehdr_start.e_phoff ? "yes" : "no");
	printf("AT_PHNUM=%lu matches ehdr: %s\n", getauxval(AT_PHNUM), getauxval(AT_PHNUM) == __ehdr_start.e_phnum ? "yes" : "no");
	printf("AT_PHENT=%lu\n", getauxval(AT_PHENT));
	unsigned char *rnd = (unsigned char *)getauxval(AT_RANDOM);
	int nz = 0;
	if (rnd)
		for (int i = 0; i < 16; i++)
			nz |= rnd[i];
	printf("AT_RANDOM nonzero pointer: %s, 16 bytes readable and not all zero: %s\n", rnd ? "yes" : "no", nz ? "yes" : "no");
	const char *execfn = (const char *)getauxval(AT_EXECFN);
	printf("AT_EXECFN==argv[0]: %s\n", execfn && !strcmp(execfn, argv[0]) ? "yes" : "no");
	printf("AT_CLKTCK==sysconf(_SC_CLK_TCK): %s\n", getauxval(AT_CLKTCK) == (unsigned long)sysconf(_SC_CLK_TCK) ? "yes" : "no");
	printf("AT_HWCAP present: %s\n", getauxval(AT_HWCAP) ? "yes" : "no");

	/* program headers reachable through dl_iterate_phdr equal AT_PHDR */
	char exe[4096], real[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	exe[n > 0 ? n : 0] = 0;
	printf("/proc/self/exe == realpath(argv[0]): %s\n", realpath(argv[0], real) && !strcmp(exe, real) ? "yes" : "no");
	const ElfW(Phdr) *ph = (const ElfW(Phdr) *)phdr;
	int loads = 0;
	for (unsigned long i = 0; i < getauxval(AT_PHNUM); i++)
		loads += ph[i].p_type == PT_LOAD;
	printf("PT_LOAD segments: %d\n", loads);
	printf("ELF class: %d type: %s\n", __ehdr_start.e_ident[EI_CLASS], __ehdr_start.e_type == ET_DYN ? "DYN" : "EXEC");
	return 0;
}
