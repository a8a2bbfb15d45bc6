/* clock_nanosleep on CPU-time clocks sleeps until the clock reaches the
 * time, not for wall time: on a spinning child's process clock (its
 * user+system, user and user+system-by-another-name kinds), on another
 * thread's clock, and on the caller's own process clock while another
 * thread spins, relative and absolute, the clock reads at least the
 * deadline afterwards. A clock that does not move (a child blocked in a
 * read, a zombie) keeps the sleeper asleep until a signal: EINTR with
 * the clock's time left (all of it) in rem, from a repeating
 * ITIMER_REAL's handler, which any order of the signal and the call
 * meets. And the errors, raw system calls: the thread's own clock (by
 * CLOCK_THREAD_CPUTIME_ID, EOPNOTSUPP; by pid 0 or its tid, EINVAL), a
 * bad time, a bad address, a reaped child, a child as a thread clock. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MK(pid, which) ((clockid_t)((~(unsigned)(pid)) << 3 | (which)))
#define MS 1000000LL

static const char *en(int e) {
	switch (e) {
	case 0: return "OK";
	case EINVAL: return "EINVAL";
	case EINTR: return "EINTR";
	case EFAULT: return "EFAULT";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	}
	return strerror(e);
}

static long long now(clockid_t c) {
	struct timespec ts;
	if (syscall(SYS_clock_gettime, c, &ts)) return -1;
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* One raw clock_nanosleep: 0 or the errno. */
static int nsleep(clockid_t c, int flags, long long ns, struct timespec *rem) {
	struct timespec ts = {ns / 1000000000LL, ns % 1000000000LL};
	return syscall(SYS_clock_nanosleep, c, flags, &ts, rem) ? errno : 0;
}

/* Sleep until clock c has moved by ns, relative then absolute, and say
 * whether it did. No signal is armed here: each sleep is one call. */
static void sleep_on(const char *label, clockid_t c, long long ns) {
	long long a = now(c);
	int r = nsleep(c, 0, ns, NULL);
	long long b = now(c);
	printf("%s: relative %s, moved by the time: %s\n", label, en(r), b - a >= ns ? "yes" : "no");
	r = nsleep(c, TIMER_ABSTIME, b + ns, NULL);
	long long d = now(c);
	printf("%s: absolute %s, reached the time: %s\n", label, en(r), d >= b + ns ? "yes" : "no");
}

static volatile sig_atomic_t alarms;
static void on_alarm(int sig) {
	(void)sig;
	alarms++;
}

/* A repeating 100 ms ITIMER_REAL: a sleep on a clock that stands still
 * ends with EINTR whether the first signal comes before it or not. */
static void alarm_on(int on) {
	struct itimerval iv = {{0, on ? 100000 : 0}, {0, on ? 100000 : 0}};
	setitimer(ITIMER_REAL, &iv, NULL);
}

/* A sleep on a clock that stands still: interrupted, all the time left. */
static void still(const char *label, clockid_t c) {
	struct timespec rem = {-1, -1};
	alarm_on(1);
	int r = nsleep(c, 0, 1000 * MS, &rem);
	alarm_on(0);
	long long left = rem.tv_sec * 1000000000LL + rem.tv_nsec;
	printf("%s: relative %s, rem over 900 ms: %s\n", label, en(r), left > 900 * MS ? "yes" : "no");
	alarm_on(1);
	r = nsleep(c, TIMER_ABSTIME, now(c) + 1000 * MS, NULL);
	alarm_on(0);
	printf("%s: absolute %s\n", label, en(r));
}

static volatile int *stop;
static pid_t spinner_tid;
static int ready[2];

static void *spin(void *arg) {
	spinner_tid = syscall(SYS_gettid);
	if (write(ready[1], "x", 1) != 1) return NULL;
	while (!*stop) {
	}
	return arg;
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	struct sigaction sa = {.sa_handler = on_alarm, .sa_flags = SA_RESTART};
	sigaction(SIGALRM, &sa, NULL);
	stop = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (stop == MAP_FAILED) return 1;
	pid_t me = getpid();

	/* Errors. */
	printf("CLOCK_THREAD_CPUTIME_ID: %s\n", en(nsleep(CLOCK_THREAD_CPUTIME_ID, 0, MS, NULL)));
	printf("own thread by pid 0: %s\n", en(nsleep(MK(0, 6), 0, MS, NULL)));
	printf("own thread by tid: %s\n", en(nsleep(MK(me, 6), 0, MS, NULL)));
	printf("own thread, bad address: %s\n",
	       en(syscall(SYS_clock_nanosleep, MK(0, 6), 0, (void *)8, NULL) ? errno : 0));
	printf("own process, bad address: %s\n",
	       en(syscall(SYS_clock_nanosleep, CLOCK_PROCESS_CPUTIME_ID, 0, (void *)8, NULL) ? errno : 0));
	printf("own process, negative time: %s\n", en(nsleep(CLOCK_PROCESS_CPUTIME_ID, 0, -1, NULL)));
	printf("own process, which 3 (a clock descriptor's id): %s\n", en(nsleep(MK(me, 3), 0, MS, NULL)));
	printf("own thread, which 3: %s\n", en(nsleep(MK(me, 7), 0, MS, NULL)));
	printf("other thread, which 3: %s\n", en(nsleep(MK(me + 100000, 7), 0, MS, NULL)));
	printf("own process, absolute, past: %s\n", en(nsleep(CLOCK_PROCESS_CPUTIME_ID, TIMER_ABSTIME, 0, NULL)));
	printf("own process, zero: %s\n", en(nsleep(MK(0, 2), 0, 0, NULL)));

	/* A spinning child. */
	pid_t child = fork();
	if (child == 0) {
		while (!*stop) {
		}
		_exit(0);
	}
	sleep_on("child, user+system", MK(child, 2), 50 * MS);
	sleep_on("child, user", MK(child, 1), 20 * MS);
	sleep_on("child, prof", MK(child, 0), 20 * MS);
	printf("child as a thread clock: %s\n", en(nsleep(MK(child, 6), 0, MS, NULL)));
	printf("child, absolute, past: %s\n", en(nsleep(MK(child, 2), TIMER_ABSTIME, 1, NULL)));
	*stop = 1;
	int st;
	if (waitpid(child, &st, 0) != child) return 1;
	*stop = 0;

	/* A spinning thread, by its own clock and the process's. */
	if (pipe(ready)) return 1;
	pthread_t th;
	pthread_create(&th, NULL, spin, NULL);
	char c;
	if (read(ready[0], &c, 1) != 1) return 1;
	clockid_t tc;
	pthread_getcpuclockid(th, &tc);
	sleep_on("thread (pthread_getcpuclockid)", tc, 50 * MS);
	sleep_on("thread by tid", MK(spinner_tid, 6), 20 * MS);
	sleep_on("own process (CLOCK_PROCESS_CPUTIME_ID)", CLOCK_PROCESS_CPUTIME_ID, 50 * MS);
	sleep_on("own process by pid", MK(me, 2), 20 * MS);
	*stop = 1;
	pthread_join(th, NULL);

	/* Clocks that stand still. */
	int p[2], q[2];
	if (pipe(p) || pipe(q)) return 1;
	child = fork();
	if (child == 0) {
		if (write(p[1], "x", 1) != 1) _exit(1);
		if (read(q[0], &c, 1) != 1) _exit(1);
		_exit(0);
	}
	if (read(p[0], &c, 1) != 1) return 1;
	still("blocked child", MK(child, 2));
	if (write(q[1], "x", 1) != 1) return 1;
	siginfo_t si;
	if (waitid(P_PID, child, &si, WEXITED | WNOWAIT)) return 1;
	still("zombie child", MK(child, 2));
	still("own process, one thread", CLOCK_PROCESS_CPUTIME_ID);
	waitpid(child, &st, 0);
	printf("reaped child: %s\n", en(nsleep(MK(child, 2), 0, MS, NULL)));
	printf("alarms caught: %s\n", alarms > 0 ? "yes" : "no");
	return 0;
}
