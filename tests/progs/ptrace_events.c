/* A tracer following its tracee through PTRACE_O_TRACEFORK, VFORK,
 * VFORKDONE, CLONE, EXEC and EXIT events (GETEVENTMSG, wait statuses
 * with the event in bits 16-23, auto-attached children starting with
 * SIGSTOP); PTRACE_SEIZE with INTERRUPT, LISTEN and group stops reported
 * as PTRACE_EVENT_STOP; PTRACE_O_EXITKILL. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *event_name(int e) {
	switch (e) {
	case 0: return "none";
	case PTRACE_EVENT_FORK: return "FORK";
	case PTRACE_EVENT_VFORK: return "VFORK";
	case PTRACE_EVENT_CLONE: return "CLONE";
	case PTRACE_EVENT_EXEC: return "EXEC";
	case PTRACE_EVENT_VFORK_DONE: return "VFORK_DONE";
	case PTRACE_EVENT_EXIT: return "EXIT";
	case PTRACE_EVENT_STOP: return "STOP";
	}
	return "?";
}

/* wait_for waits for pid and prints what it reports; it returns the
 * status. SIGCHLD stops (a child's exit, whose timing varies) are passed
 * on silently. */
static int wait_for(const char *who, pid_t pid) {
	int st;
	for (;;) {
		pid_t r = waitpid(pid, &st, __WALL);
		if (r != pid) {
			printf("%s: waitpid %d: %s\n", who, r, strerror(errno));
			exit(1);
		}
		if (!WIFSTOPPED(st) || st >> 16 != 0 || WSTOPSIG(st) != SIGCHLD)
			break;
		ptrace(PTRACE_CONT, pid, 0, SIGCHLD);
	}
	if (WIFSTOPPED(st))
		printf("%s: stopped sig %d event %s\n", who, WSTOPSIG(st), event_name(st >> 16));
	else if (WIFEXITED(st))
		printf("%s: exited %d\n", who, WEXITSTATUS(st));
	else
		printf("%s: killed by %d\n", who, WTERMSIG(st));
	return st;
}

static unsigned long msg(pid_t pid) {
	unsigned long m = 0;
	if (ptrace(PTRACE_GETEVENTMSG, pid, 0, &m) < 0)
		printf("geteventmsg: %s\n", strerror(errno));
	return m;
}

static void cont(pid_t pid) {
	if (ptrace(PTRACE_CONT, pid, 0, 0) < 0) {
		printf("cont %d: %s\n", pid, strerror(errno));
		exit(1);
	}
}

static void *thread_fn(void *arg) { return arg; }

static int tracee(void) {
	ptrace(PTRACE_TRACEME, 0, 0, 0);
	raise(SIGSTOP);
	pid_t g = fork();
	if (g == 0) {
		execl("/proc/self/exe", "ptrace_events", "exec-child", (char *)NULL);
		_exit(127);
	}
	int st;
	if (waitpid(g, &st, 0) != g || !WIFEXITED(st) || WEXITSTATUS(st) != 7)
		return 40;
	pid_t h = vfork();
	if (h == 0)
		_exit(3);
	if (waitpid(h, &st, 0) != h || WEXITSTATUS(st) != 3)
		return 41;
	pthread_t th;
	if (pthread_create(&th, NULL, thread_fn, NULL) != 0)
		return 42;
	pthread_join(th, NULL);
	return 5;
}

static void follow(void) {
	int st;
	pid_t c = fork();
	if (c == 0)
		exit(tracee());
	wait_for("tracee", c);
	long opts = PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK |
		    PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC | PTRACE_O_TRACEEXIT |
		    PTRACE_O_TRACEVFORKDONE;
	if (ptrace(PTRACE_SETOPTIONS, c, 0, opts) < 0)
		printf("setoptions: %s\n", strerror(errno));
	errno = 0;
	ptrace(PTRACE_SETOPTIONS, c, 0, 0x80000000L);
	printf("setoptions bad: %s\n", strerror(errno));
	cont(c);

	/* fork */
	wait_for("tracee", c);
	pid_t g = msg(c);
	wait_for("forked child", g);
	cont(g);
	cont(c);
	wait_for("forked child", g);
	printf("exec message is its pid %d\n", (pid_t)msg(g) == g);
	cont(g);
	wait_for("forked child", g);
	printf("exit message %#lx\n", msg(g));
	cont(g);
	wait_for("forked child", g);

	/* vfork */
	wait_for("tracee", c);
	pid_t h = msg(c);
	wait_for("vforked child", h);
	cont(c);
	cont(h);
	wait_for("vforked child", h);
	printf("exit message %#lx\n", msg(h));
	cont(h);
	wait_for("vforked child", h);
	wait_for("tracee", c);
	printf("vfork done message is the child %d\n", (pid_t)msg(c) == h);
	cont(c);

	/* a thread */
	wait_for("tracee", c);
	pid_t tid = msg(c);
	printf("thread is another tid %d\n", tid != c && tid > 0);
	wait_for("thread", tid);
	cont(tid);
	cont(c);
	wait_for("thread", tid);
	printf("exit message %#lx\n", msg(tid));
	cont(tid);
	/* The status is the thread's 0, or the process's 5 if its exit
	 * began before this wait: Linux reports either. */
	if (waitpid(tid, &st, __WALL) == tid)
		printf("thread: exited %d\n", WIFEXITED(st) && (WEXITSTATUS(st) == 0 || WEXITSTATUS(st) == 5));

	/* exit */
	wait_for("tracee", c);
	printf("exit message %#lx\n", msg(c));
	cont(c);
	wait_for("tracee", c);
	errno = 0;
	printf("waitpid after: %d %s\n", waitpid(-1, NULL, __WALL | WNOHANG), strerror(errno));
}

static void seize(void) {
	int p[2];
	if (pipe(p) < 0) { perror("pipe"); exit(1); }
	pid_t c = fork();
	if (c == 0) {
		char b;
		close(p[1]);
		while (read(p[0], &b, 1) < 0 && errno == EINTR) {}
		_exit(b);
	}
	close(p[0]);
	if (ptrace(PTRACE_SEIZE, c, 0, PTRACE_O_TRACESYSGOOD) < 0)
		printf("seize: %s\n", strerror(errno));
	int st;
	printf("no stop after seize: %d\n", waitpid(c, &st, __WALL | WNOHANG));
	errno = 0;
	ptrace(PTRACE_SEIZE, c, 0, 0);
	printf("seize twice: %s\n", strerror(errno));
	errno = 0;
	ptrace(PTRACE_GETREGS, c, 0, 0);
	printf("getregs while running: %s\n", strerror(errno));
	errno = 0;
	ptrace(PTRACE_LISTEN, c, 0, 0);
	printf("listen while running: %s\n", strerror(errno));

	if (ptrace(PTRACE_INTERRUPT, c, 0, 0) < 0)
		printf("interrupt: %s\n", strerror(errno));
	wait_for("seized", c);
	siginfo_t si;
	if (ptrace(PTRACE_GETSIGINFO, c, 0, &si) == 0)
		printf("siginfo signo %d code %#x\n", si.si_signo, si.si_code);
	errno = 0;
	ptrace(PTRACE_LISTEN, c, 0, 0);
	printf("listen out of group stop: %s\n", errno ? strerror(errno) : "ok");
	printf("no report while listening: %d\n", waitpid(c, &st, __WALL | WNOHANG));
	if (ptrace(PTRACE_INTERRUPT, c, 0, 0) < 0)
		printf("interrupt: %s\n", strerror(errno));
	wait_for("seized", c);
	cont(c);

	kill(c, SIGSTOP);
	wait_for("seized", c);
	if (ptrace(PTRACE_CONT, c, 0, SIGSTOP) < 0)
		printf("cont: %s\n", strerror(errno));
	wait_for("seized", c);
	if (ptrace(PTRACE_GETSIGINFO, c, 0, &si) == 0)
		printf("siginfo signo %d code %#x\n", si.si_signo, si.si_code);
	if (ptrace(PTRACE_LISTEN, c, 0, 0) < 0)
		printf("listen: %s\n", strerror(errno));
	printf("no report while listening: %d\n", waitpid(c, &st, __WALL | WNOHANG));
	errno = 0;
	ptrace(PTRACE_GETREGS, c, 0, 0);
	printf("getregs while listening: %s\n", strerror(errno));
	kill(c, SIGCONT);
	wait_for("seized", c);
	cont(c);
	wait_for("seized", c);
	cont(c);
	if (write(p[1], "\x09", 1) != 1) perror("write");
	wait_for("seized", c);
}

static void exitkill(void) {
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	int p[2], q[2];
	if (pipe(p) < 0 || pipe(q) < 0) { perror("pipe"); exit(1); }
	pid_t m = fork();
	if (m == 0) {
		pid_t g = fork();
		if (g == 0) {
			char b;
			close(p[1]);
			read(p[0], &b, 1);
			_exit(0);
		}
		if (ptrace(PTRACE_SEIZE, g, 0, PTRACE_O_EXITKILL) < 0)
			_exit(1);
		if (write(q[1], &g, sizeof g) != sizeof g) _exit(2);
		_exit(0);
	}
	pid_t g;
	if (read(q[0], &g, sizeof g) != sizeof g) { perror("read"); exit(1); }
	int st;
	waitpid(m, &st, 0);
	printf("tracer exit %d\n", WEXITSTATUS(st));
	wait_for("exitkill tracee", g);
	prctl(PR_SET_CHILD_SUBREAPER, 0);
}

int main(int argc, char **argv) {
	if (argc > 1 && strcmp(argv[1], "exec-child") == 0)
		return 7;
	setvbuf(stdout, NULL, _IONBF, 0);
	follow();
	seize();
	exitkill();
	return 0;
}
