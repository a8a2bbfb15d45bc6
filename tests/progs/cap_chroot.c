/* chroot(2)'s checks for root and for an unprivileged user (ENOENT,
 * ENOTDIR, EACCES without search permission, EPERM without
 * CAP_SYS_CHROOT, EFAULT) and the escapes Linux allows a process whose
 * working directory lies outside its root: fchdir to a directory opened
 * before, and ".." from a working directory left outside by a second
 * chroot. Each chroot happens in a child. */
#include "file_common.h"
#include <sys/wait.h>

static void in_child(const char *label, void (*fn)(void)) {
	printf("== %s\n", label);
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		fn();
		fflush(stdout);
		_exit(0);
	}
	waitpid(c, NULL, 0);
}

static void errors(void) {
	CHECK("chroot file", chroot("f"));
	CHECK("chroot missing", chroot("nope"));
	CHECK("chroot bad pointer", chroot(bad));
	CHECK("chroot through a file", chroot("f/x"));
	CHECK("chroot unsearchable", chroot("closed/in"));
	CHECK("chroot no search on it", chroot("noexec"));
	CHECK("chroot .", chroot("."));
}

static void fd_escape(void) {
	int keep = open(".", O_RDONLY | O_DIRECTORY);
	if (chroot("jail") < 0) {
		printf("chroot jail: %s\n", errname(errno));
		return;
	}
	CHECK("chdir /", chdir("/"));
	CHECK("outside marker from /", access("marker", F_OK));
	CHECK("fchdir to the old cwd", fchdir(keep));
	CHECK("marker via fd", access("marker", F_OK));
	for (int i = 0; i < 64; i++) chdir("..");
	char cwd[512];
	long r = syscall(SYS_getcwd, cwd, sizeof cwd);
	printf("getcwd after ..: %s\n", r > 0 ? cwd : errname(errno));
	CHECK("root visible again", access("etc", F_OK));
}

static void nested_escape(void) {
	if (chroot("jail") < 0) {
		printf("chroot jail: %s\n", errname(errno));
		return;
	}
	CHECK("chdir /", chdir("/"));
	CHECK("chroot inner (cwd stays outside it)", chroot("inner"));
	for (int i = 0; i < 64; i++) chdir("..");
	CHECK("jail's file from above inner", access("injail", F_OK));
	CHECK("marker outside the jail", access("marker", F_OK));
	CHECK("chdir / goes to inner", chdir("/"));
	CHECK("inner's file", access("ininner", F_OK));
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	enter("capchroot");
	close(open("f", O_WRONLY | O_CREAT, 0644));
	close(open("marker", O_WRONLY | O_CREAT, 0644));
	mkdir("closed", 0700);
	mkdir("closed/in", 0755);
	chmod("closed", 0600);
	mkdir("noexec", 0644);
	mkdir("jail", 0755);
	mkdir("jail/inner", 0755);
	close(open("jail/injail", O_WRONLY | O_CREAT, 0644));
	close(open("jail/inner/ininner", O_WRONLY | O_CREAT, 0644));
	in_child("errors", errors);
	in_child("fchdir escape", fd_escape);
	in_child("nested chroot escape", nested_escape);
	chmod("closed", 0700);
	cleanup();
	return 0;
}
