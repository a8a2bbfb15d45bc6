/* Run under kite only (it sets CLOCK_REALTIME, which a test must never do
 * to the host): clock_settime's errors and effect, and
 * TFD_TIMER_CANCEL_ON_SET, checked against Linux's documented behaviour
 * (clock_settime(2), timerfd_create(2)): a read of an absolute realtime
 * timerfd armed with TFD_TIMER_CANCEL_ON_SET fails with ECANCELED after
 * the clock is set (and the file polls readable), once; timers without
 * the flag, relative ones and CLOCK_MONOTONIC ones are not cancelled; an
 * absolute realtime timer whose time the clock jumps past expires. Each
 * check prints "ok" or what it got; the test wants no "FAIL". */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/ioctl.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int fails;

static void expect(const char *label, long got, long want, int want_errno) {
	int e = errno;
	if (got == want && (want >= 0 || e == want_errno)) {
		printf("%s: ok\n", label);
		return;
	}
	printf("%s: FAIL: got %ld errno %d, want %ld errno %d\n", label, got, e, want, want_errno);
	fails++;
}

static int64_t now_ns(clockid_t c) {
	struct timespec ts;
	clock_gettime(c, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int set_realtime(int64_t ns) {
	struct timespec ts = {ns / 1000000000LL, ns % 1000000000LL};
	return clock_settime(CLOCK_REALTIME, &ts);
}

static int arm(clockid_t c, int flags, int64_t at_ns) {
	int fd = timerfd_create(c, TFD_NONBLOCK);
	struct itimerspec its = {{0, 0}, {at_ns / 1000000000LL, at_ns % 1000000000LL}};
	if (timerfd_settime(fd, flags, &its, NULL) < 0) printf("timerfd_settime: %s\n", strerror(errno));
	return fd;
}

static long rd(int fd) {
	uint64_t n;
	errno = 0;
	ssize_t r = read(fd, &n, sizeof n);
	return r < 0 ? -1 : (long)n;
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (geteuid() != 0) {
		printf("FAIL: needs root\n");
		return 1;
	}
	int64_t real0 = now_ns(CLOCK_REALTIME), mono0 = now_ns(CLOCK_MONOTONIC);
	struct timespec ts = {1, 0}, bad = {1, 1000000000};

	errno = 0;
	expect("CLOCK_MONOTONIC is EINVAL", clock_settime(CLOCK_MONOTONIC, &ts), -1, EINVAL);
	expect("CLOCK_REALTIME_COARSE is EINVAL", clock_settime(CLOCK_REALTIME_COARSE, &ts), -1, EINVAL);
	expect("CLOCK_PROCESS_CPUTIME_ID is EPERM", clock_settime(CLOCK_PROCESS_CPUTIME_ID, &ts), -1, EPERM);
	expect("CLOCK_THREAD_CPUTIME_ID with tv_nsec 1e9 is EPERM, not EINVAL (libc checks it first)", syscall(SYS_clock_settime, CLOCK_THREAD_CPUTIME_ID, &bad), -1, EPERM);
	expect("tv_nsec 1e9 is EINVAL", clock_settime(CLOCK_REALTIME, &bad), -1, EINVAL);
	expect("bad pointer is EFAULT", syscall(SYS_clock_settime, CLOCK_REALTIME, (void *)8), -1, EFAULT);
	pid_t pid = fork();
	if (pid == 0) {
		if (setgid(65534) < 0 || setuid(65534) < 0) _exit(2);
		errno = 0;
		int r = set_realtime(real0);
		_exit(r < 0 && errno == EPERM ? 0 : 1);
	}
	int st;
	waitpid(pid, &st, 0);
	errno = 0;
	expect("a user without CAP_SYS_TIME gets EPERM", WIFEXITED(st) ? WEXITSTATUS(st) : 99, 0, 0);

	int64_t hour = 3600LL * 1000000000LL;
	int cancel = arm(CLOCK_REALTIME, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, real0 + hour);
	int plain = arm(CLOCK_REALTIME, TFD_TIMER_ABSTIME, real0 + hour);
	int rel = arm(CLOCK_REALTIME, TFD_TIMER_CANCEL_ON_SET, hour);
	int mono = arm(CLOCK_MONOTONIC, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, mono0 + hour);
	int passed = arm(CLOCK_REALTIME, TFD_TIMER_ABSTIME, real0 + 60 * 1000000000LL);
	expect("before: no expiry", rd(cancel), -1, EAGAIN);

	/* Forward 10 minutes. */
	int64_t target = now_ns(CLOCK_REALTIME) + 600LL * 1000000000LL;
	errno = 0;
	expect("clock_settime forward", set_realtime(target), 0, 0);
	int64_t got = now_ns(CLOCK_REALTIME);
	expect("CLOCK_REALTIME reads the time set", got >= target && got - target < 5000000000LL, 1, 0);
	struct timeval tv;
	gettimeofday(&tv, NULL);
	expect("gettimeofday too", tv.tv_sec >= target / 1000000000LL && tv.tv_sec - target / 1000000000LL < 5, 1, 0);
	expect("time() too", time(NULL) >= target / 1000000000LL, 1, 0);
	int64_t m = now_ns(CLOCK_MONOTONIC);
	expect("CLOCK_MONOTONIC did not jump", m - mono0 < 60 * 1000000000LL, 1, 0);
	struct pollfd p = {cancel, POLLIN, 0};
	expect("the cancelable timerfd polls readable", poll(&p, 1, 0), 1, 0);
	expect("its read is ECANCELED", rd(cancel), -1, ECANCELED);
	expect("once", rd(cancel), -1, EAGAIN);
	expect("without the flag: not cancelled", rd(plain), -1, EAGAIN);
	expect("relative: not cancelled", rd(rel), -1, EAGAIN);
	expect("CLOCK_MONOTONIC: not cancelled", rd(mono), -1, EAGAIN);
	/* The clock passed this timer's time: it expires (a blocking read
	 * returns; the harness's timeout catches a hang). */
	int fl = 0;
	ioctl(passed, FIONBIO, &fl);
	expect("a timer the clock jumped past expires", rd(passed), 1, 0);

	/* Back: the cancelable timer cancels again; re-arming without the
	 * flag ends that. */
	expect("clock_settime back", set_realtime(real0 + (now_ns(CLOCK_MONOTONIC) - mono0)), 0, 0);
	expect("cancelled again", rd(cancel), -1, ECANCELED);
	struct itimerspec its = {{0, 0}, {(real0 + hour) / 1000000000LL, 0}};
	timerfd_settime(cancel, TFD_TIMER_ABSTIME, &its, NULL);
	set_realtime(now_ns(CLOCK_REALTIME));
	expect("re-armed without the flag: not cancelled", rd(cancel), -1, EAGAIN);
	printf("%d failures\n", fails);
	return fails != 0;
}
