/* A stream socket's readiness after blocking receives (run under kite
 * with --net=host, where a host socket nobody waits on is told of no
 * EPOLLIN or EPOLLOUT edges until a wait, a poll or O_ASYNC asks for
 * them again): each case first makes a receive wait and time out
 * (SO_RCVTIMEO), then checks that what comes next is seen by a blocking
 * receive (the data written by a child, before or after the receive
 * waits: either order gives the same output), by epoll in edge-triggered
 * mode (data already there when the socket is added, then new data), by
 * poll, and by O_ASYNC (SIGIO for data written after it is set, taken
 * with sigwaitinfo). */
#include "inet_common.h"
#include <signal.h>
#include <sys/epoll.h>
#include <sys/wait.h>

/* pair makes a connected TCP pair on loopback: *a accepted, *b connected. */
static void pair(int fam, int *a, int *b) {
	int l = listener(fam, SOCK_STREAM);
	*b = connect_to(fam, SOCK_STREAM, local_port(l));
	*a = accept(l, NULL, NULL);
	close(l);
	if (*a < 0) {
		perror("accept");
		exit(1);
	}
}

/* timeout makes a receive on fd wait for 20 ms and time out. */
static void timeout(int fd) {
	struct timeval tv = {0, 20000}, none = {0, 0};
	char c;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	ssize_t n = recv(fd, &c, 1, 0);
	printf("receive with nothing there: %zd %s\n", n, n < 0 ? ierrname(errno) : "");
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &none, sizeof none);
}

static void blocking(int fam) {
	int a, b;
	pair(fam, &a, &b);
	timeout(a);
	for (int i = 0; i < 3; i++) {
		pid_t c = fork();
		if (c == 0) {
			_exit(write(b, "x", 1) == 1 ? 0 : 1);
		}
		char buf[4];
		ssize_t n = read(a, buf, sizeof buf);
		int st;
		waitpid(c, &st, 0);
		printf("blocking read %d: %zd, writer status %d\n", i, n, st);
	}
	close(a);
	close(b);
}

static void epoll_et(int fam) {
	int a, b;
	pair(fam, &a, &b);
	timeout(a);
	write(b, "x", 1);
	int ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.fd = a}, out[2];
	epoll_ctl(ep, EPOLL_CTL_ADD, a, &ev);
	int n = epoll_wait(ep, out, 2, 5000);
	printf("epoll with data there: %d events, EPOLLIN %d\n", n, n > 0 && (out[0].events & EPOLLIN));
	char buf[4];
	printf("read %zd\n", read(a, buf, sizeof buf));
	timeout(a);
	write(b, "y", 1);
	n = epoll_wait(ep, out, 2, 5000);
	printf("epoll after new data: %d events, EPOLLIN %d\n", n, n > 0 && (out[0].events & EPOLLIN));
	printf("read %zd\n", read(a, buf, sizeof buf));
	close(ep);
	close(a);
	close(b);
}

static void polled(int fam) {
	int a, b;
	pair(fam, &a, &b);
	timeout(a);
	write(b, "x", 1);
	printf("poll: readable %d\n", !!(waitfor(a, POLLIN) & POLLIN));
	char buf[4];
	printf("read %zd\n", read(a, buf, sizeof buf));
	close(a);
	close(b);
}

static void async(int fam) {
	int a, b;
	pair(fam, &a, &b);
	timeout(a);
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGIO);
	sigprocmask(SIG_BLOCK, &s, NULL);
	fcntl(a, F_SETOWN, getpid());
	fcntl(a, F_SETFL, fcntl(a, F_GETFL) | O_ASYNC);
	write(b, "x", 1);
	siginfo_t si;
	printf("SIGIO for new data: %d\n", sigwaitinfo(&s, &si) == SIGIO);
	char buf[4];
	printf("read %zd\n", read(a, buf, sizeof buf));
	fcntl(a, F_SETFL, fcntl(a, F_GETFL) & ~O_ASYNC);
	close(a);
	close(b);
}

int main(void) {
	setvbuf(stdout, NULL, _IONBF, 0);
	for (int fam = AF_INET; fam; fam = fam == AF_INET ? AF_INET6 : 0) {
		printf("-- %s\n", famname(fam));
		blocking(fam);
		epoll_et(fam);
		polled(fam);
		async(fam);
	}
	return 0;
}
