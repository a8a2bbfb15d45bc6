/* read(2) and write(2) of regular files move data straight between the
 * program's pages and the file's: buffers that fault part-way, buffers
 * that are mappings of the file being read or written, transfers larger
 * than the kernel's pinning step, and the answers at end of file. */
#include "file_common.h"
#include <pthread.h>
#include <sys/mman.h>
#include <sys/wait.h>

#define PG 4096

/* sum hashes n bytes. */
static unsigned long sum(const unsigned char *p, long n) {
	unsigned long s = 0;
	for (long i = 0; i < n; i++)
		s = s * 31 + p[i];
	return s;
}

/* fill writes a pattern depending on seed. */
static void fill(unsigned char *p, long n, int seed) {
	for (long i = 0; i < n; i++)
		p[i] = (unsigned char)(i * 7 + i / PG + seed);
}

/* reader reads the file over and over into its own buffer while the
 * main thread forks: a child must see its own copy of the buffer. */
static int rfd;
static void *reader(void *arg) {
	unsigned char *b = arg;
	for (int i = 0; i < 100; i++)
		if (pread(rfd, b, 1 << 20, (i & 1) << 20) != 1 << 20)
			return (void *)1;
	return NULL;
}

int main(void) {
	enter("inplace");
	int fd = open("f", O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECKOK("open", fd);

	/* a two-page buffer whose second page is inaccessible */
	unsigned char *two = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	fill(two, 2 * PG, 1);
	mprotect(two + PG, PG, PROT_NONE);
	CHECK("write running into PROT_NONE", write(fd, two, 2 * PG));
	CHECK("offset", lseek(fd, 0, SEEK_CUR));
	CHECK("write starting in PROT_NONE", write(fd, two + PG, PG));
	CHECK("read at end into a bad pointer", read(fd, bad, 10));
	CHECK("pread at end into PROT_NONE", pread(fd, two + PG, 10, PG));
	CHECK("pwrite more", pwrite(fd, two, PG, PG));
	lseek(fd, 0, SEEK_SET);
	CHECK("read running into PROT_NONE", read(fd, two, 2 * PG));
	CHECK("offset after partial read", lseek(fd, 0, SEEK_CUR));
	CHECK("read into PROT_NONE", read(fd, two + PG, 10));
	mprotect(two, PG, PROT_READ);
	CHECK("read into PROT_READ", pread(fd, two, 10, 0));
	CHECK("write from PROT_READ", pwrite(fd, two, 10, 100));

	/* transfers larger than the pinning step, at odd offsets */
	long big = (3L << 20) + 123;
	unsigned char *src = malloc(big + 16), *dst = malloc(big + 16);
	fill(src + 5, big, 2);
	CHECK("pwrite 3 MiB", pwrite(fd, src + 5, big, 777));
	memset(dst, 0, big + 16);
	CHECK("pread 3 MiB", pread(fd, dst + 3, big, 777));
	printf("same data: %d\n", sum(src + 5, big) == sum(dst + 3, big));

	/* a buffer that ends 1.5 MiB in */
	unsigned char *m = mmap(NULL, 2 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	fill(m, 2 << 20, 3);
	munmap(m + (3 << 19), 1 << 19);
	lseek(fd, 0, SEEK_SET);
	CHECK("write from a buffer ending 1.5 MiB in", write(fd, m, 2 << 20));
	lseek(fd, 0, SEEK_SET);
	CHECK("read into it", read(fd, m, 2 << 20));
	CHECK("offset", lseek(fd, 0, SEEK_CUR));
	munmap(m, 3 << 19);

	/* O_APPEND from a large buffer */
	int afd = open("f", O_WRONLY | O_APPEND);
	CHECK("append 3 MiB", write(afd, src, big));
	struct stat st;
	fstat(fd, &st);
	printf("size: %ld\n", (long)st.st_size);
	close(afd);

	/* buffers that map the file itself */
	ftruncate(fd, 0);
	fill(src, 4 * PG, 4);
	pwrite(fd, src, 4 * PG, 0);
	unsigned char *sh = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK("pwrite page 0 to page 1 from a shared mapping", pwrite(fd, sh, PG, PG));
	pread(fd, dst, 4 * PG, 0);
	printf("page 1 is page 0: %d\n", sum(dst, PG) == sum(dst + PG, PG));
	CHECK("pread page 3 into page 2 of a shared mapping", pread(fd, sh + 2 * PG, PG, 3 * PG));
	pread(fd, dst, 4 * PG, 0);
	printf("page 2 is page 3: %d\n", sum(dst + 2 * PG, PG) == sum(dst + 3 * PG, PG));
	munmap(sh, 4 * PG);
	fill(src, 4 * PG, 5);
	pwrite(fd, src, 4 * PG, 0);
	unsigned char *pr = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	CHECK("pread page 0 into page 1 of a private mapping", pread(fd, pr + PG, PG, 0));
	printf("private page 1 is page 0: %d\n", sum(pr, PG) == sum(pr + PG, PG));
	pread(fd, dst, 4 * PG, 0);
	printf("file page 1 unchanged: %d\n", sum(dst + PG, PG) == sum(src + PG, PG));
	CHECK("pwrite from an untouched private page", pwrite(fd, pr + 3 * PG, PG, 0));
	pread(fd, dst, PG, 0);
	printf("page 0 is page 3: %d\n", sum(dst, PG) == sum(src + 3 * PG, PG));
	munmap(pr, 4 * PG);

	/* writing past the end of a shared mapping's file grows what it shows */
	ftruncate(fd, PG);
	sh = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK("pwrite into page 1", pwrite(fd, "grown", 5, PG));
	printf("mapping shows: %.5s\n", (char *)sh + PG);
	munmap(sh, 2 * PG);

	/* reads into a buffer while another thread forks */
	ftruncate(fd, 0);
	fill(src, 2 << 20, 6);
	pwrite(fd, src, 2 << 20, 0);
	rfd = fd;
	unsigned char *rb = malloc(1 << 20);
	memset(rb, 0, 1 << 20);
	pthread_t th;
	pthread_create(&th, NULL, reader, rb);
	int bad_children = 0;
	for (int i = 0; i < 20; i++) {
		pid_t c = fork();
		if (c == 0) {
			/* the child's copy is its own: none of the parent's
			 * reads still running lands in it */
			unsigned long first = sum(rb, 1 << 20);
			for (int k = 0; k < 20; k++)
				if (sum(rb, 1 << 20) != first)
					_exit(1);
			_exit(0);
		}
		int cst;
		waitpid(c, &cst, 0);
		if (!WIFEXITED(cst) || WEXITSTATUS(cst) != 0)
			bad_children++;
	}
	void *ret;
	pthread_join(th, &ret);
	printf("reads while forking: %s, children failing: %d\n", ret ? "short" : "ok", bad_children);
	printf("parent's buffer is the file: %d\n", sum(rb, 1 << 20) == sum(src + (1 << 20), 1 << 20));

	close(fd);
	cleanup();
	return 0;
}
