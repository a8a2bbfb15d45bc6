/* A libseccomp user: builds a filter with argument comparisons, loads it
 * and shows what each call then returns. */
#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static void show(const char *what, long r)
{
	printf("%s = %ld (%s)\n", what, r, r < 0 ? strerror(errno) : "ok");
}

int main(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx)
		return 1;
	printf("resolve getpid: %d, name of 39: %s\n", seccomp_syscall_resolve_name("getpid"),
	       seccomp_syscall_resolve_num_arch(SCMP_ARCH_X86_64, 39));
	seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(getppid), 0);
	seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(dup), 1, SCMP_A0(SCMP_CMP_GT, 100));
	seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOTDIR), SCMP_SYS(openat), 1,
			 SCMP_A2(SCMP_CMP_MASKED_EQ, O_CREAT, O_CREAT));
	seccomp_rule_add(ctx, SCMP_ACT_ERRNO(E2BIG), SCMP_SYS(kill), 2, SCMP_A0(SCMP_CMP_EQ, 0),
			 SCMP_A1(SCMP_CMP_LE, 5));
	int rc = seccomp_load(ctx);
	printf("load = %d\n", rc);
	seccomp_release(ctx);
	show("getppid", syscall(SYS_getppid));
	show("dup(1)", syscall(SYS_dup, 1) > 0);
	show("dup(101)", syscall(SYS_dup, 101));
	show("open read", open("/etc/hostname", O_RDONLY) >= 0);
	show("open create", open("/var/tmp/kite-libseccomp-never", O_WRONLY | O_CREAT, 0600));
	show("kill(0,0)", syscall(SYS_kill, 0, 0));
	show("kill(0,18)", syscall(SYS_kill, 0, 18));
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	while (f && fgets(line, sizeof line, f))
		if (!strncmp(line, "Seccomp", 7))
			fputs(line, stdout);
	return 0;
}
