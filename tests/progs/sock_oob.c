/* MSG_OOB on AF_UNIX stream sockets as Linux 6 has it: the last byte of
 * a MSG_OOB send is the out-of-band byte, ordinary reads stop at its
 * mark and skip it, SIOCATMARK, POLLPRI and select's exceptfds, MSG_PEEK,
 * SO_OOBINLINE, SIGURG to the owner, EOPNOTSUPP on datagram and seqpacket
 * sockets, EINVAL without an out-of-band byte. */
#include "sock_common.h"
#include <sys/select.h>

static void show(const char *label, int fd, int flags) {
	char buf[64];
	errno = 0;
	long n = recv(fd, buf, sizeof buf - 1, flags);
	if (n < 0) {
		printf("%s: -1 %s\n", label, errname(errno));
		return;
	}
	buf[n] = 0;
	printf("%s: %ld \"%s\"\n", label, n, buf);
}

static void state(const char *label, int fd) {
	int at = -1, inq = -1;
	ioctl(fd, SIOCATMARK, &at);
	ioctl(fd, FIONREAD, &inq);
	struct pollfd p = {fd, POLLIN | POLLPRI, 0};
	poll(&p, 1, 0);
	printf("%s: atmark=%d inq=%d poll=%s%s\n", label, at, inq,
	       p.revents & POLLIN ? "IN" : "", p.revents & POLLPRI ? "PRI" : "");
}

static void collect(const char *label) {
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGURG);
	sigaddset(&set, SIGIO);
	sigaddset(&set, SIGRTMIN);
	struct timespec zero = {0, 0};
	siginfo_t si;
	printf("%s:", label);
	int n = 0;
	while (sigtimedwait(&set, &si, &zero) > 0) {
		n++;
		if (si.si_signo == SIGRTMIN)
			printf(" RTMIN(code=%d band=%#lx)", si.si_code, (long)si.si_band);
		else
			printf(" %s(code=%#x)", si.si_signo == SIGURG ? "SIGURG" : "SIGIO", si.si_code);
	}
	printf("%s\n", n ? "" : " none");
}

int main(void) {
	int sv[2];
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGURG);
	sigaddset(&set, SIGIO);
	sigaddset(&set, SIGRTMIN);
	sigprocmask(SIG_BLOCK, &set, NULL);

	CHECK("socketpair", socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	state("empty", sv[1]);
	CHECK("send oob", send(sv[0], "ab", 2, MSG_OOB));
	CHECK("send", send(sv[0], "cd", 2, 0));
	state("queued", sv[1]);
	fd_set r, x;
	FD_ZERO(&r); FD_ZERO(&x);
	FD_SET(sv[1], &r); FD_SET(sv[1], &x);
	struct timeval tv = {0, 0};
	CHECK("select", select(sv[1] + 1, &r, NULL, &x, &tv));
	printf("readable=%d exception=%d\n", FD_ISSET(sv[1], &r) != 0, FD_ISSET(sv[1], &x) != 0);
	show("recv oob peek", sv[1], MSG_OOB | MSG_PEEK);
	char c = 0;
	struct iovec iov = {&c, 1};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	CHECK("recvmsg oob", recvmsg(sv[1], &mh, MSG_OOB));
	printf("byte=%c MSG_OOB=%d\n", c, (mh.msg_flags & MSG_OOB) != 0);
	show("recv oob again", sv[1], MSG_OOB);
	state("after oob", sv[1]);
	show("peek", sv[1], MSG_PEEK);
	show("read to mark", sv[1], 0);
	state("at mark", sv[1]);
	show("read rest", sv[1], 0);
	state("drained", sv[1]);

	/* A read that starts at the mark skips the byte. */
	CHECK("send oob", send(sv[0], "xy", 2, MSG_OOB));
	CHECK("send", send(sv[0], "z", 1, 0));
	show("read to mark", sv[1], 0);
	state("at mark", sv[1]);
	show("read past byte", sv[1], 0);
	state("drained", sv[1]);

	/* Only an out-of-band byte: an ordinary read drops it. */
	CHECK("send oob", send(sv[0], "q", 1, MSG_OOB));
	state("only oob", sv[1]);
	show("peek only oob", sv[1], MSG_PEEK | MSG_DONTWAIT);
	show("read only oob", sv[1], MSG_DONTWAIT);
	show("recv oob after", sv[1], MSG_OOB);
	state("empty", sv[1]);

	/* A newer out-of-band byte makes the older one ordinary data. */
	CHECK("send oob 1", send(sv[0], "1", 1, MSG_OOB));
	CHECK("send oob 2", send(sv[0], "2", 1, MSG_OOB));
	state("two", sv[1]);
	show("recv oob", sv[1], MSG_OOB);
	show("read", sv[1], MSG_DONTWAIT);
	state("after", sv[1]);
	show("read", sv[1], MSG_DONTWAIT);

	/* SO_OOBINLINE: the byte is ordinary data, still a mark. */
	int on = 1;
	CHECK("SO_OOBINLINE", setsockopt(sv[1], SOL_SOCKET, SO_OOBINLINE, &on, sizeof on));
	CHECK("send oob", send(sv[0], "mn", 2, MSG_OOB));
	CHECK("send", send(sv[0], "o", 1, 0));
	state("inline", sv[1]);
	show("recv oob inline", sv[1], MSG_OOB);
	show("read to mark", sv[1], 0);
	state("at mark", sv[1]);
	show("read from mark", sv[1], 0);
	on = 0;
	setsockopt(sv[1], SOL_SOCKET, SO_OOBINLINE, &on, sizeof on);

	/* Errors. */
	CHECK("send oob empty", send(sv[0], "", 0, MSG_OOB));
	show("recv oob none", sv[1], MSG_OOB);
	int u = socket(AF_UNIX, SOCK_STREAM, 0);
	show("recv oob unconnected", u, MSG_OOB);
	CHECK("send oob unconnected", send(u, "a", 1, MSG_OOB));
	close(u);
	int d[2];
	socketpair(AF_UNIX, SOCK_DGRAM, 0, d);
	CHECK("dgram send oob", send(d[0], "a", 1, MSG_OOB));
	show("dgram recv oob", d[1], MSG_OOB | MSG_DONTWAIT);
	close(d[0]); close(d[1]);
	socketpair(AF_UNIX, SOCK_SEQPACKET, 0, d);
	CHECK("seqpacket send oob", send(d[0], "a", 1, MSG_OOB));
	show("seqpacket recv oob", d[1], MSG_OOB | MSG_DONTWAIT);
	close(d[0]); close(d[1]);
	u = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	CHECK("seqpacket unconnected send oob", send(u, "a", 1, MSG_OOB));
	show("seqpacket unconnected recv oob", u, MSG_OOB);
	close(u);

	/* SIGURG to the owner, and F_SETSIG's POLL_PRI with O_ASYNC. */
	CHECK("send oob no owner", send(sv[0], "s", 1, MSG_OOB));
	collect("no owner");
	show("recv oob", sv[1], MSG_OOB);
	fcntl(sv[1], F_SETOWN, getpid());
	CHECK("send oob", send(sv[0], "t", 1, MSG_OOB));
	collect("owner");
	show("recv oob", sv[1], MSG_OOB);
	fcntl(sv[1], F_SETFL, O_ASYNC);
	CHECK("send oob", send(sv[0], "u", 1, MSG_OOB));
	collect("O_ASYNC");
	fcntl(sv[1], F_SETSIG, SIGRTMIN);
	CHECK("send oob", send(sv[0], "v", 1, MSG_OOB));
	collect("O_ASYNC F_SETSIG");
	show("recv oob", sv[1], MSG_OOB);
	fcntl(sv[1], F_SETFL, 0);

	/* From another process, waited for with poll. */
	pid_t child = fork();
	if (child == 0) {
		send(sv[0], "hello!", 6, MSG_OOB);
		_exit(0);
	}
	struct pollfd p = {sv[1], POLLPRI, 0};
	CHECK("poll POLLPRI", poll(&p, 1, 10000));
	printf("revents PRI=%d\n", (p.revents & POLLPRI) != 0);
	waitpid(child, NULL, 0);
	collect("child's oob");
	show("recv oob", sv[1], MSG_OOB);
	show("read", sv[1], 0);

	/* The peer will not read: EPIPE. */
	CHECK("shutdown SHUT_RD", shutdown(sv[1], SHUT_RD));
	CHECK("send oob after SHUT_RD", send(sv[0], "w", 1, MSG_OOB | MSG_NOSIGNAL));
	close(sv[0]);
	close(sv[1]);
	return 0;
}
