/* cachestat(2) on tmpfs and memfd files (whose pages are their page
 * cache): resident pages in a range, after writes, holes, fallocate,
 * punching, truncation and mapping; dirty, writeback and eviction counts
 * (always 0 for shmem); the argument, descriptor and permission errors. */
#include "misc_common.h"
#include <sys/mman.h>
#include <sys/stat.h>

#ifndef SYS_cachestat
#define SYS_cachestat 451
#endif
#ifndef FALLOC_FL_KEEP_SIZE
#define FALLOC_FL_KEEP_SIZE 1
#endif
#ifndef FALLOC_FL_PUNCH_HOLE
#define FALLOC_FL_PUNCH_HOLE 2
#endif
#define P 4096UL

struct cs_range {
	uint64_t off, len;
};
struct cs {
	uint64_t nr_cache, nr_dirty, nr_writeback, nr_evicted, nr_recently_evicted;
};

static long cachestat(int fd, struct cs_range *r, struct cs *c, unsigned flags) {
	return syscall(SYS_cachestat, fd, r, c, flags);
}

/* show prints the counts of [off, off+len) of fd. */
static void show(const char *label, int fd, uint64_t off, uint64_t len) {
	struct cs_range r = {off, len};
	struct cs c;
	memset(&c, 0xff, sizeof c);
	errno = 0;
	if (cachestat(fd, &r, &c, 0) < 0) {
		printf("%s: -1 %s\n", label, errname(errno));
		return;
	}
	printf("%s: cache %llu dirty %llu writeback %llu evicted %llu recent %llu\n", label,
	       (unsigned long long)c.nr_cache, (unsigned long long)c.nr_dirty,
	       (unsigned long long)c.nr_writeback, (unsigned long long)c.nr_evicted,
	       (unsigned long long)c.nr_recently_evicted);
}

static void fill(int fd, uint64_t off, size_t n) {
	static char buf[3 * 4096];
	memset(buf, 'a', sizeof buf);
	if (pwrite(fd, buf, n, off) != (ssize_t)n)
		printf("pwrite failed: %s\n", errname(errno));
}

int main(void) {
	setvbuf(stdout, NULL, _IONBF, 0);
	int fd = syscall(SYS_memfd_create, "cachestat", 0);
	show("empty memfd", fd, 0, 0);
	fill(fd, 0, 3 * P);
	fill(fd, 10 * P + 5, 1);
	CHECK("ftruncate 20 pages", ftruncate(fd, 20 * P));
	show("all", fd, 0, 0);
	show("pages 1-2", fd, P, 2 * P);
	show("byte in page 2", fd, 2 * P + 7, 1);
	show("pages 3-9", fd, 3 * P, 7 * P);
	show("page 10 from its middle", fd, 10 * P + 100, 1);
	show("from page 11", fd, 11 * P, 0);
	show("far past the end", fd, 1ULL << 62, 0);
	show("length wraps", fd, P, ~0ULL);
	show("length to the top", fd, 0, ~0ULL);
	CHECK("fallocate page 15", fallocate(fd, 0, 15 * P, P));
	CHECK("fallocate past the end", fallocate(fd, FALLOC_FL_KEEP_SIZE, 30 * P, 2 * P));
	show("after fallocate", fd, 0, 0);
	CHECK("ftruncate 25 pages", ftruncate(fd, 25 * P));
	show("after growing", fd, 0, 0);
	CHECK("punch page 1", fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, P, P));
	show("after punch", fd, 0, 0);
	/* One-page mappings: kite fills the pages around a fault within
	 * the mapping (holes of the file too), Linux only the page. */
	char *m5 = mmap(NULL, P, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 5 * P);
	char *m6 = mmap(NULL, P, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 6 * P);
	if (m5 == MAP_FAILED || m6 == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	m5[0] = 'm';
	m6[1] = 'm';
	show("after writing pages 5 and 6 through mappings", fd, 0, 0);
	show("pages 5-6", fd, 5 * P, 2 * P);
	munmap(m5, P);
	munmap(m6, P);
	CHECK("ftruncate 4 pages", ftruncate(fd, 4 * P));
	show("after truncate", fd, 0, 0);

	/* A file of a tmpfs mount. */
	char path[] = "/dev/shm/cachestatXXXXXX";
	int tf = mkstemp(path);
	fill(tf, 0, 2 * P);
	show("tmpfs file", tf, 0, 0);
	int ro = open(path, O_RDONLY);
	show("tmpfs file read-only", ro, 0, 0);
	int op = open(path, O_PATH);

	/* Errors, in Linux's order. */
	struct cs_range r = {0, 0};
	struct cs c;
	CHECK("bad fd", cachestat(999, &r, &c, 0));
	CHECK("fd -1", cachestat(-1, &r, &c, 0));
	CHECK("O_PATH", cachestat(op, &r, &c, 0));
	CHECK("bad fd, bad range", cachestat(999, NULL, &c, 1));
	CHECK("flags 1", cachestat(fd, &r, &c, 1));
	CHECK("flags 1, bad range", cachestat(fd, NULL, &c, 1));
	CHECK("bad range", cachestat(fd, (void *)8, &c, 0));
	CHECK("bad result", cachestat(fd, &r, (void *)8, 0));
	CHECK("bad result, flags 1", cachestat(fd, &r, NULL, 1));

	/* Files without pages of their own report nothing. */
	int pfd[2];
	if (pipe(pfd) == 0) {
		CHECK("write pipe", write(pfd[1], "x", 1));
		show("pipe", pfd[0], 0, 0);
	}
	int dir = open("/dev/shm", O_RDONLY | O_DIRECTORY);
	show("directory", dir, 0, 0);
	int null = open("/dev/null", O_RDONLY);
	show("/dev/null", null, 0, 0);

	/* Without write access, only the owner (or CAP_FOWNER) may ask. */
	CHECK("chmod 0644", fchmod(tf, 0644));
	pid_t pid = fork();
	if (pid == 0) {
		if (getuid() == 0 && setuid(65534) != 0) {
			printf("setuid failed\n");
			_exit(1);
		}
		int other = open(path, O_RDONLY);
		show("not owner, read-only", other, 0, 0);
		int again = open("/dev/null", O_RDONLY);
		show("not owner, /dev/null", again, 0, 0);
		_exit(0);
	}
	waitchild("child", pid);
	CHECK("chmod 0666", fchmod(tf, 0666));
	pid = fork();
	if (pid == 0) {
		if (getuid() == 0 && setuid(65534) != 0)
			_exit(1);
		int other = open(path, O_RDONLY);
		show("not owner, writable file", other, 0, 0);
		_exit(0);
	}
	waitchild("child", pid);
	unlink(path);
	return 0;
}
