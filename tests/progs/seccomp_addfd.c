/* SECCOMP_IOCTL_NOTIF_ADDFD: a supervisor thread (without the filter)
 * answers the main thread's openat calls by installing one of its own
 * files in the caller: at the lowest free fd then answering with SEND, at
 * a chosen fd with SETFD and O_CLOEXEC, and atomically with the
 * ADDFD_FLAG_SEND answer; and the ioctl's errors. */
#include "seccomp_common.h"
#include <fcntl.h>
#include <pthread.h>
#include <sys/ioctl.h>

struct notif { uint64_t id; uint32_t pid, flags; struct seccomp_data data; };
struct notif_resp { uint64_t id; int64_t val; int32_t error; uint32_t flags; };
struct notif_addfd { uint64_t id; uint32_t flags, srcfd, newfd, newfd_flags; };
#define NOTIF_RECV 0xc0502100ul
#define NOTIF_SEND 0xc0182101ul
#define NOTIF_ADDFD 0x40182103ul
#define ADDFD_FLAG_SETFD 1u
#define ADDFD_FLAG_SEND 2u

static int listener;
static int ready_pipe;
/* The supervisor's lines, printed by main after joining it, so that the
 * output's order does not depend on which thread runs first. */
static char slog[4096];
static size_t slen;

static void sreport(const char *what, long r)
{
	if (r < 0)
		slen += snprintf(slog + slen, sizeof slog - slen, "%s = -1 %s\n", what, strerror(errno));
	else
		slen += snprintf(slog + slen, sizeof slog - slen, "%s = %ld\n", what, r);
}

/* source makes a pipe holding text and returns its read end. */
static int source(const char *text)
{
	int p[2];
	if (pipe(p) != 0)
		return -1;
	if (write(p[1], text, strlen(text)) != (ssize_t)strlen(text))
		return -1;
	close(p[1]);
	return p[0];
}

static void *supervisor(void *arg)
{
	char c;
	(void)arg;
	if (read(ready_pipe, &c, 1) != 1)
		return NULL;
	for (int step = 0; step < 3; step++) {
		struct notif n;
		memset(&n, 0, sizeof n);
		if (ioctl(listener, NOTIF_RECV, &n) != 0) {
			sreport("recv", -1);
			break;
		}
		char text[32];
		snprintf(text, sizeof text, "from supervisor %d\n", step);
		int src = source(text);
		struct notif_addfd a = { n.id, 0, (uint32_t)src, 0, 0 };
		if (step == 0) {
			struct notif_addfd bad = a;
			bad.id = n.id + 100;
			sreport("addfd unknown id", ioctl(listener, NOTIF_ADDFD, &bad));
			bad = a, bad.flags = 4;
			sreport("addfd bad flags", ioctl(listener, NOTIF_ADDFD, &bad));
			bad = a, bad.newfd_flags = O_NONBLOCK;
			sreport("addfd bad newfd_flags", ioctl(listener, NOTIF_ADDFD, &bad));
			bad = a, bad.newfd = 50;
			sreport("addfd newfd without SETFD", ioctl(listener, NOTIF_ADDFD, &bad));
			bad = a, bad.srcfd = 999;
			sreport("addfd bad srcfd", ioctl(listener, NOTIF_ADDFD, &bad));
			long fd = ioctl(listener, NOTIF_ADDFD, &a);
			sreport("addfd gave a new fd above 2", fd > 2);
			struct notif_resp r = { n.id, fd, 0, 0 };
			sreport("send the fd", ioctl(listener, NOTIF_SEND, &r));
		} else if (step == 1) {
			a.flags = ADDFD_FLAG_SETFD;
			a.newfd = 42;
			a.newfd_flags = O_CLOEXEC;
			sreport("addfd at 42", ioctl(listener, NOTIF_ADDFD, &a));
			struct notif_resp r = { n.id, 42, 0, 0 };
			sreport("send 42", ioctl(listener, NOTIF_SEND, &r));
		} else {
			a.flags = ADDFD_FLAG_SEND;
			long fd = ioctl(listener, NOTIF_ADDFD, &a);
			sreport("addfd with SEND gave a new fd above 2", fd > 2);
			struct notif_resp r = { n.id, 0, 0, 0 };
			sreport("send after ADDFD_FLAG_SEND", ioctl(listener, NOTIF_SEND, &r));
			a.flags = 0;
			sreport("addfd after the answer", ioctl(listener, NOTIF_ADDFD, &a));
		}
		close(src);
	}
	return NULL;
}

/* show reads what the fd the openat gave holds. */
static void show(const char *what, long fd)
{
	char buf[64];
	if (fd < 0) {
		printf("%s: openat: %s\n", what, strerror(errno));
		return;
	}
	ssize_t n = read((int)fd, buf, sizeof buf - 1);
	buf[n > 0 ? n : 0] = 0;
	printf("%s: cloexec %d holds: %s", what, (fcntl((int)fd, F_GETFD) & FD_CLOEXEC) != 0, buf);
	fflush(stdout);
}

int main(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		pthread_t sup;
		int p[2];
		if (pipe(p) != 0)
			_exit(1);
		ready_pipe = p[0];
		pthread_create(&sup, NULL, supervisor, NULL);
		struct sock_filter f[] = ONE(SYS_openat, SECCOMP_RET_USER_NOTIF);
		listener = install(SECCOMP_FILTER_FLAG_NEW_LISTENER, f, 4);
		if (listener < 0) {
			printf("install: %s\n", strerror(errno));
			_exit(1);
		}
		if (write(p[1], "x", 1) != 1)
			_exit(1);
		long fd = syscall(SYS_openat, AT_FDCWD, "/kite-addfd-0", O_RDONLY);
		show("lowest free fd", fd);
		fd = syscall(SYS_openat, AT_FDCWD, "/kite-addfd-1", O_RDONLY);
		printf("openat returned %ld\n", fd);
		show("fd 42", fd);
		fd = syscall(SYS_openat, AT_FDCWD, "/kite-addfd-2", O_RDONLY);
		show("atomic send", fd);
		pthread_join(sup, NULL);
		printf("supervisor:\n%s", slog);
		fflush(stdout);
		_exit(0);
	}
	waitdesc("addfd", pid);
	return 0;
}
