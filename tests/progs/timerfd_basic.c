/* timerfd_create, timerfd_settime and timerfd_gettime: error cases,
 * relative and absolute timers, periodic timers counting expirations
 * (a 1 ms timer read after 50 ms reports about 50), old values, readiness
 * through poll and epoll, TFD_IOC_SET_TICKS, blocking reads and signals.
 *
 * A loaded machine may stop the program for a while at any point: checks
 * allow for that (remaining times are checked on long timers, expiries
 * are waited for with poll, not sleeps, and a signal that must interrupt
 * a read repeats until the read is interrupted). */
#include "epoll_common.h"
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <time.h>

#ifndef TFD_IOC_SET_TICKS
#define TFD_IOC_SET_TICKS _IOW('T', 0, uint64_t)
#endif

static long long now_ns(clockid_t c) {
	struct timespec ts;
	clock_gettime(c, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void sleep_ms(int ms) {
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {}
}

static struct itimerspec spec(long long value_ns, long long interval_ns) {
	struct itimerspec s;
	s.it_value.tv_sec = value_ns / 1000000000LL;
	s.it_value.tv_nsec = value_ns % 1000000000LL;
	s.it_interval.tv_sec = interval_ns / 1000000000LL;
	s.it_interval.tv_nsec = interval_ns % 1000000000LL;
	return s;
}

static long long ns(struct timespec t) { return t.tv_sec * 1000000000LL + t.tv_nsec; }

static void rd(const char *label, int fd) {
	uint64_t v = 0;
	errno = 0;
	long n = read(fd, &v, 8);
	if (n < 0) printf("%s: -1 %s\n", label, errname(errno));
	else printf("%s: %ld value %llu\n", label, n, (unsigned long long)v);
}

/* waitready waits (up to 30 s) until fd's timer has expired. */
static void waitready(int fd) {
	struct pollfd p = {.fd = fd, .events = POLLIN};
	poll(&p, 1, 30000);
}

static int readable(int fd) {
	struct pollfd p = {.fd = fd, .events = POLLIN | POLLOUT};
	poll(&p, 1, 0);
	return p.revents;
}

static volatile sig_atomic_t got;
static void handler(int sig) { got = sig; }

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	CHECK("create CLOCK_PROCESS_CPUTIME_ID", timerfd_create(CLOCK_PROCESS_CPUTIME_ID, 0));
	CHECK("create clock 99", timerfd_create(99, 0));
	CHECK("create CLOCK_MONOTONIC_RAW", timerfd_create(CLOCK_MONOTONIC_RAW, 0));
	CHECK("create bad flags", timerfd_create(CLOCK_MONOTONIC, 1));
	int fds[5];
	clockid_t clocks[5] = {CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME, CLOCK_REALTIME_ALARM, CLOCK_BOOTTIME_ALARM};
	for (int i = 0; i < 5; i++) {
		char l[32];
		snprintf(l, sizeof l, "create clock %d", (int)clocks[i]);
		fds[i] = timerfd_create(clocks[i], TFD_NONBLOCK);
		CHECKOK(l, fds[i]);
	}
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	CHECK("F_GETFL", fcntl(fd, F_GETFL) & ~0100000);
	CHECK("F_GETFD", fcntl(fd, F_GETFD));
	struct stat st;
	fstat(fd, &st);
	printf("mode %o\n", st.st_mode);
	char link[64] = "", path[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	CHECKOK("readlink", readlink(path, link, sizeof link - 1));
	printf("link %s\n", link);

	struct itimerspec cur, old, s = spec(0, 0);
	CHECK("gettime fresh", timerfd_gettime(fd, &cur));
	printf("fresh: value %lld interval %lld\n", ns(cur.it_value), ns(cur.it_interval));
	CHECK("gettime bad fd", timerfd_gettime(-1, &cur));
	CHECK("gettime not a timerfd", timerfd_gettime(0, &cur));
	CHECK("gettime bad address", timerfd_gettime(fd, bad));
	CHECK("settime bad flags", timerfd_settime(fd, 4, &s, NULL));
	s.it_value.tv_nsec = 1000000000;
	CHECK("settime bad nsec", timerfd_settime(fd, 0, &s, NULL));
	s = spec(0, 0);
	s.it_interval.tv_sec = -1;
	CHECK("settime negative interval", timerfd_settime(fd, 0, &s, NULL));
	s = spec(0, 0);
	CHECK("settime bad new address", timerfd_settime(fd, 0, bad, NULL));
	CHECK("settime bad address, bad flags", timerfd_settime(fd, 4, bad, NULL));
	CHECK("settime bad fd", timerfd_settime(-1, 0, &s, NULL));
	s.it_value.tv_nsec = -1;
	CHECK("settime bad fd, bad value", timerfd_settime(-1, 0, &s, NULL));
	s = spec(0, 0);
	CHECK("settime not a timerfd", timerfd_settime(0, 0, &s, NULL));
	s = spec(5000000000LL, 0);
	CHECK("settime bad old address", timerfd_settime(fd, 0, &s, bad));
	CHECK("gettime after bad old address", timerfd_gettime(fd, &cur));
	printf("armed anyway: %d\n", ns(cur.it_value) > 4000000000LL);

	char small[8];
	CHECK("read 4 bytes", read(fd, small, 4));
	rd("read before expiry", fd);
	CHECK("pread", pread(fd, small, 8, 0));
	printf("poll before expiry: %#x\n", readable(fd));

	printf("-- one-shot, relative\n");
	s = spec(10000000000LL, 0);
	CHECK("settime 10s", timerfd_settime(fd, 0, &s, &old));
	printf("old value in (0, 5s]: %d, interval %lld\n", ns(old.it_value) > 0 && ns(old.it_value) <= 5000000000LL, ns(old.it_interval));
	timerfd_gettime(fd, &cur);
	printf("remaining in (0, 10s]: %d\n", ns(cur.it_value) > 0 && ns(cur.it_value) <= 10000000000LL);
	s = spec(30000000, 0);
	CHECK("settime 30ms", timerfd_settime(fd, 0, &s, &old));
	printf("old value in (0, 10s]: %d\n", ns(old.it_value) > 0 && ns(old.it_value) <= 10000000000LL);
	struct pollfd pw = {.fd = fd, .events = POLLIN | POLLOUT};
	CHECK("poll until expiry", poll(&pw, 1, 5000));
	printf("revents %#x\n", pw.revents);
	timerfd_gettime(fd, &cur);
	printf("expired: value %lld interval %lld\n", ns(cur.it_value), ns(cur.it_interval));
	rd("read", fd);
	rd("read again", fd);

	printf("-- periodic, 1ms\n");
	long long t0 = now_ns(CLOCK_MONOTONIC);
	s = spec(1000000, 1000000);
	timerfd_settime(fd, 0, &s, NULL);
	long long t0b = now_ns(CLOCK_MONOTONIC);
	sleep_ms(50);
	long long t1 = now_ns(CLOCK_MONOTONIC);
	uint64_t n = 0;
	read(fd, &n, 8);
	long long t2 = now_ns(CLOCK_MONOTONIC);
	/* Expirations counted by the read: at least those due by t1 since
	 * the latest the timer can have started, at most those due by t2
	 * since the earliest. */
	long long lo = (t1 - t0b) / 1000000 - 1, hi = (t2 - t0) / 1000000 + 1;
	printf("about 50 expirations: %d\n", n >= 45 && (long long)n >= lo && (long long)n <= hi);
	if (!(n >= 45 && (long long)n >= lo && (long long)n <= hi)) printf("  got %llu, expected %lld..%lld\n", (unsigned long long)n, lo, hi);
	timerfd_gettime(fd, &cur);
	printf("next in (0, 1ms]: %d, interval %lld\n", ns(cur.it_value) > 0 && ns(cur.it_value) <= 1000000, ns(cur.it_interval));
	s = spec(0, 0);
	timerfd_settime(fd, 0, &s, &old);
	printf("old interval %lld, old value <= 1ms: %d\n", ns(old.it_interval), ns(old.it_value) <= 1000000);
	rd("read after disarm", fd);
	s = spec(0, 7000000);
	timerfd_settime(fd, 0, &s, NULL);
	timerfd_gettime(fd, &cur);
	printf("disarmed with an interval: value %lld interval %lld\n", ns(cur.it_value), ns(cur.it_interval));

	printf("-- absolute\n");
	long long mono = now_ns(CLOCK_MONOTONIC);
	s = spec(mono + 20000000, 0);
	int blk = timerfd_create(CLOCK_MONOTONIC, 0);
	CHECK("settime absolute", timerfd_settime(blk, TFD_TIMER_ABSTIME, &s, NULL));
	timerfd_gettime(blk, &cur);
	printf("relative remaining at most 20ms: %d\n", ns(cur.it_value) <= 20000000);
	rd("blocking read", blk);
	printf("waited until the deadline: %d\n", now_ns(CLOCK_MONOTONIC) >= mono + 20000000);
	s = spec(1, 0);
	CHECK("absolute time in the past", timerfd_settime(fds[1], TFD_TIMER_ABSTIME, &s, NULL));
	waitready(fds[1]);
	rd("read", fds[1]);
	mono = now_ns(CLOCK_MONOTONIC);
	s = spec(mono - 10000000, 1000000);
	timerfd_settime(fds[1], TFD_TIMER_ABSTIME, &s, NULL);
	n = 0;
	while (read(fds[1], &n, 8) < 0) sleep_ms(1);
	printf("periodic, started 10ms ago: >= 10: %d\n", n >= 10);
	long long real = now_ns(CLOCK_REALTIME);
	s = spec(real + 10000000, 0);
	CHECK("realtime absolute with CANCEL_ON_SET", timerfd_settime(fds[0], TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &s, NULL));
	waitready(fds[0]);
	rd("read realtime", fds[0]);
	s = spec(10000000, 0);
	CHECK("CANCEL_ON_SET without ABSTIME", timerfd_settime(fds[0], TFD_TIMER_CANCEL_ON_SET, &s, NULL));
	CHECK("CANCEL_ON_SET on monotonic", timerfd_settime(fds[1], TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &s, NULL));
	s = spec(10000000, 0);
	CHECK("boottime alarm", timerfd_settime(fds[4], 0, &s, NULL));
	waitready(fds[4]);
	rd("read boottime alarm", fds[4]);

	printf("-- epoll\n");
	int ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.u64 = 1}, out[2];
	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	CHECK("nothing yet", epoll_wait(ep, out, 2, 0));
	s = spec(10000000, 0);
	timerfd_settime(fd, 0, &s, NULL);
	CHECK("wait for expiry", epoll_wait(ep, out, 2, 5000));
	print_events("events", out[0].events);
	CHECK("edge: not again", epoll_wait(ep, out, 2, 0));
	rd("read", fd);

	printf("-- TFD_IOC_SET_TICKS\n");
	uint64_t ticks = 0;
	CHECK("set 0 ticks", ioctl(fd, TFD_IOC_SET_TICKS, &ticks));
	ticks = 42;
	CHECK("set 42 ticks", ioctl(fd, TFD_IOC_SET_TICKS, &ticks));
	CHECK("ticks wake epoll", epoll_wait(ep, out, 2, 0));
	rd("read", fd);
	CHECK("bad address", ioctl(fd, TFD_IOC_SET_TICKS, bad));
	CHECK("other ioctl", ioctl(fd, TCGETS, &ticks));

	printf("-- signals\n");
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = handler;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGALRM, &sa, NULL);
	/* SIGALRM every 10 ms: one of them comes while the read blocks. */
	struct itimerval it = {{0, 10000}, {0, 10000}}, off = {{0, 0}, {0, 0}};
	s = spec(100000000, 0);
	timerfd_settime(blk, 0, &s, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
	rd("read restarted after SA_RESTART handler", blk);
	setitimer(ITIMER_REAL, &off, NULL);
	printf("handler ran: %d\n", got == SIGALRM);
	sa.sa_flags = 0;
	sigaction(SIGALRM, &sa, NULL);
	got = 0;
	s = spec(30000000000LL, 0);
	timerfd_settime(blk, 0, &s, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
	rd("read interrupted", blk);
	setitimer(ITIMER_REAL, &off, NULL);
	printf("handler ran: %d\n", got == SIGALRM);
	s = spec(10000000, 0);
	timerfd_settime(blk, 0, &s, NULL);
	rd("then read", blk);
	return 0;
}
