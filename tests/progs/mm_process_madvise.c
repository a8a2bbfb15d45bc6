/* process_madvise(2): arguments, the advice another process may be given
 * (COLD, PAGEOUT, WILLNEED) and the advice a process may give itself,
 * bytes advised across iovecs and partial results, pidfd and permission
 * errors (ptrace access, CAP_SYS_NICE), a zombie's missing memory. */
#include "misc_common.h"
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/uio.h>

#ifndef SYS_process_madvise
#define SYS_process_madvise 440
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef MADV_COLD
#define MADV_COLD 20
#define MADV_PAGEOUT 21
#endif
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif
#define P 4096UL

static long pmadv(int pidfd, struct iovec *v, size_t n, int advice, unsigned flags) {
	return syscall(SYS_process_madvise, pidfd, v, n, advice, flags);
}

static int pidfd_open(pid_t pid) { return syscall(SYS_pidfd_open, pid, 0); }

/* region maps n pages with 8 free pages on either side. */
static char *region(long n) {
	char *r = mmap(NULL, (n + 16) * P, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(r, (n + 16) * P);
	char *a = mmap(r + 8 * P, n * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	if (a == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	memset(a, 'x', n * P);
	return a;
}

static const struct { int adv; const char *name; } advs[] = {
	{MADV_COLD, "COLD"}, {MADV_PAGEOUT, "PAGEOUT"}, {MADV_WILLNEED, "WILLNEED"},
	{MADV_NORMAL, "NORMAL"}, {MADV_DONTNEED, "DONTNEED"}, {MADV_FREE, "FREE"},
	{MADV_DONTFORK, "DONTFORK"}, {MADV_POPULATE_READ, "POPULATE_READ"}, {9999, "bad"},
};

int main(void) {
	setvbuf(stdout, NULL, _IONBF, 0);
	char *a = region(8);
	int self = pidfd_open(getpid());
	struct iovec v[3] = {{a, 2 * P}, {a + 4 * P, P}, {a + 6 * P, 2 * P}};

	CHECK("self COLD", pmadv(self, v, 3, MADV_COLD, 0));
	CHECK("self PAGEOUT", pmadv(self, v, 3, MADV_PAGEOUT, 0));
	CHECK("self WILLNEED", pmadv(self, v, 3, MADV_WILLNEED, 0));
	CHECK("self bad advice", pmadv(self, v, 3, 9999, 0));
	CHECK("flags 1", pmadv(self, v, 3, MADV_COLD, 1));
	CHECK("vlen 0", pmadv(self, v, 0, MADV_COLD, 0));
	CHECK("vlen 1025", pmadv(self, v, 1025, MADV_COLD, 0));
	CHECK("bad vec", pmadv(self, (void *)8, 1, MADV_COLD, 0));
	CHECK("fd -1", pmadv(-1, v, 1, MADV_COLD, 0));
	CHECK("fd 999", pmadv(999, v, 1, MADV_COLD, 0));
	CHECK("not a pidfd", pmadv(1, v, 1, MADV_COLD, 0));
	CHECK("bad advice, bad fd", pmadv(999, v, 1, 9999, 0));
	CHECK("flags 1, bad fd", pmadv(999, v, 1, MADV_COLD, 1));
	CHECK("bad vec, bad fd", pmadv(999, (void *)8, 1, MADV_COLD, 0));

	/* Partial results: the bytes of the iovecs advised before the one
	 * that failed, or its error if it was the first. */
	struct iovec hole[2] = {{a, P}, {a + 8 * P, P}};
	CHECK("second iovec unmapped", pmadv(self, hole, 2, MADV_COLD, 0));
	CHECK("first iovec unmapped", pmadv(self, hole + 1, 1, MADV_COLD, 0));
	struct iovec span[1] = {{a + 7 * P, 2 * P}};
	CHECK("iovec past the end", pmadv(self, span, 1, MADV_COLD, 0));
	struct iovec odd[2] = {{a, P}, {a + 1, P}};
	CHECK("second iovec unaligned", pmadv(self, odd, 2, MADV_COLD, 0));
	struct iovec empty[2] = {{a, 0}, {a + 1, 0}};
	CHECK("empty iovecs", pmadv(self, empty, 2, MADV_COLD, 0));
	struct iovec wrap[1] = {{a, ~0UL}};
	CHECK("length wraps", pmadv(self, wrap, 1, MADV_COLD, 0));
	CHECK("mlock page 0", mlock(a, P));
	CHECK("COLD on locked", pmadv(self, v, 1, MADV_COLD, 0));
	CHECK("PAGEOUT on locked", pmadv(self, v, 1, MADV_PAGEOUT, 0));
	CHECK("WILLNEED on locked", pmadv(self, v, 1, MADV_WILLNEED, 0));
	CHECK("munlock", munlock(a, P));

	/* Another process: only COLD, PAGEOUT, WILLNEED (and COLLAPSE,
	 * not tried: it depends on transparent huge pages). */
	int sync[2];
	if (pipe(sync) != 0)
		return 1;
	pid_t child = fork();
	if (child == 0) {
		char c;
		close(sync[1]);
		read(sync[0], &c, 1);
		_exit(0);
	}
	close(sync[0]);
	int cfd = pidfd_open(child);
	for (unsigned i = 0; i < sizeof advs / sizeof advs[0]; i++) {
		char label[64];
		snprintf(label, sizeof label, "child %s", advs[i].name);
		CHECK(label, pmadv(cfd, v, 3, advs[i].adv, 0));
	}
	CHECK("child unmapped", pmadv(cfd, hole + 1, 1, MADV_COLD, 0));

	/* Without CAP_SYS_NICE only one's own memory; without ptrace access
	 * not even to look. */
	pid_t weak = fork();
	if (weak == 0) {
		if (getuid() == 0 && setuid(65534) != 0)
			_exit(1);
		/* setuid made the process undumpable; its own children may
		 * be inspected again. */
		prctl(PR_SET_DUMPABLE, 1);
		int me = pidfd_open(getpid());
		CHECK("unprivileged self", pmadv(me, v, 3, MADV_COLD, 0));
		CHECK("unprivileged self DONTNEED", pmadv(me, v, 1, MADV_DONTNEED, 0));
		CHECK("unprivileged other uid", pmadv(cfd, v, 3, MADV_COLD, 0));
		pid_t gc = fork();
		if (gc == 0) {
			pause();
			_exit(0);
		}
		int gfd = pidfd_open(gc);
		CHECK("unprivileged same uid", pmadv(gfd, v, 3, MADV_COLD, 0));
		CHECK("unprivileged same uid, bad advice", pmadv(gfd, v, 3, MADV_DONTNEED, 0));
		kill(gc, SIGKILL);
		waitchild("grandchild", gc);
		_exit(0);
	}
	waitchild("unprivileged", weak);

	/* The self-advice really happens: DONTNEED zeroes private memory. */
	CHECK("self DONTNEED", pmadv(self, v, 1, MADV_DONTNEED, 0));
	printf("after DONTNEED: %d %c\n", a[0], a[4 * P]);

	/* A zombie has no memory. */
	close(sync[1]);
	siginfo_t si;
	waitid(P_PID, child, &si, WEXITED | WNOWAIT);
	CHECK("zombie", pmadv(cfd, v, 3, MADV_COLD, 0));
	waitchild("child", child);
	CHECK("reaped", pmadv(cfd, v, 3, MADV_COLD, 0));
	return 0;
}
