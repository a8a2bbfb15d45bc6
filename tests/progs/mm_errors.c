#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#define P 4096L
#define R(what, expr) do { errno = 0; long r_ = (long)(expr); printf("%-28s %s errno=%d\n", what, r_ == -1 ? "-1" : "ok", r_ == -1 ? errno : 0); } while (0)
int main(void) {
	char *a = mmap(NULL, 64 * P, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(a, 64 * P); /* reserve a known-free area */
	char *b = mmap(a, 4 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	strcpy(b, "b0");
	R("mremap grow in place", mremap(b, 4 * P, 8 * P, 0) == b ? 0 : -1);
	R("mremap grow blocked", (mmap(b + 9 * P, P, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0), mremap(b, 8 * P, 10 * P, 0) == MAP_FAILED ? -1 : 0));
	R("mremap same len unmapped", mremap(b + 20 * P, P, P, 0) == b + 20 * P ? 0 : -1);
	R("mremap shrink unmapped", mremap(b + 20 * P, 2 * P, P, 0) == b + 20 * P ? 0 : -1);
	R("mremap fixed overlap", mremap(b, 2 * P, 2 * P, MREMAP_MAYMOVE | MREMAP_FIXED, b + P) == MAP_FAILED ? -1 : 0);
	char *c = mremap(b, 2 * P, 2 * P, MREMAP_MAYMOVE | MREMAP_FIXED, b + 30 * P);
	printf("fixed move to +30: %d %s\n", c == b + 30 * P, c[0] ? c : "");
	R("old after fixed move", mincore(b, P, (unsigned char[1]){0}));
	R("dontunmap", mremap(b + 2 * P, 2 * P, 2 * P, MREMAP_MAYMOVE | MREMAP_DONTUNMAP | MREMAP_FIXED, b + 40 * P) == MAP_FAILED ? -1 : 0);
	R("dontunmap old still mapped", mincore(b + 2 * P, 2 * P, (unsigned char[2]){0}));
	R("mremap across vmas", mremap(b + 4 * P, 6 * P, 12 * P, MREMAP_MAYMOVE) == MAP_FAILED ? -1 : 0);
	char *s = mmap(NULL, 2 * P, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	char *d = mremap(s, 0, 2 * P, MREMAP_MAYMOVE);
	s[P] = 'x';
	printf("dup sees %c\n", d == MAP_FAILED ? '?' : d[P]);
	R("dup private", mremap(c, 0, P, MREMAP_MAYMOVE) == MAP_FAILED ? -1 : 0);
	/* Shrinking with an old length past the address space is EINVAL
	 * (kite once unmapped everything above the mapping, stack too). */
	R("mremap shrink old 2^63", mremap(c, 1UL << 63, P, MREMAP_MAYMOVE) == MAP_FAILED ? -1 : 0);
	R("mremap shrink old 2^63-1", mremap(c, ~0UL >> 1, P, 0) == MAP_FAILED ? -1 : 0);
	R("mremap shrink old 2^47", mremap(c, 1UL << 47, P, 0) == MAP_FAILED ? -1 : 0);
	R("mremap new 2^63", mremap(c, P, 1UL << 63, MREMAP_MAYMOVE) == MAP_FAILED ? -1 : 0);
	c[1] = 'y';
	printf("still mapped %c\n", c[1]);
	R("mprotect growsdown nonstack", mprotect(c, P, PROT_READ | PROT_GROWSDOWN));
	R("mprotect growsup", mprotect(c, P, PROT_READ | PROT_GROWSUP));
	R("mprotect both", mprotect(c, P, PROT_READ | PROT_GROWSUP | PROT_GROWSDOWN));
	R("mprotect sem", mprotect(c, P, PROT_READ | 0x8));
	R("madvise wipeonfork shared", madvise(s, P, MADV_WIPEONFORK));
	R("madvise free file?", madvise(c, P, MADV_FREE));
	R("madvise remove private", madvise(c, P, MADV_REMOVE));
	R("madvise len wrap", madvise(c, -1L, MADV_NORMAL));
	R("madvise unaligned", madvise(c + 1, P, MADV_NORMAL));
	R("madvise hole", madvise(b + 10 * P, 30 * P, MADV_NORMAL));
	R("msync unmapped", msync(b + 50 * P, P, MS_ASYNC));
	R("msync invalidate", msync(c, P, MS_INVALIDATE));
	R("mincore unaligned", mincore(c + 1, P, (unsigned char[1]){0}));
	R("mincore hole", mincore(b + 10 * P, 30 * P, (unsigned char[64]){0}));
	R("munmap zero", munmap(c, 0));
	R("mmap fixed unaligned", mmap(c + 1, P, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED ? -1 : 0);
	R("mmap offset unaligned", mmap(NULL, P, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 1) == MAP_FAILED ? -1 : 0);
	R("mmap growsdown shared", mmap(NULL, P, PROT_READ, MAP_SHARED | MAP_ANONYMOUS | MAP_GROWSDOWN, -1, 0) == MAP_FAILED ? -1 : 0);
	R("mmap bad fd", mmap(NULL, P, PROT_READ, MAP_PRIVATE, 99, 0) == MAP_FAILED ? -1 : 0);
	R("mmap dir", mmap(NULL, P, PROT_READ, MAP_PRIVATE, open("/", 0), 0) == MAP_FAILED ? -1 : 0);
	{
		/* A fresh name: a file left in the host's shared /tmp by
		 * another user could not be opened. */
		char tmp[] = "/tmp/kite-mm-errors-XXXXXX";
		close(mkstemp(tmp));
		R("mmap wronly", mmap(NULL, P, PROT_READ, MAP_PRIVATE, open(tmp, 01), 0) == MAP_FAILED ? -1 : 0);
		unlink(tmp);
	}
	R("mmap /dev/zero shared", mmap(NULL, P, PROT_READ | PROT_WRITE, MAP_SHARED, open("/dev/zero", 2), 0) == MAP_FAILED ? -1 : 0);
	R("mmap /dev/null", mmap(NULL, P, PROT_READ, MAP_PRIVATE, open("/dev/null", 0), 0) == MAP_FAILED ? -1 : 0);
	R("mmap len huge", mmap(NULL, -4096L, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED ? -1 : 0);
	R("mmap validate unknown", mmap(NULL, P, PROT_READ, MAP_SHARED_VALIDATE | MAP_ANONYMOUS | 0x800000, -1, 0) == MAP_FAILED ? -1 : 0);
	R("brk below", (long)sbrk(0) == (long)syscall(12, 1) ? 0 : -1);
	return 0;
}
