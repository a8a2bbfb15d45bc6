/* mount(2)/umount2(2) without new file systems: bind mounts (recursive),
 * read-only remounts, MS_MOVE, EBUSY, and the errors. */
#include "file_common.h"
#include <sys/mount.h>

static void try_open(const char *label, const char *path, int flags) {
	int fd = open(path, flags, 0644);
	if (fd < 0) printf("%s: -1 %s\n", label, errname(errno));
	else {
		printf("%s: ok\n", label);
		close(fd);
	}
}

int main(void) {
	enter("mount");
	mkdir("a", 0755);
	mkdir("a/sub", 0755);
	close(open("a/file", O_WRONLY | O_CREAT, 0644));
	mkdir("b", 0755);
	mkdir("c", 0755);
	mkdir("m", 0755);
	close(open("m/inm", O_WRONLY | O_CREAT, 0644));
	close(open("f", O_WRONLY | O_CREAT, 0644));

	CHECK("bind a on b", mount("a", "b", NULL, MS_BIND, NULL));
	CHECK("b/file visible", access("b/file", F_OK));
	struct stat s1, s2;
	stat("a/file", &s1);
	stat("b/file", &s2);
	printf("same inode: %d\n", s1.st_ino == s2.st_ino && s1.st_dev == s2.st_dev);
	CHECK("rename across bind mounts", rename("a/file", "b/file2"));
	CHECK("link across bind mounts", link("a/file", "b/file3"));
	CHECK("remount b read-only", mount(NULL, "b", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL));
	try_open("write via b", "b/file", O_WRONLY);
	try_open("write via a", "a/file", O_WRONLY);
	CHECK("mkdir via b", mkdir("b/x", 0755));
	CHECK("remount not a mount root", mount(NULL, "b/sub", NULL, MS_REMOUNT | MS_BIND, NULL));
	CHECK("remount b read-write", mount(NULL, "b", NULL, MS_REMOUNT | MS_BIND, NULL));
	try_open("write via b again", "b/file", O_WRONLY);

	/* A mount under a, then a recursive and a plain bind of a. */
	CHECK("bind m on a/sub", mount("m", "a/sub", NULL, MS_BIND, NULL));
	CHECK("rmdir busy mount point", rmdir("a/sub"));
	CHECK("rbind a on c", mount("a", "c", NULL, MS_BIND | MS_REC, NULL));
	CHECK("c/sub/inm (recursive)", access("c/sub/inm", F_OK));
	CHECK("b/sub/inm (bind before)", access("b/sub/inm", F_OK));
	CHECK("umount c busy", umount("c"));
	CHECK("umount c/sub", umount("c/sub"));
	CHECK("umount c", umount("c"));
	CHECK("umount c again", umount("c"));

	/* MS_MOVE */
	CHECK("move a/sub mount to c", mount("a/sub", "c", NULL, MS_MOVE, NULL));
	CHECK("c/inm after move", access("c/inm", F_OK));
	CHECK("a/sub/inm after move", access("a/sub/inm", F_OK));
	CHECK("move non-mount", mount("a", "c", NULL, MS_MOVE, NULL));

	/* propagation and errors */
	CHECK("make c private", mount(NULL, "c", NULL, MS_PRIVATE, NULL));
	CHECK("private|shared", mount(NULL, "c", NULL, MS_PRIVATE | MS_SHARED, NULL));
	CHECK("private on non-mount", mount(NULL, "a", NULL, MS_PRIVATE, NULL));
	CHECK("unknown fs type", mount("none", "a", "nosuchfs", 0, NULL));
	CHECK("bind missing source", mount("nope", "a", NULL, MS_BIND, NULL));
	CHECK("bind file on dir", mount("f", "a", NULL, MS_BIND, NULL));
	CHECK("umount bad flags", umount2("c", 0x100));
	CHECK("umount expire|detach", umount2("c", MNT_EXPIRE | MNT_DETACH));
	CHECK("umount non-mount", umount("a"));
	CHECK("umount missing", umount("nope"));
	CHECK("umount detach c", umount2("c", MNT_DETACH));
	CHECK("umount b", umount("b"));
	CHECK("b/file gone", access("b/file", F_OK));
	CHECK("mount bad target pointer", mount("a", bad, NULL, MS_BIND, NULL));

	cleanup();
	return 0;
}
