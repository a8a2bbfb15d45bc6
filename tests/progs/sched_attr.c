/* sched_setattr and sched_getattr: struct sched_attr's sizes (E2BIG with
 * the size written back), each policy with its checks and permissions,
 * nice values, SCHED_FLAG_RESET_ON_FORK, KEEP_POLICY and KEEP_PARAMS,
 * utilization clamps (this kernel and kite have none: EOPNOTSUPP) and
 * SCHED_DEADLINE's parameter checks. (musl's sched_getscheduler and
 * sched_setscheduler are ENOSYS by design: the system calls are made.) Every change is made in a child
 * process so that each case starts from the parent's attributes. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

struct attr {
	uint32_t size, policy;
	uint64_t flags;
	int32_t nice;
	uint32_t prio;
	uint64_t runtime, deadline, period;
	uint32_t util_min, util_max;
	uint8_t tail[16];
};

static const char *en(int e) {
	switch (e) {
	case EINVAL: return "EINVAL";
	case EPERM: return "EPERM";
	case ESRCH: return "ESRCH";
	case EFAULT: return "EFAULT";
	case E2BIG: return "E2BIG";
	case EBUSY: return "EBUSY";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	}
	static char b[32];
	snprintf(b, sizeof b, "errno%d", e);
	return b;
}

static long setattr(pid_t pid, struct attr *a, unsigned flags) {
	return syscall(SYS_sched_setattr, pid, a, flags);
}

static long getattr(pid_t pid, void *a, unsigned size, unsigned flags) {
	return syscall(SYS_sched_getattr, pid, a, size, flags);
}

static void res(const char *what, long r) {
	if (r < 0)
		printf("%s: %s\n", what, en(errno));
	else
		printf("%s: %ld\n", what, r);
}

/* show prints what sched_getattr says of pid (fair tasks' sched_runtime
 * is left out: Linux 6.12 reports the time slice there, older ones 0). */
static void show(const char *who, pid_t pid) {
	struct attr a;
	memset(&a, 0xff, sizeof a);
	if (getattr(pid, &a, sizeof a, 0) < 0) {
		printf("%s getattr: %s\n", who, en(errno));
		return;
	}
	printf("%s size %u policy %u flags %#llx nice %d prio %u", who, a.size, a.policy,
	       (unsigned long long)a.flags, a.nice, a.prio);
	if (a.policy == SCHED_FIFO || a.policy == SCHED_RR)
		printf(" runtime %llu", (unsigned long long)a.runtime);
	printf(" deadline %llu period %llu util %u %u tail %#x", (unsigned long long)a.deadline,
	       (unsigned long long)a.period, a.util_min, a.util_max, a.tail[0]);
	errno = 0;
	int pr = getpriority(PRIO_PROCESS, pid);
	printf(" getpriority %d getscheduler %#lx\n", pr, syscall(SYS_sched_getscheduler, pid));
}

static void child(const char *name, void (*f)(void)) {
	printf("-- %s\n", name);
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

static struct attr mk(uint32_t policy, uint64_t flags, int nice, uint32_t prio) {
	struct attr a;
	memset(&a, 0, sizeof a);
	a.size = 56;
	a.policy = policy;
	a.flags = flags;
	a.nice = nice;
	a.prio = prio;
	return a;
}

static void sizes(void) {
	struct attr a = mk(SCHED_OTHER, 0, 0, 0);
	res("NULL", setattr(0, NULL, 0));
	res("flags 1", setattr(0, &a, 1));
	res("pid -1", setattr(0 - 1, &a, 0));
	res("pid 999999", setattr(999999, &a, 0));
	res("bad pointer", setattr(0, (void *)8, 0));
	a.size = 0;
	res("size 0", setattr(0, &a, 0));
	printf("size after %u\n", a.size);
	a.size = 40;
	res("size 40", setattr(0, &a, 0));
	printf("size after %u\n", a.size);
	a.size = 48;
	res("size 48", setattr(0, &a, 0));
	a.size = 72;
	res("size 72 zero tail", setattr(0, &a, 0));
	a.tail[3] = 1;
	res("size 72 tail set", setattr(0, &a, 0));
	printf("size after %u\n", a.size);
	a.size = 8192;
	res("size 8192", setattr(0, &a, 0));
	printf("size after %u\n", a.size);

	struct attr g;
	res("get NULL", getattr(0, NULL, 56, 0));
	res("get size 47", getattr(0, &g, 47, 0));
	res("get size 4097", getattr(0, &g, 4097, 0));
	res("get flags 1", getattr(0, &g, 56, 1));
	res("get pid -1", getattr(-1, &g, 56, 0));
	res("get pid 999999", getattr(999999, &g, 56, 0));
	res("get bad pointer", getattr(0, (void *)8, 56, 0));
	memset(&g, 0xee, sizeof g);
	res("get size 48", getattr(0, &g, 48, 0));
	printf("size %u util_min %#x\n", g.size, g.util_min);
	unsigned char big[4096];
	memset(big, 0xee, sizeof big);
	res("get size 4096", getattr(0, big, sizeof big, 0));
	uint32_t sz;
	memcpy(&sz, big, 4);
	printf("size %u byte 56 %#x\n", sz, big[56]);
	show("self", 0);
}

static void bad_values(void) {
	struct attr a = mk(77, 0, 0, 0);
	res("policy 77", setattr(0, &a, 0));
	a = mk(-1, 0, 0, 0);
	res("policy -1", setattr(0, &a, 0));
	a = mk(SCHED_OTHER, 0, 0, 5);
	res("OTHER prio 5", setattr(0, &a, 0));
	a = mk(SCHED_FIFO, 0, 0, 0);
	res("FIFO prio 0", setattr(0, &a, 0));
	a = mk(SCHED_RR, 0, 0, 100);
	res("RR prio 100", setattr(0, &a, 0));
	a = mk(SCHED_FIFO, 0, 0, -1);
	res("FIFO prio -1", setattr(0, &a, 0));
	a = mk(SCHED_OTHER, 0x80, 0, 0);
	res("flag 0x80", setattr(0, &a, 0));
	a = mk(SCHED_OTHER, 0x10000000, 0, 0);
	res("SUGOV", setattr(0, &a, 0));
	a = mk(SCHED_OTHER, 0x20, 0, 0);
	a.util_min = 100;
	res("util clamp min", setattr(0, &a, 0));
	a.size = 48;
	res("util clamp in size 48", setattr(0, &a, 0));
	a = mk(SCHED_OTHER, 0x40, 0, 0);
	a.util_max = 1024;
	res("util clamp max", setattr(0, &a, 0));
	a = mk(SCHED_FIFO, 0x20, 0, 10);
	res("util clamp with FIFO 10", setattr(0, &a, 0));
	show("self", 0);
}

static void nice_batch(void) {
	struct attr a = mk(SCHED_BATCH, 0, 5, 0);
	res("BATCH nice 5", setattr(0, &a, 0));
	show("self", 0);
	a = mk(SCHED_BATCH, 0, 30, 0);
	res("BATCH nice 30", setattr(0, &a, 0));
	show("self", 0);
	a = mk(SCHED_OTHER, 0, 0, 0);
	res("OTHER nice 0", setattr(0, &a, 0));
	show("self", 0);
	a = mk(SCHED_OTHER, 0, -30, 0);
	res("OTHER nice -30", setattr(0, &a, 0));
	show("self", 0);
}

static void keep(void) {
	struct attr a = mk(SCHED_BATCH, 0, 2, 0);
	res("BATCH nice 2", setattr(0, &a, 0));
	a = mk(SCHED_OTHER, 0x08, 3, 0);
	res("KEEP_POLICY nice 3", setattr(0, &a, 0));
	show("self", 0);
	a = mk(SCHED_IDLE, 0x10, -10, 0);
	res("KEEP_PARAMS IDLE nice -10", setattr(0, &a, 0));
	show("self", 0);
	a = mk(SCHED_IDLE, 0, 6, 0);
	res("IDLE nice 6", setattr(0, &a, 0));
	show("self", 0);
	a = mk(SCHED_OTHER, 0x18, -19, 0);
	res("KEEP_ALL", setattr(0, &a, 0));
	show("self", 0);
	a = mk(SCHED_OTHER, 0, 3, 0);
	res("IDLE to OTHER nice 3", setattr(0, &a, 0));
	show("self", 0);
}

static void show_child(void) { show("  forked", 0); }

static void reset_on_fork(void) {
	struct attr a = mk(SCHED_OTHER, 1, 0, 0);
	res("OTHER RESET_ON_FORK", setattr(0, &a, 0));
	show("self", 0);
	child("fork", show_child);
	a = mk(SCHED_OTHER, 0x08, 0, 0);
	res("KEEP_POLICY keeps the flag", setattr(0, &a, 0));
	show("self", 0);
	a = mk(SCHED_OTHER, 0, 0, 0);
	res("clear RESET_ON_FORK", setattr(0, &a, 0));
	show("self", 0);
}

static void rt(void) {
	setpriority(PRIO_PROCESS, 0, 5);
	struct attr a = mk(SCHED_FIFO, 0, -3, 10);
	res("FIFO 10", setattr(0, &a, 0));
	show("self", 0);
	a = mk(SCHED_RR, 0x10, 0, 0);
	res("KEEP_PARAMS RR", setattr(0, &a, 0));
	show("self", 0);
	a = mk(SCHED_OTHER, 0x10, 0, 0);
	res("KEEP_PARAMS OTHER from RR", setattr(0, &a, 0));
	a = mk(SCHED_FIFO, 0, 0, 5);
	res("FIFO 5", setattr(0, &a, 0));
	a = mk(SCHED_FIFO, 1, 0, 20);
	res("FIFO 20 RESET_ON_FORK", setattr(0, &a, 0));
	show("self", 0);
	child("fork", show_child);
	a = mk(SCHED_OTHER, 1, 4, 0);
	res("OTHER nice 4", setattr(0, &a, 0));
	show("self", 0);
}

static void deadline(void) {
	struct attr a = mk(6, 0, 0, 0);
	res("DEADLINE zeros", setattr(0, &a, 0));
	a.runtime = 2000000, a.deadline = 1000000, a.period = 10000000;
	res("DEADLINE runtime > deadline", setattr(0, &a, 0));
	a.runtime = 1000, a.deadline = 10000000, a.period = 10000000;
	res("DEADLINE runtime 1000", setattr(0, &a, 0));
	a.runtime = 10000, a.deadline = 50000, a.period = 0;
	res("DEADLINE period 50us", setattr(0, &a, 0));
	a.runtime = 1000000, a.deadline = 10000000, a.period = 5000000;
	res("DEADLINE period < deadline", setattr(0, &a, 0));
	a.runtime = 1000000, a.deadline = 10000000, a.period = 5000000000ull;
	res("DEADLINE period 5s", setattr(0, &a, 0));
	a.runtime = 1000000, a.deadline = 10000000, a.period = 10000000;
	a.prio = 1;
	res("DEADLINE prio 1", setattr(0, &a, 0));
	a.prio = 0;
	/* A kernel with the bandwidth admits the task, another refuses it
	 * with EBUSY (kite has no deadline scheduler). */
	errno = 0;
	long r = setattr(0, &a, 0);
	printf("DEADLINE valid: %s\n", r == 0 || errno == EBUSY ? "admitted or EBUSY" : en(errno));
	if (r == 0) {
		struct attr o = mk(SCHED_OTHER, 0, 0, 0);
		if (setattr(0, &o, 0) < 0)
			printf("back to OTHER: %s\n", en(errno));
	}
	struct sched_param sp = {0};
	res("sched_setscheduler DEADLINE", syscall(SYS_sched_setscheduler, 0, 6, &sp));
	cpu_set_t one;
	CPU_ZERO(&one);
	CPU_SET(0, &one);
	if (sysconf(_SC_NPROCESSORS_ONLN) > 1 && sched_setaffinity(0, sizeof one, &one) == 0)
		res("DEADLINE on one CPU", setattr(0, &a, 0));
	else
		printf("one CPU only\n");
	show("self", 0);
}

static void other_task(void) {
	int pfd[2];
	if (pipe(pfd) < 0) {
		perror("pipe");
		return;
	}
	pid_t p = fork();
	if (p == 0) {
		char c;
		close(pfd[1]);
		read(pfd[0], &c, 1);
		_exit(0);
	}
	close(pfd[0]);
	struct attr a = mk(SCHED_BATCH, 0, 7, 0);
	res("BATCH nice 7 on the child", setattr(p, &a, 0));
	show("child", p);
	a = mk(SCHED_OTHER, 0, 0, 0);
	res("OTHER nice 0 on the child", setattr(p, &a, 0));
	show("child", p);
	res("getattr init", getattr(1, &a, 56, 0));
	close(pfd[1]);
	waitpid(p, NULL, 0);
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	child("sizes", sizes);
	child("bad values", bad_values);
	child("nice and batch", nice_batch);
	child("keep", keep);
	child("reset on fork", reset_on_fork);
	child("real-time", rt);
	child("deadline", deadline);
	child("another task", other_task);
	return 0;
}
