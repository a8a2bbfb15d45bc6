/* umount2 of the root: as a container runtime does, a child in new user
 * (when unprivileged) and mount namespaces pivots into a tmpfs and
 * detaches the old root; then umount2("/") without MNT_DETACH does not
 * unmount the root but makes it read-only (Linux's do_umount_root), and
 * the old root, once detached, cannot be unmounted again. */
#include "file_common.h"
#include <sched.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <sys/wait.h>

static int pivot(const char *n, const char *o) { return syscall(SYS_pivot_root, n, o); }

static void put(const char *path, const char *text) {
	int fd = open(path, O_WRONLY);
	if (fd < 0 || write(fd, text, strlen(text)) < 0)
		printf("write %s: %s\n", path, errname(errno));
	if (fd >= 0)
		close(fd);
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	char dir[] = "/tmp/kite-umountroot.XXXXXX";
	if (!mkdtemp(dir)) {
		printf("mkdtemp: %s\n", errname(errno));
		return 1;
	}
	pid_t c = fork();
	if (c == 0) {
		uid_t uid = getuid();
		gid_t gid = getgid();
		if (unshare(CLONE_NEWNS) < 0) {
			if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0) {
				printf("unshare: %s\n", errname(errno));
				_exit(0);
			}
			char map[64];
			put("/proc/self/setgroups", "deny");
			snprintf(map, sizeof map, "0 %d 1", uid);
			put("/proc/self/uid_map", map);
			snprintf(map, sizeof map, "0 %d 1", gid);
			put("/proc/self/gid_map", map);
		}
		CHECK("make / private", mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL));
		CHECK("mount tmpfs", mount("none", dir, "tmpfs", 0, NULL));
		CHECK("chdir", chdir(dir));
		CHECK("mkdir old", mkdir("old", 0755));
		CHECK("pivot_root . old", pivot(".", "old"));
		CHECK("chdir /", chdir("/"));
		CHECK("umount2 /old MNT_DETACH", umount2("/old", MNT_DETACH));
		CHECK("umount2 /old again", umount2("/old", 0));
		CHECK("mkdir before", mkdir("/before", 0755));
		CHECK("umount2 /", umount2("/", 0));
		struct statvfs s;
		CHECK("statvfs /", statvfs("/", &s));
		printf("root read-only: %s\n", s.f_flag & ST_RDONLY ? "yes" : "no");
		CHECK("mkdir after", mkdir("/after", 0755));
		printf("earlier directory: %s\n", access("/before", F_OK) == 0 ? "there" : errname(errno));
		_exit(0);
	}
	int st;
	waitpid(c, &st, 0);
	printf("child exited %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	CHECK("rmdir", rmdir(dir));
	return 0;
}
