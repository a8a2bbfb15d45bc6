/* ns_idmap_opener: uid_map and gid_map check the credentials of the
 * process that opened them (Linux's f_cred) as well as the writer's.
 * A privileged process handed a descriptor that an unprivileged process
 * opened cannot map ids the opener could not; an unprivileged writer of
 * a descriptor a privileged process opened cannot either. Mapping the
 * parent's uid 0 needs CAP_SETFCAP: in the opener, or in the creator of
 * the namespace when a process writes its own map. Needs root (it
 * changes its ids and capabilities); as a user it prints only that. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>

/* capget/capset's structures (musl has no linux/capability.h). */
struct caphdr {
	unsigned int version;
	int pid;
};
struct capdata {
	unsigned int effective, permitted, inheritable;
};
#define CAPS_V3 0x20080522
#define CAP_SETFCAP_BIT 31
#include <sys/wait.h>
#include <unistd.h>

static const char *ename(int e) {
	switch (e) {
	case EPERM: return "EPERM";
	case EACCES: return "EACCES";
	case EINVAL: return "EINVAL";
	case ENOENT: return "ENOENT";
	}
	return "E?";
}

/* user becomes uid and gid 1000 with no capabilities, still dumpable
 * (so that its /proc files stay its own). */
static int user(void) {
	if (setgroups(0, NULL) < 0 || setresgid(1000, 1000, 1000) < 0 || setresuid(1000, 1000, 1000) < 0)
		return -1;
	return prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
}

static void sendfds(int sock, int a, int b) {
	char byte = 0;
	struct iovec iov = {&byte, 1};
	union {
		char buf[CMSG_SPACE(2 * sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(2 * sizeof(int));
	int fds[2] = {a, b};
	memcpy(CMSG_DATA(c), fds, sizeof fds);
	if (sendmsg(sock, &msg, 0) != 1)
		printf("sendmsg: %s\n", ename(errno));
}

static int recvfds(int sock, int *a, int *b) {
	char byte;
	struct iovec iov = {&byte, 1};
	union {
		char buf[CMSG_SPACE(2 * sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
	if (recvmsg(sock, &msg, 0) != 1)
		return -1;
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	if (!c || c->cmsg_type != SCM_RIGHTS)
		return -1;
	int fds[2];
	memcpy(fds, CMSG_DATA(c), sizeof fds);
	*a = fds[0];
	*b = fds[1];
	return 0;
}

static void put(const char *label, int fd, const char *text) {
	ssize_t n = write(fd, text, strlen(text));
	printf("%s: %s\n", label, n == (ssize_t)strlen(text) ? "OK" : n < 0 ? ename(errno) : "short");
}

static void wait_child(const char *name, pid_t c) {
	int st;
	waitpid(c, &st, 0);
	printf("%s exited %d\n", name, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

/* handed: an unprivileged process opens its maps and hands them to root. */
static void handed(void) {
	int sv[2], go[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0 || pipe(go) < 0)
		return;
	pid_t c = fork();
	if (c == 0) {
		if (user() < 0 || unshare(CLONE_NEWUSER) < 0) {
			printf("child setup: %s\n", ename(errno));
			_exit(1);
		}
		/* O_TRUNC, as a shell's redirection opens them. */
		int u = open("/proc/self/uid_map", O_WRONLY | O_TRUNC);
		int g = open("/proc/self/gid_map", O_WRONLY | O_TRUNC);
		if (u < 0 || g < 0) {
			printf("child open maps: %s\n", ename(errno));
			_exit(1);
		}
		sendfds(sv[1], u, g);
		char b;
		if (read(go[0], &b, 1) != 1)
			_exit(1);
		printf("child: uid %d in its namespace\n", (int)getuid());
		_exit(0);
	}
	int u, g;
	if (recvfds(sv[0], &u, &g) == 0) {
		put("root writes uid_map 0 0 1 opened by the user", u, "0 0 1\n");
		put("root writes gid_map 0 0 1 opened by the user", g, "0 0 1\n");
		put("root writes uid_map 0 1000 1 opened by the user", u, "0 1000 1\n");
		close(u);
		close(g);
	} else {
		printf("recvmsg failed\n");
	}
	if (write(go[1], "x", 1) != 1)
		printf("write: %s\n", ename(errno));
	wait_child("child", c);
}

/* target forks a process that runs setup (if not NULL), enters a new
 * user namespace and, once told to go on go[1], prints its uid there;
 * it returns that process once it is in its namespace, or -1. */
static pid_t target(int (*setup)(void), int go[2]) {
	int ready[2];
	if (pipe(ready) < 0 || pipe(go) < 0)
		return -1;
	pid_t t = fork();
	if (t == 0) {
		if ((setup && setup() < 0) || unshare(CLONE_NEWUSER) < 0) {
			printf("target setup: %s\n", ename(errno));
			_exit(1);
		}
		if (write(ready[1], "x", 1) != 1)
			_exit(1);
		char b;
		if (read(go[0], &b, 1) != 1)
			_exit(1);
		printf("target: uid %d in its namespace\n", (int)getuid());
		_exit(0);
	}
	char b;
	if (read(ready[0], &b, 1) != 1)
		return -1;
	return t;
}

/* dropped: root opens an unprivileged process's uid_map, then drops its
 * privileges and writes. */
static void dropped(void) {
	int go[2];
	pid_t t = target(user, go);
	if (t < 0)
		return;
	pid_t h = fork();
	if (h == 0) {
		char path[64];
		snprintf(path, sizeof path, "/proc/%d/uid_map", (int)t);
		int u = open(path, O_WRONLY);
		if (u < 0) {
			printf("root opens the target's uid_map: %s\n", ename(errno));
			_exit(1);
		}
		if (user() < 0) {
			printf("drop: %s\n", ename(errno));
			_exit(1);
		}
		put("the user writes uid_map 0 1000 1 opened by root", u, "0 1000 1\n");
		_exit(0);
	}
	wait_child("helper", h);
	if (write(go[1], "x", 1) != 1)
		printf("write: %s\n", ename(errno));
	wait_child("target", t);
}

/* nosetfcap drops CAP_SETFCAP from the effective set. */
static int nosetfcap(void) {
	struct caphdr h = {CAPS_V3, 0};
	struct capdata d[2];
	if (syscall(SYS_capget, &h, d) < 0)
		return -1;
	d[0].effective &= ~(1u << CAP_SETFCAP_BIT);
	return syscall(SYS_capset, &h, d);
}

/* setfcap: mapping the parent's uid 0 without CAP_SETFCAP. */
static void setfcap(void) {
	pid_t c = fork();
	if (c == 0) {
		if (nosetfcap() < 0 || unshare(CLONE_NEWUSER) < 0) {
			printf("setup: %s\n", ename(errno));
			_exit(1);
		}
		int u = open("/proc/self/uid_map", O_WRONLY);
		if (u < 0) {
			printf("open own uid_map: %s\n", ename(errno));
			_exit(1);
		}
		put("own uid_map 0 0 1, created without CAP_SETFCAP", u, "0 0 1\n");
		put("own uid_map 0 0 5, created without CAP_SETFCAP", u, "0 0 5\n");
		_exit(0);
	}
	wait_child("child", c);
	int go[2];
	pid_t t = target(NULL, go);
	if (t < 0)
		return;
	pid_t h = fork();
	if (h == 0) {
		char path[64];
		snprintf(path, sizeof path, "/proc/%d/uid_map", (int)t);
		if (nosetfcap() < 0) {
			printf("drop: %s\n", ename(errno));
			_exit(1);
		}
		int u = open(path, O_WRONLY);
		if (u < 0) {
			printf("open the target's uid_map: %s\n", ename(errno));
			_exit(1);
		}
		put("root without CAP_SETFCAP writes uid_map 0 0 1", u, "0 0 1\n");
		put("root without CAP_SETFCAP writes uid_map 0 5 1", u, "0 5 1\n");
		_exit(0);
	}
	wait_child("helper", h);
	if (write(go[1], "x", 1) != 1)
		printf("write: %s\n", ename(errno));
	wait_child("target", t);
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (geteuid() != 0) {
		printf("needs root\n");
		return 0;
	}
	printf("-- maps opened by a user, written by root\n");
	handed();
	printf("-- a map opened by root, written by a user\n");
	dropped();
	printf("-- the parent's uid 0 without CAP_SETFCAP\n");
	setfcap();
	return 0;
}
