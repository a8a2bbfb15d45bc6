/* sendfile, copy_file_range, fallocate, posix_fadvise, readahead. */
#include "file_common.h"
#include <sys/sendfile.h>

#define KEEP_SIZE 0x01
#define PUNCH_HOLE 0x02

static void show(const char *path) {
	char buf[64];
	memset(buf, 0, sizeof buf);
	int fd = open(path, O_RDONLY);
	int n = read(fd, buf, sizeof buf - 1);
	struct stat st;
	fstat(fd, &st);
	close(fd);
	for (int i = 0; i < n; i++)
		if (buf[i] == 0) buf[i] = '.';
	printf("%s: size %ld [%s]\n", path, (long)st.st_size, buf);
}

int main(void) {
	enter("copy");
	int src = open("src", O_RDWR | O_CREAT, 0644);
	write(src, "0123456789abcdef", 16);
	int dst = open("dst", O_RDWR | O_CREAT, 0644);

	/* sendfile */
	lseek(src, 4, SEEK_SET);
	CHECK("sendfile file offset", sendfile(dst, src, NULL, 5));
	CHECK("src offset advanced", lseek(src, 0, SEEK_CUR));
	off_t off = 10;
	CHECK("sendfile with offset", sendfile(dst, src, &off, 100));
	printf("offset now %ld, src offset %ld\n", (long)off, (long)lseek(src, 0, SEEK_CUR));
	show("dst");
	fflush(stdout);
	/* Not to stdout: when stdout is a pipe, Linux splices page-cache
	 * pages into it and the reader may see later changes of the file. */
	int out = open("out", O_RDWR | O_CREAT, 0644);
	off = 0;
	CHECK("sendfile to another file", sendfile(out, src, &off, 16));
	show("out");
	CHECK("sendfile at EOF", sendfile(dst, src, &off, 16));
	CHECK("sendfile count 0", sendfile(dst, src, NULL, 0));
	CHECK("sendfile bad in", sendfile(dst, 99, NULL, 1));
	CHECK("sendfile bad out", sendfile(99, src, NULL, 1));
	int ro = open("src", O_RDONLY);
	CHECK("sendfile to read-only fd", sendfile(ro, src, NULL, 1));
	int wo = open("dst", O_WRONLY);
	CHECK("sendfile from write-only fd", sendfile(dst, wo, NULL, 1));
	int ap = open("dst", O_WRONLY | O_APPEND);
	CHECK("sendfile to O_APPEND", sendfile(ap, src, NULL, 1));
	CHECK("sendfile bad offset ptr", syscall(SYS_sendfile, dst, src, bad, 1));
	off = -1;
	CHECK("sendfile negative offset", sendfile(dst, src, &off, 1));

	/* copy_file_range */
	int cp = open("cp", O_RDWR | O_CREAT, 0644);
	loff_t in = 2, outo = 0;
	CHECK("copy_file_range offsets", syscall(SYS_copy_file_range, src, &in, cp, &outo, 6, 0));
	printf("in %ld out %ld\n", (long)in, (long)outo);
	show("cp");
	lseek(src, 0, SEEK_SET);
	CHECK("copy_file_range file offsets", syscall(SYS_copy_file_range, src, NULL, cp, NULL, 3, 0));
	printf("src offset %ld cp offset %ld\n", (long)lseek(src, 0, SEEK_CUR), (long)lseek(cp, 0, SEEK_CUR));
	show("cp");
	CHECK("copy_file_range flags", syscall(SYS_copy_file_range, src, NULL, cp, NULL, 3, 1));
	CHECK("copy_file_range O_APPEND", syscall(SYS_copy_file_range, src, NULL, ap, NULL, 3, 0));
	CHECK("copy_file_range read-only out", syscall(SYS_copy_file_range, src, NULL, ro, NULL, 3, 0));
	in = 0;
	outo = 2;
	CHECK("copy_file_range overlap", syscall(SYS_copy_file_range, src, &in, src, &outo, 4, 0));
	outo = 8;
	CHECK("copy_file_range same file", syscall(SYS_copy_file_range, src, &in, src, &outo, 4, 0));
	show("src");
	in = 100;
	CHECK("copy_file_range at EOF", syscall(SYS_copy_file_range, src, &in, cp, NULL, 4, 0));
	/* Counts of 2^63 and more (kite once panicked on them): offsets
	 * that would wrap are EOVERFLOW, else the count stops at EOF. */
	in = 0;
	outo = 0;
	CHECK("copy_file_range len 2^63", syscall(SYS_copy_file_range, src, &in, cp, &outo, 1UL << 63, 0));
	printf("in %ld out %ld\n", (long)in, (long)outo);
	in = 3;
	CHECK("copy_file_range len -2 wraps", syscall(SYS_copy_file_range, src, &in, cp, NULL, -2UL, 0));
	in = 0;
	outo = 4;
	CHECK("copy_file_range len 2^64-4096", syscall(SYS_copy_file_range, src, &in, cp, &outo, -4096UL, 0));
	in = 0;
	outo = 5000;
	CHECK("copy_file_range len 2^64-4096 wraps out", syscall(SYS_copy_file_range, src, &in, cp, &outo, -4096UL, 0));
	CHECK("sendfile len 2^63", sendfile(cp, src, NULL, 1UL << 63));
	int d = open(".", O_RDONLY);
	CHECK("copy_file_range dir", syscall(SYS_copy_file_range, d, NULL, cp, NULL, 4, 0));

	/* fallocate */
	int fa = open("fa", O_RDWR | O_CREAT, 0644);
	write(fa, "abcdefgh", 8);
	CHECK("fallocate extend", fallocate(fa, 0, 0, 12));
	show("fa");
	CHECK("fallocate keep size", fallocate(fa, KEEP_SIZE, 0, 100));
	show("fa");
	CHECK("fallocate punch", fallocate(fa, PUNCH_HOLE | KEEP_SIZE, 2, 3));
	show("fa");
	CHECK("fallocate punch without keep", fallocate(fa, PUNCH_HOLE, 2, 3));
	CHECK("fallocate len 0", fallocate(fa, 0, 0, 0));
	CHECK("fallocate negative offset", fallocate(fa, 0, -1, 10));
	CHECK("fallocate read-only", fallocate(ro, 0, 0, 10));
	CHECK("fallocate dir", fallocate(d, 0, 0, 10));
	CHECK("fallocate bad fd", fallocate(99, 0, 0, 10));

	/* advice */
	CHECK("fadvise", posix_fadvise(fa, 0, 0, POSIX_FADV_SEQUENTIAL));
	CHECK("fadvise bad advice", posix_fadvise(fa, 0, 0, 77));
	CHECK("fadvise bad fd", posix_fadvise(99, 0, 0, POSIX_FADV_NORMAL));
	CHECK("readahead", readahead(fa, 0, 4096));
	CHECK("readahead write-only", readahead(wo, 0, 4096));
	CHECK("readahead dir", readahead(d, 0, 4096));

	cleanup();
	return 0;
}
