/* A 16 MiB TCP transfer over 127.0.0.1 and ::1 through a non-blocking
 * connect and one epoll loop that drives both ends (edge-triggered on
 * the receiver), then half-close: the receiver sees EOF, answers with
 * the checksum it computed and closes. */
#include "inet_common.h"

#define TOTAL (16 << 20)

static unsigned char pattern(long i) { return (unsigned char)(i * 7 + (i >> 12)); }

static void run(int fam) {
	printf("== %s\n", famname(fam));
	int l = listener(fam, SOCK_STREAM);
	iaddr a;
	socklen_t alen = loopback(&a, fam, local_port(l));
	int c = socket(fam, SOCK_STREAM | SOCK_NONBLOCK, 0);
	int r = connect(c, &a.sa, alen);
	printf("connect: %s\n", r == 0 ? "0" : ierrname(errno));
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = l};
	epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev);
	ev.events = EPOLLOUT;
	ev.data.fd = c;
	epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
	int s = -1, connected = 0, sent_eof = 0, got_eof = 0;
	long sent = 0, recvd = 0, bad = 0, wakeups = 0;
	unsigned long sum = 0;
	static unsigned char wbuf[65536], rbuf[65536];
	while (!got_eof) {
		struct epoll_event evs[4];
		int n = epoll_wait(ep, evs, 4, 10000);
		if (n <= 0) {
			printf("epoll_wait %d: stuck at sent %ld recvd %ld\n", n, sent, recvd);
			exit(1);
		}
		wakeups++;
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			if (fd == l) {
				s = accept4(l, NULL, NULL, SOCK_NONBLOCK);
				ev.events = EPOLLIN | EPOLLRDHUP | EPOLLET;
				ev.data.fd = s;
				epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev);
				epoll_ctl(ep, EPOLL_CTL_DEL, l, NULL);
			} else if (fd == c) {
				if (!connected) {
					connected = 1;
					printf("connected: SO_ERROR %d\n", getint(c, SOL_SOCKET, SO_ERROR));
				}
				while (sent < TOTAL) {
					long chunk = TOTAL - sent < (long)sizeof wbuf ? TOTAL - sent : (long)sizeof wbuf;
					for (long j = 0; j < chunk; j++)
						wbuf[j] = pattern(sent + j);
					ssize_t w = write(c, wbuf, chunk);
					if (w < 0) {
						if (errno != EAGAIN) { perror("write"); exit(1); }
						break;
					}
					sent += w;
				}
				if (sent == TOTAL && !sent_eof) {
					sent_eof = 1;
					shutdown(c, SHUT_WR);
					ev.events = EPOLLIN;
					ev.data.fd = c;
					epoll_ctl(ep, EPOLL_CTL_MOD, c, &ev);
				}
			} else if (fd == s) {
				for (;;) {
					ssize_t got = read(s, rbuf, sizeof rbuf);
					if (got < 0) {
						if (errno != EAGAIN) { perror("read"); exit(1); }
						break;
					}
					if (got == 0) {
						got_eof = 1;
						break;
					}
					for (ssize_t j = 0; j < got; j++) {
						if (rbuf[j] != pattern(recvd + j))
							bad++;
						sum += rbuf[j];
					}
					recvd += got;
				}
			}
		}
	}
	printf("sent %ld received %ld bad %ld eof %d\n", sent, recvd, bad, got_eof);
	pollmask("receiver after EOF", s, POLLIN | POLLOUT | POLLRDHUP);
	char msg[64];
	int len = snprintf(msg, sizeof msg, "%lu", sum);
	printf("write answer %d\n", (int)write(s, msg, len) == len);
	close(s);
	fcntl(c, F_SETFL, 0);
	char ans[64] = {0};
	ssize_t n = recv(c, ans, sizeof ans - 1, MSG_WAITALL);
	printf("answer matches %d (%zd bytes)\n", n == len && memcmp(ans, msg, len) == 0, n);
	printf("then EOF %zd\n", recv(c, ans, sizeof ans, 0));
	printf("wakeups > 0 %d\n", wakeups > 0);
	close(c);
	close(l);
	close(ep);
}

/* rdhup_only: an epoll item that wants only EPOLLRDHUP wakes when the
 * peer (another process) shuts its side down. */
static void rdhup_only(int fam) {
	int l = listener(fam, SOCK_STREAM);
	int c = connect_to(fam, SOCK_STREAM, local_port(l));
	int s = accept(l, NULL, NULL);
	int ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLRDHUP, .data.fd = s}, out;
	epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev);
	pid_t p = fork();
	if (p == 0) {
		shutdown(c, SHUT_WR);
		_exit(0);
	}
	int n = epoll_wait(ep, &out, 1, 5000);
	printf("%s epoll RDHUP only: %d events %#x\n", famname(fam), n, n > 0 ? out.events : 0);
	waitpid(p, NULL, 0);
	close(ep);
	close(s);
	close(c);
	close(l);
}

int main(void) {
	run(AF_INET);
	run(AF_INET6);
	rdhup_only(AF_INET);
	rdhup_only(AF_INET6);
	return 0;
}
