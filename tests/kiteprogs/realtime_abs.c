/* Run under kite only (it sets CLOCK_REALTIME): absolute CLOCK_REALTIME
 * timers of timer_create (TIMER_ABSTIME) and absolute
 * clock_nanosleep(CLOCK_REALTIME) follow the clock when it is set, as
 * Linux's clock_was_set re-programs the realtime hrtimers: a timer whose
 * time the clock jumps past expires at once, one still ahead keeps its
 * time (its remaining time moves with the clock), a relative realtime
 * timer counts on as if nothing happened (POSIX; Linux maps it to the
 * monotonic clock), and a sleeper whose time the clock jumps past
 * returns. The harness's timeout catches a hang. Each check prints "ok"
 * or what it got; the test wants no "FAIL". */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int fails;

static void check(const char *label, int ok, long got) {
	if (ok) {
		printf("%s: ok\n", label);
		return;
	}
	printf("%s: FAIL (got %ld)\n", label, got);
	fails++;
}

static const int64_t sec = 1000000000LL, minute = 60 * sec, hour = 3600 * sec;

static int64_t now_ns(clockid_t c) {
	struct timespec ts;
	clock_gettime(c, &ts);
	return ts.tv_sec * sec + ts.tv_nsec;
}

static int set_realtime(int64_t ns) {
	struct timespec ts = {ns / sec, ns % sec};
	return clock_settime(CLOCK_REALTIME, &ts);
}

static timer_t make(int id) {
	struct sigevent ev;
	memset(&ev, 0, sizeof ev);
	ev.sigev_notify = SIGEV_SIGNAL;
	ev.sigev_signo = SIGRTMIN;
	ev.sigev_value.sival_int = id;
	timer_t t;
	if (timer_create(CLOCK_REALTIME, &ev, &t) < 0) printf("FAIL: timer_create: %s\n", strerror(errno));
	return t;
}

static void arm(timer_t t, int flags, int64_t ns) {
	struct itimerspec its = {{0, 0}, {ns / sec, ns % sec}};
	if (timer_settime(t, flags, &its, NULL) < 0) printf("FAIL: timer_settime: %s\n", strerror(errno));
}

static int64_t left(timer_t t) {
	struct itimerspec its;
	timer_gettime(t, &its);
	return its.it_value.tv_sec * sec + its.it_value.tv_nsec;
}

/* asleep waits until pid sleeps (its state in /proc is S). */
static void asleep(pid_t pid) {
	char path[64], buf[256];
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	for (;;) {
		FILE *f = fopen(path, "r");
		if (!f) return;
		size_t n = fread(buf, 1, sizeof buf - 1, f);
		fclose(f);
		buf[n] = 0;
		char *p = strrchr(buf, ')');
		if (p && p[1] == ' ' && p[2] == 'S') return;
		sched_yield();
	}
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (geteuid() != 0) {
		printf("FAIL: needs root\n");
		return 1;
	}
	int64_t real0 = now_ns(CLOCK_REALTIME), mono0 = now_ns(CLOCK_MONOTONIC);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN);
	sigprocmask(SIG_BLOCK, &set, NULL);

	timer_t in1h = make(1), in3h = make(3), rel = make(9);
	arm(in1h, TIMER_ABSTIME, real0 + hour);
	arm(in3h, TIMER_ABSTIME, real0 + 3 * hour);
	arm(rel, 0, hour);

	/* Forward two hours. */
	check("clock_settime forward 2 h", set_realtime(now_ns(CLOCK_REALTIME) + 2 * hour) == 0, errno);
	siginfo_t si;
	int r = sigwaitinfo(&set, &si);
	check("the timer the clock jumped past expires", r == SIGRTMIN && si.si_value.sival_int == 1, si.si_value.sival_int);
	struct timespec zero = {0, 0};
	r = sigtimedwait(&set, &si, &zero);
	check("no other timer expires", r < 0 && errno == EAGAIN, r < 0 ? 0 : si.si_value.sival_int);
	int64_t l = left(in3h);
	check("the timer still ahead has about 1 h left", l > 50 * minute && l <= hour, l / sec);
	l = left(rel);
	check("the relative timer still has about 1 h left", l > 50 * minute && l <= hour, l / sec);
	check("the expired one is disarmed", left(in1h) == 0, left(in1h));

	/* Back three hours: the absolute timer is 4 h away again. */
	check("clock_settime back 3 h", set_realtime(now_ns(CLOCK_REALTIME) - 3 * hour) == 0, errno);
	l = left(in3h);
	check("the absolute timer's time left grows with it", l > 3 * hour + 50 * minute && l <= 4 * hour, l / sec);
	l = left(rel);
	check("the relative timer's does not", l > 50 * minute && l <= hour, l / sec);
	r = sigtimedwait(&set, &si, &zero);
	check("nothing expires", r < 0 && errno == EAGAIN, r);

	/* An absolute sleep until 1 h from now returns when the clock is
	 * set 2 h forward. */
	int64_t wake = now_ns(CLOCK_REALTIME) + hour;
	pid_t pid = fork();
	if (pid == 0) {
		struct timespec ts = {wake / sec, wake % sec};
		int e = clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &ts, NULL);
		_exit(e == 0 && now_ns(CLOCK_REALTIME) >= wake ? 0 : 1);
	}
	asleep(pid);
	check("clock_settime forward 2 h", set_realtime(now_ns(CLOCK_REALTIME) + 2 * hour) == 0, errno);
	int st;
	waitpid(pid, &st, 0);
	check("the absolute sleeper woke at its time", WIFEXITED(st) && WEXITSTATUS(st) == 0, st);

	/* A relative sleep does not end when the clock moves past it. */
	pid = fork();
	if (pid == 0) {
		struct timespec ts = {3600, 0};
		clock_nanosleep(CLOCK_REALTIME, 0, &ts, NULL);
		_exit(3);
	}
	asleep(pid);
	set_realtime(now_ns(CLOCK_REALTIME) + 2 * hour);
	r = waitpid(pid, &st, WNOHANG);
	check("a relative sleeper sleeps on", r == 0, r);
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);

	set_realtime(real0 + (now_ns(CLOCK_MONOTONIC) - mono0));
	printf("%d failures\n", fails);
	return fails != 0;
}
