/* Relative times of centuries on CPU-time clocks never come: a
 * clock_nanosleep on the process's CPU clock sleeps until a signal
 * (EINTR), a CPU-clock timer and ITIMER_PROF keep a huge value instead
 * of firing at once (the deadline must not wrap around). */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t alarms, profs;
static void on_alarm(int s) { (void)s; alarms++; }
static void on_prof(int s) { (void)s; profs++; }

int main(void) {
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	sa.sa_handler = on_prof;
	sigaction(SIGPROF, &sa, NULL);

	/* A repeating real-time timer interrupts the sleep whenever it
	 * starts. */
	struct itimerval rep = {{0, 100000}, {0, 100000}};
	setitimer(ITIMER_REAL, &rep, NULL);
	struct timespec huge = {LONG_MAX / 4, 0};
	int r = clock_nanosleep(CLOCK_PROCESS_CPUTIME_ID, 0, &huge, NULL);
	printf("clock_nanosleep: %s, alarms seen: %d\n", r == EINTR ? "EINTR" : r == 0 ? "0 (woke at once)" : strerror(r), alarms > 0);
	struct itimerval off = {{0, 0}, {0, 0}};
	setitimer(ITIMER_REAL, &off, NULL);

	struct itimerval prof = {{0, 0}, {LONG_MAX / 4, 0}};
	int e = setitimer(ITIMER_PROF, &prof, NULL);
	for (volatile long i = 0; i < 20000000; i++)
		;
	struct itimerval cur;
	getitimer(ITIMER_PROF, &cur);
	printf("setitimer(ITIMER_PROF, huge): %d, still armed with over a year: %d, SIGPROF: %d\n", e, cur.it_value.tv_sec > 366L * 86400, profs);
	setitimer(ITIMER_PROF, &off, NULL);

	timer_t id;
	struct sigevent ev;
	memset(&ev, 0, sizeof ev);
	ev.sigev_notify = SIGEV_SIGNAL;
	ev.sigev_signo = SIGPROF;
	timer_create(CLOCK_PROCESS_CPUTIME_ID, &ev, &id);
	struct itimerspec its = {{0, 0}, {LONG_MAX / 4, 0}};
	e = timer_settime(id, 0, &its, NULL);
	for (volatile long i = 0; i < 20000000; i++)
		;
	struct itimerspec now;
	timer_gettime(id, &now);
	printf("timer_settime(huge): %d, still armed with over a year: %d, SIGPROF: %d\n", e, now.it_value.tv_sec > 366L * 86400, profs);
	return 0;
}
