// System V semaphores and message queues (issue 15 item 4), raw calls:
// semget, semop, semtimedop (timeout, IPC_NOWAIT), semctl's commands
// (SETVAL/GETVAL/SETALL/GETALL/GETPID/GETNCNT/GETZCNT, IPC_STAT/IPC_SET
// fields, IPC_INFO/SEM_INFO, IPC_RMID), a forked child woken from semop,
// SEM_UNDO undone at a child's exit; msgget, msgsnd, msgrcv by type (0,
// positive, negative, MSG_EXCEPT), MSG_NOERROR, E2BIG, ENOMSG, a message
// lost to a bad buffer, msgctl IPC_STAT/IPC_SET (qbytes), a child blocked in
// msgrcv; error paths; on i386 the same through the ipc multiplexer (the
// old and IPC_64 structure layouts, msgrcv's kludge and version 1).
#include "gt.h"
#include <errno.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
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

#ifdef SYS_semop
static long semop_(int id, struct sembuf *s, size_t n) { return syscall(SYS_semop, id, s, n); }
#else
static long semop_(int id, struct sembuf *s, size_t n) { return syscall(SYS_semtimedop_time64, id, s, n, NULL); }
#endif
// semtimedop with a 64-bit timespec (i386: semtimedop_time64).
static long semtimedop_(int id, struct sembuf *s, size_t n, const long long *ts)
{
#ifdef SYS_semtimedop
	return syscall(SYS_semtimedop, id, s, n, ts);
#else
	return syscall(SYS_semtimedop_time64, id, s, n, ts);
#endif
}
static long semctl_(int id, int num, int cmd, unsigned long arg) { return syscall(SYS_semctl, id, num, cmd, arg); }

static void sems(void)
{
	int id = (int)syscall(SYS_semget, IPC_PRIVATE, 3, IPC_CREAT | 0600);
	printf("semget: %s\n", id >= 0 ? "ok" : strerrorname_np(errno));
	res("semget nsems -1", syscall(SYS_semget, IPC_PRIVATE, -1, IPC_CREAT | 0600));
	res("semget missing key", syscall(SYS_semget, 0x5eed0001, 1, 0600));
	res("SETVAL 0 to 5", semctl_(id, 0, SETVAL, 5));
	res("GETVAL 0", semctl_(id, 0, GETVAL, 0));
	res("GETVAL 7", semctl_(id, 7, GETVAL, 0));
	unsigned short all[3] = {1, 2, 3}, got[3] = {9, 9, 9};
	res("SETALL", semctl_(id, 0, SETALL, (unsigned long)all));
	res("GETALL", semctl_(id, 0, GETALL, (unsigned long)got));
	printf("  %u %u %u\n", got[0], got[1], got[2]);
	res("GETALL bad pointer", semctl_(id, 0, GETALL, (unsigned long)16));
	res("SETALL bad pointer", semctl_(id, 0, SETALL, (unsigned long)16));
	struct sembuf op[2] = {{0, -1, 0}, {2, 2, 0}};
	res("semop -1 on 0, +2 on 2", semop_(id, op, 2));
	res("GETVAL 0", semctl_(id, 0, GETVAL, 0));
	res("GETVAL 2", semctl_(id, 2, GETVAL, 0));
	res("GETPID is ours", semctl_(id, 0, GETPID, 0) == getpid());
	struct sembuf w = {0, -1, IPC_NOWAIT};
	res("semop would block, IPC_NOWAIT", semop_(id, &w, 1));
	long long ts[2] = {0, 20000000};
	w.sem_flg = 0;
	res("semtimedop 20 ms", semtimedop_(id, &w, 1, ts));
	ts[1] = 2000000000;
	res("semtimedop bad timeout", semtimedop_(id, &w, 1, ts));
	res("semtimedop bad timeout pointer", semtimedop_(id, &w, 1, BAD));
	res("semop 0 operations", semop_(id, &w, 0));
	res("semop 501 operations", semop_(id, &w, 501));
	res("semop bad pointer", semop_(id, BAD, 1));
	struct sembuf big = {9, 1, 0};
	res("semop number 9", semop_(id, &big, 1));
	res("semop id -1", semop_(-1, &w, 1));

	struct semid_ds ds;
	memset(&ds, 0, sizeof ds);
	res("IPC_STAT", semctl_(id, 0, IPC_STAT, (unsigned long)&ds));
	printf("  nsems %lu mode %o uid is ours %s otime set %s\n", (unsigned long)ds.sem_nsems,
	       ds.sem_perm.mode & 0777, ds.sem_perm.uid == getuid() ? "yes" : "no", ds.sem_otime ? "yes" : "no");
	ds.sem_perm.mode = 0640;
	res("IPC_SET mode 640", semctl_(id, 0, IPC_SET, (unsigned long)&ds));
	memset(&ds, 0, sizeof ds);
	semctl_(id, 0, IPC_STAT, (unsigned long)&ds);
	printf("  mode %o\n", ds.sem_perm.mode & 0777);
	res("IPC_STAT bad pointer", semctl_(id, 0, IPC_STAT, (unsigned long)16));
	res("IPC_SET bad pointer", semctl_(id, 0, IPC_SET, (unsigned long)16));
	struct seminfo si;
	memset(&si, 0, sizeof si);
	res("IPC_INFO >= 0", semctl_(id, 0, IPC_INFO, (unsigned long)&si) >= 0);
	printf("  semmsl %d semopm %d\n", si.semmsl, si.semopm);
	res("SEM_INFO >= 0", semctl_(id, 0, SEM_INFO, (unsigned long)&si) >= 0);
	res("command 99", semctl_(id, 0, 99, 0));
	res("command IPC_STAT|IPC_64 returns the id", semctl_(id, 0, IPC_STAT | 0x100, (unsigned long)&ds) == id);

	// A child blocks on semaphore 1 (0) until the parent adds 1.
	semctl_(id, 1, SETVAL, 0);
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		struct sembuf d = {1, -1, 0};
		long r = semop_(id, &d, 1);
		printf("child semop: %ld\n", r);
		fflush(stdout);
		_exit(0);
	}
	while (semctl_(id, 1, GETNCNT, 0) != 1)
		usleep(1000);
	res("GETNCNT", semctl_(id, 1, GETNCNT, 0));
	res("GETZCNT", semctl_(id, 1, GETZCNT, 0));
	struct sembuf up = {1, 1, 0};
	long r = semop_(id, &up, 1);
	waitpid(c, NULL, 0);
	res("semop +1 on 1", r);
	res("GETVAL 1 after the child", semctl_(id, 1, GETVAL, 0));

	// SEM_UNDO: the child's +3 is undone when it exits.
	fflush(stdout);
	c = fork();
	if (c == 0) {
		struct sembuf u = {1, 3, SEM_UNDO};
		semop_(id, &u, 1);
		printf("child with SEM_UNDO: value %ld\n", semctl_(id, 1, GETVAL, 0));
		fflush(stdout);
		_exit(0);
	}
	waitpid(c, NULL, 0);
	res("GETVAL 1 after its exit", semctl_(id, 1, GETVAL, 0));
	res("IPC_RMID", semctl_(id, 0, IPC_RMID, 0));
	res("GETVAL removed", semctl_(id, 0, GETVAL, 0));
	res("semop removed", semop_(id, &up, 1));
}

struct msg {
	long mtype;
	char text[64];
};

static void msgs(void)
{
	int id = (int)syscall(SYS_msgget, IPC_PRIVATE, IPC_CREAT | 0600);
	printf("msgget: %s\n", id >= 0 ? "ok" : strerrorname_np(errno));
	res("msgget missing key", syscall(SYS_msgget, 0x5eed0002, 0600));
	struct msg m;
	for (int i = 1; i <= 3; i++) {
		m.mtype = i;
		snprintf(m.text, sizeof m.text, "message %d", i);
		res("msgsnd", syscall(SYS_msgsnd, id, &m, strlen(m.text) + 1, 0));
	}
	m.mtype = 0;
	res("msgsnd mtype 0", syscall(SYS_msgsnd, id, &m, 4, 0));
	res("msgsnd bad pointer", syscall(SYS_msgsnd, id, BAD, 4, 0));
	res("msgsnd size -1", syscall(SYS_msgsnd, id, &m, (size_t)-1, 0));
	res("msgsnd size 1 MiB", syscall(SYS_msgsnd, id, &m, 1 << 20, 0));
	struct msqid_ds ds;
	memset(&ds, 0, sizeof ds);
	res("IPC_STAT", syscall(SYS_msgctl, id, IPC_STAT, &ds));
	printf("  qnum %lu cbytes %lu lspid ours %s mode %o\n", (unsigned long)ds.msg_qnum,
	       (unsigned long)ds.__msg_cbytes, ds.msg_lspid == getpid() ? "yes" : "no", ds.msg_perm.mode & 0777);
	memset(&m, 0, sizeof m);
	res("msgrcv type 2", syscall(SYS_msgrcv, id, &m, sizeof m.text, 2, 0));
	printf("  type %ld text %s\n", m.mtype, m.text);
	res("msgrcv type -3", syscall(SYS_msgrcv, id, &m, sizeof m.text, (long)-3, 0));
	printf("  type %ld text %s\n", m.mtype, m.text);
	res("msgrcv size 4", syscall(SYS_msgrcv, id, &m, 4, 0, 0));
	res("msgrcv size 4 MSG_NOERROR", syscall(SYS_msgrcv, id, &m, 4, 0, MSG_NOERROR));
	printf("  type %ld\n", m.mtype);
	res("msgrcv empty IPC_NOWAIT", syscall(SYS_msgrcv, id, &m, sizeof m.text, 0, IPC_NOWAIT));
	m.mtype = 5;
	strcpy(m.text, "five");
	syscall(SYS_msgsnd, id, &m, 5, 0);
	m.mtype = 6;
	syscall(SYS_msgsnd, id, &m, 5, 0);
	res("msgrcv MSG_EXCEPT 5", syscall(SYS_msgrcv, id, &m, sizeof m.text, 5, MSG_EXCEPT));
	printf("  type %ld\n", m.mtype);
	res("msgrcv into a bad buffer", syscall(SYS_msgrcv, id, BAD, sizeof m.text, 0, 0));
	memset(&ds, 0, sizeof ds);
	syscall(SYS_msgctl, id, IPC_STAT, &ds);
	printf("  qnum after it %lu\n", (unsigned long)ds.msg_qnum);
	res("msgrcv size -1", syscall(SYS_msgrcv, id, &m, (size_t)-1, 0, IPC_NOWAIT));
	ds.msg_qbytes = 100;
	res("IPC_SET qbytes 100", syscall(SYS_msgctl, id, IPC_SET, &ds));
	memset(&ds, 0, sizeof ds);
	syscall(SYS_msgctl, id, IPC_STAT, &ds);
	printf("  qbytes %lu\n", (unsigned long)ds.msg_qbytes);
	m.mtype = 1;
	res("msgsnd 64 bytes", syscall(SYS_msgsnd, id, &m, 64, 0));
	res("msgsnd 64 more, IPC_NOWAIT", syscall(SYS_msgsnd, id, &m, 64, IPC_NOWAIT));
	syscall(SYS_msgrcv, id, &m, sizeof m.text, 0, 0);
	struct msginfo mi;
	res("IPC_INFO >= 0", syscall(SYS_msgctl, id, IPC_INFO, &mi) >= 0);
	res("MSG_INFO >= 0", syscall(SYS_msgctl, id, MSG_INFO, &mi) >= 0);
	res("IPC_STAT bad pointer", syscall(SYS_msgctl, id, IPC_STAT, BAD));
	res("command 99", syscall(SYS_msgctl, id, 99, &ds));
	res("command IPC_STAT|IPC_64 returns the id", syscall(SYS_msgctl, id, IPC_STAT | 0x100, &ds) == id);

	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		struct msg r;
		memset(&r, 0, sizeof r);
		long n = syscall(SYS_msgrcv, id, &r, sizeof r.text, 9, 0);
		printf("child msgrcv: %ld type %ld text %s\n", n, r.mtype, r.text);
		fflush(stdout);
		_exit(0);
	}
	usleep(20000);
	m.mtype = 9;
	strcpy(m.text, "for the child");
	long r = syscall(SYS_msgsnd, id, &m, 14, 0);
	waitpid(c, NULL, 0);
	res("msgsnd type 9", r);
	res("IPC_RMID", syscall(SYS_msgctl, id, IPC_RMID, NULL));
	res("msgsnd removed", syscall(SYS_msgsnd, id, &m, 4, 0));
}

#ifndef __x86_64__
// i386's ipc multiplexer.
struct old_ipc_perm {
	int key;
	unsigned short uid, gid, cuid, cgid, mode, seq;
};
struct old_semid_ds {
	struct old_ipc_perm perm;
	int otime, ctime;
	int p[4];
	unsigned short nsems;
};
struct old_msqid_ds {
	struct old_ipc_perm perm;
	int first, last, stime, rtime, ctime;
	unsigned lcbytes, lqbytes;
	unsigned short cbytes, qnum, qbytes, lspid, lrpid;
};

static long ipc(unsigned call, long first, long second, long third, void *ptr, long fifth)
{
	return syscall(SYS_ipc, call, first, second, third, ptr, fifth);
}

static void multiplexer(void)
{
	int id = (int)ipc(2 /* SEMGET */, IPC_PRIVATE, 2, IPC_CREAT | 0600, NULL, 0);
	printf("ipc SEMGET: %s\n", id >= 0 ? "ok" : strerrorname_np(errno));
	unsigned long arg = 4;
	res("ipc SEMCTL SETVAL", ipc(3, id, 1, SETVAL, &arg, 0));
	res("ipc SEMCTL GETVAL", ipc(3, id, 1, GETVAL, &arg, 0));
	res("ipc SEMCTL NULL argument", ipc(3, id, 1, GETVAL, NULL, 0));
	res("ipc SEMCTL bad argument pointer", ipc(3, id, 1, GETVAL, BAD, 0));
	struct sembuf op = {1, -1, 0};
	res("ipc SEMOP", ipc(1, id, 1, 0, &op, 0));
	struct {
		int sec, nsec;
	} ts32 = {0, 10000000};
	op.sem_op = -5;
	res("ipc SEMTIMEDOP 10 ms", ipc(4, id, 1, 0, &op, (long)&ts32));
	struct old_semid_ds old;
	memset(&old, 0xee, sizeof old);
	arg = (unsigned long)&old;
	res("ipc SEMCTL IPC_STAT (old layout)", ipc(3, id, 0, IPC_STAT, &arg, 0));
	printf("  nsems %u mode %o uid ours %s\n", old.nsems, old.perm.mode & 0777,
	       old.perm.uid == (unsigned short)getuid() ? "yes" : "no");
	struct semid_ds ds64;
	memset(&ds64, 0xee, sizeof ds64);
	arg = (unsigned long)&ds64;
	res("ipc SEMCTL IPC_STAT|IPC_64", ipc(3, id, 0, IPC_STAT | 0x100, &arg, 0));
	printf("  nsems %lu mode %o\n", (unsigned long)ds64.sem_nsems, ds64.sem_perm.mode & 0777);
	old.perm.mode = 0604;
	arg = (unsigned long)&old;
	res("ipc SEMCTL IPC_SET (old layout)", ipc(3, id, 0, IPC_SET, &arg, 0));
	semctl_(id, 0, IPC_STAT, (unsigned long)&ds64);
	printf("  mode %o\n", ds64.sem_perm.mode & 0777);
	res("ipc SEMCTL IPC_RMID", ipc(3, id, 0, IPC_RMID, &arg, 0));

	id = (int)ipc(13 /* MSGGET */, IPC_PRIVATE, IPC_CREAT | 0600, 0, NULL, 0);
	printf("ipc MSGGET: %s\n", id >= 0 ? "ok" : strerrorname_np(errno));
	struct msg m = {7, "seven"};
	res("ipc MSGSND", ipc(11, id, 6, 0, &m, 0));
	m.mtype = 8;
	strcpy(m.text, "eight");
	res("ipc MSGSND", ipc(11, id, 6, 0, &m, 0));
	struct old_msqid_ds oq;
	memset(&oq, 0xee, sizeof oq);
	res("ipc MSGCTL IPC_STAT (old layout)", ipc(14, id, IPC_STAT, 0, &oq, 0));
	printf("  qnum %u cbytes %u lcbytes %u lspid ours %s first %d\n", oq.qnum, oq.cbytes, oq.lcbytes,
	       oq.lspid == (unsigned short)getpid() ? "yes" : "no", oq.first);
	struct msqid_ds q64;
	memset(&q64, 0xee, sizeof q64);
	res("ipc MSGCTL IPC_STAT|IPC_64", ipc(14, id, IPC_STAT | 0x100, 0, &q64, 0));
	printf("  qnum %lu\n", (unsigned long)q64.msg_qnum);
	struct {
		void *msgp;
		long msgtyp;
	} kludge = {&m, 8};
	memset(&m, 0, sizeof m);
	res("ipc MSGRCV (kludge)", ipc(12, id, sizeof m.text, 0, &kludge, 0));
	printf("  type %ld text %s\n", m.mtype, m.text);
	res("ipc MSGRCV kludge NULL", ipc(12, id, sizeof m.text, 0, NULL, 0));
	memset(&m, 0, sizeof m);
	res("ipc MSGRCV version 1", ipc(12 | 1 << 16, id, sizeof m.text, 0, &m, 7));
	printf("  type %ld text %s\n", m.mtype, m.text);
	oq.qbytes = 200;
	res("ipc MSGCTL IPC_SET (old layout)", ipc(14, id, IPC_SET, 0, &oq, 0));
	syscall(SYS_msgctl, id, IPC_STAT, &q64);
	printf("  qbytes %lu\n", (unsigned long)q64.msg_qbytes);
	res("ipc MSGCTL IPC_RMID", ipc(14, id, IPC_RMID, 0, NULL, 0));
	res("ipc call 99", ipc(99, 0, 0, 0, NULL, 0));
}
#endif

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	sems();
	msgs();
#ifndef __x86_64__
	multiplexer();
#else
	printf("ipc multiplexer: i386 only\n");
#endif
	return 0;
}
