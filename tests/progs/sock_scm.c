/* Control messages on AF_UNIX: SCM_RIGHTS between processes (stream and
 * datagram), the SCM_MAX_FD limit, bad descriptors, MSG_CTRUNC with too
 * small a buffer, MSG_CMSG_CLOEXEC, MSG_PEEK of rights, rights dropped by
 * read(2), SCM_CREDENTIALS with SO_PASSCRED and given explicitly, and the
 * credential checks for an unprivileged sender. */
#include "sock_common.h"

static int send_fds(int s, const int *fds, int n, const char *data) {
	char cbuf[CMSG_SPACE(sizeof(int) * 300)];
	memset(cbuf, 0, sizeof cbuf);
	struct iovec iov = {(void *)data, strlen(data)};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = CMSG_SPACE(sizeof(int) * n)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int) * n);
	memcpy(CMSG_DATA(c), fds, sizeof(int) * n);
	/* the system call itself: musl's wrapper refuses large control
	 * buffers with ENOMEM */
	return syscall(SYS_sendmsg, s, &m, 0);
}

/* recv_show receives one message with a control buffer of cspace bytes
 * and prints what arrived; the fds it got go to out. */
static int recv_show(const char *label, int s, size_t cspace, int flags, int *out, int maxout) {
	char data[64];
	char cbuf[4096];
	memset(data, 0, sizeof data);
	memset(cbuf, 0, sizeof cbuf);
	struct iovec iov = {data, sizeof data - 1};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cspace ? cbuf : NULL, .msg_controllen = cspace};
	ssize_t n = recvmsg(s, &m, flags);
	if (n < 0) {
		printf("%s: -1 %s\n", label, errname(errno));
		fflush(stdout);
		return 0;
	}
	printf("%s: %zd \"%s\" flags%s%s controllen %zu\n", label, n, data,
	       m.msg_flags & MSG_CTRUNC ? " CTRUNC" : "", m.msg_flags & MSG_TRUNC ? " TRUNC" : "", (size_t)m.msg_controllen);
	int got = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			int k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			printf("  SCM_RIGHTS %d fds (len %zu)", k, (size_t)c->cmsg_len);
			for (int i = 0; i < k; i++) {
				int fd;
				memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
				if (i < 2)
					printf(" cloexec=%d", fcntl(fd, F_GETFD));
				if (got < maxout) out[got++] = fd;
				else close(fd);
			}
			printf("\n");
		} else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
			struct ucred u;
			memcpy(&u, CMSG_DATA(c), sizeof u);
			printf("  SCM_CREDENTIALS pid is mine %d pid is 0 %d uid %d gid %d (len %zu)\n", u.pid == getpid(), u.pid == 0, (int)u.uid, (int)u.gid, (size_t)c->cmsg_len);
		} else {
			printf("  cmsg level %d type %d\n", c->cmsg_level, c->cmsg_type);
		}
	}
	fflush(stdout);
	return got;
}

static int count_fds(void) {
	int n = 0;
	for (int fd = 0; fd < 1024; fd++)
		if (fcntl(fd, F_GETFD) >= 0) n++;
	return n;
}

int main(void) {
	int sv[2], p[2];
	char buf[64];
	int got[300];

	/* a pipe's read end passed from a child to its parent */
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		close(sv[0]);
		int q[2];
		pipe(q);
		write(q[1], "through the pipe", 16);
		close(q[1]);
		send_fds(sv[1], &q[0], 1, "fd");
		close(q[0]);
		_exit(0);
	}
	close(sv[1]);
	int st;
	waitpid(c, &st, 0);
	describe("sender", st);
	int n = recv_show("recvmsg from child", sv[0], CMSG_SPACE(sizeof(int)), 0, got, 1);
	if (n == 1) {
		memset(buf, 0, sizeof buf);
		CHECK("read passed pipe", read(got[0], buf, sizeof buf));
		printf("got %s\n", buf);
		close(got[0]);
	}
	close(sv[0]);

	/* errors and limits */
	socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
	int fds[300];
	for (int i = 0; i < 300; i++) fds[i] = 0;
	CHECK("send 253 fds", send_fds(sv[0], fds, 253, "max"));
	n = recv_show("recv 253", sv[1], 4096, 0, got, 300);
	for (int i = 0; i < n; i++) close(got[i]);
	CHECK("send 254 fds", send_fds(sv[0], fds, 254, "too many"));
	fds[1] = 999;
	CHECK("send a bad fd", send_fds(sv[0], fds, 2, "bad"));
	fds[1] = -1;
	CHECK("send fd -1", send_fds(sv[0], fds, 2, "bad"));
	CHECK("send 0 fds", send_fds(sv[0], fds, 0, "none"));
	recv_show("recv after 0 fds", sv[1], 64, 0, got, 0);
	{
		char cbuf[64];
		struct iovec iov = {"x", 1};
		struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
		struct cmsghdr *h = (struct cmsghdr *)cbuf;
		memset(cbuf, 0, sizeof cbuf);
		h->cmsg_len = 8;
		h->cmsg_level = SOL_SOCKET;
		h->cmsg_type = SCM_RIGHTS;
		CHECK("cmsg_len too small", sendmsg(sv[0], &m, 0));
		h->cmsg_len = 100;
		CHECK("cmsg_len too large", sendmsg(sv[0], &m, 0));
		h->cmsg_len = CMSG_LEN(4);
		h->cmsg_type = 77;
		CHECK("unknown SOL_SOCKET type", sendmsg(sv[0], &m, 0));
		h->cmsg_level = 999;
		CHECK("unknown level, then a zero header", sendmsg(sv[0], &m, 0));
		m.msg_controllen = CMSG_SPACE(4);
		CHECK("unknown level (skipped)", sendmsg(sv[0], &m, 0));
		recv_show("recv", sv[1], 64, 0, got, 0);
		m.msg_controllen = 8;
		h->cmsg_level = SOL_SOCKET;
		h->cmsg_type = SCM_RIGHTS;
		CHECK("controllen below a header", sendmsg(sv[0], &m, 0));
		recv_show("recv", sv[1], 64, 0, got, 0);
		m.msg_control = BADPTR;
		m.msg_controllen = 32;
		CHECK("control bad pointer", sendmsg(sv[0], &m, 0));
	}

	/* MSG_CTRUNC: room for 2 of 4 descriptors; the others are closed */
	int base = count_fds();
	pipe(p);
	int four[4] = {p[0], p[0], p[1], p[1]};
	send_fds(sv[0], four, 4, "four");
	close(p[0]);
	close(p[1]);
	n = recv_show("recv 4 into room for 2", sv[1], CMSG_SPACE(sizeof(int) * 2), 0, got, 4);
	for (int i = 0; i < n; i++) close(got[i]);
	printf("fds leaked %d\n", count_fds() - base);
	four[0] = 1;
	send_fds(sv[0], four, 1, "none room");
	recv_show("recv without control buffer", sv[1], 0, 0, got, 0);
	send_fds(sv[0], four, 1, "tiny");
	recv_show("recv with 8 bytes", sv[1], 8, 0, got, 0);
	send_fds(sv[0], four, 1, "hdr");
	n = recv_show("recv with a header only", sv[1], 16, 0, got, 1);
	for (int i = 0; i < n; i++) close(got[i]);
	send_fds(sv[0], four, 1, "exact");
	n = recv_show("recv with CMSG_LEN(4)", sv[1], CMSG_LEN(4), 0, got, 1);
	for (int i = 0; i < n; i++) close(got[i]);
	printf("fds leaked %d\n", count_fds() - base);

	/* MSG_CMSG_CLOEXEC and MSG_PEEK */
	int one = 1;
	send_fds(sv[0], &one, 1, "cloexec");
	n = recv_show("recv MSG_PEEK", sv[1], 64, MSG_PEEK, got, 1);
	for (int i = 0; i < n; i++) close(got[i]);
	n = recv_show("recv MSG_CMSG_CLOEXEC", sv[1], 64, MSG_CMSG_CLOEXEC, got, 1);
	for (int i = 0; i < n; i++) close(got[i]);
	close(sv[0]);
	close(sv[1]);

	/* stream: rights ride on the first bytes; a read stops after them;
	 * read(2) drops them */
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	write(sv[0], "before", 6);
	send_fds(sv[0], &one, 1, "with");
	write(sv[0], "after", 5);
	n = recv_show("stream recv", sv[1], 64, 0, got, 1);
	n += recv_show("stream recv 2", sv[1], 64, 0, got, 1);
	for (int i = 0; i < n; i++) close(got[i]);
	recv_show("stream recv 3", sv[1], 64, MSG_DONTWAIT, got, 0);
	base = count_fds();
	send_fds(sv[0], &one, 1, "dropped");
	CHECK("read drops rights", read(sv[1], buf, sizeof buf));
	printf("fds leaked %d\n", count_fds() - base);
	/* rights in flight when the receiver closes are released */
	pipe(p);
	send_fds(sv[0], &p[1], 1, "in flight");
	close(p[1]);
	close(sv[1]);
	CHECK("pipe reader sees EOF once the socket is gone", read(p[0], buf, 1));
	close(p[0]);
	close(sv[0]);

	/* a socket sent over itself, then closed: collected */
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	pipe(p);
	send_fds(sv[0], &p[1], 1, "pipe");
	send_fds(sv[0], &sv[1], 1, "itself");
	close(p[1]);
	close(sv[1]);
	close(sv[0]);
	struct pollfd pf = {p[0], POLLIN, 0};
	CHECK("poll pipe after the cycle is closed", poll(&pf, 1, 2000));
	printf("revents HUP %d\n", !!(pf.revents & POLLHUP));
	close(p[0]);

	/* SCM_CREDENTIALS */
	socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
	send(sv[0], "nocred", 6, 0);
	setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &one, sizeof one);
	recv_show("queued before SO_PASSCRED", sv[1], 64, 0, got, 0);
	send(sv[0], "cred", 4, 0);
	recv_show("with SO_PASSCRED", sv[1], 64, 0, got, 0);
	recv_show("nothing queued", sv[1], 64, MSG_DONTWAIT, got, 0);
	send(sv[0], "small", 5, 0);
	recv_show("credentials in too small a buffer", sv[1], 20, 0, got, 0);
	{
		char cbuf[CMSG_SPACE(sizeof(struct ucred))];
		struct iovec iov = {"explicit", 8};
		struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
		struct cmsghdr *h = CMSG_FIRSTHDR(&m);
		h->cmsg_level = SOL_SOCKET;
		h->cmsg_type = SCM_CREDENTIALS;
		h->cmsg_len = CMSG_LEN(sizeof(struct ucred));
		struct ucred u = {getpid(), getuid(), getgid()};
		memcpy(CMSG_DATA(h), &u, sizeof u);
		CHECK("sendmsg SCM_CREDENTIALS", sendmsg(sv[0], &m, 0));
		recv_show("explicit credentials", sv[1], 64, 0, got, 0);
		h->cmsg_len = CMSG_LEN(8);
		CHECK("SCM_CREDENTIALS short", sendmsg(sv[0], &m, 0));
		h->cmsg_len = CMSG_LEN(sizeof(struct ucred));
		fflush(stdout);
		pid_t k = fork();
		if (k == 0) {
			/* Run as a user already, the child is unprivileged
			 * with its own ids. */
			uid_t u = getuid();
			gid_t g = getgid();
			if (geteuid() == 0) {
				u = g = 65534;
				if (setgid(g) < 0 || setuid(u) < 0) _exit(9);
			}
			struct ucred v = {1, u, g};
			memcpy(CMSG_DATA(h), &v, sizeof v);
			CHECK("unprivileged: another pid", sendmsg(sv[0], &m, 0));
			v.pid = getpid();
			v.uid = 0;
			memcpy(CMSG_DATA(h), &v, sizeof v);
			CHECK("unprivileged: another uid", sendmsg(sv[0], &m, 0));
			v.uid = u;
			v.gid = 0;
			memcpy(CMSG_DATA(h), &v, sizeof v);
			CHECK("unprivileged: another gid", sendmsg(sv[0], &m, 0));
			v.gid = g;
			memcpy(CMSG_DATA(h), &v, sizeof v);
			CHECK("unprivileged: its own", sendmsg(sv[0], &m, 0));
			_exit(0);
		}
		waitpid(k, &st, 0);
		describe("unprivileged sender", st);
		recv_show("from the unprivileged sender", sv[1], 64, 0, got, 0);
	}
	close(sv[0]);
	close(sv[1]);

	/* SO_PASSCRED on a stream: messages from different senders are not
	 * glued together */
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &one, sizeof one);
	write(sv[0], "parent ", 7);
	fflush(stdout);
	c = fork();
	if (c == 0) {
		write(sv[0], "child", 5);
		_exit(0);
	}
	waitpid(c, &st, 0);
	recv_show("stream with SO_PASSCRED 1", sv[1], 64, 0, got, 0);
	recv_show("stream with SO_PASSCRED 2", sv[1], 64, 0, got, 0);
	return 0;
}
