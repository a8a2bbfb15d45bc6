/* Helpers shared by the misc_*, aio_* and keys_* differential tests:
 * print each call's result with errno's name. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *errname(int e) {
	static const struct { int e; const char *n; } names[] = {
		{0, "OK"}, {EPERM, "EPERM"}, {ENOENT, "ENOENT"}, {ESRCH, "ESRCH"},
		{EINTR, "EINTR"}, {EIO, "EIO"}, {EBADF, "EBADF"}, {ECHILD, "ECHILD"},
		{EAGAIN, "EAGAIN"}, {ENOMEM, "ENOMEM"}, {EACCES, "EACCES"},
		{EFAULT, "EFAULT"}, {EBUSY, "EBUSY"}, {EEXIST, "EEXIST"},
		{ENODEV, "ENODEV"}, {ENOTDIR, "ENOTDIR"}, {EISDIR, "EISDIR"},
		{EINVAL, "EINVAL"}, {EMFILE, "EMFILE"}, {EFBIG, "EFBIG"},
		{ESPIPE, "ESPIPE"}, {ERANGE, "ERANGE"}, {ENOSYS, "ENOSYS"},
		{EOPNOTSUPP, "EOPNOTSUPP"}, {ECANCELED, "ECANCELED"},
		{EDQUOT, "EDQUOT"}, {ENOKEY, "ENOKEY"}, {EKEYEXPIRED, "EKEYEXPIRED"},
		{EKEYREVOKED, "EKEYREVOKED"}, {EKEYREJECTED, "EKEYREJECTED"},
		{ESTALE, "ESTALE"}, {EOVERFLOW, "EOVERFLOW"}, {ENOTSUP, "ENOTSUP"},
		{EXDEV, "EXDEV"}, {ENAMETOOLONG, "ENAMETOOLONG"}, {ENOTTY, "ENOTTY"}, {ENXIO, "ENXIO"},
		{ENOSPC, "ENOSPC"}, {E2BIG, "E2BIG"},
	};
	for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++)
		if (names[i].e == e) return names[i].n;
	static char buf[32];
	snprintf(buf, sizeof buf, "errno%d", e);
	return buf;
}

/* CHECK prints "label: ret" or "label: -1 ENAME". */
#define CHECK(label, expr) do { \
	errno = 0; \
	long _r = (long)(expr); \
	if (_r < 0) printf("%s: -1 %s\n", label, errname(errno)); \
	else printf("%s: %ld\n", label, _r); \
} while (0)

/* CHECKX prints the result in hex. */
#define CHECKX(label, expr) do { \
	errno = 0; \
	long _r = (long)(expr); \
	if (_r < 0 && errno) printf("%s: -1 %s\n", label, errname(errno)); \
	else printf("%s: %#lx\n", label, _r); \
} while (0)

/* CHECKOK prints only success or the errno. */
#define CHECKOK(label, expr) do { \
	errno = 0; \
	long _r = (long)(expr); \
	if (_r < 0) printf("%s: -1 %s\n", label, errname(errno)); \
	else printf("%s: ok\n", label); \
} while (0)

/* bad is an address no program maps. */
static void *volatile bad = (void *)8;

/* waitchild waits for pid and prints how it ended. */
static void waitchild(const char *label, pid_t pid) {
	int st;
	if (waitpid(pid, &st, 0) < 0) { printf("%s: waitpid %s\n", label, errname(errno)); return; }
	if (WIFEXITED(st)) printf("%s: exit %d\n", label, WEXITSTATUS(st));
	else if (WIFSIGNALED(st)) printf("%s: signal %d\n", label, WTERMSIG(st));
}
