/* Extended attributes in the user, trusted and security namespaces. */
#include "file_common.h"
#include <sys/xattr.h>

static void list(const char *label, long n, char *buf) {
	if (n < 0) {
		printf("%s: -1 %s\n", label, errname(errno));
		return;
	}
	/* Print the names sorted: file systems list them in their own order. */
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
	enter("xattr");
	char buf[256];
	int fd = open("f", O_RDWR | O_CREAT, 0644);
	mkdir("d", 0755);
	symlink("f", "l");

	CHECK("set user.a", setxattr("f", "user.a", "v1", 2, 0));
	CHECK("get size", getxattr("f", "user.a", NULL, 0));
	memset(buf, 0, sizeof buf);
	CHECK("get", getxattr("f", "user.a", buf, sizeof buf));
	printf("value: %s\n", buf);
	CHECK("get small buffer", getxattr("f", "user.a", buf, 1));
	CHECK("get missing", getxattr("f", "user.nope", buf, sizeof buf));
	CHECK("create existing", setxattr("f", "user.a", "x", 1, XATTR_CREATE));
	CHECK("replace missing", setxattr("f", "user.b", "x", 1, XATTR_REPLACE));
	CHECK("replace", setxattr("f", "user.a", "v22", 3, XATTR_REPLACE));
	CHECK("bad flags", setxattr("f", "user.a", "x", 1, 4));
	CHECK("empty value", setxattr("f", "user.empty", "", 0, 0));
	CHECK("get empty", getxattr("f", "user.empty", buf, sizeof buf));
	CHECK("set trusted", setxattr("f", "trusted.t", "T", 1, 0));
	CHECK("set security", setxattr("f", "security.s", "S", 1, 0));
	CHECK("unknown namespace", setxattr("f", "foo.bar", "x", 1, 0));
	CHECK("bare prefix", setxattr("f", "user.", "x", 1, 0));
	CHECK("empty name", setxattr("f", "", "x", 1, 0));
	char longname[300] = "user.";
	memset(longname + 5, 'n', 260);
	longname[265] = 0;
	CHECK("long name", setxattr("f", longname, "x", 1, 0));
	static char big[70000];
	CHECK("value too big", setxattr("f", "user.big", big, sizeof big, 0));
	CHECK("get bad name pointer", getxattr("f", bad, buf, sizeof buf));
	CHECK("get bad buffer", getxattr("f", "user.a", bad, 10));
	char lbuf[512];
	list("list", listxattr("f", lbuf, sizeof lbuf), lbuf);
	CHECK("list size", listxattr("f", NULL, 0));
	CHECK("list small buffer", listxattr("f", lbuf, 3));
	list("list via link", listxattr("l", lbuf, sizeof lbuf), lbuf);
	list("llist on link", llistxattr("l", lbuf, sizeof lbuf), lbuf);
	CHECK("lset user on link", lsetxattr("l", "user.x", "x", 1, 0));
	CHECK("lget user on link", lgetxattr("l", "user.x", buf, sizeof buf));
	CHECK("get via link", getxattr("l", "user.a", buf, sizeof buf));
	CHECK("fget", fgetxattr(fd, "user.a", buf, sizeof buf));
	CHECK("fset", fsetxattr(fd, "user.f", "F", 1, 0));
	list("flist", flistxattr(fd, lbuf, sizeof lbuf), lbuf);
	int p = open("f", O_PATH);
	CHECK("fget O_PATH", fgetxattr(p, "user.a", buf, sizeof buf));
	close(p);
	CHECK("fget bad fd", fgetxattr(99, "user.a", buf, sizeof buf));
	CHECK("set on dir", setxattr("d", "user.dir", "D", 1, 0));
	list("list dir", listxattr("d", lbuf, sizeof lbuf), lbuf);
	CHECK("remove", removexattr("f", "user.a"));
	CHECK("remove again", removexattr("f", "user.a"));
	CHECK("lremove", lremovexattr("l", "user.a"));
	CHECK("fremove", fremovexattr(fd, "user.f"));
	list("list after", listxattr("f", lbuf, sizeof lbuf), lbuf);
	CHECK("get missing file", getxattr("nope", "user.a", buf, sizeof buf));
	list("list empty dir", listxattr(".", lbuf, sizeof lbuf), lbuf);

	close(fd);
	cleanup();
	return 0;
}
