/* Waits that must return: waitid(P_ALL, WSTOPPED) with only an exited
 * child gives ECHILD; waitid(P_PIDFD) on a non-blocking pidfd gives
 * EAGAIN while the child runs; a CLONE_VFORK|CLONE_THREAD thread that
 * execs releases the process, so its parent's wait returns. alarm()
 * turns a hang into a failure. No recursive forks. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

static char self[256];
static char stack[64 * 1024] __attribute__((aligned(16)));

static int exec_thread(void *arg) {
	(void)arg;
	execl(self, self, "after-exec", (char *)NULL);
	_exit(1);
}

int main(int argc, char **argv) {
	if (argc > 1 && strcmp(argv[1], "after-exec") == 0) {
		printf("exec'd image runs\n");
		return 7;
	}
	setvbuf(stdout, NULL, _IONBF, 0);
	alarm(100);
	ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
	if (len < 0)
		return 1;
	self[len] = 0;

	/* 1. Only an exited child: WSTOPPED alone has nothing to wait for. */
	pid_t c = fork();
	if (c == 0)
		_exit(3);
	siginfo_t si;
	memset(&si, 0, sizeof si);
	int r = waitid(P_PID, c, &si, WEXITED | WNOWAIT); /* now a zombie */
	printf("WNOWAIT: %d code %d status %d\n", r, si.si_code, si.si_status);
	errno = 0;
	r = waitid(P_ALL, 0, &si, WSTOPPED);
	printf("WSTOPPED with a zombie: %d %s\n", r, strerror(errno));
	errno = 0;
	r = waitid(P_ALL, 0, &si, WSTOPPED | WCONTINUED | WNOHANG);
	printf("WSTOPPED|WCONTINUED|WNOHANG with a zombie: %d %s\n", r, strerror(errno));
	int st;
	r = waitpid(c, &st, 0);
	printf("reaped %d status %d\n", r == c, WEXITSTATUS(st));

	/* 2. A non-blocking pidfd: EAGAIN while the child runs. */
	int p[2];
	if (pipe(p) < 0)
		return 1;
	c = fork();
	if (c == 0) {
		char b;
		close(p[1]);
		read(p[0], &b, 1);
		_exit(5);
	}
	close(p[0]);
	int pfd = syscall(SYS_pidfd_open, c, O_NONBLOCK);
	printf("pidfd_open nonblock ok %d\n", pfd >= 0);
	errno = 0;
	r = waitid(P_PIDFD, pfd, &si, WEXITED);
	printf("waitid nonblocking pidfd: %d %s\n", r, strerror(errno));
	memset(&si, 0xff, sizeof si);
	errno = 0;
	r = waitid(P_PIDFD, pfd, &si, WEXITED | WNOHANG);
	printf("waitid nonblocking pidfd WNOHANG: %d %s pid %d\n", r, strerror(errno), si.si_pid);
	close(p[1]);
	memset(&si, 0, sizeof si);
	r = waitid(P_PID, c, &si, WEXITED | WNOWAIT);
	errno = 0;
	r = waitid(P_PIDFD, pfd, &si, WEXITED);
	printf("waitid nonblocking pidfd after exit: %d %s code %d status %d\n", r, strerror(errno), si.si_code, si.si_status);
	close(pfd);

	/* 3. A CLONE_VFORK thread that execs. */
	c = fork();
	if (c == 0) {
		int t = clone(exec_thread, stack + sizeof stack,
			      CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_VFORK, NULL);
		if (t < 0)
			_exit(2);
		for (;;)
			pause();
	}
	r = waitpid(c, &st, 0);
	printf("vfork thread exec: waited %d exited %d status %d\n", r == c, WIFEXITED(st), WEXITSTATUS(st));
	return 0;
}
