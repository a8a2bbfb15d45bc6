/* /proc/sys/kernel/random (boot_id, uuid, the fixed pool sizes) and the
 * limits of /proc/sys kernel, vm and fs: modes, owners and the shape of
 * each value. boot_id agrees between reads, uuid differs; the limits are
 * positive integers, and pipe-max-size is what F_SETPIPE_SZ allows
 * without CAP_SYS_RESOURCE. Only urandom_min_reseed_secs is written
 * (Linux 5.18+ takes the write and ignores it). */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static int readfile(const char *path, char *b, size_t sz) {
	memset(b, 0, sz);
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		printf("%s: open: %s\n", path, strerror(errno));
		return -1;
	}
	long n = read(fd, b, sz - 1);
	close(fd);
	if (n < 0) {
		printf("%s: read: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* uuidshape reports whether s is a lowercase 8-4-4-4-12 UUID and a
 * newline; v4 also asks for version 4 and the RFC 4122 variant. */
static int uuidshape(const char *s, int v4) {
	if (strlen(s) != 37 || s[36] != '\n')
		return 0;
	for (int i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!isdigit((unsigned char)s[i]) && !(s[i] >= 'a' && s[i] <= 'f')) {
			return 0;
		}
	}
	return !v4 || (s[14] == '4' && strchr("89ab", s[19]) != NULL);
}

static void mode(const char *path) {
	struct stat st;
	if (stat(path, &st) < 0) {
		printf("%s: stat: %s\n", path, strerror(errno));
		return;
	}
	printf("%s: mode %o uid %u gid %u\n", path, st.st_mode & 07777, st.st_uid, st.st_gid);
}

static void show(const char *path) {
	char b[64];
	if (readfile(path, b, sizeof b) == 0)
		printf("%s: %s", path, b);
}

/* positive reads path as a decimal number and reports whether it is a
 * positive integer followed by a newline; it returns the number. */
static long long positive(const char *path) {
	char b[64], *end;
	if (readfile(path, b, sizeof b) < 0)
		return -1;
	errno = 0;
	long long v = strtoll(b, &end, 10);
	printf("%s: %s\n", path, end != b && !errno && *end == '\n' && end[1] == 0 && v > 0 ? "a positive integer" : "BAD");
	return v;
}

int main(void) {
	const char *uid = geteuid() ? "a user" : "root";
	printf("as %s\n", uid);
	const char *files[] = {"boot_id", "uuid", "entropy_avail", "poolsize", "urandom_min_reseed_secs", "write_wakeup_threshold"};
	for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
		char p[128];
		snprintf(p, sizeof p, "/proc/sys/kernel/random/%s", files[i]);
		mode(p);
	}
	show("/proc/sys/kernel/random/entropy_avail");
	show("/proc/sys/kernel/random/poolsize");
	show("/proc/sys/kernel/random/urandom_min_reseed_secs");
	show("/proc/sys/kernel/random/write_wakeup_threshold");

	char a[64], b[64];
	if (readfile("/proc/sys/kernel/random/boot_id", a, sizeof a) == 0 &&
	    readfile("/proc/sys/kernel/random/boot_id", b, sizeof b) == 0)
		printf("boot_id: shape %d, two reads agree %d\n", uuidshape(a, 0), strcmp(a, b) == 0);
	if (readfile("/proc/sys/kernel/random/uuid", a, sizeof a) == 0 &&
	    readfile("/proc/sys/kernel/random/uuid", b, sizeof b) == 0)
		printf("uuid: shape %d %d, two reads differ %d\n", uuidshape(a, 1), uuidshape(b, 1), strcmp(a, b) != 0);

	/* A write to urandom_min_reseed_secs is taken (root) and ignored. */
	int fd = open("/proc/sys/kernel/random/urandom_min_reseed_secs", O_WRONLY);
	if (fd < 0) {
		printf("urandom_min_reseed_secs for writing: %s\n", strerror(errno));
	} else {
		printf("write 30: %s\n", write(fd, "30\n", 3) == 3 ? "OK" : strerror(errno));
		printf("write abc: %s\n", pwrite(fd, "abc\n", 4, 0) == 4 ? "OK" : strerror(errno));
		close(fd);
		show("/proc/sys/kernel/random/urandom_min_reseed_secs");
	}
	fd = open("/proc/sys/kernel/random/uuid", O_WRONLY);
	printf("uuid for writing: %s\n", fd < 0 ? strerror(errno) : "OK");

	positive("/proc/sys/kernel/threads-max");
	positive("/proc/sys/vm/max_map_count");
	long long minaddr = positive("/proc/sys/vm/mmap_min_addr");
	printf("mmap_min_addr page aligned: %d\n", minaddr % 4096 == 0);
	/* Below mmap_min_addr MAP_FIXED is EPERM (without CAP_SYS_RAWIO). */
	if (geteuid() != 0 && minaddr >= 4096) {
		void *m = mmap((void *)(uintptr_t)(minaddr - 4096), 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		printf("MAP_FIXED below mmap_min_addr: %s\n", m == MAP_FAILED ? strerror(errno) : "mapped");
	}
	show("/proc/sys/fs/nr_open");
	/* Root cannot open a read-only sysctl for writing (EACCES); a
	 * writable one opens for root only. */
	const char *w[] = {"/proc/sys/kernel/random/poolsize", "/proc/sys/fs/lease-break-time"};
	for (size_t i = 0; i < sizeof w / sizeof *w; i++) {
		int wfd = open(w[i], O_WRONLY);
		printf("%s for writing: %s\n", w[i], wfd < 0 ? strerror(errno) : "OK");
		if (wfd >= 0)
			close(wfd);
	}
	positive("/proc/sys/fs/file-max");
	char t[64];
	if (readfile("/proc/sys/kernel/randomize_va_space", t, sizeof t) == 0)
		printf("randomize_va_space in 0..2: %d\n", strlen(t) == 2 && t[0] >= '0' && t[0] <= '2' && t[1] == '\n');
	if (readfile("/proc/sys/kernel/tainted", t, sizeof t) == 0)
		printf("tainted is a number: %d\n", isdigit((unsigned char)t[0]) && t[strlen(t) - 1] == '\n');

	long long pmax = positive("/proc/sys/fs/pipe-max-size");
	int p[2];
	if (pipe(p) < 0)
		return 1;
	long r = fcntl(p[0], F_SETPIPE_SZ, (int)pmax);
	printf("F_SETPIPE_SZ pipe-max-size: %s\n", r == pmax ? "OK" : r < 0 ? strerror(errno) : "other size");
	/* Root's result depends on CAP_SYS_RESOURCE, which the host's
	 * harness may lack: only a user is asked. */
	if (geteuid() != 0) {
		r = fcntl(p[0], F_SETPIPE_SZ, (int)pmax * 2);
		printf("F_SETPIPE_SZ twice pipe-max-size: %s\n", r >= 0 ? "OK" : strerror(errno));
	}
	return 0;
}
