/* System V semaphores: semget's rules and errors, semop's atomicity,
 * IPC_NOWAIT, blocking with a wake-up from another process (GETNCNT and
 * GETZCNT while it waits), semtimedop's timeout, SEM_UNDO applied at
 * exit, semctl's GETVAL/SETVAL/GETALL/SETALL/GETPID/IPC_STAT/IPC_SET/
 * IPC_INFO/SEM_INFO and IPC_RMID waking a sleeper with EIDRM. */
#include "file_common.h"
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/wait.h>
#include <time.h>

union semun { int val; struct semid_ds *buf; unsigned short *array; struct seminfo *__buf; };

static int op(int id, int num, int delta, int flag) {
	struct sembuf b = {num, delta, flag};
	return semop(id, &b, 1);
}

static void vals(int id, const char *what) {
	unsigned short v[3];
	union semun u = {.array = v};
	semctl(id, 0, GETALL, u);
	printf("%s: %d %d %d\n", what, v[0], v[1], v[2]);
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	key_t key = 0x5e300000 + (getpid() & 0xffff);
	CHECK("semget nsems 0 new", semget(IPC_PRIVATE, 0, 0600));
	CHECK("semget nsems -1", semget(IPC_PRIVATE, -1, 0600));
	CHECK("semget missing", semget(key, 3, 0600));
	int id = semget(key, 3, IPC_CREAT | 0600);
	CHECKOK("semget create", id);
	CHECK("semget excl", semget(key, 3, IPC_CREAT | IPC_EXCL | 0600));
	CHECK("semget more sems", semget(key, 4, 0));
	printf("same id: %d\n", semget(key, 0, 0) == id);
	vals(id, "initial");

	CHECK("op +2 on 0", op(id, 0, 2, 0));
	CHECK("op -1 on 0", op(id, 0, -1, 0));
	CHECK("op -5 nowait", op(id, 0, -5, IPC_NOWAIT));
	CHECK("wait-for-zero nowait", op(id, 0, 0, IPC_NOWAIT));
	CHECK("op on sem 3", op(id, 3, 1, 0));
	CHECK("op too big", op(id, 1, 32767, 0) < 0 ? -1 : op(id, 1, 1, 0));
	union semun u;
	u.val = 0;
	semctl(id, 1, SETVAL, u);
	/* Atomic: the second op blocks, so the first is not applied. */
	struct sembuf two[2] = {{1, 5, 0}, {2, -1, IPC_NOWAIT}};
	CHECK("atomic pair", semop(id, two, 2));
	vals(id, "after failed pair");
	CHECK("nsops 0", semop(id, two, 0));
	CHECK("bad sops", semop(id, bad, 1));
	CHECK("bad id", op(id + 1, 0, 1, 0));
	CHECK("GETVAL", semctl(id, 0, GETVAL));
	CHECK("GETVAL bad num", semctl(id, 7, GETVAL));
	u.val = 40000;
	CHECK("SETVAL too big", semctl(id, 0, SETVAL, u));
	u.val = -1;
	CHECK("SETVAL negative", semctl(id, 0, SETVAL, u));
	unsigned short all[3] = {4, 5, 6};
	u.array = all;
	CHECK("SETALL", semctl(id, 0, SETALL, u));
	vals(id, "after SETALL");
	printf("GETPID is self: %d\n", semctl(id, 2, GETPID) == getpid());

	/* A sleeper woken by another process. */
	u.val = 0;
	semctl(id, 0, SETVAL, u);
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		int r = op(id, 0, -2, 0);
		printf("child woke: %d val %d\n", r, semctl(id, 0, GETVAL));
		fflush(stdout);
		_exit(0);
	}
	while (semctl(id, 0, GETNCNT) == 0) sched_yield();
	printf("GETNCNT 1\n");
	fflush(stdout);
	int r = op(id, 0, 3, 0);
	waitpid(c, NULL, 0);
	printf("op +3: %d\n", r);

	/* Wait for zero. */
	fflush(stdout);
	c = fork();
	if (c == 0) {
		int r = op(id, 0, 0, 0);
		printf("zero waiter woke: %d\n", r);
		fflush(stdout);
		_exit(0);
	}
	while (semctl(id, 0, GETZCNT) == 0) sched_yield();
	printf("GETZCNT 1\n");
	fflush(stdout);
	r = op(id, 0, -1, 0);
	waitpid(c, NULL, 0);
	printf("op -1 to zero: %d\n", r);

	/* semtimedop times out. */
	struct timespec ts = {0, 20000000};
	struct sembuf w = {0, -1, 0};
	CHECK("semtimedop timeout", semtimedop(id, &w, 1, &ts));
	ts.tv_nsec = 2000000000;
	CHECK("semtimedop bad timeout", semtimedop(id, &w, 1, &ts));

	/* SEM_UNDO at exit. */
	fflush(stdout);
	c = fork();
	if (c == 0) {
		op(id, 1, 3, SEM_UNDO);
		op(id, 2, -2, SEM_UNDO);
		vals(id, "child with undo");
		fflush(stdout);
		_exit(0);
	}
	waitpid(c, NULL, 0);
	vals(id, "after child exit");

	struct semid_ds ds;
	u.buf = &ds;
	CHECK("IPC_STAT", semctl(id, 0, IPC_STAT, u));
	printf("nsems %lu mode %o uid %d otime-set %d\n", (unsigned long)ds.sem_nsems, ds.sem_perm.mode, ds.sem_perm.uid, ds.sem_otime != 0);
	ds.sem_perm.mode = 0640;
	CHECK("IPC_SET", semctl(id, 0, IPC_SET, u));
	semctl(id, 0, IPC_STAT, u);
	printf("mode after IPC_SET %o\n", ds.sem_perm.mode);
	struct seminfo si;
	u.__buf = &si;
	CHECKOK("IPC_INFO", semctl(id, 0, IPC_INFO, u));
	printf("semmsl %d semopm %d semvmx %d semmni %d\n", si.semmsl, si.semopm, si.semvmx, si.semmni);
	CHECK("bad cmd", semctl(id, 0, 99));

	/* Another user's view, when there is privilege to become one. */
	if (geteuid() == 0) {
		fflush(stdout);
		c = fork();
		if (c == 0) {
			setgid(2000);
			setuid(2000);
			CHECK("other user GETVAL", semctl(id, 0, GETVAL));
			CHECK("other user op", op(id, 0, 1, 0));
			CHECK("other user RMID", semctl(id, 0, IPC_RMID));
			fflush(stdout);
			_exit(0);
		}
		waitpid(c, NULL, 0);
	}

	/* IPC_RMID wakes a sleeper with EIDRM. */
	u.val = 0;
	semctl(id, 0, SETVAL, u);
	fflush(stdout);
	c = fork();
	if (c == 0) {
		CHECK("sleeper after RMID", op(id, 0, -1, 0));
		fflush(stdout);
		_exit(0);
	}
	while (semctl(id, 0, GETNCNT) == 0) sched_yield();
	fflush(stdout);
	r = semctl(id, 0, IPC_RMID);
	waitpid(c, NULL, 0);
	printf("IPC_RMID: %d\n", r);
	CHECK("GETVAL after RMID", semctl(id, 0, GETVAL));
	return 0;
}
