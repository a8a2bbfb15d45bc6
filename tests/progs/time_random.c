/* Clocks, sleeps and getrandom, with their error cases. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static const char *en(int e) {
	switch (e) {
	case 0: return "OK";
	case EFAULT: return "EFAULT";
	case EINVAL: return "EINVAL";
	case ENOTSUP: return "ENOTSUP";
	}
	static char buf[32];
	snprintf(buf, sizeof buf, "errno%d", e);
	return buf;
}

#define TRY(name, expr) do { errno = 0; long r_ = (long)(expr); printf("%s = %ld %s\n", name, r_ < 0 ? -1L : r_, r_ < 0 ? en(errno) : ""); } while (0)

static long ns(struct timespec t) { return t.tv_sec * 1000000000L + t.tv_nsec; }

int main(void) {
	int clocks[] = {CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID,
			CLOCK_MONOTONIC_RAW, CLOCK_REALTIME_COARSE, CLOCK_MONOTONIC_COARSE, CLOCK_BOOTTIME};
	for (unsigned i = 0; i < sizeof clocks / sizeof clocks[0]; i++) {
		struct timespec a, b;
		int r1 = syscall(SYS_clock_gettime, clocks[i], &a);
		int r2 = syscall(SYS_clock_gettime, clocks[i], &b);
		printf("clock %d: %d %d monotone %d\n", clocks[i], r1, r2, ns(b) >= ns(a));
		struct timespec res;
		TRY("  getres", syscall(SYS_clock_getres, clocks[i], &res));
	}
	struct timespec t;
	TRY("clock_gettime(bad clock)", syscall(SYS_clock_gettime, 99, &t));
	TRY("clock_gettime(bad ptr)", syscall(SYS_clock_gettime, CLOCK_REALTIME, (void *)8));
	TRY("clock_getres(null)", syscall(SYS_clock_getres, CLOCK_MONOTONIC, NULL));
	TRY("clock_getres(bad clock)", syscall(SYS_clock_getres, 99, &t));

	struct timeval tv;
	TRY("gettimeofday", syscall(SYS_gettimeofday, &tv, NULL));
	time_t now = time(NULL);
	printf("time close to gettimeofday %d\n", now - tv.tv_sec < 5 && tv.tv_sec - now < 5);
	TRY("gettimeofday(bad)", syscall(SYS_gettimeofday, (void *)8, NULL));
	TRY("time(bad)", syscall(SYS_time, (void *)8));

	struct timespec before, after, req = {0, 20 * 1000 * 1000}, rem;
	clock_gettime(CLOCK_MONOTONIC, &before);
	TRY("nanosleep 20ms", syscall(SYS_nanosleep, &req, &rem));
	clock_gettime(CLOCK_MONOTONIC, &after);
	printf("slept >= 20ms %d\n", ns(after) - ns(before) >= 20 * 1000 * 1000);
	struct timespec badreq = {0, 1000000000L};
	TRY("nanosleep(nsec too big)", syscall(SYS_nanosleep, &badreq, NULL));
	struct timespec negreq = {-1, 0};
	TRY("nanosleep(negative)", syscall(SYS_nanosleep, &negreq, NULL));
	TRY("nanosleep(bad ptr)", syscall(SYS_nanosleep, (void *)8, NULL));
	clock_gettime(CLOCK_MONOTONIC, &before);
	struct timespec abs = before;
	abs.tv_nsec += 10 * 1000 * 1000;
	if (abs.tv_nsec >= 1000000000L) { abs.tv_sec++; abs.tv_nsec -= 1000000000L; }
	TRY("clock_nanosleep(abs 10ms)", syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, &abs, NULL));
	clock_gettime(CLOCK_MONOTONIC, &after);
	printf("abs slept %d\n", ns(after) >= ns(abs));
	TRY("clock_nanosleep(past)", syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, &before, NULL));
	TRY("clock_nanosleep(THREAD_CPUTIME)", syscall(SYS_clock_nanosleep, CLOCK_THREAD_CPUTIME_ID, 0, &req, NULL));
	TRY("clock_nanosleep(bad clock)", syscall(SYS_clock_nanosleep, 99, 0, &req, NULL));

	unsigned char buf[64];
	memset(buf, 0, sizeof buf);
	TRY("getrandom 64", syscall(SYS_getrandom, buf, sizeof buf, 0));
	int nz = 0;
	for (unsigned i = 0; i < sizeof buf; i++) nz += buf[i] != 0;
	printf("random has nonzero bytes %d\n", nz > 0);
	TRY("getrandom(bad flags)", syscall(SYS_getrandom, buf, 8, 0x100));
	TRY("getrandom(RANDOM|INSECURE)", syscall(SYS_getrandom, buf, 8, 6));
	TRY("getrandom(bad ptr)", syscall(SYS_getrandom, (void *)8, 8, 0));
	TRY("getrandom(0)", syscall(SYS_getrandom, buf, 0, 0));

	struct sysinfo si;
	TRY("sysinfo", sysinfo(&si) == 0 && si.totalram > 0 && si.mem_unit > 0 ? 0 : -1);
	TRY("sysinfo(bad)", syscall(SYS_sysinfo, (void *)8));
	return 0;
}
