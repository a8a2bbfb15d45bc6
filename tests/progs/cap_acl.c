/* POSIX ACLs through the system.posix_acl_* attributes: access decisions
 * (owner, named users, owning group, named groups, mask, other, and
 * capabilities overriding them), setxattr's validation errors, the mode
 * an ACL sets, chmod keeping the mask, and what a directory's default ACL
 * gives new files and directories. As root, children take other uids and
 * gids; as an unprivileged user, the owner's side. */
#include "file_common.h"
#include <grp.h>
#include <stdint.h>
#include <sys/wait.h>
#include <sys/xattr.h>

#define UO 1
#define U 2
#define GO 4
#define G 8
#define M 0x10
#define O 0x20
#define NOID 0xffffffffu

struct ent {
	uint16_t tag, perm;
	uint32_t id;
};

static int setacl_v(const char *path, const char *name, int version, struct ent *e, int n, int extra) {
	char buf[4 + 8 * 32 + 8] = {0};
	uint32_t v = version;
	memcpy(buf, &v, 4);
	memcpy(buf + 4, e, 8 * n);
	return setxattr(path, name, buf, 4 + 8 * n + extra, 0);
}

static int setacl(const char *path, const char *name, struct ent *e, int n) {
	return setacl_v(path, name, 2, e, n, 0);
}

static const char *A = "system.posix_acl_access", *D = "system.posix_acl_default";

static void show(const char *label, const char *path, const char *name) {
	char buf[512];
	ssize_t n = getxattr(path, name, buf, sizeof buf);
	if (n < 0) {
		printf("%s: %s\n", label, errname(errno));
		return;
	}
	printf("%s:", label);
	for (ssize_t off = 4; off + 8 <= n; off += 8) {
		struct ent e;
		memcpy(&e, buf + off, 8);
		if (e.id == NOID) printf(" %x:%o", e.tag, e.perm);
		else printf(" %x:%o:%u", e.tag, e.perm, e.id);
	}
	printf("\n");
}

static void mode(const char *label, const char *path) {
	struct stat st;
	if (stat(path, &st) < 0) printf("%s: %s\n", label, errname(errno));
	else printf("%s: %o\n", label, st.st_mode & 07777);
}

static void access_as(uid_t uid, gid_t gid, int ngroups, gid_t *groups, const char *path) {
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		if (setgroups(ngroups, groups) < 0 || setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0) {
			printf("setres: %s\n", errname(errno));
			_exit(1);
		}
		int r = open(path, O_RDONLY);
		int re = errno;
		int w = open(path, O_WRONLY);
		int we = errno;
		printf("  uid %u gid %u groups %d %s: read %s write %s\n", uid, gid, ngroups, path,
		       r >= 0 ? "ok" : errname(re), w >= 0 ? "ok" : errname(we));
		fflush(stdout);
		_exit(0);
	}
	waitpid(c, NULL, 0);
}

static void as_root(void) {
	close(open("f", O_WRONLY | O_CREAT, 0644));
	struct ent e[] = {{UO, 6, 0}, {U, 4, 1000}, {U, 6, 1001}, {GO, 4, 0}, {G, 6, 2000}, {M, 4, 0}, {O, 0, 0}};
	CHECK("set access ACL", setacl("f", A, e, 7));
	show("ACL", "f", A);
	mode("mode", "f");
	gid_t g2000 = 2000, g0 = 0;
	access_as(1000, 1000, 0, NULL, "f");
	access_as(1001, 1001, 0, NULL, "f");
	access_as(1002, 0, 0, NULL, "f");
	access_as(1002, 3000, 1, &g2000, "f");
	access_as(1002, 3000, 0, NULL, "f");
	access_as(1002, 3000, 1, &g0, "f");
	e[5].perm = 6;
	CHECK("mask rw", setacl("f", A, e, 7));
	mode("mode", "f");
	access_as(1001, 1001, 0, NULL, "f");
	access_as(1002, 3000, 1, &g2000, "f");
	CHECK("chmod 0604", chmod("f", 0604));
	show("ACL after chmod", "f", A);
	access_as(1001, 1001, 0, NULL, "f");
	access_as(1002, 3000, 0, NULL, "f");
	/* The owner's entry is the mode's; capabilities override the rest. */
	CHECK("chown 1005", chown("f", 1005, 1005));
	e[0].perm = 0;
	CHECK("owner ---", setacl("f", A, e, 7));
	access_as(1005, 1005, 0, NULL, "f");
	access_as(0, 0, 0, NULL, "f");
	/* Search permission on a directory from a named user. */
	mkdir("d", 0700);
	close(open("d/in", O_WRONLY | O_CREAT, 0644));
	chown("d", 1005, 1005);
	struct ent de[] = {{UO, 7, 0}, {U, 1, 1000}, {GO, 0, 0}, {M, 1, 0}, {O, 0, 0}};
	CHECK("set directory ACL", setacl("d", A, de, 5));
	access_as(1000, 1000, 0, NULL, "d/in");
	access_as(1001, 1001, 0, NULL, "d/in");
}

static void owner_side(void) {
	close(open("g", O_WRONLY | O_CREAT, 0640));
	struct ent e[] = {{UO, 6, 0}, {U, 4, 4242}, {GO, 4, 0}, {G, 6, 4343}, {M, 6, 0}, {O, 4, 0}};
	CHECK("set", setacl("g", A, e, 6));
	show("ACL", "g", A);
	mode("mode", "g");
	struct ent bad[] = {{GO, 4, 0}, {UO, 6, 0}, {O, 0, 0}};
	CHECK("unordered", setacl("g", A, bad, 3));
	struct ent nomask[] = {{UO, 6, 0}, {U, 4, 4242}, {GO, 4, 0}, {O, 0, 0}};
	CHECK("named without mask", setacl("g", A, nomask, 4));
	struct ent perm[] = {{UO, 8, 0}, {GO, 4, 0}, {O, 0, 0}};
	CHECK("bad perm", setacl("g", A, perm, 3));
	struct ent tag[] = {{UO, 6, 0}, {GO, 4, 0}, {0x40, 0, 0}};
	CHECK("bad tag", setacl("g", A, tag, 3));
	struct ent noother[] = {{UO, 6, 0}, {GO, 4, 0}};
	CHECK("no other", setacl("g", A, noother, 2));
	CHECK("version 1", setacl_v("g", A, 1, e, 6, 0));
	CHECK("odd size", setacl_v("g", A, 2, e, 6, 3));
	CHECK("short", setxattr("g", A, "\2\0", 2, 0));
	struct ent dflt[] = {{UO, 7, 0}, {GO, 5, 0}, {O, 0, 0}};
	CHECK("default on a file", setacl("g", D, dflt, 3));
	CHECK("system.other", setxattr("g", "system.other", "x", 1, 0));
	show("default of a file", "g", D);
	/* A minimal ACL is only a mode. */
	struct ent min[] = {{UO, 7, 0}, {GO, 1, 0}, {O, 4, 0}};
	CHECK("minimal", setacl("g", A, min, 3));
	show("after minimal", "g", A);
	mode("mode", "g");
	CHECK("remove (none)", removexattr("g", A));
	CHECK("set again", setacl("g", A, e, 6));
	CHECK("chmod 0750", chmod("g", 0750));
	show("after chmod", "g", A);
	CHECK("remove", removexattr("g", A));
	show("removed", "g", A);
	mode("mode", "g");
	CHECK("empty value removes", setxattr("g", A, "", 0, 0));
	char list[256];
	CHECK("list", listxattr("g", list, sizeof list));
	symlink("g", "l");
	CHECK("symlink", lsetxattr("l", A, "", 0, 0));
	if (geteuid() != 0) CHECK("not the owner", setacl("/tmp", A, e, 6));
	/* Inheritance: the default ACL replaces the umask. */
	mkdir("dd", 0755);
	struct ent de[] = {{UO, 7, 0}, {U, 5, 4242}, {GO, 5, 0}, {M, 7, 0}, {O, 0, 0}};
	CHECK("default ACL", setacl("dd", D, de, 5));
	umask(077);
	close(open("dd/new", O_WRONLY | O_CREAT, 0666));
	mkdir("dd/sub", 0777);
	mknod("dd/node", S_IFIFO | 0640, 0);
	int tf = open("dd", O_TMPFILE | O_WRONLY, 0666);
	umask(022);
	if (tf < 0) {
		printf("O_TMPFILE: %s\n", errname(errno));
	} else {
		struct stat st;
		fstat(tf, &st);
		char buf[128];
		printf("O_TMPFILE mode %o acl size %ld\n", st.st_mode & 07777, (long)fgetxattr(tf, A, buf, sizeof buf));
		close(tf);
	}
	mode("new", "dd/new");
	show("new", "dd/new", A);
	mode("sub", "dd/sub");
	show("sub", "dd/sub", A);
	show("sub default", "dd/sub", D);
	mode("node", "dd/node");
	struct ent dmin[] = {{UO, 7, 0}, {GO, 0, 0}, {O, 5, 0}};
	CHECK("minimal default", setacl("dd", D, dmin, 3));
	show("minimal default kept", "dd", D);
	umask(077);
	close(open("dd/new2", O_WRONLY | O_CREAT, 0666));
	umask(022);
	mode("new2", "dd/new2");
	show("new2", "dd/new2", A);
	CHECK("remove default", removexattr("dd", D));
	show("dd default", "dd", D);
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	enter("acl");
	owner_side();
	if (geteuid() == 0) as_root();
	cleanup();
	return 0;
}
