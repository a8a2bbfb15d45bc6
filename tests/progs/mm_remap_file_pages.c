/* remap_file_pages(2), which Linux emulates by mapping the same file
 * again (MAP_SHARED|MAP_FIXED|MAP_POPULATE) at the given page offset over
 * part of a shared mapping: contents, VMAs and offsets afterwards,
 * argument rounding, the errors (EINVAL for prot, an empty or wrapping
 * range, private or missing mappings, holes, another file; EPERM on a
 * sealed mapping), pages past the file's end, shared anonymous memory. */
#include "misc_common.h"
#include "mm_common.h"
#include <sys/mman.h>

#ifndef SYS_mseal
#define SYS_mseal 462
#endif
#ifndef MAP_NONBLOCK
#define MAP_NONBLOCK 0x10000
#endif
#define P 4096UL

static long rfp(void *start, unsigned long size, unsigned long prot, unsigned long pgoff, unsigned long flags) {
	return syscall(SYS_remap_file_pages, start, size, prot, pgoff, flags);
}

/* maps prints the VMAs inside [base, base+n*P) as page offsets,
 * permissions and file page offsets. */
static void maps(const char *label, char *base, unsigned long n) {
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	unsigned long lo = (unsigned long)base, hi = lo + n * P;
	printf("%s:", label);
	while (f && fgets(line, sizeof line, f)) {
		unsigned long s, e, off;
		char perms[8];
		if (sscanf(line, "%lx-%lx %7s %lx", &s, &e, perms, &off) != 4 || e <= lo || s >= hi)
			continue;
		printf(" [%lu-%lu %s %lu]", (s - lo) / P, (e - lo) / P, perms, off / P);
	}
	printf("\n");
	if (f) fclose(f);
}

static void show(const char *label, char *m, int n) {
	printf("%s: ", label);
	for (int i = 0; i < n; i++)
		printf("%c", m[i * P]);
	printf("\n");
}

/* region reserves n pages with 8 free pages on either side. */
static char *region(unsigned long n) {
	char *r = mmap(NULL, (n + 16) * P, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(r, (n + 16) * P);
	return r + 8 * P;
}

int main(void) {
	setvbuf(stdout, NULL, _IONBF, 0);
	signal(SIGSEGV, onsig);
	signal(SIGBUS, onsig);
	int fd = syscall(SYS_memfd_create, "rfp", 0);
	for (int i = 0; i < 6; i++) {
		char page[P];
		memset(page, 'A' + i, P);
		if (write(fd, page, P) != (ssize_t)P)
			return 1;
	}
	char *m = mmap(region(4), 4 * P, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
	show("before", m, 4);
	CHECK("page 0 to file page 3", rfp(m, P, 0, 3, 0));
	show("after", m, 4);
	maps("maps", m, 4);
	CHECK("pages 1-2 to 4-5, start and size rounded", rfp(m + P + 100, 2 * P + 100, 0, 4, 0));
	show("after", m, 4);
	maps("maps", m, 4);
	CHECK("across VMAs back to 0-3", rfp(m, 4 * P, 0, 0, MAP_NONBLOCK | MAP_PRIVATE | MAP_ANONYMOUS));
	show("after", m, 4);
	maps("maps", m, 4);
	m[P] = 'w';
	char c;
	pread(fd, &c, 1, P);
	printf("file page 1 now %c\n", c);
	CHECK("prot", rfp(m, P, PROT_READ, 0, 0));
	CHECK("size 0", rfp(m, 0, 0, 0, 0));
	CHECK("size under a page", rfp(m, P - 1, 0, 0, 0));
	CHECK("past the mapping", rfp(m + 3 * P, 2 * P, 0, 0, 0));
	CHECK("unmapped", rfp(m + 5 * P, P, 0, 0, 0));
	CHECK("pgoff wraps", rfp(m, 2 * P, 0, ~0UL, 0));
	CHECK("pgoff huge", rfp(m, P, 0, 1UL << 52, 0));
	CHECK("pgoff past the file", rfp(m + 3 * P, P, 0, 100, 0));
	printf("page past the file: %s\n", probe(m + 3 * P, 0));
	CHECK("back", rfp(m + 3 * P, P, 0, 3, 0));
	printf("page back: %s\n", probe(m + 3 * P, 0));

	char *priv = mmap(NULL, P, PROT_READ, MAP_PRIVATE, fd, 0);
	CHECK("private", rfp(priv, P, 0, 1, 0));

	/* A hole, and another file's mapping next to the first. */
	char *h = region(3);
	mmap(h, P, PROT_READ, MAP_SHARED | MAP_FIXED, fd, 0);
	mmap(h + 2 * P, P, PROT_READ, MAP_SHARED | MAP_FIXED, fd, P);
	CHECK("across a hole", rfp(h, 3 * P, 0, 0, 0));
	int fd2 = syscall(SYS_memfd_create, "other", 0);
	ftruncate(fd2, P);
	mmap(h + P, P, PROT_READ, MAP_SHARED | MAP_FIXED, fd2, 0);
	CHECK("across another file", rfp(h, 3 * P, 0, 0, 0));
	CHECK("across another protection", (mprotect(h + P, P, PROT_READ | PROT_WRITE), rfp(h + P, 2 * P, 0, 0, 0)));

	/* Shared anonymous memory is a file too. */
	char *s = mmap(region(2), 2 * P, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	s[0] = 'x';
	s[P] = 'y';
	CHECK("shared anonymous", rfp(s, P, 0, 1, 0));
	show("shared anonymous", s, 2);

	/* A sealed mapping cannot be mapped over. */
	CHECK("mseal", syscall(SYS_mseal, m, 4 * P, 0));
	CHECK("sealed", rfp(m, P, 0, 2, 0));
	show("sealed", m, 4);
	return 0;
}
