/* eventfd and eventfd2: flags, the 8-byte read and write rules, the
 * overflow limit, semaphore mode, readiness, blocking reads and writes
 * woken by another process, and what fstat and /proc/self/fd show. */
#include "epoll_common.h"
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

static void show_poll(const char *label, int fd) {
	struct pollfd p = {.fd = fd, .events = POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM | POLLPRI | POLLRDHUP};
	int n = poll(&p, 1, 0);
	char l[80];
	snprintf(l, sizeof l, "%s (%d)", label, n);
	print_events(l, p.revents);
}

static void rd(const char *label, int fd) {
	uint64_t v = 0;
	errno = 0;
	long n = read(fd, &v, 8);
	if (n < 0) printf("%s: -1 %s\n", label, errname(errno));
	else printf("%s: %ld value %llu\n", label, n, (unsigned long long)v);
}

static void wr(const char *label, int fd, uint64_t v) {
	CHECK(label, write(fd, &v, 8));
}

static void sleep_ms(int ms) {
	struct timespec ts = {0, ms * 1000000L};
	nanosleep(&ts, NULL);
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	CHECK("eventfd2 bad flags", syscall(SYS_eventfd2, 0, 0x10));
	CHECK("eventfd2 O_RDWR flag", syscall(SYS_eventfd2, 0, O_RDWR));
	int plain = syscall(SYS_eventfd, 5);
	CHECKOK("eventfd", plain);
	CHECK("F_GETFL", fcntl(plain, F_GETFL) & ~0100000);
	CHECK("F_GETFD", fcntl(plain, F_GETFD));
	rd("read initial value", plain);
	int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	CHECK("nonblock F_GETFL", fcntl(fd, F_GETFL) & ~0100000);
	CHECK("cloexec F_GETFD", fcntl(fd, F_GETFD));

	struct stat st;
	CHECK("fstat", fstat(fd, &st));
	printf("mode %o nlink %ld size %ld\n", st.st_mode, (long)st.st_nlink, (long)st.st_size);
	char link[64] = "", path[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	CHECKOK("readlink", readlink(path, link, sizeof link - 1));
	printf("link %s\n", link);

	show_poll("empty", fd);
	rd("empty nonblocking read", fd);
	char small[4] = {0};
	CHECK("read 4 bytes", read(fd, small, 4));
	CHECK("write 4 bytes", write(fd, small, 4));
	uint64_t big[2] = {3, 100};
	CHECK("write 16 bytes", write(fd, big, 16));
	wr("write 3", fd, 3);
	CHECK("read 16 bytes", read(fd, big, 16));
	printf("value %llu\n", (unsigned long long)big[0]);
	CHECK("pread", pread(fd, big, 8, 0));
	CHECK("pwrite", pwrite(fd, big, 8, 0));
	CHECK("write from a bad address", write(fd, bad, 8));
	wr("write 2", fd, 2);
	CHECK("read to a bad address", read(fd, bad, 8));
	rd("counter was taken", fd);

	wr("write 2^64-1", fd, 0xffffffffffffffffull);
	wr("write 2^64-2", fd, 0xfffffffffffffffeull);
	show_poll("full", fd);
	wr("write 1 more", fd, 1);
	wr("write 0", fd, 0);
	rd("read full", fd);
	wr("write 1", fd, 1);
	wr("write 2^64-3", fd, 0xfffffffffffffffdull);
	wr("write 1 over", fd, 1);
	rd("read", fd);

	int sem = eventfd(3, EFD_SEMAPHORE | EFD_NONBLOCK);
	for (int i = 0; i < 4; i++) rd("semaphore read", sem);
	wr("semaphore write 2", sem, 2);
	show_poll("semaphore", sem);
	rd("semaphore read", sem);
	rd("semaphore read", sem);
	rd("semaphore read", sem);

	int unsig = syscall(SYS_eventfd2, 0xffffffffu, EFD_NONBLOCK);
	rd("initial value 2^32-1", unsig);

	/* A blocking read woken by another process's write. */
	int blk = eventfd(0, 0);
	pid_t pid = fork();
	if (pid == 0) {
		sleep_ms(20);
		uint64_t v = 9;
		write(blk, &v, 8);
		_exit(0);
	}
	rd("blocking read", blk);
	waitpid(pid, NULL, 0);

	/* A blocking write at the limit woken by a reader. */
	wr("fill", blk, 0xfffffffffffffffeull);
	pid = fork();
	if (pid == 0) {
		sleep_ms(20);
		uint64_t v;
		read(blk, &v, 8);
		_exit(v == 0xfffffffffffffffeull ? 0 : 1);
	}
	wr("blocking write", blk, 4);
	int status;
	waitpid(pid, &status, 0);
	printf("reader saw the full counter: %d\n", WIFEXITED(status) && WEXITSTATUS(status) == 0);
	rd("after", blk);
	return 0;
}
