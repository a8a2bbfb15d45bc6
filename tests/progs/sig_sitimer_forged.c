/* A program may queue itself a siginfo with si_code SI_TIMER through
 * rt_sigqueueinfo; unlike a POSIX timer's own signal it is an ordinary
 * queued signal: a standard signal already pending is merged (one
 * instance however many are sent), a real-time one queued each time. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int queue(int sig, int code) {
	siginfo_t si;
	memset(&si, 0, sizeof si);
	si.si_signo = sig;
	si.si_code = code;
	si.si_value.sival_int = 7;
	return syscall(SYS_rt_sigqueueinfo, getpid(), sig, &si);
}

static int drain(int sig) {
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, sig);
	struct timespec zero = {0, 0};
	int n = 0;
	siginfo_t si;
	while (sigtimedwait(&set, &si, &zero) == sig) {
		if (n == 0)
			printf("  first: code %d value %d\n", si.si_code, si.si_value.sival_int);
		n++;
	}
	return n;
}

int main(void) {
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGRTMIN);
	sigprocmask(SIG_BLOCK, &set, NULL);
	int ok = 0;
	for (int i = 0; i < 1000; i++)
		ok += queue(SIGUSR1, -2 /* SI_TIMER */) == 0;
	printf("SIGUSR1 SI_TIMER sent %d\n", ok);
	printf("SIGUSR1 taken %d\n", drain(SIGUSR1));
	ok = 0;
	for (int i = 0; i < 10; i++)
		ok += queue(SIGRTMIN, -2) == 0;
	printf("SIGRTMIN SI_TIMER sent %d\n", ok);
	printf("SIGRTMIN taken %d\n", drain(SIGRTMIN));
	ok = 0;
	for (int i = 0; i < 10; i++)
		ok += queue(SIGUSR1, SI_QUEUE) == 0;
	printf("SIGUSR1 SI_QUEUE sent %d, taken %d\n", ok, drain(SIGUSR1));
	return 0;
}
