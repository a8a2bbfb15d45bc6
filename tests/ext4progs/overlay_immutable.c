/* An overlay whose upper layer is ext4 (in $ATTR_DIR; run by
 * tests/fileattr_test.go in an ext4 image root under kite and on the
 * host's ext4 disk): once the upper file is made immutable (in the upper
 * directory), a write through an overlay descriptor opened before is
 * refused (EPERM, ext4_write_checks of the upper file, which the overlay
 * passes on), and taken again once the flag is cleared. (Through the
 * overlay itself Linux keeps the flag in an xattr, leaving the upper
 * file writable.) Needs root (mounts, CAP_LINUX_IMMUTABLE). */
#include "../progs/file_common.h"
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>

#define FS_IOC_GETFLAGS _IOR('f', 1, long)
#define FS_IOC_SETFLAGS _IOW('f', 2, long)
#define FS_IMMUTABLE_FL 0x10

/* immutable sets or clears path's immutable flag, keeping the others
 * (ext4's extents flag), as chattr does. */
static void immutable(const char *path, int on) {
	int fd = open(path, O_RDONLY);
	int fl = 0;
	errno = 0;
	if (fd < 0 || ioctl(fd, FS_IOC_GETFLAGS, &fl) < 0) {
		printf("getflags %s: %s\n", path, errname(errno));
	} else {
		fl = on ? fl | FS_IMMUTABLE_FL : fl & ~FS_IMMUTABLE_FL;
		printf("immutable %s %d: %s\n", path, on, ioctl(fd, FS_IOC_SETFLAGS, &fl) < 0 ? errname(errno) : "ok");
	}
	if (fd >= 0)
		close(fd);
}

int main(void) {
	const char *base = getenv("ATTR_DIR");
	if (base == NULL || getuid() != 0) {
		printf("needs ATTR_DIR and root\n");
		return 1;
	}
	setvbuf(stdout, NULL, _IONBF, 0);
	snprintf(dir, sizeof dir, "%s/kite-ovlext4-%d", base, (int)getpid());
	if (mkdir(dir, 0755) < 0 || chdir(dir) < 0) {
		printf("setup: %s\n", strerror(errno));
		return 1;
	}
	if (unshare(CLONE_NEWNS) < 0) {
		printf("unshare: %s\n", errname(errno));
		cleanup();
		return 1;
	}
	CHECK("make / private", mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL));
	CHECK("mkdir", mkdir("l", 0755) | mkdir("u", 0755) | mkdir("w", 0755) | mkdir("m", 0755));
	int fd = open("l/f", O_CREAT | O_WRONLY, 0644);
	CHECK("write lower", write(fd, "data\n", 5));
	close(fd);
	CHECK("mount overlay", mount("overlay", "m", "overlay", 0, "lowerdir=l,upperdir=u,workdir=w"));

	fd = open("m/f", O_WRONLY);
	CHECK("write", write(fd, "D", 1));
	immutable("u/f", 1);
	CHECK("write to immutable through the fd opened before", write(fd, "x", 1));
	CHECK("pwrite to immutable", pwrite(fd, "x", 1, 0));
	immutable("u/f", 0);
	CHECK("write after clearing", write(fd, "y", 1));
	close(fd);
	char buf[16] = {0};
	fd = open("m/f", O_RDONLY);
	CHECK("read", read(fd, buf, sizeof buf - 1));
	printf("data: %s", buf);
	close(fd);

	CHECK("umount", umount("m"));
	cleanup();
	return 0;
}
