/* setns with a pidfd and several CLONE_NEW* flags is all or nothing: when
 * one namespace cannot be joined (a PID namespace that is not below the
 * caller's, a time namespace for a threaded caller) none is, and the
 * namespaces checked before it (UTS, IPC) stay as they were. */
#include "file_common.h"
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x80
#endif

static int pidfd_open_(pid_t pid) { return syscall(SYS_pidfd_open, pid, 0); }

static ino_t nsino(const char *p) {
	struct stat st;
	return stat(p, &st) < 0 ? 0 : st.st_ino;
}

static ino_t time0;
static char node0[65];

static void show(const char *what, ino_t uts0, ino_t ipc0) {
	struct utsname u;
	uname(&u);
	printf("%s: nodename %s, uts %s, ipc %s, time %s\n", what, strcmp(u.nodename, node0) ? u.nodename : "unchanged",
	       nsino("/proc/self/ns/uts") == uts0 ? "same" : "joined",
	       nsino("/proc/self/ns/ipc") == ipc0 ? "same" : "joined",
	       nsino("/proc/self/ns/time") == time0 ? "same" : "joined");
}

/* target makes a process in new UTS, IPC, PID (as its init) and time
 * namespaces with hostname "inner" that waits for its pipe to close;
 * it returns the pid of the process between, the target's in *gp and
 * the write end in *hold. */
static pid_t target(int *hold, pid_t *gp) {
	int ready[2], wait_[2];
	if (pipe(ready) < 0 || pipe(wait_) < 0)
		exit(2);
	pid_t mid = fork();
	if (mid < 0)
		exit(2);
	if (mid == 0) {
		close(ready[0]);
		close(wait_[1]);
		if (unshare(CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWPID | CLONE_NEWTIME) < 0) {
			printf("target unshare: -1 %s\n", errname(errno));
			fflush(stdout);
			_exit(1);
		}
		pid_t g = fork();
		if (g < 0)
			_exit(2);
		if (g == 0) {
			sethostname("inner", 5);
			/* /proc is the outer namespace's: its self link
			 * is this process's pid there. */
			char self[32] = {0};
			if (readlink("/proc/self", self, sizeof self - 1) <= 0)
				_exit(2);
			pid_t outer = atoi(self);
			if (write(ready[1], &outer, sizeof outer) != sizeof outer)
				_exit(2);
			char c;
			while (read(wait_[0], &c, 1) > 0)
				;
			_exit(0);
		}
		close(ready[1]);
		int st;
		waitpid(g, &st, 0);
		_exit(0);
	}
	close(ready[1]);
	close(wait_[0]);
	if (read(ready[0], gp, sizeof *gp) != sizeof *gp) {
		int st;
		waitpid(mid, &st, 0);
		return -1;
	}
	close(ready[0]);
	*hold = wait_[1];
	return mid;
}

static int release_fd = -1;

static void *blocker(void *arg) {
	char c;
	(void)arg;
	while (read(release_fd, &c, 1) > 0)
		;
	return NULL;
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	ino_t uts0 = nsino("/proc/self/ns/uts"), ipc0 = nsino("/proc/self/ns/ipc");
	time0 = nsino("/proc/self/ns/time");
	struct utsname u0;
	uname(&u0);
	snprintf(node0, sizeof node0, "%s", u0.nodename);
	int hold;
	pid_t g;
	pid_t mid = target(&hold, &g);
	if (mid < 0) {
		printf("no target\n");
		return 0;
	}
	int pfd = pidfd_open_(g);
	CHECKOK("pidfd_open", pfd);

	/* A second thread: joining a time namespace needs a single thread
	 * (EUSERS), checked after UTS and IPC. */
	int rel[2];
	if (pipe(rel) < 0)
		return 2;
	release_fd = rel[0];
	pthread_t th;
	pthread_create(&th, NULL, blocker, NULL);
	CHECK("setns(uts|ipc|time), threaded", setns(pfd, CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWTIME));
	show("after a failed setns", uts0, ipc0);
	close(rel[1]);
	pthread_join(th, NULL);

	/* A PID namespace that is not below the caller's: the caller is
	 * init of a namespace of its own, a sibling of the target's. */
	pid_t h = fork();
	if (h == 0) {
		if (unshare(CLONE_NEWPID) < 0) {
			printf("unshare(CLONE_NEWPID): -1 %s\n", errname(errno));
			_exit(0);
		}
		pid_t x = fork();
		if (x == 0) {
			CHECK("setns(uts|ipc|pid) from a sibling PID namespace", setns(pfd, CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWPID));
			show("sibling after a failed setns", uts0, ipc0);
			CHECK("setns(uts|ipc) from a sibling PID namespace", setns(pfd, CLONE_NEWUTS | CLONE_NEWIPC));
			show("sibling after setns", uts0, ipc0);
			_exit(0);
		}
		int st;
		waitpid(x, &st, 0);
		_exit(0);
	}
	int st;
	waitpid(h, &st, 0);

	/* Single-threaded now: everything is joined at once. */
	CHECK("setns(uts|ipc|time)", setns(pfd, CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWTIME));
	show("after setns", uts0, ipc0);
	close(hold);
	waitpid(mid, &st, 0);
	return 0;
}
