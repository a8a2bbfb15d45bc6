/* SEEK_DATA and SEEK_HOLE on tmpfs (/dev/shm) and memfd files from every
 * page (at offsets 0, 100 and 200 into it): pages fallocate gave memory
 * but nothing wrote are holes, as Linux's shmem keeps them !uptodate;
 * write(2) (even of one byte) and a fault through a mapping (a read, or
 * a write) make a page data, read(2) does not, and a mapping's fault
 * does not make its fallocated neighbours data; punched pages are holes
 * again, fallocate with FALLOC_FL_KEEP_SIZE past the end and growing the
 * file add no data. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static long P;

static void dump(const char *what, int fd, int n) {
	printf("%s:", what);
	for (int i = 0; i < n; i++) {
		off_t at = (off_t)i * P + (i % 3) * 100;
		off_t d = lseek(fd, at, SEEK_DATA);
		int de = errno;
		off_t h = lseek(fd, at, SEEK_HOLE);
		int he = errno;
		printf(" %d:", i);
		if (d < 0)
			printf("%s", de == ENXIO ? "ENXIO" : strerror(de));
		else
			printf("%lld+%lld", (long long)(d / P), (long long)(d % P));
		printf("/");
		if (h < 0)
			printf("%s", he == ENXIO ? "ENXIO" : strerror(he));
		else
			printf("%lld+%lld", (long long)(h / P), (long long)(h % P));
	}
	printf("\n");
}

static void run(int fd) {
	if (ftruncate(fd, 40 * P) < 0 || fallocate(fd, 0, 2 * P, 6 * P) < 0) {
		printf("setup: %s\n", strerror(errno));
		return;
	}
	dump("fallocate 2-7", fd, 41);
	pwrite(fd, "x", 1, 4 * P + 10);
	dump("write a byte into 4", fd, 41);
	char b[10];
	pread(fd, b, 10, 5 * P);
	dump("read 5", fd, 41);
	char *m = mmap(NULL, 40 * P, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	volatile char c = m[6 * P];
	(void)c;
	m[12 * P] = 1;
	dump("mapping reads 6, writes 12", fd, 41);
	/* Fallocated pages next to a faulted one, within its fault-around
	 * window, stay holes. */
	fallocate(fd, 0, 20 * P, 12 * P);
	m[25 * P] = 2;
	dump("fallocate 20-31, mapping writes 25", fd, 41);
	munmap(m, 40 * P);
	fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 3 * P, 2 * P);
	dump("punch 3-4", fd, 41);
	fallocate(fd, FALLOC_FL_KEEP_SIZE, 38 * P, 4 * P);
	dump("fallocate 38-41 keeping the size", fd, 41);
	ftruncate(fd, 44 * P);
	dump("grow to 44", fd, 45);
	pwrite(fd, "y", 1, 2 * P);
	fallocate(fd, 0, 0, 44 * P);
	dump("write 2, fallocate all", fd, 45);
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	P = sysconf(_SC_PAGESIZE);
	char path[64];
	snprintf(path, sizeof path, "/dev/shm/tmpfs_seek_falloc.%d", getpid());
	int fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0600);
	if (fd < 0) {
		perror("open");
		return 1;
	}
	unlink(path);
	printf("tmpfs\n");
	run(fd);
	close(fd);
	printf("memfd\n");
	run(memfd_create("seek", 0));
	return 0;
}
