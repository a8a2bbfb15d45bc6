/* RLIMIT_FSIZE is checked once per write: a 2 MiB write into a shared
 * memory file with a 1 MiB limit writes 1 MiB and sends no SIGXFSZ (the
 * default action would kill the program), also when the limit falls on
 * a boundary between the pieces the kernel moves; the next write gets
 * EFBIG and SIGXFSZ. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

static volatile sig_atomic_t xfsz;
static void on_xfsz(int s) { (void)s; xfsz++; }

static void run(const char *what, long limit, long size) {
	int fd = memfd_create(what, 0);
	char *buf = malloc(size);
	memset(buf, 'x', size);
	struct rlimit old;
	getrlimit(RLIMIT_FSIZE, &old);
	struct rlimit rl = {limit, old.rlim_max};
	setrlimit(RLIMIT_FSIZE, &rl);
	signal(SIGXFSZ, SIG_DFL);
	ssize_t w = write(fd, buf, size);
	printf("%s: write %ld -> %zd\n", what, size, w);
	signal(SIGXFSZ, on_xfsz);
	errno = 0;
	w = write(fd, buf, 10);
	printf("%s: next write -> %zd %s, SIGXFSZ %d\n", what, w, strerror(errno), xfsz);
	xfsz = 0;
	/* appending at the limit */
	lseek(fd, 0, SEEK_SET);
	ftruncate(fd, 0);
	signal(SIGXFSZ, SIG_DFL);
	w = pwrite(fd, buf, size, 4096);
	printf("%s: pwrite %ld at 4096 -> %zd\n", what, size, w);
	setrlimit(RLIMIT_FSIZE, &old);
	free(buf);
	close(fd);
}

int main(void) {
	run("1MiB limit, 2MiB write", 1 << 20, 2 << 20);
	run("3MiB limit, 8MiB write", 3 << 20, 8 << 20);
	run("1000000 limit, 3MiB write", 1000000, 3 << 20);
	return 0;
}
