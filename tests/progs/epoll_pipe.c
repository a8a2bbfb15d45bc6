/* epoll on pipes: edge-triggered reads that are not reported again until
 * new data arrives, EPOLLOUT as room frees up, EPOLLHUP and EPOLLRDHUP
 * when the writer closes, EPOLLERR when the reader closes, one-shot items
 * re-armed with EPOLL_CTL_MOD, and a writer in another process waking a
 * blocked epoll_wait. */
#include "epoll_common.h"
#include <signal.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <time.h>

static void wait_print(const char *label, int ep, int timeout) {
	struct epoll_event ev[8];
	errno = 0;
	int n = epoll_wait(ep, ev, 8, timeout);
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

static void ctl(int ep, int op, int fd, uint32_t events, uint64_t data) {
	struct epoll_event ev = {.events = events, .data.u64 = data};
	if (epoll_ctl(ep, op, fd, &ev) < 0) printf("epoll_ctl %d %d: %s\n", op, fd, errname(errno));
}

static void sleep_ms(int ms) {
	struct timespec ts = {0, ms * 1000000L};
	nanosleep(&ts, NULL);
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	int ep = epoll_create1(0);
	int p[2];
	pipe2(p, O_NONBLOCK);
	char buf[70000];
	memset(buf, 'x', sizeof buf);

	printf("-- edge-triggered read end\n");
	ctl(ep, EPOLL_CTL_ADD, p[0], EPOLLIN | EPOLLET | EPOLLRDHUP, 1);
	wait_print("empty", ep, 0);
	CHECK("write 10", write(p[1], buf, 10));
	wait_print("data", ep, 0);
	CHECK("read 4", read(p[0], buf, 4));
	wait_print("partly read: not again", ep, 0);
	CHECK("write 1", write(p[1], buf, 1));
	wait_print("new data", ep, 0);
	wait_print("not again", ep, 0);
	CHECK("read all", read(p[0], buf, sizeof buf));

	printf("-- level-triggered write end\n");
	ctl(ep, EPOLL_CTL_ADD, p[1], EPOLLOUT, 2);
	wait_print("room", ep, 0);
	long total = 0, n;
	while ((n = write(p[1], buf, sizeof buf)) > 0) total += n;
	printf("filled %ld, then %s\n", total, errname(errno));
	wait_print("full", ep, 0);
	CHECK("read 4096", read(p[0], buf, 4096));
	wait_print("a page free", ep, 0);
	while (read(p[0], buf, sizeof buf) > 0) {}

	printf("-- one-shot\n");
	ctl(ep, EPOLL_CTL_DEL, p[1], 0, 0);
	ctl(ep, EPOLL_CTL_MOD, p[0], EPOLLIN | EPOLLONESHOT, 3);
	write(p[1], "a", 1);
	wait_print("fires once", ep, 0);
	write(p[1], "b", 1);
	wait_print("disabled", ep, 0);
	ctl(ep, EPOLL_CTL_MOD, p[0], EPOLLIN | EPOLLONESHOT, 4);
	wait_print("re-armed", ep, 0);
	read(p[0], buf, sizeof buf);

	printf("-- hang-ups\n");
	ctl(ep, EPOLL_CTL_MOD, p[0], EPOLLIN | EPOLLRDHUP, 5);
	close(p[1]);
	wait_print("writer closed", ep, 0);
	ctl(ep, EPOLL_CTL_MOD, p[0], EPOLLIN, 6);
	wait_print("without RDHUP in the mask", ep, 0);
	ctl(ep, EPOLL_CTL_MOD, p[0], 0, 7);
	wait_print("empty mask still gets HUP", ep, 0);
	close(p[0]);
	wait_print("all closed", ep, 0);
	int q[2];
	pipe(q);
	ctl(ep, EPOLL_CTL_ADD, q[1], EPOLLOUT | EPOLLET, 8);
	wait_print("write end", ep, 0);
	close(q[0]);
	wait_print("reader closed", ep, 0);
	close(q[1]);

	printf("-- woken by another process\n");
	/* The child exits only once the parent has read the data (the end
	 * of file on gate), so the first wait never sees the hang-up. */
	int r[2], gate[2];
	pipe(r);
	pipe(gate);
	ctl(ep, EPOLL_CTL_ADD, r[0], EPOLLIN, 9);
	pid_t pid = fork();
	if (pid == 0) {
		close(gate[1]);
		sleep_ms(20);
		write(r[1], "hello", 5);
		char b;
		read(gate[0], &b, 1);
		_exit(0);
	}
	close(r[1]);
	close(gate[0]);
	wait_print("data from the child", ep, -1);
	CHECK("read", read(r[0], buf, sizeof buf));
	close(gate[1]);
	wait_print("child exits: hang-up", ep, -1);
	waitpid(pid, NULL, 0);
	return 0;
}
