/* RLIMIT_MEMLOCK: mlock, mlock2, mlockall, MAP_LOCKED, MCL_FUTURE and
 * SHM_LOCK against the limit, with their errors (EPERM with a limit of 0,
 * ENOMEM and EAGAIN past it, pages locked twice counted once), VmLck in
 * /proc/self/status, and CAP_IPC_LOCK lifting it. The limited part runs as
 * uid 65527 (no capabilities, and a SHM_LOCK count nothing else shares). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static long pg;

static const char *en(long r) {
	if (r >= 0) return "ok";
	switch (errno) {
	case EPERM: return "EPERM";
	case ENOMEM: return "ENOMEM";
	case EAGAIN: return "EAGAIN";
	case EINVAL: return "EINVAL";
	}
	return strerror(errno);
}

static void vmlck(const char *when) {
	char b[256];
	FILE *f = fopen("/proc/self/status", "r");
	while (f && fgets(b, sizeof b, f))
		if (strncmp(b, "VmLck:", 6) == 0) printf("%s: %s", when, b);
	if (f) fclose(f);
}

static void setlim(long pages) {
	struct rlimit rl = {pages * pg, pages * pg};
	if (setrlimit(RLIMIT_MEMLOCK, &rl) < 0) perror("setrlimit");
}

static long mlock2_(void *a, size_t n, int flags) { return syscall(SYS_mlock2, a, n, flags); }

static void *map(long pages, int flags) {
	void *p = mmap(NULL, pages * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | flags, -1, 0);
	return p;
}

static void limited(void) {
	char *p = map(8, 0);
	if (p == MAP_FAILED) return;
	/* Only lowering from here on. */
	setlim(0);
	printf("limit 0: mlock %s\n", en(mlock(p, pg)));
	printf("limit 0: mlock2 %s\n", en(mlock2_(p, pg, 0)));
	printf("limit 0: mlockall %s\n", en(mlockall(MCL_CURRENT)));
	printf("limit 0: mlockall MCL_FUTURE %s\n", en(mlockall(MCL_FUTURE)));
	void *q = map(1, MAP_LOCKED);
	printf("limit 0: MAP_LOCKED %s\n", en(q == MAP_FAILED ? -1 : 0));
	int id = shmget(IPC_PRIVATE, 2 * pg, IPC_CREAT | 0600);
	printf("limit 0: SHM_LOCK %s\n", en(shmctl(id, SHM_LOCK, NULL)));
	printf("limit 0: SHM_UNLOCK %s\n", en(shmctl(id, SHM_UNLOCK, NULL)));
	printf("limit 0: munlock %s\n", en(munlock(p, pg)));
	printf("limit 0: munlockall %s\n", en(munlockall()));
}

static void three(void) {
	char *p = map(8, 0);
	if (p == MAP_FAILED) return;
	setlim(3);
	printf("mlock 2 pages: %s\n", en(mlock(p, 2 * pg)));
	printf("mlock them again: %s\n", en(mlock(p, 2 * pg)));
	printf("mlock 2 more: %s\n", en(mlock(p + 2 * pg, 2 * pg)));
	printf("mlock 1 more: %s\n", en(mlock(p + 2 * pg, pg)));
	vmlck("three locked");
	printf("mlock 1 page over: %s\n", en(mlock(p + 3 * pg, 1)));
	printf("munlock all 8: %s\n", en(munlock(p, 8 * pg)));
	printf("mlock2 ONFAULT 3 pages: %s\n", en(mlock2_(p, 3 * pg, MLOCK_ONFAULT)));
	printf("mlock2 bad flags: %s\n", en(mlock2_(p, pg, 2)));
	printf("mlock length 0: %s\n", en(mlock(p + 7 * pg, 0)));
	munlock(p, 8 * pg);
	munmap(p + 4 * pg, pg);
	printf("mlock across a hole: %s\n", en(mlock(p + 3 * pg, 2 * pg)));
	munlock(p, 8 * pg);
	vmlck("none locked");
	void *q = map(4, MAP_LOCKED);
	printf("MAP_LOCKED 4 pages: %s\n", en(q == MAP_FAILED ? -1 : 0));
	q = map(2, MAP_LOCKED);
	printf("MAP_LOCKED 2 pages: %s\n", en(q == MAP_FAILED ? -1 : 0));
	vmlck("after MAP_LOCKED");
	printf("mlock 2 more: %s\n", en(mlock(p, 2 * pg)));
	if (q != MAP_FAILED) munmap(q, 2 * pg);
	printf("mlockall MCL_CURRENT: %s\n", en(mlockall(MCL_CURRENT)));
	printf("mlockall MCL_FUTURE: %s\n", en(mlockall(MCL_FUTURE)));
	q = map(4, 0);
	printf("mmap 4 pages under MCL_FUTURE: %s\n", en(q == MAP_FAILED ? -1 : 0));
	q = map(2, 0);
	printf("mmap 2 pages under MCL_FUTURE: %s\n", en(q == MAP_FAILED ? -1 : 0));
	vmlck("MCL_FUTURE mapping");
	printf("munlockall: %s\n", en(munlockall()));
	vmlck("after munlockall");
	q = map(4, 0);
	printf("mmap 4 pages after: %s\n", en(q == MAP_FAILED ? -1 : 0));
	printf("mlockall bad flags: %s\n", en(mlockall(0)));
	printf("mlockall ONFAULT alone: %s\n", en(mlockall(MCL_ONFAULT)));

	/* SHM_LOCK counts per user. */
	int a = shmget(IPC_PRIVATE, 2 * pg, IPC_CREAT | 0600);
	int b = shmget(IPC_PRIVATE, 2 * pg, IPC_CREAT | 0600);
	int c = shmget(IPC_PRIVATE, 4 * pg, IPC_CREAT | 0600);
	printf("SHM_LOCK 4 pages: %s\n", en(shmctl(c, SHM_LOCK, NULL)));
	printf("SHM_LOCK 2 pages: %s\n", en(shmctl(a, SHM_LOCK, NULL)));
	printf("SHM_LOCK them again: %s\n", en(shmctl(a, SHM_LOCK, NULL)));
	printf("SHM_LOCK 2 more: %s\n", en(shmctl(b, SHM_LOCK, NULL)));
	printf("SHM_UNLOCK the first: %s\n", en(shmctl(a, SHM_UNLOCK, NULL)));
	printf("SHM_LOCK 2 more then: %s\n", en(shmctl(b, SHM_LOCK, NULL)));
	struct shmid_ds ds;
	shmctl(b, IPC_STAT, &ds);
	printf("locked mode bit: %d\n", (ds.shm_perm.mode & SHM_LOCKED) != 0);
	shmctl(a, IPC_RMID, NULL);
	shmctl(b, IPC_RMID, NULL);
	shmctl(c, IPC_RMID, NULL);
}

int main(void) {
	pg = sysconf(_SC_PAGESIZE);
	if (geteuid() != 0) {
		printf("needs root\n");
		return 0;
	}
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		if (setgid(65527) < 0 || setuid(65527) < 0) _exit(2);
		fflush(stdout);
		pid_t d = fork();
		if (d == 0) {
			limited();
			fflush(stdout);
			_exit(0);
		}
		waitpid(d, NULL, 0);
		three();
		fflush(stdout);
		_exit(0);
	}
	int st;
	waitpid(c, &st, 0);
	printf("limited child exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);

	/* CAP_IPC_LOCK: no limit binds. */
	fflush(stdout);
	c = fork();
	if (c == 0) {
		setlim(0);
		char *p = map(8, 0);
		printf("CAP_IPC_LOCK: mlock %s\n", en(mlock(p, 8 * pg)));
		void *q = map(4, MAP_LOCKED);
		printf("CAP_IPC_LOCK: MAP_LOCKED %s\n", en(q == MAP_FAILED ? -1 : 0));
		vmlck("CAP_IPC_LOCK");
		int id = shmget(IPC_PRIVATE, 4 * pg, IPC_CREAT | 0600);
		printf("CAP_IPC_LOCK: SHM_LOCK %s\n", en(shmctl(id, SHM_LOCK, NULL)));
		shmctl(id, IPC_RMID, NULL);
		printf("CAP_IPC_LOCK: mlockall %s\n", en(mlockall(MCL_CURRENT | MCL_FUTURE)));
		printf("CAP_IPC_LOCK: munlockall %s\n", en(munlockall()));
		fflush(stdout);
		_exit(0);
	}
	waitpid(c, &st, 0);
	printf("privileged child exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	return 0;
}
