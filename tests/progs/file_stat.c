/* stat/lstat/fstatat/statx fields, timestamps (utimensat, utimes, utime,
 * updates on write and chmod), chmod/chown, truncate, getdents64 and
 * statfs. Prints only what does not depend on the file system type. */
#include "file_common.h"
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <utime.h>

#ifndef STATX_BASIC_STATS
#define STATX_BASIC_STATS 0x7ff
#endif

struct kstatx {
	unsigned int mask, blksize;
	unsigned long long attributes;
	unsigned int nlink, uid, gid;
	unsigned short mode, pad;
	unsigned long long ino, size, blocks, attributes_mask;
	struct { long long sec; unsigned int nsec; int pad; } atime, btime, ctime, mtime;
	unsigned int rdev_major, rdev_minor, dev_major, dev_minor;
	unsigned long long spare[14];
};

static void show(const char *path) {
	struct stat st;
	if (lstat(path, &st) < 0) {
		printf("%s: %s\n", path, errname(errno));
		return;
	}
	printf("%s: mode %o nlink %ld uid %d gid %d", path, st.st_mode, (long)st.st_nlink, st.st_uid, st.st_gid);
	if (!S_ISDIR(st.st_mode)) printf(" size %ld", (long)st.st_size);
	printf("\n");
}

static void times_of(const char *path) {
	struct stat st;
	lstat(path, &st);
	printf("%s: atime %ld.%09ld mtime %ld.%09ld\n", path, (long)st.st_atim.tv_sec, st.st_atim.tv_nsec,
	       (long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
}

static int later(struct timespec a, struct timespec b) {
	return a.tv_sec > b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec >= b.tv_nsec);
}

int main(void) {
	enter("stat");
	struct stat st, st2;
	int fd = open("f", O_RDWR | O_CREAT, 0640);
	write(fd, "abcdef", 6);
	show("f");
	CHECK("link", link("f", "g"));
	symlink("f", "l");
	mkdir("d", 0755);
	show("f");
	show("l");
	show("d");
	stat("f", &st);
	stat("g", &st2);
	printf("hard link same ino: %d\n", st.st_ino == st2.st_ino && st.st_dev == st2.st_dev);
	lstat("l", &st2);
	printf("symlink own ino: %d\n", st.st_ino != st2.st_ino);
	stat("l", &st2);
	printf("stat follows: %d\n", st.st_ino == st2.st_ino);
	stat(".", &st2);
	printf("same dev as dir: %d\n", st.st_dev == st2.st_dev);
	fstat(fd, &st2);
	printf("fstat same: %d\n", st.st_ino == st2.st_ino && st2.st_size == 6);
	CHECK("fstatat nofollow", fstatat(AT_FDCWD, "l", &st2, AT_SYMLINK_NOFOLLOW));
	printf("is link: %d\n", S_ISLNK(st2.st_mode));
	CHECK("fstatat bad flags", fstatat(AT_FDCWD, "f", &st2, 0x4));
	CHECK("fstatat empty path no flag", fstatat(fd, "", &st2, 0));
	CHECK("fstatat AT_EMPTY_PATH", fstatat(fd, "", &st2, AT_EMPTY_PATH));
	printf("same: %d\n", st.st_ino == st2.st_ino);
	CHECK("fstatat AT_FDCWD empty", fstatat(AT_FDCWD, "", &st2, AT_EMPTY_PATH));
	printf("is dir: %d\n", S_ISDIR(st2.st_mode));
	CHECK("fstatat bad fd", fstatat(99, "f", &st2, 0));
	CHECK("fstatat file as dirfd", fstatat(fd, "x", &st2, 0));
	CHECK("fstat bad fd", fstat(99, &st2));
	CHECK("fstat bad buffer", syscall(SYS_fstat, fd, bad));

	/* statx */
	struct kstatx sx;
	memset(&sx, 0, sizeof sx);
	CHECK("statx", syscall(SYS_statx, AT_FDCWD, "f", 0, STATX_BASIC_STATS, &sx));
	printf("statx basic: %d mode %o nlink %u size %llu ino same %d dev same %d\n",
	       (sx.mask & STATX_BASIC_STATS) == STATX_BASIC_STATS, sx.mode, sx.nlink, sx.size,
	       sx.ino == st.st_ino, makedev(sx.dev_major, sx.dev_minor) == st.st_dev);
	CHECK("statx nofollow", syscall(SYS_statx, AT_FDCWD, "l", AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &sx));
	printf("statx link mode %o size %llu\n", sx.mode, sx.size);
	CHECK("statx bad flags", syscall(SYS_statx, AT_FDCWD, "f", 0x1, STATX_BASIC_STATS, &sx));
	CHECK("statx reserved mask", syscall(SYS_statx, AT_FDCWD, "f", 0, 0x80000000U, &sx));
	CHECK("statx both sync", syscall(SYS_statx, AT_FDCWD, "f", 0x6000, STATX_BASIC_STATS, &sx));
	CHECK("statx empty path", syscall(SYS_statx, fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &sx));
	CHECK("statx missing", syscall(SYS_statx, AT_FDCWD, "nope", 0, STATX_BASIC_STATS, &sx));
	CHECK("statx bad buffer", syscall(SYS_statx, AT_FDCWD, "f", 0, STATX_BASIC_STATS, bad));

	/* explicit times */
	struct timespec ts[2] = {{1000, 500}, {2000, 700}};
	CHECK("utimensat", utimensat(AT_FDCWD, "f", ts, 0));
	times_of("f");
	struct timespec omit[2] = {{0, UTIME_OMIT}, {3000, 0}};
	CHECK("utimensat omit atime", utimensat(AT_FDCWD, "f", omit, 0));
	times_of("f");
	struct timespec badts[2] = {{0, 1000000000}, {0, 0}};
	CHECK("utimensat bad nsec", utimensat(AT_FDCWD, "f", badts, 0));
	CHECK("utimensat bad flags", utimensat(AT_FDCWD, "f", ts, 0x1));
	CHECK("utimensat nofollow link", utimensat(AT_FDCWD, "l", ts, AT_SYMLINK_NOFOLLOW));
	times_of("l");
	times_of("f");
	CHECK("futimens", futimens(fd, ts));
	times_of("f");
	CHECK("utimensat missing", utimensat(AT_FDCWD, "nope", ts, 0));
	CHECK("utimensat bad times", syscall(SYS_utimensat, AT_FDCWD, "f", bad, 0));
	struct timeval tv[2] = {{4000, 1}, {5000, 2}};
	CHECK("utimes", utimes("f", tv));
	times_of("f");
	struct timeval badtv[2] = {{1, 1000000}, {1, 0}};
	CHECK("utimes bad usec", utimes("f", badtv));
	struct utimbuf ub = {6000, 7000};
	CHECK("utime", utime("f", &ub));
	times_of("f");
	CHECK("futimesat", futimesat(AT_FDCWD, "f", tv));
	times_of("f");

	/* updates */
	stat("f", &st);
	CHECK("write", write(fd, "x", 1));
	fstat(fd, &st2);
	printf("write updates mtime: %d ctime: %d\n", later(st2.st_mtim, st.st_mtim) && st2.st_mtim.tv_sec > 7000,
	       later(st2.st_ctim, st.st_ctim));
	st = st2;
	CHECK("chmod", chmod("f", 04751));
	stat("f", &st2);
	printf("chmod mode %o keeps mtime: %d updates ctime: %d\n", st2.st_mode, st2.st_mtim.tv_sec == st.st_mtim.tv_sec &&
	       st2.st_mtim.tv_nsec == st.st_mtim.tv_nsec, later(st2.st_ctim, st.st_ctim));
	CHECK("chown", chown("f", 1234, 5678));
	show("f");
	CHECK("chown -1 -1", chown("f", -1, -1));
	CHECK("fchmod", fchmod(fd, 0600));
	CHECK("fchmodat through link", fchmodat(AT_FDCWD, "l", 0644, 0));
	show("f");
	CHECK("lchown", lchown("l", 42, 43));
	show("l");
	show("f");
	CHECK("fchownat nofollow", fchownat(AT_FDCWD, "l", 44, 45, AT_SYMLINK_NOFOLLOW));
	show("l");
	CHECK("fchownat bad flags", fchownat(AT_FDCWD, "l", 44, 45, 0x2));
	CHECK("fchownat empty path", fchownat(fd, "", 0, 0, AT_EMPTY_PATH));
	show("f");
	CHECK("fchown", fchown(fd, 7, -1));
	show("f");
	CHECK("chmod missing", chmod("nope", 0600));
	CHECK("fchmodat2 nofollow on link", syscall(452, AT_FDCWD, "l", 0600, AT_SYMLINK_NOFOLLOW));
	CHECK("fchmodat2 nofollow on file", syscall(452, AT_FDCWD, "f", 0640, AT_SYMLINK_NOFOLLOW));
	CHECK("fchmodat2 bad flags", syscall(452, AT_FDCWD, "f", 0640, 0x2));
	CHECK("fchmodat2 empty path", syscall(452, fd, "", 0644, AT_EMPTY_PATH));
	show("f");
	CHECK("sync_file_range", sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE));
	CHECK("sync_file_range bad flags", sync_file_range(fd, 0, 0, 8));
	CHECK("sync_file_range negative", sync_file_range(fd, -1, 0, 0));
	CHECK("chmod dir", chmod("d", 01777));
	show("d");
	stat("d", &st);
	close(open("d/x", O_WRONLY | O_CREAT, 0644));
	stat("d", &st2);
	printf("create updates dir mtime: %d\n", later(st2.st_mtim, st.st_mtim));

	/* truncate */
	CHECK("truncate", truncate("f", 3));
	show("f");
	CHECK("truncate grow", truncate("f", 100));
	show("f");
	CHECK("truncate dir", truncate("d", 0));
	CHECK("truncate negative", truncate("f", -1));
	CHECK("truncate missing", truncate("nope", 0));
	CHECK("truncate through link", truncate("l", 1));
	show("f");

	/* getdents64 */
	mkdir("list", 0755);
	const char *names[] = {"a", "bb", "ccc", "sub", "lnk"};
	for (int i = 0; i < 3; i++) {
		char p[64];
		snprintf(p, sizeof p, "list/%s", names[i]);
		close(open(p, O_WRONLY | O_CREAT, 0644));
	}
	mkdir("list/sub", 0755);
	symlink("a", "list/lnk");
	int dfd = open("list", O_RDONLY | O_DIRECTORY);
	char dbuf[4096];
	long n = syscall(SYS_getdents64, dfd, dbuf, sizeof dbuf);
	char *seen[16];
	int ns = 0;
	for (long off = 0; off < n;) {
		unsigned short reclen = *(unsigned short *)(dbuf + off + 16);
		unsigned char type = *(unsigned char *)(dbuf + off + 18);
		char *name = dbuf + off + 19;
		char *line = malloc(64);
		snprintf(line, 64, "%s type %d", name, type);
		if (ns < 16) seen[ns++] = line;
		off += reclen;
	}
	for (int i = 0; i < ns; i++)
		for (int j = i + 1; j < ns; j++)
			if (strcmp(seen[i], seen[j]) > 0) { char *t = seen[i]; seen[i] = seen[j]; seen[j] = t; }
	for (int i = 0; i < ns; i++) printf("entry %s\n", seen[i]);
	CHECK("getdents64 at end", syscall(SYS_getdents64, dfd, dbuf, sizeof dbuf));
	CHECK("rewind", lseek(dfd, 0, SEEK_SET));
	CHECK("getdents64 tiny buffer", syscall(SYS_getdents64, dfd, dbuf, 10));
	CHECK("getdents64 bad buffer", syscall(SYS_getdents64, dfd, bad, 4096));
	lseek(dfd, 0, SEEK_SET);
	long entries = 0, got;
	while ((got = syscall(SYS_getdents64, dfd, dbuf, 48)) > 0)
		for (long off = 0; off < got; off += *(unsigned short *)(dbuf + off + 16)) entries++;
	printf("small-buffer reads: %ld entries, last %ld\n", entries, got);
	lseek(dfd, 0, SEEK_SET);
	CHECK("getdents (old) ", syscall(SYS_getdents, dfd, dbuf, sizeof dbuf));
	close(dfd);
	CHECK("getdents64 on file", syscall(SYS_getdents64, fd, dbuf, sizeof dbuf));
	CHECK("getdents64 bad fd", syscall(SYS_getdents64, 99, dbuf, sizeof dbuf));

	/* statfs */
	struct statfs sf;
	CHECK("statfs", statfs(".", &sf));
	printf("namelen %ld rdonly %d\n", (long)sf.f_namelen, (int)(sf.f_flags & 1));
	CHECK("fstatfs", fstatfs(fd, &sf));
	CHECK("statfs missing", statfs("nope", &sf));
	CHECK("fstatfs bad fd", fstatfs(99, &sf));
	CHECK("statfs bad buffer", syscall(SYS_statfs, ".", bad));

	close(fd);
	cleanup();
	return 0;
}
