/* fs_overlay_flags: inode attribute flags on an overlay of tmpfs layers
 * (mount -t overlay in a private mount namespace). As Linux's overlayfs,
 * FS_IOC_GETFLAGS and FS_IOC_FSGETXATTR report the real file's flags
 * (the lower one's until it is copied up), the VFS enforces immutable
 * and append-only ones of a lower file, FS_IOC_SETFLAGS copies the file
 * up and sets the flags there (the lower file keeps its own), and a
 * copy-up carries the no-atime flag over but not no-dump. Needs root
 * (mounts and CAP_LINUX_IMMUTABLE). */
#include "file_common.h"
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>

/* linux/fs.h, which musl's tool chain lacks. */
#define FS_IOC_GETFLAGS _IOR('f', 1, long)
#define FS_IOC_SETFLAGS _IOW('f', 2, long)
#define FS_IOC_FSGETXATTR _IOR('X', 31, struct fsxattr)
#define FS_SYNC_FL 0x8
#define FS_IMMUTABLE_FL 0x10
#define FS_APPEND_FL 0x20
#define FS_NODUMP_FL 0x40
#define FS_NOATIME_FL 0x80
struct fsxattr {
	unsigned fsx_xflags, fsx_extsize, fsx_nextents, fsx_projid, fsx_cowextsize;
	unsigned char fsx_pad[8];
};

/* flags prints the attribute flags of path (opened read-only). */
static void flags(const char *path) {
	int fd = open(path, O_RDONLY | O_NONBLOCK);
	if (fd < 0) {
		printf("open %s: %s\n", path, errname(errno));
		return;
	}
	int fl = -1;
	if (ioctl(fd, FS_IOC_GETFLAGS, &fl) < 0)
		printf("getflags %s: %s\n", path, errname(errno));
	else
		printf("getflags %s: %#x\n", path, fl);
	struct fsxattr x;
	memset(&x, 0, sizeof x);
	if (ioctl(fd, FS_IOC_FSGETXATTR, &x) < 0)
		printf("fsgetxattr %s: %s\n", path, errname(errno));
	else
		printf("fsgetxattr %s: %#x\n", path, x.fsx_xflags);
	close(fd);
}

/* setflags sets path's flags to fl, printing the result. */
static void setflags(const char *path, int fl) {
	int fd = open(path, O_RDONLY | O_NONBLOCK);
	if (fd < 0) {
		printf("open %s: %s\n", path, errname(errno));
		return;
	}
	errno = 0;
	printf("setflags %s %#x: %s\n", path, fl, ioctl(fd, FS_IOC_SETFLAGS, &fl) < 0 ? errname(errno) : "ok");
	close(fd);
}

static void make(const char *path) {
	int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	if (fd < 0 || write(fd, "data\n", 5) != 5)
		printf("create %s: %s\n", path, errname(errno));
	if (fd >= 0)
		close(fd);
}

static const char *there(const char *path) {
	struct stat st;
	return lstat(path, &st) == 0 ? "there" : errname(errno);
}

int main(void) {
	if (getuid() != 0) {
		printf("needs root\n");
		return 0;
	}
	setvbuf(stdout, NULL, _IONBF, 0);
	enter("ovlflags");
	if (unshare(CLONE_NEWNS) < 0) {
		printf("unshare: %s\n", errname(errno));
		cleanup();
		return 0;
	}
	CHECK("make / private", mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL));
	CHECK("mount tmpfs", mount("tmpfs", dir, "tmpfs", 0, "mode=0755"));
	if (chdir(dir) < 0)
		return 1;
	CHECK("mkdir", mkdir("l", 0755) | mkdir("u", 0755) | mkdir("w", 0755) | mkdir("m", 0755) | mkdir("l/d", 0755) | mkdir("l/app", 0755));
	make("l/f");
	make("l/imm");
	make("l/sub");
	make("l/d/g");
	make("l/d/na");
	setflags("l/d/na", FS_NODUMP_FL | FS_NOATIME_FL);
	make("l/app/old");
	setflags("l/f", FS_NODUMP_FL | FS_NOATIME_FL);
	setflags("l/d", FS_NOATIME_FL);
	setflags("l/imm", FS_IMMUTABLE_FL);
	setflags("l/app", FS_APPEND_FL);
	CHECK("mount overlay", mount("overlay", "m", "overlay", 0, "lowerdir=l,upperdir=u,workdir=w"));

	printf("-- lower files through the overlay\n");
	flags("m/f");
	flags("m/d");
	flags("m/imm");
	flags("m/app");
	flags("m/sub");
	printf("-- the lower file's flags are enforced\n");
	CHECKOK("open immutable O_WRONLY", open("m/imm", O_WRONLY));
	CHECKOK("unlink immutable", unlink("m/imm"));
	CHECKOK("chmod immutable", chmod("m/imm", 0600));
	CHECKOK("unlink in append-only dir", unlink("m/app/old"));
	printf("u/imm: %s, u/app: %s\n", there("u/imm"), there("u/app"));

	printf("-- a set copies up\n");
	setflags("m/f", FS_NODUMP_FL);
	printf("u/f: %s\n", there("u/f"));
	flags("m/f");
	flags("u/f");
	flags("l/f");
	/* Linux keeps the upper file's immutable and append-only flags in an
	 * xattr: only the overlay's view of them is compared. */
	setflags("m/f", FS_NODUMP_FL | FS_APPEND_FL);
	flags("m/f");
	CHECKOK("open append-only O_WRONLY", open("m/f", O_WRONLY));
	int afd = open("m/f", O_WRONLY | O_APPEND);
	CHECKOK("open append-only O_WRONLY|O_APPEND", afd);
	if (afd >= 0)
		close(afd);
	setflags("m/f", 0);
	flags("m/f");
	printf("-- a flag tmpfs lacks: copied up, then refused\n");
	setflags("m/sub", FS_SYNC_FL);
	printf("u/sub: %s\n", there("u/sub"));
	flags("m/sub");

	printf("-- copy-up by a write carries no-atime, not no-dump\n");
	setflags("m/d", FS_NOATIME_FL | FS_NODUMP_FL);
	flags("m/d");
	flags("l/d");
	CHECKOK("chmod d/g", chmod("m/d/g", 0600));
	flags("m/d/g");
	flags("l/d/g");
	CHECKOK("chmod d/na", chmod("m/d/na", 0600));
	flags("m/d/na");
	flags("l/d/na");

	printf("-- clearing immutable copies up\n");
	setflags("m/imm", 0);
	flags("m/imm");
	flags("l/imm");
	int fd = open("m/imm", O_WRONLY);
	CHECKOK("open O_WRONLY", fd);
	if (fd >= 0)
		close(fd);
	setflags("l/imm", 0);

	if (chdir("/") < 0)
		return 1;
	char m[300];
	snprintf(m, sizeof m, "%s/m", dir);
	CHECK("umount overlay", umount(m));
	CHECK("umount tmpfs", umount(dir));
	cleanup();
	return 0;
}
