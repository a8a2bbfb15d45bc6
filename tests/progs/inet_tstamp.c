/* SO_TIMESTAMP and SO_TIMESTAMPNS on UDP and TCP over 127.0.0.1 and
 * ::1: the receive carries the time as a timeval or timespec control
 * message (checked against CLOCK_REALTIME), none without the option.
 * On TCP Linux adds the message only when the segment was stamped on
 * arrival, and the first SO_TIMESTAMP in the system turns stamping on
 * from a work queue a little later: a TCP receive right after the
 * option may carry one message or none, so TCP prints whether it got at
 * most one, and checks any it got. */
#include "inet_common.h"
#include <time.h>

static void recv_show(int fd, const char *label, int exact, int want) {
	char buf[16], cbuf[128];
	struct iovec iov = {buf, sizeof buf};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
	waitfor(fd, POLLIN);
	ICHECK(label, recvmsg(fd, &m, 0));
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	int n = 0, valid = 1;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c), n++) {
		long sec = 0, sub = 0;
		memcpy(&sec, CMSG_DATA(c), 8);
		memcpy(&sub, CMSG_DATA(c) + 8, 8);
		int ns = c->cmsg_type == SO_TIMESTAMPNS;
		long diff = (now.tv_sec - sec) * 1000000000L + now.tv_nsec - (ns ? sub : sub * 1000);
		int near = diff >= 0 && diff < 5000000000L, inrange = sub >= 0 && sub < (ns ? 1000000000L : 1000000L);
		if (exact)
			printf("  cmsg level %d type %d len %d; within 5 s of now %d; sub-second in range %d\n", c->cmsg_level,
			       c->cmsg_type, (int)(c->cmsg_len - CMSG_LEN(0)), near, inrange);
		valid = valid && near && inrange && c->cmsg_level == SOL_SOCKET && c->cmsg_type == want &&
			c->cmsg_len - CMSG_LEN(0) == 16;
	}
	if (exact)
		printf("  %d control messages\n", n);
	else
		printf("  at most one control message, each the asked-for stamp near now: %d\n", n <= 1 && valid);
}

static void run(int fam) {
	printf("== %s\n", famname(fam));
	int opts[] = {0, SO_TIMESTAMP, SO_TIMESTAMPNS};
	for (int i = 0; i < 3; i++) {
		int r = listener(fam, SOCK_DGRAM);
		if (opts[i])
			ICHECK("setsockopt udp", setint(r, SOL_SOCKET, opts[i], 1));
		int s = connect_to(fam, SOCK_DGRAM, local_port(r));
		send(s, "x", 1, 0);
		recv_show(r, "udp recvmsg", 1, opts[i]);
		close(s);
		close(r);
		int l = listener(fam, SOCK_STREAM);
		int c = connect_to(fam, SOCK_STREAM, local_port(l));
		int a = accept(l, NULL, NULL);
		if (opts[i])
			ICHECK("setsockopt tcp", setint(a, SOL_SOCKET, opts[i], 1));
		send(c, "y", 1, 0);
		recv_show(a, "tcp recvmsg", !opts[i], opts[i]);
		close(a);
		close(c);
		close(l);
	}
}

int main(void) {
	run(AF_INET);
	run(AF_INET6);
	return 0;
}
