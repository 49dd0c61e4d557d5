// System V shared memory through the raw system calls. i386: the ipc(2)
// multiplexer (shmat returns the address through its third argument,
// version 1 of it refused; shmctl with IPC_64 and the ipc64 structures:
// IPC_STAT, IPC_SET; qemu-i386, the reference here, gets the old 16-bit
// structures and the ipc64 ones' padding wrong, so those are left to
// internal/linux's TestShmidDSLayouts) and
// the direct shmget/shmctl/shmat/shmdt calls of Linux 5.1 (ipc64
// structures; the IPC_64 bit is EINVAL there, as an x86-64 kernel's
// compat call has it: qemu-i386 accepts it). x86-64: shmctl with the
// IPC_64 bit is EINVAL, IPC_INFO, SHM_INFO and SHM_STAT. No ids, pids or times are
// printed.
#include "gt.h"
#include <errno.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PG 4096

static const char *err(long r)
{
	static char b[8][64];
	static int i;
	char *s = b[i++ % 8];
	if (r != -1) {
		snprintf(s, 64, "ok");
	} else {
		snprintf(s, 64, "-1 %s", strerrorname_np(errno));
	}
	return s;
}

#ifdef __i386__
/* ipc(2) multiplexer calls */
#define SHMAT 21
#define SHMDT 22
#define SHMGET 23
#define SHMCTL 24

struct ipc64_perm {
	int key;
	unsigned uid, gid, cuid, cgid;
	unsigned short mode, pad1, seq, pad2;
	unsigned long u1, u2;
};
struct shmid64_ds {
	struct ipc64_perm perm;
	unsigned segsz;
	unsigned long atime, atime_high, dtime, dtime_high, ctime, ctime_high;
	int cpid, lpid;
	unsigned long nattch, u4, u5;
};

static void multiplexer(void)
{
	long id = syscall(SYS_ipc, SHMGET, IPC_PRIVATE, 5000, IPC_CREAT | 0600, 0, 0);
	printf("ipc shmget: %s\n", err(id));
	unsigned long addr = 0x1234;
	long r = syscall(SYS_ipc, SHMAT, id, 0, &addr, 0, 0);
	printf("ipc shmat: returns %ld, address stored %d\n", r, addr != 0x1234 && (addr & (PG - 1)) == 0);
	unsigned char *p = (unsigned char *)addr;
	p[0] = 'M';
	unsigned char *q = shmat(id, 0, 0);
	printf("seen through a libc attachment: %c\n", q[0]);
	r = syscall(SYS_ipc, SHMAT | (1 << 16), id, 0, &addr, 0, 0);
	printf("ipc shmat version 1: %s\n", err(r));
	r = syscall(SYS_ipc, SHMAT, id, 0, (void *)8, 0, 0);
	printf("ipc shmat, bad result pointer: %s\n", err(r));

	struct shmid64_ds n;
	memset(&n, 0x55, sizeof n);
	r = syscall(SYS_ipc, SHMCTL, id, IPC_STAT | 0x100, 0, &n, 0);
	printf("IPC_64 IPC_STAT: %s, size %u, mode %o, nattch %lu, cpid self %d, uid ok %d\n", err(r), n.segsz,
	       n.perm.mode & 0777, n.nattch, n.cpid == getpid(), n.perm.uid == geteuid());
	n.perm.mode = 0660;
	r = syscall(SYS_ipc, SHMCTL, id, IPC_SET | 0x100, 0, &n, 0);
	memset(&n, 0, sizeof n);
	syscall(SYS_ipc, SHMCTL, id, IPC_STAT | 0x100, 0, &n, 0);
	printf("IPC_64 IPC_SET: %s, mode now %o\n", err(r), n.perm.mode & 0777);
	r = syscall(SYS_ipc, SHMCTL, id, 12345 | 0x100, 0, &n, 0);
	printf("IPC_64 bad cmd: %s\n", err(r));
	r = syscall(SYS_ipc, SHMCTL, id, IPC_STAT | 0x100, 0, (void *)8, 0);
	printf("IPC_64 IPC_STAT bad pointer: %s\n", err(r));

	r = syscall(SYS_ipc, SHMDT, 0, 0, 0, p, 0);
	printf("ipc shmdt: %s\n", err(r));
	r = syscall(SYS_ipc, SHMDT, 0, 0, 0, p, 0);
	printf("ipc shmdt again: %s\n", err(r));
	shmdt(q);
	r = syscall(SYS_ipc, SHMCTL, id, IPC_RMID, 0, 0, 0);
	printf("ipc IPC_RMID: %s\n", err(r));
}

/* the direct system calls of Linux 5.1 */
static void direct(void)
{
	long id = syscall(395, IPC_PRIVATE, 3 * PG, IPC_CREAT | 0600);
	printf("shmget: %s\n", err(id));
	long a = syscall(397, id, 0, 0);
	printf("shmat: %s, aligned %d\n", err(a == -1 ? -1 : 0), (a & (PG - 1)) == 0);
	struct shmid64_ds n;
	memset(&n, 0x55, sizeof n);
	long r = syscall(396, id, IPC_STAT, &n);
	printf("shmctl IPC_STAT: %s, size %u, nattch %lu\n", err(r), n.segsz, n.nattch);
	memset(&n, 0x55, sizeof n);
	r = syscall(396, id, IPC_STAT | 0x100, &n);
	printf("shmctl IPC_STAT|IPC_64: %s, size %u, nattch %lu\n", err(r), n.segsz, n.nattch);
	printf("shmdt: %s\n", err(syscall(398, a)));
	printf("shmctl IPC_RMID: %s\n", err(syscall(396, id, IPC_RMID, 0)));
}
#endif

#ifdef __x86_64__
struct shminfo64 {
	unsigned long shmmax, shmmin, shmmni, shmseg, shmall, u1, u2, u3, u4;
};
struct shm_info64 {
	int used_ids;
	unsigned long tot, rss, swp, swap_attempts, swap_successes;
};

static void raw64(void)
{
	long id = syscall(SYS_shmget, IPC_PRIVATE, 5000, IPC_CREAT | 0600);
	printf("shmget: %s\n", err(id));
	struct shmid_ds ds;
	printf("IPC_STAT|IPC_64: %s\n", err(syscall(SYS_shmctl, id, IPC_STAT | 0x100, &ds)));
	printf("IPC_STAT: %s\n", err(syscall(SYS_shmctl, id, IPC_STAT, &ds)));
	printf("negative cmd: %s\n", err(syscall(SYS_shmctl, id, -1, &ds)));
	printf("negative id: %s\n", err(syscall(SYS_shmctl, -1, IPC_STAT, &ds)));
	struct shminfo64 in;
	memset(&in, 0x55, sizeof in);
	long r = syscall(SYS_shmctl, 0, IPC_INFO, &in);
	printf("IPC_INFO: %s, shmmni > 0 %d, shmmin %lu, unused %lx\n", err(r < 0 ? -1 : 0), in.shmmni > 0, in.shmmin, in.u4);
	struct shm_info64 si;
	memset(&si, 0x55, sizeof si);
	r = syscall(SYS_shmctl, 0, SHM_INFO, &si);
	printf("SHM_INFO: %s, used_ids > 0 %d, total > 0 %d\n", err(r < 0 ? -1 : 0), si.used_ids > 0, si.tot > 0);
	/* SHM_STAT takes an index and returns the id */
	int found = 0;
	for (long i = 0; i <= r && i < 100000; i++) {
		memset(&ds, 0, sizeof ds);
		if (syscall(SYS_shmctl, i, SHM_STAT, &ds) == id) {
			found = ds.shm_segsz == 5000;
		}
	}
	printf("SHM_STAT finds it: %d\n", found);
	long a = syscall(SYS_shmat, id, 0, SHM_RDONLY);
	printf("shmat: %s\n", err(a == -1 ? -1 : 0));
	printf("shmdt: %s\n", err(syscall(SYS_shmdt, a)));
	printf("IPC_RMID: %s\n", err(syscall(SYS_shmctl, id, IPC_RMID, 0)));
}
#endif

int main(void)
{
	setvbuf(stdout, 0, _IONBF, 0);
#ifdef __i386__
	multiplexer();
	direct();
#else
	raw64();
#endif
	return 0;
}
