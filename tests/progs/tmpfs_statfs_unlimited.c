/* statfs of a tmpfs without a size or inode limit: mount -t tmpfs with
 * size=0,nr_inodes=0 reports 0 blocks and 0 inodes (total, free and
 * available), size=0 alone 0 blocks, and a memfd's file system (which
 * has no limits) likewise; a mount with size= and nr_inodes= reports
 * them. Runs in a private mount namespace (with a user namespace when
 * not root). */
#include "file_common.h"
#include <sched.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/vfs.h>
#include <sys/wait.h>

static void put(const char *path, const char *text) {
	int fd = open(path, O_WRONLY);
	if (fd < 0 || write(fd, text, strlen(text)) < 0) printf("write %s: %s\n", path, errname(errno));
	if (fd >= 0) close(fd);
}

static int newns(void) {
	uid_t uid = getuid();
	gid_t gid = getgid();
	if (unshare(CLONE_NEWNS) < 0) {
		if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0) {
			printf("unshare: %s\n", errname(errno));
			return -1;
		}
		char map[64];
		put("/proc/self/setgroups", "deny");
		snprintf(map, sizeof map, "0 %d 1", uid);
		put("/proc/self/uid_map", map);
		snprintf(map, sizeof map, "0 %d 1", gid);
		put("/proc/self/gid_map", map);
	}
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		printf("make / private: %s\n", errname(errno));
		return -1;
	}
	return 0;
}

static void show(const char *label, struct statfs *s) {
	printf("%s: type %#lx bsize %ld blocks %llu bfree %llu bavail %llu files %llu ffree %llu\n", label,
	       (unsigned long)s->f_type, (long)s->f_bsize, (unsigned long long)s->f_blocks,
	       (unsigned long long)s->f_bfree, (unsigned long long)s->f_bavail, (unsigned long long)s->f_files,
	       (unsigned long long)s->f_ffree);
}

static void try(const char *dir, const char *opts, int showFiles) {
	struct statfs s;
	if (mount("t", dir, "tmpfs", 0, opts) < 0) {
		printf("mount %s: %s\n", opts, errname(errno));
		return;
	}
	char path[64];
	snprintf(path, sizeof path, "%s/f", dir);
	int fd = open(path, O_CREAT | O_WRONLY, 0600);
	if (fd < 0 || write(fd, "data", 4) != 4) printf("write: %s\n", errname(errno));
	if (fd >= 0) close(fd);
	if (statfs(dir, &s) < 0) {
		printf("statfs: %s\n", errname(errno));
	} else if (showFiles) {
		show(opts, &s);
	} else {
		/* The default inode limit depends on the memory: only say
		 * whether one is reported. */
		printf("%s: blocks %llu bfree %llu bavail %llu, an inode limit: %s\n", opts,
		       (unsigned long long)s.f_blocks, (unsigned long long)s.f_bfree,
		       (unsigned long long)s.f_bavail, s.f_files > 0 ? "yes" : "no");
	}
	umount(dir);
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	struct statfs s;
	int fd = memfd_create("statfs", 0);
	if (fd < 0 || write(fd, "x", 1) != 1 || fstatfs(fd, &s) < 0)
		printf("memfd: %s\n", errname(errno));
	else
		show("memfd", &s);
	enter("tmpfs_statfs_unlimited");
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		if (newns() == 0) {
			mkdir("m", 0755);
			try("m", "size=0,nr_inodes=0", 1);
			try("m", "size=0", 0);
			try("m", "size=1m,nr_inodes=100", 1);
		}
		fflush(stdout);
		_exit(0);
	}
	int st;
	waitpid(c, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st)) printf("child: status %x\n", st);
	cleanup();
	return 0;
}
