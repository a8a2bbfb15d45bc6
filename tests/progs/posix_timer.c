/* timer_create/settime/gettime/getoverrun/delete: SIGEV_SIGNAL with a
 * value, SIGEV_NONE, SIGEV_THREAD_ID, absolute times, overruns while the
 * signal is blocked, and the error cases. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#if defined(__GLIBC__) && !defined(sigev_notify_thread_id)
#define sigev_notify_thread_id _sigev_un._tid
#endif

static volatile sig_atomic_t hits, lastval, lastcode;
static void handler(int sig, siginfo_t *si, void *uc) {
	(void)sig; (void)uc;
	hits++;
	lastval = si->si_value.sival_int;
	lastcode = si->si_code;
}

static void sleep_ms(int ms) {
	struct timespec ts = {0, ms * 1000L * 1000L};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {}
}

int main(void) {
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = handler;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigaction(SIGRTMIN, &sa, NULL);

	struct sigevent ev;
	memset(&ev, 0, sizeof ev);
	ev.sigev_notify = SIGEV_SIGNAL;
	ev.sigev_signo = SIGRTMIN;
	ev.sigev_value.sival_int = 77;
	timer_t t;
	printf("create = %d\n", timer_create(CLOCK_MONOTONIC, &ev, &t));
	/* Armed for 100 s first, so that what is left is seen however late
	 * a loaded machine lets the program look; then for 20 ms. */
	struct itimerspec its = {{0, 0}, {0, 20 * 1000 * 1000}}, cur, longer = {{0, 0}, {100, 0}};
	printf("settime = %d\n", timer_settime(t, 0, &longer, NULL));
	timer_gettime(t, &cur);
	printf("armed: %d\n", cur.it_value.tv_sec <= 100 && (cur.it_value.tv_sec > 0 || cur.it_value.tv_nsec > 0));
	timer_settime(t, 0, &its, NULL);
	while (!hits) pause();
	printf("one-shot: hits %d value %d code %s\n", hits, lastval, lastcode == SI_TIMER ? "SI_TIMER" : "other");
	timer_gettime(t, &cur);
	printf("disarmed after expiry: %ld %ld\n", (long)cur.it_value.tv_sec, (long)cur.it_value.tv_nsec);

	/* periodic with the signal blocked: expiries pile up as overruns */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN);
	sigprocmask(SIG_BLOCK, &set, NULL);
	hits = 0;
	struct itimerspec per = {{0, 5 * 1000 * 1000}, {0, 5 * 1000 * 1000}};
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	timer_settime(t, 0, &per, NULL);
	sleep_ms(60);
	siginfo_t si;
	int sig = sigwaitinfo(&set, &si);
	int ovr = timer_getoverrun(t);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	/* At least 12 periods passed; at most as many as the clock says (a
	 * loaded machine may oversleep, so the bound is measured). */
	long periods = ((t1.tv_sec - t0.tv_sec) * 1000000000L + t1.tv_nsec - t0.tv_nsec) / (5 * 1000 * 1000);
	printf("blocked periodic: one signal %d overrun plausible %d si_overrun matches %d\n", sig == SIGRTMIN, ovr >= 3 && ovr <= periods, si.si_overrun == ovr);
	struct itimerspec zero = {{0, 0}, {0, 0}};
	timer_settime(t, 0, &zero, NULL);
	sigprocmask(SIG_UNBLOCK, &set, NULL);

	/* absolute time */
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	struct itimerspec abs = {{0, 0}, now};
	abs.it_value.tv_nsec += 10 * 1000 * 1000;
	if (abs.it_value.tv_nsec >= 1000000000L) { abs.it_value.tv_sec++; abs.it_value.tv_nsec -= 1000000000L; }
	hits = 0;
	printf("abs settime = %d\n", timer_settime(t, TIMER_ABSTIME, &abs, NULL));
	while (!hits) pause();
	printf("abs fired %d\n", hits);
	printf("delete = %d\n", timer_delete(t));

	/* SIGEV_NONE: no signal, but gettime counts down */
	ev.sigev_notify = SIGEV_NONE;
	timer_t n;
	timer_create(CLOCK_REALTIME, &ev, &n);
	struct itimerspec s = {{0, 0}, {10, 0}};
	timer_settime(n, 0, &s, NULL);
	timer_gettime(n, &cur);
	printf("SIGEV_NONE counts down: %d\n", cur.it_value.tv_sec == 9 || cur.it_value.tv_sec == 10);
	timer_delete(n);

	/* SIGEV_THREAD_ID to ourselves */
	ev.sigev_notify = SIGEV_THREAD_ID;
	ev.sigev_signo = SIGRTMIN;
	ev.sigev_notify_thread_id = syscall(SYS_gettid);
	timer_t th;
	printf("thread-id create = %d\n", timer_create(CLOCK_MONOTONIC, &ev, &th));
	hits = 0;
	timer_settime(th, 0, &its, NULL);
	while (!hits) pause();
	printf("thread-id fired %d\n", hits);
	timer_delete(th);

	errno = 0;
	int r = timer_create(99, NULL, &n);
	printf("bad clock = %d %s\n", r, errno == EINVAL ? "EINVAL" : "other");
	errno = 0;
	ev.sigev_notify = SIGEV_SIGNAL;
	ev.sigev_signo = 99;
	r = timer_create(CLOCK_MONOTONIC, &ev, &n);
	printf("bad signal = %d %s\n", r, errno == EINVAL ? "EINVAL" : "other");
	errno = 0;
	r = syscall(SYS_timer_delete, 12345);
	printf("delete unknown = %d %s\n", r, errno == EINVAL ? "EINVAL" : "other");
	errno = 0;
	r = syscall(SYS_timer_gettime, 12345, &cur);
	printf("gettime unknown = %d %s\n", r, errno == EINVAL ? "EINVAL" : "other");
	return 0;
}
