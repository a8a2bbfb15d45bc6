/* Extensible structs (clone3's clone_args, openat2's open_how,
 * sched_setattr's sched_attr) read as Linux's copy_struct_from_user: a
 * larger struct is accepted when its extra bytes are zero and E2BIG when
 * not (the extra bytes are read first, so a struct whose known part
 * faults is still E2BIG), a smaller one than the first version EINVAL,
 * one above a page E2BIG; sched_setattr writes its size back on E2BIG. */
#include "misc_common.h"
#include <sys/mman.h>

#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#ifndef SYS_openat2
#define SYS_openat2 437
#endif
#ifndef SYS_sched_setattr
#define SYS_sched_setattr 314
#endif
#define P 4096

static char *page2;

/* at returns a struct of size n placed so that its last `tail` bytes
 * start the second of two pages; with hole the first page is PROT_NONE. */
static char *at(size_t n, size_t tail, int hole) {
	mprotect(page2 - P, P, hole ? PROT_NONE : PROT_READ | PROT_WRITE);
	char *s = page2 - (n - tail);
	if (!hole)
		memset(s, 0, n - tail);
	memset(page2, 0, 2 * P);
	return s;
}

static long clone3(void *args, size_t size) { return syscall(SYS_clone3, args, size); }
static long openat2(void *how, size_t size) { return syscall(SYS_openat2, AT_FDCWD, "/dev/null", how, size); }
static long setattr(void *attr, unsigned flags) { return syscall(SYS_sched_setattr, 0, attr, flags); }

int main(void) {
	setvbuf(stdout, NULL, _IONBF, 0);
	char *m = mmap(NULL, 3 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	page2 = m + P;

	/* clone3: exit_signal 65 makes a read struct EINVAL (no child). */
	char *c = at(96, 8, 0);
	c[32] = 65;
	CHECK("clone3 96, zero tail", clone3(c, 96));
	c[95] = 1;
	CHECK("clone3 96, tail set", clone3(c, 96));
	CHECK("clone3 63", clone3(c, 63));
	CHECK("clone3 page+1", clone3(c, P + 1));
	c = at(96, 8, 1);
	c[95 - 0] = 0;
	page2[7] = 1;
	CHECK("clone3 head faults, tail set", clone3(c, 96));
	page2[7] = 0;
	CHECK("clone3 head faults, tail zero", clone3(c, 96));
	c = at(64, 0, 0);
	c[32] = 65;
	CHECK("clone3 64 (version 0)", clone3(c, 64));

	/* openat2 */
	char *h = at(32, 8, 0);
	long fd = openat2(h, 32);
	CHECKOK("openat2 32, zero tail", fd);
	if (fd >= 0)
		close(fd);
	page2[3] = 1;
	CHECK("openat2 32, tail set", openat2(h, 32));
	CHECK("openat2 23", openat2(h, 23));
	CHECK("openat2 page+1", openat2(h, P + 1));
	h = at(32, 8, 1);
	page2[0] = 1;
	CHECK("openat2 head faults, tail set", openat2(h, 32));
	page2[0] = 0;
	CHECK("openat2 head faults, tail zero", openat2(h, 32));

	/* sched_setattr: policy 99 makes a read struct EINVAL. */
	char *s = at(64, 8, 0);
	*(uint32_t *)s = 64;
	s[4] = 99;
	CHECK("sched_setattr 64, zero tail", setattr(s, 0));
	page2[5] = 1;
	CHECK("sched_setattr 64, tail set", setattr(s, 0));
	printf("size written back: %u\n", *(uint32_t *)s);
	*(uint32_t *)s = 47;
	CHECK("sched_setattr 47", setattr(s, 0));
	printf("size written back: %u\n", *(uint32_t *)s);
	return 0;
}
