/* Scheduling attributes and nice values, with their error cases. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *en(int e) {
	switch (e) {
	case 0: return "OK";
	case EINVAL: return "EINVAL";
	case EPERM: return "EPERM";
	case ESRCH: return "ESRCH";
	case EFAULT: return "EFAULT";
	case EACCES: return "EACCES";
	}
	static char b[32];
	snprintf(b, sizeof b, "errno%d", e);
	return b;
}

#define TRY(name, expr) do { errno = 0; long r_ = (long)(expr); int e_ = errno; printf("%s = %ld %s\n", name, r_, r_ < 0 ? en(e_) : ""); } while (0)

int main(void) {
	struct sched_param p = {0};
	TRY("getscheduler", sched_getscheduler(0));
	TRY("getparam", sched_getparam(0, &p));
	printf("priority %d\n", p.sched_priority);
	TRY("max FIFO", sched_get_priority_max(SCHED_FIFO));
	TRY("min FIFO", sched_get_priority_min(SCHED_FIFO));
	TRY("max OTHER", sched_get_priority_max(SCHED_OTHER));
	TRY("max bogus", sched_get_priority_max(77));
	p.sched_priority = 5;
	TRY("setscheduler OTHER prio 5", sched_setscheduler(0, SCHED_OTHER, &p));
	TRY("setscheduler bogus", sched_setscheduler(0, 77, &p));
	TRY("setscheduler esrch", sched_setscheduler(999999, SCHED_OTHER, &p));
	TRY("setscheduler null", syscall(SYS_sched_setscheduler, 0, SCHED_OTHER, NULL));
	TRY("getparam bad ptr", syscall(SYS_sched_getparam, 0, (void *)8));
	p.sched_priority = 0;
	TRY("setscheduler BATCH", sched_setscheduler(0, SCHED_BATCH, &p));
	TRY("getscheduler after", sched_getscheduler(0));
	TRY("setscheduler OTHER", sched_setscheduler(0, SCHED_OTHER, &p));
	struct timespec ts;
	TRY("rr_get_interval", sched_rr_get_interval(0, &ts));

	errno = 0;
	int pr = getpriority(PRIO_PROCESS, 0);
	printf("getpriority = %d %s\n", pr, errno ? en(errno) : "");
	TRY("setpriority 5", setpriority(PRIO_PROCESS, 0, 5));
	errno = 0;
	pr = getpriority(PRIO_PROCESS, 0);
	printf("getpriority after = %d\n", pr);
	TRY("setpriority bogus which", setpriority(9, 0, 1));
	TRY("setpriority esrch", setpriority(PRIO_PROCESS, 999999, 1));
	TRY("setpriority back", setpriority(PRIO_PROCESS, 0, 0));
	TRY("getpriority pgrp", getpriority(PRIO_PGRP, 0) >= -20);

	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	TRY("setaffinity cpu0", sched_setaffinity(0, sizeof set, &set));
	CPU_ZERO(&set);
	sched_getaffinity(0, sizeof set, &set);
	printf("only cpu0: %d count %d\n", CPU_ISSET(0, &set), CPU_COUNT(&set));
	CPU_ZERO(&set);
	TRY("setaffinity empty", sched_setaffinity(0, sizeof set, &set));
	/* The affinity calls look a negative pid up (ESRCH), after checking
	 * the size (getaffinity) or copying the mask in (setaffinity). */
	TRY("getaffinity pid -1", syscall(SYS_sched_getaffinity, -1, sizeof set, &set));
	TRY("getaffinity pid -1 size 3", syscall(SYS_sched_getaffinity, -1, 3, &set));
	TRY("getaffinity no pid size 3", syscall(SYS_sched_getaffinity, 999999, 3, &set));
	TRY("setaffinity pid -1", syscall(SYS_sched_setaffinity, -1, sizeof set, &set));
	TRY("setaffinity pid -1 bad mask", syscall(SYS_sched_setaffinity, -1, sizeof set, (void *)8));
	TRY("getparam pid -1", syscall(SYS_sched_getparam, -1, &p));
	return 0;
}
