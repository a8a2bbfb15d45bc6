/* Blocking INET calls and signals: recv, accept and a blocking UDP recv
 * interrupted by a handler without SA_RESTART give EINTR; with
 * SA_RESTART they restart and finish when data comes (sent by the
 * handler's own timer); SO_RCVTIMEO gives EAGAIN after its timeout, and
 * EINTR (not a restart) when interrupted; SO_SNDTIMEO on a full send
 * buffer gives EAGAIN or a partial count. */
#include "inet_common.h"
#include <sys/time.h>

static int feed_fd = -1;
static volatile sig_atomic_t alarms;
static void on_alarm(int sig) {
	(void)sig;
	alarms++;
	if (feed_fd >= 0 && alarms == 2)
		send(feed_fd, "late", 4, MSG_NOSIGNAL);
}

static void handler(int restart) {
	struct sigaction sa = {0};
	sa.sa_handler = on_alarm;
	sa.sa_flags = restart ? SA_RESTART : 0;
	sigaction(SIGALRM, &sa, NULL);
}

/* tick arms a 50 ms repeating timer (or stops it). */
static void tick(int on) {
	struct itimerval it = {{0, on ? 50000 : 0}, {0, on ? 50000 : 0}};
	setitimer(ITIMER_REAL, &it, NULL);
}

static void run(int fam) {
	char buf[64];
	printf("== %s\n", famname(fam));
	int l = listener(fam, SOCK_STREAM);
	int c = connect_to(fam, SOCK_STREAM, local_port(l));
	int s = accept(l, NULL, NULL);

	handler(0);
	alarms = 0;
	tick(1);
	ICHECK("recv, no SA_RESTART", recv(s, buf, sizeof buf, 0));
	ICHECK("accept, no SA_RESTART", accept(l, NULL, NULL));
	tick(0);

	handler(1);
	alarms = 0;
	feed_fd = c;
	tick(1);
	memset(buf, 0, sizeof buf);
	ICHECK("recv, SA_RESTART", recv(s, buf, sizeof buf, 0));
	tick(0);
	feed_fd = -1;
	printf("got %s after %d alarms\n", buf, alarms >= 2);

	struct timeval tv = {0, 200000};
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	ICHECK("recv SO_RCVTIMEO", recv(s, buf, sizeof buf, 0));
	alarms = 0;
	tv.tv_sec = 5;
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	tick(1);
	ICHECK("recv SO_RCVTIMEO, SA_RESTART, interrupted", recv(s, buf, sizeof buf, 0));
	tick(0);
	tv.tv_sec = 0;
	setsockopt(l, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	ICHECK("accept SO_RCVTIMEO", accept(l, NULL, NULL));

	/* fill the send buffer: the peer never reads */
	int sz = 4096;
	setsockopt(c, SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
	setsockopt(s, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
	tv.tv_sec = 0;
	tv.tv_usec = 200000;
	setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	static char big[1 << 20];
	long total = 0, r;
	int calls = 0;
	while ((r = send(c, big, sizeof big, MSG_NOSIGNAL)) > 0 && calls < 64) {
		total += r;
		calls++;
	}
	printf("send buffer filled: last %s, sent something %d, less than 64 MiB %d\n",
	       r < 0 ? ierrname(errno) : "partial", total > 0, calls < 64);
	close(s);
	close(c);

	/* UDP */
	int u = listener(fam, SOCK_DGRAM);
	handler(0);
	tick(1);
	ICHECK("udp recv, no SA_RESTART", recv(u, buf, sizeof buf, 0));
	tick(0);
	close(u);
	close(l);
}

int main(void) {
	run(AF_INET);
	run(AF_INET6);
	return 0;
}
