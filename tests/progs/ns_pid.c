/* PID namespaces: unshare(CLONE_NEWPID) and clone(CLONE_NEWPID), nested;
 * getpid/getppid/gettid/getpgid/getsid inside, wait and waitid's si_pid,
 * kill and si_pid across the boundary, the init's signal rules, orphans
 * reparented to the init or a subreaper, the init's exit killing the
 * namespace, fork into a dead namespace, clone3's set_tid, /proc mounted
 * inside (NSpid lines, /proc/self, the listing), SO_PEERCRED and
 * SCM_CREDENTIALS, setns with a namespace file and with a pidfd. Only
 * numbers inside new namespaces are printed. Needs root. */
#include "file_common.h"
#include <sched.h>
#include <stdint.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/shm.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>

/* struct clone_args of <linux/sched.h>, which musl does not ship. */
struct clone_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size, cgroup;
};

/* NS_GET_PARENT of <linux/nsfs.h>. */
#define NS_GET_PARENT_ 0xb702

static pid_t pidfd_open_(pid_t pid) { return syscall(SYS_pidfd_open, pid, 0); }

/* run runs fn in a child of a new PID namespace (or in a plain child if
 * newpid is 0) and returns its wait status. */
static int run(int (*fn)(void)) {
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		int r = fn();
		fflush(stdout);
		_exit(r);
	}
	int st = 0;
	waitpid(c, &st, 0);
	return st;
}

/* forkns forks a child in a new PID namespace running fn and returns its
 * pid (as the caller sees it). */
static pid_t forkns(int (*fn)(void)) {
	fflush(stdout);
	struct clone_args a = {.flags = CLONE_NEWPID, .exit_signal = SIGCHLD};
	pid_t c = syscall(SYS_clone3, &a, sizeof a);
	if (c == 0) {
		int r = fn();
		fflush(stdout);
		_exit(r);
	}
	return c;
}

static void status(const char *what, int st) {
	if (WIFEXITED(st)) printf("%s: exited %d\n", what, WEXITSTATUS(st));
	else if (WIFSIGNALED(st)) printf("%s: killed by %d\n", what, WTERMSIG(st));
	else printf("%s: status %#x\n", what, st);
}

/* Basic ids: the child of unshare is pid 1, its parent is outside. */
static int basic_grandchild(void) {
	printf("in ns: getpid %d getppid %d gettid %d\n", getpid(), getppid(), (int)syscall(SYS_gettid));
	printf("in ns: getpgid %d getsid %d\n", getpgid(0), getsid(0));
	CHECK("in ns: getpgid(1)", getpgid(1));
	CHECK("in ns: getpgid(99)", getpgid(99));
	CHECK("in ns: kill(99, 0)", kill(99, 0));
	CHECK("in ns: setsid", setsid());
	printf("in ns: getpgid %d getsid %d\n", getpgid(0), getsid(0));
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		printf("second: getpid %d getppid %d\n", getpid(), getppid());
		fflush(stdout);
		_exit(3);
	}
	siginfo_t si;
	memset(&si, 0, sizeof si);
	CHECK("waitid", waitid(P_PID, c, &si, WEXITED));
	printf("fork returned %d\n", c);
	printf("waitid si_pid %d si_status %d\n", si.si_pid, si.si_status);
	pid_t d = fork();
	if (d == 0) _exit(4);
	int st;
	CHECK("wait4 pid", waitpid(-1, &st, 0));
	CHECK("wait ECHILD", waitpid(-1, &st, 0));
	return 0;
}

static int basic(void) {
	pid_t before = getpid();
	char buf[64];
	CHECK("readlink pid_for_children before unshare", readlink("/proc/self/ns/pid_for_children", buf, sizeof buf) > 0);
	CHECK("unshare(CLONE_NEWPID)", unshare(CLONE_NEWPID));
	printf("getpid unchanged: %d\n", getpid() == before);
	CHECK("readlink pid_for_children without init", readlink("/proc/self/ns/pid_for_children", buf, sizeof buf));
	CHECK("unshare(CLONE_NEWPID) again", unshare(CLONE_NEWPID));
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) _exit(basic_grandchild());
	int st;
	pid_t w = waitpid(c, &st, 0);
	printf("wait returned the fork's pid: %d\n", w == c);
	status("ns init", st);
	struct stat a, b;
	stat("/proc/self/ns/pid", &a);
	stat("/proc/self/ns/pid_for_children", &b);
	printf("pid_for_children differs: %d\n", a.st_ino != b.st_ino);
	/* The init is gone: the namespace takes no more processes. */
	c = fork();
	if (c == 0) _exit(0);
	printf("fork after init exit: %d %s\n", c < 0 ? -1 : 0, c < 0 ? errname(errno) : "");
	if (c > 0) waitpid(c, NULL, 0);
	return 0;
}

/* Nested namespaces: pid 1 at each level, getppid 0 at the boundary. */
static int nested2(void) {
	printf("level 2: getpid %d getppid %d\n", getpid(), getppid());
	return 7;
}

static int nested1(void) {
	printf("level 1: getpid %d getppid %d\n", getpid(), getppid());
	fflush(stdout);
	pid_t a = fork();
	if (a == 0) _exit(0);
	waitpid(a, NULL, 0);
	pid_t c = forkns(nested2);
	int st;
	pid_t w = waitpid(c, &st, 0);
	printf("level 1: child in level 2 is %d\n", c);
	printf("level 1: waitpid: %d\n", w);
	status("level 2 init", st);
	return 0;
}

static int nested(void) {
	pid_t c = forkns(nested1);
	int st;
	printf("waitpid returned the child: %d\n", waitpid(c, &st, 0) == c);
	status("level 1 init", st);
	return 0;
}

/* The init's signal rules. */
static volatile int usr1_pid = -1;

static void on_usr1(int sig, siginfo_t *si, void *uc) {
	(void)sig, (void)uc;
	usr1_pid = si->si_pid;
}

static int init_signals(void) {
	struct sigaction sa = {.sa_sigaction = on_usr1, .sa_flags = SA_SIGINFO};
	sigaction(SIGUSR1, &sa, NULL);
	CHECK("init kill(self, SIGTERM)", kill(getpid(), SIGTERM));
	CHECK("init kill(self, SIGKILL)", kill(getpid(), SIGKILL));
	CHECK("init raise(SIGINT)", raise(SIGINT));
	printf("init survived its own signals\n");
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		CHECK("child kill(1, SIGTERM)", kill(1, SIGTERM));
		CHECK("child kill(1, SIGKILL)", kill(1, SIGKILL));
		CHECK("child kill(1, SIGSTOP)", kill(1, SIGSTOP));
		CHECK("child kill(1, SIGUSR1)", kill(1, SIGUSR1));
		fflush(stdout);
		_exit(0);
	}
	int st;
	while (waitpid(c, &st, 0) < 0 && errno == EINTR)
		;
	printf("init survived its child's signals; SIGUSR1 si_pid %d\n", usr1_pid);
	usr1_pid = -1;
	/* Tell the parent we are ready, then wait for its signals. */
	printf("init ready\n");
	fflush(stdout);
	write(3, "r", 1);
	char b;
	read(4, &b, 1);
	printf("init: SIGTERM from outside ignored; SIGUSR1 si_pid %d\n", usr1_pid);
	fflush(stdout);
	write(3, "s", 1);
	for (;;) pause();
}

static int init_signals_outer(void) {
	int up[2], down[2];
	pipe(up);
	pipe(down);
	fflush(stdout);
	struct clone_args a = {.flags = CLONE_NEWPID, .exit_signal = SIGCHLD};
	pid_t c = syscall(SYS_clone3, &a, sizeof a);
	if (c == 0) {
		dup2(up[1], 3);
		dup2(down[0], 4);
		_exit(init_signals());
	}
	close(up[1]);
	close(down[0]);
	char b;
	read(up[0], &b, 1);
	int r1 = kill(c, SIGTERM), r2 = kill(c, SIGUSR1);
	write(down[1], "g", 1);
	read(up[0], &b, 1);
	printf("outside kill(init, SIGTERM) %d, kill(init, SIGUSR1) %d\n", r1, r2);
	CHECK("outside kill(init, SIGKILL)", kill(c, SIGKILL));
	int st;
	waitpid(c, &st, 0);
	status("init", st);
	return 0;
}

/* Orphans go to the init, or to a subreaper inside the namespace. */
static int orphans(void) {
	int go[2];
	pipe(go);
	fflush(stdout);
	pid_t a = fork();
	if (a == 0) {
		pid_t b = fork();
		if (b == 0) {
			char x;
			read(go[0], &x, 1);
			printf("orphan: getppid %d\n", getppid());
			fflush(stdout);
			_exit(5);
		}
		printf("middle made %d\n", b);
		fflush(stdout);
		_exit(0);
	}
	waitpid(a, NULL, 0);
	write(go[1], "x", 1);
	int st;
	pid_t w = waitpid(-1, &st, 0);
	printf("init reaped %d\n", w);
	status("orphan", st);

	/* A subreaper below the init. */
	fflush(stdout);
	pid_t s = fork();
	if (s == 0) {
		CHECK("PR_SET_CHILD_SUBREAPER", prctl(PR_SET_CHILD_SUBREAPER, 1));
		fflush(stdout);
		pid_t m = fork();
		if (m == 0) {
			pid_t b = fork();
			if (b == 0) {
				char x;
				read(go[0], &x, 1);
				printf("orphan under subreaper: getppid %d\n", getppid());
				fflush(stdout);
				_exit(6);
			}
			_exit(0);
		}
		waitpid(m, NULL, 0);
		write(go[1], "x", 1);
		int st2;
		pid_t w2 = waitpid(-1, &st2, 0);
		printf("subreaper %d reaped %d\n", getpid(), w2);
		status("orphan", st2);
		fflush(stdout);
		_exit(0);
	}
	waitpid(s, NULL, 0);
	return 0;
}

/* The init's exit kills everything in the namespace. */
static int doomed(void) {
	fflush(stdout);
	for (int i = 0; i < 2; i++) {
		pid_t c = fork();
		if (c == 0) {
			if (fork() == 0) {
				for (;;) pause();
			}
			for (;;) pause();
		}
	}
	printf("init exits with 2 children and 2 grandchildren\n");
	fflush(stdout);
	return 9;
}

static int init_exit(void) {
	int p[2];
	pipe2(p, O_NONBLOCK);
	fflush(stdout);
	struct clone_args a = {.flags = CLONE_NEWPID, .exit_signal = SIGCHLD};
	pid_t c = syscall(SYS_clone3, &a, sizeof a);
	if (c == 0) {
		close(p[0]);
		dup2(p[1], 4);
		close(p[1]);
		/* fd 4 stays open in every process of the namespace. */
		_exit(doomed());
	}
	close(p[1]);
	int st;
	waitpid(c, &st, 0);
	status("init", st);
	char b;
	/* Every holder of the pipe is dead once the init has been waited
	 * for: EOF, not EAGAIN. */
	CHECK("read after init exit", read(p[0], &b, 1));
	return 0;
}

/* /proc mounted inside: the namespace's view. */
static void show_status_ids(void) {
	FILE *f = fopen("/proc/self/status", "r");
	if (!f) {
		printf("open status: %s\n", strerror(errno));
		return;
	}
	char line[256];
	while (fgets(line, sizeof line, f)) {
		if (!strncmp(line, "Tgid:", 5) || !strncmp(line, "Pid:", 4) || !strncmp(line, "PPid:", 5) ||
		    !strncmp(line, "NStgid:", 7) || !strncmp(line, "NSpid:", 6) || !strncmp(line, "NSpgid:", 7) ||
		    !strncmp(line, "NSsid:", 6))
			printf("  %s", line);
	}
	fclose(f);
}

static void list_proc(const char *who) {
	DIR *d = opendir("/proc");
	printf("%s: /proc lists", who);
	struct dirent *e;
	int pids[64], n = 0;
	while (d && (e = readdir(d)) && n < 64) {
		if (e->d_name[0] >= '1' && e->d_name[0] <= '9') pids[n++] = atoi(e->d_name);
	}
	if (d) closedir(d);
	for (int i = 0; i < n; i++)
		for (int j = i + 1; j < n; j++)
			if (pids[j] < pids[i]) {
				int t = pids[i];
				pids[i] = pids[j];
				pids[j] = t;
			}
	for (int i = 0; i < n; i++) printf(" %d", pids[i]);
	printf("\n");
}

static int proc_level2(void) {
	printf("level 2 (proc of level 1):\n");
	show_status_ids();
	CHECK("level 2: setsid", setsid());
	show_status_ids();
	char buf[32] = {0};
	readlink("/proc/self", buf, sizeof buf - 1);
	printf("level 2: /proc/self -> %s\n", buf);
	return 0;
}

static int proc_level1(void) {
	CHECK("unshare(CLONE_NEWNS)", unshare(CLONE_NEWNS));
	CHECK("make / private", mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL));
	CHECK("mount proc", mount("proc", "/proc", "proc", 0, NULL));
	char buf[32] = {0};
	readlink("/proc/self", buf, sizeof buf - 1);
	printf("level 1: /proc/self -> %s\n", buf);
	printf("level 1 (own proc):\n");
	show_status_ids();
	list_proc("level 1");
	pid_t c = forkns(proc_level2);
	int st;
	waitpid(c, &st, 0);
	status("level 2", st);
	CHECK("/proc/2 after reap", access("/proc/2", F_OK));
	return 0;
}

static int proc_ns(void) {
	pid_t c = forkns(proc_level1);
	int st;
	waitpid(c, &st, 0);
	status("level 1", st);
	return 0;
}

/* clone3's set_tid. */
static int settid_child(void) {
	printf("set_tid child: getpid %d\n", getpid());
	return 0;
}

static pid_t clone3_tids(unsigned long long flags, pid_t *tids, size_t n, int (*fn)(void)) {
	fflush(stdout);
	struct clone_args a = {.flags = flags, .exit_signal = SIGCHLD, .set_tid = (unsigned long long)(uintptr_t)tids, .set_tid_size = n};
	pid_t c = syscall(SYS_clone3, &a, sizeof a);
	if (c == 0) _exit(fn());
	return c;
}

static int settid_init(void) {
	pid_t t1[] = {50};
	pid_t c = clone3_tids(0, t1, 1, settid_child);
	if (c > 0) waitpid(c, NULL, 0);
	printf("set_tid {50}: %d\n", c);
	pid_t t2[] = {1};
	c = clone3_tids(0, t2, 1, settid_child);
	printf("set_tid {1} (taken): %d %s\n", c < 0 ? -1 : c, c < 0 ? errname(errno) : "");
	pid_t t3[] = {5, 6, 7};
	c = clone3_tids(0, t3, 3, settid_child);
	printf("set_tid too deep: %d %s\n", c < 0 ? -1 : c, c < 0 ? errname(errno) : "");
	pid_t t4[] = {0};
	c = clone3_tids(0, t4, 1, settid_child);
	printf("set_tid {0}: %d %s\n", c < 0 ? -1 : c, c < 0 ? errname(errno) : "");
	c = clone3_tids(CLONE_NEWPID, t1, 1, settid_child);
	printf("set_tid {50} for a new namespace: %d %s\n", c < 0 ? -1 : c, c < 0 ? errname(errno) : "");
	pid_t t5[] = {1, 60};
	c = clone3_tids(CLONE_NEWPID, t5, 2, settid_child);
	if (c > 0) waitpid(c, NULL, 0);
	printf("set_tid {1, 60} for a new namespace: %d\n", c);
	return 0;
}

static int settid(void) {
	pid_t self[] = {getpid()};
	pid_t c = clone3_tids(0, self, 1, settid_child);
	printf("set_tid of a used pid: %d %s\n", c < 0 ? -1 : c, c < 0 ? errname(errno) : "");
	c = clone3_tids(CLONE_NEWPID, NULL, 0, settid_init);
	waitpid(c, NULL, 0);
	return 0;
}

/* SO_PEERCRED and SCM_CREDENTIALS across the boundary. */
static int creds_child(void) {
	struct ucred cr;
	socklen_t len = sizeof cr;
	getsockopt(3, SOL_SOCKET, SO_PEERCRED, &cr, &len);
	printf("in ns: SO_PEERCRED pid of the outside creator %d\n", cr.pid);
	int s[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, s);
	getsockopt(s[0], SOL_SOCKET, SO_PEERCRED, &cr, &len);
	printf("in ns: SO_PEERCRED of own pair %d\n", cr.pid);
	/* Send our credentials out. */
	struct ucred me = {.pid = getpid(), .uid = getuid(), .gid = getgid()};
	char cbuf[CMSG_SPACE(sizeof me)];
	memset(cbuf, 0, sizeof cbuf);
	char x = 'x';
	struct iovec iov = {&x, 1};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_CREDENTIALS;
	c->cmsg_len = CMSG_LEN(sizeof me);
	memcpy(CMSG_DATA(c), &me, sizeof me);
	CHECK("in ns: sendmsg SCM_CREDENTIALS", sendmsg(3, &m, 0));
	me.pid = 2;
	memcpy(CMSG_DATA(c), &me, sizeof me);
	CHECK("in ns: sendmsg SCM_CREDENTIALS of pid 2", sendmsg(3, &m, 0));
	return 0;
}

static int creds(void) {
	int s[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, s);
	int on = 1;
	setsockopt(s[0], SOL_SOCKET, SO_PASSCRED, &on, sizeof on);
	fflush(stdout);
	struct clone_args a = {.flags = CLONE_NEWPID, .exit_signal = SIGCHLD};
	pid_t c = syscall(SYS_clone3, &a, sizeof a);
	if (c == 0) {
		dup2(s[1], 3);
		_exit(creds_child());
	}
	char x;
	char cbuf[CMSG_SPACE(sizeof(struct ucred))];
	struct iovec iov = {&x, 1};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
	ssize_t n = recvmsg(s[0], &m, 0);
	waitpid(c, NULL, 0);
	printf("outside: recvmsg %d\n", (int)n);
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
	if (cm && cm->cmsg_type == SCM_CREDENTIALS) {
		struct ucred cr;
		memcpy(&cr, CMSG_DATA(cm), sizeof cr);
		printf("outside: SCM_CREDENTIALS pid is the child's: %d\n", cr.pid == c);
	}
	struct ucred cr;
	socklen_t len = sizeof cr;
	getsockopt(s[0], SOL_SOCKET, SO_PEERCRED, &cr, &len);
	printf("outside: SO_PEERCRED is self: %d\n", cr.pid == getpid());
	return 0;
}

/* setns into a PID namespace, by namespace file and by pidfd. */
static int sleeper(void) {
	char b;
	read(5, &b, 1);
	return 0;
}

static int setns_test(void) {
	int p[2];
	pipe(p);
	fflush(stdout);
	struct clone_args a = {.flags = CLONE_NEWPID, .exit_signal = SIGCHLD};
	pid_t init = syscall(SYS_clone3, &a, sizeof a);
	if (init == 0) {
		dup2(p[0], 5);
		close(p[1]);
		_exit(sleeper());
	}
	close(p[0]);
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/ns/pid", init);
	int nsfd = open(path, O_RDONLY);
	CHECKOK("open ns/pid", nsfd);
	int pfd = pidfd_open_(init);
	CHECKOK("pidfd_open", pfd);
	int par = ioctl(nsfd, NS_GET_PARENT_);
	struct stat ps, own;
	fstat(par, &ps);
	stat("/proc/self/ns/pid", &own);
	printf("NS_GET_PARENT is our namespace: %d\n", par >= 0 && ps.st_ino == own.st_ino);
	int ownfd = open("/proc/self/ns/pid", O_RDONLY);
	CHECK("NS_GET_PARENT of our own namespace", ioctl(ownfd, NS_GET_PARENT_));
	CHECK("NS_GET_PARENT of a UTS namespace", ioctl(open("/proc/self/ns/uts", O_RDONLY), NS_GET_PARENT_));
	close(par);
	close(ownfd);
	CHECK("setns(pidfd, 0)", setns(pfd, 0));
	CHECK("setns(pidfd, CLONE_NEWPID|1)", setns(pfd, CLONE_NEWPID | 1));
	CHECK("setns(nsfd, CLONE_NEWUTS)", setns(nsfd, CLONE_NEWUTS));
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		close(p[1]);
		CHECK("setns(nsfd, CLONE_NEWPID)", setns(nsfd, CLONE_NEWPID));
		struct stat x, y;
		stat("/proc/self/ns/pid_for_children", &x);
		fstat(nsfd, &y);
		printf("pid_for_children is the namespace: %d\n", x.st_ino == y.st_ino);
		fflush(stdout);
		pid_t g = fork();
		if (g == 0) {
			printf("entered by ns file: getpid %d getppid %d\n", getpid(), getppid());
			fflush(stdout);
			_exit(0);
		}
		waitpid(g, NULL, 0);
		/* Back to the original namespace is not allowed: it is an
		 * ancestor. */
		int own = open("/proc/self/ns/pid", O_RDONLY);
		CHECK("setns back to the own namespace", setns(own, CLONE_NEWPID));
		fflush(stdout);
		_exit(0);
	}
	waitpid(c, NULL, 0);
	c = fork();
	if (c == 0) {
		close(p[1]);
		CHECK("setns(pidfd, CLONE_NEWPID|CLONE_NEWUTS|CLONE_NEWIPC)", setns(pfd, CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC));
		fflush(stdout);
		pid_t g = fork();
		if (g == 0) {
			printf("entered by pidfd: getpid %d getppid %d\n", getpid(), getppid());
			CHECK("kill(1, 0) from inside", kill(1, 0));
			fflush(stdout);
			_exit(0);
		}
		waitpid(g, NULL, 0);
		_exit(0);
	}
	waitpid(c, NULL, 0);
	close(p[1]);
	int st;
	waitpid(init, &st, 0);
	status("init", st);
	CHECK("setns(pidfd of a dead process)", setns(pfd, CLONE_NEWPID));
	return 0;
}

/* A terminal's process group and session across the boundary. */
static char slave_name[64];

static int tty_child(void) {
	setsid();
	int s = open(slave_name, O_RDWR);
	CHECK("in ns: TIOCSCTTY", ioctl(s, TIOCSCTTY, 0));
	printf("in ns: tcgetpgrp %d tcgetsid %d\n", tcgetpgrp(s), tcgetsid(s));
	CHECK("in ns: tcsetpgrp(1)", tcsetpgrp(s, 1));
	CHECK("in ns: tcsetpgrp(99)", tcsetpgrp(s, 99));
	fflush(stdout);
	write(3, "x", 1);
	char b;
	read(4, &b, 1);
	return 0;
}

static int tty_ns(void) {
	int m = posix_openpt(O_RDWR | O_NOCTTY);
	if (m < 0 || grantpt(m) < 0 || unlockpt(m) < 0) {
		printf("no pty: %s\n", strerror(errno));
		return 0;
	}
	snprintf(slave_name, sizeof slave_name, "%s", ptsname(m));
	int up[2], down[2];
	pipe(up);
	pipe(down);
	fflush(stdout);
	struct clone_args a = {.flags = CLONE_NEWPID, .exit_signal = SIGCHLD};
	pid_t c = syscall(SYS_clone3, &a, sizeof a);
	if (c == 0) {
		dup2(up[1], 3);
		dup2(down[0], 4);
		_exit(tty_child());
	}
	char b;
	read(up[0], &b, 1);
	int pg = 0, sid = 0;
	CHECK("outside: TIOCGPGRP on the master", ioctl(m, TIOCGPGRP, &pg));
	CHECK("outside: TIOCGSID on the master", ioctl(m, TIOCGSID, &sid));
	printf("outside: they are the child's pid: %d %d\n", pg == c, sid == c);
	write(down[1], "x", 1);
	waitpid(c, NULL, 0);
	return 0;
}

/* System V IPC's pids: shm_cpid of a segment made inside. */
static int shm_child(void) {
	int id = shmget(IPC_PRIVATE, 4096, 0600);
	struct shmid_ds ds;
	shmctl(id, IPC_STAT, &ds);
	printf("in ns: shm_cpid %d\n", (int)ds.shm_cpid);
	fflush(stdout);
	write(3, &id, sizeof id);
	return 0;
}

static int sysv_ns(void) {
	int p[2];
	pipe(p);
	fflush(stdout);
	struct clone_args a = {.flags = CLONE_NEWPID, .exit_signal = SIGCHLD};
	pid_t c = syscall(SYS_clone3, &a, sizeof a);
	if (c == 0) {
		dup2(p[1], 3);
		_exit(shm_child());
	}
	int id = -1;
	read(p[0], &id, sizeof id);
	waitpid(c, NULL, 0);
	struct shmid_ds ds;
	CHECK("outside: IPC_STAT", shmctl(id, IPC_STAT, &ds));
	printf("outside: shm_cpid is the child's pid: %d\n", ds.shm_cpid == c);
	shmctl(id, IPC_RMID, NULL);
	return 0;
}

int main(void) {
	if (geteuid() != 0) {
		printf("needs root\n");
		return 0;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("== basic\n");
	status("basic", run(basic));
	printf("== nested\n");
	status("nested", run(nested));
	printf("== init signals\n");
	status("init signals", run(init_signals_outer));
	printf("== orphans\n");
	pid_t c = forkns(orphans);
	int st;
	waitpid(c, &st, 0);
	status("orphans", st);
	printf("== init exit\n");
	status("init exit", run(init_exit));
	printf("== proc\n");
	status("proc", run(proc_ns));
	printf("== set_tid\n");
	status("set_tid", run(settid));
	printf("== creds\n");
	status("creds", run(creds));
	printf("== tty\n");
	status("tty", run(tty_ns));
	printf("== sysv\n");
	status("sysv", run(sysv_ns));
	printf("== setns\n");
	status("setns", run(setns_test));
	return 0;
}
