/* poll, select and epoll_wait on a pipe whose writer is a child that
 * exits, with a SIGCHLD handler installed: the exit hangs the pipe up
 * before it sends SIGCHLD, so the wait reports the pipe rather than
 * EINTR (Linux looks at the events again after a wake-up before it
 * looks at signals). */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/wait.h>
#include <unistd.h>

static void on_chld(int sig) { (void)sig; }

int main(void) {
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_chld;
	sigaction(SIGCHLD, &sa, NULL);
	const char *names[3] = {"poll", "epoll_wait", "select"};
	int ready[3] = {0}, intr[3] = {0}, other[3] = {0};
	for (int i = 0; i < 90; i++) {
		int p[2], go[2];
		if (pipe(p) < 0 || pipe(go) < 0) {
			perror("pipe");
			return 1;
		}
		pid_t c = fork();
		if (c < 0) {
			perror("fork");
			return 1;
		}
		if (c == 0) {
			char x;
			close(p[0]);
			close(go[1]);
			read(go[0], &x, 1); /* EOF once the parent closes go */
			_exit(0);
		}
		close(p[1]);
		close(go[0]);
		close(go[1]);
		int mode = i % 3, r;
		if (mode == 0) {
			struct pollfd pf = {p[0], POLLIN, 0};
			r = poll(&pf, 1, 10000);
		} else if (mode == 1) {
			int ep = epoll_create1(0);
			struct epoll_event ev = {EPOLLIN, {0}};
			epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev);
			r = epoll_wait(ep, &ev, 1, 10000);
			close(ep);
		} else {
			fd_set s;
			FD_ZERO(&s);
			FD_SET(p[0], &s);
			struct timeval tv = {10, 0};
			r = select(p[0] + 1, &s, NULL, NULL, &tv);
		}
		if (r == 1)
			ready[mode]++;
		else if (r < 0 && errno == EINTR)
			intr[mode]++;
		else
			other[mode]++;
		close(p[0]);
		while (waitpid(c, NULL, 0) < 0 && errno == EINTR)
			;
	}
	for (int m = 0; m < 3; m++)
		printf("%s: ready %d, EINTR %d, other %d\n", names[m], ready[m], intr[m], other[m]);
	return 0;
}
