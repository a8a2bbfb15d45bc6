/* Helpers shared by the sock_*.c differential tests. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *errname(int e) {
	switch (e) {
	case 0: return "OK";
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case ESRCH: return "ESRCH";
	case EINTR: return "EINTR";
	case ENXIO: return "ENXIO";
	case EBADF: return "EBADF";
	case EAGAIN: return "EAGAIN";
	case EACCES: return "EACCES";
	case EFAULT: return "EFAULT";
	case EBUSY: return "EBUSY";
	case EEXIST: return "EEXIST";
	case ENOTDIR: return "ENOTDIR";
	case EINVAL: return "EINVAL";
	case EMFILE: return "EMFILE";
	case ENOTTY: return "ENOTTY";
	case ESPIPE: return "ESPIPE";
	case EROFS: return "EROFS";
	case EPIPE: return "EPIPE";
	case EDOM: return "EDOM";
	case ERANGE: return "ERANGE";
	case ENAMETOOLONG: return "ENAMETOOLONG";
	case ENOSYS: return "ENOSYS";
	case ENODATA: return "ENODATA";
	case ENOTSOCK: return "ENOTSOCK";
	case EDESTADDRREQ: return "EDESTADDRREQ";
	case EMSGSIZE: return "EMSGSIZE";
	case EPROTOTYPE: return "EPROTOTYPE";
	case ENOPROTOOPT: return "ENOPROTOOPT";
	case EPROTONOSUPPORT: return "EPROTONOSUPPORT";
	case ESOCKTNOSUPPORT: return "ESOCKTNOSUPPORT";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case EAFNOSUPPORT: return "EAFNOSUPPORT";
	case EADDRINUSE: return "EADDRINUSE";
	case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
	case ECONNABORTED: return "ECONNABORTED";
	case ECONNRESET: return "ECONNRESET";
	case ENOBUFS: return "ENOBUFS";
	case EISCONN: return "EISCONN";
	case ENOTCONN: return "ENOTCONN";
	case ETOOMANYREFS: return "ETOOMANYREFS";
	case ECONNREFUSED: return "ECONNREFUSED";
	case EINPROGRESS: return "EINPROGRESS";
	}
	static char buf[32];
	snprintf(buf, sizeof buf, "errno%d", e);
	return buf;
}

/* CHECK prints "label: ret" or "label: -1 ENAME". */
#define CHECK(label, expr) do { \
	errno = 0; \
	long r_ = (long)(expr); \
	if (r_ < 0) \
		printf("%s: -1 %s\n", label, errname(errno)); \
	else \
		printf("%s: %ld\n", label, r_); \
	fflush(stdout); \
} while (0)

static void describe(const char *what, int st) {
	if (WIFEXITED(st))
		printf("%s: exited %d\n", what, WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		printf("%s: killed by %s\n", what, strsignal(WTERMSIG(st)));
	else
		printf("%s: status %#x\n", what, st);
	fflush(stdout);
}

/* An address no program maps. */
#define BADPTR ((void *)16)

/* pollmask prints the revents of fd for events. */
static void pollmask(const char *label, int fd, short events) {
	struct pollfd p = {fd, events, 0};
	int r = poll(&p, 1, 0);
	printf("%s: poll %d revents", label, r);
	if (p.revents & POLLIN) printf(" IN");
	if (p.revents & POLLOUT) printf(" OUT");
	if (p.revents & POLLERR) printf(" ERR");
	if (p.revents & POLLHUP) printf(" HUP");
	if (p.revents & POLLRDHUP) printf(" RDHUP");
	if (p.revents & POLLNVAL) printf(" NVAL");
	if (p.revents & POLLPRI) printf(" PRI");
	printf("\n");
	fflush(stdout);
}

/* sun fills a sockaddr_un with path and returns its length. */
static socklen_t sun_path(struct sockaddr_un *a, const char *path) {
	memset(a, 0, sizeof *a);
	a->sun_family = AF_UNIX;
	strncpy(a->sun_path, path, sizeof a->sun_path - 1);
	return offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1;
}

/* sun_abstract fills an abstract address "\0name". */
static socklen_t sun_abstract(struct sockaddr_un *a, const char *name) {
	memset(a, 0, sizeof *a);
	a->sun_family = AF_UNIX;
	memcpy(a->sun_path + 1, name, strlen(name));
	return offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name);
}

/* enter_tmpdir makes a private directory under /tmp (under kite a private
 * tmpfs; the rest of the root is the host's, read-only) and changes into
 * it; others may search it. */
static char tmpdir_path[64];
static void enter_tmpdir(void) {
	snprintf(tmpdir_path, sizeof tmpdir_path, "/tmp/sock-test-XXXXXX");
	if (!mkdtemp(tmpdir_path)) { perror("mkdtemp"); exit(1); }
	if (chdir(tmpdir_path) < 0) { perror("chdir"); exit(1); }
	chmod(tmpdir_path, 0711);
}
static void leave_tmpdir(void) {
	char cmd[128];
	if (chdir("/") < 0) return;
	snprintf(cmd, sizeof cmd, "%s", tmpdir_path);
	/* the tests remove what they create; rmdir fails loudly otherwise */
	if (rmdir(cmd) < 0) perror("rmdir tmpdir");
}
