/* AF_UNIX SOCK_DGRAM and SOCK_SEQPACKET: message boundaries, sendto and
 * recvfrom addresses, connect and disconnect (AF_UNSPEC), EPERM for a
 * socket connected elsewhere, ECONNREFUSED after the peer closes,
 * MSG_TRUNC, MSG_PEEK, MSG_DONTWAIT, MSG_WAITALL, MSG_EOR, EMSGSIZE, the
 * receive-queue limit, sendmsg/recvmsg/sendmmsg/recvmmsg and their
 * errors. */
#include "sock_common.h"

static int sendstr(int fd, const char *s) { return send(fd, s, strlen(s), 0); }

static void recvshow(const char *label, int fd, size_t len, int flags) {
	char buf[512];
	memset(buf, 0, sizeof buf);
	ssize_t n = recv(fd, buf, len, flags);
	if (n < 0)
		printf("%s: -1 %s\n", label, errname(errno));
	else
		printf("%s: %zd \"%.*s\"\n", label, n, (int)(n < (ssize_t)len ? n : (ssize_t)len), buf);
	fflush(stdout);
}

int main(void) {
	int sv[2];
	char buf[1024];
	enter_tmpdir();

	/* datagram pairs keep boundaries */
	CHECK("socketpair dgram", socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
	sendstr(sv[0], "one");
	sendstr(sv[0], "second");
	CHECK("send empty", send(sv[0], "", 0, 0));
	CHECK("FIONREAD", ({ int n = -1; ioctl(sv[1], FIONREAD, &n); n; }));
	recvshow("recv", sv[1], sizeof buf, 0);
	recvshow("recv truncated", sv[1], 3, 0);
	recvshow("recv empty", sv[1], sizeof buf, 0);
	sendstr(sv[0], "truncate me");
	CHECK("recv MSG_TRUNC", recv(sv[1], buf, 4, MSG_TRUNC));
	sendstr(sv[0], "peek");
	recvshow("peek", sv[1], sizeof buf, MSG_PEEK);
	recvshow("after peek", sv[1], sizeof buf, 0);
	recvshow("empty dontwait", sv[1], sizeof buf, MSG_DONTWAIT);
	pollmask("dgram idle", sv[0], POLLIN | POLLOUT);
	sendstr(sv[1], "x");
	pollmask("dgram data", sv[0], POLLIN | POLLOUT);
	recv(sv[0], buf, 1, 0);

	/* recvmsg: msg_flags MSG_TRUNC, namelen of an unbound sender */
	struct sockaddr_un from;
	struct iovec iov = {buf, 4};
	struct msghdr mh = {.msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &iov, .msg_iovlen = 1};
	sendstr(sv[0], "abcdefgh");
	CHECK("recvmsg short", recvmsg(sv[1], &mh, 0));
	printf("msg_flags %#x namelen %d controllen %zu\n", mh.msg_flags, (int)mh.msg_namelen, (size_t)mh.msg_controllen);
	mh.msg_iovlen = 2000;
	CHECK("recvmsg iovlen too big", recvmsg(sv[1], &mh, 0));
	mh.msg_iovlen = 1;
	CHECK("recvmsg bad msghdr", recvmsg(sv[1], BADPTR, 0));
	CHECK("recvmsg MSG_OOB", recvmsg(sv[1], &mh, MSG_OOB));
	CHECK("sendmsg bad msghdr", sendmsg(sv[0], BADPTR, 0));
	struct iovec biov = {BADPTR, 4};
	struct msghdr bmh = {.msg_iov = &biov, .msg_iovlen = 1};
	CHECK("sendmsg bad iovec base", sendmsg(sv[0], &bmh, 0));
	bmh.msg_iov = BADPTR;
	CHECK("sendmsg bad iovec", sendmsg(sv[0], &bmh, 0));
	CHECK("sendto bad buffer", sendto(sv[0], BADPTR, 4, 0, NULL, 0));
	CHECK("send MSG_OOB", send(sv[0], "x", 1, MSG_OOB));
	close(sv[0]);
	close(sv[1]);

	/* named datagram sockets */
	int a = socket(AF_UNIX, SOCK_DGRAM, 0), b = socket(AF_UNIX, SOCK_DGRAM, 0), c = socket(AF_UNIX, SOCK_DGRAM, 0);
	struct sockaddr_un aa, ba, ca;
	socklen_t al = sun_path(&aa, "a"), bl = sun_path(&ba, "b"), cl = sun_abstract(&ca, "kite-dgram-c");
	bind(a, (struct sockaddr *)&aa, al);
	bind(b, (struct sockaddr *)&ba, bl);
	bind(c, (struct sockaddr *)&ca, cl);
	CHECK("send unconnected", send(a, "x", 1, 0));
	CHECK("sendto b", sendto(a, "to b", 4, 0, (struct sockaddr *)&ba, bl));
	CHECK("sendto nowhere", sendto(a, "x", 1, 0, (struct sockaddr *)&ca, sun_path(&ca, "nowhere")));
	sun_abstract(&ca, "kite-dgram-c");
	CHECK("sendto bad address len", sendto(a, "x", 1, 0, (struct sockaddr *)&ba, 1));
	memset(&from, 0, sizeof from);
	socklen_t fl = sizeof from;
	CHECK("recvfrom", recvfrom(b, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl));
	printf("from len %d path %s\n", (int)fl, from.sun_path);
	CHECK("connect a to b", connect(a, (struct sockaddr *)&ba, bl));
	show: ;
	struct sockaddr_un pn; socklen_t pnl = sizeof pn;
	CHECK("getpeername", getpeername(a, (struct sockaddr *)&pn, &pnl));
	printf("peer %s\n", pn.sun_path);
	CHECK("send connected", send(a, "via connect", 11, 0));
	recvshow("b got", b, sizeof buf, 0);
	CHECK("c sends to a (a is connected to b)", sendto(c, "x", 1, 0, (struct sockaddr *)&aa, al));
	CHECK("c connects to a", connect(c, (struct sockaddr *)&aa, al));
	CHECK("b sends to a", sendto(b, "from b", 6, 0, (struct sockaddr *)&aa, al));
	recvshow("a got", a, sizeof buf, 0);
	struct sockaddr unspec = {.sa_family = AF_UNSPEC};
	CHECK("disconnect", connect(a, &unspec, sizeof unspec));
	CHECK("getpeername after disconnect", getpeername(a, (struct sockaddr *)&pn, &pnl));
	CHECK("send after disconnect", send(a, "x", 1, 0));
	CHECK("connect short", connect(a, &unspec, 1));
	CHECK("c sends to a now", sendto(c, "hello a", 7, 0, (struct sockaddr *)&aa, al));
	recvshow("a got", a, sizeof buf, 0);

	/* the peer closes: ECONNREFUSED once, then ENOTCONN */
	connect(a, (struct sockaddr *)&ba, bl);
	close(b);
	CHECK("send to closed peer", send(a, "x", 1, 0));
	CHECK("send again", send(a, "x", 1, 0));
	CHECK("sendto closed name", sendto(a, "x", 1, 0, (struct sockaddr *)&ba, bl));
	unlink("b");

	/* the receive queue: max_dgram_qlen + 1 messages from an
	 * unconnected sender, then EAGAIN */
	int r = socket(AF_UNIX, SOCK_DGRAM, 0);
	struct sockaddr_un ra;
	socklen_t rl = sun_path(&ra, "r");
	bind(r, (struct sockaddr *)&ra, rl);
	int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	int sent = 0;
	while (sendto(s, "m", 1, 0, (struct sockaddr *)&ra, rl) == 1) sent++;
	printf("queued %d, then %s\n", sent, errname(errno));
	connect(s, (struct sockaddr *)&ra, rl);
	pollmask("sender to a full queue", s, POLLOUT);
	recv(r, buf, 1, 0);
	pollmask("sender after one read", s, POLLOUT);
	CHECK("send after one read", send(s, "m", 1, 0));
	CHECK("SIOCINQ dgram", ({ int n = -1; ioctl(r, FIONREAD, &n); n; }));
	while (recv(r, buf, sizeof buf, MSG_DONTWAIT) > 0) {}
	close(s);
	unlink("r");
	close(r);

	/* EMSGSIZE beyond the send buffer */
	socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
	int sb = 8192;
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sb, sizeof sb);
	static char big[300000];
	CHECK("send bigger than SO_SNDBUF", send(sv[0], big, 20000, 0));
	CHECK("send fits", send(sv[0], big, 16000, 0));
	close(sv[0]);
	close(sv[1]);

	/* shutdown on datagram sockets */
	socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
	CHECK("shutdown SHUT_RD", shutdown(sv[1], SHUT_RD));
	CHECK("recv after SHUT_RD", recv(sv[1], buf, 1, 0));
	CHECK("recv dontwait after SHUT_RD", recv(sv[1], buf, 1, MSG_DONTWAIT));
	CHECK("send to it", send(sv[0], "x", 1, MSG_NOSIGNAL));
	CHECK("shutdown SHUT_WR", shutdown(sv[0], SHUT_WR));
	CHECK("send after SHUT_WR", send(sv[0], "x", 1, MSG_NOSIGNAL));
	close(sv[0]);
	close(sv[1]);

	/* sendmmsg and recvmmsg */
	socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
	struct mmsghdr mm[3];
	struct iovec mi[3] = {{"m1", 2}, {"mm2", 3}, {"mmm3", 4}};
	memset(mm, 0, sizeof mm);
	for (int i = 0; i < 3; i++) { mm[i].msg_hdr.msg_iov = &mi[i]; mm[i].msg_hdr.msg_iovlen = 1; }
	CHECK("sendmmsg", sendmmsg(sv[0], mm, 3, 0));
	printf("lens %u %u %u\n", mm[0].msg_len, mm[1].msg_len, mm[2].msg_len);
	char rb[3][8];
	struct iovec ri[3] = {{rb[0], 8}, {rb[1], 8}, {rb[2], 8}};
	memset(mm, 0, sizeof mm);
	for (int i = 0; i < 3; i++) { mm[i].msg_hdr.msg_iov = &ri[i]; mm[i].msg_hdr.msg_iovlen = 1; }
	CHECK("recvmmsg", recvmmsg(sv[1], mm, 3, 0, NULL));
	printf("got %.*s %.*s %.*s\n", mm[0].msg_len, rb[0], mm[1].msg_len, rb[1], mm[2].msg_len, rb[2]);
	send(sv[0], "w", 1, 0);
	CHECK("recvmmsg MSG_WAITFORONE", recvmmsg(sv[1], mm, 3, MSG_WAITFORONE, NULL));
	CHECK("recvmmsg MSG_DONTWAIT empty", recvmmsg(sv[1], mm, 3, MSG_DONTWAIT, NULL));
	CHECK("sendmmsg bad vector", sendmmsg(sv[0], BADPTR, 2, 0));
	CHECK("sendmmsg vlen 0", sendmmsg(sv[0], mm, 0, 0));
	/* recvmmsg's timeout is checked after each message, and what is
	 * left of it is written back. */
	for (int i = 0; i < 3; i++) send(sv[0], "t", 1, 0);
	struct timespec zero = {0, 0};
	CHECK("recvmmsg timeout 0", recvmmsg(sv[1], mm, 3, 0, &zero));
	printf("left %ld.%09ld\n", (long)zero.tv_sec, zero.tv_nsec);
	struct timespec longer = {100, 0};
	CHECK("recvmmsg timeout 100s", recvmmsg(sv[1], mm, 2, 0, &longer));
	printf("left below 100s: %d, above 90s: %d\n", longer.tv_sec < 100, longer.tv_sec >= 90);
	struct timespec bad = {0, 1000000000};
	CHECK("recvmmsg bad timeout", recvmmsg(sv[1], mm, 2, 0, &bad));
	bad.tv_sec = -1; bad.tv_nsec = 0;
	CHECK("recvmmsg negative timeout", recvmmsg(sv[1], mm, 2, 0, &bad));
	CHECK("recvmmsg timeout bad pointer", recvmmsg(sv[1], mm, 2, 0, BADPTR));
	struct timespec keep = {5, 5};
	CHECK("recvmmsg timeout, none queued", recvmmsg(sv[1], mm, 2, MSG_DONTWAIT, &keep));
	printf("unchanged: %ld.%09ld\n", (long)keep.tv_sec, keep.tv_nsec);
	close(sv[0]);
	close(sv[1]);

	/* SOCK_SEQPACKET: records over a connection */
	int l = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	struct sockaddr_un la;
	socklen_t ll = sun_abstract(&la, "kite-seqpacket");
	bind(l, (struct sockaddr *)&la, ll);
	CHECK("seqpacket listen", listen(l, 2));
	int q = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	CHECK("seqpacket send unconnected", send(q, "x", 1, 0));
	CHECK("seqpacket recv unconnected", recv(q, buf, 1, 0));
	CHECK("seqpacket connect", connect(q, (struct sockaddr *)&la, ll));
	int p = accept(l, NULL, NULL);
	CHECK("seqpacket accepted", p >= 0);
	sendstr(q, "first record");
	sendstr(q, "second");
	write(q, "third", 5);
	recvshow("record 1 in 5 bytes", p, 5, 0);
	iov.iov_base = buf;
	iov.iov_len = sizeof buf;
	mh.msg_name = NULL;
	mh.msg_namelen = 0;
	mh.msg_control = NULL;
	mh.msg_controllen = 0;
	mh.msg_flags = 0;
	CHECK("record 2 recvmsg", recvmsg(p, &mh, 0));
	printf("msg_flags %#x\n", mh.msg_flags);
	char tb[3];
	CHECK("record 3 read 3", read(p, tb, 3));
	CHECK("sendto on seqpacket", sendto(q, "x", 1, 0, (struct sockaddr *)&la, ll));
	recvshow("sendto record", p, sizeof buf, 0);
	CHECK("seqpacket MSG_WAITALL", ({ send(q, "ab", 2, 0); recv(p, buf, 100, MSG_WAITALL); }));
	close(q);
	CHECK("seqpacket recv after peer close", recv(p, buf, sizeof buf, 0));
	CHECK("seqpacket send after peer close", send(p, "x", 1, MSG_NOSIGNAL));
	pollmask("seqpacket after peer close", p, POLLIN | POLLOUT | POLLRDHUP);
	close(p);
	close(l);

	/* dgram recvfrom an abstract sender */
	int x = socket(AF_UNIX, SOCK_DGRAM, 0);
	int y = socket(AF_UNIX, SOCK_DGRAM, 0);
	struct sockaddr_un xa, ya;
	socklen_t xl = sun_abstract(&xa, "kite-x"), yl = sun_abstract(&ya, "kite-y");
	bind(x, (struct sockaddr *)&xa, xl);
	bind(y, (struct sockaddr *)&ya, yl);
	sendto(x, "hey", 3, 0, (struct sockaddr *)&ya, yl);
	fl = sizeof from;
	memset(&from, 0, sizeof from);
	CHECK("recvfrom abstract", recvfrom(y, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl));
	printf("from len %d name %s\n", (int)fl, from.sun_path + 1);
	fl = 4;
	sendto(x, "hey", 3, 0, (struct sockaddr *)&ya, yl);
	CHECK("recvfrom short address buffer", recvfrom(y, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl));
	printf("fromlen %d\n", (int)fl);

	unlink("a");
	leave_tmpdir();
	return 0;
}
