/* MADV_WILLNEED on a shared file mapping reads the file's pages into its
 * page cache: afterwards mincore reports them resident and cachestat
 * counts them. The file is in $WILLNEED_DIR (tests/mmwillneed_test.go:
 * an ext4 image root, whose page cache kite fills only when asked) or
 * /var/tmp. Only what is certain after the advice is printed (before it
 * the host may or may not have the pages). */
#include "misc_common.h"
#include <sys/mman.h>

#ifndef SYS_cachestat
#define SYS_cachestat 451
#endif
#define P 4096UL

int main(void) {
	setvbuf(stdout, NULL, _IONBF, 0);
	const char *dir = getenv("WILLNEED_DIR");
	char path[256];
	snprintf(path, sizeof path, "%s/willneedXXXXXX", dir ? dir : "/var/tmp");
	int fd = mkstemp(path);
	if (fd < 0) {
		printf("mkstemp: %s\n", errname(errno));
		return 1;
	}
	static char buf[8 * P];
	for (unsigned i = 0; i < sizeof buf; i++)
		buf[i] = 'a' + i / P;
	CHECK("write", write(fd, buf, sizeof buf));
	CHECK("fsync", fsync(fd));
	close(fd);
	fd = open(path, O_RDONLY);
	unlink(path);
	char *m = mmap(NULL, 12 * P, PROT_READ, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED) {
		printf("mmap: %s\n", errname(errno));
		return 1;
	}
	CHECK("willneed", madvise(m, 12 * P, MADV_WILLNEED));
	unsigned char v[12];
	CHECK("mincore", mincore(m, 12 * P, v));
	printf("resident:");
	for (int i = 0; i < 12; i++)
		printf(" %d", v[i] & 1);
	printf("\n");
	uint64_t range[2] = {0, 0}, cs[5];
	CHECK("cachestat", syscall(SYS_cachestat, fd, range, cs, 0));
	printf("cached %llu\n", (unsigned long long)cs[0]);
	printf("contents %c%c\n", m[0], m[7 * P]);
	return 0;
}
