/* A POSIX timer's signal is its own queue entry, and it goes with the
 * setting it was sent for: a timer's SIGUSR1 queues beside a SIGUSR1
 * from kill (both are taken, SI_USER first) and the timer signals again
 * once it is taken; a periodic timer whose signal was ignored signals
 * again once a handler is set (a one-shot one does not); the signal of
 * a timer deleted, set again or disarmed while it is pending still shows
 * in sigpending but is dropped when taken, unless the new setting
 * expires first, whose signal it then is (one signal, not two);
 * timer_settime starts timer_getoverrun again at 0; an
 * SI_TIMER siginfo a process queues itself with rt_sigqueueinfo is
 * delivered as sent. Waits are on sigpending, never on time. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static sigset_t usr1;

static int pending(void) {
	sigset_t s;
	sigpending(&s);
	return sigismember(&s, SIGUSR1);
}

/* Waits for SIGUSR1 to be pending (up to 30 s: a due signal comes at
 * once on a right kernel). */
static void wait_pending(void) {
	for (int i = 0; i < 30000 && !pending(); i++) {
		struct timespec ts = {0, 1000000};
		nanosleep(&ts, NULL);
	}
}

/* Takes SIGUSR1, waiting up to sec seconds for it: its si_code, or
 * "none". A signal that is due comes at once on a right kernel. */
static const char *take_within(int sec) {
	struct timespec ts = {sec, 0};
	siginfo_t si;
	if (sigtimedwait(&usr1, &si, &ts) != SIGUSR1) return errno == EAGAIN ? "none" : strerror(errno);
	switch (si.si_code) {
	case SI_USER: return "SI_USER";
	case SI_TIMER: return "SI_TIMER";
	case SI_QUEUE: return "SI_QUEUE";
	}
	return "other";
}

/* Takes SIGUSR1 if it is there now. */
static const char *take(void) { return take_within(0); }

/* Whether SIGUSR1 is pending, then what is taken. */
static void pending_then_taken(const char *label) {
	int p = pending();
	printf("%s: pending %s, taken %s\n", label, p ? "yes" : "no", take());
}

static void set(timer_t tm, long long value, long long interval) {
	struct itimerspec its = {{interval / 1000000000LL, interval % 1000000000LL},
				 {value / 1000000000LL, value % 1000000000LL}};
	timer_settime(tm, 0, &its, NULL);
}

static volatile sig_atomic_t got;
static void on_usr1(int sig) {
	(void)sig;
	got++;
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, NULL);
	struct sigevent ev = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR1};
	timer_t tm;
	if (timer_create(CLOCK_MONOTONIC, &ev, &tm)) return 1;

	/* Beside a pending SIGUSR1 from kill. */
	kill(getpid(), SIGUSR1);
	set(tm, 1000000, 0);
	/* Once the timer reads disarmed it has expired (its signal may
	 * still be on its way: the takes wait for it). */
	struct itimerspec its;
	do
		timer_gettime(tm, &its);
	while (its.it_value.tv_sec || its.it_value.tv_nsec);
	const char *a = take_within(30), *b = take_within(30), *c = take();
	printf("kill and timer: %s, %s, %s\n", a, b, c);
	set(tm, 1000000, 0);
	wait_pending();
	printf("timer again: %s\n", take());

	/* Deleted, set again, disarmed while pending. */
	set(tm, 1000000, 0);
	wait_pending();
	timer_delete(tm);
	pending_then_taken("deleted");
	if (timer_create(CLOCK_MONOTONIC, &ev, &tm)) return 1;
	set(tm, 1000000, 0);
	wait_pending();
	set(tm, 100000 * 1000000000LL, 0);
	pending_then_taken("set again");
	set(tm, 1000000, 0);
	wait_pending();
	set(tm, 0, 0);
	pending_then_taken("disarmed");
	set(tm, 1000000, 0);
	wait_pending();
	set(tm, 1000000, 0);
	a = take_within(30);
	b = take();
	printf("set again and expired: %s, %s\n", a, b);

	/* timer_settime resets timer_getoverrun: a periodic timer's signal
	 * taken 20 ms after it was first pending carries overruns. */
	set(tm, 1000000, 1000000);
	wait_pending();
	struct timespec twenty = {0, 20000000};
	nanosleep(&twenty, NULL);
	siginfo_t osi;
	sigwaitinfo(&usr1, &osi);
	printf("overruns: si_overrun %s, timer_getoverrun %s\n", osi.si_overrun > 0 ? "some" : "none",
	       timer_getoverrun(tm) > 0 ? "some" : "none");
	set(tm, 100000 * 1000000000LL, 0);
	printf("after timer_settime: timer_getoverrun %d\n", timer_getoverrun(tm));
	set(tm, 0, 0);
	take();

	/* Ignored, then a handler. */
	signal(SIGUSR1, SIG_IGN);
	sigprocmask(SIG_UNBLOCK, &usr1, NULL);
	set(tm, 1000000, 1000000);
	struct timespec ms = {0, 1000000};
	for (int i = 0; i < 20; i++) nanosleep(&ms, NULL);
	signal(SIGUSR1, on_usr1);
	struct timespec start, now;
	clock_gettime(CLOCK_MONOTONIC, &start);
	do
		clock_gettime(CLOCK_MONOTONIC, &now);
	while (!got && now.tv_sec - start.tv_sec < 30);
	printf("periodic, ignored, then a handler: signalled %s\n", got ? "yes" : "no");
	set(tm, 0, 0);
	sigprocmask(SIG_BLOCK, &usr1, NULL);
	take();

	/* The notifications the system call takes (the C libraries carry
	 * out SIGEV_THREAD themselves): SIGEV_THREAD is a signal to the
	 * process, SIGEV_THREAD_ID goes only with SIGEV_SIGNAL. */
	struct {
		unsigned long value;
		int signo, notify, tid, pad[11];
	} kev;
	struct {
		const char *label;
		int notify, signo;
	} kinds[] = {{"SIGEV_THREAD", SIGEV_THREAD, SIGUSR1},
		     {"SIGEV_THREAD, signal 0", SIGEV_THREAD, 0},
		     {"SIGEV_THREAD_ID|SIGEV_NONE", SIGEV_THREAD_ID | SIGEV_NONE, SIGUSR1},
		     {"SIGEV_THREAD_ID|SIGEV_THREAD", SIGEV_THREAD_ID | SIGEV_THREAD, SIGUSR1},
		     {"SIGEV_NONE, signal 999", SIGEV_NONE, 999},
		     {"notify 3", 3, SIGUSR1}};
	for (int i = 0; i < 6; i++) {
		memset(&kev, 0, sizeof kev);
		kev.notify = kinds[i].notify;
		kev.signo = kinds[i].signo;
		kev.tid = syscall(SYS_gettid);
		int id;
		if (syscall(SYS_timer_create, CLOCK_MONOTONIC, &kev, &id)) {
			printf("%s: %s\n", kinds[i].label, strerror(errno));
			continue;
		}
		struct itimerspec one = {{0, 0}, {0, 1000000}};
		syscall(SYS_timer_settime, id, 0, &one, NULL);
		printf("%s: OK, %s\n", kinds[i].label, kinds[i].notify == SIGEV_NONE ? "no signal" : take_within(30));
		syscall(SYS_timer_delete, id);
	}

	/* SI_TIMER from rt_sigqueueinfo. */
	siginfo_t si;
	memset(&si, 0, sizeof si);
	si.si_signo = SIGUSR1;
	si.si_code = SI_TIMER;
	si.si_pid = getpid();
	int r = syscall(SYS_rt_sigqueueinfo, getpid(), SIGUSR1, &si);
	printf("rt_sigqueueinfo SI_TIMER: %s, taken %s\n", r ? strerror(errno) : "OK", take());
	timer_delete(tm);
	return 0;
}
