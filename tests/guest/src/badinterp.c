// execve of x86-64 ELF files whose PT_INTERP Linux refuses: no bytes, one
// NUL, a name without its final NUL, an empty name ("\0\0": the kernel
// opens it as the current directory), and a well-formed name that does not
// exist. Each execve must fail with the kernel's errno.
#include "gt.h"
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

struct ehdr {
	unsigned char ident[16];
	uint16_t type, machine;
	uint32_t version;
	uint64_t entry, phoff, shoff;
	uint32_t flags;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};
struct phdr {
	uint32_t type, flags;
	uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

static void try(const char *name, const char *interp, size_t n)
{
	unsigned char buf[512] = {0};
	struct ehdr *e = (struct ehdr *)buf;
	struct phdr *ph = (struct phdr *)(buf + sizeof *e);
	size_t off = sizeof *e + 2 * sizeof *ph, total = off + n + 16;
	memcpy(e->ident, "\177ELF\2\1\1", 7);
	e->type = 2, e->machine = 62, e->version = 1;
	e->entry = 0x400000 + off + n, e->phoff = sizeof *e;
	e->ehsize = sizeof *e, e->phentsize = sizeof *ph, e->phnum = 2, e->shentsize = 64;
	ph[0] = (struct phdr){3, 4, off, 0x400000 + off, 0x400000 + off, n, n, 1};
	ph[1] = (struct phdr){1, 5, 0, 0x400000, 0x400000, total, total, 0x1000};
	memcpy(buf + off, interp, n);
	buf[off + n] = 0xeb, buf[off + n + 1] = 0xfe; // jmp . (never reached)
	int fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	if (fd < 0 || write(fd, buf, total) != (ssize_t)total || close(fd) != 0) {
		printf("%s: cannot write\n", name);
		return;
	}
	char *argv[] = {(char *)name, NULL}, *envp[] = {NULL};
	errno = 0;
	int r = execve(name, argv, envp);
	printf("%-12s execve=%d %s\n", name, r, strerror(errno));
	unlink(name);
}

int main(void)
{
	try("./nobytes", "", 0);
	try("./onenul", "", 1);
	try("./nonul", "/lib/ld", 7);
	try("./emptyname", "\0", 2);
	try("./missing", "/nonexistent/ld.so", 19);
	return 0;
}
