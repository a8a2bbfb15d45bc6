/* Reads a file, writes a tree of files in /tmp, walks it with nftw and
 * readdir, and removes it: the "read, walk, write" acceptance program. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char root[256];

static unsigned long hash_file(const char *path, long *size) {
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) { printf("open %s: %s\n", path, strerror(errno)); exit(1); }
	unsigned long h = 5381;
	char buf[1000];
	ssize_t n;
	*size = 0;
	while ((n = read(fd, buf, sizeof buf)) > 0) {
		for (ssize_t i = 0; i < n; i++) h = h * 33 + (unsigned char)buf[i];
		*size += n;
	}
	close(fd);
	return h;
}

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static char *lines[256];
static int nlines;

/* visit records one line per object; readdir order depends on the file
 * system, so lines are sorted before printing. */
static int visit(const char *path, const struct stat *st, int type, struct FTW *ftw) {
	char *line;
	const char *kind = type == FTW_F ? "file" : type == FTW_D ? "dir" : type == FTW_DP ? "dirpost" : type == FTW_SL ? "symlink" : "other";
	if (S_ISREG(st->st_mode))
		asprintf(&line, "%s %s level=%d size=%lld mode=%o", kind, path + strlen(root), ftw->level, (long long)st->st_size, st->st_mode & 07777);
	else
		asprintf(&line, "%s %s level=%d mode=%o", kind, path + strlen(root), ftw->level, st->st_mode & 07777);
	if (nlines < 256) lines[nlines++] = line;
	return 0;
}

static int rm(const char *path, const struct stat *st, int type, struct FTW *ftw) {
	(void)st; (void)ftw;
	return type == FTW_DP ? rmdir(path) : unlink(path);
}

int main(int argc, char **argv) {
	(void)argc;
	long size;
	unsigned long h = hash_file("/etc/os-release", &size);
	printf("/etc/os-release: %ld bytes, hash %lx\n", size, h);

	const char *base = strrchr(argv[0], '/');
	snprintf(root, sizeof root, "/tmp/kite-fswalk-%s", base ? base + 1 : argv[0]);
	nftw(root, rm, 16, FTW_DEPTH | FTW_PHYS);
	umask(022);
	if (mkdir(root, 0755) < 0) { perror("mkdir"); return 1; }
	char p[512];
	for (int d = 0; d < 3; d++) {
		snprintf(p, sizeof p, "%s/d%d", root, d);
		mkdir(p, 0750);
		for (int f = 0; f < 4; f++) {
			snprintf(p, sizeof p, "%s/d%d/f%d.txt", root, d, f);
			int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0640);
			for (int i = 0; i <= d * 100 + f; i++) dprintf(fd, "line %d of %s\n", i, p + strlen(root));
			close(fd);
		}
		snprintf(p, sizeof p, "%s/d%d/sub", root, d);
		mkdir(p, 0700);
	}
	snprintf(p, sizeof p, "%s/d0/f0.txt", root);
	char l[512];
	snprintf(l, sizeof l, "%s/link", root);
	symlink("d0/f0.txt", l);
	readlink(l, p, sizeof p);

	nftw(root, visit, 16, FTW_PHYS);
	qsort(lines, nlines, sizeof lines[0], cmp);
	for (int i = 0; i < nlines; i++) printf("%s\n", lines[i]);

	DIR *dir = opendir(root);
	char *names[64];
	int n = 0;
	struct dirent *de;
	while ((de = readdir(dir)) != NULL && n < 64) names[n++] = strdup(de->d_name);
	closedir(dir);
	qsort(names, n, sizeof names[0], cmp);
	for (int i = 0; i < n; i++) printf("entry %s\n", names[i]);

	for (int d = 0; d < 3; d++) {
		snprintf(p, sizeof p, "%s/d%d/f3.txt", root, d);
		printf("d%d/f3.txt hash %lx", d, hash_file(p, &size));
		printf(" size %ld\n", size);
	}
	printf("remove: %d\n", nftw(root, rm, 16, FTW_DEPTH | FTW_PHYS));
	printf("gone: %d\n", access(root, F_OK) < 0 && errno == ENOENT);
	return 0;
}
