/* pivot_root(2): its errors (EPERM, ENOTDIR, ENOENT, EINVAL for a new
 * root that is not a mount, a shared put_old's mount, a put_old outside
 * the new root, a root that is not a mount root; EBUSY for the current
 * root), a pivot with put_old below the new root, and the
 * pivot_root(".", ".") idiom followed by umount2(".", MNT_DETACH). Needs
 * root; each case runs in a child in a new mount namespace. */
#include "file_common.h"
#include <sched.h>
#include <grp.h>
#include <sys/mount.h>
#include <sys/wait.h>

static int pivot(const char *n, const char *o) { return syscall(SYS_pivot_root, n, o); }

/* mounts prints the mount points of /proc/self/mountinfo, in order. */
static void mounts(void) {
	FILE *f = fopen("/proc/self/mountinfo", "r");
	if (!f) {
		printf("mountinfo: %s\n", errname(errno));
		return;
	}
	char buf[4096], mp[1024];
	printf("mounts:");
	while (fgets(buf, sizeof buf, f))
		if (sscanf(buf, "%*d %*d %*s %*s %1023s", mp) == 1) printf(" %s", mp);
	printf("\n");
	fclose(f);
}

/* list prints the names in directory p, sorted. */
static int cmp(const void *a, const void *b) { return strcmp(*(char **)a, *(char **)b); }
static void list(const char *p) {
	DIR *d = opendir(p);
	if (!d) {
		printf("ls %s: %s\n", p, errname(errno));
		return;
	}
	char *names[64];
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) && n < 64)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) names[n++] = strdup(e->d_name);
	closedir(d);
	qsort(names, n, sizeof names[0], cmp);
	printf("ls %s:", p);
	for (int i = 0; i < n; i++) printf(" %s", names[i]);
	printf("\n");
}

static void begin(void) {
	if (unshare(CLONE_NEWNS) < 0) printf("unshare: %s\n", errname(errno));
	if (mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) printf("rprivate: %s\n", errname(errno));
	/* The test's directory on a mount of its own, whatever the host's
	 * /tmp is. */
	if (mount("tmpfs", dir, "tmpfs", 0, "mode=0755") < 0 || chdir(dir) < 0) printf("tmpfs: %s\n", errname(errno));
	mkdir("new", 0755);
	mkdir("other", 0755);
	close(open("f", O_WRONLY | O_CREAT, 0644));
}

static void run(const char *name, void (*fn)(void)) {
	printf("== %s\n", name);
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		begin();
		fn();
		fflush(stdout);
		_exit(0);
	}
	int st;
	waitpid(c, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) printf("child status %d\n", st);
}

static void errors(void) {
	CHECK("file as new_root", pivot("f", "."));
	CHECK("missing new_root", pivot("nope", "."));
	CHECK("missing put_old", pivot("new", "nope"));
	CHECK("bad pointer", pivot(bad, "."));
	CHECK("new_root not a mount", pivot("new", "new"));
	CHECK("mount new", mount("tmpfs", "new", "tmpfs", 0, "mode=0755"));
	CHECK("mount other", mount("tmpfs", "other", "tmpfs", 0, "mode=0755"));
	mkdir("new/old", 0755);
	mkdir("other/sub", 0755);
	mkdir("other/sub/n", 0755);
	CHECK("mount other/sub/n", mount("tmpfs", "other/sub/n", "tmpfs", 0, "mode=0755"));
	CHECK("put_old outside new_root", pivot("new", "other"));
	CHECK("new_root is the root", pivot("/", "new/old"));
	CHECK("make new shared", mount(NULL, "new", NULL, MS_SHARED, NULL));
	CHECK("put_old's mount shared", pivot("new", "new/old"));
	CHECK("make new private", mount(NULL, "new", NULL, MS_PRIVATE, NULL));
	mkdir("new/plain", 0755);
	CHECK("new_root not a mount root", pivot("new/plain", "new/plain"));
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		CHECK("chroot into a directory", chroot("other/sub"));
		CHECK("root not a mount root", pivot("/n", "/n"));
		fflush(stdout);
		_exit(0);
	}
	waitpid(c, NULL, 0);
	c = fork();
	if (c == 0) {
		setgroups(0, NULL);
		setgid(1000);
		setuid(1000);
		CHECK("unprivileged", pivot("new", "new/old"));
		fflush(stdout);
		_exit(0);
	}
	waitpid(c, NULL, 0);
}

static void put_old_below(void) {
	CHECK("mount new", mount("tmpfs", "new", "tmpfs", 0, "mode=0755"));
	mkdir("new/old", 0755);
	mkdir("new/sub", 0755);
	close(open("new/marker", O_WRONLY | O_CREAT, 0644));
	CHECK("mount new/sub", mount("tmpfs", "new/sub", "tmpfs", 0, "mode=0755"));
	mkdir("new/proc", 0755);
	CHECK("mount new/proc", mount("proc", "new/proc", "proc", 0, NULL));
	CHECK("chdir new/sub", chdir("new/sub"));
	CHECK("pivot_root new new/old", pivot("..", "../old"));
	char cwd[512];
	printf("getcwd: %s\n", getcwd(cwd, sizeof cwd) ? cwd : errname(errno));
	list("/");
	char old[512];
	snprintf(old, sizeof old, "/old%s/f", dir);
	CHECK("old root at /old", access(old, F_OK));
	CHECK("umount /old busy", umount("/old"));
	CHECK("umount -l /old", umount2("/old", MNT_DETACH));
	CHECK("old root gone", access(old, F_OK));
	mounts();
	CHECK("chroot /", chroot("/"));
	CHECK("chdir ..", chdir(".."));
	printf("getcwd: %s\n", getcwd(cwd, sizeof cwd) ? cwd : errname(errno));
}

static void dot_dot(void) {
	CHECK("mount new", mount("tmpfs", "new", "tmpfs", 0, "mode=0755"));
	close(open("new/marker", O_WRONLY | O_CREAT, 0644));
	mkdir("new/proc", 0755);
	CHECK("mount new/proc", mount("proc", "new/proc", "proc", 0, NULL));
	CHECK("chdir new", chdir("new"));
	CHECK("pivot_root . .", pivot(".", "."));
	char cwd[512];
	printf("getcwd: %s\n", getcwd(cwd, sizeof cwd) ? cwd : errname(errno));
	CHECK("umount -l .", umount2(".", MNT_DETACH));
	list("/");
	list(".");
	mounts();
	CHECK("pivot_root . . again", pivot(".", "."));
}

int main(void) {
	if (geteuid() != 0) {
		printf("needs root\n");
		return 0;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	enter("pivot");
	run("errors", errors);
	run("put_old below new_root", put_old_below);
	run("pivot_root . .", dot_dot);
	cleanup();
	return 0;
}
