/* Shared by the seccomp_*.c tests: the seccomp and classic-BPF ABI written
 * out, since musl's headers have no <linux/seccomp.h> or <linux/filter.h>. */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

struct sock_filter { uint16_t code; uint8_t jt, jf; uint32_t k; };
struct sock_fprog { unsigned short len; struct sock_filter *filter; };
struct seccomp_data { int nr; uint32_t arch; uint64_t instruction_pointer; uint64_t args[6]; };

#define BPF_LD 0x00
#define BPF_LDX 0x01
#define BPF_ST 0x02
#define BPF_STX 0x03
#define BPF_ALU 0x04
#define BPF_JMP 0x05
#define BPF_RET 0x06
#define BPF_MISC 0x07
#define BPF_W 0x00
#define BPF_H 0x08
#define BPF_B 0x10
#define BPF_IMM 0x00
#define BPF_ABS 0x20
#define BPF_IND 0x40
#define BPF_MEM 0x60
#define BPF_LEN 0x80
#define BPF_ADD 0x00
#define BPF_SUB 0x10
#define BPF_MUL 0x20
#define BPF_DIV 0x30
#define BPF_OR 0x40
#define BPF_AND 0x50
#define BPF_LSH 0x60
#define BPF_RSH 0x70
#define BPF_NEG 0x80
#define BPF_MOD 0x90
#define BPF_XOR 0xa0
#define BPF_JA 0x00
#define BPF_JEQ 0x10
#define BPF_JGT 0x20
#define BPF_JGE 0x30
#define BPF_JSET 0x40
#define BPF_K 0x00
#define BPF_X 0x08
#define BPF_A 0x10
#define BPF_TAX 0x00
#define BPF_TXA 0x80
#define BPF_STMT(c, k) { (uint16_t)(c), 0, 0, (uint32_t)(k) }
#define BPF_JUMP(c, k, t, f) { (uint16_t)(c), (t), (f), (uint32_t)(k) }

#define SECCOMP_MODE_STRICT 1
#define SECCOMP_MODE_FILTER 2
#define SECCOMP_SET_MODE_STRICT 0
#define SECCOMP_SET_MODE_FILTER 1
#define SECCOMP_GET_ACTION_AVAIL 2
#define SECCOMP_GET_NOTIF_SIZES 3
#define SECCOMP_FILTER_FLAG_TSYNC 1u
#define SECCOMP_FILTER_FLAG_LOG 2u
#define SECCOMP_FILTER_FLAG_SPEC_ALLOW 4u
#define SECCOMP_FILTER_FLAG_NEW_LISTENER 8u
#define SECCOMP_FILTER_FLAG_TSYNC_ESRCH 16u
#define SECCOMP_RET_KILL_PROCESS 0x80000000u
#define SECCOMP_RET_KILL_THREAD 0x00000000u
#define SECCOMP_RET_TRAP 0x00030000u
#define SECCOMP_RET_ERRNO 0x00050000u
#define SECCOMP_RET_USER_NOTIF 0x7fc00000u
#define SECCOMP_RET_TRACE 0x7ff00000u
#define SECCOMP_RET_LOG 0x7ffc0000u
#define SECCOMP_RET_ALLOW 0x7fff0000u
#define AUDIT_ARCH_X86_64 0xc000003eu
#ifndef PR_SET_NO_NEW_PRIVS
#define PR_SET_NO_NEW_PRIVS 38
#define PR_GET_NO_NEW_PRIVS 39
#endif
#ifndef PR_GET_SECCOMP
#define PR_GET_SECCOMP 21
#define PR_SET_SECCOMP 22
#endif

#define NR_OFF offsetof(struct seccomp_data, nr)
#define ARCH_OFF offsetof(struct seccomp_data, arch)
#define ARG_OFF(i) (offsetof(struct seccomp_data, args) + 8 * (i))

static long sc(long op, long flags, void *args) { return syscall(SYS_seccomp, op, flags, args); }

/* install runs seccomp(SET_MODE_FILTER, flags) on n instructions and
 * returns its result, with errno. */
static long install(unsigned flags, struct sock_filter *f, unsigned short n)
{
	struct sock_fprog p = { n, f };
	return sc(SECCOMP_SET_MODE_FILTER, flags, &p);
}

/* One-syscall filter: nr gets action, everything else is allowed. */
#define ONE(nr, action)                                                      \
	{                                                                    \
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NR_OFF),                  \
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1),             \
		BPF_STMT(BPF_RET | BPF_K, (action)),                         \
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),                \
	}

static long install_one(long nr, uint32_t action, unsigned flags)
{
	struct sock_filter f[] = ONE(nr, action);
	return install(flags, f, 4);
}

/* status prints this process's Seccomp lines of /proc/self/status. */
static void status(const char *tag)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	if (!f) {
		printf("%s: open status: %s\n", tag, strerror(errno));
		return;
	}
	while (fgets(line, sizeof line, f))
		if (!strncmp(line, "Seccomp", 7) || !strncmp(line, "NoNewPrivs", 10))
			printf("%s: %s", tag, line);
	fclose(f);
}

static void report(const char *what, long r)
{
	if (r < 0)
		printf("%s = -1 %s\n", what, strerror(errno));
	else
		printf("%s = %ld\n", what, r);
	fflush(stdout);
}

/* waitdesc prints how a child ended. */
static void waitdesc(const char *what, pid_t pid)
{
	int st;
	if (waitpid(pid, &st, 0) != pid) {
		printf("%s: waitpid: %s\n", what, strerror(errno));
		return;
	}
	if (WIFEXITED(st))
		printf("%s: exited %d\n", what, WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		printf("%s: killed by signal %d\n", what, WTERMSIG(st));
	fflush(stdout);
}

/* unprivileged_setup: the programs also run as a user without
 * capabilities, who may install a filter only under no_new_privs. It
 * checks the refusal once, then sets no_new_privs so that the cases run
 * as they do for root. */
static void unprivileged_setup(void)
{
	if (geteuid() == 0)
		return;
	report("unprivileged install without no_new_privs", install_one(SYS_getppid, SECCOMP_RET_ALLOW, 0));
	report("set no_new_privs", prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0));
}
