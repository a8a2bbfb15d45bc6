/* ioprio_set/ioprio_get: classes and levels, the validity and privilege
 * checks, inheritance by fork and threads, process groups, and the
 * errors for bad which/who. */
#include "misc_common.h"
#include <pthread.h>
#include <sys/resource.h>

#define WHO_PROCESS 1
#define WHO_PGRP 2
#define WHO_USER 3
#define PRIO(c, l) (((c) << 13) | (l))

static long get(int which, int who) { return syscall(SYS_ioprio_get, which, who); }
static long set(int which, int who, int prio) { return syscall(SYS_ioprio_set, which, who, prio); }

static void *thread_fn(void *arg) {
	(void)arg;
	CHECKX("thread inherits", get(WHO_PROCESS, 0));
	CHECK("thread sets its own", set(WHO_PROCESS, 0, PRIO(3, 0)));
	CHECKX("thread reads its own", get(WHO_PROCESS, 0));
	return NULL;
}

int main(void) {
	setvbuf(stdout, NULL, _IONBF, 0);
	CHECKX("initial", get(WHO_PROCESS, 0));
	CHECKX("initial by pid", get(WHO_PROCESS, getpid()));
	CHECK("set BE 3", set(WHO_PROCESS, 0, PRIO(2, 3)));
	CHECKX("get", get(WHO_PROCESS, 0));
	CHECK("set BE 7", set(WHO_PROCESS, 0, PRIO(2, 7)));
	CHECK("set IDLE", set(WHO_PROCESS, 0, PRIO(3, 0)));
	CHECKX("get idle", get(WHO_PROCESS, 0));
	CHECK("set IDLE 5", set(WHO_PROCESS, 0, PRIO(3, 5)));
	CHECKX("get idle 5", get(WHO_PROCESS, 0));
	CHECK("set NONE 1", set(WHO_PROCESS, 0, PRIO(0, 1)));
	CHECK("set class 4", set(WHO_PROCESS, 0, PRIO(4, 0)));
	CHECK("set class 7", set(WHO_PROCESS, 0, PRIO(7, 0)));
	CHECK("set BE with hint 1", set(WHO_PROCESS, 0, PRIO(2, 1) | (1 << 3)));
	CHECKX("get hint", get(WHO_PROCESS, 0));
	CHECK("set BE with hint 100", set(WHO_PROCESS, 0, PRIO(2, 1) | (100 << 3)));
	CHECK("set negative", set(WHO_PROCESS, 0, -1));
	CHECK("set which 0", set(0, 0, PRIO(2, 1)));
	CHECK("set which 4", set(4, 0, PRIO(2, 1)));
	CHECK("get which 4", get(4, 0));
	CHECK("get no such pid", get(WHO_PROCESS, 999999));
	CHECK("set no such pid", set(WHO_PROCESS, 999999, PRIO(2, 1)));
	CHECK("get no such pgrp", get(WHO_PGRP, 999999));
	CHECK("get no such user", get(WHO_USER, 54321));
	CHECK("set RT 0 as root", set(WHO_PROCESS, 0, PRIO(1, 0)));
	CHECK("set NONE", set(WHO_PROCESS, 0, PRIO(0, 0)));
	CHECKX("get none", get(WHO_PROCESS, 0));

	/* A process group of its own: its best priority. */
	CHECK("setpgid", setpgid(0, 0));
	CHECKX("pgrp of an unset process (nice 0)", get(WHO_PGRP, 0));
	CHECK("setpriority 10", setpriority(PRIO_PROCESS, 0, 10));
	CHECKX("pgrp at nice 10", get(WHO_PGRP, 0));
	CHECK("set BE 6", set(WHO_PROCESS, 0, PRIO(2, 6)));
	CHECKX("pgrp BE 6", get(WHO_PGRP, 0));

	pid_t pid = fork();
	if (pid == 0) {
		CHECKX("child inherits", get(WHO_PROCESS, 0));
		CHECK("child sets BE 1", set(WHO_PROCESS, 0, PRIO(2, 1)));
		_exit(0);
	}
	waitchild("child", pid);
	CHECKX("parent unchanged", get(WHO_PROCESS, 0));

	int p[2];
	pipe(p);
	pid = fork();
	if (pid == 0) {
		char c;
		read(p[0], &c, 1);
		_exit(0);
	}
	CHECK("set child's", set(WHO_PROCESS, pid, PRIO(3, 0)));
	CHECKX("get child's", get(WHO_PROCESS, pid));
	CHECKX("pgrp best", get(WHO_PGRP, 0));
	CHECK("set pgrp", set(WHO_PGRP, 0, PRIO(2, 2)));
	CHECKX("child after pgrp set", get(WHO_PROCESS, pid));
	write(p[1], "x", 1);
	waitchild("child 2", pid);

	pthread_t th;
	pthread_create(&th, NULL, thread_fn, NULL);
	pthread_join(th, NULL);
	CHECKX("main after thread", get(WHO_PROCESS, 0));

	/* An unprivileged user: RT is refused, others' processes too. */
	pid = fork();
	if (pid == 0) {
		if (setgid(65534) || setuid(65534)) _exit(2);
		CHECK("user: set RT", set(WHO_PROCESS, 0, PRIO(1, 0)));
		CHECK("user: set BE", set(WHO_PROCESS, 0, PRIO(2, 5)));
		CHECK("user: set parent's", set(WHO_PROCESS, getppid(), PRIO(2, 5)));
		CHECKX("user: get parent's", get(WHO_PROCESS, getppid()));
		_exit(0);
	}
	waitchild("user child", pid);
	return 0;
}
