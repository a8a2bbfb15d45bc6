/* mseal(2): argument checks, and what a sealed range refuses (munmap,
 * mremap, mprotect, mmap MAP_FIXED over it, discarding madvise on
 * read-only private anonymous memory) as Linux 6.18 does, including the
 * partial effects of mprotect and madvise on the VMAs before a sealed one,
 * VMA splitting and merging, and the seal surviving fork. */
#include "misc_common.h"
#include "mm_common.h"
#include <sys/mman.h>
#include <sys/shm.h>

#ifndef SYS_mseal
#define SYS_mseal 462
#endif
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#define MADV_POPULATE_WRITE 23
#endif
#ifndef MADV_DONTNEED_LOCKED
#define MADV_DONTNEED_LOCKED 24
#endif
#define P 4096L

static long do_mseal(void *addr, unsigned long len, unsigned long flags) {
	return syscall(SYS_mseal, addr, len, flags);
}

/* maps prints the VMAs inside [base, base+n*P) as page offsets and
 * permissions, from /proc/self/maps. */
static void maps(const char *label, char *base, long n) {
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
		printf(" [%lu-%lu %s]", (s - lo) / P, (e - lo) / P, perms);
	}
	printf("\n");
	if (f) fclose(f);
}

/* region maps n fresh private anonymous pages with 8 free pages on
 * either side. */
static char *region(long n, int prot) {
	char *r = mmap(NULL, (n + 16) * P, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (r == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	munmap(r, (n + 16) * P);
	char *a = mmap(r + 8 * P, n * P, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	if (a == MAP_FAILED) {
		perror("mmap fixed");
		exit(1);
	}
	return a;
}

int main(void) {
	signal(SIGSEGV, onsig);
	signal(SIGBUS, onsig);
	setvbuf(stdout, NULL, _IONBF, 0);

	/* Arguments. */
	char *a = region(8, PROT_READ | PROT_WRITE);
	CHECK("flags 1", do_mseal(a, P, 1));
	CHECK("unaligned", do_mseal(a + 1, P, 0));
	CHECK("len 0", do_mseal(a, 0, 0));
	CHECK("len 0 unmapped", do_mseal((void *)P, 0, 0));
	CHECK("len -1", do_mseal(a, -1UL, 0));
	CHECK("end wraps", do_mseal(a, -(unsigned long)a + P, 0));
	CHECK("unmapped", do_mseal((void *)(16 * P), P, 0));
	CHECK("past the end", do_mseal(a + 6 * P, 4 * P, 0));
	munmap(a + 3 * P, P);
	CHECK("gap", do_mseal(a, 5 * P, 0));
	maps("nothing sealed after errors", a, 8);
	CHECK("munmap after errors", munmap(a, 8 * P));

	/* Seal pages 1-2 of 4: the VMA splits. */
	a = region(4, PROT_READ | PROT_WRITE);
	memset(a, 'x', 4 * P);
	CHECK("seal 1-2", do_mseal(a + P, 2 * P - 100, 0));
	maps("after seal", a, 4);
	CHECK("seal again", do_mseal(a + P, 2 * P, 0));
	CHECK("munmap all", munmap(a, 4 * P));
	CHECK("munmap sealed tail", munmap(a + 2 * P, 2 * P));
	CHECK("munmap sealed page", munmap(a + P, P));
	printf("page 0 %s page 3 %s\n", probe(a, 1), probe(a + 3 * P, 1));
	CHECK("mprotect sealed", mprotect(a + P, P, PROT_READ));
	CHECK("mprotect same prot", mprotect(a + P, P, PROT_READ | PROT_WRITE));
	/* mprotect changes the VMAs before the sealed one, then fails. */
	CHECK("mprotect 0-1", mprotect(a, 2 * P, PROT_READ));
	CHECK("mprotect 2-3", mprotect(a + 2 * P, 2 * P, PROT_READ));
	maps("after mprotects", a, 4);
	printf("write page 0 %s, page 1 %s, page 3 %s\n", probe(a, 1), probe(a + P, 1), probe(a + 3 * P, 1));
	CHECK("mprotect unsealed", mprotect(a, P, PROT_READ | PROT_WRITE));
	CHECKOK("mremap shrink", (long)mremap(a + P, 2 * P, P, 0));
	CHECKOK("mremap grow", (long)mremap(a + P, 2 * P, 3 * P, MREMAP_MAYMOVE));
	CHECKOK("mremap same", (long)mremap(a + P, 2 * P, 2 * P, 0));
	char *far = region(16, PROT_NONE);
	munmap(far, 16 * P);
	CHECKOK("mremap move", (long)mremap(a + P, P, P, MREMAP_MAYMOVE | MREMAP_FIXED, far));
	CHECKOK("mremap dontunmap", (long)mremap(a + P, P, P, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, far));
	CHECKOK("mremap onto sealed", (long)mremap(a, P, P, MREMAP_MAYMOVE | MREMAP_FIXED, a + 2 * P));
	CHECKOK("mremap unmapped", (long)mremap(far, P, P, 0));
	CHECKOK("mmap fixed over", (long)mmap(a + P, P, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
	CHECKOK("mmap fixed around", (long)mmap(a, 4 * P, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
	CHECKOK("mmap noreplace", (long)mmap(a + P, P, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0));
	maps("after refused changes", a, 4);
	printf("contents %c%c%c\n", a[0], a[P], a[2 * P]);
	/* Writable anonymous memory may be discarded. */
	CHECK("dontneed writable", madvise(a + P, P, MADV_DONTNEED));
	printf("page 1 after dontneed %d\n", a[P]);
	CHECK("mlock sealed", mlock(a + P, P));
	CHECK("munlock sealed", munlock(a + P, P));
	maps("after mlock", a, 4);

	/* Sealing the rest joins the sealed VMAs again. */
	CHECK("mprotect 3 rw", mprotect(a + 3 * P, P, PROT_READ | PROT_WRITE));
	CHECK("seal 0-3", do_mseal(a, 4 * P, 0));
	maps("all sealed", a, 4);

	/* The seal survives fork. */
	pid_t pid = fork();
	if (pid == 0) {
		CHECK("child munmap", munmap(a, P));
		CHECK("child mprotect", mprotect(a, P, PROT_READ));
		_exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
	printf("child exited %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);

	/* Read-only private anonymous memory refuses discarding advice. */
	char *r = region(3, PROT_READ | PROT_WRITE);
	memset(r, 'r', 3 * P);
	mprotect(r, 3 * P, PROT_READ);
	CHECK("seal ro 1-2", do_mseal(r + P, 2 * P, 0));
	static const struct { int adv; const char *name; } advs[] = {
		{MADV_DONTNEED, "DONTNEED"}, {MADV_FREE, "FREE"}, {MADV_REMOVE, "REMOVE"},
		{MADV_DONTFORK, "DONTFORK"}, {MADV_WIPEONFORK, "WIPEONFORK"},
		{MADV_DONTNEED_LOCKED, "DONTNEED_LOCKED"}, {MADV_NORMAL, "NORMAL"},
		{MADV_WILLNEED, "WILLNEED"}, {MADV_DOFORK, "DOFORK"}, {MADV_KEEPONFORK, "KEEPONFORK"},
		{MADV_COLD, "COLD"}, {MADV_PAGEOUT, "PAGEOUT"}, {MADV_POPULATE_READ, "POPULATE_READ"},
		{MADV_POPULATE_WRITE, "POPULATE_WRITE"}, {12345, "bad advice"},
	};
	for (unsigned i = 0; i < sizeof advs / sizeof advs[0]; i++) {
		char label[64];
		snprintf(label, sizeof label, "ro sealed %s", advs[i].name);
		CHECK(label, madvise(r + P, P, advs[i].adv));
	}
	printf("ro contents %c%c\n", r[P], r[2 * P]);
	/* The unsealed page before the sealed ones is discarded, then the
	 * sealed one refuses. */
	CHECK("dontneed 0-1", madvise(r, 2 * P, MADV_DONTNEED));
	printf("ro after %d %c\n", r[0], r[P]);
	CHECK("dontfork 0-1", madvise(r, 2 * P, MADV_DONTFORK));
	maps("ro", r, 3);

	/* Read-only shared anonymous and private file memory may be
	 * discarded. */
	char *s = mmap(NULL, P, PROT_READ, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK("seal shared", do_mseal(s, P, 0));
	CHECK("shared DONTNEED", madvise(s, P, MADV_DONTNEED));
	CHECK("shared munmap", munmap(s, P));
	char path[] = "/var/tmp/mm_msealXXXXXX";
	int fd = mkstemp(path);
	unlink(path);
	CHECK("write", write(fd, "file", 4));
	char *f = mmap(NULL, P, PROT_READ, MAP_PRIVATE, fd, 0);
	CHECK("seal file", do_mseal(f, P, 0));
	CHECK("file DONTNEED", madvise(f, P, MADV_DONTNEED));
	CHECK("file WIPEONFORK", madvise(f, P, MADV_WIPEONFORK));
	CHECK("file munmap", munmap(f, P));
	printf("file %.4s\n", f);
	close(fd);

	/* A fixed move of several VMAs moves those before a sealed one. */
	char *m = region(5, PROT_READ | PROT_WRITE);
	munmap(m + P, P);
	mprotect(m + 2 * P, P, PROT_READ);
	CHECK("seal m 3", do_mseal(m + 3 * P, P, 0));
	char *to = region(16, PROT_NONE);
	munmap(to, 16 * P);
	CHECKOK("multi move", (long)mremap(m, 5 * P, 5 * P, MREMAP_MAYMOVE | MREMAP_FIXED, to));
	maps("multi move from", m, 5);
	maps("multi move to", to, 5);

	/* shmdt of a sealed segment succeeds and leaves it attached. */
	int id = shmget(IPC_PRIVATE, P, IPC_CREAT | 0600);
	char *sh = shmat(id, NULL, 0);
	sh[0] = 's';
	CHECK("seal shm", do_mseal(sh, P, 0));
	CHECK("shmdt sealed", shmdt(sh));
	printf("shm still %c\n", sh[0]);
	struct shmid_ds ds;
	shmctl(id, IPC_STAT, &ds);
	printf("shm nattch %ld\n", (long)ds.shm_nattch);
	shmctl(id, IPC_RMID, NULL);

	/* The break cannot shrink over sealed heap pages; it can grow. */
	unsigned long cur = syscall(SYS_brk, 0);
	unsigned long top = (cur + P - 1) & ~(P - 1);
	printf("brk grow: %d\n", (unsigned long)syscall(SYS_brk, top + 2 * P) == top + 2 * P);
	CHECK("seal heap top", do_mseal((void *)top, 2 * P, 0));
	printf("brk shrink over sealed: %d\n", (unsigned long)syscall(SYS_brk, top + P) == top + P);
	printf("brk still: %d\n", (unsigned long)syscall(SYS_brk, 0) == top + 2 * P);
	printf("brk grow past sealed: %d\n", (unsigned long)syscall(SYS_brk, top + 3 * P) == top + 3 * P);
	printf("brk shrink to sealed end: %d\n", (unsigned long)syscall(SYS_brk, top + 2 * P) == top + 2 * P);

	/* A PROT_NONE sealed mapping stays inaccessible. */
	char *n = region(1, PROT_NONE);
	CHECK("seal none", do_mseal(n, P, 0));
	CHECK("none mprotect", mprotect(n, P, PROT_READ));
	printf("none read %s\n", probe(n, 0));
	return 0;
}
