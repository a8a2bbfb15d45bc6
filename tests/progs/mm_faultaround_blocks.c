/* A fault on a mapping of a sparse tmpfs (/dev/shm) or memfd file allocates the
 * faulting page only: the pages around it that the file does not have
 * stay holes (Linux's fault-around maps only pages already in the page
 * cache, filemap_map_pages). st_blocks counts 512-byte blocks. Read and
 * write faults, shared and private mappings, and a fault next to pages
 * the file has (those are mapped, not allocated again). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static long P;

static long blocks(int fd) {
	struct stat st;
	if (fstat(fd, &st) < 0) {
		perror("fstat");
		exit(1);
	}
	return (long)st.st_blocks;
}

/* one maps a fresh 64-page sparse file fd with flags, touches page 5
 * (reading or writing) and prints st_blocks. */
static void one(const char *what, int fd, int flags, int write) {
	if (ftruncate(fd, 0) < 0 || ftruncate(fd, 64 * P) < 0) {
		perror("ftruncate");
		exit(1);
	}
	char *m = mmap(NULL, 64 * P, PROT_READ | PROT_WRITE, flags, fd, 0);
	if (m == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	printf("%s before: %ld\n", what, blocks(fd));
	if (write)
		m[5 * P + 1] = 'x';
	else
		printf("%s reads %d\n", what, m[5 * P + 1]);
	printf("%s after: %ld\n", what, blocks(fd));
	/* A second touch in the same 16-page window. */
	if (write)
		m[9 * P] = 'y';
	else
		printf("%s reads %d\n", what, m[9 * P]);
	printf("%s after second: %ld\n", what, blocks(fd));
	munmap(m, 64 * P);
}

static void run(const char *name, int fd) {
	char what[64];
	snprintf(what, sizeof what, "%s shared read", name);
	one(what, fd, MAP_SHARED, 0);
	snprintf(what, sizeof what, "%s shared write", name);
	one(what, fd, MAP_SHARED, 1);
	snprintf(what, sizeof what, "%s private read", name);
	one(what, fd, MAP_PRIVATE, 0);
	snprintf(what, sizeof what, "%s private write", name);
	one(what, fd, MAP_PRIVATE, 1);

	/* Pages the file has are mapped by fault-around, not allocated
	 * again, and the holes between them stay holes. */
	if (ftruncate(fd, 0) < 0 || ftruncate(fd, 64 * P) < 0) {
		perror("ftruncate");
		exit(1);
	}
	for (long i = 0; i < 16; i += 3)
		if (pwrite(fd, "d", 1, i * P) != 1) {
			perror("pwrite");
			exit(1);
		}
	printf("%s written every third page: %ld\n", name, blocks(fd));
	char *m = mmap(NULL, 64 * P, PROT_READ, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	long sum = 0;
	for (long i = 0; i < 16; i += 3)
		sum += m[i * P];
	printf("%s read them back: %ld, blocks %ld\n", name, sum, blocks(fd));
	unsigned char vec[16];
	if (mincore(m, 16 * P, vec) == 0) {
		int holes = 0;
		for (int i = 0; i < 16; i++)
			if (i % 3 != 0 && (vec[i] & 1))
				holes++;
		printf("%s holes resident per mincore: %d\n", name, holes);
	}
	munmap(m, 64 * P);
}

int main(void) {
	P = sysconf(_SC_PAGESIZE);
	char path[128];
	snprintf(path, sizeof path, "/dev/shm/mm_faultaround_blocks_%d", getpid());
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0) {
		perror("open");
		return 1;
	}
	unlink(path);
	run("tmpfs", fd);
	close(fd);
	fd = memfd_create("fa", 0);
	if (fd < 0) {
		perror("memfd_create");
		return 1;
	}
	run("memfd", fd);
	close(fd);
	return 0;
}
