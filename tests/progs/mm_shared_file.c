/* Shared and private mappings of a regular file: coherence with
 * read/write in this and other processes, msync and a fresh open,
 * private copy-on-write against later writes, truncate under a mapping
 * (SIGBUS past the end), mincore, madvise on file mappings. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mm_common.h"

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#define MADV_POPULATE_WRITE 23
#endif

static long P;

static void show(const char *what, const char *p, int n) {
	printf("%s: ", what);
	for (int i = 0; i < n; i++)
		putchar(p[i] ? p[i] : '.');
	putchar('\n');
}

int main(void) {
	P = sysconf(_SC_PAGESIZE);
	struct sigaction sa = {0};
	sa.sa_handler = onsig;
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);

	/* MM_SHARED_DIR picks the file system (tests/pagecache_test.go runs
	 * this on an ext4 image root); /tmp by default. */
	const char *dir = getenv("MM_SHARED_DIR");
	if (!dir)
		dir = "/tmp";
	char path[128];
	snprintf(path, sizeof path, "%s/mm_shared_%d", dir, getpid());
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || ftruncate(fd, 3 * P) != 0) {
		perror("setup");
		return 1;
	}
	char *s = mmap(NULL, 3 * P, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (s == MAP_FAILED) {
		printf("mmap shared rw: %s\n", strerror(errno));
		return 1;
	}
	printf("mmap shared rw: ok\n");

	/* mapping -> read */
	memcpy(s + 10, "through-map", 11);
	char buf[32] = {0};
	pread(fd, buf, 11, 10);
	show("pread sees map write", buf, 11);
	/* write -> mapping */
	pwrite(fd, "through-write", 13, P + 5);
	show("map sees pwrite", s + P + 5, 13);

	/* another process: a child writes through the inherited mapping and
	 * through a mapping of its own; the parent sees both. */
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		memcpy(s + 2 * P, "child-inherited", 15);
		int cfd = open(path, O_RDWR);
		char *c = mmap(NULL, P, PROT_READ | PROT_WRITE, MAP_SHARED, cfd, 0);
		if (c == MAP_FAILED)
			_exit(2);
		memcpy(c + 100, "child-own-map", 13);
		show("child sees parent", c + 10, 11);
		fflush(stdout);
		_exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
	printf("child exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	show("parent sees child inherited", s + 2 * P, 15);
	show("parent sees child own", s + 100, 13);

	/* msync, then a fresh open reads the data */
	printf("msync MS_SYNC = %d\n", msync(s, 3 * P, MS_SYNC));
	printf("msync MS_ASYNC = %d\n", msync(s, 3 * P, MS_ASYNC));
	printf("msync MS_INVALIDATE = %d\n", msync(s, 3 * P, MS_INVALIDATE));
	errno = 0;
	int rc = msync(s, P, MS_SYNC | MS_ASYNC);
	printf("msync both = %d %s\n", rc, strerror(errno));
	int fd2 = open(path, O_RDONLY);
	memset(buf, 0, sizeof buf);
	pread(fd2, buf, 13, 100);
	show("fresh open reads", buf, 13);

	/* MAP_PRIVATE: shares the file's pages until written */
	char *pr = mmap(NULL, 2 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	show("private reads", pr + 10, 11);
	pwrite(fd, "LATER", 5, 10);
	show("private sees later write (clean page)", pr + 10, 11);
	memcpy(pr + P + 5, "private-copy", 12);
	pwrite(fd, "AFTER-COW", 9, P + 5);
	show("private keeps its copy", pr + P + 5, 12);
	memset(buf, 0, sizeof buf);
	pread(fd, buf, 13, P + 5);
	show("file unchanged by private write", buf, 13);
	show("shared sees file", s + P + 5, 13);

	/* madvise */
	printf("madvise DONTNEED private = %d\n", madvise(pr, 2 * P, MADV_DONTNEED));
	show("private after DONTNEED shows file", pr + P + 5, 12);
	printf("madvise DONTNEED shared = %d\n", madvise(s, P, MADV_DONTNEED));
	show("shared after DONTNEED keeps data", s + 10, 11);
	printf("madvise WILLNEED = %d\n", madvise(s, 3 * P, MADV_WILLNEED));
	printf("madvise POPULATE_READ = %d\n", madvise(s, 3 * P, MADV_POPULATE_READ));
	printf("madvise POPULATE_WRITE = %d\n", madvise(s, 3 * P, MADV_POPULATE_WRITE));
	errno = 0;
	rc = madvise(pr, P, MADV_REMOVE);
	printf("madvise REMOVE private = %d %s\n", rc, strerror(errno));

	/* mincore: pages of the file that are in memory */
	unsigned char vec[3];
	printf("mincore = %d\n", mincore(s, 3 * P, vec));
	printf("mincore vec %d %d %d\n", vec[0] & 1, vec[1] & 1, vec[2] & 1);

	/* truncate under the mapping: past the end is SIGBUS, the rest of
	 * the last page reads zeros */
	printf("ftruncate = %d\n", ftruncate(fd, P + 100));
	printf("read page 0: %s\n", probe(s + 5, 0));
	printf("read tail of last page: %s\n", probe(s + P + 200, 0));
	printf("tail reads zero: %d\n", s[P + 200] == 0);
	printf("read past end: %s\n", probe(s + 2 * P + 5, 0));
	printf("write past end: %s\n", probe(s + 2 * P + 5, 1));
	printf("private past end: %s\n", probe(pr + P + 5, 0) /* in the last page */);
	printf("ftruncate grow = %d\n", ftruncate(fd, 3 * P));
	printf("read after grow: %s\n", probe(s + 2 * P + 5, 0));
	printf("zero after grow: %d\n", s[2 * P + 5] == 0);

	/* mmap errors on files */
	errno = 0;
	void *r = mmap(NULL, P, PROT_READ | PROT_WRITE, MAP_SHARED, fd2, 0);
	printf("shared rw of O_RDONLY: %s\n", r == MAP_FAILED ? strerror(errno) : "mapped");
	r = mmap(NULL, P, PROT_READ, MAP_SHARED, fd2, 0);
	printf("shared ro of O_RDONLY: %s\n", r == MAP_FAILED ? strerror(errno) : "mapped");
	errno = 0;
	rc = mprotect(r, P, PROT_READ | PROT_WRITE);
	printf("mprotect write on it = %d %s\n", rc, strerror(errno));
	int wfd = open(path, O_WRONLY);
	r = mmap(NULL, P, PROT_READ, MAP_SHARED, wfd, 0);
	printf("map of O_WRONLY: %s\n", r == MAP_FAILED ? strerror(errno) : "mapped");

	munmap(s, 3 * P);
	munmap(pr, 2 * P);
	unlink(path);

	/* MM_SHARED_KEEP: leave a file written only through a shared
	 * mapping and msync, for the test to find in the image. */
	if (getenv("MM_SHARED_KEEP")) {
		char kept[128];
		snprintf(kept, sizeof kept, "%s/kept", dir);
		int k = open(kept, O_RDWR | O_CREAT | O_TRUNC, 0644);
		const char msg[] = "persisted through a shared mapping\n";
		ftruncate(k, sizeof msg - 1);
		char *km = mmap(NULL, P, PROT_READ | PROT_WRITE, MAP_SHARED, k, 0);
		memcpy(km, msg, sizeof msg - 1);
		printf("keep msync = %d\n", msync(km, P, MS_SYNC));
	}
	return 0;
}
