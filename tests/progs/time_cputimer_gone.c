/* POSIX timers on CPU-time clocks whose target goes away, and on the
 * creating thread's clock. A timer on a child's process clock stays
 * armed while the child is a zombie (timer_settime works; an expiry
 * already past still fires once; one in the future never comes); once
 * the child is reaped timer_gettime reads zero and timer_settime fails
 * with ESRCH, and so for a timer on another thread's clock once it has
 * exited, and for a CLOCK_THREAD_CPUTIME_ID timer whose creating thread
 * has exited. A CLOCK_THREAD_CPUTIME_ID timer counts the creating
 * thread's time even when another thread arms it: that thread spinning
 * does not make it fire, the creator running does. A SIGEV_THREAD_ID
 * timer whose thread has exited signals nobody. timer_create refuses
 * the clocks without timers (ENOTSUP) and ids that are no clock
 * (EINVAL). Only errors and yes/no relations are printed. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#if defined(__GLIBC__) && !defined(sigev_notify_thread_id)
#define sigev_notify_thread_id _sigev_un._tid
#endif

#define MK(pid, which) ((clockid_t)((~(unsigned)(pid)) << 3 | (which)))
#define MS 1000000LL

static const char *en(int r) {
	if (r == 0) return "OK";
	switch (errno) {
	case EINVAL: return "EINVAL";
	case ESRCH: return "ESRCH";
	}
	return strerror(errno);
}

static void show(const char *label, timer_t tm) {
	struct itimerspec its;
	memset(&its, 0xff, sizeof its);
	int r = timer_gettime(tm, &its);
	printf("%s: gettime %s, value %s, interval %s\n", label, en(r),
	       its.it_value.tv_sec || its.it_value.tv_nsec ? "set" : "zero",
	       its.it_interval.tv_sec || its.it_interval.tv_nsec ? "set" : "zero");
}

static int set(timer_t tm, int flags, long long value, long long interval) {
	struct itimerspec its = {{interval / 1000000000LL, interval % 1000000000LL},
				 {value / 1000000000LL, value % 1000000000LL}};
	return timer_settime(tm, flags, &its, NULL);
}

/* Whether SIGUSR1 (blocked) comes within ms milliseconds. */
static int comes(long ms) {
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGUSR1);
	struct timespec ts = {ms / 1000, ms % 1000 * 1000000L};
	return sigtimedwait(&s, NULL, &ts) == SIGUSR1;
}

static timer_t mk(clockid_t c, int *err) {
	timer_t tm;
	struct sigevent ev = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR1};
	*err = timer_create(c, &ev, &tm) ? errno : 0;
	return tm;
}

static long long cpu(clockid_t c) {
	struct timespec ts;
	clock_gettime(c, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int go[2], back[2];
static timer_t shared;
static volatile sig_atomic_t fired;
static void on_usr2(int sig) { fired = sig; }

static void *quit(void *arg) {
	char c;
	if (read(go[0], &c, 1) != 1) return NULL;
	return arg;
}

static pid_t tid;

/* Waits until thread tid of the process is gone for good: pthread_join
 * returns once the thread has cleared its tid, which it does on its
 * way out, before the kernel lets go of it. */
static void gone(pid_t t) {
	while (syscall(SYS_tgkill, getpid(), t, 0) == 0) sched_yield();
}

/* Creates a CLOCK_THREAD_CPUTIME_ID timer and exits. */
static void *creator(void *arg) {
	int err;
	__atomic_store_n(&tid, syscall(SYS_gettid), __ATOMIC_SEQ_CST);
	shared = mk(CLOCK_THREAD_CPUTIME_ID, &err);
	printf("thread's CLOCK_THREAD_CPUTIME_ID timer_create: %s\n", err ? strerror(err) : "OK");
	set(shared, 0, 100000 * MS, 0);
	return arg;
}

/* Arms the main thread's CLOCK_THREAD_CPUTIME_ID timer for 300 ms and
 * spins for 100 ms of its own time while the main thread blocks (whose
 * clock moves by far less than 150 ms meanwhile, on any kernel). */
static void *armer(void *arg) {
	struct itimerspec its = {{0, 0}, {0, 300 * MS}};
	timer_settime(shared, 0, &its, NULL);
	long long start = cpu(CLOCK_THREAD_CPUTIME_ID);
	while (cpu(CLOCK_THREAD_CPUTIME_ID) - start < 100 * MS) {
	}
	timer_gettime(shared, &its);
	long long left = its.it_value.tv_sec * 1000000000LL + its.it_value.tv_nsec;
	printf("after another thread ran 100 ms: fired %s, over 150 ms left %s\n", fired ? "yes" : "no",
	       left > 150 * MS ? "yes" : "no");
	if (write(back[1], "x", 1) != 1) return NULL;
	return arg;
}

static void *gettid_and_quit(void *arg) {
	__atomic_store_n(&tid, syscall(SYS_gettid), __ATOMIC_SEQ_CST);
	return quit(arg);
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGUSR1);
	sigprocmask(SIG_BLOCK, &s, NULL);
	if (pipe(go) || pipe(back)) return 1;

	/* Clocks without timers, and ids that are no clock. */
	clockid_t none[] = {CLOCK_MONOTONIC_RAW, CLOCK_REALTIME_COARSE, CLOCK_MONOTONIC_COARSE, 12, 13};
	for (int i = 0; i < 5; i++) {
		int e;
		timer_t t = mk(none[i], &e);
		printf("clock %d timer_create: %s\n", (int)none[i], e ? strerror(e) : "OK");
		if (!e) timer_delete(t);
	}

	/* A child's process clock. */
	pid_t child = fork();
	if (child == 0) {
		char c;
		if (read(go[0], &c, 1) != 1) _exit(1);
		_exit(0);
	}
	int err;
	timer_t tm = mk(MK(child, 2), &err);
	printf("child's clock timer_create: %s\n", err ? strerror(err) : "OK");
	printf("settime: %s\n", en(set(tm, 0, 100000 * MS, MS)));
	show("child alive", tm);
	if (write(go[1], "x", 1) != 1) return 1;
	siginfo_t si;
	if (waitid(P_PID, child, &si, WEXITED | WNOWAIT)) return 1;
	show("zombie", tm);
	printf("zombie settime: %s\n", en(set(tm, 0, 100000 * MS, 0)));
	show("zombie, armed again", tm);
	printf("zombie settime, absolute, past: %s\n", en(set(tm, TIMER_ABSTIME, 1, 0)));
	printf("fired: %s\n", comes(30000) ? "yes" : "no");
	show("zombie, fired", tm);
	printf("zombie settime, 1 ns: %s\n", en(set(tm, 0, 1, 0)));
	printf("fired within 50 ms: %s\n", comes(50) ? "yes" : "no");
	show("zombie, 1 ns", tm);
	waitpid(child, NULL, 0);
	show("reaped", tm);
	printf("reaped settime: %s\n", en(set(tm, 0, 100000 * MS, 0)));
	printf("reaped settime to zero: %s\n", en(set(tm, 0, 0, 0)));
	printf("reaped getoverrun: %d\n", timer_getoverrun(tm));
	printf("reaped delete: %s\n", en(timer_delete(tm)));

	/* Another thread's clock. */
	pthread_t th;
	pthread_create(&th, NULL, gettid_and_quit, NULL);
	clockid_t tc;
	pthread_getcpuclockid(th, &tc);
	tm = mk(tc, &err);
	printf("thread's clock timer_create: %s\n", err ? strerror(err) : "OK");
	printf("settime: %s\n", en(set(tm, 0, 100000 * MS, 1000 * MS)));
	show("thread alive", tm);
	if (write(go[1], "x", 1) != 1) return 1;
	pthread_join(th, NULL);
	gone(tid);
	show("thread exited", tm);
	printf("exited thread settime: %s\n", en(set(tm, 0, 100000 * MS, 0)));
	printf("delete: %s\n", en(timer_delete(tm)));

	/* A CLOCK_THREAD_CPUTIME_ID timer whose creator exited. */
	pthread_create(&th, NULL, creator, NULL);
	pthread_join(th, NULL);
	gone(tid);
	show("creator exited", shared);
	printf("creator exited settime: %s\n", en(set(shared, 0, 100000 * MS, 0)));
	timer_delete(shared);

	/* The main thread's CLOCK_THREAD_CPUTIME_ID timer, armed by another
	 * thread that spins while the main thread blocks. */
	struct sigaction sa = {.sa_handler = on_usr2};
	sigaction(SIGUSR2, &sa, NULL);
	struct sigevent ev = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR2};
	if (timer_create(CLOCK_THREAD_CPUTIME_ID, &ev, &shared)) return 1;
	pthread_create(&th, NULL, armer, NULL);
	char c;
	if (read(back[0], &c, 1) != 1) return 1;
	pthread_join(th, NULL);
	long long start = cpu(CLOCK_THREAD_CPUTIME_ID);
	while (!fired && cpu(CLOCK_THREAD_CPUTIME_ID) - start < 30000 * MS) {
	}
	printf("after the main thread ran: fired %s\n", fired == SIGUSR2 ? "yes" : "no");
	timer_delete(shared);

	/* SIGEV_THREAD_ID to a thread that exited. */
	__atomic_store_n(&tid, 0, __ATOMIC_SEQ_CST);
	pthread_create(&th, NULL, gettid_and_quit, NULL);
	while (!__atomic_load_n(&tid, __ATOMIC_SEQ_CST)) {
	}
	struct sigevent tev = {.sigev_notify = SIGEV_THREAD_ID, .sigev_signo = SIGUSR1};
	tev.sigev_notify_thread_id = tid;
	printf("SIGEV_THREAD_ID timer_create: %s\n", en(timer_create(CLOCK_MONOTONIC, &tev, &tm)));
	if (write(go[1], "x", 1) != 1) return 1;
	pthread_join(th, NULL);
	gone(tid);
	printf("settime, every 1 ms: %s\n", en(set(tm, 0, MS, MS)));
	printf("a signal within 50 ms: %s\n", comes(50) ? "yes" : "no");
	printf("getoverrun: %d\n", timer_getoverrun(tm));
	show("thread gone", tm);
	printf("delete: %s\n", en(timer_delete(tm)));
	return 0;
}
