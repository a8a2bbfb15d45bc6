/* mknod/mknodat: regular files, FIFOs, sockets and device nodes (as
 * root), their modes and device numbers, and the errors. */
#include "file_common.h"
#include <sys/sysmacros.h>

static void show(const char *path) {
	struct stat st;
	if (lstat(path, &st) < 0) {
		printf("%s: %s\n", path, errname(errno));
		return;
	}
	printf("%s: mode %o rdev %u:%u size %ld\n", path, st.st_mode, major(st.st_rdev), minor(st.st_rdev), (long)st.st_size);
}

int main(void) {
	enter("mknod");
	CHECK("mknod regular", mknod("reg", S_IFREG | 0640, 0));
	CHECK("mknod type 0", mknod("zero", 0600, 0));
	CHECK("mknod fifo", mknod("fifo", S_IFIFO | 0666, 0));
	CHECK("mkfifo", mkfifo("fifo2", 0600));
	CHECK("mknod socket", mknod("sock", S_IFSOCK | 0644, 0));
	CHECK("mknod char", mknod("null", S_IFCHR | 0666, makedev(1, 3)));
	CHECK("mknod block", mknod("blk", S_IFBLK | 0600, makedev(7, 200)));
	CHECK("mknod big minor", mknod("bigmin", S_IFCHR | 0600, makedev(4, 300)));
	CHECK("mknod dir", mknod("dir", S_IFDIR | 0755, 0));
	CHECK("mknod bad type", mknod("bad", 0110000, 0));
	CHECK("mknod symlink type", mknod("lnk", S_IFLNK | 0777, 0));
	CHECK("mknod exists", mknod("reg", S_IFREG | 0600, 0));
	CHECK("mknodat", mknodat(AT_FDCWD, "at", S_IFIFO | 0600, 0));
	CHECK("mknod missing dir", mknod("no/x", S_IFIFO | 0600, 0));
	show("reg");
	show("zero");
	show("fifo");
	show("fifo2");
	show("sock");
	show("null");
	show("blk");
	show("bigmin");
	show("at");
	CHECK("open socket node", open("sock", O_RDONLY));
	CHECK("unlink fifo", unlink("fifo"));
	CHECK("rename device", rename("null", "null2"));
	show("null2");
	cleanup();
	return 0;
}
