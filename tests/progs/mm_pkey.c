/* pkey_alloc, pkey_free and pkey_mprotect as Linux gives them on a CPU
 * without memory protection keys: the first allocation of an address
 * space is EINVAL and takes its one key slot for good (later ones are
 * ENOSPC, also in a child forked after it, not after execve), no key can
 * be freed or used, pkey_mprotect with key -1 is mprotect. On a CPU with
 * protection keys the program only says so (kite does not offer them). */
#include "misc_common.h"
#include <cpuid.h>
#include <sys/mman.h>

#ifndef SYS_pkey_mprotect
#define SYS_pkey_mprotect 329
#define SYS_pkey_alloc 330
#define SYS_pkey_free 331
#endif
#define P 4096L

static long alloc(unsigned long flags, unsigned long init) { return syscall(SYS_pkey_alloc, flags, init); }
static long pfree(long key) { return syscall(SYS_pkey_free, key); }
static long pmprotect(void *a, unsigned long len, long prot, long key) {
	return syscall(SYS_pkey_mprotect, a, len, prot, key);
}

int main(int argc, char **argv) {
	setvbuf(stdout, NULL, _IONBF, 0);
	unsigned a, b, c, d;
	if (__get_cpuid_count(7, 0, &a, &b, &c, &d) && (c & (1 << 3))) {
		printf("the CPU has protection keys: not compared\n");
		return 0;
	}
	if (argc > 1) {
		CHECK("after execve: alloc", alloc(0, 0));
		CHECK("after execve: alloc again", alloc(0, 0));
		return 0;
	}
	char *m = mmap(NULL, 2 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK("pkey_mprotect key 0", pmprotect(m, P, PROT_READ, 0));
	CHECK("pkey_mprotect key 5, unaligned", pmprotect(m + 1, P, PROT_READ, 5));
	CHECK("pkey_mprotect key 5, length 0", pmprotect(m, 0, PROT_READ, 5));
	CHECK("pkey_mprotect key 5, length wraps", pmprotect(m, -P, PROT_READ, 5));
	CHECK("pkey_mprotect key 5, bad prot", pmprotect(m, P, 0x100, 5));
	CHECK("pkey_mprotect key 5, both grows", pmprotect(m, P, PROT_READ | PROT_GROWSDOWN | PROT_GROWSUP, 5));
	CHECK("pkey_mprotect key 5, unmapped", pmprotect((void *)P, P, PROT_READ, 5));
	CHECK("pkey_mprotect key -2", pmprotect(m, P, PROT_READ, -2));
	CHECK("pkey_mprotect key -1", pmprotect(m, P, PROT_READ, -1));
	CHECK("pkey_mprotect key -1, unmapped", pmprotect((void *)P, P, PROT_READ, -1));
	CHECK("pkey_mprotect key -1 as 64 bits", pmprotect(m, P, PROT_READ, 0xffffffffL));
	CHECK("pkey_free 0", pfree(0));
	CHECK("pkey_free 1", pfree(1));
	CHECK("pkey_free -1", pfree(-1));
	CHECK("alloc flags 1", alloc(1, 0));
	CHECK("alloc init 4", alloc(0, 4));
	pid_t pid = fork();
	if (pid == 0) {
		CHECK("child: alloc", alloc(0, 0));
		CHECK("child: alloc again", alloc(0, 0));
		_exit(0);
	}
	waitchild("child", pid);
	CHECK("alloc disable write", alloc(0, 2));
	CHECK("alloc again", alloc(0, 0));
	CHECK("alloc flags 1 now", alloc(1, 0));
	CHECK("pkey_free 0 now", pfree(0));
	CHECK("pkey_mprotect key 0 now", pmprotect(m, P, PROT_READ, 0));
	pid = fork();
	if (pid == 0) {
		CHECK("child after: alloc", alloc(0, 0));
		execl("/proc/self/exe", argv[0], "exec", (char *)NULL);
		printf("execl: %s\n", errname(errno));
		_exit(1);
	}
	waitchild("child after", pid);
	return 0;
}
