/* pidfd_open, pidfd_send_signal (with a pidfd or a /proc/PID directory),
 * CLONE_PIDFD through clone3, waitid P_PIDFD, and poll on a pidfd. No
 * recursive forks. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* struct clone_args of <linux/sched.h>, which musl does not ship. */
struct clone_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size, cgroup;
};
#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x1000
#endif

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

static const char *en(int e) {
	switch (e) {
	case 0: return "OK";
	case EINVAL: return "EINVAL";
	case ESRCH: return "ESRCH";
	case EBADF: return "EBADF";
	case EFAULT: return "EFAULT";
	}
	static char b[32];
	snprintf(b, sizeof b, "errno%d", e);
	return b;
}

#define TRY(name, expr) do { errno = 0; long r_ = (long)(expr); int e_ = errno; printf("%s = %s %s\n", name, r_ < 0 ? "-1" : "ok", r_ < 0 ? en(e_) : ""); } while (0)

int main(void) {
	pid_t c = fork();
	if (c == 0) {
		pause();
		_exit(0);
	}
	int pfd = syscall(SYS_pidfd_open, c, 0);
	printf("pidfd_open ok %d cloexec %d\n", pfd >= 0, (fcntl(pfd, F_GETFD) & FD_CLOEXEC) != 0);
	TRY("pidfd_send_signal bad flags", syscall(SYS_pidfd_send_signal, pfd, SIGTERM, NULL, 0x100));
	TRY("pidfd_send_signal two scopes", syscall(SYS_pidfd_send_signal, pfd, SIGTERM, NULL, 3));
	TRY("pidfd_send_signal(0)", syscall(SYS_pidfd_send_signal, pfd, 0, NULL, 0));
	TRY("pidfd_send_signal(TERM)", syscall(SYS_pidfd_send_signal, pfd, SIGTERM, NULL, 0));
	siginfo_t si;
	memset(&si, 0, sizeof si);
	TRY("waitid P_PIDFD", waitid(P_PIDFD, pfd, &si, WEXITED));
	printf("waitid: code %d status %d pid ok %d\n", si.si_code, si.si_status, si.si_pid == c);
	TRY("pidfd_send_signal after reap", syscall(SYS_pidfd_send_signal, pfd, SIGTERM, NULL, 0));
	close(pfd);

	TRY("pidfd_open(0)", syscall(SYS_pidfd_open, 0, 0));
	TRY("pidfd_open(bad flags)", syscall(SYS_pidfd_open, getpid(), 1));
	TRY("pidfd_open(nonexistent)", syscall(SYS_pidfd_open, 999999, 0));
	TRY("pidfd_send_signal(not a pidfd)", syscall(SYS_pidfd_send_signal, 0, SIGTERM, NULL, 0));
	TRY("pidfd_send_signal(bad fd)", syscall(SYS_pidfd_send_signal, 99, SIGTERM, NULL, 0));
	/* The fd and the siginfo are checked before the signal number. */
	TRY("pidfd_send_signal(bad fd, signal 65)", syscall(SYS_pidfd_send_signal, 99, 65, NULL, 0));
	TRY("pidfd_send_signal(not a pidfd, signal -1)", syscall(SYS_pidfd_send_signal, 0, -1, NULL, 0));
	TRY("pidfd_send_signal(/proc/self, signal 65, bad info)",
	    syscall(SYS_pidfd_send_signal, open("/proc/self", O_RDONLY | O_DIRECTORY), 65, (void *)1, 0));

	/* A /proc/PID directory names its process to pidfd_send_signal;
	 * /proc itself, a thread's directory and a file do not. */
	int self = open("/proc/self", O_RDONLY | O_DIRECTORY);
	TRY("pidfd_send_signal(/proc/self, 0)", syscall(SYS_pidfd_send_signal, self, 0, NULL, 0));
	{
		/* A siginfo must carry the number sent. */
		signal(SIGUSR1, SIG_IGN);
		siginfo_t qi;
		memset(&qi, 0, sizeof qi);
		qi.si_signo = SIGUSR2;
		qi.si_code = SI_QUEUE;
		qi.si_pid = getpid();
		qi.si_uid = getuid();
		TRY("pidfd_send_signal(self, USR1, siginfo of USR2)", syscall(SYS_pidfd_send_signal, self, SIGUSR1, &qi, 0));
		qi.si_signo = SIGUSR1;
		TRY("pidfd_send_signal(self, USR1, siginfo of USR1)", syscall(SYS_pidfd_send_signal, self, SIGUSR1, &qi, 0));
		signal(SIGUSR1, SIG_DFL);
	}
	char path[64];
	snprintf(path, sizeof path, "/proc/self/task/%d", (int)getpid());
	int task = open(path, O_RDONLY | O_DIRECTORY);
	TRY("pidfd_send_signal(/proc/self/task/TID)", syscall(SYS_pidfd_send_signal, task, 0, NULL, 0));
	int root = open("/proc", O_RDONLY | O_DIRECTORY);
	TRY("pidfd_send_signal(/proc)", syscall(SYS_pidfd_send_signal, root, 0, NULL, 0));
	int stat = open("/proc/self/stat", O_RDONLY);
	TRY("pidfd_send_signal(/proc/self/stat)", syscall(SYS_pidfd_send_signal, stat, 0, NULL, 0));
	TRY("waitid P_PIDFD on /proc/self", waitid(P_PIDFD, self, &si, WEXITED | WNOHANG));
	c = fork();
	if (c == 0) {
		pause();
		_exit(0);
	}
	snprintf(path, sizeof path, "/proc/%d", (int)c);
	int cdir = open(path, O_RDONLY | O_DIRECTORY);
	TRY("pidfd_send_signal(/proc/CHILD, KILL)", syscall(SYS_pidfd_send_signal, cdir, SIGKILL, NULL, 0));
	int st;
	waitpid(c, &st, 0);
	printf("child killed by %d\n", WIFSIGNALED(st) ? WTERMSIG(st) : -1);
	TRY("pidfd_send_signal(/proc/CHILD) after reap", syscall(SYS_pidfd_send_signal, cdir, 0, NULL, 0));
	close(self), close(task), close(root), close(stat), close(cdir);

	int cpfd = -1;
	struct clone_args args;
	memset(&args, 0, sizeof args);
	args.flags = CLONE_PIDFD;
	args.pidfd = (uintptr_t)&cpfd;
	args.exit_signal = SIGCHLD;
	long r = syscall(SYS_clone3, &args, sizeof args);
	if (r == 0)
		_exit(17);
	printf("clone3 CLONE_PIDFD: child %d pidfd %d\n", r > 0, cpfd >= 0);
	memset(&si, 0, sizeof si);
	TRY("waitid P_PIDFD (clone3)", waitid(P_PIDFD, cpfd, &si, WEXITED));
	printf("status %d\n", si.si_status);
	args.flags = CLONE_PIDFD | CLONE_THREAD | CLONE_SIGHAND | CLONE_VM;
	TRY("clone3 PIDFD|THREAD", syscall(SYS_clone3, &args, sizeof args));
	TRY("clone3 size too small", syscall(SYS_clone3, &args, 32));
	return 0;
}
