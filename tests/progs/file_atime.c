/* Access times on tmpfs (/dev/shm on both kernels; ATIME_DIR names
 * another directory, the ext4 test's): under relatime (the
 * default) a read updates the access time only when it is not after the
 * modification or change time; O_NOATIME keeps it; a read at the end of
 * the file updates it, and so does a zero-length one; listing a directory
 * updates the directory's. On tmpfs mounts of a private mount namespace:
 * noatime keeps it, strictatime always updates it, nodiratime keeps a
 * directory's, statfs reports the flags, and a remount that names no
 * atime flag keeps the mount's. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

static char dir[64], file[96], sub[96];

/* setTimes sets path's atime and mtime relative to now (seconds). */
static void setTimes(const char *path, long da, long dm) {
	struct timespec now, ts[2];
	clock_gettime(CLOCK_REALTIME, &now);
	ts[0].tv_sec = now.tv_sec + da;
	ts[0].tv_nsec = 0;
	ts[1].tv_sec = now.tv_sec + dm;
	ts[1].tv_nsec = 0;
	if (utimensat(AT_FDCWD, path, ts, 0)) {
		perror("utimensat");
		exit(1);
	}
}

static struct timespec atimeOf(const char *path) {
	struct stat st;
	if (stat(path, &st)) {
		perror("stat");
		exit(1);
	}
	return st.st_atim;
}

static int same(struct timespec a, struct timespec b) { return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec; }

/* readCase sets the times, reads len bytes at off with open flags, and
 * says whether the access time changed. */
static void readCase(const char *what, const char *path, long da, long dm, int flags, size_t len, off_t off) {
	setTimes(path, da, dm);
	struct timespec before = atimeOf(path);
	int fd = open(path, O_RDONLY | flags);
	if (fd < 0) {
		printf("%s: open: %s\n", what, strerror(errno));
		return;
	}
	char buf[16];
	if (pread(fd, buf, len, off) < 0)
		printf("%s: pread: %s\n", what, strerror(errno));
	close(fd);
	printf("%s: %s\n", what, same(before, atimeOf(path)) ? "kept" : "updated");
}

static void listCase(const char *what, const char *path, long da, long dm) {
	setTimes(path, da, dm);
	struct timespec before = atimeOf(path);
	DIR *d = opendir(path);
	if (!d) {
		printf("%s: opendir: %s\n", what, strerror(errno));
		return;
	}
	while (readdir(d))
		;
	closedir(d);
	printf("%s: %s\n", what, same(before, atimeOf(path)) ? "kept" : "updated");
}

static void flagsOf(const char *what, const char *path) {
	struct statvfs s;
	if (statvfs(path, &s)) {
		printf("%s: statvfs: %s\n", what, strerror(errno));
		return;
	}
	printf("%s:%s%s%s\n", what, s.f_flag & ST_NOATIME ? " noatime" : "", s.f_flag & ST_NODIRATIME ? " nodiratime" : "",
	       s.f_flag & ST_RELATIME ? " relatime" : "");
}

static void makeFiles(void) {
	mkdir(sub, 0755);
	int fd = open(file, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	if (fd < 0 || write(fd, "hello, atime\n", 13) != 13) {
		perror("create");
		exit(1);
	}
	close(fd);
}

static void cases(const char *where) {
	printf("-- %s\n", where);
	readCase("atime after mtime and ctime", file, 3600, -7200, 0, 4, 0);
	readCase("atime before mtime", file, -7200, -3600, 0, 4, 0);
	readCase("atime before mtime, O_NOATIME", file, -7200, -3600, O_NOATIME, 4, 0);
	readCase("atime before mtime, read at the end", file, -7200, -3600, 0, 4, 100);
	readCase("atime before mtime, zero-length read", file, -7200, -3600, 0, 0, 0);
	listCase("directory, atime before mtime", sub, -7200, -3600);
	listCase("directory, atime after mtime and ctime", sub, 3600, -7200);
}

int main(void) {
	setvbuf(stdout, NULL, _IONBF, 0);
	const char *base = getenv("ATIME_DIR");
	snprintf(dir, sizeof dir, "%s/kite-atime-%d", base ? base : "/dev/shm", getpid());
	snprintf(file, sizeof file, "%s/f", dir);
	snprintf(sub, sizeof sub, "%s/d", dir);
	if (mkdir(dir, 0755)) {
		perror("mkdir");
		return 1;
	}
	makeFiles();
	flagsOf("first directory", dir);
	cases("first directory");

	if (unshare(CLONE_NEWNS) == 0 && mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0) {
		struct {
			const char *name;
			unsigned long flags;
		} ms[] = {
			{"noatime", MS_NOATIME},
			{"strictatime", MS_STRICTATIME},
			{"nodiratime", MS_NODIRATIME},
		};
		for (int i = 0; i < 3; i++) {
			if (mount("kite-atime", dir, "tmpfs", ms[i].flags, NULL)) {
				printf("mount %s: %s\n", ms[i].name, strerror(errno));
				continue;
			}
			makeFiles();
			flagsOf(ms[i].name, dir);
			cases(ms[i].name);
			if (mount(NULL, dir, NULL, MS_REMOUNT, NULL))
				printf("remount: %s\n", strerror(errno));
			flagsOf("after a remount without atime flags", dir);
			if (mount(NULL, dir, NULL, MS_REMOUNT | MS_STRICTATIME, NULL))
				printf("remount strictatime: %s\n", strerror(errno));
			flagsOf("after a strictatime remount", dir);
			umount(dir);
		}
	} else {
		printf("no private mount namespace: %s\n", strerror(errno));
	}
	unlink(file);
	rmdir(sub);
	rmdir(dir);
	return 0;
}
