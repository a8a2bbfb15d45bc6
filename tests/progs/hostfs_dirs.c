/* hostfs_dirs: listing host directories through hostfs: getdents64 with
 * several buffer sizes, d_type and d_ino against lstat, rewinding, and
 * telldir/seekdir. Prints counts and hashes, not the (machine-specific)
 * names. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *ename(int e) {
	switch (e) {
	case 0: return "OK";
	case EINVAL: return "EINVAL";
	case ENOTDIR: return "ENOTDIR";
	case EBADF: return "EBADF";
	case ENOENT: return "ENOENT";
	}
	return "E?";
}

struct linux_dirent64 {
	unsigned long long d_ino;
	long long d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

static int cmpstr(const void *a, const void *b) {
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* list reads all of dir's entries with getdents64 and a buffer of bufsize
 * bytes, and returns a hash of the sorted "name/type" lines. */
static unsigned long list(int fd, size_t bufsize, int *count, int *typebad, int *inobad) {
	static char *names[8192];
	int n = 0;
	char *buf = malloc(bufsize);
	*typebad = *inobad = 0;
	for (;;) {
		long r = syscall(SYS_getdents64, fd, buf, bufsize);
		if (r <= 0)
			break;
		for (long off = 0; off < r;) {
			struct linux_dirent64 *d = (void *)(buf + off);
			if (strcmp(d->d_name, ".") && strcmp(d->d_name, "..")) {
				struct stat st;
				if (fstatat(fd, d->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
					unsigned t = IFTODT(st.st_mode);
					if (d->d_type != DT_UNKNOWN && d->d_type != t)
						(*typebad)++;
					if (!S_ISDIR(st.st_mode) && d->d_ino != st.st_ino)
						(*inobad)++;
				}
				if (n < 8192)
					asprintf(&names[n++], "%s/%d", d->d_name, d->d_type);
			}
			off += d->d_reclen;
		}
	}
	free(buf);
	qsort(names, n, sizeof names[0], cmpstr);
	unsigned long h = 5381;
	for (int i = 0; i < n; i++) {
		for (char *p = names[i]; *p; p++)
			h = h * 33 + (unsigned char)*p;
		free(names[i]);
	}
	*count = n;
	return h;
}

int main(void) {
	const char *dirs[] = {"/etc", "/usr/lib", "/usr/bin", "/"};
	for (unsigned i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
		int fd = open(dirs[i], O_RDONLY | O_DIRECTORY);
		if (fd < 0) {
			printf("open %s: %s\n", dirs[i], ename(errno));
			continue;
		}
		int c1, c2, c3, tb, ib;
		unsigned long h1 = list(fd, 65536, &c1, &tb, &ib);
		printf("%s: %d entries, d_type mismatches %d, d_ino mismatches %d\n", dirs[i], c1, tb, ib);
		lseek(fd, 0, SEEK_SET);
		unsigned long h2 = list(fd, 200, &c2, &tb, &ib);
		lseek(fd, 0, SEEK_SET);
		unsigned long h3 = list(fd, 24 + 256, &c3, &tb, &ib);
		printf("%s: same with small buffers: %d\n", dirs[i], h1 == h2 && h2 == h3 && c1 == c2 && c2 == c3);
		close(fd);
	}

	int fd = open("/usr/bin", O_RDONLY | O_DIRECTORY);
	char tiny[8];
	errno = 0;
	long r = syscall(SYS_getdents64, fd, tiny, sizeof tiny);
	printf("getdents64 tiny buffer: %ld %s\n", r, ename(r < 0 ? errno : 0));
	close(fd);
	fd = open("/etc/passwd", O_RDONLY);
	char buf[1024];
	errno = 0;
	r = syscall(SYS_getdents64, fd, buf, sizeof buf);
	printf("getdents64 on a file: %ld %s\n", r, ename(r < 0 ? errno : 0));
	close(fd);

	DIR *d = opendir("/usr/bin");
	for (int i = 0; i < 5; i++)
		readdir(d);
	long pos = telldir(d);
	struct dirent *e = readdir(d);
	char first[256];
	snprintf(first, sizeof first, "%s", e ? e->d_name : "");
	for (int i = 0; i < 50; i++)
		readdir(d);
	seekdir(d, pos);
	e = readdir(d);
	printf("seekdir returns to the same entry: %d\n", e && strcmp(first, e->d_name) == 0);
	rewinddir(d);
	int dots = 0;
	while ((e = readdir(d)) != NULL)
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			dots++;
	printf("dot entries after rewind: %d\n", dots);
	closedir(d);
	return 0;
}
