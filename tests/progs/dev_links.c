/* dev_links: kite's /dev symlinks and directories look like Linux's. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *ename(int e) {
	switch (e) {
	case 0: return "OK";
	case ENOENT: return "ENOENT";
	case EINVAL: return "EINVAL";
	case ENOTDIR: return "ENOTDIR";
	case EACCES: return "EACCES";
	}
	return "E?";
}

static void show_link(const char *path) {
	char buf[256];
	ssize_t n = readlink(path, buf, sizeof buf - 1);
	if (n < 0) {
		printf("readlink %s: %s\n", path, ename(errno));
		return;
	}
	buf[n] = 0;
	printf("readlink %s: %s\n", path, buf);
}

static void show_type(const char *path) {
	struct stat st;
	if (lstat(path, &st) != 0) {
		printf("lstat %s: %s\n", path, ename(errno));
		return;
	}
	const char *t = S_ISDIR(st.st_mode) ? "dir" : S_ISLNK(st.st_mode) ? "link"
		      : S_ISCHR(st.st_mode) ? "chr" : S_ISREG(st.st_mode) ? "reg" : "other";
	printf("lstat %s: %s\n", path, t);
}

int main(void) {
	show_link("/dev/fd");
	show_link("/dev/stdin");
	show_link("/dev/stdout");
	show_link("/dev/stderr");
	show_link("/dev/null");
	show_type("/dev/fd");
	show_type("/dev/pts");
	show_type("/dev/shm");
	show_type("/dev/null");
	show_type("/dev");
	show_type("/dev/nonexistent");

	/* /dev/fd/ resolves to this process's fd directory. */
	struct stat a, b;
	int ra = stat("/dev/fd/1", &a), rb = fstat(1, &b);
	printf("/dev/fd/1 is fd 1: %d\n", ra == 0 && rb == 0 && a.st_ino == b.st_ino &&
					   a.st_dev == b.st_dev);

	/* fd 0..2 through /dev/stdin etc. name the same files. */
	ra = stat("/dev/stdout", &a);
	printf("/dev/stdout is fd 1: %d\n", ra == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev);

	errno = 0;
	int r = mkdir("/dev/null/x", 0755);
	printf("mkdir /dev/null/x: %d %s\n", r, ename(r ? errno : 0));
	return 0;
}
