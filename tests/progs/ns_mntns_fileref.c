/* Opening and closing /proc/self/ns/mnt leaves the mount namespace as it
 * was: the file holds the tree while it is open, and its close does not
 * take the tree away from the tasks that live in it. */
#include "file_common.h"
#include <sched.h>
#include <sys/mount.h>

static void put(const char *path, const char *text) {
	int fd = open(path, O_WRONLY);
	if (fd < 0 || write(fd, text, strlen(text)) < 0)
		printf("write %s: %s\n", path, errname(errno));
	if (fd >= 0)
		close(fd);
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	uid_t uid = getuid();
	gid_t gid = getgid();
	if (unshare(CLONE_NEWNS) < 0) {
		/* Unprivileged: a user namespace in which the caller is root
		 * (mapped, so that it may create files). */
		if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0) {
			printf("unshare: %s\n", errname(errno));
			return 0;
		}
		char map[64];
		put("/proc/self/setgroups", "deny");
		snprintf(map, sizeof map, "0 %d 1", uid);
		put("/proc/self/uid_map", map);
		snprintf(map, sizeof map, "0 %d 1", gid);
		put("/proc/self/gid_map", map);
	}
	CHECK("make / private", mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL));
	char dir[] = "/tmp/kite-mntref.XXXXXX";
	if (!mkdtemp(dir)) {
		printf("mkdtemp: %s\n", errname(errno));
		return 1;
	}
	CHECK("mount tmpfs", mount("none", dir, "tmpfs", 0, NULL));
	char f[64];
	snprintf(f, sizeof f, "%s/f", dir);
	close(open(f, O_CREAT | O_WRONLY, 0644));
	for (int i = 0; i < 3; i++)
		close(open("/proc/self/ns/mnt", O_RDONLY));
	int keep = open("/proc/self/ns/mnt", O_RDONLY);
	printf("file on the tmpfs after three opens: %s\n", access(f, F_OK) == 0 ? "there" : errname(errno));
	close(keep);
	printf("after the last close: %s\n", access(f, F_OK) == 0 ? "there" : errname(errno));
	CHECK("umount", umount(dir));
	CHECK("rmdir", rmdir(dir));
	return 0;
}
