/* Path-name operations: mkdir/rmdir/unlink/rename/link/symlink/readlink,
 * symlink resolution (ELOOP, O_NOFOLLOW, dangling links, trailing
 * slashes), O_CREAT/O_EXCL/O_DIRECTORY, getcwd/chdir, umask, access. */
#include "file_common.h"

#define RENAME_NOREPLACE (1 << 0)
#define RENAME_EXCHANGE (1 << 1)

static void show_mode(const char *path) {
	struct stat st;
	if (lstat(path, &st) < 0) {
		printf("lstat %s: %s\n", path, errname(errno));
		return;
	}
	printf("%s: mode %o nlink %ld size %ld\n", path, st.st_mode, (long)st.st_nlink,
	       S_ISDIR(st.st_mode) ? 0L : (long)st.st_size);
}

int main(void) {
	enter("paths");
	char buf[256];

	/* mkdir / rmdir */
	CHECK("mkdir d", mkdir("d", 0777));
	CHECK("mkdir d again", mkdir("d", 0777));
	CHECK("mkdir d/", mkdir("d2/", 0700));
	CHECK("mkdir missing parent", mkdir("nope/x", 0777));
	CHECK("mkdir .", mkdir(".", 0777));
	CHECK("mkdir d/..", mkdir("d/..", 0777));
	CHECK("mkdir empty", mkdir("", 0777));
	show_mode("d");
	show_mode("d2");
	CHECK("mkdir d/sub", mkdir("d/sub", 0755));
	show_mode("d");
	CHECK("rmdir nonempty", rmdir("d"));
	CHECK("rmdir d/sub/.", rmdir("d/sub/."));
	CHECK("rmdir d/sub/..", rmdir("d/sub/.."));
	CHECK("rmdir missing", rmdir("d/none"));
	CHECK("rmdir d/sub/", rmdir("d/sub/"));
	show_mode("d");

	/* files, unlink */
	int fd = open("f", O_WRONLY | O_CREAT, 0666);
	CHECK("write f", write(fd, "12345", 5));
	close(fd);
	show_mode("f");
	CHECK("open f O_CREAT|O_EXCL", open("f", O_RDWR | O_CREAT | O_EXCL, 0600));
	CHECK("open f/ ", open("f/", O_RDONLY));
	CHECK("open f/x", open("f/x", O_RDONLY));
	CHECK("open f O_DIRECTORY", open("f", O_RDONLY | O_DIRECTORY));
	CHECK("open d O_RDWR", open("d", O_RDWR));
	CHECK("open d O_WRONLY", open("d", O_WRONLY));
	CHECK("open d O_CREAT", open("d", O_RDONLY | O_CREAT, 0600));
	CHECK("open new/ O_CREAT", open("new/", O_RDWR | O_CREAT, 0600));
	CHECK("open missing", open("missing", O_RDONLY));
	CHECK("open missing/x O_CREAT", open("missing/x", O_RDWR | O_CREAT, 0600));
	CHECK("open empty", open("", O_RDONLY));
	CHECK("open O_CREAT|O_DIRECTORY new", open("cd", O_RDWR | O_CREAT | O_DIRECTORY, 0600));
	CHECK("open O_CREAT|O_DIRECTORY dir", open("d", O_RDONLY | O_CREAT | O_DIRECTORY, 0600));
	CHECK("unlink d", unlink("d"));
	CHECK("rmdir f", rmdir("f"));
	CHECK("unlink f/", unlink("f/"));
	CHECK("unlink missing", unlink("missing"));
	CHECK("unlinkat bad flag", unlinkat(AT_FDCWD, "f", 0x1));
	CHECK("unlinkat AT_REMOVEDIR file", unlinkat(AT_FDCWD, "f", AT_REMOVEDIR));

	/* umask */
	umask(027);
	fd = open("masked", O_WRONLY | O_CREAT, 0777);
	close(fd);
	show_mode("masked");
	mkdir("maskdir", 0777);
	show_mode("maskdir");
	CHECK("umask returns old", umask(022));

	/* symlinks */
	CHECK("symlink f -> l", symlink("f", "l"));
	CHECK("symlink exists", symlink("x", "l"));
	CHECK("symlink empty target", symlink("", "e"));
	CHECK("symlink dangling", symlink("nowhere", "dangle"));
	CHECK("symlink loop a", symlink("loopb", "loopa"));
	CHECK("symlink loop b", symlink("loopa", "loopb"));
	CHECK("symlink to dir", symlink("d", "ld"));
	CHECK("symlink trailing slash", symlink("f", "newlink/"));
	show_mode("l");
	memset(buf, 0, sizeof buf);
	CHECK("readlink l", readlink("l", buf, sizeof buf));
	printf("target: %s\n", buf);
	memset(buf, 0, sizeof buf);
	CHECK("readlink short buffer", readlink("dangle", buf, 3));
	printf("truncated: %s\n", buf);
	CHECK("readlink size 0", syscall(SYS_readlink, "l", buf, 0));
	CHECK("readlink not link", readlink("f", buf, sizeof buf));
	CHECK("readlink missing", readlink("nothere", buf, sizeof buf));
	CHECK("readlink bad buffer", syscall(SYS_readlink, "l", bad, 10));
	CHECK("open via link", (fd = open("l", O_RDONLY)));
	memset(buf, 0, sizeof buf);
	read(fd, buf, sizeof buf);
	printf("through link: %s\n", buf);
	close(fd);
	CHECK("open l O_NOFOLLOW", open("l", O_RDONLY | O_NOFOLLOW));
	CHECK("open loop", open("loopa", O_RDONLY));
	CHECK("stat loop", stat("loopa", &(struct stat){0}));
	CHECK("lstat loop", lstat("loopa", &(struct stat){0}));
	CHECK("open dangling", open("dangle", O_RDONLY));
	CHECK("open dangling O_CREAT|O_EXCL", open("dangle", O_RDWR | O_CREAT | O_EXCL, 0600));
	CHECK("open dangling O_CREAT|O_NOFOLLOW", open("dangle", O_RDWR | O_CREAT | O_NOFOLLOW, 0600));
	CHECKOK("open dangling O_CREAT", (fd = open("dangle", O_RDWR | O_CREAT, 0600)));
	close(fd);
	show_mode("nowhere");
	CHECK("open ld/ O_DIRECTORY", (fd = open("ld/", O_RDONLY | O_DIRECTORY)) >= 0);
	close(fd);
	CHECK("open ld O_NOFOLLOW|O_DIRECTORY", open("ld", O_RDONLY | O_NOFOLLOW | O_DIRECTORY));
	CHECK("lstat ld/ follows", lstat("ld/", &(struct stat){0}));
	CHECK("unlink ld/", unlink("ld/"));
	CHECK("rmdir ld", rmdir("ld"));
	CHECK("open e (empty target)", open("e", O_RDONLY));
	/* A chain of 40 links resolves; 41 is ELOOP. */
	symlink("f", "c0");
	for (int i = 1; i <= 41; i++) {
		char from[16], to[16];
		snprintf(from, sizeof from, "c%d", i - 1);
		snprintf(to, sizeof to, "c%d", i);
		symlink(from, to);
	}
	CHECK("40 links", (fd = open("c40", O_RDONLY)) >= 0);
	close(fd);
	CHECK("41 links", open("c41", O_RDONLY));
	/* An O_PATH|O_NOFOLLOW fd of a symlink. */
	fd = open("l", O_PATH | O_NOFOLLOW);
	CHECKOK("O_PATH|O_NOFOLLOW", fd);
	memset(buf, 0, sizeof buf);
	CHECK("readlinkat empty path", readlinkat(fd, "", buf, sizeof buf));
	printf("target: %s\n", buf);
	close(fd);

	/* names */
	char longname[300];
	memset(longname, 'n', 256);
	longname[256] = 0;
	CHECK("open NAME_MAX+1", open(longname, O_RDWR | O_CREAT, 0600));
	CHECK("mkdir NAME_MAX+1", mkdir(longname, 0700));
	longname[255] = 0;
	CHECKOK("open NAME_MAX", (fd = open(longname, O_RDWR | O_CREAT, 0600)));
	close(fd);
	CHECK("unlink NAME_MAX", unlink(longname));
	char *longpath = malloc(5000);
	for (int i = 0; i < 4999; i++) longpath[i] = i % 2 ? '/' : 'd';
	longpath[4999] = 0;
	CHECK("stat PATH_MAX", stat(longpath, &(struct stat){0}));
	for (int i = 0; i < 4094; i++) longpath[i] = '/';
	longpath[4094] = '.';
	longpath[4095] = 0;
	CHECK("stat 4095 chars", stat(longpath, &(struct stat){0}));
	CHECK("stat bad path pointer", syscall(SYS_stat, bad, &(struct stat){0}));
	CHECK("stat bad buffer", syscall(SYS_stat, "f", bad));

	/* hard links */
	CHECK("link f g", link("f", "g"));
	show_mode("f");
	CHECK("link exists", link("f", "g"));
	CHECK("link dir", link("d", "dlink"));
	CHECK("link missing", link("missing", "x"));
	CHECK("link to trailing slash", link("f", "h/"));
	CHECK("link l hl (no follow)", link("l", "hl"));
	show_mode("hl");
	CHECK("linkat follow", linkat(AT_FDCWD, "l", AT_FDCWD, "hf", AT_SYMLINK_FOLLOW));
	show_mode("hf");
	CHECK("linkat bad flags", linkat(AT_FDCWD, "f", AT_FDCWD, "x", 0x8000));
	CHECK("unlink g", unlink("g"));
	show_mode("f");

	/* rename */
	mkdir("r", 0755);
	mkdir("r/a", 0755);
	mkdir("r/a/b", 0755);
	mkdir("r/full", 0755);
	close(open("r/full/x", O_WRONLY | O_CREAT, 0644));
	mkdir("r/empty", 0755);
	close(open("r/f1", O_WRONLY | O_CREAT, 0644));
	fd = open("r/f2", O_WRONLY | O_CREAT, 0644);
	write(fd, "f2", 2);
	close(fd);
	CHECK("rename dir into own child", rename("r/a", "r/a/b/c"));
	CHECK("rename dir onto own child", rename("r/a", "r/a/b"));
	CHECK("rename parent onto child", rename("r/a/b", "r/a"));
	CHECK("rename dir over nonempty", rename("r/a", "r/full"));
	CHECK("rename file over dir", rename("r/f1", "r/empty"));
	CHECK("rename dir over file", rename("r/empty", "r/f1"));
	CHECK("rename missing", rename("r/none", "r/x"));
	CHECK("rename to missing dir", rename("r/f1", "r/none/x"));
	CHECK("rename .", rename("r/.", "r/x"));
	CHECK("rename to ..", rename("r/f1", "r/.."));
	CHECK("rename file/", rename("r/f1/", "r/x"));
	CHECK("rename to file/", rename("r/f1", "r/x/"));
	CHECK("rename same", rename("r/f1", "r/f1"));
	CHECK("rename hardlink pair", rename("f", "hf"));
	show_mode("f");
	CHECK("rename over file", rename("r/f1", "r/f2"));
	show_mode("r/f2");
	CHECK("rename f1 gone", access("r/f1", F_OK));
	CHECK("rename dir over empty dir", rename("r/a", "r/empty"));
	show_mode("r");
	CHECK("rename dir to new name/", rename("r/empty", "r/moved/"));
	CHECK("rename dir across", rename("r/moved/b", "r/full/b"));
	show_mode("r/moved");
	show_mode("r/full");
	CHECK("renameat2 NOREPLACE", syscall(SYS_renameat2, AT_FDCWD, "r/f2", AT_FDCWD, "r/full/x", RENAME_NOREPLACE));
	CHECK("renameat2 NOREPLACE new", syscall(SYS_renameat2, AT_FDCWD, "r/f2", AT_FDCWD, "r/f3", RENAME_NOREPLACE));
	CHECK("renameat2 EXCHANGE missing", syscall(SYS_renameat2, AT_FDCWD, "r/f3", AT_FDCWD, "r/none", RENAME_EXCHANGE));
	CHECK("renameat2 both flags", syscall(SYS_renameat2, AT_FDCWD, "r/f3", AT_FDCWD, "r/full", RENAME_EXCHANGE | RENAME_NOREPLACE));
	CHECK("renameat2 bad flags", syscall(SYS_renameat2, AT_FDCWD, "r/f3", AT_FDCWD, "r/full", 0x100));
	CHECK("renameat2 EXCHANGE file/dir", syscall(SYS_renameat2, AT_FDCWD, "r/f3", AT_FDCWD, "r/full", RENAME_EXCHANGE));
	show_mode("r/f3");
	show_mode("r/full");
	show_mode("r/full/x");

	/* cwd */
	CHECK("chdir f", chdir("f"));
	CHECK("chdir missing", chdir("missing"));
	CHECK("chdir d", chdir("d"));
	char cwd[512];
	CHECK("getcwd", getcwd(cwd, sizeof cwd) ? 0 : -1);
	printf("cwd ends with: %s\n", strrchr(cwd, '/'));
	CHECK("getcwd small", syscall(SYS_getcwd, cwd, 4));
	CHECK("getcwd size 0", syscall(SYS_getcwd, cwd, 0));
	CHECK("getcwd bad buffer", syscall(SYS_getcwd, bad, 100));
	CHECK("chdir ..", chdir(".."));
	fd = open("d", O_RDONLY | O_DIRECTORY);
	chdir("/");
	CHECK("fchdir", fchdir(fd));
	getcwd(cwd, sizeof cwd);
	printf("cwd ends with: %s\n", strrchr(cwd, '/'));
	close(fd);
	fd = open("..", O_PATH);
	CHECK("fchdir O_PATH", fchdir(fd));
	close(fd);
	fd = open("d/..", O_RDONLY);
	CHECK("fchdir", fchdir(fd));
	close(fd);
	fd = open("f", O_RDONLY);
	CHECK("fchdir file", fchdir(fd));
	CHECK("openat relative to file", openat(fd, "x", O_RDONLY));
	CHECK("openat absolute ignores fd", (fd = openat(-5, "/", O_RDONLY)) >= 0);
	close(fd);
	CHECK("openat bad fd", openat(-5, "x", O_RDONLY));
	CHECK("chdir / ..", chdir("/.."));
	getcwd(cwd, sizeof cwd);
	printf("cwd: %s\n", cwd);
	chdir(dir);
	/* removing the cwd */
	char gone[300];
	snprintf(gone, sizeof gone, "%s/gone", dir);
	mkdir(gone, 0755);
	chdir(gone);
	CHECK("rmdir cwd", rmdir(gone));
	CHECK("getcwd removed", syscall(SYS_getcwd, cwd, sizeof cwd));
	CHECK("create in removed cwd", open("x", O_RDWR | O_CREAT, 0600));
	chdir(dir);

	/* access */
	CHECK("access F_OK", access("f", F_OK));
	CHECK("access R_OK|W_OK", access("f", R_OK | W_OK));
	CHECK("access X_OK file 0644", access("f", X_OK));
	CHECK("access X_OK dir", access("d", X_OK));
	CHECK("access missing", access("missing", F_OK));
	CHECK("access bad mode", access("f", 8));
	CHECK("faccessat2 bad flag", syscall(SYS_faccessat2, AT_FDCWD, "f", F_OK, 0x1));
	CHECK("faccessat2 AT_EACCESS", syscall(SYS_faccessat2, AT_FDCWD, "f", R_OK, AT_EACCESS));
	CHECK("faccessat2 nofollow dangling", syscall(SYS_faccessat2, AT_FDCWD, "dangle2", F_OK, AT_SYMLINK_NOFOLLOW));

	cleanup();
	return 0;
}
