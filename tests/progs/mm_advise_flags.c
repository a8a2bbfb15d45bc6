/* madvise's hint flags (RANDOM, SEQUENTIAL, DONTDUMP, HUGEPAGE and their
 * opposites) are VMA attributes: setting one on part of a mapping splits
 * it, and clearing it merges the parts again, as /proc/self/maps shows;
 * a hint already in place splits nothing. */
#include "misc_common.h"
#include <sys/mman.h>

#define P 4096UL

static void maps(const char *label, char *base, unsigned long n) {
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	unsigned long lo = (unsigned long)base, hi = lo + n * P;
	printf("%s:", label);
	while (f && fgets(line, sizeof line, f)) {
		unsigned long s, e;
		char perms[8];
		if (sscanf(line, "%lx-%lx %7s", &s, &e, perms) != 3 || e <= lo || s >= hi)
			continue;
		if (s < lo) s = lo;
		if (e > hi) e = hi;
		printf(" [%lu-%lu]", (s - lo) / P, (e - lo) / P);
	}
	printf("\n");
	if (f) fclose(f);
}

int main(void) {
	setvbuf(stdout, NULL, _IONBF, 0);
	char *r = mmap(NULL, 22 * P, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(r, 22 * P);
	char *a = mmap(r + 8 * P, 6 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	CHECK("normal on fresh", madvise(a, 6 * P, MADV_NORMAL));
	CHECK("dodump on fresh", madvise(a, 6 * P, MADV_DODUMP));
	maps("fresh", a, 6);
	CHECK("random 1", madvise(a + P, P, MADV_RANDOM));
	CHECK("sequential 2", madvise(a + 2 * P, P, MADV_SEQUENTIAL));
	CHECK("dontdump 3", madvise(a + 3 * P, P, MADV_DONTDUMP));
	CHECK("hugepage 4", madvise(a + 4 * P, P, MADV_HUGEPAGE));
	maps("set", a, 6);
	CHECK("random 1 again", madvise(a + P, P, MADV_RANDOM));
	CHECK("sequential 1-2", madvise(a + P, 2 * P, MADV_SEQUENTIAL));
	maps("sequential 1-2", a, 6);
	CHECK("normal 0-2", madvise(a, 3 * P, MADV_NORMAL));
	CHECK("dodump 3", madvise(a + 3 * P, P, MADV_DODUMP));
	maps("cleared", a, 6);
	CHECK("nohugepage 4", madvise(a + 4 * P, P, MADV_NOHUGEPAGE));
	maps("nohugepage", a, 6);
	CHECK("nohugepage 5", madvise(a + 5 * P, P, MADV_NOHUGEPAGE));
	maps("nohugepage 4-5", a, 6);
	pid_t pid = fork();
	if (pid == 0) {
		maps("child", a, 6);
		_exit(0);
	}
	waitchild("child", pid);
	return 0;
}
