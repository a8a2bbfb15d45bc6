/* file_getattr and file_setattr (Linux 6.17) on tmpfs (/dev/shm), and
 * the FS_IOC_FSGETXATTR / FS_IOC_FSSETXATTR ioctls they stand beside:
 * struct file_attr's size rules (EINVAL below 24 bytes, E2BIG above a
 * page or with non-zero bytes past the struct on set; a longer struct is
 * zero-filled on get), the at_flags, unknown and read-only xflags, what
 * tmpfs keeps (immutable, append-only, no-dump, no-atime; extent sizes,
 * project ids and other xflags are EOPNOTSUPP), the checks of
 * ownership and CAP_LINUX_IMMUTABLE, and files of other types. With
 * ATTR_DIR set it runs there instead (tests/fileattr_test.go: the host's
 * disk file system through hostfs). */
#include "file_common.h"
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>

#ifndef SYS_file_getattr
#define SYS_file_getattr 468
#define SYS_file_setattr 469
#endif
#ifndef AT_EMPTY_PATH
#define AT_EMPTY_PATH 0x1000
#endif

/* linux/fs.h, which musl's tool chain lacks. */
struct fsxattr {
	unsigned fsx_xflags, fsx_extsize, fsx_nextents, fsx_projid, fsx_cowextsize;
	unsigned char fsx_pad[8];
};
#define FS_IOC_GETFLAGS _IOR('f', 1, long)
#define FS_IOC_SETFLAGS _IOW('f', 2, long)
#define FS_IOC_FSGETXATTR _IOR('X', 31, struct fsxattr)
#define FS_IOC_FSSETXATTR _IOW('X', 32, struct fsxattr)

/* struct file_attr of linux/fs.h, with room past its end. */
struct fattr {
	unsigned long long xflags;
	unsigned extsize, nextents, projid, cowextsize;
	unsigned char more[8];
};

static long getattr(int dfd, const char *path, struct fattr *fa, unsigned long size, unsigned at) {
	return syscall(SYS_file_getattr, dfd, path, fa, size, at);
}

static long setattr(int dfd, const char *path, struct fattr *fa, unsigned long size, unsigned at) {
	return syscall(SYS_file_setattr, dfd, path, fa, size, at);
}

/* show prints what file_getattr reports for path. */
static void show(const char *label, int dfd, const char *path, unsigned at) {
	struct fattr fa;
	memset(&fa, 0xa5, sizeof fa);
	errno = 0;
	if (getattr(dfd, path, &fa, 24, at) < 0) {
		printf("%s: -1 %s\n", label, errname(errno));
		return;
	}
	printf("%s: xflags %#llx extsize %u nextents %u projid %u cowextsize %u\n", label,
		fa.xflags, fa.extsize, fa.nextents, fa.projid, fa.cowextsize);
}

/* set sets xflags (and the rest zero) on path. */
static long set(int dfd, const char *path, unsigned long long xflags, unsigned at) {
	struct fattr fa = {xflags, 0, 0, 0, 0, {0}};
	return setattr(dfd, path, &fa, 24, at);
}

int main(void) {
	const char *base = getenv("ATTR_DIR");
	snprintf(dir, sizeof dir, "%s/kite-fileattr-%d", base ? base : "/dev/shm", (int)getpid());
	if (mkdir(dir, 0755) < 0 || chdir(dir) < 0) {
		printf("setup: %s\n", strerror(errno));
		return 1;
	}
	int fd = open("f", O_RDWR | O_CREAT, 0644);
	mkdir("d", 0755);
	symlink("f", "l");
	mkfifo("p", 0644);
	int dfd = open(".", O_RDONLY | O_DIRECTORY);
	int pfd = open("f", O_PATH);
	struct fattr fa;

	show("file", dfd, "f", 0);
	show("dir", dfd, "d", 0);
	show("link followed", dfd, "l", 0);
	show("link", dfd, "l", AT_SYMLINK_NOFOLLOW);
	show("fifo", dfd, "p", 0);
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sun = {AF_UNIX, "sock"};
	bind(s, (struct sockaddr *)&sun, sizeof sun);
	show("socket", dfd, "sock", 0);
	close(s);

	/* Sizes. */
	memset(&fa, 0xa5, sizeof fa);
	CHECK("get size 32", getattr(dfd, "f", &fa, 32, 0));
	printf("tail zeroed: %d\n", fa.more[0] == 0 && fa.more[7] == 0);
	CHECK("get size 23", getattr(dfd, "f", &fa, 23, 0));
	CHECK("get size 0", getattr(dfd, "f", &fa, 0, 0));
	CHECK("get size 4097", getattr(dfd, "f", &fa, 4097, 0));
	CHECK("get size 4096 bad buffer", getattr(dfd, "f", bad, 4096, 0));
	CHECK("get bad buffer", getattr(dfd, "f", bad, 24, 0));
	CHECK("get NULL buffer", getattr(dfd, "f", NULL, 24, 0));
	CHECK("get size 23 missing file", getattr(dfd, "nope", &fa, 23, 0));
	CHECK("get bad buffer missing file", getattr(dfd, "nope", bad, 24, 0));
	memset(&fa, 0, sizeof fa);
	fa.more[0] = 1;
	CHECK("set tail", setattr(dfd, "f", &fa, 32, 0));
	CHECK("set tail within size", setattr(dfd, "f", &fa, 24, 0));
	CHECK("set size 20", setattr(dfd, "f", &fa, 20, 0));
	fa.more[0] = 0;
	CHECK("set size 32", setattr(dfd, "f", &fa, 32, 0));
	CHECK("set size 23", setattr(dfd, "f", &fa, 23, 0));
	CHECK("set size 8192", setattr(dfd, "f", &fa, 8192, 0));
	CHECK("set bad buffer", setattr(dfd, "f", bad, 24, 0));
	CHECK("set bad buffer missing file", setattr(dfd, "nope", bad, 24, 0));
	CHECK("set unknown xflag missing file", set(dfd, "nope", 0x40000000, 0));

	/* at_flags and paths. */
	CHECK("get at_flags 0x200", getattr(dfd, "f", &fa, 24, 0x200));
	CHECK("set at_flags 0x200", set(dfd, "f", 0, 0x200));
	CHECK("get at_flags 0x200 size 0", getattr(dfd, "f", &fa, 0, 0x200));
	show("fd AT_EMPTY_PATH", fd, "", AT_EMPTY_PATH);
	show("fd NULL AT_EMPTY_PATH", fd, NULL, AT_EMPTY_PATH);
	show("O_PATH fd AT_EMPTY_PATH", pfd, "", AT_EMPTY_PATH);
	show("AT_FDCWD AT_EMPTY_PATH", AT_FDCWD, "", AT_EMPTY_PATH);
	show("AT_FDCWD NULL AT_EMPTY_PATH", AT_FDCWD, NULL, AT_EMPTY_PATH);
	show("bad fd AT_EMPTY_PATH", 99, "", AT_EMPTY_PATH);
	show("negative fd AT_EMPTY_PATH", neg, NULL, AT_EMPTY_PATH);
	show("empty path", fd, "", 0);
	show("NULL path", fd, NULL, 0);
	show("bad path", fd, bad, AT_EMPTY_PATH);
	show("bad dirfd", 99, "f", 0);
	show("file as dirfd", fd, "f", 0);
	show("missing", dfd, "nope", 0);
	CHECK("set O_PATH fd AT_EMPTY_PATH", set(pfd, "", 0, AT_EMPTY_PATH));
	CHECK("set AT_FDCWD AT_EMPTY_PATH", set(AT_FDCWD, NULL, 0, AT_EMPTY_PATH));

	/* xflags. */
	CHECK("set nodump", set(dfd, "f", 0x80, 0));
	show("after nodump", dfd, "f", 0);
	unsigned long fl = 0;
	CHECK("GETFLAGS", ioctl(fd, FS_IOC_GETFLAGS, &fl));
	printf("flags %#lx\n", fl);
	CHECK("set noatime", set(fd, NULL, 0x40, AT_EMPTY_PATH));
	show("after noatime", dfd, "f", 0);
	CHECK("set hasattr", set(dfd, "f", 0x80000000u | 0x40, 0));
	show("after hasattr", dfd, "f", 0);
	CHECK("set unknown xflag", set(dfd, "f", 0x40000000, 0));
	CHECK("set unknown high xflag", set(dfd, "f", 1ULL << 40, 0));
	CHECK("set unknown xflag 0x4", set(dfd, "f", 0x4, 0));
	CHECK("set unknown xflag 0x20000", set(dfd, "f", 0x20000, 0));
	CHECK("set sync", set(dfd, "f", 0x20, 0));
	CHECK("set dax", set(dfd, "f", 0x8000, 0));
	CHECK("set realtime", set(dfd, "f", 0x1, 0));
	CHECK("set projinherit", set(dfd, "d", 0x200, 0));
	CHECK("set extsize flag on dir", set(dfd, "d", 0x800, 0));
	CHECK("set extszinherit flag on file", set(dfd, "f", 0x1000, 0));
	CHECK("set extsize flag on file", set(dfd, "f", 0x800, 0));
	CHECK("set cowextsize flag on file", set(dfd, "f", 0x10000, 0));
	CHECK("set dax on fifo", set(dfd, "p", 0x8000, 0));
	fa = (struct fattr){0x40, 4096, 0, 0, 0, {0}};
	CHECK("set extsize", setattr(dfd, "f", &fa, 24, 0));
	fa = (struct fattr){0x40, 0, 7, 0, 0, {0}};
	CHECK("set nextents", setattr(dfd, "f", &fa, 24, 0));
	fa = (struct fattr){0x40, 0, 0, 5, 0, {0}};
	CHECK("set projid", setattr(dfd, "f", &fa, 24, 0));
	fa = (struct fattr){0x40, 0, 0, 0xffffffffu, 0, {0}};
	CHECK("set projid -1", setattr(dfd, "f", &fa, 24, 0));
	fa = (struct fattr){0x40, 0, 0, 0, 4096, {0}};
	CHECK("set cowextsize", setattr(dfd, "f", &fa, 24, 0));
	show("after refusals", dfd, "f", 0);
	CHECK("set on dir", set(dfd, "d", 0x80, 0));
	show("dir after", dfd, "d", 0);
	CHECK("set on link", set(dfd, "l", 0, AT_SYMLINK_NOFOLLOW));
	CHECK("set on fifo", set(dfd, "p", 0, 0));
	CHECK("set on socket", set(dfd, "sock", 0, 0));
	CHECK("set on missing", set(dfd, "nope", 0, 0));

	/* The ioctls. */
	struct fsxattr x;
	memset(&x, 0xa5, sizeof x);
	CHECK("FSGETXATTR", ioctl(fd, FS_IOC_FSGETXATTR, &x));
	printf("fsx xflags %#x extsize %u nextents %u projid %u cowextsize %u pad %d\n",
		x.fsx_xflags, x.fsx_extsize, x.fsx_nextents, x.fsx_projid, x.fsx_cowextsize, x.fsx_pad[0]);
	memset(&x, 0, sizeof x);
	x.fsx_xflags = 0x80;
	CHECK("FSSETXATTR nodump", ioctl(fd, FS_IOC_FSSETXATTR, &x));
	show("after FSSETXATTR", dfd, "f", 0);
	x.fsx_xflags = 0x20;
	CHECK("FSSETXATTR sync", ioctl(fd, FS_IOC_FSSETXATTR, &x));
	x.fsx_xflags = 0x40000000;
	CHECK("FSSETXATTR unknown", ioctl(fd, FS_IOC_FSSETXATTR, &x));
	x.fsx_xflags = 0;
	x.fsx_projid = 3;
	CHECK("FSSETXATTR projid", ioctl(fd, FS_IOC_FSSETXATTR, &x));
	x.fsx_projid = 0;
	x.fsx_pad[0] = 1;
	CHECK("FSSETXATTR pad", ioctl(fd, FS_IOC_FSSETXATTR, &x));
	x.fsx_pad[0] = 0;
	CHECK("FSSETXATTR bad buffer", ioctl(fd, FS_IOC_FSSETXATTR, bad));
	CHECK("FSSETXATTR O_PATH", ioctl(pfd, FS_IOC_FSSETXATTR, &x));
	int ro = open("f", O_RDONLY);
	x.fsx_xflags = 0x40;
	CHECK("FSSETXATTR read-only fd", ioctl(ro, FS_IOC_FSSETXATTR, &x));
	close(ro);
	int pp = open("p", O_RDWR);
	CHECK("FSGETXATTR fifo", ioctl(pp, FS_IOC_FSGETXATTR, &x));
	CHECK("FSSETXATTR fifo", ioctl(pp, FS_IOC_FSSETXATTR, &x));
	close(pp);

	/* Immutable and append-only. */
	CHECK("set immutable", set(dfd, "f", 0x8, 0));
	show("immutable", dfd, "f", 0);
	CHECK("write immutable", open("f", O_WRONLY));
	CHECK("set other flag on immutable", set(dfd, "f", 0x8 | 0x80, 0));
	CHECK("clear immutable", set(dfd, "f", 0, 0));
	CHECK("set append", set(dfd, "f", 0x10, 0));
	CHECK("open append-only without O_APPEND", open("f", O_WRONLY));
	CHECK("clear append", set(dfd, "f", 0, 0));

	/* Another user: not the owner (EPERM), and without
	 * CAP_LINUX_IMMUTABLE. */
	int own = open("own", O_RDWR | O_CREAT, 0666);
	fchown(own, 65534, 65534);
	if (setresuid(-1, 65534, -1) == 0) {
		CHECK("set as non-owner", set(dfd, "f", 0x80, 0));
		show("get as non-owner", dfd, "f", 0);
		CHECK("set own nodump", set(dfd, "own", 0x80, 0));
		CHECK("set own immutable", set(dfd, "own", 0x8, 0));
		CHECK("FSSETXATTR own immutable", ioctl(own, FS_IOC_FSSETXATTR, &(struct fsxattr){0x8}));
		if (setresuid(-1, 0, -1) < 0) return 1;
	}
	close(own);

	close(pfd);
	close(dfd);
	close(fd);
	cleanup();
	return 0;
}
