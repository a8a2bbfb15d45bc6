/* Shared by the landlock_*.c tests: the Landlock ABI written out (musl's
 * headers have no <linux/landlock.h>) and helpers that print the errno
 * name of each attempt, so that the host and kite outputs compare. The
 * tests use the rights of ABI 4 at most (and fewer if the kernel's ABI
 * is older), so they print the same on a newer kernel. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#define SYS_landlock_add_rule 445
#define SYS_landlock_restrict_self 446
#endif

struct ll_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
	uint64_t scoped;
};

struct ll_path_beneath_attr {
	uint64_t allowed_access;
	int32_t parent_fd;
} __attribute__((packed));

#define LL_CREATE_RULESET_VERSION (1U << 0)
#define LL_RULE_PATH_BENEATH 1
#define LL_RULE_NET_PORT 2

#define LL_FS_EXECUTE (1ULL << 0)
#define LL_FS_WRITE_FILE (1ULL << 1)
#define LL_FS_READ_FILE (1ULL << 2)
#define LL_FS_READ_DIR (1ULL << 3)
#define LL_FS_REMOVE_DIR (1ULL << 4)
#define LL_FS_REMOVE_FILE (1ULL << 5)
#define LL_FS_MAKE_CHAR (1ULL << 6)
#define LL_FS_MAKE_DIR (1ULL << 7)
#define LL_FS_MAKE_REG (1ULL << 8)
#define LL_FS_MAKE_SOCK (1ULL << 9)
#define LL_FS_MAKE_FIFO (1ULL << 10)
#define LL_FS_MAKE_BLOCK (1ULL << 11)
#define LL_FS_MAKE_SYM (1ULL << 12)
#define LL_FS_REFER (1ULL << 13)
#define LL_FS_TRUNCATE (1ULL << 14)
#define LL_FS_IOCTL_DEV (1ULL << 15)

#define LL_NET_BIND_TCP (1ULL << 0)
#define LL_NET_CONNECT_TCP (1ULL << 1)

struct ll_net_port_attr {
	uint64_t allowed_access;
	uint64_t port;
};

/* The rights of ABI 1, and the whole of ABI 3. */
#define LL_FS_ABI1 ((1ULL << 13) - 1)
#define LL_FS_ALL (LL_FS_ABI1 | LL_FS_REFER | LL_FS_TRUNCATE)

static inline long ll_create(const void *attr, size_t size, uint32_t flags)
{
	return syscall(SYS_landlock_create_ruleset, attr, size, flags);
}

static inline long ll_add(int fd, int type, const void *attr, uint32_t flags)
{
	return syscall(SYS_landlock_add_rule, fd, type, attr, flags);
}

static inline long ll_restrict(int fd, uint32_t flags)
{
	return syscall(SYS_landlock_restrict_self, fd, flags);
}

static const char *errname(int e)
{
	switch (e) {
	case 0: return "ok";
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case EBADF: return "EBADF";
	case EACCES: return "EACCES";
	case EFAULT: return "EFAULT";
	case EEXIST: return "EEXIST";
	case EXDEV: return "EXDEV";
	case ENOTDIR: return "ENOTDIR";
	case EISDIR: return "EISDIR";
	case EINVAL: return "EINVAL";
	case E2BIG: return "E2BIG";
	case ENOMSG: return "ENOMSG";
	case EBADFD: return "EBADFD";
	case ENOSYS: return "ENOSYS";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case ENOTEMPTY: return "ENOTEMPTY";
	case ESRCH: return "ESRCH";
	case EAFNOSUPPORT: return "EAFNOSUPPORT";
	case ECONNREFUSED: return "ECONNREFUSED";
	case EADDRINUSE: return "EADDRINUSE";
	case ENOTTY: return "ENOTTY";
	}
	static char buf[32];
	snprintf(buf, sizeof buf, "errno %d", e);
	return buf;
}

/* report prints what and the errno name of a call that returned r (the
 * value itself is not printed: fds and the ABI version vary). */
static void report(const char *what, long r)
{
	printf("%s: %s\n", what, r < 0 ? errname(errno) : "ok");
	fflush(stdout);
}

/* abi returns the Landlock ABI version the kernel implements, or exits
 * with a message when it has none. */
static int abi(void)
{
	long v = ll_create(NULL, 0, LL_CREATE_RULESET_VERSION);
	if (v < 0) {
		printf("no landlock: %s\n", errname(errno));
		exit(0);
	}
	return (int)v;
}

/* handled returns the rights of want that ABI version v knows. */
static uint64_t handled(int v, uint64_t want)
{
	if (v < 2)
		want &= ~LL_FS_REFER;
	if (v < 3)
		want &= ~LL_FS_TRUNCATE;
	return want;
}

/* ruleset makes a ruleset handling fs rights, or exits. */
static int ruleset(uint64_t fs)
{
	struct ll_ruleset_attr a = { .handled_access_fs = fs };
	int fd = (int)ll_create(&a, sizeof a, 0);
	if (fd < 0) {
		printf("create_ruleset: %s\n", errname(errno));
		exit(1);
	}
	return fd;
}

/* allow adds a rule granting access beneath path (opened O_PATH). */
static void allow(int rs, const char *path, uint64_t access)
{
	struct ll_path_beneath_attr pb = { .allowed_access = access };
	pb.parent_fd = open(path, O_PATH | O_CLOEXEC);
	if (pb.parent_fd < 0 || ll_add(rs, LL_RULE_PATH_BENEATH, &pb, 0) < 0) {
		printf("allow %s: %s\n", path, errname(errno));
		exit(1);
	}
	close(pb.parent_fd);
}

/* enforce sets no_new_privs and restricts the caller with rs, closing it. */
static void enforce(int rs)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || ll_restrict(rs, 0) < 0) {
		printf("restrict: %s\n", errname(errno));
		exit(1);
	}
	close(rs);
}

/* waitchild waits for pid and prints how it ended if not by exit 0. */
static void waitchild(const char *what, pid_t pid)
{
	int st;
	if (waitpid(pid, &st, 0) != pid)
		printf("%s: waitpid: %s\n", what, errname(errno));
	else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		printf("%s: child status %#x\n", what, st);
	fflush(stdout);
}
