/* open_tree, open_tree_attr, move_mount and mount_setattr: an O_PATH
 * file of a mount, detached copies of one mount or a tree attached
 * elsewhere, mounts moved by file, attributes set and cleared (one mount
 * or a tree), atime modes, nosymfollow, propagation, and the checks of
 * struct mount_attr. Runs as root in a private mount namespace. */
#include "mountapi_common.h"

static void setattr(const char *label, const char *path, unsigned flags, uint64_t set, uint64_t clr, uint64_t prop) {
	struct k_mount_attr a = {set, clr, prop, 0};
	CHECK(label, k_setattr(AT_FDCWD, path, flags, &a, sizeof a));
}

static void creatable(const char *label, int dirfd, const char *path) {
	int f = openat(dirfd, path, O_CREAT | O_WRONLY, 0600);
	CHECKOK(label, f);
	if (f >= 0) close(f);
}

static void body(void) {
	mkdir("mnt", 0755);
	mkdir("b", 0755);
	mkdir("c", 0755);
	CHECK("mount tmpfs", mount("tmpfs", "mnt", "tmpfs", 0, "size=1m"));
	mkdir("mnt/sub", 0755);
	mkdir("mnt/dir", 0755);
	CHECK("mount sub", mount("tmpfs", "mnt/sub", "tmpfs", 0, NULL));
	close(open("mnt/sub/file", O_CREAT | O_WRONLY, 0600));

	CHECK("open_tree bad flags", k_open_tree(AT_FDCWD, "mnt", 0x2));
	CHECK("open_tree recursive without clone", k_open_tree(AT_FDCWD, "mnt", K_AT_RECURSIVE));
	CHECK("open_tree missing", k_open_tree(AT_FDCWD, "missing", 0));
	CHECK("open_tree empty path", k_open_tree(AT_FDCWD, "", 0));
	int o = k_open_tree(AT_FDCWD, "mnt", 0);
	CHECKOK("open_tree", o);
	printf("o_path %d, same mount %d\n", (fcntl(o, F_GETFL) & O_PATH) != 0, uniq(o, "") == uniq(AT_FDCWD, "mnt"));
	char b[4];
	CHECK("read open_tree fd", read(o, b, 1));

	int c = k_open_tree(AT_FDCWD, "mnt", K_OPEN_TREE_CLONE);
	CHECKOK("open_tree clone", c);
	printf("o_path %d, same mount %d\n", (fcntl(c, F_GETFL) & O_PATH) != 0, uniq(c, "") == uniq(AT_FDCWD, "mnt"));
	CHECK("sub in the clone", faccessat(c, "sub", F_OK, 0));
	CHECK("sub's file in the clone", faccessat(c, "sub/file", F_OK, 0));
	int cr = k_open_tree(AT_FDCWD, "mnt", K_OPEN_TREE_CLONE | K_AT_RECURSIVE);
	CHECKOK("open_tree recursive clone", cr);
	CHECK("sub's file in the recursive clone", faccessat(cr, "sub/file", F_OK, 0));
	int cd = k_open_tree(AT_FDCWD, "mnt/dir", K_OPEN_TREE_CLONE);
	CHECKOK("open_tree clone of a directory", cd);

	CHECK("move_mount a mount below a detached root", k_move_mount(cr, "sub", AT_FDCWD, "c", 0));
	CHECK("move_mount recursive clone", k_move_mount(cr, "", AT_FDCWD, "b", K_MOVE_F_EMPTY_PATH));
	CHECK("file through the moved clone", access("b/sub/file", F_OK));
	mountline("b");
	mountline("b/sub");
	CHECK("move_mount clone of a directory", k_move_mount(cd, "", AT_FDCWD, "c", K_MOVE_F_EMPTY_PATH));
	mountline("c");
	close(cd);
	CHECK("umount c", umount("c"));
	CHECK("move_mount by the open_tree fd", k_move_mount(o, "", AT_FDCWD, "c", K_MOVE_F_EMPTY_PATH));
	CHECK("file at the new place", access("c/sub/file", F_OK));
	CHECK("file at the old place", access("mnt/sub/file", F_OK));
	CHECK("move_mount by path", k_move_mount(AT_FDCWD, "c", AT_FDCWD, "mnt", 0));
	CHECK("file back", access("mnt/sub/file", F_OK));
	mountline("mnt");
	mountline("c");
	close(o);
	close(c);
	close(cr);

	struct k_mount_attr a = {0, 0, 0, 0};
	CHECK("setattr nothing on a missing path", k_setattr(AT_FDCWD, "missing", 0, &a, sizeof a));
	CHECK("setattr size 24", k_setattr(AT_FDCWD, "mnt", 0, &a, 24));
	CHECK("setattr size 4097", k_setattr(AT_FDCWD, "mnt", 0, &a, 4097));
	CHECK("setattr bad flags", k_setattr(AT_FDCWD, "mnt", 1, &a, sizeof a));
	CHECK("setattr bad struct", k_setattr(AT_FDCWD, "mnt", 0, bad, sizeof a));
	setattr("setattr ro on a missing path", "missing", 0, K_ATTR_RDONLY, 0, 0);
	setattr("setattr ro on a directory", "mnt/dir", 0, K_ATTR_RDONLY, 0, 0);
	setattr("setattr ro recursive", "mnt", K_AT_RECURSIVE, K_ATTR_RDONLY, 0, 0);
	CHECK("create in mnt", open("mnt/x", O_CREAT | O_WRONLY, 0600));
	CHECK("create in mnt/sub", open("mnt/sub/x", O_CREAT | O_WRONLY, 0600));
	setattr("setattr clear ro", "mnt", 0, 0, K_ATTR_RDONLY, 0);
	creatable("create in mnt", AT_FDCWD, "mnt/x");
	CHECK("create in mnt/sub", open("mnt/sub/x", O_CREAT | O_WRONLY, 0600));
	mountline("mnt");
	mountline("mnt/sub");
	setattr("setattr clear ro of sub", "mnt/sub", 0, 0, K_ATTR_RDONLY, 0);
	setattr("setattr nosuid nodev noexec", "mnt", 0, K_ATTR_NOSUID | K_ATTR_NODEV | K_ATTR_NOEXEC, 0, 0);
	setattr("setattr atime without clearing", "mnt", 0, K_ATTR_NOATIME, 0, 0);
	setattr("setattr atime part cleared", "mnt", 0, K_ATTR_NOATIME, K_ATTR_NOATIME, 0);
	setattr("setattr atime bad mode", "mnt", 0, 0x30, K_ATTR__ATIME, 0);
	setattr("setattr noatime", "mnt", 0, K_ATTR_NOATIME | K_ATTR_NODIRATIME, K_ATTR__ATIME, 0);
	mountline("mnt");
	setattr("setattr strictatime", "mnt", 0, K_ATTR_STRICTATIME, K_ATTR__ATIME | K_ATTR_NODIRATIME | K_ATTR_NOEXEC, 0);
	mountline("mnt");
	setattr("setattr shared", "mnt", 0, 0, 0, MS_SHARED);
	mountline("mnt");
	mountline("mnt/sub");
	setattr("setattr private recursive", "mnt", K_AT_RECURSIVE, 0, 0, MS_PRIVATE);
	mountline("mnt");
	setattr("setattr two propagations", "mnt", 0, 0, 0, MS_SHARED | MS_SLAVE);
	setattr("setattr MS_REC as propagation", "mnt", 0, 0, 0, MS_REC);
	setattr("setattr unknown attribute", "mnt", 0, 0x40000000, 0, 0);
	struct k_mount_attr id = {K_ATTR_IDMAP, 0, 0, 999};
	CHECK("setattr idmap closed fd", k_setattr(AT_FDCWD, "mnt", 0, &id, sizeof id));
	int dfd = open(".", O_RDONLY | O_DIRECTORY);
	id.userns_fd = dfd;
	CHECK("setattr idmap not a namespace", k_setattr(AT_FDCWD, "mnt", 0, &id, sizeof id));
	close(dfd);
	id.attr_set = 0;
	id.attr_clr = K_ATTR_IDMAP;
	CHECK("setattr clear idmap", k_setattr(AT_FDCWD, "mnt", 0, &id, sizeof id));

	/* nosymfollow: links on the mount are read, not followed. */
	CHECK("symlink", symlink("sub", "mnt/l"));
	CHECK("dangling link", symlink("created", "mnt/dl"));
	setattr("setattr nosymfollow", "mnt", 0, K_ATTR_NOSYMFOLLOW, 0, 0);
	CHECK("follow a link", access("mnt/l/file", F_OK));
	CHECK("create through a dangling link", open("mnt/dl", O_CREAT | O_WRONLY, 0600));
	char t[16];
	long n = readlink("mnt/l", t, sizeof t);
	printf("readlink: %.*s\n", n > 0 ? (int)n : 0, t);
	mountline("mnt");
	setattr("setattr clear nosymfollow", "mnt", 0, 0, K_ATTR_NOSYMFOLLOW, 0);
	CHECK("follow a link", access("mnt/l/file", F_OK));

	/* mount_setattr on detached trees, and open_tree_attr. */
	cr = k_open_tree(AT_FDCWD, "mnt", K_OPEN_TREE_CLONE | K_AT_RECURSIVE);
	struct k_mount_attr ro = {K_ATTR_RDONLY, 0, 0, 0};
	CHECK("setattr on a detached root", k_setattr(cr, "", AT_EMPTY_PATH, &ro, sizeof ro));
	CHECK("create in it", openat(cr, "y", O_CREAT | O_WRONLY, 0600));
	CHECK("setattr below a detached root", k_setattr(cr, "sub", 0, &ro, sizeof ro));
	close(cr);
	CHECK("open_tree_attr size without struct", syscall(NR_open_tree_attr, AT_FDCWD, "mnt", K_OPEN_TREE_CLONE, NULL, 8));
	CHECK("open_tree_attr bad size", syscall(NR_open_tree_attr, AT_FDCWD, "mnt", K_OPEN_TREE_CLONE, &ro, 8));
	int ta = syscall(NR_open_tree_attr, AT_FDCWD, "mnt", K_OPEN_TREE_CLONE, NULL, 0);
	CHECKOK("open_tree_attr without attributes", ta);
	creatable("create in it", ta, "z");
	close(ta);
	ta = syscall(NR_open_tree_attr, AT_FDCWD, "mnt", K_OPEN_TREE_CLONE | K_AT_RECURSIVE, &ro, sizeof ro);
	CHECKOK("open_tree_attr read-only", ta);
	CHECK("create in it", openat(ta, "w", O_CREAT | O_WRONLY, 0600));
	CHECK("create in its sub", openat(ta, "sub/w", O_CREAT | O_WRONLY, 0600));
	creatable("create in the original", AT_FDCWD, "mnt/w");
	close(ta);

	/* A copy of a shared mount is its peer, but a detached one
	 * receives no mounts until it is attached. */
	setattr("setattr shared", "mnt", 0, 0, 0, MS_SHARED);
	c = k_open_tree(AT_FDCWD, "mnt", K_OPEN_TREE_CLONE);
	CHECK("mount on dir", mount("tmpfs", "mnt/dir", "tmpfs", 0, NULL));
	creatable("create in it", AT_FDCWD, "mnt/dir/p");
	CHECK("seen in the detached copy", faccessat(c, "dir/p", F_OK, 0));
	CHECK("attach the copy", k_move_mount(c, "", AT_FDCWD, "c", K_MOVE_F_EMPTY_PATH));
	mkdir("mnt/dir2", 0755);
	CHECK("mount on dir2", mount("tmpfs", "mnt/dir2", "tmpfs", 0, NULL));
	creatable("create in it", AT_FDCWD, "mnt/dir2/q");
	CHECK("seen in the attached copy", access("c/dir2/q", F_OK));
	CHECK("earlier mount still not seen", access("c/dir/p", F_OK));
	mountline("c");
	mountline("c/dir2");
	close(c);

	/* MOVE_MOUNT_SET_GROUP puts a private mount of the same file
	 * system in a shared mount's peer group. */
	mkdir("d", 0755);
	mkdir("e", 0755);
	CHECK("bind mnt on d", mount("mnt", "d", NULL, MS_BIND, NULL));
	CHECK("make d private", mount(NULL, "d", NULL, MS_PRIVATE, NULL));
	CHECK("mount tmpfs on e", mount("tmpfs", "e", "tmpfs", 0, NULL));
	CHECK("set group beneath too", k_move_mount(AT_FDCWD, "mnt", AT_FDCWD, "d", 0x300));
	CHECK("set group from a private mount", k_move_mount(AT_FDCWD, "d", AT_FDCWD, "mnt", 0x100));
	CHECK("set group of another file system", k_move_mount(AT_FDCWD, "mnt", AT_FDCWD, "e", 0x100));
	CHECK("set group of a directory", k_move_mount(AT_FDCWD, "mnt", AT_FDCWD, "mnt/w", 0x100));
	CHECK("set group", k_move_mount(AT_FDCWD, "mnt", AT_FDCWD, "d", 0x100));
	CHECK("set group again", k_move_mount(AT_FDCWD, "mnt", AT_FDCWD, "d", 0x100));
	mountline("d");
	mkdir("mnt/dir3", 0755);
	CHECK("mount on dir3", mount("tmpfs", "mnt/dir3", "tmpfs", 0, NULL));
	mountline("d/dir3");
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	enter("mountapi_tree");
	in_private_ns(body);
	cleanup();
	return 0;
}
