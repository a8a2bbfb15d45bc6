/* chroot: the new root bounds "..", absolute names and symlinks, getcwd
 * reports a cwd outside the root as unreachable. */
#include "file_common.h"

int main(void) {
	enter("chroot");
	mkdir("jail", 0755);
	mkdir("jail/sub", 0755);
	close(open("jail/sub/inside", O_WRONLY | O_CREAT, 0644));
	close(open("outside", O_WRONLY | O_CREAT, 0644));
	symlink("/sub/inside", "jail/abs");
	symlink("../../../../outside", "jail/up");
	close(open("f", O_WRONLY | O_CREAT, 0644));
	CHECK("chroot file", chroot("f"));
	CHECK("chroot missing", chroot("nope"));
	CHECK("chroot bad pointer", chroot(bad));
	int keep = open(".", O_RDONLY | O_DIRECTORY);
	CHECK("chroot", chroot("jail"));
	char cwd[512];
	long r = syscall(SYS_getcwd, cwd, sizeof cwd);
	/* Without CAP_SYS_CHROOT the chroot failed and the cwd is the
	 * test's directory, whose name holds the pid. */
	if (r > 0 && strcmp(cwd, dir) == 0)
		strcpy(cwd, "(the test's directory)");
	printf("getcwd outside root: %s\n", r > 0 ? (strncmp(cwd, "(unreachable)", 13) == 0 ? "(unreachable)..." : cwd) : errname(errno));
	CHECK("chdir /", chdir("/"));
	printf("getcwd: %s\n", getcwd(cwd, sizeof cwd));
	CHECK("stat /sub/inside", access("/sub/inside", F_OK));
	CHECK("stat /../../sub/inside", access("/../../sub/inside", F_OK));
	CHECK("absolute symlink", access("/abs", F_OK));
	CHECK("symlink climbing up", access("/up", F_OK));
	CHECK("chdir sub", chdir("sub"));
	printf("getcwd: %s\n", getcwd(cwd, sizeof cwd));
	CHECK("chdir ../..", chdir("../.."));
	printf("getcwd: %s\n", getcwd(cwd, sizeof cwd));
	/* An fd opened before chroot still reaches outside. */
	CHECK("fchdir outside", fchdir(keep));
	CHECK("relative outside", access("outside", F_OK));
	r = syscall(SYS_getcwd, cwd, sizeof cwd);
	printf("getcwd via fd: %s\n", r > 0 && strncmp(cwd, "(unreachable)", 13) == 0 ? "(unreachable)..." : "reachable");
	CHECK("unlink outside", unlink("outside"));
	CHECK("rmdir jail/sub needs empty", rmdir("jail/sub"));
	unlink("jail/sub/inside");
	unlink("jail/abs");
	unlink("jail/up");
	rmdir("jail/sub");
	unlink("f");
	CHECK("rmdir jail (the root)", rmdir("jail"));
	CHECK("chdir .. outside root", chdir(".."));
	CHECK("rmdir own dir", rmdir(strrchr(dir, '/') + 1));
	(void)cleanup;
	return 0;
}
