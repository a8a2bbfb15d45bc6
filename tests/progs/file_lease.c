/* File leases: F_SETLEASE and F_GETLEASE with their refusals (EINVAL,
 * EAGAIN, EACCES, EBADF), lease breaking by an open for reading or
 * writing and by truncate, the break signal (SIGIO, or F_SETSIG's with
 * si_fd and si_band), F_GETLEASE during a break, O_NONBLOCK openers
 * (EWOULDBLOCK), a blocked opener released by F_UNLCK or a downgrade,
 * and one interrupted by a signal (EINTR). Every wait is a handshake:
 * the holder waits for the break signal, the opener for the holder. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *en(int e) {
	switch (e) {
	case EINVAL: return "EINVAL";
	case EPERM: return "EPERM";
	case EACCES: return "EACCES";
	case EAGAIN: return "EAGAIN";
	case EBADF: return "EBADF";
	case EINTR: return "EINTR";
	}
	static char b[32];
	snprintf(b, sizeof b, "errno%d", e);
	return b;
}

static const char *lt(long t) {
	switch (t) {
	case F_RDLCK: return "F_RDLCK";
	case F_WRLCK: return "F_WRLCK";
	case F_UNLCK: return "F_UNLCK";
	}
	return "?";
}

static void res(const char *what, long r) {
	if (r < 0)
		printf("%s: %s\n", what, en(errno));
	else
		printf("%s: ok\n", what);
	fflush(stdout);
}

static void getlease(const char *what, int fd) {
	errno = 0;
	long r = fcntl(fd, F_GETLEASE);
	if (r < 0)
		printf("%s: F_GETLEASE %s\n", what, en(errno));
	else
		printf("%s: %s\n", what, lt(r));
	fflush(stdout);
}

static char path[256];
static int fdnum[64]; /* fd -> a name independent of fd numbering */

/* waitsig waits for the break signal sig and describes it. */
static void waitsig(int sig, int fd) {
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, sig);
	siginfo_t si;
	if (sigwaitinfo(&s, &si) < 0) {
		printf("sigwaitinfo: %s\n", en(errno));
		return;
	}
	printf("signal %s code %d", si.si_signo == SIGIO ? "SIGIO" : "F_SETSIG's", si.si_code);
	if (sig != SIGIO)
		printf(" fd is the lease's %d band %#lx", si.si_fd == fd, (long)si.si_band);
	printf("\n");
	fflush(stdout);
}

static int pending(int sig) {
	sigset_t s;
	sigpending(&s);
	return sigismember(&s, sig);
}

static void onusr1(int s) { (void)s; }

/* blocked runs what() in a child that is expected to block on the lease
 * held through fd until the parent, told by the break signal, does
 * release(). */
static void blocked(const char *name, int fd, int sig, int (*what)(void), long (*release)(int)) {
	printf("-- %s\n", name);
	fflush(stdout);
	pid_t p = fork();
	if (p == 0) {
		int r = what();
		printf("  child: %s\n", r < 0 ? en(errno) : "ok");
		fflush(stdout);
		_exit(0);
	}
	waitsig(sig, fd);
	getlease("  during the break", fd);
	errno = 0;
	long r = release(fd);
	int e = errno;
	int st;
	waitpid(p, &st, 0);
	errno = e;
	res("  the holder's release", r);
	getlease("  after", fd);
}

static int open_write(void) {
	int fd = open(path, O_WRONLY);
	if (fd >= 0)
		close(fd);
	return fd;
}

static int open_read(void) {
	int fd = open(path, O_RDONLY);
	if (fd >= 0)
		close(fd);
	return fd;
}

static int do_truncate(void) { return truncate(path, 0); }

static long unlock(int fd) { return fcntl(fd, F_SETLEASE, F_UNLCK); }
static long downgrade(int fd) { return fcntl(fd, F_SETLEASE, F_RDLCK); }

static void interrupt_child(pid_t p) { kill(p, SIGUSR1); }

int main(void) {
	char dir[] = "/dev/shm/lease-XXXXXX";
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(path, sizeof path, "%s/f", dir);
	int c = open(path, O_CREAT | O_WRONLY, 0644);
	write(c, "data", 4);
	close(c);
	(void)fdnum;

	sigset_t block;
	sigemptyset(&block);
	sigaddset(&block, SIGIO);
	sigaddset(&block, SIGRTMIN + 2);
	sigprocmask(SIG_BLOCK, &block, NULL);

	int r1 = open(path, O_RDONLY);
	getlease("new file", r1);
	res("F_SETLEASE 7", fcntl(r1, F_SETLEASE, 7));
	res("F_UNLCK without a lease", fcntl(r1, F_SETLEASE, F_UNLCK));
	int rw = open(path, O_RDWR);
	res("F_RDLCK while open for writing", fcntl(r1, F_SETLEASE, F_RDLCK));
	res("F_RDLCK on an O_RDWR descriptor", fcntl(rw, F_SETLEASE, F_RDLCK));
	res("F_WRLCK with another open", fcntl(rw, F_SETLEASE, F_WRLCK));
	close(rw);
	res("F_RDLCK", fcntl(r1, F_SETLEASE, F_RDLCK));
	getlease("after F_RDLCK", r1);
	int r2 = open(path, O_RDONLY);
	res("second reader opens", r2);
	res("second reader F_RDLCK", fcntl(r2, F_SETLEASE, F_RDLCK));
	res("F_WRLCK while another holds a lease", fcntl(r1, F_SETLEASE, F_WRLCK));
	res("second reader F_UNLCK", fcntl(r2, F_SETLEASE, F_UNLCK));
	res("F_WRLCK while another reader is open", fcntl(r1, F_SETLEASE, F_WRLCK));
	close(r2);
	res("F_WRLCK alone", fcntl(r1, F_SETLEASE, F_WRLCK));
	getlease("after F_WRLCK", r1);
	int dup1 = dup(r1);
	getlease("through a dup", dup1);
	close(dup1);

	printf("-- O_NONBLOCK openers\n");
	res("open O_RDONLY|O_NONBLOCK", open(path, O_RDONLY | O_NONBLOCK));
	waitsig(SIGIO, r1);
	getlease("write lease being broken by a reader", r1);
	res("open again", open(path, O_RDONLY | O_NONBLOCK));
	printf("signalled again: %d\n", pending(SIGIO));
	res("downgrade", fcntl(r1, F_SETLEASE, F_RDLCK));
	int r3 = open(path, O_RDONLY | O_NONBLOCK);
	res("open O_RDONLY|O_NONBLOCK after the downgrade", r3);
	close(r3);
	res("open O_WRONLY|O_NONBLOCK", open(path, O_WRONLY | O_NONBLOCK));
	waitsig(SIGIO, r1);
	getlease("read lease being broken by a writer", r1);
	res("F_RDLCK during the break", fcntl(r1, F_SETLEASE, F_RDLCK));
	res("open O_WRONLY|O_NONBLOCK again", open(path, O_WRONLY | O_NONBLOCK));
	printf("signalled again: %d\n", pending(SIGIO));
	res("F_UNLCK", fcntl(r1, F_SETLEASE, F_UNLCK));
	int w = open(path, O_WRONLY | O_NONBLOCK);
	res("open O_WRONLY|O_NONBLOCK after F_UNLCK", w);
	close(w);

	/* F_SETSIG's signal, with si_fd, and blocked openers. */
	res("F_SETSIG", fcntl(r1, F_SETSIG, SIGRTMIN + 2));
	int sig = SIGRTMIN + 2;
	res("F_RDLCK", fcntl(r1, F_SETLEASE, F_RDLCK));
	blocked("an open for writing waits for F_UNLCK", r1, sig, open_write, unlock);
	printf("F_GETSIG after F_UNLCK: %s\n", fcntl(r1, F_GETSIG) == 0 ? "0" : "kept");
	fcntl(r1, F_SETSIG, sig);
	res("F_RDLCK", fcntl(r1, F_SETLEASE, F_RDLCK));
	blocked("truncate waits for F_UNLCK", r1, sig, do_truncate, unlock);
	fcntl(r1, F_SETSIG, sig);
	res("F_WRLCK", fcntl(r1, F_SETLEASE, F_WRLCK));
	blocked("an open for reading waits for a downgrade", r1, sig, open_read, downgrade);
	res("F_UNLCK", fcntl(r1, F_SETLEASE, F_UNLCK));

	printf("-- a signal ends the wait\n");
	fcntl(r1, F_SETSIG, sig);
	res("F_RDLCK", fcntl(r1, F_SETLEASE, F_RDLCK));
	fflush(stdout);
	pid_t p = fork();
	if (p == 0) {
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = onusr1;
		sigaction(SIGUSR1, &sa, NULL);
		int fd = open(path, O_WRONLY);
		printf("  child: %s\n", fd < 0 ? en(errno) : "ok");
		fflush(stdout);
		_exit(0);
	}
	waitsig(sig, r1);
	interrupt_child(p);
	waitpid(p, NULL, 0);
	getlease("  after the child gave up", r1);
	res("F_UNLCK", fcntl(r1, F_SETLEASE, F_UNLCK));

	printf("-- the last close ends a lease\n");
	fcntl(r1, F_SETSIG, sig);
	res("F_RDLCK", fcntl(r1, F_SETLEASE, F_RDLCK));
	close(r1);
	w = open(path, O_WRONLY | O_NONBLOCK);
	res("open O_WRONLY|O_NONBLOCK", w);
	close(w);
	printf("signalled: %d\n", pending(sig));

	printf("-- other files\n");
	int pfd[2];
	pipe(pfd);
	res("pipe", fcntl(pfd[0], F_SETLEASE, F_RDLCK));
	int d = open(dir, O_RDONLY | O_DIRECTORY);
	res("directory", fcntl(d, F_SETLEASE, F_RDLCK));
	int shm = open("/dev/shm", O_RDONLY | O_DIRECTORY);
	res("root's directory (EACCES before EINVAL)", fcntl(shm, F_SETLEASE, F_RDLCK));
	int op = open(path, O_PATH);
	res("O_PATH", fcntl(op, F_SETLEASE, F_RDLCK));
	res("O_PATH F_GETLEASE", fcntl(op, F_GETLEASE));

	unlink(path);
	rmdir(dir);
	return 0;
}
