/* Opening a pipe again through /proc/self/fd/N and /dev/fd/N gives a new
 * end of the same pipe, without waiting for a partner, as bash's process
 * substitution and `cat /dev/stdin` need. alarm() turns a hang into a
 * failure. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int reopen(const char *fmt, int fd, int flags) {
	char path[64];
	snprintf(path, sizeof path, fmt, fd);
	return open(path, flags);
}

int main(void) {
	alarm(100);
	int p[2];
	if (pipe(p) < 0)
		return 1;
	write(p[1], "hello", 5);

	/* The read end again, for reading: the data is there. */
	int r2 = reopen("/proc/self/fd/%d", p[0], O_RDONLY);
	char buf[16] = {0};
	int n = read(r2, buf, sizeof buf - 1);
	printf("reopened read end: fd ok %d read %d %s\n", r2 >= 0, n, buf);

	/* Same inode, another open file description. */
	struct stat a, b;
	fstat(p[0], &a);
	fstat(r2, &b);
	printf("same inode %d fifo %d flags %s\n", a.st_ino == b.st_ino, S_ISFIFO(b.st_mode),
	       (fcntl(r2, F_GETFL) & O_ACCMODE) == O_RDONLY ? "rdonly" : "other");

	/* The write end again through /dev/fd: a new writer. */
	int w2 = reopen("/dev/fd/%d", p[1], O_WRONLY);
	printf("reopened write end: fd ok %d wrote %zd\n", w2 >= 0, write(w2, "abc", 3));
	memset(buf, 0, sizeof buf);
	n = read(p[0], buf, sizeof buf - 1);
	printf("read %d %s\n", n, buf);

	/* The read end opened for writing gives a write end. */
	int w3 = reopen("/proc/self/fd/%d", p[0], O_WRONLY);
	printf("read end opened for writing: fd ok %d wrote %zd\n", w3 >= 0, write(w3, "xy", 2));
	memset(buf, 0, sizeof buf);
	n = read(r2, buf, sizeof buf - 1);
	printf("read %d %s\n", n, buf);

	/* Every writer closed: EOF on the reopened read end. */
	close(p[1]);
	close(w2);
	close(w3);
	n = read(r2, buf, sizeof buf);
	printf("after the writers closed: read %d\n", n);

	/* With no writer left, a reopen for reading still does not wait. */
	int r3 = reopen("/proc/self/fd/%d", p[0], O_RDONLY);
	n = read(r3, buf, sizeof buf);
	printf("reopen without writers: fd ok %d read %d\n", r3 >= 0, n);
	/* ... and a non-blocking reopen for writing is no ENXIO. */
	int w4 = reopen("/proc/self/fd/%d", p[0], O_WRONLY | O_NONBLOCK);
	printf("non-blocking reopen for writing: fd ok %d %s\n", w4 >= 0, w4 < 0 ? strerror(errno) : "");
	return 0;
}
