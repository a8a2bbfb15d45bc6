/* epoll semantics on eventfds: level- and edge-triggered items,
 * EPOLLONESHOT re-armed with EPOLL_CTL_MOD, round-robin with maxevents 1,
 * items keyed by (file, fd) across dup and close, epoll of epoll, poll on
 * an epoll fd, a fork sharing the instance, timeouts and EINTR. */
#include "epoll_common.h"
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>

static int ep;

/* wait_print runs epoll_wait and prints what it returned. */
static void wait_print(const char *label, int epfd, int max, int timeout) {
	struct epoll_event ev[8];
	errno = 0;
	int n = epoll_wait(epfd, ev, max, timeout);
	if (n < 0) {
		printf("%s: -1 %s\n", label, errname(errno));
		return;
	}
	printf("%s: %d\n", label, n);
	for (int i = 0; i < n; i++) {
		char l[80];
		snprintf(l, sizeof l, "  data %llu", (unsigned long long)ev[i].data.u64);
		print_events(l, ev[i].events);
	}
}

static void add(int fd, uint32_t events, uint64_t data) {
	struct epoll_event ev = {.events = events, .data.u64 = data};
	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) printf("add %d: %s\n", fd, errname(errno));
}

static void mod(int fd, uint32_t events, uint64_t data) {
	struct epoll_event ev = {.events = events, .data.u64 = data};
	if (epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev) < 0) printf("mod %d: %s\n", fd, errname(errno));
}

static void put(int fd, uint64_t v) {
	if (write(fd, &v, 8) != 8) printf("write: %s\n", errname(errno));
}

static uint64_t take(int fd) {
	uint64_t v = 0;
	if (read(fd, &v, 8) != 8) printf("read: %s\n", errname(errno));
	return v;
}

static long long ms_since(struct timespec *t0) {
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000LL + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

static volatile sig_atomic_t got;
static void handler(int sig) { got = sig; }

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	ep = epoll_create1(EPOLL_CLOEXEC);
	int a = eventfd(0, EFD_NONBLOCK);
	int b = eventfd(0, EFD_NONBLOCK);

	printf("-- level and edge\n");
	add(a, EPOLLIN, 1);
	add(b, EPOLLIN | EPOLLET, 2);
	wait_print("nothing written", ep, 8, 0);
	put(a, 1);
	put(b, 1);
	wait_print("both written", ep, 8, 0);
	wait_print("again: level only", ep, 8, 0);
	put(b, 0);
	wait_print("write of 0 wakes the edge item", ep, 8, 0);
	wait_print("and not again", ep, 8, 0);
	put(b, 5);
	wait_print("new data", ep, 8, 0);
	printf("read b: %llu\n", (unsigned long long)take(b));
	printf("read a: %llu\n", (unsigned long long)take(a));
	wait_print("drained", ep, 8, 0);

	printf("-- EPOLLOUT and interest changes\n");
	mod(a, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLPRI, 10);
	wait_print("writable", ep, 8, 0);
	mod(a, EPOLLOUT | EPOLLET, 11);
	wait_print("writable, edge", ep, 8, 0);
	wait_print("writable, edge again", ep, 8, 0);
	mod(a, EPOLLOUT | EPOLLET, 12);
	wait_print("MOD re-reports", ep, 8, 0);
	put(a, 0xfffffffffffffffeull);
	mod(a, EPOLLIN | EPOLLOUT, 13);
	wait_print("full counter", ep, 8, 0);
	take(a);
	mod(a, 0, 14);
	wait_print("no events wanted", ep, 8, 0);

	printf("-- one-shot\n");
	mod(a, EPOLLIN | EPOLLONESHOT, 20);
	put(a, 1);
	wait_print("first", ep, 8, 0);
	put(a, 1);
	wait_print("disabled", ep, 8, 0);
	mod(a, EPOLLIN | EPOLLONESHOT, 21);
	wait_print("re-armed", ep, 8, 0);
	wait_print("disabled again", ep, 8, 0);
	mod(a, EPOLLIN | EPOLLONESHOT | EPOLLET, 22);
	wait_print("re-armed edge", ep, 8, 0);
	take(a);
	epoll_ctl(ep, EPOLL_CTL_DEL, a, NULL);
	epoll_ctl(ep, EPOLL_CTL_DEL, b, NULL);

	printf("-- round robin\n");
	int c[3];
	for (int i = 0; i < 3; i++) {
		c[i] = eventfd(1, EFD_NONBLOCK);
		add(c[i], EPOLLIN, 30 + i);
	}
	for (int i = 0; i < 5; i++) wait_print("max 1", ep, 1, 0);
	wait_print("max 2", ep, 2, 0);
	wait_print("max 8", ep, 8, 0);
	for (int i = 0; i < 3; i++) close(c[i]);
	wait_print("all closed", ep, 8, 0);

	printf("-- dup and close\n");
	int d = eventfd(1, EFD_NONBLOCK);
	int d2 = dup(d);
	add(d, EPOLLIN, 40);
	add(d2, EPOLLIN, 41);
	wait_print("both fds", ep, 8, 0);
	close(d);
	wait_print("first fd closed, file open", ep, 8, 0);
	CHECK("del closed fd", epoll_ctl(ep, EPOLL_CTL_DEL, d, NULL));
	int d3 = eventfd(0, EFD_NONBLOCK);
	CHECK("new file at the old number", d3 == d);
	add(d3, EPOLLIN, 42);
	CHECK("del the new one", epoll_ctl(ep, EPOLL_CTL_DEL, d3, NULL));
	close(d3);
	close(d2);
	wait_print("all closed", ep, 8, 0);
	int d4 = eventfd(1, EFD_NONBLOCK);
	add(d4, EPOLLIN, 43);
	wait_print("re-added", ep, 8, 0);
	epoll_ctl(ep, EPOLL_CTL_DEL, d4, NULL);

	printf("-- epoll of epoll\n");
	int inner = epoll_create1(0);
	int e = eventfd(0, EFD_NONBLOCK);
	struct epoll_event iev = {.events = EPOLLIN, .data.u64 = 50};
	epoll_ctl(inner, EPOLL_CTL_ADD, e, &iev);
	add(inner, EPOLLIN | EPOLLOUT, 51);
	wait_print("inner idle", ep, 8, 0);
	struct pollfd pfd = {.fd = inner, .events = POLLIN | POLLOUT | POLLRDNORM};
	CHECK("poll inner idle", poll(&pfd, 1, 0));
	put(e, 1);
	wait_print("inner ready", ep, 8, 0);
	pfd.revents = 0;
	CHECK("poll inner ready", poll(&pfd, 1, 0));
	print_events("  revents", pfd.revents);
	wait_print("inner itself", inner, 8, 0);
	take(e);
	wait_print("inner drained", ep, 8, 0);
	mod(inner, EPOLLIN | EPOLLET, 52);
	put(e, 1);
	wait_print("edge on inner", ep, 8, 0);
	wait_print("edge on inner again", ep, 8, 0);
	put(e, 1);
	wait_print("edge on inner, new data", ep, 8, 0);
	take(e);
	epoll_ctl(ep, EPOLL_CTL_DEL, inner, NULL);
	close(inner);

	printf("-- fork shares the instance\n");
	int f = eventfd(0, EFD_NONBLOCK);
	pid_t pid = fork();
	if (pid == 0) {
		add(f, EPOLLIN, 60);
		put(f, 3);
		_exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
	printf("child exited %d\n", WEXITSTATUS(st));
	wait_print("item the child added", ep, 8, 0);
	CHECK("add it again", epoll_ctl(ep, EPOLL_CTL_ADD, f, &iev));
	take(f);
	epoll_ctl(ep, EPOLL_CTL_DEL, f, NULL);

	printf("-- blocking\n");
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	wait_print("timeout 30ms", ep, 8, 30);
	long long el = ms_since(&t0);
	printf("waited >= 25ms: %d\n", el >= 25);
	pid = fork();
	if (pid == 0) {
		struct timespec ts = {0, 20000000};
		nanosleep(&ts, NULL);
		put(f, 7);
		_exit(0);
	}
	add(f, EPOLLIN, 70);
	wait_print("woken by the child", ep, 8, 5000);
	waitpid(pid, &st, 0);
	take(f);

	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = handler;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGALRM, &sa, NULL);
	/* SIGALRM every 20 ms until the wait returns: one comes while it
	 * waits however late a loaded machine lets it start. */
	struct itimerval every = {{0, 20000}, {0, 20000}}, off = {{0, 0}, {0, 0}};
	setitimer(ITIMER_REAL, &every, NULL);
	wait_print("interrupted (SA_RESTART does not restart)", ep, 8, -1);
	setitimer(ITIMER_REAL, &off, NULL);
	printf("handler ran: %d\n", got == SIGALRM);
	got = 0;
	setitimer(ITIMER_REAL, &every, NULL);
	errno = 0;
	long r = syscall(SYS_epoll_pwait, ep, (struct epoll_event[1]){}, 1, -1, NULL, 8);
	int pwait_errno = errno;
	setitimer(ITIMER_REAL, &off, NULL);
	printf("epoll_pwait interrupted: %ld %s, handler ran: %d\n", r, errname(pwait_errno), got == SIGALRM);

	/* Blocked, one SIGALRM stays pending through the wait. */
	struct itimerval it = {{0, 0}, {0, 20000}};
	got = 0;
	sigset_t block, empty;
	sigemptyset(&block);
	sigaddset(&block, SIGALRM);
	sigprocmask(SIG_BLOCK, &block, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
	wait_print("SIGALRM blocked: times out", ep, 8, 60);
	printf("handler ran: %d\n", got == SIGALRM);
	sigemptyset(&empty);
	struct epoll_event one[1];
	errno = 0;
	r = epoll_pwait(ep, one, 1, 1000, &empty);
	printf("epoll_pwait unblocking a pending signal: %ld %s, handler ran: %d\n", r, errname(errno), got == SIGALRM);
	sigset_t now;
	sigprocmask(SIG_SETMASK, NULL, &now);
	printf("mask restored: %d\n", sigismember(&now, SIGALRM));
	return 0;
}
