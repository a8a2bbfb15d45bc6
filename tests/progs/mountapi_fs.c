/* fsopen, fsconfig, fsmount, move_mount and fspick: a tmpfs made through
 * a file system context, its parameters checked when set (with messages
 * read from the context), the phases of a context, a detached mount
 * attached with move_mount, a mount reconfigured through fspick, and the
 * privilege every call needs. Runs as root in a private mount
 * namespace. */
#include "mountapi_common.h"

static void show_fd(const char *label, int fd) {
	char l[64], b[256];
	snprintf(l, sizeof l, "/proc/self/fd/%d", fd);
	long n = readlink(l, b, sizeof b);
	int fl = fcntl(fd, F_GETFL), fdfl = fcntl(fd, F_GETFD);
	printf("%s: link %.*s o_path %d rdwr %d cloexec %d\n", label, n > 0 ? (int)n : 0, b,
	       (fl & O_PATH) != 0, (fl & O_ACCMODE) == O_RDWR, (fdfl & FD_CLOEXEC) != 0);
}

static void body(void) {
	mkdir("mnt", 0755);
	mkdir("plain", 0755);
	close(open("file", O_CREAT | O_WRONLY, 0644));
	int dfd = open(".", O_RDONLY | O_DIRECTORY);

	CHECK("fsopen bad flags", k_fsopen("tmpfs", 2));
	CHECK("fsopen unknown type", k_fsopen("nosuchfs", 0));
	CHECK("fsopen bad name", k_fsopen(bad, 0));
	int fd = k_fsopen("tmpfs", 1);
	CHECKOK("fsopen tmpfs", fd);
	show_fd("context", fd);
	char b[16];
	CHECK("read empty log", read(fd, b, sizeof b));

	CHECK("fsconfig fd -1", k_fsconfig(-1, K_FSCONFIG_CMD_CREATE, NULL, NULL, 0));
	CHECK("fsconfig unknown command", k_fsconfig(fd, 99, NULL, NULL, 0));
	CHECK("fsconfig flag with a value", k_fsconfig(fd, K_FSCONFIG_SET_FLAG, "ro", "x", 0));
	CHECK("fsconfig string without value", k_fsconfig(fd, K_FSCONFIG_SET_STRING, "mode", NULL, 0));
	CHECK("fsconfig create with a key", k_fsconfig(fd, K_FSCONFIG_CMD_CREATE, "x", NULL, 0));
	CHECK("fsconfig fd with a value", k_fsconfig(fd, K_FSCONFIG_SET_FD, "source", "x", 0));
	CHECK("fsconfig closed fd", k_fsconfig(999, K_FSCONFIG_CMD_CREATE, NULL, NULL, 0));
	CHECK("fsconfig on a directory fd", k_fsconfig(dfd, K_FSCONFIG_CMD_CREATE, NULL, NULL, 0));
	CHECK("fsconfig set_fd of a closed fd", k_fsconfig(fd, K_FSCONFIG_SET_FD, "source", NULL, 999));
	CHECK("fsconfig bad key address", k_fsconfig(fd, K_FSCONFIG_SET_FLAG, bad, NULL, 0));
	readlog(fd);

	CHECK("set foo", k_fsconfig(fd, K_FSCONFIG_SET_STRING, "foo", "bar", 0));
	CHECK("set size zz", k_fsconfig(fd, K_FSCONFIG_SET_STRING, "size", "zz", 0));
	CHECK("set mode as a flag", k_fsconfig(fd, K_FSCONFIG_SET_FLAG, "mode", NULL, 0));
	CHECK("set source by fd", k_fsconfig(fd, K_FSCONFIG_SET_FD, "source", NULL, dfd));
	CHECK("set source by path", k_fsconfig(fd, K_FSCONFIG_SET_PATH, "source", "/", AT_FDCWD));
	CHECK("set source", k_fsconfig(fd, K_FSCONFIG_SET_STRING, "source", "kitesrc", 0));
	CHECK("set source again", k_fsconfig(fd, K_FSCONFIG_SET_STRING, "source", "other", 0));
	readlog(fd);
	CHECK("set bar", k_fsconfig(fd, K_FSCONFIG_SET_FLAG, "bar", NULL, 0));
	CHECK("read the message into a short buffer", read(fd, b, 1));
	readlog(fd);

	CHECK("set rw", k_fsconfig(fd, K_FSCONFIG_SET_FLAG, "rw", NULL, 0));
	CHECK("set mode", k_fsconfig(fd, K_FSCONFIG_SET_STRING, "mode", "700", 0));
	CHECK("set size", k_fsconfig(fd, K_FSCONFIG_SET_STRING, "size", "1m", 0));
	CHECK("reconfigure a new context", k_fsconfig(fd, K_FSCONFIG_CMD_RECONFIGURE, NULL, NULL, 0));
	CHECK("fsmount before create", k_fsmount(fd, 0, 0));
	CHECK("create", k_fsconfig(fd, K_FSCONFIG_CMD_CREATE, NULL, NULL, 0));
	CHECK("create again", k_fsconfig(fd, K_FSCONFIG_CMD_CREATE, NULL, NULL, 0));
	CHECK("set after create", k_fsconfig(fd, K_FSCONFIG_SET_STRING, "mode", "755", 0));
	readlog(fd);

	CHECK("fsmount bad flags", k_fsmount(fd, 2, 0));
	CHECK("fsmount bad attribute", k_fsmount(fd, 0, 0x40000000));
	CHECK("fsmount bad atime", k_fsmount(fd, 0, 0x30));
	CHECK("fsmount idmap", k_fsmount(fd, 0, K_ATTR_IDMAP));
	CHECK("fsmount of a directory fd", k_fsmount(dfd, 0, 0));
	CHECK("fsmount closed fd", k_fsmount(999, 0, 0));
	int m = k_fsmount(fd, 1, K_ATTR_NOSUID | K_ATTR_NODEV);
	CHECKOK("fsmount", m);
	CHECK("fsmount again", k_fsmount(fd, 0, 0));
	show_fd("mount", m);
	struct stat st;
	fstat(m, &st);
	printf("mount root mode %o\n", st.st_mode);
	int f = openat(m, "inside", O_CREAT | O_WRONLY, 0600);
	CHECKOK("create a file in the detached mount", f);
	close(f);
	CHECK("read the mount fd", read(m, b, 1));
	mountline("mnt");

	CHECK("move_mount bad flags", k_move_mount(m, "", AT_FDCWD, "mnt", 0x1000));
	CHECK("move_mount empty path without flag", k_move_mount(m, "", AT_FDCWD, "mnt", 0));
	CHECK("move_mount onto a file", k_move_mount(m, "", AT_FDCWD, "file", K_MOVE_F_EMPTY_PATH));
	CHECK("move_mount of a non-mount", k_move_mount(AT_FDCWD, "plain", AT_FDCWD, "mnt", 0));
	CHECK("move_mount", k_move_mount(m, "", AT_FDCWD, "mnt", K_MOVE_F_EMPTY_PATH));
	CHECK("file through the mount point", access("mnt/inside", F_OK));
	mountline("mnt");
	CHECK("move_mount onto itself", k_move_mount(m, "", AT_FDCWD, "mnt", K_MOVE_F_EMPTY_PATH));
	close(m);
	close(fd);
	CHECK("file after closing the mount fd", access("mnt/inside", F_OK));

	/* A detached mount closed before it is attached goes away; one of
	 * a read-only context is read-only. */
	fd = k_fsopen("tmpfs", 0);
	k_fsconfig(fd, K_FSCONFIG_SET_FLAG, "ro", NULL, 0);
	k_fsconfig(fd, K_FSCONFIG_CMD_CREATE, NULL, NULL, 0);
	m = k_fsmount(fd, 0, 0);
	CHECKOK("fsmount read-only", m);
	CHECK("create in read-only mount", openat(m, "x", O_CREAT | O_WRONLY, 0600));
	close(m);
	close(fd);

	/* fspick reconfigures a mount: ro, then rw again. */
	CHECK("fspick bad flags", k_fspick(AT_FDCWD, "mnt", 0x10));
	CHECK("fspick not a mount root", k_fspick(AT_FDCWD, "plain", 0));
	CHECK("fspick missing", k_fspick(AT_FDCWD, "missing", 0));
	int p = k_fspick(AT_FDCWD, "mnt", 0);
	CHECKOK("fspick", p);
	show_fd("picked", p);
	CHECK("create on a picked context", k_fsconfig(p, K_FSCONFIG_CMD_CREATE, NULL, NULL, 0));
	CHECK("fsmount of a picked context", k_fsmount(p, 0, 0));
	CHECK("set unknown on picked", k_fsconfig(p, K_FSCONFIG_SET_FLAG, "foo", NULL, 0));
	readlog(p);
	CHECK("set ro on picked", k_fsconfig(p, K_FSCONFIG_SET_FLAG, "ro", NULL, 0));
	CHECK("reconfigure", k_fsconfig(p, K_FSCONFIG_CMD_RECONFIGURE, NULL, NULL, 0));
	CHECK("create after ro", open("mnt/after", O_CREAT | O_WRONLY, 0600));
	CHECK("set rw on picked", k_fsconfig(p, K_FSCONFIG_SET_FLAG, "rw", NULL, 0));
	CHECK("reconfigure again", k_fsconfig(p, K_FSCONFIG_CMD_RECONFIGURE, NULL, NULL, 0));
	f = open("mnt/after", O_CREAT | O_WRONLY, 0600);
	CHECKOK("create after rw", f);
	close(f);
	close(p);
	close(dfd);
}

static void unprivileged(void) {
	struct k_mount_attr a = {K_ATTR_RDONLY, 0, 0, 0};
	CHECK("user fsopen", k_fsopen("tmpfs", 0));
	CHECK("user fsmount", k_fsmount(0, 0, 0));
	CHECK("user fspick", k_fspick(AT_FDCWD, "/", 0));
	CHECK("user move_mount", k_move_mount(AT_FDCWD, "/", AT_FDCWD, "/", 0));
	CHECK("user open_tree clone", k_open_tree(AT_FDCWD, "/", K_OPEN_TREE_CLONE));
	CHECK("user mount_setattr", k_setattr(AT_FDCWD, "/", 0, &a, sizeof a));
	long o = k_open_tree(AT_FDCWD, "/", 0);
	CHECKOK("user open_tree", o);
	close(o);

	/* In its own user and mount namespaces the user may mount a tmpfs. */
	if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0) {
		printf("unshare: %s\n", errname(errno));
		return;
	}
	int fd = k_fsopen("tmpfs", 0);
	CHECKOK("userns fsopen", fd);
	CHECK("userns create", k_fsconfig(fd, K_FSCONFIG_CMD_CREATE, NULL, NULL, 0));
	int m = k_fsmount(fd, 0, 0);
	CHECKOK("userns fsmount", m);
	CHECK("userns move_mount", k_move_mount(m, "", AT_FDCWD, "mnt", K_MOVE_F_EMPTY_PATH));
	CHECK("userns mount_setattr", k_setattr(AT_FDCWD, "mnt", 0, &a, sizeof a));
	CHECK("userns create after ro", open("mnt/mine2", O_CREAT | O_WRONLY, 0600));
	close(m);
	close(fd);
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	enter("mountapi_fs");
	in_private_ns(body);
	as_user(unprivileged);
	cleanup();
	return 0;
}
