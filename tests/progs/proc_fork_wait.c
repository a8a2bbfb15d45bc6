/* fork, vfork, wait4, waitid, exit statuses, process groups and sessions. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *en(int e) {
	switch (e) {
	case 0: return "OK";
	case ECHILD: return "ECHILD";
	case EINVAL: return "EINVAL";
	case EPERM: return "EPERM";
	case ESRCH: return "ESRCH";
	case EFAULT: return "EFAULT";
	case EACCES: return "EACCES";
	}
	static char buf[32];
	snprintf(buf, sizeof buf, "errno%d", e);
	return buf;
}

#define TRY(name, expr) do { errno = 0; long r_ = (long)(expr); printf("%s = %ld %s\n", name, r_ < 0 ? -1L : r_ > 0 ? 1L : 0L, r_ < 0 ? en(errno) : ""); fflush(stdout); } while (0)

static void describe(const char *what, int st) {
	if (WIFEXITED(st))
		printf("%s: exited %d\n", what, WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		printf("%s: killed by %s\n", what, strsignal(WTERMSIG(st)));
	else if (WIFSTOPPED(st))
		printf("%s: stopped by %s\n", what, strsignal(WSTOPSIG(st)));
	else
		printf("%s: status %#x\n", what, st);
	fflush(stdout);
}

int main(void) {
	int st;
	pid_t me = getpid();

	/* exit codes */
	for (int code = 0; code < 3; code++) {
		pid_t c = fork();
		if (c == 0)
			_exit(code * 7);
		pid_t w = waitpid(c, &st, 0);
		printf("waited right child %d\n", w == c);
		describe("child", st);
	}

	/* killed by a signal */
	pid_t c = fork();
	if (c == 0) {
		kill(getpid(), SIGTERM);
		for (;;) pause();
	}
	waitpid(c, &st, 0);
	describe("self-killed", st);

	/* parent kills child */
	c = fork();
	if (c == 0) {
		for (;;) pause();
	}
	kill(c, SIGKILL);
	waitpid(c, &st, 0);
	describe("sigkilled", st);

	/* child sees its parent */
	c = fork();
	if (c == 0)
		_exit(getppid() == me ? 0 : 1);
	waitpid(c, &st, 0);
	describe("getppid", st);

	/* WNOHANG, then a real wait: the child runs until the parent has
	 * looked (it waits for the pipe's end of file). */
	int gate[2];
	pipe(gate);
	c = fork();
	if (c == 0) {
		char b;
		close(gate[1]);
		read(gate[0], &b, 1);
		_exit(5);
	}
	close(gate[0]);
	TRY("waitpid WNOHANG (running)", waitpid(c, &st, WNOHANG));
	close(gate[1]);
	waitpid(c, &st, 0);
	describe("after WNOHANG", st);
	TRY("waitpid no children", waitpid(-1, &st, 0));
	TRY("waitpid bad options", waitpid(-1, &st, 0x1000));
	TRY("waitpid nonexistent", waitpid(999999, &st, 0));

	/* waitid with WNOWAIT leaves the zombie */
	c = fork();
	if (c == 0)
		_exit(9);
	siginfo_t si;
	memset(&si, 0, sizeof si);
	TRY("waitid WNOWAIT", waitid(P_PID, c, &si, WEXITED | WNOWAIT));
	printf("waitid: signo %d code %d status %d pid ok %d\n", si.si_signo, si.si_code, si.si_status, si.si_pid == c);
	memset(&si, 0, sizeof si);
	TRY("waitid", waitid(P_PID, c, &si, WEXITED));
	printf("waitid again: code %d status %d\n", si.si_code, si.si_status);
	TRY("waitid no flags", waitid(P_ALL, 0, &si, 0));
	TRY("waitid bad idtype", waitid(17, 0, &si, WEXITED));

	/* several children reaped with wait(-1) */
	for (int i = 0; i < 5; i++)
		if (fork() == 0)
			_exit(10 + i);
	int sum = 0;
	for (int i = 0; i < 5; i++) {
		wait(&st);
		sum += WEXITSTATUS(st);
	}
	printf("sum of statuses %d\n", sum);

	/* vfork shares memory until _exit */
	volatile int shared = 1;
	c = vfork();
	if (c == 0) {
		shared = 42;
		_exit(3);
	}
	waitpid(c, &st, 0);
	printf("vfork wrote %d\n", shared);
	describe("vfork child", st);

	/* process groups and sessions */
	pid_t pg = getpgrp();
	printf("pgrp==getpgid(0) %d sid==getsid(0) %d\n", pg == getpgid(0), getsid(0) == getsid(me));
	TRY("getpgid(nonexistent)", getpgid(999999));
	TRY("getsid(nonexistent)", getsid(999999));
	TRY("setpgid(-1)", setpgid(0, -1));
	c = fork();
	if (c == 0) {
		int ok = setpgid(0, 0) == 0 && getpgrp() == getpid();
		int s = setsid(); /* a group leader may not */
		_exit(ok && s < 0 && errno == EPERM ? 0 : 1);
	}
	waitpid(c, &st, 0);
	describe("child setpgid/setsid", st);
	c = fork();
	if (c == 0) {
		pid_t s = setsid();
		_exit(s == getpid() && getsid(0) == getpid() && getpgrp() == getpid() ? 0 : 1);
	}
	waitpid(c, &st, 0);
	describe("child setsid", st);
	c = fork();
	if (c == 0) {
		pause();
		_exit(0);
	}
	TRY("setpgid(child, child)", setpgid(c, c));
	printf("child's group is its pid %d\n", getpgid(c) == c);
	TRY("kill(-group, SIGTERM)", kill(-c, SIGTERM));
	waitpid(c, &st, 0);
	describe("group-killed", st);
	TRY("kill(nonexistent)", kill(999999, SIGTERM));
	TRY("kill(bad signal)", kill(me, 99));
	TRY("kill(self, 0)", kill(me, 0));
	return 0;
}
