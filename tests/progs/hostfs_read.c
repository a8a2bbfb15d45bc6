/* hostfs_read: reading the host tree passed through by hostfs. Only what
 * the host (running as root, read-write) and kite (read-only hostfs) agree
 * on is compared here; EROFS is checked in fs/hostfs's Go tests. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *ename(int e) {
	switch (e) {
	case 0: return "OK";
	case ENOENT: return "ENOENT";
	case EINVAL: return "EINVAL";
	case EBADF: return "EBADF";
	case ENOTDIR: return "ENOTDIR";
	case EISDIR: return "EISDIR";
	case EACCES: return "EACCES";
	case EROFS: return "EROFS";
	case ELOOP: return "ELOOP";
	}
	return "E?";
}

static int cmpstr(const void *a, const void *b) {
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv) {
	(void)argc;
	char exe[PATH_MAX];
	if (!realpath(argv[0], exe)) {
		printf("realpath: %s\n", ename(errno));
		return 1;
	}

	/* Read our own executable through read, pread, lseek and mmap. */
	struct stat st;
	int r;
	int fd = open(exe, O_RDONLY);
	printf("open exe: %s\n", fd >= 0 ? "OK" : ename(errno));
	fstat(fd, &st);
	printf("exe regular: %d size>0: %d\n", S_ISREG(st.st_mode), st.st_size > 0);
	char buf[4096];
	ssize_t n = read(fd, buf, 4);
	printf("read magic: %zd %d\n", n, n == 4 && memcmp(buf, "\177ELF", 4) == 0);
	long long total = 4;
	while ((n = read(fd, buf, sizeof buf)) > 0)
		total += n;
	printf("read all == size: %d\n", total == (long long)st.st_size);
	n = pread(fd, buf, 4, 0);
	printf("pread magic: %zd %d\n", n, n == 4 && memcmp(buf, "\177ELF", 4) == 0);
	n = pread(fd, buf, 16, st.st_size + 100);
	printf("pread past eof: %zd\n", n);
	printf("lseek end == size: %d\n", lseek(fd, 0, SEEK_END) == st.st_size);
	unsigned char *m = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	printf("mmap magic: %d\n", m != MAP_FAILED && memcmp(m, "\177ELF", 4) == 0);
	errno = 0;
	n = write(fd, "x", 1);
	printf("write rdonly fd: %zd %s\n", n, ename(n < 0 ? errno : 0));
	close(fd);

	/* Errors that come from the path, not from the mount. */
	errno = 0;
	r = open("/nonexistent-kite-test", O_RDONLY);
	printf("open missing: %d %s\n", r, ename(r < 0 ? errno : 0));
	errno = 0;
	r = open("/etc/passwd/x", O_RDONLY);
	printf("open file/x: %d %s\n", r, ename(r < 0 ? errno : 0));
	errno = 0;
	r = open("/etc/passwd", O_RDONLY | O_DIRECTORY);
	printf("O_DIRECTORY on file: %d %s\n", r, ename(r < 0 ? errno : 0));
	errno = 0;
	r = open("/", O_WRONLY);
	printf("open / O_WRONLY: %d %s\n", r, ename(r < 0 ? errno : 0));
	errno = 0;
	r = (int)readlink("/etc/passwd", buf, sizeof buf);
	printf("readlink regular: %d %s\n", r, ename(r < 0 ? errno : 0));
	errno = 0;
	r = mkdir("/nonexistent-kite-test/x", 0755);
	printf("mkdir missing parent: %d %s\n", r, ename(r < 0 ? errno : 0));

	/* Host symlinks are seen as symlinks and followed by the kernel. */
	n = readlink("/bin", buf, sizeof buf - 1);
	buf[n < 0 ? 0 : n] = 0;
	printf("readlink /bin: %s\n", n < 0 ? ename(errno) : buf);
	struct stat a, b;
	int ra = stat("/bin/sh", &a), rb = stat("/usr/bin/sh", &b);
	printf("/bin/sh == /usr/bin/sh: %d\n", ra == 0 && rb == 0 && a.st_ino == b.st_ino);
	ra = lstat("/bin", &a);
	printf("lstat /bin link: %d\n", ra == 0 && S_ISLNK(a.st_mode));

	/* ".." after a symlink is taken in the link's target, not lexically. */
	errno = 0;
	r = open("/bin/../etc/passwd", O_RDONLY);
	printf("open /bin/../etc/passwd: %s\n", r >= 0 ? "OK" : ename(errno));
	if (r >= 0)
		close(r);
	char real[PATH_MAX];
	const char *links[] = {"/lib64/ld-linux-x86-64.so.2", "/bin/sh", "/usr/bin/../../bin/ls"};
	for (unsigned i = 0; i < sizeof links / sizeof links[0]; i++) {
		n = readlink(links[i], buf, sizeof buf - 1);
		buf[n < 0 ? 0 : n] = 0;
		printf("readlink %s: %s\n", links[i], n < 0 ? ename(errno) : buf);
		printf("realpath %s: %s\n", links[i], realpath(links[i], real) ? real : ename(errno));
	}

	/* Directory listing of /usr (names only, sorted). */
	DIR *d = opendir("/usr");
	if (!d) {
		printf("opendir /usr: %s\n", ename(errno));
		return 0;
	}
	char *names[256];
	int nn = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL && nn < 256)
		names[nn++] = strdup(e->d_name);
	closedir(d);
	qsort(names, nn, sizeof names[0], cmpstr);
	printf("/usr:");
	for (int i = 0; i < nn; i++)
		printf(" %s", names[i]);
	printf("\n");

	/* stat of the same file by two paths agrees. */
	ra = stat("/etc/passwd", &a);
	rb = stat("/etc/../etc/./passwd", &b);
	printf("passwd stat stable: %d\n", ra == 0 && rb == 0 && a.st_ino == b.st_ino &&
					     a.st_size == b.st_size && a.st_mode == b.st_mode);
	return 0;
}
