/* /proc/self/pagemap: an entry of 8 bytes per page. A page the process
 * touched is present (bit 63) and, anonymous and mapped only here,
 * exclusive (bit 56); an untouched page is all 0; a page of shared
 * memory or of a file read through a private mapping has bit 61, which
 * the private copy a write makes no longer has; a page shared with a
 * fork child after it wrote its copy is exclusive again. The frame
 * number (bits 0-54) reads as 0 without CAP_SYS_ADMIN (only whether it
 * is 0 is shown). Reads need offsets and lengths that are multiples of
 * 8 (EINVAL); past the user address space they read nothing. No swap:
 * bit 62 clear. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static int fd;

static void show(const char *l, void *a) {
	uint64_t e = 0;
	if (pread(fd, &e, 8, (uintptr_t)a / 4096 * 8) != 8) {
		printf("%s: pread %s\n", l, strerror(errno));
		return;
	}
	printf("%s: present %d swapped %d file/shared %d exclusive %d pfn %s\n", l, (int)(e >> 63), (int)(e >> 62 & 1),
	       (int)(e >> 61 & 1), (int)(e >> 56 & 1), (e & ((1ULL << 55) - 1)) ? "nonzero" : "0");
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	fd = open("/proc/self/pagemap", O_RDONLY);
	if (fd < 0) {
		printf("open: %s\n", strerror(errno));
		return 1;
	}
	/* The untouched page is 4 MiB away (beyond kite's fault-around). */
	char *a = mmap(0, 8 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	a[0] = 1;
	show("written", a);
	show("untouched", a + (4 << 20));
	char *s = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	s[0] = 1;
	show("shared anonymous, written", s);
	int f = open("/etc/passwd", O_RDONLY);
	char *m = mmap(0, 4096, PROT_READ, MAP_PRIVATE, f, 0);
	volatile char x = m[0];
	(void)x;
	show("private file mapping, read", m);
	char *m2 = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, f, 0);
	m2[0] = 'x';
	show("private file mapping, written", m2);
	pid_t c = fork();
	if (c == 0) {
		a[0] = 2;
		show("child, after writing", a);
		_exit(0);
	}
	waitpid(c, NULL, 0);
	show("parent, after the child wrote", a);
	uint64_t e;
	char b[3];
	ssize_t r = pread(fd, b, 3, 0);
	printf("pread of 3 bytes: %zd %s\n", r, r < 0 && errno == EINVAL ? "EINVAL" : "");
	r = pread(fd, &e, 8, 4);
	printf("pread at offset 4: %zd %s\n", r, r < 0 && errno == EINVAL ? "EINVAL" : "");
	printf("pread past the address space: %zd\n", pread(fd, &e, 8, (1ULL << 47) / 4096 * 8));
	uint64_t many[1024];
	printf("pread of 1024 entries: %zd\n", pread(fd, many, sizeof many, (uintptr_t)a / 4096 * 8));
	return 0;
}
