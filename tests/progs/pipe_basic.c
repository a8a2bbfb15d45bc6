/* pipe and pipe2: flags, fstat, round trip, capacity, PIPE_BUF atomicity,
 * EOF, EPIPE, O_DIRECT packets, FIONREAD, F_GETPIPE_SZ/F_SETPIPE_SZ. */
#include "pipe_common.h"

/* fill writes chunk-byte writes to a non-blocking pipe until EAGAIN. */
static long fill(int fd, size_t chunk) {
	static char buf[100000];
	long total = 0;
	for (;;) {
		ssize_t n = write(fd, buf, chunk);
		if (n < 0) {
			if (errno != EAGAIN)
				printf("fill: %s\n", errname(errno));
			return total;
		}
		total += n;
	}
}

static void capacity(size_t chunk) {
	int p[2];
	pipe2(p, O_NONBLOCK);
	long n = fill(p[1], chunk);
	int avail = -1;
	ioctl(p[0], FIONREAD, &avail);
	printf("capacity with %zu-byte writes: %ld (FIONREAD %d)\n", chunk, n, avail);
	close(p[0]);
	close(p[1]);
}

int main(void) {
	int p[2];
	char buf[200000];
	struct stat st, st2;

	CHECK("pipe", pipe(p));
	CHECK("F_GETFL read end", fcntl(p[0], F_GETFL));
	CHECK("F_GETFL write end", fcntl(p[1], F_GETFL));
	CHECK("F_GETFD", fcntl(p[0], F_GETFD));
	CHECK("write", write(p[1], "hello", 5));
	CHECK("read", read(p[0], buf, sizeof buf));
	printf("data: %.5s\n", buf);
	CHECK("write to read end", write(p[0], "x", 1));
	CHECK("read from write end", read(p[1], buf, 1));
	CHECK("lseek", lseek(p[0], 0, SEEK_CUR));
	CHECK("pread", pread(p[0], buf, 1, 0));
	CHECK("pwrite", pwrite(p[1], buf, 1, 0));
	CHECK("zero-length write", write(p[1], buf, 0));

	fstat(p[0], &st);
	fstat(p[1], &st2);
	printf("fifo %d mode %o nlink %ld size %ld blksize %ld same ino %d same dev %d\n",
	       S_ISFIFO(st.st_mode), st.st_mode & 07777, (long)st.st_nlink,
	       (long)st.st_size, (long)st.st_blksize, st.st_ino == st2.st_ino,
	       st.st_dev == st2.st_dev);
	char link[64], want[64];
	snprintf(link, sizeof link, "/proc/self/fd/%d", p[0]);
	ssize_t ln = readlink(link, buf, 100);
	snprintf(want, sizeof want, "pipe:[%lu]", (unsigned long)st.st_ino);
	printf("fd link matches: %d\n", ln > 0 && (size_t)ln == strlen(want) && memcmp(buf, want, ln) == 0);
	CHECK("fchmod", fchmod(p[0], 0640));
	fstat(p[1], &st2);
	printf("mode after fchmod %o\n", st2.st_mode & 07777);
	close(p[0]);
	close(p[1]);

	/* pipe2 flags */
	CHECK("pipe2 O_CLOEXEC|O_NONBLOCK", pipe2(p, O_CLOEXEC | O_NONBLOCK));
	CHECK("  F_GETFD", fcntl(p[0], F_GETFD));
	CHECK("  F_GETFL read", fcntl(p[0], F_GETFL));
	CHECK("  F_GETFL write", fcntl(p[1], F_GETFL));
	CHECK("  read empty", read(p[0], buf, 10));
	close(p[0]);
	close(p[1]);
	CHECK("pipe2 O_DIRECT", pipe2(p, O_DIRECT));
	CHECK("  F_GETFL read", fcntl(p[0], F_GETFL));
	CHECK("  F_GETFL write", fcntl(p[1], F_GETFL));
	write(p[1], "one", 3);
	write(p[1], "two!", 4);
	write(p[1], buf, 5000);
	CHECK("  packet 1", read(p[0], buf, sizeof buf));
	CHECK("  packet 2 (short read)", read(p[0], buf, 2));
	CHECK("  packet 3", read(p[0], buf, sizeof buf));
	CHECK("  packet 4", read(p[0], buf, sizeof buf));
	close(p[0]);
	close(p[1]);
	CHECK("pipe2 O_APPEND", pipe2(p, O_APPEND));
	CHECK("pipe2 bad flag", pipe2(p, 0x40000000));
	CHECK("pipe2 EFAULT", syscall(SYS_pipe2, BADPTR, 0));
	CHECK("pipe EFAULT", syscall(SYS_pipe, BADPTR));
	int probe = dup(0);
	printf("no fd leaked after EFAULT: %d\n", probe == 3);
	close(probe);

	/* capacity and the merge rule of the page ring */
	capacity(1);
	capacity(4096);
	capacity(1000);
	capacity(5000);
	capacity(100000);

	/* PIPE_BUF: a small write into a full ring fails whole */
	pipe2(p, O_NONBLOCK);
	fill(p[1], 4096);
	CHECK("read 100", read(p[0], buf, 100));
	CHECK("write 200 into full ring", write(p[1], buf, 200));
	CHECK("write 8000 into full ring", write(p[1], buf, 8000));
	CHECK("read 5000", read(p[0], buf, 5000));
	CHECK("write 8000 with one free page", write(p[1], buf, 8000));
	int avail;
	CHECK("FIONREAD", ioctl(p[0], FIONREAD, &avail));
	printf("FIONREAD value %d\n", avail);
	CHECK("FIONREAD write end", ioctl(p[1], FIONREAD, &avail));
	printf("FIONREAD value %d\n", avail);
	CHECK("FIONREAD EFAULT", ioctl(p[0], FIONREAD, BADPTR));
	CHECK("TCGETS", ioctl(p[0], TCGETS, buf));
	CHECK("read big", read(p[0], buf, sizeof buf));
	close(p[0]);
	close(p[1]);

	/* F_GETPIPE_SZ and F_SETPIPE_SZ */
	pipe2(p, O_NONBLOCK);
	CHECK("F_GETPIPE_SZ", fcntl(p[0], F_GETPIPE_SZ));
	CHECK("F_SETPIPE_SZ 0", fcntl(p[1], F_SETPIPE_SZ, 0));
	CHECK("F_SETPIPE_SZ 4097", fcntl(p[1], F_SETPIPE_SZ, 4097));
	CHECK("F_SETPIPE_SZ 100000", fcntl(p[0], F_SETPIPE_SZ, 100000));
	CHECK("F_SETPIPE_SZ 1MiB", fcntl(p[0], F_SETPIPE_SZ, 1 << 20));
	CHECK("F_SETPIPE_SZ 2^31+1", fcntl(p[0], F_SETPIPE_SZ, (1u << 31) + 1));
	CHECK("F_GETPIPE_SZ", fcntl(p[1], F_GETPIPE_SZ));
	printf("capacity after 1MiB: %ld\n", fill(p[1], 65536));
	CHECK("read 1MiB at once", read(p[0], buf, sizeof buf));
	CHECK("F_SETPIPE_SZ 8192", fcntl(p[1], F_SETPIPE_SZ, 8192));
	printf("capacity after 8192: %ld\n", fill(p[1], 4096));
	CHECK("F_SETPIPE_SZ 4096 while full", fcntl(p[1], F_SETPIPE_SZ, 4096));
	CHECK("F_GETPIPE_SZ", fcntl(p[1], F_GETPIPE_SZ));
	close(p[0]);
	close(p[1]);
	CHECK("F_GETPIPE_SZ on stdin-dup of /proc", fcntl(open("/proc/self/stat", O_RDONLY), F_GETPIPE_SZ));

	/* EOF and EPIPE */
	pipe(p);
	write(p[1], "ab", 2);
	close(p[1]);
	CHECK("read after writer closed", read(p[0], buf, 10));
	CHECK("read at EOF", read(p[0], buf, 10));
	close(p[0]);
	signal(SIGPIPE, SIG_IGN);
	pipe(p);
	close(p[0]);
	CHECK("write without readers", write(p[1], "x", 1));
	CHECK("zero-length write without readers", write(p[1], "x", 0));
	close(p[1]);
	return 0;
}
