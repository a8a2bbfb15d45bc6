/* signalfd and signalfd4: error order, flags, reading struct
 * signalfd_siginfo records (kill, tgkill, sigqueue, SIGCHLD from a child),
 * several records per read, changing the mask of an existing fd,
 * readiness through poll and epoll, and blocking reads. */
#include "epoll_common.h"
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>

static void sleep_ms(int ms) {
	struct timespec ts = {0, ms * 1000000L};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {}
}

/* show reads records from fd and prints them, with pids as "self",
 * "child" or "other". */
static pid_t child;
static void show(const char *label, int fd, size_t records) {
	struct signalfd_siginfo si[4];
	errno = 0;
	long n = read(fd, si, records * sizeof si[0]);
	if (n < 0) {
		printf("%s: -1 %s\n", label, errname(errno));
		return;
	}
	printf("%s: %ld bytes\n", label, n);
	for (long i = 0; i < n / (long)sizeof si[0]; i++) {
		const char *who = si[i].ssi_pid == (uint32_t)getpid() ? "self" :
			si[i].ssi_pid == (uint32_t)child && child ? "child" : si[i].ssi_pid == 0 ? "0" : "other";
		printf("  signo %u errno %d code %d pid %s uid %u status %d int %d ptr %llx tid %u overrun %u fd %d addr %llx\n",
			si[i].ssi_signo, si[i].ssi_errno, si[i].ssi_code, who, si[i].ssi_uid, si[i].ssi_status,
			si[i].ssi_int, (unsigned long long)si[i].ssi_ptr, si[i].ssi_tid, si[i].ssi_overrun,
			si[i].ssi_fd, (unsigned long long)si[i].ssi_addr);
	}
}

static int readable(int fd) {
	struct pollfd p = {.fd = fd, .events = POLLIN | POLLOUT};
	poll(&p, 1, 0);
	return p.revents;
}

static volatile sig_atomic_t got;
static void handler(int sig) { got = sig; }

/* alarmed tells a child that a SIGALRM handler has run. */
static int alarmed[2] = {-1, -1};
static void alarm_handler(int sig) {
	got = sig;
	write(alarmed[1], "a", 1);
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	sigset_t m, none;
	sigemptyset(&none);
	sigemptyset(&m);
	sigaddset(&m, SIGUSR1);
	sigaddset(&m, SIGUSR2);
	sigaddset(&m, SIGRTMIN);
	sigaddset(&m, SIGCHLD);
	sigprocmask(SIG_BLOCK, &m, NULL);

	CHECK("size 4", syscall(SYS_signalfd4, -1, &m, 4, 0));
	CHECK("size 16", syscall(SYS_signalfd4, -1, &m, 16, 0));
	CHECK("bad size, bad mask", syscall(SYS_signalfd4, -1, bad, 4, 0));
	CHECK("bad mask", syscall(SYS_signalfd4, -1, bad, 8, 0));
	CHECK("bad mask, bad flags", syscall(SYS_signalfd4, -1, bad, 8, 1));
	CHECK("bad flags", syscall(SYS_signalfd4, -1, &m, 8, 1));
	CHECK("bad flags, bad fd", syscall(SYS_signalfd4, 999, &m, 8, 1));
	CHECK("fd -2", syscall(SYS_signalfd4, -2, &m, 8, 0));
	CHECK("fd not open", syscall(SYS_signalfd4, 999, &m, 8, 0));
	int efd = eventfd(0, 0);
	CHECK("not a signalfd", syscall(SYS_signalfd4, efd, &m, 8, 0));
	CHECK("old signalfd, bad size", syscall(SYS_signalfd, -1, &m, 7));
	int plain = syscall(SYS_signalfd, -1, &m, 8);
	CHECKOK("old signalfd", plain);
	CHECK("F_GETFL", fcntl(plain, F_GETFL) & ~0100000);
	CHECK("F_GETFD", fcntl(plain, F_GETFD));
	int fd = signalfd(-1, &m, SFD_NONBLOCK | SFD_CLOEXEC);
	CHECKOK("signalfd4", fd);
	CHECK("F_GETFL", fcntl(fd, F_GETFL) & ~0100000);
	CHECK("F_GETFD", fcntl(fd, F_GETFD));
	struct stat st;
	fstat(fd, &st);
	printf("mode %o\n", st.st_mode);
	char link[64] = "", path[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	CHECKOK("readlink", readlink(path, link, sizeof link - 1));
	printf("link %s\n", link);

	printf("-- records\n");
	char small[127];
	CHECK("read 127 bytes", read(fd, small, sizeof small));
	show("empty", fd, 1);
	printf("poll empty: %#x\n", readable(fd));
	kill(getpid(), SIGUSR1);
	printf("poll with SIGUSR1 pending: %#x\n", readable(fd));
	CHECK("read 127 bytes, signal pending", read(fd, small, sizeof small));
	show("kill", fd, 1);
	syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), SIGUSR2);
	show("tgkill", fd, 1);
	union sigval v = {.sival_int = 1234};
	sigqueue(getpid(), SIGRTMIN, v);
	sigqueue(getpid(), SIGRTMIN, v);
	kill(getpid(), SIGUSR2);
	kill(getpid(), SIGUSR1);
	show("four pending, room for three", fd, 3);
	show("the rest", fd, 4);
	CHECK("read to a bad address", read(fd, bad, 128));
	kill(getpid(), SIGUSR1);
	CHECK("read to a bad address, signal pending", read(fd, bad, 128));
	sigset_t pend;
	sigpending(&pend);
	printf("SIGUSR1 still pending: %d\n", sigismember(&pend, SIGUSR1));
	show("then", fd, 1);

	printf("-- mask changes\n");
	sigset_t only2;
	sigemptyset(&only2);
	sigaddset(&only2, SIGUSR2);
	sigaddset(&only2, SIGKILL);
	sigaddset(&only2, SIGSTOP);
	CHECK("new mask returns the fd", signalfd(fd, &only2, 0) == fd);
	CHECK("new mask, flags ignored?", signalfd(fd, &only2, SFD_NONBLOCK) == fd);
	kill(getpid(), SIGUSR1);
	printf("poll with SIGUSR1 outside the mask: %#x\n", readable(fd));
	show("SIGUSR1 outside the mask", fd, 1);
	kill(getpid(), SIGUSR2);
	show("SIGUSR2", fd, 2);
	int sig = 0;
	sigset_t u1;
	sigemptyset(&u1);
	sigaddset(&u1, SIGUSR1);
	sigwait(&u1, &sig);
	printf("sigwait took %d\n", sig);

	printf("-- epoll\n");
	/* SIGCHLD gets a handler (blocked, so it never runs): kite still
	 * drops a blocked process-directed signal whose default action is
	 * to ignore it. */
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = handler;
	sigaction(SIGCHLD, &sa, NULL);
	signalfd(fd, &m, 0);
	int ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 7}, out[2];
	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	CHECK("nothing pending", epoll_wait(ep, out, 2, 0));
	pid_t parent = getpid();
	child = fork();
	if (child == 0) {
		sleep_ms(20);
		kill(parent, SIGUSR2);
		_exit(0);
	}
	CHECK("woken by the child's kill", epoll_wait(ep, out, 2, 5000));
	print_events("events", out[0].events);
	show("read", fd, 1);
	waitpid(child, NULL, 0);
	show("SIGCHLD of that child", fd, 1);

	printf("-- SIGCHLD\n");
	int blk = signalfd(-1, &m, 0);
	child = fork();
	if (child == 0) {
		sleep_ms(20);
		_exit(7);
	}
	show("blocking read", blk, 1);
	int status;
	CHECK("waitpid", waitpid(child, &status, 0) == child);
	printf("exit status %d, handler ran: %d\n", WEXITSTATUS(status), got != 0);

	printf("-- blocking read and a handler\n");
	/* SIGALRM comes every 10 ms, so one comes while the read blocks
	 * however late the read starts; the handler tells the child, which
	 * only then sends the SIGUSR1 the read takes. */
	sa.sa_handler = alarm_handler;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGALRM, &sa, NULL);
	got = 0;
	pipe(alarmed);
	child = fork();
	if (child == 0) {
		char b;
		read(alarmed[0], &b, 1);
		kill(parent, SIGUSR1);
		_exit(0);
	}
	struct itimerval it = {{0, 10000}, {0, 10000}}, off = {{0, 0}, {0, 0}};
	setitimer(ITIMER_REAL, &it, NULL);
	show("restarted read", blk, 1);
	setitimer(ITIMER_REAL, &off, NULL);
	printf("SIGALRM handler ran: %d\n", got == SIGALRM);
	waitpid(child, NULL, 0);
	show("child's SIGCHLD", blk, 1);
	sa.sa_flags = 0;
	sigaction(SIGALRM, &sa, NULL);
	got = 0;
	setitimer(ITIMER_REAL, &it, NULL);
	show("interrupted read", blk, 1);
	setitimer(ITIMER_REAL, &off, NULL);
	printf("SIGALRM handler ran: %d\n", got == SIGALRM);
	return 0;
}
