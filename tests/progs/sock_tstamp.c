/* SO_TIMESTAMP, SO_TIMESTAMPNS and their _NEW forms on Unix sockets:
 * datagram and seqpacket receivers get the send time as a control
 * message (timeval or timespec) before SCM_CREDENTIALS; stream sockets
 * get none; the options' values as getsockopt reports them. */
#include "sock_common.h"

#define SO_TS_NEW 63
#define SO_TSNS_NEW 64

static struct timespec before;

static void rx(const char *label, int fd, size_t space) {
	char buf[64];
	union { char b[256]; struct cmsghdr align; } cb;
	struct iovec iov = {buf, sizeof buf};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cb.b, .msg_controllen = space};
	long n = recvmsg(fd, &mh, MSG_DONTWAIT);
	struct timespec after;
	clock_gettime(CLOCK_REALTIME, &after);
	printf("%s: n=%ld ctrunc=%d controllen=%zu:", label, n, (mh.msg_flags & MSG_CTRUNC) != 0, (size_t)mh.msg_controllen);
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		printf(" (lvl=%d type=%d len=%zu", c->cmsg_level, c->cmsg_type, (size_t)c->cmsg_len);
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_len == CMSG_LEN(16) &&
		    (c->cmsg_type == SO_TIMESTAMP || c->cmsg_type == SO_TIMESTAMPNS ||
		     c->cmsg_type == SO_TS_NEW || c->cmsg_type == SO_TSNS_NEW)) {
			long long s, sub;
			memcpy(&s, CMSG_DATA(c), 8);
			memcpy(&sub, CMSG_DATA(c) + 8, 8);
			int ns = c->cmsg_type == SO_TIMESTAMPNS || c->cmsg_type == SO_TSNS_NEW;
			long long t = s * 1000000000LL + (ns ? sub : sub * 1000);
			long long lo = before.tv_sec * 1000000000LL + before.tv_nsec - (ns ? 0 : 1000);
			long long hi = after.tv_sec * 1000000000LL + after.tv_nsec;
			printf(" sub-ok=%d in-range=%d", sub >= 0 && sub < (ns ? 1000000000 : 1000000), t >= lo && t <= hi);
		}
		printf(")");
	}
	printf("\n");
}

static void get(const char *label, int fd) {
	int a = -1, b = -1, c = -1, d = -1;
	socklen_t l = 4;
	getsockopt(fd, SOL_SOCKET, SO_TIMESTAMP, &a, &l);
	l = 4; getsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &b, &l);
	l = 4; getsockopt(fd, SOL_SOCKET, SO_TS_NEW, &c, &l);
	l = 4; getsockopt(fd, SOL_SOCKET, SO_TSNS_NEW, &d, &l);
	printf("%s: TIMESTAMP=%d TIMESTAMPNS=%d TIMESTAMP_NEW=%d TIMESTAMPNS_NEW=%d\n", label, a, b, c, d);
}

static void snd(int fd) {
	clock_gettime(CLOCK_REALTIME, &before);
	send(fd, "a", 1, 0);
}

int main(void) {
	int types[] = {SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET};
	const char *names[] = {"stream", "dgram", "seqpacket"};
	for (int i = 0; i < 3; i++) {
		int sv[2], on = 1, off = 0;
		printf("== %s\n", names[i]);
		CHECK("socketpair", socketpair(AF_UNIX, types[i], 0, sv));
		get("new", sv[1]);
		snd(sv[0]);
		CHECK("SO_TIMESTAMP", setsockopt(sv[1], SOL_SOCKET, SO_TIMESTAMP, &on, sizeof on));
		get("TIMESTAMP", sv[1]);
		rx("sent before the option", sv[1], 256);
		snd(sv[0]);
		rx("timeval", sv[1], 256);
		CHECK("SO_TIMESTAMPNS", setsockopt(sv[1], SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on));
		get("TIMESTAMPNS", sv[1]);
		snd(sv[0]);
		rx("timespec", sv[1], 256);
		CHECK("SO_TIMESTAMP_NEW", setsockopt(sv[1], SOL_SOCKET, SO_TS_NEW, &on, sizeof on));
		get("TIMESTAMP_NEW", sv[1]);
		snd(sv[0]);
		rx("new timeval", sv[1], 256);
		CHECK("SO_TIMESTAMPNS_NEW", setsockopt(sv[1], SOL_SOCKET, SO_TSNS_NEW, &on, sizeof on));
		get("TIMESTAMPNS_NEW", sv[1]);
		snd(sv[0]);
		rx("new timespec", sv[1], 256);
		CHECK("SO_TIMESTAMP on", setsockopt(sv[1], SOL_SOCKET, SO_TIMESTAMP, &on, sizeof on));
		CHECK("SO_PASSCRED", setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof on));
		snd(sv[0]);
		rx("with creds", sv[1], 256);
		snd(sv[0]);
		rx("room for the time only", sv[1], CMSG_SPACE(16));
		snd(sv[0]);
		rx("no room", sv[1], 8);
		CHECK("SO_TIMESTAMPNS off", setsockopt(sv[1], SOL_SOCKET, SO_TIMESTAMPNS, &off, sizeof off));
		get("off", sv[1]);
		snd(sv[0]);
		rx("off", sv[1], 256);
		CHECK("short optlen", setsockopt(sv[1], SOL_SOCKET, SO_TIMESTAMP, &on, 2));
		close(sv[0]);
		close(sv[1]);
	}
	return 0;
}
