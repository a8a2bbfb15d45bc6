/* setxattrat, getxattrat, listxattrat and removexattrat (Linux 6.13):
 * struct xattr_args and its size rules (EINVAL below 16 bytes, E2BIG
 * above a page or with non-zero bytes past the known struct), the
 * at_flags AT_SYMLINK_NOFOLLOW and AT_EMPTY_PATH (an empty or NULL path
 * names dirfd itself), dirfd-relative lookups, and the order in which
 * Linux checks its arguments. */
#include "file_common.h"
#include <sys/xattr.h>

#ifndef SYS_setxattrat
#define SYS_setxattrat 463
#define SYS_getxattrat 464
#define SYS_listxattrat 465
#define SYS_removexattrat 466
#endif
#ifndef AT_EMPTY_PATH
#define AT_EMPTY_PATH 0x1000
#endif

/* struct xattr_args of linux/xattr.h, with room past its end. */
struct args {
	unsigned long long value;
	unsigned int size, flags;
	unsigned char more[16];
};

static long setat(int dfd, const char *path, unsigned at, const char *name, const void *val, unsigned size, unsigned flags) {
	struct args a = {(unsigned long)val, size, flags, {0}};
	return syscall(SYS_setxattrat, dfd, path, at, name, &a, 16);
}

static long getat(int dfd, const char *path, unsigned at, const char *name, void *val, unsigned size) {
	struct args a = {(unsigned long)val, size, 0, {0}};
	return syscall(SYS_getxattrat, dfd, path, at, name, &a, 16);
}

static void list(const char *label, long n, char *buf) {
	if (n < 0) {
		printf("%s: -1 %s\n", label, errname(errno));
		return;
	}
	/* Sorted: file systems list names in their own order. */
	char *names[32];
	int k = 0;
	for (char *p = buf; p < buf + n && k < 32; p += strlen(p) + 1) names[k++] = p;
	for (int i = 0; i < k; i++)
		for (int j = i + 1; j < k; j++)
			if (strcmp(names[i], names[j]) > 0) { char *t = names[i]; names[i] = names[j]; names[j] = t; }
	printf("%s: %ld [", label, n);
	for (int i = 0; i < k; i++) printf("%s%s", i ? " " : "", names[i]);
	printf("]\n");
}

int main(void) {
	enter("xattrat");
	char buf[256], lbuf[512];
	int fd = open("f", O_RDWR | O_CREAT, 0644);
	mkdir("d", 0755);
	symlink("f", "l");
	int dfd = open(".", O_RDONLY | O_DIRECTORY);
	int pfd = open("f", O_PATH);

	CHECK("set", setat(dfd, "f", 0, "user.a", "v1", 2, 0));
	memset(buf, 0, sizeof buf);
	CHECK("get", getat(dfd, "f", 0, "user.a", buf, sizeof buf));
	printf("value: %s\n", buf);
	CHECK("get size", getat(dfd, "f", 0, "user.a", NULL, 0));
	CHECK("get small", getat(dfd, "f", 0, "user.a", buf, 1));
	CHECK("get missing", getat(dfd, "f", 0, "user.nope", buf, sizeof buf));
	CHECK("get via link", getat(dfd, "l", 0, "user.a", buf, sizeof buf));
	CHECK("get link nofollow", getat(dfd, "l", AT_SYMLINK_NOFOLLOW, "user.a", buf, sizeof buf));
	CHECK("set link nofollow", setat(dfd, "l", AT_SYMLINK_NOFOLLOW, "user.x", "x", 1, 0));
	CHECK("set via link", setat(dfd, "l", 0, "user.b", "B", 1, 0));
	CHECK("set create existing", setat(dfd, "f", 0, "user.a", "x", 1, XATTR_CREATE));
	CHECK("set replace missing", setat(dfd, "f", 0, "user.c", "x", 1, XATTR_REPLACE));
	CHECK("set bad flags", setat(dfd, "f", 0, "user.c", "x", 1, 4));
	CHECK("set empty value", setat(dfd, "f", 0, "user.e", NULL, 0, 0));
	CHECK("get empty value", getat(dfd, "f", 0, "user.e", buf, sizeof buf));
	static char big[70000];
	CHECK("set too big", setat(dfd, "f", 0, "user.big", big, sizeof big, 0));
	CHECK("set bad value", setat(dfd, "f", 0, "user.c", bad, 4, 0));
	CHECK("get bad buffer", getat(dfd, "f", 0, "user.a", bad, 10));
	CHECK("set empty name", setat(dfd, "f", 0, "", "x", 1, 0));
	CHECK("get bad name", getat(dfd, "f", 0, bad, buf, sizeof buf));
	CHECK("set unknown namespace", setat(dfd, "f", 0, "foo.x", "x", 1, 0));

	/* The size of struct xattr_args. */
	struct args a = {(unsigned long)buf, sizeof buf, 0, {0}};
	CHECK("get usize 0", syscall(SYS_getxattrat, dfd, "f", 0, "user.a", &a, 0));
	CHECK("get usize 15", syscall(SYS_getxattrat, dfd, "f", 0, "user.a", &a, 15));
	CHECK("get usize 24 zero tail", syscall(SYS_getxattrat, dfd, "f", 0, "user.a", &a, 24));
	a.more[3] = 1;
	CHECK("get usize 24 tail", syscall(SYS_getxattrat, dfd, "f", 0, "user.a", &a, 24));
	CHECK("get usize 16 tail", syscall(SYS_getxattrat, dfd, "f", 0, "user.a", &a, 16));
	a.more[3] = 0;
	CHECK("get usize 4097", syscall(SYS_getxattrat, dfd, "f", 0, "user.a", &a, 4097));
	CHECK("get bad args", syscall(SYS_getxattrat, dfd, "f", 0, "user.a", bad, 16));
	CHECK("get NULL args", syscall(SYS_getxattrat, dfd, "f", 0, "user.a", NULL, 16));
	a.flags = 1;
	CHECK("get args flags", syscall(SYS_getxattrat, dfd, "f", 0, "user.a", &a, 16));
	a.flags = 0;
	CHECK("set usize 8", syscall(SYS_setxattrat, dfd, "f", 0, "user.a", &a, 8));
	CHECK("set usize 8192", syscall(SYS_setxattrat, dfd, "f", 0, "user.a", &a, 8192));
	CHECK("set bad args", syscall(SYS_setxattrat, dfd, "f", 0, "user.a", bad, 16));
	CHECK("set bad args and at_flags", syscall(SYS_setxattrat, dfd, "f", 0x200, "user.a", bad, 16));
	CHECK("set usize 8 and at_flags", syscall(SYS_setxattrat, dfd, "f", 0x200, "user.a", &a, 8));
	CHECK("get usize 8 and at_flags", syscall(SYS_getxattrat, dfd, "f", 0x200, "user.a", &a, 8));
	a.flags = 8;
	CHECK("set bad flags and name", syscall(SYS_setxattrat, dfd, "f", 0, "", &a, 16));
	CHECK("set bad flags and at_flags", syscall(SYS_setxattrat, dfd, "f", 0x200, "user.a", &a, 16));
	a.flags = 0;
	a.size = 70000;
	CHECK("set too big and empty name", syscall(SYS_setxattrat, dfd, "f", 0, "", &a, 16));
	CHECK("set too big and missing file", syscall(SYS_setxattrat, dfd, "nope", 0, "user.a", &a, 16));
	a.size = sizeof buf;

	/* at_flags. */
	CHECK("get at_flags 0x200", getat(dfd, "f", 0x200, "user.a", buf, sizeof buf));
	CHECK("get at_flags AT_NO_AUTOMOUNT", getat(dfd, "f", AT_NO_AUTOMOUNT, "user.a", buf, sizeof buf));
	CHECK("list at_flags 0x200", syscall(SYS_listxattrat, dfd, "f", 0x200, lbuf, sizeof lbuf));
	CHECK("remove at_flags 0x200", syscall(SYS_removexattrat, dfd, "f", 0x200, "user.a"));
	CHECK("remove bad at_flags and name", syscall(SYS_removexattrat, dfd, "f", 0x200, ""));

	/* Empty and NULL paths. */
	CHECK("get empty path", getat(fd, "", 0, "user.a", buf, sizeof buf));
	CHECK("get NULL path", getat(fd, NULL, 0, "user.a", buf, sizeof buf));
	CHECK("get empty path AT_EMPTY_PATH", getat(fd, "", AT_EMPTY_PATH, "user.a", buf, sizeof buf));
	CHECK("get NULL path AT_EMPTY_PATH", getat(fd, NULL, AT_EMPTY_PATH, "user.a", buf, sizeof buf));
	CHECK("get bad path AT_EMPTY_PATH", getat(fd, bad, AT_EMPTY_PATH, "user.a", buf, sizeof buf));
	CHECK("get bad path", getat(fd, bad, 0, "user.a", buf, sizeof buf));
	CHECK("get O_PATH fd AT_EMPTY_PATH", getat(pfd, "", AT_EMPTY_PATH, "user.a", buf, sizeof buf));
	CHECK("get AT_FDCWD AT_EMPTY_PATH", getat(AT_FDCWD, "", AT_EMPTY_PATH, "user.a", buf, sizeof buf));
	CHECK("get bad fd AT_EMPTY_PATH", getat(99, NULL, AT_EMPTY_PATH, "user.a", buf, sizeof buf));
	CHECK("get negative fd AT_EMPTY_PATH", getat(neg, NULL, AT_EMPTY_PATH, "user.a", buf, sizeof buf));
	CHECK("get dir fd AT_EMPTY_PATH", getat(dfd, "", AT_EMPTY_PATH, "user.a", buf, sizeof buf));
	CHECK("get path with AT_EMPTY_PATH", getat(dfd, "f", AT_EMPTY_PATH, "user.a", buf, sizeof buf));
	CHECK("set NULL path AT_EMPTY_PATH", setat(fd, NULL, AT_EMPTY_PATH, "user.n", "N", 1, 0));
	CHECK("set O_PATH fd AT_EMPTY_PATH", setat(pfd, "", AT_EMPTY_PATH, "user.n", "N", 1, 0));
	CHECK("set AT_FDCWD AT_EMPTY_PATH", setat(AT_FDCWD, "", AT_EMPTY_PATH, "user.n", "N", 1, 0));
	CHECK("set empty path", setat(fd, "", 0, "user.n", "N", 1, 0));
	CHECK("set dir fd AT_EMPTY_PATH", setat(dfd, NULL, AT_EMPTY_PATH, "user.dir", "D", 1, 0));
	list("list dir fd AT_EMPTY_PATH", syscall(SYS_listxattrat, dfd, NULL, AT_EMPTY_PATH, lbuf, sizeof lbuf), lbuf);
	CHECK("list O_PATH fd AT_EMPTY_PATH", syscall(SYS_listxattrat, pfd, "", AT_EMPTY_PATH, lbuf, sizeof lbuf));
	CHECK("list empty path", syscall(SYS_listxattrat, fd, "", 0, lbuf, sizeof lbuf));
	CHECK("list NULL path", syscall(SYS_listxattrat, fd, NULL, 0, lbuf, sizeof lbuf));
	CHECK("remove O_PATH fd AT_EMPTY_PATH", syscall(SYS_removexattrat, pfd, "", AT_EMPTY_PATH, "user.n"));
	CHECK("remove empty path", syscall(SYS_removexattrat, fd, "", 0, "user.n"));
	list("list AT_FDCWD AT_EMPTY_PATH", syscall(SYS_listxattrat, AT_FDCWD, "", AT_EMPTY_PATH, lbuf, sizeof lbuf), lbuf);
	CHECK("remove AT_FDCWD AT_EMPTY_PATH", syscall(SYS_removexattrat, AT_FDCWD, "", AT_EMPTY_PATH, "user.n"));
	CHECK("remove negative fd AT_EMPTY_PATH", syscall(SYS_removexattrat, neg, "", AT_EMPTY_PATH, "user.n"));

	/* The f*xattr calls are the *at calls with AT_EMPTY_PATH and a NULL
	 * path for get and set (so AT_FDCWD names the cwd), and take only
	 * an fd for list and remove; the name is read before the fd. */
	CHECK("fset AT_FDCWD", fsetxattr(AT_FDCWD, "user.cwd", "C", 1, 0));
	CHECK("fget AT_FDCWD", fgetxattr(AT_FDCWD, "user.cwd", buf, sizeof buf));
	CHECK("flist AT_FDCWD", flistxattr(AT_FDCWD, lbuf, sizeof lbuf));
	CHECK("fremove AT_FDCWD", fremovexattr(AT_FDCWD, "user.cwd"));
	CHECK("fget bad fd and name", fgetxattr(99, "", buf, sizeof buf));
	CHECK("fset bad fd and name", fsetxattr(99, "", "x", 1, 0));
	CHECK("fremove bad fd and name", fremovexattr(99, ""));
	CHECK("get missing file and bad name", getxattr("nope", bad, buf, sizeof buf));
	CHECK("remove missing file and empty name", removexattr("nope", ""));
	CHECK("fget O_PATH", fgetxattr(pfd, "user.a", buf, sizeof buf));
	CHECK("fset O_PATH", fsetxattr(pfd, "user.a", "x", 1, 0));
	CHECK("flist O_PATH", flistxattr(pfd, lbuf, sizeof lbuf));
	CHECK("fremove O_PATH", fremovexattr(pfd, "user.a"));
	CHECK("fremove cwd AT_FDCWD", fremovexattr(AT_FDCWD, "user.dir"));
	CHECK("remove cwd", removexattr(".", "user.dir"));

	/* dirfd. */
	CHECK("get bad dirfd", getat(99, "f", 0, "user.a", buf, sizeof buf));
	CHECK("get file as dirfd", getat(fd, "f", 0, "user.a", buf, sizeof buf));
	char abs[300];
	snprintf(abs, sizeof abs, "%s/f", dir);
	CHECK("get absolute with bad dirfd", getat(99, abs, 0, "user.a", buf, sizeof buf));
	CHECK("get AT_FDCWD", getat(AT_FDCWD, "f", 0, "user.a", buf, sizeof buf));
	CHECK("get missing file", getat(dfd, "nope", 0, "user.a", buf, sizeof buf));

	/* listxattrat. */
	list("list", syscall(SYS_listxattrat, dfd, "f", 0, lbuf, sizeof lbuf), lbuf);
	CHECK("list size", syscall(SYS_listxattrat, dfd, "f", 0, NULL, 0));
	CHECK("list small", syscall(SYS_listxattrat, dfd, "f", 0, lbuf, 3));
	CHECK("list bad buffer", syscall(SYS_listxattrat, dfd, "f", 0, bad, sizeof lbuf));
	list("list link nofollow", syscall(SYS_listxattrat, dfd, "l", AT_SYMLINK_NOFOLLOW, lbuf, sizeof lbuf), lbuf);
	list("list fd AT_EMPTY_PATH", syscall(SYS_listxattrat, fd, "", AT_EMPTY_PATH, lbuf, sizeof lbuf), lbuf);

	/* removexattrat. */
	CHECK("remove", syscall(SYS_removexattrat, dfd, "f", 0, "user.a"));
	CHECK("remove again", syscall(SYS_removexattrat, dfd, "f", 0, "user.a"));
	CHECK("remove via link", syscall(SYS_removexattrat, dfd, "l", 0, "user.b"));
	CHECK("remove link nofollow", syscall(SYS_removexattrat, dfd, "l", AT_SYMLINK_NOFOLLOW, "user.e"));
	CHECK("remove fd AT_EMPTY_PATH", syscall(SYS_removexattrat, fd, NULL, AT_EMPTY_PATH, "user.e"));
	CHECK("remove bad name", syscall(SYS_removexattrat, dfd, "f", 0, bad));
	CHECK("remove long name", syscall(SYS_removexattrat, dfd, "f", 0, "user.nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn"));
	list("list after", syscall(SYS_listxattrat, dfd, "f", 0, lbuf, sizeof lbuf), lbuf);

	close(pfd);
	close(dfd);
	close(fd);
	cleanup();
	return 0;
}
