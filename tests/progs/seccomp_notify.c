/* SECCOMP_RET_USER_NOTIF with a listener: a supervisor thread (without
 * the filter) receives the main thread's getppid calls and answers with a
 * value, an error or "continue"; the listener's ioctls and errors, poll,
 * and what a call gets once the listener is closed. */
#include "seccomp_common.h"
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/ioctl.h>

struct notif { uint64_t id; uint32_t pid, flags; struct seccomp_data data; };
struct notif_resp { uint64_t id; int64_t val; int32_t error; uint32_t flags; };
#define NOTIF_RECV 0xc0502100ul
#define NOTIF_SEND 0xc0182101ul
#define NOTIF_ID_VALID 0x40082102ul
#define FLAG_CONTINUE 1u

static int listener;
static volatile pid_t main_tid;
static int ready_pipe;
/* What the supervisor saw after each answer, printed by main later. */
static int valid_after[3], valid_errno[3];

static void *supervisor(void *arg)
{
	char c;
	(void)arg;
	/* Wait until the main thread has made the listener. */
	if (read(ready_pipe, &c, 1) != 1)
		return NULL;
	for (int step = 0; step < 3; step++) {
		struct notif n;
		memset(&n, 0, sizeof n);
		if (ioctl(listener, NOTIF_RECV, &n) != 0) {
			printf("recv: %s\n", strerror(errno));
			break;
		}
		printf("supervisor: nr %d arch %#x arg0 %llu from main %d ip set %d valid %d\n", n.data.nr,
		       n.data.arch, (unsigned long long)n.data.args[0], n.pid == (uint32_t)main_tid,
		       n.data.instruction_pointer != 0, ioctl(listener, NOTIF_ID_VALID, &n.id));
		struct notif_resp r = { n.id, 0, 0, 0 };
		if (step == 0) {
			struct notif_resp bad = { n.id + 100, 1, 0, 0 };
			report("send unknown id", ioctl(listener, NOTIF_SEND, &bad));
			bad.id = n.id, bad.flags = 2;
			report("send bad flags", ioctl(listener, NOTIF_SEND, &bad));
			bad.flags = FLAG_CONTINUE;
			report("continue with a value", ioctl(listener, NOTIF_SEND, &bad));
			r.val = 42;
		} else if (step == 1) {
			r.error = -EPERM;
		} else {
			r.flags = FLAG_CONTINUE;
		}
		fflush(stdout);
		if (ioctl(listener, NOTIF_SEND, &r) != 0)
			printf("send: %s\n", strerror(errno));
		valid_after[step] = ioctl(listener, NOTIF_ID_VALID, &n.id);
		valid_errno[step] = errno;
	}
	return NULL;
}

int main(void)
{
	uint32_t act = SECCOMP_RET_USER_NOTIF;
	unprivileged_setup();
	report("action_avail(USER_NOTIF)", sc(SECCOMP_GET_ACTION_AVAIL, 0, &act));
	pid_t pid = fork();
	if (pid == 0) {
		/* A filter answering USER_NOTIF without a listener: ENOSYS. */
		install_one(SYS_getppid, SECCOMP_RET_USER_NOTIF, 0);
		report("getppid without a listener", syscall(SYS_getppid));
		_exit(0);
	}
	waitdesc("no listener", pid);

	pid = fork();
	if (pid == 0) {
		struct notif junk;
		memset(&junk, 0xff, sizeof junk);
		long fd = install_one(SYS_getppid, SECCOMP_RET_USER_NOTIF, SECCOMP_FILTER_FLAG_NEW_LISTENER);
		printf("listener is an fd: %d, cloexec %d\n", fd > 2, (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
		report("second listener", install_one(SYS_getpid, SECCOMP_RET_USER_NOTIF, SECCOMP_FILTER_FLAG_NEW_LISTENER));
		report("recv into a dirty struct", ioctl(fd, NOTIF_RECV, &junk));
		struct pollfd p = { (int)fd, POLLIN | POLLOUT, 0 };
		report("poll with nothing waiting", poll(&p, 1, 0));
		report("unknown ioctl", ioctl(fd, 0x1234, 0));
		_exit(0);
	}
	waitdesc("listener checks", pid);

	pid = fork();
	if (pid == 0) {
		/* The exchange. The supervisor thread exists before the
		 * filter, so it is not filtered. */
		pthread_t sup;
		int p[2];
		long real = getppid();
		main_tid = syscall(SYS_gettid);
		if (pipe(p) != 0)
			_exit(1);
		ready_pipe = p[0];
		pthread_create(&sup, NULL, supervisor, NULL);
		struct sock_filter f[] = ONE(SYS_getppid, SECCOMP_RET_USER_NOTIF);
		listener = install(SECCOMP_FILTER_FLAG_NEW_LISTENER, f, 4);
		if (write(p[1], "x", 1) != 1)
			_exit(1);
		report("getppid answered 42", syscall(SYS_getppid, 7));
		report("getppid answered -EPERM", syscall(SYS_getppid, 8));
		long r = syscall(SYS_getppid, 9);
		printf("getppid continued: %d\n", r == real);
		fflush(stdout);
		pthread_join(sup, NULL);
		for (int i = 0; i < 3; i++)
			printf("id %d valid after its answer: %d %s\n", i, valid_after[i], strerror(valid_errno[i]));
		close(listener);
		report("getppid after the listener closed", syscall(SYS_getppid));
		fflush(stdout);
		_exit(0);
	}
	waitdesc("exchange", pid);
	return 0;
}
