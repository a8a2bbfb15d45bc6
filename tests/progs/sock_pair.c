/* socket and socketpair on AF_UNIX SOCK_STREAM: creation errors, fstat,
 * read/write/readv/writev/send/recv, shutdown, close, poll and epoll
 * readiness, nonblocking mode, SIGPIPE/EPIPE. */
#include "sock_common.h"

static volatile sig_atomic_t got_pipe;
static void on_pipe(int sig) { (void)sig; got_pipe++; }

int main(void) {
	int sv[2];
	char buf[256];

	/* creation errors */
	CHECK("socket(AF_UNIX, SOCK_STREAM)", socket(AF_UNIX, SOCK_STREAM, 0) >= 0);
	CHECK("socket(999)", socket(999, SOCK_STREAM, 0));
	CHECK("socket(-1)", socket(-1, SOCK_STREAM, 0));
	CHECK("socket(AF_UNIX, 99)", socket(AF_UNIX, 99, 0));
	CHECK("socket(AF_UNIX, 7)", socket(AF_UNIX, 7, 0));
	CHECK("socket(AF_UNIX, SOCK_STREAM|0x100)", socket(AF_UNIX, SOCK_STREAM | 0x100, 0));
	CHECK("socket(AF_UNIX, SOCK_STREAM, 7)", socket(AF_UNIX, SOCK_STREAM, 7));
	CHECK("socket(AF_UNIX, SOCK_STREAM, PF_UNIX)", socket(AF_UNIX, SOCK_STREAM, PF_UNIX) >= 0);
	CHECK("socket(AF_UNIX, SOCK_RDM)", socket(AF_UNIX, SOCK_RDM, 0));
	CHECK("socketpair(999)", socketpair(999, SOCK_STREAM, 0, sv));
	CHECK("socketpair bad pointer", socketpair(AF_UNIX, SOCK_STREAM, 0, BADPTR));
	CHECK("socketpair(AF_UNIX, SOCK_STREAM)", socketpair(AF_UNIX, SOCK_STREAM, 0, sv));

	/* fstat */
	struct stat st;
	fstat(sv[0], &st);
	printf("S_ISSOCK %d mode %o nlink %ld size %ld\n", S_ISSOCK(st.st_mode), st.st_mode & 07777,
	       (long)st.st_nlink, (long)st.st_size);
	struct stat st2;
	fstat(sv[1], &st2);
	printf("distinct inodes %d same dev %d\n", st.st_ino != st2.st_ino, st.st_dev == st2.st_dev);
	CHECK("F_GETFL", fcntl(sv[0], F_GETFL) & ~0100000);
	CHECK("lseek", lseek(sv[0], 0, SEEK_SET));
	CHECK("pread", pread(sv[0], buf, 1, 0));
	CHECK("pwrite", pwrite(sv[0], buf, 1, 0));

	/* data both ways */
	CHECK("write", write(sv[0], "hello", 5));
	CHECK("FIONREAD", ({ int n = -1; ioctl(sv[1], FIONREAD, &n) < 0 ? -1 : n; }));
	memset(buf, 0, sizeof buf);
	CHECK("read", read(sv[1], buf, sizeof buf));
	printf("got %s\n", buf);
	struct iovec iov[3] = {{"ab", 2}, {"cde", 3}, {"f", 1}};
	CHECK("writev", writev(sv[1], iov, 3));
	char x[2], y[10];
	struct iovec riov[2] = {{x, 2}, {y, sizeof y}};
	memset(y, 0, sizeof y);
	CHECK("readv", readv(sv[0], riov, 2));
	printf("got %.2s|%s\n", x, y);
	CHECK("send", send(sv[0], "xyz", 3, 0));
	CHECK("recv MSG_PEEK", recv(sv[1], buf, 2, MSG_PEEK));
	CHECK("recv", recv(sv[1], buf, sizeof buf, 0));
	printf("got %.3s\n", buf);
	CHECK("recv MSG_DONTWAIT empty", recv(sv[1], buf, sizeof buf, MSG_DONTWAIT));
	CHECK("read bad buffer", ({ write(sv[0], "q", 1); read(sv[1], BADPTR, 1); }));
	CHECK("read after EFAULT", read(sv[1], buf, 1));
	CHECK("write bad buffer", write(sv[0], BADPTR, 1));
	CHECK("read 0", read(sv[1], buf, 0));

	/* readiness */
	pollmask("idle", sv[0], POLLIN | POLLOUT | POLLRDHUP);
	write(sv[1], "z", 1);
	pollmask("data", sv[0], POLLIN | POLLOUT | POLLRDHUP);
	read(sv[0], buf, 1);

	/* nonblocking */
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	CHECK("read nonblocking", read(sv[0], buf, 1));
	int on = 0;
	CHECK("FIONBIO off", ioctl(sv[0], FIONBIO, &on));
	CHECK("F_GETFL after FIONBIO", fcntl(sv[0], F_GETFL) & O_NONBLOCK);

	/* shutdown */
	CHECK("shutdown bad how", shutdown(sv[0], 7));
	CHECK("shutdown not a socket", shutdown(0, SHUT_RD));
	CHECK("shutdown bad fd", shutdown(99, SHUT_RD));
	CHECK("shutdown SHUT_WR", shutdown(sv[0], SHUT_WR));
	pollmask("peer after SHUT_WR", sv[1], POLLIN | POLLOUT | POLLRDHUP);
	pollmask("self after SHUT_WR", sv[0], POLLIN | POLLOUT | POLLRDHUP);
	CHECK("read at EOF", read(sv[1], buf, sizeof buf));
	signal(SIGPIPE, on_pipe);
	CHECK("write after SHUT_WR", write(sv[0], "a", 1));
	printf("SIGPIPE count %d\n", (int)got_pipe);
	CHECK("send MSG_NOSIGNAL after SHUT_WR", send(sv[0], "a", 1, MSG_NOSIGNAL));
	printf("SIGPIPE count %d\n", (int)got_pipe);
	CHECK("write other way", write(sv[1], "b", 1));
	CHECK("read other way", read(sv[0], buf, 1));
	CHECK("shutdown SHUT_RD", shutdown(sv[0], SHUT_RD));
	pollmask("self after SHUT_RDWR", sv[0], POLLIN | POLLOUT | POLLRDHUP);
	CHECK("read after SHUT_RD", read(sv[0], buf, 1));
	CHECK("write to a reader that shut down", write(sv[1], "c", 1));
	printf("SIGPIPE count %d\n", (int)got_pipe);
	close(sv[0]);
	close(sv[1]);

	/* close of the peer: EOF, then EPIPE */
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	write(sv[0], "left", 4);
	close(sv[0]);
	pollmask("after peer close with data", sv[1], POLLIN | POLLOUT | POLLRDHUP);
	CHECK("read data left", read(sv[1], buf, sizeof buf));
	CHECK("read at EOF", read(sv[1], buf, sizeof buf));
	CHECK("write to closed peer", write(sv[1], "x", 1));
	printf("SIGPIPE count %d\n", (int)got_pipe);
	close(sv[1]);

	/* close with unread data: the peer sees ECONNRESET */
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	write(sv[1], "unread", 6);
	close(sv[0]);
	pollmask("peer closed with unread data", sv[1], POLLIN | POLLOUT | POLLRDHUP);
	CHECK("read", read(sv[1], buf, sizeof buf));
	CHECK("read again", read(sv[1], buf, sizeof buf));
	close(sv[1]);

	/* SOCK_NONBLOCK and SOCK_CLOEXEC */
	socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv);
	CHECK("F_GETFL nonblock", fcntl(sv[0], F_GETFL) & O_NONBLOCK);
	CHECK("F_GETFD cloexec", fcntl(sv[1], F_GETFD));
	CHECK("read nonblock", read(sv[0], buf, 1));
	/* fill the buffer */
	long total = 0;
	for (;;) {
		ssize_t n = write(sv[0], buf, sizeof buf);
		if (n < 0) { printf("fill stopped: %s, filled something %d\n", errname(errno), total > 0); break; }
		total += n;
	}
	pollmask("full writer", sv[0], POLLIN | POLLOUT);
	pollmask("reader of full", sv[1], POLLIN | POLLOUT);
	long drained = 0;
	for (;;) {
		ssize_t n = read(sv[1], buf, sizeof buf);
		if (n <= 0) break;
		drained += n;
	}
	printf("drained all %d\n", drained == total);
	pollmask("writer after drain", sv[0], POLLIN | POLLOUT);
	close(sv[0]);
	close(sv[1]);

	/* epoll: level and edge triggered, EPOLLRDHUP */
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	int ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | EPOLLET, .data.fd = sv[0]};
	CHECK("epoll_ctl ADD", epoll_ctl(ep, EPOLL_CTL_ADD, sv[0], &ev));
	struct epoll_event out[4];
	CHECK("epoll_wait idle", epoll_wait(ep, out, 4, 0));
	write(sv[1], "e", 1);
	CHECK("epoll_wait data", epoll_wait(ep, out, 4, 0));
	printf("events %#x\n", out[0].events);
	CHECK("epoll_wait ET again", epoll_wait(ep, out, 4, 0));
	shutdown(sv[1], SHUT_WR);
	CHECK("epoll_wait after peer SHUT_WR", epoll_wait(ep, out, 4, 0));
	printf("events %#x\n", out[0].events);
	close(ep);
	close(sv[0]);
	close(sv[1]);

	/* ENOTSOCK for socket calls on other files */
	CHECK("getsockopt on a pipe", ({ int p[2]; pipe(p); int v; socklen_t l = sizeof v; getsockopt(p[0], SOL_SOCKET, SO_TYPE, &v, &l); }));
	return 0;
}
