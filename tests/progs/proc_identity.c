/* Process identity, limits, arch_prctl and friends, with their error cases. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

static const char *en(int e) {
	switch (e) {
	case 0: return "OK";
	case EFAULT: return "EFAULT";
	case EINVAL: return "EINVAL";
	case EPERM: return "EPERM";
	case ESRCH: return "ESRCH";
	case ENOSYS: return "ENOSYS";
	case ENODEV: return "ENODEV";
	}
	static char buf[32];
	snprintf(buf, sizeof buf, "errno%d", e);
	return buf;
}

#define TRY(name, expr) do { errno = 0; long r_ = (long)(expr); printf("%s = %ld %s\n", name, r_ < 0 ? -1L : r_, r_ < 0 ? en(errno) : ""); } while (0)

int main(void) {
	printf("pid==tid %d\n", getpid() == (pid_t)syscall(SYS_gettid));
	printf("uid==euid %d gid==egid %d\n", getuid() == geteuid(), getgid() == getegid());
	uid_t r, e, s;
	TRY("getresuid", getresuid(&r, &e, &s));
	printf("resuid consistent %d\n", r == getuid() && e == geteuid());
	TRY("getresuid(bad)", syscall(SYS_getresuid, (void *)8, &e, &s));
	int n = getgroups(0, NULL);
	printf("getgroups(0) >= 0: %d\n", n >= 0);
	gid_t g[1];
	if (n > 1)
		TRY("getgroups(too small)", getgroups(1, g));
	TRY("getgroups(-1)", syscall(SYS_getgroups, -1, NULL));

	struct rlimit rl;
	TRY("getrlimit(NOFILE)", getrlimit(RLIMIT_NOFILE, &rl));
	TRY("getrlimit(99)", getrlimit(99, &rl));
	TRY("getrlimit(bad ptr)", syscall(SYS_getrlimit, RLIMIT_NOFILE, (void *)8));
	struct rlimit nl = {rl.rlim_cur / 2, rl.rlim_max};
	TRY("setrlimit(NOFILE half)", setrlimit(RLIMIT_NOFILE, &nl));
	struct rlimit got;
	getrlimit(RLIMIT_NOFILE, &got);
	printf("halved %d\n", got.rlim_cur == rl.rlim_cur / 2);
	struct rlimit bad = {10, 5};
	TRY("setrlimit(cur>max)", setrlimit(RLIMIT_NOFILE, &bad));
	struct rlimit old;
	TRY("prlimit(self,STACK)", prlimit(0, RLIMIT_STACK, NULL, &old));
	TRY("prlimit(nonexistent pid)", prlimit(999999, RLIMIT_STACK, NULL, &old));
	TRY("prlimit(99)", prlimit(0, 99, NULL, &old));

	unsigned long fs;
	TRY("arch_prctl(GET_FS)", syscall(SYS_arch_prctl, 0x1003, &fs));
	printf("fs nonzero %d\n", fs != 0);
	TRY("arch_prctl(GET_FS bad ptr)", syscall(SYS_arch_prctl, 0x1003, (void *)8));
	TRY("arch_prctl(bogus)", syscall(SYS_arch_prctl, 0x9999, 0));
	TRY("arch_prctl(SET_FS kernel addr)", syscall(SYS_arch_prctl, 0x1002, 0xffff800000000000UL));

	TRY("set_robust_list(bad len)", syscall(SYS_set_robust_list, NULL, 7));

	cpu_set_t set;
	TRY("sched_getaffinity", sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0 ? 0 : -1);
	TRY("sched_getaffinity(raw size 4)", syscall(SYS_sched_getaffinity, 0, 4, &set));
	TRY("sched_getaffinity(raw size 12)", syscall(SYS_sched_getaffinity, 0, 12, &set));
	TRY("sched_getaffinity(esrch)", syscall(SYS_sched_getaffinity, 999999, sizeof set, &set));
	TRY("sched_yield", sched_yield());

	struct utsname u;
	TRY("uname", uname(&u));
	printf("sysname %s machine %s\n", u.sysname, u.machine);
	TRY("uname(bad)", syscall(SYS_uname, (void *)8));
	unsigned cpu, node;
	TRY("getcpu", syscall(SYS_getcpu, &cpu, &node, NULL));
	TRY("getcpu(bad)", syscall(SYS_getcpu, (void *)8, &node, NULL));
	umask(022);
	printf("umask kept: %03o\n", (unsigned)umask(077));
	TRY("nosuch syscall 1000", syscall(1000));
	return 0;
}
