/* Scheduling attributes across fork: SCHED_RESET_ON_FORK (reported by
 * sched_getscheduler, clearing it needs privilege, a child of a real-time
 * parent starts as SCHED_OTHER), SCHED_IDLE and nice inherited, and a
 * child pinned by its parent's affinity runs where getcpu says. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SCHED_RESET_ON_FORK
#define SCHED_RESET_ON_FORK 0x40000000
#endif

static void report(const char *what, long r) {
	if (r < 0)
		printf("%s: %s\n", what, strerror(errno));
	else
		printf("%s: %#lx\n", what, r);
}

/* child runs f in a child process and waits for it. */
static void child(void (*f)(void)) {
	fflush(stdout);
	pid_t p = fork();
	if (p < 0) {
		perror("fork");
		exit(1);
	}
	if (p == 0) {
		f();
		fflush(stdout);
		_exit(0);
	}
	int st;
	waitpid(p, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		printf("child status %#x\n", st);
}

static void show(void) {
	struct sched_param p = {99};
	report("  child policy", sched_getscheduler(0));
	report("  child getparam", sched_getparam(0, &p));
	printf("  child priority %d\n", p.sched_priority);
	errno = 0;
	int n = getpriority(PRIO_PROCESS, 0);
	printf("  child nice %d %s\n", n, errno ? strerror(errno) : "");
}

static int pinned;

static void where(void) {
	cpu_set_t s;
	CPU_ZERO(&s);
	sched_getaffinity(0, sizeof s, &s);
	unsigned c = 999;
	syscall(SYS_getcpu, &c, NULL, NULL);
	printf("  child mask count %d, on the pinned cpu: %s %s\n", CPU_COUNT(&s),
	       (int)c == pinned ? "yes" : "no", sched_getcpu() == pinned ? "yes" : "no");
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	struct sched_param p = {0};
	report("policy", sched_getscheduler(0));
	report("BATCH|RESET_ON_FORK", sched_setscheduler(0, SCHED_BATCH | SCHED_RESET_ON_FORK, &p));
	report("policy", sched_getscheduler(0));
	report("setparam keeps the flag", sched_setparam(0, &p));
	report("policy", sched_getscheduler(0));
	report("nice 3", setpriority(PRIO_PROCESS, 0, 3));
	child(show);
	int priv = sched_setscheduler(0, SCHED_BATCH, &p) == 0;
	if (!priv) {
		printf("clearing the flag: %s\n", strerror(errno));
	} else {
		printf("clearing the flag: OK\n");
		report("policy", sched_getscheduler(0));
	}

	report("IDLE", sched_setscheduler(0, SCHED_IDLE, &p));
	child(show);
	if (priv) {
		report("back to OTHER", sched_setscheduler(0, SCHED_OTHER, &p));
		report("policy", sched_getscheduler(0));
	}

	/* A real-time parent with the flag: the child starts as SCHED_OTHER,
	 * nice 0. Without privilege the host refuses, and so does kite. */
	p.sched_priority = 1;
	if (sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &p) == 0) {
		report("policy", sched_getscheduler(0));
		child(show);
		p.sched_priority = 0;
		report("back to OTHER", sched_setscheduler(0, SCHED_OTHER, &p));
	} else {
		printf("FIFO refused: %s\n", priv ? "unexpected" : "unprivileged");
	}

	cpu_set_t all, one;
	CPU_ZERO(&all);
	sched_getaffinity(0, sizeof all, &all);
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &all))
			pinned = c;
	CPU_ZERO(&one);
	CPU_SET(pinned, &one);
	report("pin to the last cpu", sched_setaffinity(0, sizeof one, &one));
	printf("parent on the pinned cpu: %s\n", sched_getcpu() == pinned ? "yes" : "no");
	child(where);
	report("restore", sched_setaffinity(0, sizeof all, &all));
	return 0;
}
