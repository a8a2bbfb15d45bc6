/* RLIMIT_AS and RLIMIT_DATA bound mmap, brk and mremap with ENOMEM; a
 * forked child inherits them; raising them again lets the calls pass. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *res(void *p) {
	if (p != MAP_FAILED)
		return "ok";
	return errno == ENOMEM ? "ENOMEM" : strerror(errno);
}

/* vmsize returns the address space's size in bytes from
 * /proc/self/status (VmSize). */
static long vmsize(void) {
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;
	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, "VmSize: %ld kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb * 1024;
}

int main(void) {
	const long M = 1 << 20;
	struct rlimit old;
	getrlimit(RLIMIT_AS, &old);

	/* RLIMIT_AS: room for 64 MiB more than now */
	long base = vmsize();
	struct rlimit r = {base + 64 * M, base + 64 * M};
	r.rlim_max = old.rlim_max;
	printf("setrlimit AS = %d\n", setrlimit(RLIMIT_AS, &r));
	void *a = mmap(NULL, 32 * M, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	printf("mmap 32M: %s\n", res(a));
	errno = 0;
	void *b = mmap(NULL, 64 * M, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	printf("mmap 64M more: %s\n", res(b));
	errno = 0;
	void *s = mmap(NULL, 64 * M, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	printf("mmap 64M shared: %s\n", res(s));
	/* MAP_FIXED over an existing mapping does not count twice */
	void *f = mmap(a, 32 * M, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	printf("mmap fixed over itself: %s\n", res(f));
	errno = 0;
	void *g = mremap(a, 32 * M, 128 * M, MREMAP_MAYMOVE);
	printf("mremap grow past limit: %s\n", res(g));
	void *h = mremap(a, 32 * M, 16 * M, 0);
	printf("mremap shrink: %s\n", res(h));
	void *cur = sbrk(0);
	errno = 0;
	void *nb = (void *)syscall(SYS_brk, (char *)cur + 128 * M);
	printf("brk past AS moves: %d\n", nb != cur);

	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		errno = 0;
		void *c = mmap(NULL, 96 * M, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		printf("child inherits: %s\n", res(c));
		fflush(stdout);
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	printf("setrlimit AS back = %d\n", setrlimit(RLIMIT_AS, &old));
	b = mmap(NULL, 96 * M, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	printf("mmap 96M after raise: %s\n", res(b));
	munmap(b, 96 * M);

	/* RLIMIT_DATA: private writable mappings and the heap only */
	struct rlimit od;
	getrlimit(RLIMIT_DATA, &od);
	struct rlimit d = {16 * M, od.rlim_max};
	/* data already in use counts: measure what a 16 MiB limit leaves */
	printf("setrlimit DATA = %d\n", setrlimit(RLIMIT_DATA, &d));
	errno = 0;
	void *w = mmap(NULL, 32 * M, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	printf("mmap 32M private rw: %s\n", res(w));
	void *ro = mmap(NULL, 32 * M, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	printf("mmap 32M private ro: %s\n", res(ro));
	void *sh = mmap(NULL, 32 * M, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	printf("mmap 32M shared rw: %s\n", res(sh));
	cur = sbrk(0);
	nb = (void *)syscall(SYS_brk, (char *)cur + 32 * M);
	printf("brk 32M past DATA moves: %d\n", nb != cur);
	printf("setrlimit DATA back = %d\n", setrlimit(RLIMIT_DATA, &od));
	w = mmap(NULL, 32 * M, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	printf("mmap 32M private rw after raise: %s\n", res(w));
	return 0;
}
