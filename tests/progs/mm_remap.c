#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#define P 4096L
static void show(const char *w, void *r) { printf("%-40s %s %d\n", w, r == MAP_FAILED ? "FAIL" : "ok", r == MAP_FAILED ? errno : 0); errno = 0; }
int main(void) {
	char *a = mmap(NULL, 256 * P, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(a, 256 * P);
	mmap(a, 2 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	mmap(a + 2 * P, 2 * P, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	a[0] = 'A';
	show("fixed same-len across 2 vmas", mremap(a, 4 * P, 4 * P, MREMAP_MAYMOVE | MREMAP_FIXED, a + 100 * P));
	printf("moved: %c\n", a[100 * P]);
	char *b = a + 20 * P;
	mmap(b, 2 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	mmap(b + 3 * P, 1 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	show("fixed same-len with gap", mremap(b, 4 * P, 4 * P, MREMAP_MAYMOVE | MREMAP_FIXED, a + 150 * P));
	char *c = a + 40 * P;
	mmap(c, 2 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	mmap(c + 2 * P, 2 * P, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	show("dontunmap same-len across 2", mremap(c, 4 * P, 4 * P, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, 0));
	show("maymove same-len across 2 (nofixed)", mremap(c, 4 * P, 4 * P, MREMAP_MAYMOVE, 0));
	show("fixed grow across 2", mremap(c, 4 * P, 5 * P, MREMAP_MAYMOVE | MREMAP_FIXED, a + 200 * P));
	show("fixed src unmapped", mremap(a + 60 * P, P, P, MREMAP_MAYMOVE | MREMAP_FIXED, a + 210 * P));
	show("garbage newaddr no fixed", mremap(c, 2 * P, 3 * P, MREMAP_MAYMOVE, (void *)-4096L));
	show("fixed target unaligned", mremap(c, 2 * P, 2 * P, MREMAP_MAYMOVE | MREMAP_FIXED, a + 220 * P + 1));
	show("unmapped src unaligned tgt", mremap(a + 60 * P, P, P, MREMAP_MAYMOVE | MREMAP_FIXED, a + 220 * P + 1));
	return 0;
}
