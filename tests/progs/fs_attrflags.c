/* Inode attribute flags on tmpfs (/dev/shm): FS_IOC_GETFLAGS,
 * FS_IOC_SETFLAGS and FS_IOC_FSGETXATTR, the four flags tmpfs keeps
 * (others EOPNOTSUPP), CAP_LINUX_IMMUTABLE for immutable and
 * append-only, and what those two then refuse (EPERM): writes, opens for
 * writing or truncation, truncate, unlink, rename, link, chmod, chown,
 * times, extended attributes, fcntl clearing O_APPEND, fallocate, and
 * changes in an immutable or append-only directory; ext4 (not tmpfs)
 * also refuses writes through a descriptor opened before immutable. No-atime stops
 * access-time updates; no-dump and no-atime are inherited. With
 * ATTR_DIR set it runs there instead (tests/ext4_test.go: an ext4 image
 * under kite, the host's ext4 disk), where ext4's flags apply; kite's
 * ext4 lacks synchronous writes and project quotas, so the sync and
 * project-inherit flags are not tried there. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/time.h>
#include <sys/xattr.h>
#include <unistd.h>

/* linux/fs.h, which musl's tool chain lacks. */
#define FS_IOC_GETFLAGS _IOR('f', 1, long)
#define FS_IOC_SETFLAGS _IOW('f', 2, long)
#define FS_IOC_FSGETXATTR _IOR('X', 31, struct fsxattr)
#define FS_SECRM_FL 0x1
#define FS_UNRM_FL 0x2
#define FS_COMPR_FL 0x4
#define FS_SYNC_FL 0x8
#define FS_IMMUTABLE_FL 0x10
#define FS_APPEND_FL 0x20
#define FS_NODUMP_FL 0x40
#define FS_NOATIME_FL 0x80
#define FS_NOCOMP_FL 0x400
#define FS_NOTAIL_FL 0x8000
#define FS_DIRSYNC_FL 0x10000
#define FS_TOPDIR_FL 0x20000
#define FS_EXTENT_FL 0x80000
#define FS_NOCOW_FL 0x800000
#define FS_PROJINHERIT_FL 0x20000000
#ifndef FALLOC_FL_KEEP_SIZE
#define FALLOC_FL_KEEP_SIZE 1
#endif
#ifndef FALLOC_FL_PUNCH_HOLE
#define FALLOC_FL_PUNCH_HOLE 2
#endif
struct fsxattr {
	unsigned fsx_xflags, fsx_extsize, fsx_nextents, fsx_projid, fsx_cowextsize;
	unsigned char fsx_pad[8];
};

static const char *en(int e) {
	switch (e) {
	case EINVAL: return "EINVAL";
	case EPERM: return "EPERM";
	case EACCES: return "EACCES";
	case EFAULT: return "EFAULT";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case ENOTTY: return "ENOTTY";
	case EBADF: return "EBADF";
	}
	static char b[32];
	snprintf(b, sizeof b, "errno%d", e);
	return b;
}

static void res(const char *what, long r) {
	if (r < 0)
		printf("%s: %s\n", what, en(errno));
	else
		printf("%s: ok\n", what);
}

static int getfl(int fd) {
	int fl = -1;
	if (ioctl(fd, FS_IOC_GETFLAGS, &fl) < 0)
		printf("getflags: %s\n", en(errno));
	return fl;
}

static long setfl(int fd, int fl) { return ioctl(fd, FS_IOC_SETFLAGS, &fl); }

static char dir[256];
static int fbase, dbase; /* the flags a new file and directory have */

static const char *at(const char *name) {
	static char b[4][512];
	static int i;
	i = (i + 1) % 4;
	snprintf(b[i], sizeof b[i], "%s/%s", dir, name);
	return b[i];
}

static void refusals(const char *name, int fd) {
	const char *p = at(name);
	res("  open O_WRONLY", open(p, O_WRONLY));
	res("  open O_RDWR|O_APPEND", open(p, O_RDWR | O_APPEND));
	res("  open O_RDONLY|O_TRUNC", open(p, O_RDONLY | O_TRUNC));
	res("  open O_RDONLY", open(p, O_RDONLY));
	res("  access W_OK", access(p, W_OK));
	res("  truncate", truncate(p, 0));
	res("  chmod", chmod(p, 0640));
	res("  chown -1 -1", chown(p, -1, -1));
	res("  chown to self", chown(p, getuid(), -1));
	res("  utimes now", utimes(p, NULL));
	struct timeval tv[2] = {{5, 0}, {5, 0}};
	res("  utimes set", utimes(p, tv));
	res("  setxattr", setxattr(p, "user.k", "v", 1, 0));
	res("  removexattr", removexattr(p, "user.k"));
	res("  link", link(p, at("link")));
	res("  rename", rename(p, at("renamed")));
	res("  unlink", unlink(p));
	res("  old fd fallocate", fallocate(fd, 0, 0, 100));
	res("  old fd punch hole", fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 1));
	/* ext4 refuses writes through a descriptor opened before the flag
	 * was set (ext4_write_checks), tmpfs takes them; copy_file_range
	 * into an immutable file is refused everywhere. */
	res("  old fd write", write(fd, "w", 1));
	res("  old fd write 0 bytes", write(fd, "", 0));
	res("  old fd pwrite", pwrite(fd, "p", 1, 1));
	int src = open(at("src"), O_CREAT | O_RDWR | O_TRUNC, 0644);
	write(src, "abc", 3);
	loff_t o = 0;
	res("  old fd copy_file_range 0 bytes", copy_file_range(src, &o, fd, NULL, 0, 0));
	o = 0;
	res("  old fd copy_file_range", copy_file_range(src, &o, fd, NULL, 2, 0));
	o = 0;
	res("  old fd sendfile", sendfile(fd, src, &o, 2));
	int pp[2];
	if (pipe(pp) == 0) {
		write(pp[1], "sp", 2);
		res("  old fd splice", splice(pp[0], NULL, fd, NULL, 2, 0));
		close(pp[0]);
		close(pp[1]);
	}
	close(src);
	unlink(at("src"));
	res("  old fd F_SETFL O_APPEND", fcntl(fd, F_SETFL, O_APPEND));
	res("  old fd F_SETFL 0", fcntl(fd, F_SETFL, 0));
	unlink(at("link"));
	rename(at("renamed"), p);
}

int main(void) {
	const char *base = getenv("ATTR_DIR");
	snprintf(dir, sizeof dir, "%s/attrflags-XXXXXX", base ? base : "/dev/shm");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	int fd = open(at("f"), O_CREAT | O_RDWR, 0644);
	if (fd < 0) {
		perror("open");
		return 1;
	}
	write(fd, "hello", 5);
	fbase = getfl(fd);
	printf("new file flags %#x\n", fbase);
	res("getflags bad pointer", ioctl(fd, FS_IOC_GETFLAGS, (void *)8));
	res("setflags bad pointer", ioctl(fd, FS_IOC_SETFLAGS, (void *)8));
	int path = open(at("f"), O_PATH);
	int fl = 0;
	res("getflags O_PATH", ioctl(path, FS_IOC_GETFLAGS, &fl));
	close(path);
	unsigned bits[] = {FS_SECRM_FL, FS_UNRM_FL, FS_COMPR_FL, FS_SYNC_FL, FS_NODUMP_FL, FS_NOATIME_FL,
			   FS_DIRSYNC_FL, FS_TOPDIR_FL, FS_EXTENT_FL, FS_NOCOW_FL, FS_PROJINHERIT_FL};
	struct statfs sfs;
	int ext4 = fstatfs(fd, &sfs) == 0 && sfs.f_type == 0xef53;
	for (unsigned i = 0; i < sizeof bits / sizeof bits[0]; i++) {
		if (ext4 && (bits[i] == FS_SYNC_FL || bits[i] == FS_PROJINHERIT_FL))
			continue;
		char what[64];
		snprintf(what, sizeof what, "set %#x", bits[i]);
		errno = 0;
		long r = setfl(fd, fbase | bits[i]);
		res(what, r);
		if (r == 0) {
			printf("  now %#x\n", getfl(fd));
			setfl(fd, fbase);
		}
	}
	res("set nodump|noatime", setfl(fd, fbase | FS_NODUMP_FL | FS_NOATIME_FL));
	struct fsxattr fx;
	memset(&fx, 0xff, sizeof fx);
	res("fsgetxattr", ioctl(fd, FS_IOC_FSGETXATTR, &fx));
	printf("xflags %#x extsize %u nextents %u projid %u cowextsize %u\n", fx.fsx_xflags, fx.fsx_extsize,
	       fx.fsx_nextents, fx.fsx_projid, fx.fsx_cowextsize);

	/* No-atime: a read leaves the access time alone. */
	struct timeval old[2] = {{1000, 0}, {2000, 0}};
	utimes(at("f"), old);
	char buf[8];
	pread(fd, buf, sizeof buf, 0);
	struct stat st;
	stat(at("f"), &st);
	printf("noatime: atime after read %ld\n", (long)st.st_atime);
	res("clear", setfl(fd, fbase));
	pread(fd, buf, sizeof buf, 0);
	stat(at("f"), &st);
	printf("no flag: atime moved %d\n", st.st_atime != 1000);

	/* Inheritance from the directory. */
	mkdir(at("d"), 0755);
	int dfd = open(at("d"), O_RDONLY | O_DIRECTORY);
	dbase = getfl(dfd);
	printf("new directory flags %#x\n", dbase);
	res("dir set nodump|noatime", setfl(dfd, dbase | FS_NODUMP_FL | FS_NOATIME_FL));
	int c = open(at("d/child"), O_CREAT | O_RDWR, 0644);
	printf("child flags %#x\n", getfl(c));
	mkdir(at("d/sub"), 0755);
	int sfd = open(at("d/sub"), O_RDONLY | O_DIRECTORY);
	printf("subdir flags %#x\n", getfl(sfd));
	close(sfd);
	close(c);
	/* ext4 also passes on the flags it only stores, masked by type:
	 * top-dir is not inherited. */
	if (ext4) {
		res("dir set stored flags", setfl(dfd, dbase | FS_SECRM_FL | FS_UNRM_FL | FS_COMPR_FL | FS_NODUMP_FL |
							    FS_NOCOMP_FL | FS_NOTAIL_FL | FS_TOPDIR_FL));
		c = open(at("d/child2"), O_CREAT | O_RDWR, 0644);
		printf("child flags %#x\n", getfl(c));
		close(c);
		mkdir(at("d/sub2"), 0755);
		sfd = open(at("d/sub2"), O_RDONLY | O_DIRECTORY);
		printf("subdir flags %#x\n", getfl(sfd));
		close(sfd);
		unlink(at("d/child2"));
		rmdir(at("d/sub2"));
	}
	/* A fifo has no flags to show (its own ioctl answers: ENOTTY). */
	mkfifo(at("d/fifo"), 0644);
	sfd = open(at("d/fifo"), O_RDONLY | O_NONBLOCK);
	printf("fifo flags %#x\n", getfl(sfd));
	close(sfd);
	unlink(at("d/fifo"));
	setfl(dfd, dbase);

	printf("-- immutable\n");
	errno = 0;
	long r = setfl(fd, fbase | FS_IMMUTABLE_FL);
	res("set immutable", r);
	if (r == 0) {
		printf("flags %#x\n", getfl(fd));
		memset(&fx, 0, sizeof fx);
		ioctl(fd, FS_IOC_FSGETXATTR, &fx);
		printf("xflags %#x\n", fx.fsx_xflags);
		refusals("f", fd);
		res("set immutable|nodump", setfl(fd, fbase | FS_IMMUTABLE_FL | FS_NODUMP_FL));
		printf("flags %#x\n", getfl(fd));
		res("clear", setfl(fd, fbase));
	}

	printf("-- append-only\n");
	errno = 0;
	r = setfl(fd, fbase | FS_APPEND_FL);
	res("set append", r);
	if (r == 0) {
		refusals("f", fd);
		int a = open(at("f"), O_WRONLY | O_APPEND);
		res("open O_WRONLY|O_APPEND", a);
		res("write appends", write(a, "!", 1));
		res("ftruncate", ftruncate(a, 0));
		res("F_SETFL without O_APPEND", fcntl(a, F_SETFL, 0));
		res("F_SETFL O_APPEND|O_NONBLOCK", fcntl(a, F_SETFL, O_APPEND | O_NONBLOCK));
		close(a);
		res("clear", setfl(fd, fbase));
	}
	stat(at("f"), &st);
	printf("size %ld\n", (long)st.st_size);

	printf("-- directories\n");
	close(open(at("d/x"), O_CREAT | O_WRONLY, 0644));
	errno = 0;
	r = setfl(dfd, dbase | FS_APPEND_FL);
	res("dir set append", r);
	if (r == 0) {
		int n = open(at("d/new"), O_CREAT | O_WRONLY, 0644);
		res("create in it", n);
		close(n);
		res("mkdir in it", mkdir(at("d/newdir"), 0755));
		res("unlink in it", unlink(at("d/x")));
		res("rmdir in it", rmdir(at("d/newdir")));
		res("rename out of it", rename(at("d/x"), at("moved")));
		res("rename into it", rename(at("f"), at("d/f")));
		res("rename back", rename(at("d/f"), at("f")));
		res("clear", setfl(dfd, dbase));
		rename(at("d/f"), at("f"));
		unlink(at("d/new"));
		rmdir(at("d/newdir"));
	}
	errno = 0;
	r = setfl(dfd, dbase | FS_IMMUTABLE_FL);
	res("dir set immutable", r);
	if (r == 0) {
		res("create in it", open(at("d/new2"), O_CREAT | O_WRONLY, 0644));
		res("open existing for writing", open(at("d/x"), O_WRONLY));
		res("unlink in it", unlink(at("d/x")));
		res("chmod it", chmod(at("d"), 0700));
		res("rename it", rename(at("d"), at("d2")));
		res("rmdir it", rmdir(at("d")));
		res("clear", setfl(dfd, dbase));
	}
	close(dfd);

	/* Not the owner: the directory /dev/shm belongs to root. */
	if (geteuid() != 0) {
		int s = open("/dev/shm", O_RDONLY | O_DIRECTORY);
		fl = getfl(s);
		res("setflags on /dev/shm as a user", setfl(s, fl));
		close(s);
	}

	close(fd);
	unlink(at("d/x"));
	unlink(at("d/child"));
	rmdir(at("d/sub"));
	rmdir(at("d"));
	unlink(at("f"));
	res("cleanup", rmdir(dir));
	return 0;
}
