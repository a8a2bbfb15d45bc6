/* Guard regions (MADV_GUARD_INSTALL, MADV_GUARD_REMOVE, Linux 6.13):
 * access to a guard page is SIGSEGV/SEGV_MAPERR, the kernel's accesses
 * are EFAULT (EIO through /proc/self/mem), installing drops the pages,
 * MADV_DONTNEED and mprotect keep guards, munmap and MAP_FIXED remove
 * them, mremap moves them, fork keeps them (not in MADV_WIPEONFORK
 * memory), shared and file mappings keep their contents, mincore, mlock,
 * MADV_POPULATE, mseal and the errors. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#define MADV_POPULATE_WRITE 23
#endif
#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#define MADV_GUARD_REMOVE 103
#endif

static long P;
static sigjmp_buf jb;
static volatile int lastsig, lastcode;

static void onsig(int sig, siginfo_t *si, void *u) {
	(void)u;
	lastsig = sig;
	lastcode = si->si_code;
	siglongjmp(jb, 1);
}

/* probe reads (or writes) one byte and names what happened. */
static const char *probe(volatile char *p, int write) {
	static char buf[64];
	lastsig = 0;
	if (sigsetjmp(jb, 1) == 0) {
		if (write)
			*p = 'w';
		else
			(void)*p;
		return "ok";
	}
	snprintf(buf, sizeof buf, "%s/%s", lastsig == SIGSEGV ? "SIGSEGV" : lastsig == SIGBUS ? "SIGBUS" : "signal",
		 lastcode == SEGV_MAPERR ? "MAPERR" : lastcode == SEGV_ACCERR ? "ACCERR" : "other");
	return buf;
}

/* res prints a call's result and errno name. */
static void res(const char *what, long r) {
	int e = errno;
	if (r < 0)
		printf("%s: -1 %s\n", what, strerror(e));
	else
		printf("%s: %ld\n", what, r);
	errno = 0;
}

static void cores(const char *what, char *m, long pages) {
	unsigned char vec[16];
	if (mincore(m, pages * P, vec) < 0) {
		res(what, -1);
		return;
	}
	printf("%s: ", what);
	for (long i = 0; i < pages; i++)
		putchar('0' + (vec[i] & 1));
	putchar('\n');
}

/* inchild runs probe(p) in a child and prints its answer. */
static void inchild(const char *what, char *p) {
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		printf("%s: %s\n", what, probe(p, 0));
		fflush(stdout);
		_exit(0);
	}
	waitpid(pid, NULL, 0);
}

int main(void) {
	P = sysconf(_SC_PAGESIZE);
	struct sigaction sa = {0};
	sa.sa_sigaction = onsig;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);

	char *m = mmap(NULL, 8 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(m, 'a', 8 * P);
	res("install", madvise(m + 2 * P, 2 * P, MADV_GUARD_INSTALL));
	printf("read guard: %s\n", probe(m + 2 * P, 0));
	printf("write guard: %s\n", probe(m + 3 * P + 5, 1));
	printf("neighbours: %s %s %c%c\n", probe(m + P, 0), probe(m + 4 * P, 1), m[P], m[5 * P]);
	cores("mincore", m, 8);
	int fd = open("/dev/zero", O_RDONLY);
	res("read(2) into guard", read(fd, m + 2 * P, 10));
	res("read(2) across into guard", read(fd, m + 2 * P - 5, 10));
	int pfd[2];
	pipe(pfd);
	res("write(2) from guard", write(pfd[1], m + 3 * P, 10));
	res("populate read", madvise(m, 8 * P, MADV_POPULATE_READ));
	res("populate write", madvise(m, 8 * P, MADV_POPULATE_WRITE));
	res("populate before guard", madvise(m, 2 * P, MADV_POPULATE_WRITE));
	res("dontneed", madvise(m, 8 * P, MADV_DONTNEED));
	printf("guard after dontneed: %s\n", probe(m + 2 * P, 0));
	res("mlock over guard", mlock(m, 8 * P));
	res("install on locked", madvise(m + 5 * P, P, MADV_GUARD_INSTALL));
	res("remove on locked", madvise(m + 7 * P, P, MADV_GUARD_REMOVE));
	munlock(m, 8 * P);
	res("mprotect", mprotect(m, 8 * P, PROT_READ));
	printf("guard after mprotect: %s\n", probe(m + 2 * P, 0));
	res("mprotect none", mprotect(m, 8 * P, PROT_NONE));
	printf("guard in PROT_NONE: %s\n", probe(m + 2 * P, 0));
	mprotect(m, 8 * P, PROT_READ | PROT_WRITE);
	inchild("guard in child", m + 2 * P);
	char buf[8];
	struct iovec l = {buf, 4}, r = {m + 2 * P, 4};
	res("process_vm_readv", process_vm_readv(getpid(), &l, 1, &r, 1, 0));
	int mf = open("/proc/self/mem", O_RDWR);
	res("/proc/self/mem read", pread(mf, buf, 4, (long)(m + 2 * P)));
	res("/proc/self/mem write", pwrite(mf, "zz", 2, (long)(m + 2 * P)));
	res("remove", madvise(m + 2 * P, 2 * P, MADV_GUARD_REMOVE));
	printf("after remove: %s", probe(m + 2 * P, 1));
	printf(" %d %d\n", m[2 * P + 1], m[3 * P]);
	res("remove again", madvise(m + 2 * P, 2 * P, MADV_GUARD_REMOVE));

	/* mremap moves guards with the pages. */
	res("install one", madvise(m + 2 * P, P, MADV_GUARD_INSTALL));
	char *n = mremap(m, 8 * P, 16 * P, MREMAP_MAYMOVE);
	printf("moved guard: %s;", probe(n + 2 * P, 0));
	printf(" neighbour %s, grown part %s\n", probe(n + 3 * P, 0), probe(n + 12 * P, 0));
	res("wipeonfork", madvise(n, 16 * P, MADV_WIPEONFORK));
	inchild("guard in wipeonfork child", n + 2 * P);
	printf("parent keeps it: %s\n", probe(n + 2 * P, 0));
	res("keeponfork", madvise(n, 16 * P, MADV_KEEPONFORK));
	res("shrink", (long)mremap(n, 16 * P, 4 * P, 0) == (long)n ? 0 : -1);
	printf("guard kept by shrink: %s\n", probe(n + 2 * P, 0));
	char *again = mmap(n, 16 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	printf("mapped over guard: %s\n", probe(again + 2 * P, 0));
	munmap(again, 16 * P);

	/* Shared anonymous memory keeps its contents under a guard. */
	char *s = mmap(NULL, 4 * P, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	s[0] = 's';
	s[P] = 't';
	res("shared install", madvise(s, P, MADV_GUARD_INSTALL));
	printf("shared guard: %s\n", probe(s, 0));
	cores("shared mincore", s, 4);
	inchild("shared guard in child", s);
	res("shared remove", madvise(s, P, MADV_GUARD_REMOVE));
	printf("shared keeps: %c\n", s[0]);

	/* A tmpfs file's mapping, shared and private. */
	char path[64];
	snprintf(path, sizeof path, "/dev/shm/mm_guard_%d", getpid());
	int tf = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	unlink(path);
	ftruncate(tf, 4 * P);
	pwrite(tf, "file", 4, 0);
	char *fm = mmap(NULL, 4 * P, PROT_READ | PROT_WRITE, MAP_SHARED, tf, 0);
	res("file install", madvise(fm, P, MADV_GUARD_INSTALL));
	printf("file guard: %s\n", probe(fm, 0));
	cores("file mincore", fm, 4);
	inchild("file guard in child", fm);
	char *fp = mmap(NULL, 4 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE, tf, 0);
	fp[0] = 'F';
	res("private file install", madvise(fp, P, MADV_GUARD_INSTALL));
	inchild("private file guard in child", fp);
	res("private file remove", madvise(fp, P, MADV_GUARD_REMOVE));
	printf("private file shows the file again: %.4s\n", fp);

	/* Read-only and PROT_NONE memory take guards; holes are ENOMEM. */
	char *ro = mmap(NULL, 4 * P, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	res("read-only install", madvise(ro, P, MADV_GUARD_INSTALL));
	char *pn = mmap(NULL, 4 * P, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	res("PROT_NONE install", madvise(pn, P, MADV_GUARD_INSTALL));
	munmap(pn + P, P);
	res("install over a hole", madvise(pn, 3 * P, MADV_GUARD_INSTALL));
	res("remove over a hole", madvise(pn + P, P, MADV_GUARD_REMOVE));
	mprotect(pn + 2 * P, P, PROT_READ);
	printf("installed past the hole: %s\n", probe(pn + 2 * P, 0));
	res("unaligned", madvise(ro + 1, P, MADV_GUARD_INSTALL));
	res("mseal", syscall(462 /* mseal */, ro, 4 * P, 0));
	res("install in sealed read-only", madvise(ro + P, P, MADV_GUARD_INSTALL));
	res("remove in sealed read-only", madvise(ro + P, P, MADV_GUARD_REMOVE));
	return 0;
}
