/* SO_TIMESTAMPING's software receive times on UDP and TCP over
 * 127.0.0.1 and ::1: with SOF_TIMESTAMPING_RX_SOFTWARE and
 * SOF_TIMESTAMPING_SOFTWARE, recvmsg adds SCM_TIMESTAMPING (or
 * SO_TIMESTAMPING_NEW) whose first time is the arrival (close to now)
 * and the others zero, after SO_TIMESTAMP's message; getsockopt gives
 * the flags back in the form they were set; unknown flags are EINVAL.
 * (Transmit timestamps are not tried: kite refuses them.) */
#include "inet_common.h"
#include <time.h>

/* linux/net_tstamp.h's, which musl's headers lack. */
#define SOF_TIMESTAMPING_RX_SOFTWARE (1 << 3)
#define SOF_TIMESTAMPING_SOFTWARE (1 << 4)
struct so_timestamping {
	int flags;
	int bind_phc;
};

#ifndef SO_TIMESTAMPING_NEW
#define SO_TIMESTAMPING_NEW 65
#endif
#ifndef SO_TIMESTAMPING_OLD
#define SO_TIMESTAMPING_OLD 37
#endif

static void receive(const char *label, int fd) {
	char buf[64], cbuf[512];
	struct iovec iov = {buf, sizeof buf};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
	waitfor(fd, POLLIN);
	long n = recvmsg(fd, &m, MSG_DONTWAIT);
	if (n < 0) {
		printf("%s: recvmsg %s\n", label, errname(errno));
		return;
	}
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	printf("%s: %ld bytes, flags %#x:", label, n, m.msg_flags);
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		printf(" [%d %d len %zu", c->cmsg_level, c->cmsg_type, (size_t)c->cmsg_len);
		if (c->cmsg_level == SOL_SOCKET && (c->cmsg_type == SO_TIMESTAMPING_OLD || c->cmsg_type == SO_TIMESTAMPING_NEW)) {
			struct timespec ts[3];
			memcpy(ts, CMSG_DATA(c), sizeof ts);
			long d = (long)(now.tv_sec - ts[0].tv_sec);
			printf(" sw %s, others %s", d >= 0 && d < 60 && ts[0].tv_nsec < 1000000000 ? "recent" : "wrong",
			       ts[1].tv_sec | ts[1].tv_nsec | ts[2].tv_sec | ts[2].tv_nsec ? "set" : "zero");
		}
		printf("]");
	}
	printf("\n");
}

static void flags(const char *label, int fd, int name) {
	int v[2] = {-1, -1};
	socklen_t l = sizeof v;
	if (getsockopt(fd, SOL_SOCKET, name, v, &l) < 0)
		printf("%s: %s\n", label, errname(errno));
	else
		printf("%s: len %d flags %#x\n", label, (int)l, l >= 4 ? v[0] : -1);
}

static void run(int fam, int type) {
	printf("%s %s:\n", famname(fam), type == SOCK_STREAM ? "TCP" : "UDP");
	int l = listener(fam, type), r, s;
	s = connect_to(fam, type, local_port(l));
	r = type == SOCK_STREAM ? accept(l, NULL, NULL) : l;
	int f = SOF_TIMESTAMPING_RX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE;
	printf("  set: %d\n", setsockopt(r, SOL_SOCKET, SO_TIMESTAMPING_OLD, &f, sizeof f));
	flags("  get", r, SO_TIMESTAMPING_OLD);
	flags("  get NEW", r, SO_TIMESTAMPING_NEW);
	send(s, "one", 3, 0);
	receive("  recv", r);
	setint(r, SOL_SOCKET, SO_TIMESTAMP, 1);
	send(s, "two", 3, 0);
	receive("  with SO_TIMESTAMP", r);
	struct so_timestamping st = {.flags = f};
	printf("  set NEW (struct): %d\n", setsockopt(r, SOL_SOCKET, SO_TIMESTAMPING_NEW, &st, sizeof st));
	flags("  get OLD", r, SO_TIMESTAMPING_OLD);
	flags("  get NEW", r, SO_TIMESTAMPING_NEW);
	send(s, "three", 5, 0);
	receive("  NEW", r);
	setint(r, SOL_SOCKET, SO_TIMESTAMP, 0);
	f = 0;
	setsockopt(r, SOL_SOCKET, SO_TIMESTAMPING_OLD, &f, sizeof f);
	send(s, "four", 4, 0);
	receive("  off", r);
	f = 1 << 24;
	printf("  unknown flag: %s\n", setsockopt(r, SOL_SOCKET, SO_TIMESTAMPING_OLD, &f, sizeof f) < 0 ? errname(errno) : "ok");
	printf("  short value: %s\n", setsockopt(r, SOL_SOCKET, SO_TIMESTAMPING_OLD, &f, 2) < 0 ? errname(errno) : "ok");
	close(s);
	if (r != l)
		close(r);
	close(l);
}

/* warm_up waits until received packets carry software times: Linux
 * turns receive timestamping on for the whole machine in a deferred
 * work item, so the first packets after the first request go without
 * one (kite stamps every packet as soon as asked). The socket stays
 * open, so that timestamping stays on. */
static int warm_up(void) {
	int r = listener(AF_INET, SOCK_DGRAM);
	int s = connect_to(AF_INET, SOCK_DGRAM, local_port(r));
	int f = SOF_TIMESTAMPING_RX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE;
	setsockopt(r, SOL_SOCKET, SO_TIMESTAMPING_OLD, &f, sizeof f);
	for (long i = 0; i < 1000000; i++) {
		char buf[8], cbuf[256];
		struct iovec iov = {buf, sizeof buf};
		struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
		send(s, "w", 1, 0);
		waitfor(r, POLLIN);
		if (recvmsg(r, &m, 0) >= 0 && CMSG_FIRSTHDR(&m) != NULL)
			break;
	}
	close(s);
	return r;
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	int w = warm_up();
	run(AF_INET, SOCK_DGRAM);
	run(AF_INET6, SOCK_DGRAM);
	run(AF_INET, SOCK_STREAM);
	run(AF_INET6, SOCK_STREAM);
	close(w);
	return 0;
}
