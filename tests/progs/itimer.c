/* alarm, setitimer and getitimer: ITIMER_REAL delivery, periodic timers,
 * ITIMER_PROF on a busy loop, and the error cases. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

static volatile sig_atomic_t alrm, prof;
static void on_alrm(int s) { (void)s; alrm++; }
static void on_prof(int s) { (void)s; prof++; }

int main(void) {
	signal(SIGALRM, on_alrm);
	printf("alarm(10) = %u\n", alarm(10));
	printf("alarm(0) = %u\n", alarm(0));

	/* SIGALRM is blocked until sigsuspend waits for it, so a machine
	 * that delays the program past the 20 ms cannot lose it before the
	 * wait. */
	struct itimerval v = {{0, 0}, {0, 20000}}, old;
	sigset_t alrmset, none;
	sigemptyset(&alrmset);
	sigaddset(&alrmset, SIGALRM);
	sigemptyset(&none);
	sigprocmask(SIG_BLOCK, &alrmset, NULL);
	printf("setitimer REAL 20ms = %d\n", setitimer(ITIMER_REAL, &v, NULL));
	sigsuspend(&none);
	sigprocmask(SIG_UNBLOCK, &alrmset, NULL);
	printf("alarms after pause %d\n", alrm);

	struct itimerval per = {{0, 10000}, {0, 10000}};
	setitimer(ITIMER_REAL, &per, NULL);
	while (alrm < 5)
		pause();
	getitimer(ITIMER_REAL, &old);
	printf("periodic: interval %ld us, value within interval %d\n", (long)old.it_interval.tv_usec,
	       old.it_value.tv_sec == 0 && old.it_value.tv_usec <= 10000);
	struct itimerval zero = {{0, 0}, {0, 0}};
	setitimer(ITIMER_REAL, &zero, &old);
	getitimer(ITIMER_REAL, &old);
	printf("disarmed: %ld %ld\n", (long)old.it_value.tv_sec, (long)old.it_value.tv_usec);

	signal(SIGPROF, on_prof);
	struct itimerval p = {{0, 0}, {0, 30000}};
	setitimer(ITIMER_PROF, &p, NULL);
	volatile unsigned long spin = 0;
	while (!prof)
		spin++;
	printf("SIGPROF after busy loop %d\n", prof);

	struct itimerval bad = {{0, 0}, {0, 1000000}};
	long r;
	errno = 0;
	r = setitimer(ITIMER_REAL, &bad, NULL);
	printf("setitimer bad usec = %ld %s\n", r, errno == EINVAL ? "EINVAL" : "other");
	errno = 0;
	r = setitimer(7, &v, NULL);
	printf("setitimer bad which = %ld %s\n", r, errno == EINVAL ? "EINVAL" : "other");
	errno = 0;
	r = getitimer(7, &old);
	printf("getitimer bad which = %ld %s\n", r, errno == EINVAL ? "EINVAL" : "other");
	errno = 0;
	r = syscall(SYS_getitimer, ITIMER_REAL, (void *)8);
	printf("getitimer bad ptr = %ld %s\n", r, errno == EFAULT ? "EFAULT" : "other");
	return 0;
}
