/* Helpers of the mountapi_*.c tests: the new mount API's calls by
 * number (glibc 2.36 and musl lack some), their constants under names of
 * our own (glibc's <sys/mount.h> defines some of Linux's), and a private
 * mount namespace to work in. */
#include "file_common.h"
#include <grp.h>
#include <sched.h>
#include <stdint.h>
#include <sys/mount.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#define NR_open_tree 428
#define NR_move_mount 429
#define NR_fsopen 430
#define NR_fsconfig 431
#define NR_fsmount 432
#define NR_fspick 433
#define NR_mount_setattr 442
#define NR_statmount 457
#define NR_listmount 458
#define NR_open_tree_attr 467

#define K_FSCONFIG_SET_FLAG 0
#define K_FSCONFIG_SET_STRING 1
#define K_FSCONFIG_SET_BINARY 2
#define K_FSCONFIG_SET_PATH 3
#define K_FSCONFIG_SET_FD 5
#define K_FSCONFIG_CMD_CREATE 6
#define K_FSCONFIG_CMD_RECONFIGURE 7

#define K_ATTR_RDONLY 0x1
#define K_ATTR_NOSUID 0x2
#define K_ATTR_NODEV 0x4
#define K_ATTR_NOEXEC 0x8
#define K_ATTR__ATIME 0x70
#define K_ATTR_NOATIME 0x10
#define K_ATTR_STRICTATIME 0x20
#define K_ATTR_NODIRATIME 0x80
#define K_ATTR_IDMAP 0x100000
#define K_ATTR_NOSYMFOLLOW 0x200000

#define K_MOVE_F_EMPTY_PATH 0x4
#define K_OPEN_TREE_CLONE 1
#define K_AT_RECURSIVE 0x8000

struct k_mount_attr {
	uint64_t attr_set, attr_clr, propagation, userns_fd;
};

static long k_fsopen(const char *fs, unsigned fl) { return syscall(NR_fsopen, fs, fl); }
static long k_fsconfig(int fd, unsigned cmd, const char *key, const void *val, int aux) {
	return syscall(NR_fsconfig, fd, cmd, key, val, aux);
}
static long k_fsmount(int fd, unsigned fl, unsigned attr) { return syscall(NR_fsmount, fd, fl, attr); }
static long k_move_mount(int fd1, const char *p1, int fd2, const char *p2, unsigned fl) {
	return syscall(NR_move_mount, fd1, p1, fd2, p2, fl);
}
static long k_open_tree(int fd, const char *p, unsigned fl) { return syscall(NR_open_tree, fd, p, fl); }
static long k_fspick(int fd, const char *p, unsigned fl) { return syscall(NR_fspick, fd, p, fl); }
static long k_setattr(int fd, const char *p, unsigned fl, struct k_mount_attr *a, size_t sz) {
	return syscall(NR_mount_setattr, fd, p, fl, a, sz);
}

/* readlog prints the messages waiting on a file system context. */
static void readlog(int fd) {
	char b[512];
	long n;
	while ((n = read(fd, b, sizeof b)) > 0) printf("log: %.*s", (int)n, b);
	printf("log end: %s\n", errname(errno));
}

/* private_ns makes the caller's mount namespace its own, with nothing
 * propagating in or out. */
static void private_ns(void) {
	if (unshare(CLONE_NEWNS) < 0 || mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		printf("private namespace: %s\n", errname(errno));
		exit(1);
	}
}

/* mountline prints the mount options, file system type and source of
 * the mounts on dir/rel in /proc/self/mountinfo, and whether they are
 * shared (not the peer group id, which depends on the rest of the
 * system). */
static void mountline(const char *rel) {
	char want[512], line[1024];
	snprintf(want, sizeof want, "%s/%s", dir, rel);
	FILE *f = fopen("/proc/self/mountinfo", "r");
	if (!f) return;
	int found = 0;
	while (fgets(line, sizeof line, f)) {
		char point[512], opts[256], rest[512];
		if (sscanf(line, "%*s %*s %*s %*s %511s %255s %511[^\n]", point, opts, rest) != 3) continue;
		if (strcmp(point, want)) continue;
		found++;
		char *dash = strstr(rest, "- ");
		if (!dash) continue;
		char fstype[64], src[256];
		if (sscanf(dash + 2, "%63s %255s", fstype, src) != 2) continue;
		char *sh = strstr(rest, "shared:");
		printf("mount %s: %s%s %s %s\n", rel, opts, sh && sh < dash ? " shared" : "", fstype, src);
	}
	if (!found) printf("mount %s: none\n", rel);
	fclose(f);
}

/* kstatx is struct statx up to stx_mnt_id. */
struct kstatx {
	unsigned int mask, blksize;
	unsigned long long attributes;
	unsigned int nlink, uid, gid;
	unsigned short mode, pad;
	unsigned long long ino, size, blocks, attributes_mask;
	struct { long long sec; unsigned int nsec; int pad; } atime, btime, ctime, mtime;
	unsigned int rdev_major, rdev_minor, dev_major, dev_minor;
	unsigned long long mnt_id;
	unsigned long long spare[13];
};

#define K_STATX_MNT_ID 0x1000
#define K_STATX_MNT_ID_UNIQUE 0x4000

/* mntid returns the mount id statx gives for a path (dirfd with an
 * empty path) when asked for want (the unique id with
 * K_STATX_MNT_ID_UNIQUE), or 0. */
static uint64_t mntid(int dirfd, const char *p, unsigned want) {
	struct kstatx sx;
	memset(&sx, 0, sizeof sx);
	if (syscall(SYS_statx, dirfd, p, AT_EMPTY_PATH, want, &sx) < 0) return 0;
	return sx.mnt_id;
}

/* uniq is the unique mount id of a path. */
static uint64_t uniq(int dirfd, const char *p) { return mntid(dirfd, p, K_STATX_MNT_ID_UNIQUE); }

/* in_private_ns runs body in a child in a private mount namespace, so
 * that its mounts vanish with it and the parent can remove the
 * directory. */
static void in_private_ns(void (*body)(void)) {
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		private_ns();
		body();
		fflush(stdout);
		_exit(0);
	}
	int st;
	waitpid(c, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st)) printf("child: status %x\n", st);
}

/* as_user runs body in a child with uid and gid 1000 and no
 * capabilities. */
static void as_user(void (*body)(void)) {
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		if (setgroups(0, NULL) < 0 || setgid(1000) < 0 || setuid(1000) < 0) {
			printf("drop privileges: %s\n", errname(errno));
			_exit(1);
		}
		body();
		fflush(stdout);
		_exit(0);
	}
	waitpid(c, NULL, 0);
}
