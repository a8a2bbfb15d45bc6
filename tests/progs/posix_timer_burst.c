/* A burst of POSIX timer signals: a 20 us interval timer whose signals
 * arrive while the program makes system calls, with overruns. kite once
 * deadlocked here (a timer expiry and a signal dequeue took two locks in
 * opposite orders). alarm() turns a hang into a failure. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t fired;
static timer_t timer;
static volatile long overruns;

static void handler(int sig, siginfo_t *si, void *uc) {
	(void)sig;
	(void)uc;
	if (si->si_code == SI_TIMER) {
		int o = timer_getoverrun(timer);
		if (o > 0)
			overruns += o;
	}
	fired++;
}

int main(void) {
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = handler;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigaction(SIGRTMIN, &sa, NULL);
	alarm(100);
	struct sigevent ev;
	memset(&ev, 0, sizeof ev);
	ev.sigev_notify = SIGEV_SIGNAL;
	ev.sigev_signo = SIGRTMIN;
	ev.sigev_value.sival_ptr = &timer;
	if (timer_create(CLOCK_MONOTONIC, &ev, &timer) < 0) {
		perror("timer_create");
		return 1;
	}
	struct itimerspec its = {{0, 20000}, {0, 20000}};
	if (timer_settime(timer, 0, &its, NULL) < 0) {
		perror("timer_settime");
		return 1;
	}
	struct timespec nap = {0, 50000};
	long calls = 0;
	while (fired < 2000) {
		/* System calls, some interrupted and restarted. */
		getppid();
		if (++calls % 16 == 0)
			clock_nanosleep(CLOCK_MONOTONIC, 0, &nap, NULL);
	}
	struct itimerspec off = {{0, 0}, {0, 0}};
	timer_settime(timer, 0, &off, NULL);
	timer_delete(timer);
	printf("2000 timer signals handled\n");
	return 0;
}
