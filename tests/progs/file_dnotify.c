/* dnotify (fcntl F_NOTIFY) on a tmpfs directory: which changes signal
 * (DN_ACCESS, DN_MODIFY, DN_CREATE, DN_DELETE, DN_RENAME, DN_ATTRIB,
 * on entries and on the directory itself), one-shot and DN_MULTISHOT
 * requests, F_SETSIG's signal with si_fd and si_band or SIGIO, requests
 * added together, removed by F_NOTIFY 0 and by a close in the process
 * that asked (not in a child), and the refusals (ENOTDIR, EBADF). The
 * signals are blocked and counted with sigtimedwait after each change:
 * Linux sends them before the call that makes the change returns. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *en(int e) {
	switch (e) {
	case EINVAL: return "EINVAL";
	case ENOTDIR: return "ENOTDIR";
	case EBADF: return "EBADF";
	}
	static char b[32];
	snprintf(b, sizeof b, "errno%d", e);
	return b;
}

static void res(const char *what, long r) {
	if (r < 0)
		printf("%s: %s\n", what, en(errno));
	else
		printf("%s: ok\n", what);
}

static int sig;
static int fds[2]; /* the directory descriptors whose signals are named */

/* drain reports the signals queued by the last change. */
static void drain(const char *what) {
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, sig);
	sigaddset(&s, SIGIO);
	struct timespec zero = {0, 0};
	siginfo_t si;
	int n = 0;
	printf("%s:", what);
	while (sigtimedwait(&s, &si, &zero) > 0) {
		n++;
		if (si.si_signo == SIGIO) {
			printf(" SIGIO(code %d)", si.si_code);
			continue;
		}
		int which = si.si_fd == fds[0] ? 0 : si.si_fd == fds[1] ? 1 : -1;
		printf(" sig(fd%d code %d band %#lx)", which, si.si_code, (long)si.si_band);
	}
	printf(" %d\n", n);
}

static char dir[64];

static const char *at(const char *name) {
	static char b[4][128];
	static int i;
	i = (i + 1) % 4;
	snprintf(b[i], sizeof b[i], "%s/%s", dir, name);
	return b[i];
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(dir, sizeof dir, "/dev/shm/dnotify-XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	sig = SIGRTMIN + 3;
	sigset_t block;
	sigemptyset(&block);
	sigaddset(&block, sig);
	sigaddset(&block, SIGIO);
	sigprocmask(SIG_BLOCK, &block, NULL);

	int f = open(at("file"), O_CREAT | O_RDWR, 0644);
	res("F_NOTIFY on a file", fcntl(f, F_NOTIFY, DN_CREATE));
	res("F_NOTIFY 0 on a file", fcntl(f, F_NOTIFY, 0));
	res("F_NOTIFY DN_MULTISHOT alone on a file", fcntl(f, F_NOTIFY, DN_MULTISHOT));
	int op = open(dir, O_PATH);
	res("F_NOTIFY on O_PATH", fcntl(op, F_NOTIFY, DN_CREATE));
	close(op);
	close(f);
	unlink(at("file"));

	int d = open(dir, O_RDONLY | O_DIRECTORY);
	fds[0] = d;
	fds[1] = -2;
	res("F_SETSIG", fcntl(d, F_SETSIG, sig));
	res("F_NOTIFY DN_CREATE", fcntl(d, F_NOTIFY, DN_CREATE));
	close(open(at("a"), O_CREAT | O_WRONLY, 0644));
	drain("create a");
	close(open(at("b"), O_CREAT | O_WRONLY, 0644));
	drain("create b (one-shot: spent)");

	res("F_NOTIFY everything, multishot", fcntl(d, F_NOTIFY, DN_ACCESS | DN_MODIFY | DN_CREATE | DN_DELETE | DN_RENAME | DN_ATTRIB | DN_MULTISHOT));
	int a = open(at("a"), O_RDWR);
	drain("open a");
	write(a, "x", 1);
	drain("write a");
	char c;
	pread(a, &c, 1, 0);
	drain("read a");
	ftruncate(a, 0);
	drain("ftruncate a");
	close(a);
	drain("close a");
	chmod(at("a"), 0600);
	drain("chmod a");
	rename(at("a"), at("c"));
	drain("rename a to c");
	rename(at("b"), at("c"));
	drain("rename b over c");
	link(at("c"), at("l"));
	drain("link c to l");
	unlink(at("l"));
	drain("unlink l");
	unlink(at("c"));
	drain("unlink c");
	mkdir(at("sub"), 0755);
	drain("mkdir sub");
	close(open(at("sub/x"), O_CREAT | O_WRONLY, 0644));
	drain("create sub/x");
	unlink(at("sub/x"));
	drain("unlink sub/x");
	chmod(at("sub"), 0700);
	drain("chmod sub");
	rmdir(at("sub"));
	drain("rmdir sub");
	symlink("target", at("sym"));
	drain("symlink");
	unlink(at("sym"));
	drain("unlink symlink");
	mknod(at("fifo"), S_IFIFO | 0600, 0);
	drain("mkfifo");
	unlink(at("fifo"));
	drain("unlink fifo");
	chmod(dir, 0700);
	drain("chmod the directory itself");
	int d2 = open(dir, O_RDONLY | O_DIRECTORY);
	DIR *ds = fdopendir(d2);
	while (readdir(ds))
		;
	closedir(ds);
	drain("list the directory");

	printf("-- requests of two opens\n");
	int e = open(dir, O_RDONLY | O_DIRECTORY);
	fds[1] = e;
	fcntl(e, F_SETSIG, sig);
	res("second F_NOTIFY DN_DELETE", fcntl(e, F_NOTIFY, DN_DELETE));
	close(open(at("t"), O_CREAT | O_WRONLY, 0644));
	drain("create t");
	unlink(at("t"));
	drain("unlink t");
	close(open(at("t"), O_CREAT | O_WRONLY, 0644));
	unlink(at("t"));
	drain("create and unlink t again");

	printf("-- adding, removing, closing\n");
	res("F_NOTIFY 0", fcntl(d, F_NOTIFY, 0));
	close(open(at("u"), O_CREAT | O_WRONLY, 0644));
	drain("create u");
	res("F_NOTIFY DN_DELETE", fcntl(d, F_NOTIFY, DN_DELETE));
	res("F_NOTIFY DN_CREATE adds to it", fcntl(d, F_NOTIFY, DN_CREATE | DN_MULTISHOT));
	close(open(at("v"), O_CREAT | O_WRONLY, 0644));
	drain("create v");
	unlink(at("v"));
	drain("unlink v");
	unlink(at("u"));
	drain("unlink u");
	fflush(stdout);
	pid_t p = fork();
	if (p == 0) {
		close(d);
		_exit(0);
	}
	waitpid(p, NULL, 0);
	close(open(at("w"), O_CREAT | O_WRONLY, 0644));
	drain("create w after a child closed its copy");
	close(dup(d));
	close(open(at("y"), O_CREAT | O_WRONLY, 0644));
	drain("create y after closing a dup");

	printf("-- SIGIO without F_SETSIG\n");
	int g = open(dir, O_RDONLY | O_DIRECTORY);
	res("F_NOTIFY DN_CREATE|DN_MULTISHOT", fcntl(g, F_NOTIFY, DN_CREATE | DN_MULTISHOT));
	close(open(at("z1"), O_CREAT | O_WRONLY, 0644));
	close(open(at("z2"), O_CREAT | O_WRONLY, 0644));
	drain("two creates");
	close(g);
	close(open(at("z3"), O_CREAT | O_WRONLY, 0644));
	drain("create after close");

	const char *names[] = {"w", "y", "z1", "z2", "z3"};
	for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++)
		unlink(at(names[i]));
	close(d);
	close(e);
	res("cleanup", rmdir(dir));
	return 0;
}
