/* read/write family: offsets, O_APPEND, O_TRUNC, pread/pwrite, readv/
 * writev, lseek, large transfers, EBADF/EISDIR/EFAULT/EINVAL/ESPIPE. */
#include "file_common.h"
#include <sys/ioctl.h>
#include <sys/uio.h>

int main(void) {
	enter("io");
	char buf[64];
	int fd = open("f", O_RDWR | O_CREAT | O_EXCL, 0644);
	CHECKOK("open O_CREAT|O_EXCL", fd);
	CHECK("write", write(fd, "hello world", 11));
	CHECK("lseek cur", lseek(fd, 0, SEEK_CUR));
	CHECK("read at end", read(fd, buf, sizeof buf));
	CHECK("lseek set 6", lseek(fd, 6, SEEK_SET));
	memset(buf, 0, sizeof buf);
	CHECK("read", read(fd, buf, 3));
	printf("data: %s\n", buf);
	CHECK("lseek end -2", lseek(fd, -2, SEEK_END));
	CHECK("lseek negative", lseek(fd, -100, SEEK_CUR));
	CHECK("lseek bad whence", lseek(fd, 0, 17));
	CHECK("lseek past end", lseek(fd, 100, SEEK_SET));
	CHECK("write past end", write(fd, "X", 1));
	struct stat st;
	fstat(fd, &st);
	printf("size after hole write: %ld\n", (long)st.st_size);
	memset(buf, 'z', sizeof buf);
	CHECK("pread hole", pread(fd, buf, 4, 50));
	printf("hole bytes: %d %d %d %d\n", buf[0], buf[1], buf[2], buf[3]);
	CHECK("pread past end", pread(fd, buf, 4, 1000));
	CHECK("pread negative", pread(fd, buf, 4, -1));
	CHECK("pwrite", pwrite(fd, "HELLO", 5, 0));
	CHECK("lseek unchanged by pwrite", lseek(fd, 0, SEEK_CUR));
	memset(buf, 0, sizeof buf);
	CHECK("pread", pread(fd, buf, 11, 0));
	printf("data: %s\n", buf);
	CHECK("SEEK_DATA 0", lseek(fd, 0, SEEK_DATA));
	CHECK("SEEK_DATA past end", lseek(fd, 200, SEEK_DATA));
	CHECK("SEEK_HOLE past end", lseek(fd, 200, SEEK_HOLE));
	int n = -1;
	lseek(fd, 90, SEEK_SET);
	CHECK("FIONREAD", ioctl(fd, FIONREAD, &n));
	printf("FIONREAD value: %d\n", n);
	CHECK("ioctl TCGETS on file", ioctl(fd, TCGETS, buf));
	CHECK("ftruncate shrink", ftruncate(fd, 5));
	fstat(fd, &st);
	printf("size: %ld\n", (long)st.st_size);
	CHECK("ftruncate grow", ftruncate(fd, 10));
	memset(buf, 'z', sizeof buf);
	CHECK("pread after grow", pread(fd, buf, 10, 0));
	printf("bytes 5..9: %d %d %d %d %d\n", buf[5], buf[6], buf[7], buf[8], buf[9]);
	CHECK("ftruncate negative", ftruncate(fd, -1));
	lseek(fd, 0, SEEK_SET);
	CHECK("read into bad pointer", read(fd, bad, 4));
	CHECK("offset after EFAULT", lseek(fd, 0, SEEK_CUR));
	CHECK("write from bad pointer", write(fd, bad, 4));
	CHECK("read count 0", read(fd, NULL, 0));
	CHECK("read huge count", syscall(SYS_read, fd, buf, (size_t)-1));
	CHECK("write huge count", syscall(SYS_write, fd, buf, (size_t)-1 / 2 + 1));
	CHECK("close", close(fd));
	CHECK("close again", close(fd));
	CHECK("read closed", read(fd, buf, 1));
	CHECK("read -1", read(-1, buf, 1));
	CHECK("pread bad fd and offset", pread(-1, buf, 1, -1));
	CHECK("pwrite bad fd and offset", pwrite(-1, buf, 1, -1));

	/* access modes */
	fd = open("f", O_RDONLY);
	CHECK("write on O_RDONLY", write(fd, "x", 1));
	CHECK("ftruncate on O_RDONLY", ftruncate(fd, 0));
	CHECK("pwrite on O_RDONLY", pwrite(fd, "x", 1, 0));
	close(fd);
	fd = open("f", O_WRONLY);
	CHECK("read on O_WRONLY", read(fd, buf, 1));
	close(fd);
	fd = open(".", O_RDONLY);
	CHECK("read on dir", read(fd, buf, 1));
	CHECK("write on dir", write(fd, buf, 1));
	CHECK("pread on dir", pread(fd, buf, 1, 0));
	close(fd);

	/* O_APPEND and O_TRUNC */
	fd = open("a", O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
	CHECK("append write 1", write(fd, "abc", 3));
	CHECK("lseek 0", lseek(fd, 0, SEEK_SET));
	CHECK("append write 2", write(fd, "def", 3));
	CHECK("offset after append", lseek(fd, 0, SEEK_CUR));
	CHECK("pwrite with O_APPEND", pwrite(fd, "G", 1, 0));
	CHECK("ftruncate O_APPEND file", ftruncate(fd, 7));
	close(fd);
	fd = open("a", O_RDONLY);
	memset(buf, 0, sizeof buf);
	CHECK("read appended", read(fd, buf, sizeof buf));
	printf("data: %s\n", buf);
	close(fd);
	fd = open("a", O_RDWR | O_TRUNC);
	fstat(fd, &st);
	printf("size after O_TRUNC: %ld\n", (long)st.st_size);
	close(fd);

	/* readv / writev */
	fd = open("v", O_RDWR | O_CREAT, 0644);
	struct iovec iov[3] = {{"one ", 4}, {"", 0}, {"two", 3}};
	CHECK("writev", writev(fd, iov, 3));
	CHECK("writev cnt -1", writev(fd, iov, neg));
	CHECK("writev cnt 1025", writev(fd, iov, 1024 - neg));
	CHECK("writev cnt 0", writev(fd, iov, 0));
	struct iovec badiov = {bad, 4};
	CHECK("writev bad base", writev(fd, &badiov, 1));
	CHECK("writev bad iov", writev(fd, bad, 1));
	char a1[3] = {0}, a2[10] = {0};
	struct iovec riov[2] = {{a1, 2}, {a2, 9}};
	CHECK("preadv", preadv(fd, riov, 2, 1));
	printf("preadv: [%.2s] [%s]\n", a1, a2);
	lseek(fd, 0, SEEK_SET);
	memset(a2, 0, sizeof a2);
	CHECK("readv", readv(fd, riov, 2));
	printf("readv: [%.2s] [%s]\n", a1, a2);
	struct iovec wiov[2] = {{"AB", 2}, {"CD", 2}};
	CHECK("pwritev", pwritev(fd, wiov, 2, 2));
	CHECK("offset after pwritev", lseek(fd, 0, SEEK_CUR));
	memset(buf, 0, sizeof buf);
	pread(fd, buf, sizeof buf, 0);
	printf("data: %s\n", buf);
	CHECK("preadv2 offset -1", syscall(SYS_preadv2, fd, riov, 1, -1L, 0L, 0));
	CHECK("preadv2 bad flags", syscall(SYS_preadv2, fd, riov, 1, 0L, 0L, 0x1000));
	CHECK("pwritev2 flags 0", syscall(SYS_pwritev2, fd, wiov, 1, 0L, 0L, 0));
	close(fd);

	/* A large transfer in one call. */
	size_t big = 3 << 20;
	char *p = malloc(big);
	for (size_t i = 0; i < big; i++) p[i] = (char)(i * 7);
	fd = open("big", O_RDWR | O_CREAT, 0644);
	CHECK("big write", write(fd, p, big));
	char *q = malloc(big + 100);
	lseek(fd, 0, SEEK_SET);
	CHECK("big read", read(fd, q, big + 100));
	printf("big equal: %d\n", memcmp(p, q, big) == 0);
	lseek(fd, 0, SEEK_SET);
	close(fd);

	cleanup();
	return 0;
}
