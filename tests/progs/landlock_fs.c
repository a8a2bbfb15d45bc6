/* Landlock's file-system rights enforced: each scenario runs in a child
 * that restricts itself (no_new_privs) inside a private directory (made
 * in /var/tmp and again in /dev/shm: the test's own directory is
 * read-only under kite), and prints the errno name of every attempt. */
#include "landlock_common.h"
#include <ftw.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/un.h>

static int v;

static void mkfile(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	if (fd < 0 || write(fd, "data", 4) != 4) {
		printf("mkfile %s: %s\n", path, errname(errno));
		exit(1);
	}
	close(fd);
}

static void mkdirs(const char *path)
{
	if (mkdir(path, 0755) < 0) {
		printf("mkdir %s: %s\n", path, errname(errno));
		exit(1);
	}
}

/* copy copies file from to to, executable. */
static void copy(const char *from, const char *to)
{
	int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	char buf[65536];
	ssize_t n;
	if (in < 0 || out < 0) {
		printf("copy %s: %s\n", to, errname(errno));
		exit(1);
	}
	while ((n = read(in, buf, sizeof buf)) > 0)
		if (write(out, buf, n) != n)
			exit(1);
	close(in);
	close(out);
}

static void try_open(const char *path, int flags)
{
	char what[128];
	snprintf(what, sizeof what, "open %s %s%s%s%s%s", path,
		 (flags & O_ACCMODE) == O_RDONLY ? "r" : (flags & O_ACCMODE) == O_WRONLY ? "w" : "rw",
		 flags & O_TRUNC ? "+trunc" : "", flags & O_CREAT ? "+creat" : "",
		 flags & O_DIRECTORY ? "+dir" : "", flags & O_PATH ? "+path" : "");
	int fd = open(path, flags, 0644);
	report(what, fd);
	if (fd >= 0)
		close(fd);
}

static void try_exec(const char *path)
{
	char what[128];
	snprintf(what, sizeof what, "exec %s", path);
	pid_t pid = fork();
	if (pid == 0) {
		char *argv[] = { (char *)path, "exec", NULL };
		execve(path, argv, (char *[]){ NULL });
		report(what, -1);
		_exit(0);
	}
	waitchild(what, pid);
}

static void try_bind(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char what[128];
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
	snprintf(what, sizeof what, "bind %s", path);
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	report(what, bind(s, (struct sockaddr *)&sa, sizeof sa));
	close(s);
}

#define TRY(what, call) report(what, (long)(call))

/* The rights a read-only tree gets. */
#define RO (LL_FS_READ_FILE | LL_FS_READ_DIR | LL_FS_EXECUTE)

static void basic(void)
{
	int before = open("r/f", O_RDWR);
	int rs = ruleset(handled(v, LL_FS_ALL));
	allow(rs, "r", RO);
	allow(rs, "w", handled(v, LL_FS_ALL));
	allow(rs, "x", LL_FS_EXECUTE);
	allow(rs, "onlyfile", LL_FS_READ_FILE);
	enforce(rs);

	try_open("r/f", O_RDONLY);
	try_open("r/f", O_WRONLY);
	try_open("r/f", O_RDWR);
	try_open("r/sub/g", O_RDONLY);
	try_open("r", O_RDONLY | O_DIRECTORY);
	try_open("r/sub", O_RDONLY);
	try_open("n", O_RDONLY);
	try_open("n", O_PATH);
	try_open("n/f", O_RDONLY);
	try_open("n/f", O_PATH);
	try_open(".", O_RDONLY);
	try_open("onlyfile", O_RDONLY);
	try_open("onlyfile", O_WRONLY);
	try_open("w/f", O_RDWR);
	try_open("w/f", O_WRONLY | O_TRUNC);
	if (v >= 3)
		try_open("r/f", O_RDONLY | O_TRUNC);
	try_open("r/f", O_RDONLY | O_CREAT);
	try_open("r/new", O_WRONLY | O_CREAT);
	try_open("w/new", O_WRONLY | O_CREAT);
	try_open("x/new", O_RDONLY | O_CREAT);
	struct stat st;
	TRY("stat n/f", stat("n/f", &st));
	TRY("access n/f", access("n/f", R_OK | W_OK));
	TRY("chdir n", chdir("n"));
	TRY("chdir back", chdir(".."));

	TRY("mkdir w/d2", mkdir("w/d2", 0755));
	TRY("mkdir r/d2", mkdir("r/d2", 0755));
	TRY("mkdir r/sub (exists)", mkdir("r/sub", 0755));
	TRY("mkdir n/d2", mkdir("n/d2", 0755));
	TRY("mkfifo w/fifo", mkfifo("w/fifo", 0644));
	TRY("mkfifo r/fifo", mkfifo("r/fifo", 0644));
	TRY("mknod reg w/reg", mknod("w/reg", S_IFREG | 0644, 0));
	TRY("mknod reg r/reg", mknod("r/reg", S_IFREG | 0644, 0));
	TRY("symlink w/sym", symlink("f", "w/sym"));
	TRY("symlink r/sym", symlink("f", "r/sym"));
	try_bind("w/sock");
	try_bind("r/sock");

	TRY("unlink w/f2", unlink("w/f2"));
	TRY("unlink r/f", unlink("r/f"));
	TRY("unlink r/missing", unlink("r/missing"));
	TRY("unlink r/sub (a dir)", unlink("r/sub"));
	TRY("rmdir w/d", rmdir("w/d"));
	TRY("rmdir r/sub", rmdir("r/sub"));

	if (v >= 3) {
		TRY("truncate w/x", truncate("w/x", 1));
		TRY("truncate r/f", truncate("r/f", 1));
		TRY("ftruncate fd opened before", ftruncate(before, 2));
		int fd = open("w/x", O_WRONLY);
		TRY("ftruncate w/x", ftruncate(fd, 0));
		close(fd);
		fd = open("onlyfile", O_RDONLY);
		TRY("ftruncate read-only fd", ftruncate(fd, 0));
		close(fd);
	}
	TRY("write fd opened before", write(before, "x", 1));
	close(before);

	try_exec("r/prog");
	try_exec("w/prog");
	try_exec("n/prog");
	try_exec("x/prog");
	TRY("rename w/a w/b", rename("w/a", "w/b"));
	TRY("rename w/b r/b", rename("w/b", "r/b"));
	TRY("rename r/f r/f3", rename("r/f", "r/f3"));
}

/* refer: link and rename between directories. */
static void refer(void)
{
	uint64_t all = handled(v, LL_FS_ALL);
	int rs = ruleset(all);
	allow(rs, "a", all);
	allow(rs, "b", all);
	allow(rs, "c", all & ~LL_FS_REFER);
	allow(rs, "d", LL_FS_READ_FILE | LL_FS_MAKE_REG | LL_FS_REMOVE_FILE | LL_FS_REFER);
	allow(rs, "e", RO | LL_FS_MAKE_REG | LL_FS_REMOVE_FILE | LL_FS_REFER | LL_FS_WRITE_FILE);
	allow(rs, "a/sub", LL_FS_WRITE_FILE);
	enforce(rs);

	TRY("rename a/f1 a/f1b", rename("a/f1", "a/f1b"));
	TRY("rename a/f2 b/f2", rename("a/f2", "b/f2"));
	TRY("rename a/f3 c/f3", rename("a/f3", "c/f3"));
	TRY("rename c/g a/g", rename("c/g", "a/g"));
	TRY("link a/f4 b/f4", link("a/f4", "b/f4"));
	TRY("link a/f5 c/f5", link("a/f5", "c/f5"));
	TRY("link a/f5 a/f5b", link("a/f5", "a/f5b"));
	TRY("rename d/f a/f (gains rights)", rename("d/f", "a/f"));
	TRY("link d/f a/f (gains rights)", link("d/f", "a/fl"));
	TRY("rename a/f6 d/f6 (loses rights)", rename("a/f6", "d/f6"));
	TRY("rename a/f7 n/f7 (no rule)", rename("a/f7", "n/f7"));
	TRY("rename a/f7 d/f7", rename("a/f7", "d/f7"));
	TRY("rename e/f a/ef", rename("e/f", "a/ef"));
	TRY("rename a/f8 e/f8", rename("a/f8", "e/f8"));
	TRY("exchange a/x d/y", syscall(SYS_renameat2, AT_FDCWD, "a/x", AT_FDCWD, "d/y", 2));
	TRY("exchange a/x b/y", syscall(SYS_renameat2, AT_FDCWD, "a/x", AT_FDCWD, "b/y", 2));
	TRY("exchange a/x a/z", syscall(SYS_renameat2, AT_FDCWD, "a/x", AT_FDCWD, "a/z", 2));
	TRY("rename a/sub/h a/h", rename("a/sub/h", "a/h"));
	TRY("rename a/h a/sub/h", rename("a/h", "a/sub/h"));
	TRY("rename a/dir b/dir", rename("a/dir", "b/dir"));
	TRY("rename a/sub b/sub", rename("a/sub", "b/sub"));
	TRY("rename b/dir d/dir", rename("b/dir", "d/dir"));
	TRY("rename a/f9 b/f2 (replace)", rename("a/f9", "b/f2"));
	TRY("rename a/f10 d/y (replace)", rename("a/f10", "d/y"));
	TRY("rename a/f11 c/g (replace)", rename("a/f11", "c/g"));
}

/* abi1: a ruleset without REFER never allows reparenting. */
static void abi1(void)
{
	int rs = ruleset(LL_FS_ABI1);
	allow(rs, "a", LL_FS_ABI1);
	allow(rs, "b", LL_FS_ABI1);
	enforce(rs);
	TRY("abi1 rename a/g1 b/g1", rename("a/g1", "b/g1"));
	TRY("abi1 link a/g1 b/g1", link("a/g1", "b/g1"));
	TRY("abi1 rename a/g1 a/g2", rename("a/g1", "a/g2"));
}

/* stack: a second domain narrows the first; a domain that does not
 * handle a right leaves it to the others. */
static void stack(void)
{
	int rs = ruleset(LL_FS_READ_FILE | LL_FS_WRITE_FILE | LL_FS_MAKE_DIR);
	allow(rs, "w", LL_FS_READ_FILE | LL_FS_WRITE_FILE | LL_FS_MAKE_DIR);
	enforce(rs);
	try_open("w/f", O_RDWR);
	try_open("n/f", O_RDONLY);
	try_open("n", O_RDONLY);
	TRY("mkdir n/s1", mkdir("n/s1", 0755));
	rs = ruleset(LL_FS_WRITE_FILE | LL_FS_MAKE_FIFO);
	allow(rs, "w", LL_FS_MAKE_FIFO);
	allow(rs, "n", LL_FS_WRITE_FILE);
	enforce(rs);
	try_open("w/f", O_RDONLY);
	try_open("w/f", O_WRONLY);
	try_open("n/f", O_WRONLY);
	TRY("mkdir w/s2", mkdir("w/s2", 0755));
	TRY("mkfifo w/s3", mkfifo("w/s3", 0644));
	TRY("mkfifo n/s3", mkfifo("n/s3", 0644));
}

/* inherit: children inherit the domain, the parent keeps its freedom,
 * and files opened before stay usable. */
static void inherit(void)
{
	int fd = open("n/f", O_RDWR);
	int dir = open("n", O_RDONLY | O_DIRECTORY);
	int rs = ruleset(handled(v, LL_FS_ALL));
	enforce(rs);
	try_open("n/f", O_RDONLY);
	pid_t pid = fork();
	if (pid == 0) {
		try_open("n/f", O_WRONLY);
		TRY("child write fd opened before", write(fd, "y", 1));
		_exit(0);
	}
	waitchild("inherit child", pid);
	char buf[4096];
	TRY("read fd opened before", pread(fd, buf, 4, 0));
	if (v >= 3)
		TRY("ftruncate fd opened before", ftruncate(fd, 0));
	TRY("getdents dir opened before", syscall(SYS_getdents64, dir, buf, sizeof buf));
	TRY("openat below dir opened before", openat(dir, "f", O_RDONLY));
}

/* thread: a domain restricts the thread that made it, not the others. */
static void *restricted_thread(void *arg)
{
	(void)arg;
	enforce(ruleset(LL_FS_READ_FILE));
	try_open("n/f", O_RDONLY);
	return NULL;
}

static void thread(void)
{
	pthread_t th;
	pthread_create(&th, NULL, restricted_thread, NULL);
	pthread_join(th, NULL);
	try_open("n/f", O_RDONLY);
}

/* trace: a sandboxed process may not inspect one outside its domain
 * (/proc/PID/mem needs ptrace's access), but may inspect one in a domain
 * stacked on its own, and an unsandboxed parent may inspect it. */
static void trace(void)
{
	int ready[2], done[2];
	if (pipe(ready) < 0 || pipe(done) < 0)
		exit(1);
	pid_t pid = fork();
	char path[64], c = 0;
	if (pid == 0) {
		enforce(ruleset(LL_FS_MAKE_DIR));
		snprintf(path, sizeof path, "/proc/%d/mem", getppid());
		report("sandboxed child opens parent's mem", open(path, O_RDONLY));
		int ready2[2], done2[2];
		if (pipe(ready2) < 0 || pipe(done2) < 0)
			exit(1);
		pid_t inner = fork();
		if (inner == 0) {
			enforce(ruleset(LL_FS_MAKE_DIR));
			snprintf(path, sizeof path, "/proc/%d/mem", getppid());
			report("nested child opens its parent's mem", open(path, O_RDONLY));
			write(ready2[1], &c, 1);
			read(done2[0], &c, 1);
			_exit(0);
		}
		read(ready2[0], &c, 1);
		snprintf(path, sizeof path, "/proc/%d/mem", inner);
		report("sandboxed child opens nested child's mem", open(path, O_RDONLY));
		write(done2[1], &c, 1);
		waitchild("inner", inner);
		write(ready[1], &c, 1);
		read(done[0], &c, 1);
		_exit(0);
	}
	read(ready[0], &c, 1);
	snprintf(path, sizeof path, "/proc/%d/mem", pid);
	int fd = open(path, O_RDONLY);
	report("parent opens sandboxed child's mem", fd);
	close(fd);
	write(done[1], &c, 1);
	waitchild("trace child", pid);
}

/* traceme: PTRACE_TRACEME needs the parent's domain to be the child's
 * or one it was stacked on. */
static void traceme(void)
{
	int go[2];
	char c = 0;
	if (pipe(go) < 0)
		exit(1);
	pid_t pid = fork();
	if (pid == 0) {
		read(go[0], &c, 1);
		report("traceme, parent sandboxed after fork", ptrace(PTRACE_TRACEME, 0, 0, 0));
		_exit(0);
	}
	enforce(ruleset(LL_FS_MAKE_DIR));
	write(go[1], &c, 1);
	waitchild("traceme child", pid);
	pid = fork();
	if (pid == 0) {
		report("traceme, child of the sandbox", ptrace(PTRACE_TRACEME, 0, 0, 0));
		_exit(0);
	}
	waitchild("traceme child 2", pid);
}

/* mounts: rules above a mount cover what is beneath it. */
static void mounts_root(void)
{
	int rs = ruleset(LL_FS_READ_FILE);
	allow(rs, "/", LL_FS_READ_FILE);
	enforce(rs);
	try_open("n/f", O_RDONLY);
}

static void mounts_dev(void)
{
	int rs = ruleset(LL_FS_READ_FILE);
	allow(rs, "/dev", LL_FS_READ_FILE);
	enforce(rs);
	try_open("n/f", O_RDONLY);
	try_open("/dev/null", O_RDONLY);
}

/* mounts_changed: a sandboxed task may not mount, unmount or pivot_root
 * (in a user and mount namespace of its own, where it could before). */
static void mounts_changed(void)
{
	if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0) {
		printf("unshare: %s\n", errname(errno));
		return;
	}
	TRY("mount tmpfs before", mount("none", "n", "tmpfs", 0, NULL));
	TRY("umount before", umount2("n", 0));
	TRY("mount tmpfs on x", mount("none", "x", "tmpfs", 0, NULL));
	enforce(ruleset(LL_FS_MAKE_DIR));
	TRY("mount tmpfs", mount("none", "n", "tmpfs", 0, NULL));
	TRY("bind mount", mount("r", "n", NULL, MS_BIND, NULL));
	TRY("make private", mount(NULL, "x", NULL, MS_PRIVATE, NULL));
	TRY("umount x", umount2("x", 0));
	TRY("umount r (no mount)", umount2("r", 0));
	TRY("pivot_root", syscall(SYS_pivot_root, "r", "r/sub"));
}

/* ioctl: a device opened under a domain that refuses IOCTL_DEV takes
 * only the ioctls that are no device's own (ABI 5). */
static void ioctls(void)
{
	if (v < 5) {
		printf("no IOCTL_DEV\n");
		return;
	}
	int before = open("/dev/null", O_RDWR);
	int rs = ruleset(LL_FS_READ_FILE | LL_FS_WRITE_FILE | LL_FS_IOCTL_DEV);
	allow(rs, "/dev", LL_FS_READ_FILE | LL_FS_WRITE_FILE);
	allow(rs, "/dev/zero", LL_FS_IOCTL_DEV);
	allow(rs, "w", LL_FS_READ_FILE | LL_FS_IOCTL_DEV);
	enforce(rs);
	int fd = open("/dev/null", O_RDWR), n, one = 1;
	struct termios { char b[64]; } tio;
	report("null FIONREAD", ioctl(fd, FIONREAD, &n));
	report("null TCGETS", ioctl(fd, TCGETS, &tio));
	report("null FIOCLEX", ioctl(fd, FIOCLEX));
	report("null FIONBIO", ioctl(fd, FIONBIO, &one));
	report("null opened before TCGETS", ioctl(before, TCGETS, &tio));
	close(fd);
	fd = open("/dev/zero", O_RDONLY);
	report("zero (rule on the device) TCGETS", ioctl(fd, TCGETS, &tio));
	close(fd);
	fd = open("w/f", O_RDONLY);
	report("regular file FIONREAD", ioctl(fd, FIONREAD, &n));
	close(fd);
}

/* scenario runs f in a child. */
static void scenario(const char *name, void (*f)(void))
{
	printf("== %s\n", name);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		f();
		fflush(stdout);
		_exit(0);
	}
	waitchild(name, pid);
}

static int rm(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st, (void)type, (void)ftw;
	return remove(path);
}

/* run makes the tree of the scenarios in a new directory made from
 * template and runs them there. */
static void run(char *template)
{
	char cwd[4096], *dir = template;
	if (!getcwd(cwd, sizeof cwd))
		exit(1);
	printf("=== %.*s\n", (int)(strrchr(template, '/') - template), template);
	if (!mkdtemp(dir) || chdir(dir) < 0) {
		printf("mkdtemp: %s\n", errname(errno));
		exit(1);
	}
	const char *dirs[] = { "r", "r/sub", "w", "w/d", "n", "x", "a", "a/dir", "a/sub", "b", "c", "d", "e" };
	for (unsigned i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
		mkdirs(dirs[i]);
	const char *files[] = { "r/f", "r/sub/g", "w/f", "w/f2", "w/x", "w/a", "n/f", "onlyfile",
				"a/f1", "a/f2", "a/f3", "a/f4", "a/f5", "a/f6", "a/f7", "a/f8", "a/f9", "a/f10", "a/f11",
				"a/x", "a/z", "a/g1", "a/sub/h", "b/y", "c/g", "d/f", "d/y", "e/f" };
	for (unsigned i = 0; i < sizeof files / sizeof files[0]; i++)
		mkfile(files[i]);
	const char *progs[] = { "r/prog", "w/prog", "n/prog", "x/prog" };
	for (unsigned i = 0; i < sizeof progs / sizeof progs[0]; i++)
		copy("/proc/self/exe", progs[i]);

	scenario("basic", basic);
	if (v >= 2)
		scenario("refer", refer);
	scenario("abi1", abi1);
	scenario("stack", stack);
	scenario("inherit", inherit);
	scenario("thread", thread);
	scenario("trace", trace);
	scenario("traceme", traceme);
	scenario("rule on /", mounts_root);
	scenario("rule on /dev", mounts_dev);
	scenario("mount", mounts_changed);
	scenario("ioctl", ioctls);

	if (chdir(cwd) < 0 || nftw(dir, rm, 16, FTW_DEPTH | FTW_PHYS) < 0)
		printf("cleanup: %s\n", errname(errno));
}

int main(int argc, char **argv)
{
	if (argc > 1) {
		printf("  %s ran\n", argv[1]);
		return 0;
	}
	v = abi();
	/* Under kite /var/tmp is the host's directory and /dev/shm a tmpfs. */
	char t1[] = "/var/tmp/landlock_fs.XXXXXX";
	run(t1);
	char t2[] = "/dev/shm/landlock_fs.XXXXXX";
	run(t2);
	return 0;
}
