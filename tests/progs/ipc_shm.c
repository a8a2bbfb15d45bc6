/* System V shared memory: shmget's key/flag rules and errors, shmat at
 * chosen and rounded addresses, read-only attaches, sharing across fork,
 * attach counts, IPC_STAT/IPC_SET/IPC_RMID (a removed segment lives until
 * its last detach), IPC_INFO, SHM_INFO, permissions for another user. */
#include "file_common.h"
#include <signal.h>
#include <setjmp.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/wait.h>

static sigjmp_buf jb;
static void onsegv(int s) { (void)s; siglongjmp(jb, 1); }

/* lpid is the last process to attach or detach; kite does not track the
 * implicit attaches of fork and detaches of exit, so after those the
 * checks leave it out (showlpid 0) from the first fork on. */
static int showlpid = 1;

static void stat_(int id, const char *what) {
	struct shmid_ds ds;
	if (shmctl(id, IPC_STAT, &ds) < 0) {
		printf("%s: IPC_STAT %s\n", what, errname(errno));
		return;
	}
	printf("%s: size %zu nattch %lu mode %o uid %d gid %d cuid %d cpid-self %d lpid-self %d atime-set %d dtime-set %d\n",
	       what, ds.shm_segsz, (unsigned long)ds.shm_nattch, ds.shm_perm.mode, ds.shm_perm.uid, ds.shm_perm.gid,
	       ds.shm_perm.cuid, ds.shm_cpid == getpid(), showlpid ? ds.shm_lpid == getpid() : -1, ds.shm_atime != 0, ds.shm_dtime != 0);
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	key_t key = 0x4b1e0000 + (getpid() & 0xffff);
	CHECK("shmget size 0", shmget(IPC_PRIVATE, 0, 0600));
	CHECK("shmget missing key", shmget(key, 4096, 0600));
	int id = shmget(key, 10000, IPC_CREAT | 0640);
	CHECKOK("shmget create", id);
	CHECK("shmget excl", shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0600));
	printf("same id again: %d\n", shmget(key, 4096, 0) == id);
	CHECK("shmget bigger than segment", shmget(key, 20000, 0));
	stat_(id, "new");

	char *p = shmat(id, NULL, 0);
	printf("shmat: %s\n", p == (void *)-1 ? errname(errno) : "ok");
	strcpy(p, "hello from parent");
	stat_(id, "attached");
	char *q = shmat(id, NULL, SHM_RDONLY);
	printf("second attach sees: %s\n", q);
	stat_(id, "two attaches");
	signal(SIGSEGV, onsegv);
	if (sigsetjmp(jb, 1) == 0) {
		q[0] = 'x';
		printf("write to read-only attach succeeded\n");
	} else {
		printf("write to read-only attach: SIGSEGV\n");
	}
	CHECK("shmdt second", shmdt(q));
	CHECK("shmdt again", shmdt(q));
	CHECK("shmdt unaligned", shmdt(p + 1));
	CHECK("shmdt not a segment", shmdt((void *)&id));

	/* Attach at a chosen address, and rounded. */
	char *fixed = (char *)0x600000000000;
	printf("shmat fixed: %d\n", shmat(id, fixed, 0) == fixed);
	printf("shmat unaligned: %s\n", shmat(id, fixed + 100, 0) == (void *)-1 ? errname(errno) : "ok");
	printf("shmat over existing: %s\n", shmat(id, fixed, 0) == (void *)-1 ? errname(errno) : "ok");
	printf("shmat SHM_REMAP: %d\n", shmat(id, fixed, SHM_REMAP) == fixed);
	printf("shmat SHM_RND: %d\n", shmat(id, fixed + 0x10000 + 100, SHM_RND) == fixed + 0x10000);
	printf("fixed sees: %s\n", fixed);
	shmdt(fixed);
	shmdt(fixed + 0x10000);

	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		printf("child inherits attach: %s\n", p);
		strcpy(p, "written by child");
		stat_(id, "in child");
		fflush(stdout);
		_exit(0);
	}
	waitpid(c, NULL, 0);
	printf("parent sees: %s\n", p);
	showlpid = 0;
	stat_(id, "after child exit");

	struct shmid_ds ds;
	shmctl(id, IPC_STAT, &ds);
	ds.shm_perm.mode = 0604;
	ds.shm_perm.uid = 1000;
	CHECK("IPC_SET", shmctl(id, IPC_SET, &ds));
	stat_(id, "after IPC_SET");
	CHECK("IPC_SET bad buf", shmctl(id, IPC_SET, bad));
	CHECK("IPC_STAT bad buf", shmctl(id, IPC_STAT, bad));
	CHECK("bad cmd", shmctl(id, 99, &ds));
	CHECK("bad id", shmctl(id + 1, IPC_STAT, &ds));
	CHECK("negative id", shmctl(-1, IPC_STAT, &ds));
	CHECK("shmat bad id", (long)shmat(-5, NULL, 0));

	/* Another user's view, when there is privilege to become one. */
	if (geteuid() == 0) {
		fflush(stdout);
		c = fork();
		if (c == 0) {
			setgid(2000);
			setuid(2000);
			CHECK("other user shmget rw", shmget(key, 0, 0600));
			CHECK("other user shmat rw", (long)shmat(id, NULL, 0));
			printf("other user shmat ro: %s\n", shmat(id, NULL, SHM_RDONLY) == (void *)-1 ? errname(errno) : "ok");
			CHECK("other user IPC_RMID", shmctl(id, IPC_RMID, NULL));
			fflush(stdout);
			_exit(0);
		}
		waitpid(c, NULL, 0);
	}

	struct shminfo info;
	CHECKOK("IPC_INFO", shmctl(0, IPC_INFO, (struct shmid_ds *)&info));
	printf("shmmni %lu shmmin %lu\n", info.shmmni, info.shmmin);
	struct shm_info si;
	CHECKOK("SHM_INFO", shmctl(0, SHM_INFO, (struct shmid_ds *)&si));

	CHECK("IPC_RMID", shmctl(id, IPC_RMID, NULL));
	stat_(id, "removed but attached");
	CHECK("key gone", shmget(key, 4096, 0));
	printf("still readable: %s\n", p);
	CHECK("shmdt last", shmdt(p));
	CHECK("IPC_STAT after last detach", shmctl(id, IPC_STAT, &ds));

	int priv = shmget(IPC_PRIVATE, 4096, 0600);
	int priv2 = shmget(IPC_PRIVATE, 4096, 0600);
	printf("private segments differ: %d\n", priv != priv2);
	CHECK("RMID unattached", shmctl(priv, IPC_RMID, NULL));
	CHECK("STAT after RMID", shmctl(priv, IPC_STAT, &ds));
	shmctl(priv2, IPC_RMID, NULL);
	return 0;
}
