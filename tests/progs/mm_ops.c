/* Memory-management system calls and their error cases: mmap, munmap,
 * mprotect, mremap, madvise, mincore, msync, brk. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *en(int e) {
	switch (e) {
	case 0: return "OK";
	case EFAULT: return "EFAULT";
	case EINVAL: return "EINVAL";
	case ENOMEM: return "ENOMEM";
	case EEXIST: return "EEXIST";
	case EACCES: return "EACCES";
	case EBADF: return "EBADF";
	case ENODEV: return "ENODEV";
	case EBUSY: return "EBUSY";
	}
	static char buf[32];
	snprintf(buf, sizeof buf, "errno%d", e);
	return buf;
}

#define TRY(name, expr) do { errno = 0; long r_ = (long)(expr); printf("%s = %ld %s\n", name, r_ < 0 ? -1L : r_, r_ < 0 ? en(errno) : ""); } while (0)
#define MTRY(name, expr) do { errno = 0; void *p_ = (expr); printf("%s = %s\n", name, p_ == MAP_FAILED ? en(errno) : "mapped"); } while (0)

static long PG;

int main(void) {
	PG = sysconf(_SC_PAGESIZE);
	printf("pagesize %ld\n", PG);

	/* anonymous private */
	char *a = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	printf("anon zeroed %d\n", a[0] == 0 && a[4 * PG - 1] == 0);
	memset(a, 'x', 4 * PG);
	printf("anon written %d\n", a[PG * 3 + 5] == 'x');

	/* error cases */
	MTRY("mmap len 0", mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
	MTRY("mmap no type", mmap(NULL, PG, PROT_READ, MAP_ANONYMOUS, -1, 0));
	MTRY("mmap unaligned offset", mmap(NULL, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 5));
	MTRY("mmap bad fd", mmap(NULL, PG, PROT_READ, MAP_PRIVATE, 999, 0));
	MTRY("mmap fixed unaligned", mmap((void *)(a + 1), PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
	MTRY("mmap fixed_noreplace over existing", mmap(a, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0));
	MTRY("mmap huge", mmap(NULL, 1UL << 50, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));

	/* mprotect */
	TRY("mprotect ro", mprotect(a, PG, PROT_READ));
	TRY("mprotect unaligned", mprotect(a + 1, PG, PROT_READ));
	TRY("mprotect bad prot", mprotect(a, PG, 0x100));
	TRY("munmap middle", munmap(a + PG, PG));
	TRY("mprotect across hole", mprotect(a, 3 * PG, PROT_READ));
	TRY("munmap unaligned", munmap(a + 1, PG));
	TRY("munmap len 0", munmap(a, 0));
	TRY("munmap unmapped again", munmap(a + PG, PG));
	printf("after split: page 2 kept %d\n", a[2 * PG] == 'x');

	/* mremap */
	char *b = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(b, 'b', 2 * PG);
	char *c = mremap(b, 2 * PG, 64 * PG, MREMAP_MAYMOVE);
	printf("mremap grow ok %d data kept %d tail zero %d\n", c != MAP_FAILED, c[PG + 7] == 'b', c[63 * PG] == 0);
	char *d = mremap(c, 64 * PG, PG, 0);
	printf("mremap shrink in place %d\n", d == c);
	MTRY("mremap grow no move blocked", ({ mmap(c + PG, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0); mremap(c, PG, 4 * PG, 0); }));
	MTRY("mremap bad flags", mremap(c, PG, 2 * PG, 0x80));
	MTRY("mremap unaligned", mremap(c + 1, PG, 2 * PG, MREMAP_MAYMOVE));
	MTRY("mremap len 0", mremap(c, PG, 0, MREMAP_MAYMOVE));
	MTRY("mremap fixed without maymove", mremap(c, PG, PG, MREMAP_FIXED, (void *)0x100000000));

	/* madvise */
	char *e = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(e, 'e', 4 * PG);
	TRY("madvise DONTNEED", madvise(e, 2 * PG, MADV_DONTNEED));
	printf("dontneed zeroed %d kept %d\n", e[0] == 0 && e[PG] == 0, e[2 * PG] == 'e');
	TRY("madvise WILLNEED", madvise(e, 4 * PG, MADV_WILLNEED));
	TRY("madvise NORMAL", madvise(e, 4 * PG, MADV_NORMAL));
	TRY("madvise bad advice", madvise(e, PG, 9999));
	TRY("madvise unaligned", madvise(e + 1, PG, MADV_NORMAL));

	/* mincore */
	unsigned char vec[4];
	TRY("mincore", mincore(e, 4 * PG, vec));
	printf("resident: %d %d\n", vec[2] & 1, vec[3] & 1);
	TRY("mincore unaligned", mincore(e + 1, PG, vec));
	TRY("mincore bad vec", mincore(e, PG, (void *)8));
	TRY("mincore unmapped", mincore((void *)0x10000, PG, vec));

	/* msync */
	TRY("msync", msync(e, PG, MS_SYNC));
	TRY("msync bad flags", msync(e, PG, MS_SYNC | MS_ASYNC));
	TRY("msync unaligned", msync(e + 1, PG, MS_SYNC));
	TRY("msync unmapped", msync((void *)0x10000, PG, MS_SYNC));

	/* shared anonymous */
	int *s = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	s[0] = 42;
	printf("shared anon %d\n", s[0]);

	/* private file mapping */
	int fd = open("/etc/os-release", O_RDONLY);
	char buf[256];
	ssize_t n = read(fd, buf, sizeof buf);
	char *f = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	printf("file map matches read %d\n", f != MAP_FAILED && memcmp(f, buf, n) == 0);
	f[0] = '#';
	pread(fd, buf, 1, 0);
	printf("private write not in file %d\n", buf[0] != '#');
	MTRY("mmap shared writable of O_RDONLY", mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
	close(fd);
	char tmp[] = "/tmp/kite-mm-XXXXXX";
	int tfd = mkstemp(tmp);
	write(tfd, "data", 4);
	close(tfd);
	int wfd = open(tmp, O_WRONLY);
	printf("open O_WRONLY %d\n", wfd >= 0);
	MTRY("mmap of O_WRONLY", mmap(NULL, PG, PROT_READ, MAP_PRIVATE, wfd, 0));
	close(wfd);
	unlink(tmp);

	/* brk */
	void *cur = (void *)syscall(SYS_brk, 0);
	void *grown = (void *)syscall(SYS_brk, (char *)cur + 10 * PG);
	printf("brk grew %d\n", grown == (char *)cur + 10 * PG);
	memset(cur, 'h', 10 * PG);
	void *shrunk = (void *)syscall(SYS_brk, cur);
	printf("brk shrank %d\n", shrunk == cur);
	void *low = (void *)syscall(SYS_brk, (void *)0x1000);
	printf("brk below start refused %d\n", low == cur);
	return 0;
}
