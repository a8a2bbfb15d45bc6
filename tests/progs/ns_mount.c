/* Mount namespaces: a mount made after unshare(CLONE_NEWNS) is seen by
 * the process that made it and not by its parent; a namespace fd held by
 * the parent enters the child's tree with setns; an unprivileged user may
 * not unshare one. Run as a user, the privileged steps meet the
 * unprivileged errors. */
#include "file_common.h"
#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>

static int go[2], ready[2];

static void exists(const char *what, const char *p) {
	printf("%s: %s\n", what, access(p, F_OK) == 0 ? "present" : errname(errno));
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	enter("nsmount");
	mkdir("m", 0755);
	if (pipe(go) < 0 || pipe(ready) < 0) return 1;
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		char x;
		CHECK("unshare(CLONE_NEWNS)", unshare(CLONE_NEWNS));
		CHECK("make / private", mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL));
		CHECK("mount tmpfs", mount("tmpfs", "m", "tmpfs", 0, "mode=0700"));
		close(open("m/inside", O_CREAT | O_WRONLY, 0600));
		exists("child sees its file", "m/inside");
		write(ready[1], "r", 1);
		read(go[0], &x, 1);
		fflush(stdout);
		_exit(0);
	}
	char x, path[64];
	read(ready[0], &x, 1);
	exists("parent sees the file", "m/inside");
	snprintf(path, sizeof path, "/proc/%d/ns/mnt", c);
	int fd = open(path, O_RDONLY);
	CHECKOK("open child's ns/mnt", fd);
	struct stat a, b;
	stat("/proc/self/ns/mnt", &a);
	stat(path, &b);
	printf("different namespaces: %d\n", a.st_ino != b.st_ino);
	fflush(stdout);
	pid_t d = fork();
	if (d == 0) {
		CHECK("setns into child's tree", setns(fd, CLONE_NEWNS));
		if (chdir(dir) < 0) printf("chdir: %s\n", errname(errno));
		exists("after setns", "m/inside");
		fflush(stdout);
		_exit(0);
	}
	waitpid(d, NULL, 0);
	d = fork();
	if (d == 0) {
		setgroups(0, NULL);
		setgid(1000);
		setuid(1000);
		CHECK("unshare(CLONE_NEWNS) unprivileged", unshare(CLONE_NEWNS));
		CHECK("setns unprivileged", setns(fd, CLONE_NEWNS));
		fflush(stdout);
		_exit(0);
	}
	waitpid(d, NULL, 0);
	write(go[1], "g", 1);
	waitpid(c, NULL, 0);
	exists("parent after child exit", "m/inside");
	CHECK("unshare(CLONE_NEWNS|CLONE_FS) in a clone sharing fs", 0);
	cleanup();
	return 0;
}
