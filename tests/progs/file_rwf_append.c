/* pwritev2's RWF_APPEND and RWF_NOAPPEND: appending through a descriptor
 * without O_APPEND (at a given offset and at the file offset, which then
 * moves to the end), writing at the offset through an O_APPEND descriptor,
 * both flags at once (EINVAL), an append-only file (RWF_NOAPPEND is EPERM
 * through an O_APPEND descriptor, even for preadv2), unknown flags
 * (EOPNOTSUPP) and empty transfers (0 before any flag is looked at). */
#include "file_common.h"
#include <sys/ioctl.h>
#include <sys/uio.h>

#ifndef RWF_APPEND
#define RWF_APPEND 0x10
#endif
#ifndef RWF_NOAPPEND
#define RWF_NOAPPEND 0x20
#endif
#define FS_IOC_GETFLAGS _IOR('f', 1, long)
#define FS_IOC_SETFLAGS _IOW('f', 2, long)
#define FS_APPEND_FL 0x20

static long pw2(int fd, const char *s, long off, int flags) {
	struct iovec iov = {(void *)s, strlen(s)};
	return syscall(SYS_pwritev2, fd, &iov, 1, off, 0L, flags);
}

static long pr2(int fd, char *b, long n, long off, int flags) {
	struct iovec iov = {b, (size_t)n};
	return syscall(SYS_preadv2, fd, &iov, 1, off, 0L, flags);
}

/* show prints the file's contents and fd's offset. */
static void show(int fd) {
	char b[128] = {0};
	pread(fd, b, sizeof b - 1, 0);
	printf("  data \"%s\" offset %ld\n", b, (long)lseek(fd, 0, SEEK_CUR));
}

static long setfl(int fd, int on) {
	int fl = 0;
	if (ioctl(fd, FS_IOC_GETFLAGS, &fl) < 0)
		return -1;
	fl = on ? fl | FS_APPEND_FL : fl & ~FS_APPEND_FL;
	return ioctl(fd, FS_IOC_SETFLAGS, &fl);
}

int main(void) {
	enter("rwfappend");
	int fd = open("f", O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECK("write", write(fd, "0123456789", 10));
	CHECK("lseek 2", lseek(fd, 2, SEEK_SET));
	CHECK("pwritev2 RWF_APPEND at 0", pw2(fd, "ab", 0, RWF_APPEND));
	show(fd);
	CHECK("pwritev2 RWF_APPEND at -1", pw2(fd, "cd", -1, RWF_APPEND));
	show(fd);
	CHECK("pwritev2 RWF_NOAPPEND at 1 (no O_APPEND)", pw2(fd, "N", 1, RWF_NOAPPEND));
	show(fd);
	CHECK("pwritev2 both", pw2(fd, "x", 0, RWF_APPEND | RWF_NOAPPEND));
	CHECK("pwritev2 unknown flag", pw2(fd, "x", 0, 0x10000));
	CHECK("pwritev2 empty, both", pw2(fd, "", 0, RWF_APPEND | RWF_NOAPPEND));
	CHECK("pwritev2 empty, unknown flag", pw2(fd, "", 0, 0x10000));
	char b[8];
	CHECK("preadv2 RWF_APPEND", pr2(fd, b, 4, 0, RWF_APPEND));
	CHECK("preadv2 both", pr2(fd, b, 4, 0, RWF_APPEND | RWF_NOAPPEND));

	int afd = open("f", O_RDWR | O_APPEND);
	CHECK("lseek O_APPEND fd to 3", lseek(afd, 3, SEEK_SET));
	CHECK("pwritev2 O_APPEND fd at 0", pw2(afd, "A", 0, 0));
	show(afd);
	CHECK("pwritev2 O_APPEND fd RWF_NOAPPEND at 0", pw2(afd, "B", 0, RWF_NOAPPEND));
	show(afd);
	CHECK("pwritev2 O_APPEND fd RWF_NOAPPEND at -1", pw2(afd, "CD", -1, RWF_NOAPPEND));
	show(afd);
	CHECK("writev O_APPEND fd at -1", pw2(afd, "E", -1, 0));
	show(afd);

	/* Append-only (needs CAP_LINUX_IMMUTABLE). */
	long r = setfl(fd, 1);
	printf("chattr +a: %s\n", r < 0 ? errname(errno) : "ok");
	if (r == 0) {
		CHECK("+a: pwritev2 O_APPEND fd RWF_NOAPPEND", pw2(afd, "x", 0, RWF_NOAPPEND));
		CHECK("+a: preadv2 O_APPEND fd RWF_NOAPPEND", pr2(afd, b, 4, 0, RWF_NOAPPEND));
		CHECK("+a: pwritev2 O_APPEND fd RWF_APPEND", pw2(afd, "F", 0, RWF_APPEND));
		CHECK("+a: pwritev2 old fd RWF_NOAPPEND", pw2(fd, "G", 0, RWF_NOAPPEND));
		CHECK("+a: pwritev2 old fd RWF_APPEND at 0", pw2(fd, "H", 0, RWF_APPEND));
		show(fd);
		CHECK("chattr -a", setfl(fd, 0));
	}
	close(afd);
	close(fd);
	cleanup();
	return 0;
}
