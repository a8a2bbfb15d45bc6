/* inotify: IN_UNMOUNT then IN_IGNORED for every watch on a file system
 * that is unmounted (a directory's with ISDIR, a watch whose mask lacks
 * IN_UNMOUNT too), nothing while a bind mount still shows it, a lazy
 * unmount, the watch gone afterwards (rm_watch EINVAL), and nothing for a
 * watch on the mount point's own file system. Needs root: it unmounts in
 * a mount namespace of its own. */
#define _GNU_SOURCE
#include "inotify_common.h"
#include <sched.h>
#include <sys/mount.h>

static char top[64], m[128], m2[128], f[160];

static int watch(const char *path, uint32_t mask, int *base) {
	int fd = inotify_init1(IN_NONBLOCK);
	int wd = inotify_add_watch(fd, path, mask);
	if (wd < 0) printf("add_watch %s: %s\n", path + strlen(top), errname(errno));
	*base = wd - 1;
	return fd;
}

static void mount_tmpfs(void) {
	CHECK("mount tmpfs", mount("tmpfs", m, "tmpfs", 0, "size=64k"));
	write_file(f, "x");
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (geteuid() != 0) {
		printf("needs root\n");
		return 0;
	}
	if (unshare(CLONE_NEWNS) < 0) { printf("unshare: %s\n", errname(errno)); return 1; }
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) { printf("private: %s\n", errname(errno)); return 1; }
	strcpy(top, "/tmp/inotify_umntXXXXXX");
	if (!mkdtemp(top)) { perror("mkdtemp"); return 1; }
	snprintf(m, sizeof m, "%s/m", top);
	snprintf(m2, sizeof m2, "%s/m2", top);
	snprintf(f, sizeof f, "%s/f", m);
	mkdir(m, 0755);
	mkdir(m2, 0755);

	/* A plain unmount: the mounted root, a file in it (watching only
	 * IN_MODIFY), and the directory holding the mount point. */
	mount_tmpfs();
	int ba, bb, bc;
	int a = watch(m, IN_ALL_EVENTS, &ba);
	int b = watch(f, IN_MODIFY, &bb);
	int c = watch(top, IN_ALL_EVENTS, &bc);
	CHECK("umount", umount(m));
	drain("root of the unmounted tmpfs", a, ba);
	drain("file on it, mask IN_MODIFY", b, bb);
	drain("directory of the mount point", c, bc);
	CHECK("rm_watch after unmount", inotify_rm_watch(a, ba + 1));
	close(a);
	close(b);

	/* A bind mount keeps the file system mounted. */
	mount_tmpfs();
	CHECK("bind", mount(m, m2, NULL, MS_BIND, NULL));
	a = watch(f, IN_ALL_EVENTS, &ba);
	CHECK("umount the bind mount", umount(m2));
	drain("still mounted at m", a, ba);
	CHECK("umount m", umount(m));
	drain("last mount gone", a, ba);
	close(a);

	/* A lazy unmount with no file open. */
	mount_tmpfs();
	a = watch(m, IN_CREATE, &ba);
	CHECK("umount2 MNT_DETACH", umount2(m, MNT_DETACH));
	drain("lazy unmount", a, ba);
	close(a);

	drain("directory of the mount point, at the end", c, bc);
	close(c);
	rmdir(m);
	rmdir(m2);
	rmdir(top);
	return 0;
}
