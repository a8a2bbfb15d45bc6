/* poll, ppoll, select and pselect6: revents, return values, timeouts and
 * their write-back, error cases, and wake-ups by another process. */
#include "pipe_common.h"
#include <poll.h>
#include <sys/resource.h>
#include <sys/select.h>

static void show_poll(const char *label, struct pollfd *fds, int n, int ret) {
	printf("%s: ret %d%s", label, ret, ret < 0 ? errname(errno) : "");
	for (int i = 0; i < n; i++)
		printf(" [%d]=%#x", i, fds[i].revents);
	printf("\n");
	fflush(stdout);
}

int main(void) {
	int p[2], q[2];
	struct pollfd fds[4];
	struct timespec t0;
	int ret;

	pipe(p);
	/* empty pipe: write end writable, read end not readable */
	fds[0] = (struct pollfd){.fd = p[0], .events = POLLIN | POLLOUT | POLLPRI | POLLRDHUP};
	fds[1] = (struct pollfd){.fd = p[1], .events = POLLIN | POLLOUT | POLLWRNORM | POLLWRBAND};
	fds[2] = (struct pollfd){.fd = -1, .events = POLLIN, .revents = 0x7};
	fds[3] = (struct pollfd){.fd = 999, .events = 0};
	ret = poll(fds, 4, 0);
	show_poll("empty pipe", fds, 4, ret);
	write(p[1], "x", 1);
	fds[0].events = POLLIN | POLLRDNORM | POLLRDBAND;
	ret = poll(fds, 2, 0);
	show_poll("one byte", fds, 2, ret);
	fds[0].events = 0;
	ret = poll(fds, 1, 0);
	show_poll("no events asked", fds, 1, ret);
	close(p[1]);
	fds[0].events = POLLIN;
	ret = poll(fds, 1, -1);
	show_poll("data and writer closed", fds, 1, ret);
	char c;
	read(p[0], &c, 1);
	fds[0].events = POLLOUT;
	ret = poll(fds, 1, -1);
	show_poll("writer closed, POLLOUT asked", fds, 1, ret);
	close(p[0]);

	pipe(p);
	close(p[0]);
	fds[0] = (struct pollfd){.fd = p[1], .events = POLLOUT};
	ret = poll(fds, 1, -1);
	show_poll("reader closed", fds, 1, ret);
	fds[0].events = 0;
	ret = poll(fds, 1, -1);
	show_poll("reader closed, nothing asked", fds, 1, ret);
	close(p[1]);

	/* regular files and O_PATH */
	char path[64];
	snprintf(path, sizeof path, "/tmp/poll_basic.%d", getpid());
	int rf = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
	unlink(path);
	int op = open("/", O_PATH);
	fds[0] = (struct pollfd){.fd = rf, .events = POLLIN | POLLOUT | POLLPRI};
	fds[1] = (struct pollfd){.fd = op, .events = POLLIN};
	ret = poll(fds, 2, 0);
	show_poll("regular file and O_PATH", fds, 2, ret);

	/* timeouts */
	pipe(p);
	fds[0] = (struct pollfd){.fd = p[0], .events = POLLIN};
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ret = poll(fds, 1, 60);
	long ms = elapsed_ms(&t0);
	printf("poll 60ms timeout: ret %d waited>=55 %d waited<2000 %d\n", ret, ms >= 55, ms < 2000);
	struct timespec ts = {0, 80 * 1000000};
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ret = syscall(SYS_ppoll, fds, 1, &ts, NULL, 8);
	ms = elapsed_ms(&t0);
	printf("ppoll 80ms timeout: ret %d waited>=75 %d remaining %ld.%09ld\n", ret, ms >= 75, (long)ts.tv_sec, ts.tv_nsec);
	ts = (struct timespec){0, 80 * 1000000};
	ret = ppoll(fds, 1, &ts, NULL);
	printf("glibc ppoll keeps the caller's timespec: ret %d %ld.%09ld\n", ret, (long)ts.tv_sec, ts.tv_nsec);
	write(p[1], "y", 1);
	ts = (struct timespec){5, 0};
	ret = syscall(SYS_ppoll, fds, 1, &ts, NULL, 8);
	printf("ppoll ready: ret %d remaining sec 4 %d\n", ret, ts.tv_sec == 4);
	ts = (struct timespec){0, 0};
	ret = syscall(SYS_ppoll, fds, 1, &ts, NULL, 8);
	printf("ppoll zero timeout: ret %d ts %ld.%ld\n", ret, (long)ts.tv_sec, ts.tv_nsec);
	ts = (struct timespec){0, 1000000000};
	CHECK("ppoll nsec 1e9", syscall(SYS_ppoll, fds, 1, &ts, NULL, 8));
	ts = (struct timespec){-1, 0};
	CHECK("ppoll sec -1", syscall(SYS_ppoll, fds, 1, &ts, NULL, 8));
	CHECK("ppoll timespec EFAULT", syscall(SYS_ppoll, fds, 1, BADPTR, NULL, 8));
	sigset_t ss;
	sigemptyset(&ss);
	CHECK("ppoll sigsetsize 4", syscall(SYS_ppoll, fds, 1, NULL, &ss, 4));
	CHECK("ppoll sigset EFAULT", syscall(SYS_ppoll, fds, 1, NULL, BADPTR, 8));
	CHECK("ppoll with sigset", syscall(SYS_ppoll, fds, 1, NULL, &ss, 8));

	/* errors */
	CHECK("poll EFAULT", poll(BADPTR, 1, 0));
	CHECK("poll nfds 0", poll(NULL, 0, 0));
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	CHECK("poll nfds = RLIMIT_NOFILE", poll(BADPTR, rl.rlim_cur, 0));
	CHECK("poll nfds > RLIMIT_NOFILE", poll(BADPTR, rl.rlim_cur + 1, 0));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ret = poll(NULL, 0, 30);
	printf("poll no fds 30ms: ret %d waited>=25 %d\n", ret, elapsed_ms(&t0) >= 25);

	/* a child wakes a blocked poll; the parent's poll sees POLLIN */
	pipe(q);
	fflush(stdout);
	pid_t child = fork();
	if (child == 0) {
		struct timespec d = {0, 50 * 1000000};
		nanosleep(&d, NULL);
		write(q[1], "z", 1);
		_exit(0);
	}
	fds[0] = (struct pollfd){.fd = q[0], .events = POLLIN};
	ret = poll(fds, 1, 10000);
	show_poll("woken by child", fds, 1, ret);
	int st;
	waitpid(child, &st, 0);
	describe("child", st);
	/* the last writer closes while poll waits: POLLHUP */
	close(q[1]);
	read(q[0], &c, 1);
	pipe(p);
	child = fork();
	if (child == 0) {
		struct timespec d = {0, 50 * 1000000};
		nanosleep(&d, NULL);
		_exit(0);
	}
	close(p[1]);
	/* the child holds the only write end now; it exits without writing */
	fds[0] = (struct pollfd){.fd = p[0], .events = POLLIN};
	ret = poll(fds, 1, 10000);
	show_poll("last writer exited", fds, 1, ret);
	waitpid(child, &st, 0);
	close(p[0]);
	close(q[0]);
	return 0;
}
