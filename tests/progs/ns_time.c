/* Time and cgroup namespaces: unshare(CLONE_NEWTIME) and
 * /proc/self/timens_offsets (format, errors, frozen once a process
 * entered), the offsets seen by a child on CLOCK_MONOTONIC (and its raw
 * and coarse variants) and CLOCK_BOOTTIME but not CLOCK_REALTIME, in
 * /proc/uptime, absolute clock_nanosleep, timerfd and POSIX timers;
 * setns into a time namespace by file and by pidfd; unshare and setns of
 * a cgroup namespace and the "0::/" line of /proc/self/cgroup. Clock
 * values are compared, never printed. Run as a user, the privileged steps meet the
 * unprivileged errors. */
#include "file_common.h"
#include <sched.h>
#include <signal.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <stdint.h>
#include <time.h>

static double now(clockid_t c) {
	struct timespec ts;
	clock_gettime(c, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double uptime(void) {
	FILE *f = fopen("/proc/uptime", "r");
	double up = 0;
	if (f) {
		if (fscanf(f, "%lf", &up) != 1) up = 0;
		fclose(f);
	}
	return up;
}

static void show_offsets(const char *who) {
	int fd = open("/proc/self/timens_offsets", O_RDONLY);
	char buf[256] = {0};
	if (fd < 0) {
		printf("%s: open timens_offsets: %s\n", who, errname(errno));
		return;
	}
	read(fd, buf, sizeof buf - 1);
	close(fd);
	printf("%s: timens_offsets:\n%s", who, buf);
}

static void write_offsets(const char *label, const char *text) {
	int fd = open("/proc/self/timens_offsets", O_WRONLY);
	if (fd < 0) {
		printf("%s: open: %s\n", label, errname(errno));
		return;
	}
	CHECK(label, write(fd, text, strlen(text)));
	close(fd);
}

static ino_t nsino(const char *p) {
	struct stat st;
	if (stat(p, &st) < 0) return 0;
	return st.st_ino;
}

/* shift prints whether a clock read inside a namespace was shifted by
 * want seconds from the same clock outside, read at before and after
 * (the process inside read it in between: fork, exec and setns take up
 * to a quarter of a second under kite on a loaded machine, so a rounded
 * difference from one reading was not certain). */
static void shift(const char *name, double inside, double before, double after, double want) {
	double lo = inside - after, hi = inside - before;
	if (lo <= want + 0.02 && hi >= want - 0.02)
		printf("%s shifted by %.0f s\n", name, want);
	else
		printf("%s shifted by %.2f to %.2f s, not %.0f\n", name, lo, hi, want);
}

/* offset returns the offset of clock ("monotonic" or "boottime") that
 * /proc/self/timens_offsets shows for the process's children. */
static double offset(const char *clock) {
	FILE *f = fopen("/proc/self/timens_offsets", "r");
	char name[32];
	long long sec, nsec;
	double off = 0;
	while (f && fscanf(f, "%31s %lld %lld", name, &sec, &nsec) == 3)
		if (!strcmp(name, clock)) off = sec + nsec / 1e9;
	if (f) fclose(f);
	return off;
}

struct sample {
	double mono, raw, coarse, boot, real, up;
};

static void take(struct sample *s) {
	s->mono = now(CLOCK_MONOTONIC);
	s->raw = now(CLOCK_MONOTONIC_RAW);
	s->coarse = now(CLOCK_MONOTONIC_COARSE);
	s->boot = now(CLOCK_BOOTTIME);
	s->real = now(CLOCK_REALTIME);
	s->up = uptime();
}

static void timers_inside(void) {
	/* Absolute sleeps and timers are in the namespace's time: a
	 * deadline 20 ms ahead of the shifted clock is 20 ms away. */
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_nsec += 20000000;
	if (ts.tv_nsec >= 1000000000) ts.tv_sec++, ts.tv_nsec -= 1000000000;
	CHECK("absolute clock_nanosleep", clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL));
	int tfd = timerfd_create(CLOCK_BOOTTIME, 0);
	struct itimerspec its = {0};
	clock_gettime(CLOCK_BOOTTIME, &its.it_value);
	its.it_value.tv_nsec += 20000000;
	if (its.it_value.tv_nsec >= 1000000000) its.it_value.tv_sec++, its.it_value.tv_nsec -= 1000000000;
	CHECK("timerfd absolute", timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL));
	uint64_t n = 0;
	CHECK("timerfd read", read(tfd, &n, sizeof n));
	printf("timerfd expirations %d\n", (int)n);
	timer_t tid;
	struct sigevent sev = {.sigev_notify = SIGEV_NONE};
	CHECK("timer_create", timer_create(CLOCK_MONOTONIC, &sev, &tid));
	struct itimerspec pit = {0}, cur;
	clock_gettime(CLOCK_MONOTONIC, &pit.it_value);
	pit.it_value.tv_sec += 3600;
	CHECK("timer_settime absolute", timer_settime(tid, TIMER_ABSTIME, &pit, NULL));
	timer_gettime(tid, &cur);
	printf("timer left %.0f s\n", cur.it_value.tv_sec + cur.it_value.tv_nsec / 1e9);
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	alarm(100);
	show_offsets("initial");
	int init_time = open("/proc/self/ns/time", O_RDONLY);
	write_offsets("write in the initial namespace", "monotonic 10 0\n");
	ino_t t0 = nsino("/proc/self/ns/time");
	CHECK("unshare(CLONE_NEWTIME)", unshare(CLONE_NEWTIME));
	printf("own time namespace unchanged: %d\n", nsino("/proc/self/ns/time") == t0);
	printf("time_for_children is new: %d\n", nsino("/proc/self/ns/time_for_children") != t0);
	show_offsets("new namespace");
	write_offsets("bad clock name", "realtime 1 0\n");
	write_offsets("bad clock id", "2 1 0\n");
	write_offsets("nsec too big", "monotonic 1 1000000000\n");
	write_offsets("missing field", "monotonic 1\n");
	write_offsets("too far back", "monotonic -99999999999 0\n");
	write_offsets("by clock id", "1 5 0\n");
	write_offsets("both", "monotonic 1000 0\nboottime 2000 500\n");
	show_offsets("after writes");

	struct sample out, in;
	int p[2], q[2];
	pipe(p);
	pipe(q);
	take(&out);
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		take(&in);
		write_offsets("write once entered", "monotonic 1 0\n");
		show_offsets("child");
		timers_inside();
		fflush(stdout);
		write(p[1], &in, sizeof in);
		/* Stay until the parent is done with our namespace. */
		char b;
		read(q[0], &b, 1);
		_exit(0);
	}
	read(p[0], &in, sizeof in);
	struct sample after;
	take(&after);
	double mono_off = offset("monotonic"), boot_off = offset("boottime");
	shift("CLOCK_MONOTONIC", in.mono, out.mono, after.mono, mono_off);
	shift("CLOCK_MONOTONIC_RAW", in.raw, out.raw, after.raw, mono_off);
	shift("CLOCK_MONOTONIC_COARSE", in.coarse, out.coarse, after.coarse, mono_off);
	shift("CLOCK_BOOTTIME", in.boot, out.boot, after.boot, boot_off);
	shift("CLOCK_REALTIME", in.real, out.real, after.real, 0);
	shift("/proc/uptime", in.up, out.up, after.up, boot_off);
	write_offsets("write after a child entered", "monotonic 1 0\n");

	/* setns into the child's time namespace, by file and by pidfd. */
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/ns/time", c);
	int tfd = open(path, O_RDONLY);
	int pfd = syscall(SYS_pidfd_open, c, 0);
	pid_t d = fork();
	if (d == 0) {
		/* Forked into the new namespace: back to the initial one
		 * first. */
		CHECK("setns(initial time namespace)", setns(init_time, CLONE_NEWTIME));
		/* The realtime clock, not shifted, times the setns. */
		double real0 = now(CLOCK_REALTIME), before = now(CLOCK_MONOTONIC);
		CHECK("setns(time file)", setns(tfd, CLONE_NEWTIME));
		double inside = now(CLOCK_MONOTONIC);
		shift("after setns: CLOCK_MONOTONIC", inside, before, before + now(CLOCK_REALTIME) - real0, mono_off);
		printf("time_for_children follows: %d\n", nsino("/proc/self/ns/time_for_children") == nsino("/proc/self/ns/time"));
		fflush(stdout);
		_exit(0);
	}
	waitpid(d, NULL, 0);
	d = fork();
	if (d == 0) {
		setns(init_time, CLONE_NEWTIME);
		double real0 = now(CLOCK_REALTIME), before = now(CLOCK_BOOTTIME);
		CHECK("setns(pidfd, CLONE_NEWTIME|CLONE_NEWCGROUP)", setns(pfd, CLONE_NEWTIME | CLONE_NEWCGROUP));
		double inside = now(CLOCK_BOOTTIME);
		shift("after setns by pidfd: CLOCK_BOOTTIME", inside, before, before + now(CLOCK_REALTIME) - real0, boot_off);
		fflush(stdout);
		_exit(0);
	}
	waitpid(d, NULL, 0);
	write(q[1], "x", 1);
	int st;
	waitpid(c, &st, 0);
	printf("child: %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st));

	/* Cgroup namespaces. */
	ino_t c0 = nsino("/proc/self/ns/cgroup");
	CHECK("unshare(CLONE_NEWCGROUP)", unshare(CLONE_NEWCGROUP));
	printf("cgroup namespace changed: %d\n", nsino("/proc/self/ns/cgroup") != c0);
	FILE *f = fopen("/proc/self/cgroup", "r");
	char line[256];
	while (f && fgets(line, sizeof line, f))
		if (!strncmp(line, "0::", 3)) printf("cgroup v2 line: %s", line);
	if (f) fclose(f);
	return 0;
}
