/* User namespaces made by an unprivileged user and by root: ids before
 * and after the maps are written, uid_map/gid_map/setgroups validation,
 * capabilities inside (full there, none over unmapped files), namespaces
 * the owner may make inside, nesting, and setns's refusal to go back to
 * an ancestor. Run as a user, the privileged steps meet the
 * unprivileged errors. */
#include "file_common.h"
#include "cap_common.h"
#include <grp.h>
#include <sched.h>
#include <sys/wait.h>

static void child(void (*fn)(void)) {
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		fn();
		fflush(stdout);
		_exit(0);
	}
	int st;
	waitpid(c, &st, 0);
}

static void writefile(const char *what, const char *path, const char *text) {
	int fd = open(path, O_WRONLY);
	if (fd < 0) {
		printf("%s: open %s\n", what, errname(errno));
		return;
	}
	CHECK(what, write(fd, text, strlen(text)));
	close(fd);
}

static void cat(const char *path) {
	char buf[512];
	int fd = open(path, O_RDONLY);
	int n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
	if (n < 0) {
		printf("%s: %s\n", path, errname(errno));
		return;
	}
	buf[n] = 0;
	printf("%s:\n%s", path, buf);
	close(fd);
}

static void ids(const char *what) {
	struct stat st;
	stat("/", &st);
	printf("%s: uid %d euid %d gid %d egid %d; / owned by %d:%d\n", what, getuid(), geteuid(), getgid(), getegid(),
	       st.st_uid, st.st_gid);
}

static ino_t nsino(const char *p) {
	struct stat st;
	return stat(p, &st) < 0 ? 0 : st.st_ino;
}

static void unprivileged(void) {
	setgroups(0, NULL);
	setgid(1000);
	setuid(1000);
	/* The uid change made the process not dumpable: its /proc files
	 * belong to root until it says otherwise. */
	CHECK("open uid_map while not dumpable", open("/proc/self/uid_map", O_WRONLY));
	prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
	int parent = open("/proc/self/ns/user", O_RDONLY);
	ino_t before = nsino("/proc/self/ns/user");
	CHECK("unshare(CLONE_NEWUSER)", unshare(CLONE_NEWUSER));
	printf("user ns changed: %d\n", nsino("/proc/self/ns/user") != before);
	ids("unmapped");
	showcaps("caps inside");
	cat("/proc/self/uid_map");
	cat("/proc/self/setgroups");
	writefile("uid_map 0 0 1", "/proc/self/uid_map", "0 0 1\n");
	writefile("uid_map two lines", "/proc/self/uid_map", "0 1000 1\n1 1001 1\n");
	writefile("uid_map garbage", "/proc/self/uid_map", "zero 1000 1\n");
	writefile("uid_map count 0", "/proc/self/uid_map", "0 1000 0\n");
	writefile("uid_map 0 1000 1", "/proc/self/uid_map", "0 1000 1\n");
	writefile("uid_map again", "/proc/self/uid_map", "0 1000 1\n");
	writefile("gid_map before deny", "/proc/self/gid_map", "0 1000 1\n");
	writefile("setgroups bogus", "/proc/self/setgroups", "maybe\n");
	writefile("setgroups deny", "/proc/self/setgroups", "deny\n");
	writefile("gid_map 0 1000 1", "/proc/self/gid_map", "0 1000 1\n");
	writefile("setgroups allow after deny", "/proc/self/setgroups", "allow\n");
	cat("/proc/self/uid_map");
	cat("/proc/self/gid_map");
	cat("/proc/self/setgroups");
	ids("mapped");
	CHECK("setgroups()", setgroups(0, NULL));
	CHECK("setuid(5) unmapped", setuid(5));
	CHECK("setuid(0)", setuid(0));
	CHECK("open /etc/shadow", open("/etc/shadow", O_RDONLY));
	CHECK("chown root's file", chown(dir, 0, 0));
	CHECK("unshare(CLONE_NEWUTS)", unshare(CLONE_NEWUTS));
	CHECK("sethostname", sethostname("inner", 5));
	CHECK("unshare(CLONE_NEWNS)", unshare(CLONE_NEWNS));
	CHECK("unshare(CLONE_NEWIPC)", unshare(CLONE_NEWIPC));
	CHECK("setns to parent user ns", setns(parent, CLONE_NEWUSER));
	CHECK("unshare nested user ns", unshare(CLONE_NEWUSER));
	ids("nested");
	cat("/proc/self/uid_map");
}

/* privileged: root's child makes a user namespace and its parent, root
 * in the initial namespace, writes wide maps for it (as newuidmap does). */
static void privileged(void) {
	int go[2], ready[2];
	if (pipe(go) < 0 || pipe(ready) < 0) return;
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		char x;
		CHECK("unshare(CLONE_NEWUSER) as root", unshare(CLONE_NEWUSER));
		write(ready[1], "r", 1);
		read(go[0], &x, 1);
		cat("/proc/self/uid_map");
		cat("/proc/self/gid_map");
		cat("/proc/self/setgroups");
		ids("root inside");
		CHECK("setgroups allowed", setgroups(0, NULL));
		CHECK("setgid(2000)", setgid(2000));
		CHECK("setgid(70000) unmapped", setgid(70000));
		writefile("identity map from inside", "/proc/self/uid_map", "0 0 1\n");
		fflush(stdout);
		_exit(0);
	}
	char x, path[64];
	read(ready[0], &x, 1);
	snprintf(path, sizeof path, "/proc/%d/uid_map", c);
	writefile("parent writes uid_map", path, "0 0 65536\n");
	snprintf(path, sizeof path, "/proc/%d/gid_map", c);
	writefile("parent writes gid_map", path, "0 0 65536\n");
	writefile("parent writes gid_map again", path, "0 0 1\n");
	write(go[1], "g", 1);
	waitpid(c, NULL, 0);
}

static void initial(void) {
	cat("/proc/self/uid_map");
	writefile("write initial uid_map", "/proc/self/uid_map", "0 0 1\n");
	writefile("write initial setgroups", "/proc/self/setgroups", "deny\n");
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	enter("nsuser");
	child(initial);
	child(unprivileged);
	privileged();
	cleanup();
	return 0;
}
