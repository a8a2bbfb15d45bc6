/* Dynamic CPU-time clocks: the ids of clock_getcpuclockid and
 * pthread_getcpuclockid (and the user and user+system variants of the
 * same encoding) work with clock_gettime and clock_getres; a thread
 * clock must name a thread of the caller's process and a process clock
 * a process (or, for clock_gettime, the caller's own thread id);
 * clock_settime refuses them (EPERM, EINVAL for one that does not
 * exist); timer_create takes them (a timer on the thread's CPU clock
 * fires once the thread has run that long), clock_nanosleep all but the
 * caller's own thread clock; a posix clock descriptor's id (low bits 3)
 * has neither (EOPNOTSUPP). Only errors and whether values move are
 * printed. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MK(pid, which) ((clockid_t)((~(unsigned)(pid)) << 3 | (which)))

static const char *en(int e) {
	switch (e) {
	case EINVAL: return "EINVAL";
	case EPERM: return "EPERM";
	case ESRCH: return "ESRCH";
	case EFAULT: return "EFAULT";
	}
	return strerror(e);
}

static void get(const char *label, clockid_t c) {
	struct timespec ts;
	errno = 0;
	int r = syscall(SYS_clock_gettime, c, &ts);
	printf("%s: gettime %s", label, r ? en(errno) : "OK");
	r = syscall(SYS_clock_getres, c, &ts);
	if (r) printf(", getres %s\n", en(errno));
	else printf(", getres %s\n", ts.tv_sec == 0 && ts.tv_nsec == 1 ? "1 ns" : ts.tv_nsec >= 1000000 ? "a tick" : "other");
}

static volatile sig_atomic_t fired;
static void on_alarm(int sig) { fired = sig; }

static void timers(pid_t me) {
	clockid_t ids[] = {MK(0, 2), MK(0, 6), MK(me, 2), MK(me, 6), MK(0, 0), MK(0, 1), MK(me, 3), MK(me, 7)};
	for (int i = 0; i < 8; i++) {
		timer_t tm;
		struct sigevent ev = {.sigev_notify = SIGEV_NONE};
		int r = timer_create(ids[i], &ev, &tm);
		printf("clock %d: timer_create %s", i, r ? en(errno) : "OK");
		if (!r) timer_delete(tm);
		struct timespec ts = {0, 0};
		r = clock_nanosleep(ids[i], TIMER_ABSTIME, &ts, NULL);
		printf(", clock_nanosleep %s\n", r ? en(r) : "OK");
	}
	/* A timer on the thread's own CPU clock fires after 20 ms of it. */
	signal(SIGUSR1, on_alarm);
	timer_t tm;
	struct sigevent ev = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR1};
	if (timer_create(MK(0, 6), &ev, &tm)) {
		printf("timer_create: %s\n", en(errno));
		return;
	}
	struct itimerspec its = {{0, 0}, {0, 20000000}};
	timer_settime(tm, 0, &its, NULL);
	struct timespec start, now;
	clock_gettime(CLOCK_MONOTONIC, &start);
	do
		clock_gettime(CLOCK_MONOTONIC, &now);
	while (!fired && now.tv_sec - start.tv_sec < 120);
	printf("thread CPU timer fired: %s\n", fired == SIGUSR1 ? "yes" : "no");
	timer_delete(tm);
}

static volatile int stop;
static pid_t thread_tid;
static int ready[2], done[2];

static void *spin(void *arg) {
	thread_tid = syscall(SYS_gettid);
	write(ready[1], "x", 1);
	char c;
	read(done[0], &c, 1);
	return arg;
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	pid_t me = getpid();
	clockid_t c;
	printf("pthread_getcpuclockid: %s\n", en(pthread_getcpuclockid(pthread_self(), &c)));
	get("own thread (pthread_getcpuclockid)", c);
	printf("clock_getcpuclockid(0): %s\n", en(clock_getcpuclockid(0, &c)));
	get("own process (clock_getcpuclockid 0)", c);
	get("own process by pid, sched", MK(me, 2));
	get("own process by pid, prof", MK(me, 0));
	get("own process by pid, virt", MK(me, 1));
	get("own thread by tid, sched", MK(me, 6));
	get("own thread by tid, prof", MK(me, 4));
	get("own thread by tid, virt", MK(me, 5));
	get("pid 0 thread, virt", MK(0, 5));
	get("which 3", MK(me, 3));
	get("which 7", MK(me, 7));
	timers(me);

	/* The CPU time moves. */
	struct timespec a, b;
	clock_gettime(MK(0, 6), &a);
	for (volatile long i = 0; i < 50000000; i++) {
	}
	clock_gettime(MK(0, 6), &b);
	printf("thread clock moved: %s\n", b.tv_sec > a.tv_sec || b.tv_nsec > a.tv_nsec ? "yes" : "no");

	pipe(ready);
	pipe(done);
	pthread_t th;
	pthread_create(&th, NULL, spin, NULL);
	char ch;
	read(ready[0], &ch, 1);
	get("other thread of the process", MK(thread_tid, 6));
	get("other thread's tid as a process clock", MK(thread_tid, 2));

	pid_t child = fork();
	if (child == 0) {
		pause();
		_exit(0);
	}
	get("child process", MK(child, 2));
	get("child as a thread clock", MK(child, 6));
	get("no such pid", MK(4000000, 2));
	struct timespec zero = {0, 0};
	printf("settime own process clock: %s\n", syscall(SYS_clock_settime, MK(me, 2), &zero) ? en(errno) : "OK");
	printf("settime no such pid: %s\n", syscall(SYS_clock_settime, MK(4000000, 2), &zero) ? en(errno) : "OK");
	printf("settime other thread's tid as a process clock: %s\n",
	       syscall(SYS_clock_settime, MK(thread_tid, 2), &zero) ? en(errno) : "OK");
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	get("reaped child", MK(child, 2));
	write(done[1], "x", 1);
	pthread_join(th, NULL);
	return 0;
}
