/* EPOLLEXCLUSIVE: two processes each wait in epoll_wait on their own
 * epoll instance holding the same socket with EPOLLEXCLUSIVE; one datagram
 * wakes exactly one of them (the other's wait runs out), where without
 * the flag both wake. The parent starts the datagram only once both
 * children sleep (their state in /proc/PID/stat is S): a child that has
 * not yet reached epoll_wait is R (kite said S for every task but the
 * reader, so the datagram could come first and wake both children). */
#include "sock_common.h"
#include <sched.h>

static char state_of(pid_t p) {
	char path[64], buf[256];
	snprintf(path, sizeof path, "/proc/%d/stat", p);
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return '?';
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return '?';
	buf[n] = 0;
	char *c = strrchr(buf, ')');
	return c && c[1] && c[2] ? c[2] : '?';
}

/* A child that runs (spins) is R, never S. */
static void busy_state(void) {
	int up[2];
	pipe(up);
	fflush(stdout);
	pid_t p = fork();
	if (p == 0) {
		write(up[1], "r", 1);
		for (volatile int spin = 1; spin;)
			;
		_exit(0);
	}
	char c;
	read(up[0], &c, 1);
	printf("busy child: %c\n", state_of(p));
	kill(p, SIGKILL);
	waitpid(p, NULL, 0);
	close(up[0]);
	close(up[1]);
}

static int round_of(int exclusive) {
	int sv[2], rp[2];
	socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
	pipe(rp);
	pid_t kids[2];
	int ready[2];
	for (int i = 0; i < 2; i++) {
		int up[2];
		pipe(up);
		fflush(stdout);
		kids[i] = fork();
		if (kids[i] == 0) {
			int ep = epoll_create1(0);
			struct epoll_event ev = {EPOLLIN | (exclusive ? EPOLLEXCLUSIVE : 0), {.u32 = 1}};
			epoll_ctl(ep, EPOLL_CTL_ADD, sv[1], &ev);
			write(up[1], "r", 1);
			struct epoll_event out;
			int n = epoll_wait(ep, &out, 1, 1500);
			char c = n > 0 ? 'w' : 't';
			write(rp[1], &c, 1);
			_exit(0);
		}
		close(up[1]);
		ready[i] = up[0];
	}
	char c;
	for (int i = 0; i < 2; i++) {
		read(ready[i], &c, 1);
		while (state_of(kids[i]) != 'S')
			sched_yield();
	}
	send(sv[0], "x", 1, 0);
	int woke = 0, timed = 0;
	for (int i = 0; i < 2; i++) {
		read(rp[0], &c, 1);
		if (c == 'w') woke++; else timed++;
	}
	for (int i = 0; i < 2; i++)
		waitpid(kids[i], NULL, 0);
	printf("%s: %d woke, %d timed out\n", exclusive ? "EPOLLEXCLUSIVE" : "plain", woke, timed);
	close(sv[0]); close(sv[1]); close(rp[0]); close(rp[1]);
	close(ready[0]); close(ready[1]);
	return 0;
}

int main(void) {
	busy_state();
	round_of(0);
	round_of(1);
	/* The flag's rules. */
	int ep = epoll_create1(0), sv[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	struct epoll_event ev = {EPOLLIN | EPOLLEXCLUSIVE, {0}};
	CHECK("add exclusive", epoll_ctl(ep, EPOLL_CTL_ADD, sv[0], &ev));
	CHECK("mod exclusive item", epoll_ctl(ep, EPOLL_CTL_MOD, sv[0], &ev));
	ev.events = EPOLLIN;
	CHECK("mod to plain", epoll_ctl(ep, EPOLL_CTL_MOD, sv[0], &ev));
	ev.events = EPOLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT;
	CHECK("add exclusive oneshot", epoll_ctl(ep, EPOLL_CTL_ADD, sv[1], &ev));
	int ep2 = epoll_create1(0);
	ev.events = EPOLLIN | EPOLLEXCLUSIVE;
	CHECK("add exclusive epoll", epoll_ctl(ep2, EPOLL_CTL_ADD, ep, &ev));
	CHECK("del", epoll_ctl(ep, EPOLL_CTL_DEL, sv[0], NULL));
	return 0;
}
