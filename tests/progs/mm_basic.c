#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define P 4096
static void report(const char *what, long r) {
	if (r == -1) printf("%s: -1 errno=%d\n", what, errno);
	else printf("%s: ok\n", what);
}

int main(void) {
	char *a = mmap(NULL, 16 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (a == MAP_FAILED) { perror("mmap"); return 1; }
	for (int i = 0; i < 16 * P; i++) a[i] = (char)i;
	long sum = 0;
	for (int i = 0; i < 16 * P; i++) sum += (unsigned char)a[i];
	printf("sum %ld\n", sum);

	report("mmap len 0", (long)(mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED ? -1 : 0));
	report("mmap no type", (long)(mmap(NULL, P, PROT_READ, MAP_ANONYMOUS, -1, 0) == MAP_FAILED ? -1 : 0));
	report("mmap noreplace", (long)(mmap(a, P, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0) == MAP_FAILED ? -1 : 0));
	report("munmap unaligned", munmap(a + 1, P));
	report("mprotect middle", mprotect(a + 4 * P, 2 * P, PROT_READ));
	report("munmap hole", munmap(a + 8 * P, P));
	report("mprotect over hole", mprotect(a, 16 * P, PROT_READ | PROT_WRITE));
	printf("a[5P] = %d\n", a[5 * P + 3]);

	/* mremap move keeps data */
	char *b = mmap(NULL, 4 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	strcpy(b, "hello mremap");
	strcpy(b + 3 * P, "last page");
	char *c = mremap(b, 4 * P, 64 * P, MREMAP_MAYMOVE);
	if (c == MAP_FAILED) { perror("mremap"); return 1; }
	printf("%s / %s / %d\n", c, c + 3 * P, c[63 * P]);
	report("mremap efault", (long)(mremap((void *)0x10000, P, 2 * P, MREMAP_MAYMOVE) == MAP_FAILED ? -1 : 0));

	/* madvise */
	c[10 * P] = 5;
	report("madvise dontneed", madvise(c, 64 * P, MADV_DONTNEED));
	printf("after dontneed: %d %d\n", c[0], c[10 * P]);
	report("madvise bad", madvise(c, P, 12345));

	/* mincore */
	unsigned char vec[64];
	c[0] = 1;
	report("mincore", mincore(c, 64 * P, vec));
	printf("vec[0]=%d\n", vec[0] & 1);

	/* brk */
	void *cur = sbrk(0);
	void *p = sbrk(3 * P);
	memset(p, 7, 3 * P);
	printf("brk grew: %d\n", sbrk(0) == (char *)cur + 3 * P);
	sbrk(-3 * P);
	printf("brk shrank: %d\n", sbrk(0) == cur);

	/* file mapping */
	int fd = open("/etc/passwd", O_RDONLY);
	char *f = mmap(NULL, P, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (f == MAP_FAILED) { perror("mmap file"); return 1; }
	printf("file starts with %.4s\n", f);
	report("msync", msync(c, P, MS_SYNC));
	report("msync bad", msync(c, P, MS_SYNC | MS_ASYNC));

	/* shared anonymous */
	int *s = mmap(NULL, P, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	*s = 42;
	printf("shared %d\n", *s);

	/* big sparse mapping */
	char *big = mmap(NULL, 1UL << 32, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	big[(1UL << 31) + 5] = 9;
	printf("big %d\n", big[(1UL << 31) + 5]);
	munmap(big, 1UL << 32);

	/* deep recursion to grow the stack */
	volatile char buf[2 << 20];
	buf[0] = 1;
	buf[sizeof buf - 1] = 2;
	printf("stack ok %d\n", buf[0] + buf[sizeof buf - 1]);

	/* write to read-only memory kills us */
	char *ro = mmap(NULL, P, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	printf("ro reads %d\n", ro[0]);
	fflush(stdout);
	ro[0] = 1;
	printf("not reached\n");
	return 0;
}
