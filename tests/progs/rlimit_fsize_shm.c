/* RLIMIT_FSIZE on tmpfs (/dev/shm) and memfd files, whose writes copy
 * straight from the program's pages (the vector write path): a write,
 * writev or pwritev crossing the limit is cut short there, one starting
 * at or past it fails with EFBIG and raises SIGXFSZ, O_APPEND writes
 * likewise, and large buffers spanning many pages and several iovecs
 * stop at the same byte. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

static volatile sig_atomic_t nsig;
static void onxfsz(int s) { (void)s; nsig++; }

static char *buf;
#define BUFSZ (256 << 10)

static void show(const char *what, long r) {
	int e = errno;
	if (r < 0)
		printf("  %s: -1 %s, signals %d\n", what, e == EFBIG ? "EFBIG" : strerror(e), (int)nsig);
	else
		printf("  %s: %ld, signals %d\n", what, r, (int)nsig);
	errno = 0;
}

static long size(int fd) {
	struct stat st;
	fstat(fd, &st);
	return (long)st.st_size;
}

/* run writes to fd (opened twice: fd plain, afd with O_APPEND) under a
 * limit of lim bytes. */
static void run(int fd, int afd, long lim) {
	struct rlimit rl = {lim, RLIM_INFINITY};
	setrlimit(RLIMIT_FSIZE, &rl);
	show("write 150000 at 0", pwrite(fd, buf, 150000, 0));
	show("write 10 at the limit", pwrite(fd, buf, 10, lim));
	show("write 0 at the limit", pwrite(fd, buf, 0, lim));
	show("write 10 past the limit", pwrite(fd, buf, 10, lim + 5000));
	ftruncate(fd, 0);
	struct iovec iov[4] = {{buf, 30000}, {buf + 40000, 50000}, {buf + 100000, 70000}, {buf + 200000, 5}};
	lseek(fd, 1000, SEEK_SET);
	show("writev 150005 at 1000", writev(fd, iov, 4));
	show("offset", lseek(fd, 0, SEEK_CUR));
	show("writev at the limit", writev(fd, iov, 4));
	show("pwritev 150005 at 20000", pwritev(fd, iov, 4, 20000));
	show("pwritev at the limit", pwritev(fd, iov, 4, lim));
	show("size", size(fd));
	ftruncate(fd, 90000);
	show("append 150000 at 90000", write(afd, buf, 150000));
	show("append 1 at the limit", write(afd, buf, 1));
	show("size", size(fd));
	/* The bytes written up to the limit are the buffer's. */
	char back[16];
	pread(fd, back, 16, lim - 16);
	show("last bytes match", memcmp(back, buf + (lim - 16 - 90000), 16) == 0);
	rl.rlim_cur = RLIM_INFINITY;
	setrlimit(RLIMIT_FSIZE, &rl);
}

int main(void) {
	static char obuf[1 << 16];
	setvbuf(stdout, obuf, _IOFBF, sizeof obuf);
	buf = mmap(NULL, BUFSZ, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	for (int i = 0; i < BUFSZ; i++)
		buf[i] = (char)(i * 7 + i / 4096);
	struct sigaction sa = {0};
	sa.sa_handler = onxfsz;
	sigaction(SIGXFSZ, &sa, NULL);

	char path[64];
	snprintf(path, sizeof path, "/dev/shm/rlimit_fsize_shm.%d", getpid());
	int fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0600);
	int afd = open(path, O_WRONLY | O_APPEND);
	if (fd < 0 || afd < 0) {
		perror("open");
		return 1;
	}
	unlink(path);
	printf("tmpfs:\n");
	run(fd, afd, 100003);
	close(fd);
	close(afd);

	fd = memfd_create("rlimit_fsize_shm", 0);
	char self[64];
	snprintf(self, sizeof self, "/proc/self/fd/%d", fd);
	afd = open(self, O_WRONLY | O_APPEND);
	if (fd < 0 || afd < 0) {
		perror("memfd");
		return 1;
	}
	printf("memfd:\n");
	run(fd, afd, 131072);
	fflush(stdout);
	return 0;
}
