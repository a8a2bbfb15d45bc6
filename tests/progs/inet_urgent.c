/* TCP urgent data (MSG_OOB) over 127.0.0.1 and ::1 as Linux has it:
 * the last byte of a MSG_OOB send is the urgent byte: SIGURG to the
 * F_SETOWN owner, POLLPRI (select's exceptfds, EPOLLPRI); ordinary
 * reads stop at the mark and skip the byte, FIONREAD counts the bytes
 * before it, SIOCATMARK says when the next byte is the urgent one,
 * recv(MSG_OOB) takes it once (MSG_PEEK leaves it; then EINVAL); a new
 * urgent byte replaces an unread one, which becomes ordinary data;
 * SO_OOBINLINE leaves it in the stream (MSG_OOB is EINVAL). Urgent data
 * sent before the receiving end is accepted reaches it. */
#include "inet_common.h"
#include <signal.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/select.h>

static volatile sig_atomic_t urgs;

static void on_urg(int sig) {
	(void)sig;
	urgs++;
}

static void show(const char *label, int fd, int flags) {
	char buf[64];
	struct iovec iov = {buf, sizeof buf - 1};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
	long n = recvmsg(fd, &m, flags | MSG_DONTWAIT);
	if (n < 0) {
		printf("  %s: %s\n", label, errname(errno));
		return;
	}
	buf[n] = 0;
	printf("  %s: %ld \"%s\"%s%s\n", label, n, buf, m.msg_flags & MSG_OOB ? " MSG_OOB" : "",
	       m.msg_flags & MSG_TRUNC ? " MSG_TRUNC" : "");
}

static void atmark(const char *label, int fd) {
	int v = -1, q = -1;
	if (ioctl(fd, SIOCATMARK, &v) < 0)
		printf("  %s: SIOCATMARK %s\n", label, errname(errno));
	ioctl(fd, FIONREAD, &q);
	printf("  %s: SIOCATMARK %d FIONREAD %d\n", label, v, q);
}

static void readiness(const char *label, int fd) {
	struct pollfd p = {fd, POLLIN | POLLPRI, 0};
	poll(&p, 1, 0);
	fd_set r, e;
	FD_ZERO(&r);
	FD_ZERO(&e);
	FD_SET(fd, &r);
	FD_SET(fd, &e);
	struct timeval tv = {0, 0};
	select(fd + 1, &r, NULL, &e, &tv);
	int ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN | EPOLLPRI, .data.fd = fd}, out;
	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	int n = epoll_wait(ep, &out, 1, 0);
	close(ep);
	printf("  %s: poll POLLIN %d POLLPRI %d, select read %d except %d, epoll EPOLLIN %d EPOLLPRI %d\n", label,
	       !!(p.revents & POLLIN), !!(p.revents & POLLPRI), FD_ISSET(fd, &r) ? 1 : 0, FD_ISSET(fd, &e) ? 1 : 0,
	       n > 0 && (out.events & EPOLLIN) ? 1 : 0, n > 0 && (out.events & EPOLLPRI) ? 1 : 0);
}

static void run(int fam) {
	printf("%s:\n", famname(fam));
	int l = listener(fam, SOCK_STREAM);
	int c = connect_to(fam, SOCK_STREAM, local_port(l));
	int s = accept(l, NULL, NULL);
	if (fcntl(s, F_SETOWN, getpid()) < 0)
		printf("  F_SETOWN: %s\n", errname(errno));
	show("MSG_OOB before any urgent data", s, MSG_OOB);
	atmark("before any urgent data", s);

	int before = urgs;
	if (send(c, "abc", 3, 0) != 3 || send(c, "d", 1, MSG_OOB) != 1)
		printf("  send: %s\n", errname(errno));
	waitfor(s, POLLPRI);
	printf("  SIGURG: %s\n", urgs > before ? "yes" : "no");
	readiness("urgent byte queued", s);
	atmark("before reading", s);
	show("recv", s, 0);
	atmark("after the data before the mark", s);
	readiness("at the mark", s);
	/* A peek at the mark skips the urgent byte and finds nothing. */
	show("recv MSG_PEEK at the mark", s, MSG_PEEK);
	show("recv MSG_OOB|MSG_PEEK", s, MSG_OOB | MSG_PEEK);
	show("recv MSG_OOB", s, MSG_OOB);
	readiness("urgent byte read", s);
	show("recv MSG_OOB again", s, MSG_OOB);
	atmark("urgent byte read", s);
	show("recv", s, 0);
	atmark("past the mark", s);

	/* The urgent byte is skipped by a read at the mark, which goes on
	 * with the data after it. */
	if (send(c, "e", 1, MSG_OOB) != 1 || send(c, "fg", 2, 0) != 2)
		printf("  send: %s\n", errname(errno));
	/* At the mark, POLLIN says more than the urgent byte is there. */
	waitfor(s, POLLIN);
	show("recv at the mark", s, 0);
	show("recv MSG_OOB after it was skipped", s, MSG_OOB);

	/* A second urgent byte before the first was read: the first
	 * becomes ordinary data. */
	before = urgs;
	if (send(c, "hi", 2, MSG_OOB) != 2 || send(c, "jk", 2, MSG_OOB) != 2)
		printf("  send: %s\n", errname(errno));
	waitfor(s, POLLPRI);
	printf("  SIGURG for each: %s\n", urgs >= before + 2 ? "yes" : "no");
	show("recv", s, 0);
	show("recv MSG_OOB", s, MSG_OOB);
	show("recv", s, 0);

	/* MSG_OOB into no room: MSG_TRUNC. */
	if (send(c, "l", 1, MSG_OOB) != 1)
		printf("  send: %s\n", errname(errno));
	waitfor(s, POLLPRI);
	char b;
	struct iovec iov = {&b, 0};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
	long n = recvmsg(s, &m, MSG_OOB);
	printf("  recv MSG_OOB into 0 bytes: %ld%s%s\n", n, m.msg_flags & MSG_OOB ? " MSG_OOB" : "", m.msg_flags & MSG_TRUNC ? " MSG_TRUNC" : "");
	show("recv MSG_OOB after that", s, MSG_OOB);
	show("recv", s, 0);

	/* SO_OOBINLINE: the urgent byte stays in the stream. */
	setint(s, SOL_SOCKET, SO_OOBINLINE, 1);
	if (send(c, "xy", 2, 0) != 2 || send(c, "z", 1, MSG_OOB) != 1)
		printf("  send: %s\n", errname(errno));
	waitfor(s, POLLPRI);
	readiness("inline", s);
	show("inline: recv MSG_OOB", s, MSG_OOB);
	atmark("inline: before reading", s);
	show("inline: recv", s, 0);
	atmark("inline: at the urgent byte", s);
	show("inline: recv", s, 0);
	atmark("inline: past it", s);
	close(c);
	close(s);

	/* Urgent data sent before the connection is accepted. */
	c = connect_to(fam, SOCK_STREAM, local_port(l));
	if (send(c, "12", 2, 0) != 2 || send(c, "3", 1, MSG_OOB) != 1)
		printf("  send: %s\n", errname(errno));
	s = accept(l, NULL, NULL);
	waitfor(s, POLLPRI);
	readiness("accepted after the send", s);
	show("accepted: recv", s, 0);
	show("accepted: recv MSG_OOB", s, MSG_OOB);
	close(c);
	close(s);
	close(l);
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGURG, on_urg);
	run(AF_INET);
	run(AF_INET6);
	return 0;
}
