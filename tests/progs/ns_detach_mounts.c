/* ns_detach_mounts: mounts that go with what they are mounted on, as
 * Linux's detach_mounts and lazy umount of the root.
 *
 * A name that is a mount point only in another mount namespace may be
 * removed (rmdir, unlink, rename over it): the other namespace's mounts
 * on it are detached, while open files keep working; a mount point of
 * the caller's own namespace stays EBUSY.
 *
 * umount2("/", MNT_DETACH) after pivot_root into a tmpfs detaches the
 * root from the namespace (Linux's root sits on the hidden rootfs): the
 * process keeps its root, the mounts below it are gone, and nothing can
 * be mounted or unmounted there any more. In a user namespace the new
 * root inherits the old root's lock, and the umount is EINVAL. */
#include "file_common.h"
#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>

static int pivot(const char *n, const char *o) { return syscall(SYS_pivot_root, n, o); }

static void put(const char *path, const char *text) {
	int fd = open(path, O_WRONLY);
	if (fd < 0 || write(fd, text, strlen(text)) < 0)
		printf("write %s: %s\n", path, errname(errno));
	if (fd >= 0)
		close(fd);
}

/* newns moves the caller into a new mount namespace, with a user
 * namespace when it has no privilege; / becomes private. */
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

static const char *there(const char *path) {
	struct stat st;
	return stat(path, &st) == 0 ? "there" : errname(errno);
}

static void touch(const char *path) {
	int fd = open(path, O_CREAT | O_WRONLY, 0644);
	if (fd < 0)
		printf("create %s: %s\n", path, errname(errno));
	else
		close(fd);
}

/* other: the parent removes what the child mounted on in its own
 * namespace. */
static void other(const char *dir) {
	char mp[128], file[128], victim[128], src[128], inner[128], moved[128];
	snprintf(mp, sizeof mp, "%s/mp", dir);
	snprintf(file, sizeof file, "%s/file", dir);
	snprintf(victim, sizeof victim, "%s/victim", dir);
	snprintf(src, sizeof src, "%s/src", dir);
	snprintf(moved, sizeof moved, "%s/moved", dir);
	mkdir(mp, 0755);
	touch(file);
	touch(victim);
	touch(src);
	mkdir(moved, 0755);
	int ready[2], done[2];
	if (pipe(ready) < 0 || pipe(done) < 0)
		return;
	pid_t c = fork();
	if (c == 0) {
		close(ready[0]);
		close(done[1]);
		if (newns() < 0) {
			close(ready[1]);
			_exit(0);
		}
		CHECK("child: mount tmpfs on mp", mount("none", mp, "tmpfs", 0, NULL));
		CHECK("child: bind file on itself", mount(file, file, NULL, MS_BIND, NULL));
		CHECK("child: bind file on victim", mount(file, victim, NULL, MS_BIND, NULL));
		CHECK("child: mount tmpfs on moved", mount("none", moved, "tmpfs", 0, NULL));
		snprintf(inner, sizeof inner, "%s/inmount", moved);
		touch(inner);
		snprintf(inner, sizeof inner, "%s/inner", mp);
		touch(inner);
		int fd = open(mp, O_RDONLY | O_DIRECTORY);
		CHECK("child: rmdir its own mount point", rmdir(mp));
		CHECK("child: unlink its own mount point", unlink(file));
		if (write(ready[1], "x", 1) != 1)
			_exit(1);
		char b;
		if (read(done[0], &b, 1) != 1)
			_exit(1);
		printf("child: mp after: %s\n", there(mp));
		printf("child: file after: %s\n", there(file));
		printf("child: victim after: %s\n", there(victim));
		snprintf(inner, sizeof inner, "%s/renamed/inmount", dir);
		printf("child: the renamed mount point's mount: %s\n", there(inner));
		struct stat st;
		printf("child: inner through the fd opened before: %s\n",
		       fstatat(fd, "inner", &st, 0) == 0 ? "there" : errname(errno));
		_exit(0);
	}
	close(ready[1]);
	close(done[0]);
	char b;
	if (read(ready[0], &b, 1) == 1) {
		CHECK("parent: rmdir the child's mount point", rmdir(mp));
		CHECK("parent: unlink the child's mount point", unlink(file));
		CHECK("parent: rename over the child's mount point", rename(src, victim));
		snprintf(inner, sizeof inner, "%s/renamed", dir);
		CHECK("parent: rename the child's mount point", rename(moved, inner));
	}
	if (write(done[1], "x", 1) != 1)
		printf("write: %s\n", errname(errno));
	int st;
	waitpid(c, &st, 0);
	printf("child exited %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	snprintf(inner, sizeof inner, "%s/renamed", dir);
	rmdir(inner);
	unlink(victim);
	rmdir(moved);
}

/* root: umount2 of / with MNT_DETACH after pivot_root. */
static void root(const char *dir) {
	pid_t c = fork();
	if (c == 0) {
		if (newns() < 0)
			_exit(0);
		CHECK("mount tmpfs", mount("none", dir, "tmpfs", 0, NULL));
		CHECK("chdir", chdir(dir));
		CHECK("mkdir old", mkdir("old", 0755));
		CHECK("mkdir sub", mkdir("sub", 0755));
		CHECK("mount tmpfs on sub", mount("none", "sub", "tmpfs", 0, NULL));
		touch("sub/f");
		CHECK("pivot_root . old", pivot(".", "old"));
		CHECK("chdir /", chdir("/"));
		CHECK("umount2 /old MNT_DETACH", umount2("/old", MNT_DETACH));
		printf("/sub/f before: %s\n", there("/sub/f"));
		CHECK("umount2 / MNT_DETACH", umount2("/", MNT_DETACH));
		printf("/sub/f after: %s\n", there("/sub/f"));
		printf("/sub after: %s\n", there("/sub"));
		CHECK("mkdir /x", mkdir("/x", 0755));
		/* EINVAL before Linux 6 (check_mnt), ENOENT since (lock_mount). */
		printf("mount tmpfs on /x: %s\n", mount("none", "/x", "tmpfs", 0, NULL) == 0 ? "OK" : "fails");
		CHECK("umount2 / MNT_DETACH again", umount2("/", MNT_DETACH));
		CHECK("umount2 /sub", umount2("/sub", 0));
		char cwd[64];
		printf("getcwd: %s\n", getcwd(cwd, sizeof cwd) ? cwd : errname(errno));
		_exit(0);
	}
	int st;
	waitpid(c, &st, 0);
	printf("child exited %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	char dir[] = "/tmp/kite-detach.XXXXXX";
	if (!mkdtemp(dir)) {
		printf("mkdtemp: %s\n", errname(errno));
		return 1;
	}
	printf("-- another namespace's mount points\n");
	other(dir);
	printf("-- umount2 of the root\n");
	root(dir);
	CHECK("rmdir", rmdir(dir));
	return 0;
}
