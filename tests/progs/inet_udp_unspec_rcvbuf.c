/* Datagrams queued on a UDP socket when connect(AF_UNSPEC) gives up its
 * port stay to be received and still count as queued: against
 * SO_RCVBUF (a datagram for the socket's next port is dropped while
 * they fill the buffer, taken once they are read), in FIONREAD and in
 * /proc/net/udp's rx_queue. On 127.0.0.1 and ::1. */
#include "inet_common.h"
#include <sys/ioctl.h>

/* rxqueue returns the rx_queue /proc/net/udp(6) shows for the socket
 * bound to port, -1 if none is. */
static long rxqueue(int fam, int port) {
	FILE *f = fopen(fam == AF_INET ? "/proc/net/udp" : "/proc/net/udp6", "r");
	if (!f)
		return -1;
	char line[512];
	long rx = -1;
	while (fgets(line, sizeof line, f)) {
		char local[64];
		unsigned lport, tx, r;
		if (sscanf(line, " %*d: %63[0-9A-Fa-f]:%x %*[0-9A-Fa-f]:%*x %*x %x:%x", local, &lport, &tx, &r) == 4 && (int)lport == port)
			rx = r;
	}
	fclose(f);
	return rx;
}

static void run(int fam) {
	printf("%s:\n", famname(fam));
	static char big[1000];
	memset(big, 'x', sizeof big);
	int a = listener(fam, SOCK_DGRAM);
	iaddr pa;
	socklen_t pl = loopback(&pa, fam, local_port(a));
	int s = socket(fam, SOCK_DGRAM, 0);
	setint(s, SOL_SOCKET, SO_RCVBUF, 1);
	int rcvbuf = getint(s, SOL_SOCKET, SO_RCVBUF);
	connect(s, &pa.sa, pl);
	iaddr sa;
	socklen_t sl = loopback(&sa, fam, local_port(s));
	/* More than the buffer takes: the rest is dropped. */
	for (int i = 0; i < 20; i++)
		sendto(a, big, sizeof big, 0, &sa.sa, sl);
	waitfor(s, POLLIN);
	struct sockaddr un = {.sa_family = AF_UNSPEC};
	printf("  connect(AF_UNSPEC): %s\n", connect(s, &un, sizeof un) < 0 ? ierrname(errno) : "0");
	printf("  SO_RCVBUF kept: %s\n", getint(s, SOL_SOCKET, SO_RCVBUF) == rcvbuf ? "yes" : "no");
	connect(s, &pa.sa, pl);
	int port = local_port(s);
	sl = loopback(&sa, fam, port);
	int q = -1;
	ioctl(s, FIONREAD, &q);
	printf("  FIONREAD: %d\n", q);
	printf("  rx_queue nonzero: %s\n", rxqueue(fam, port) > 0 ? "yes" : "no");

	/* A datagram to the new port while the old ones fill the buffer;
	 * a probe datagram to another socket after it shows it has been
	 * through the stack. */
	int c = listener(fam, SOCK_DGRAM);
	iaddr ca;
	socklen_t cl = loopback(&ca, fam, local_port(c));
	sendto(a, "new", 3, 0, &sa.sa, sl);
	sendto(a, "probe", 5, 0, &ca.sa, cl);
	waitfor(c, POLLIN);
	int held = 0, seen = 0;
	char buf[2000];
	for (;;) {
		ssize_t n = recv(s, buf, sizeof buf, MSG_DONTWAIT);
		if (n < 0)
			break;
		if (n == (ssize_t)sizeof big)
			held++;
		else if (n == 3 && memcmp(buf, "new", 3) == 0)
			seen = 1;
	}
	printf("  held datagrams received: %s\n", held > 0 ? "yes" : "no");
	printf("  datagram sent while they filled the buffer: %s\n", seen ? "received" : "dropped");
	printf("  rx_queue once read: %ld\n", rxqueue(fam, port));

	sendto(a, "after", 5, 0, &sa.sa, sl);
	waitfor(s, POLLIN);
	ssize_t n = recv(s, buf, sizeof buf, MSG_DONTWAIT);
	printf("  datagram sent once they were read: %s\n", n == 5 && memcmp(buf, "after", 5) == 0 ? "received" : "not received");
	close(c);
	close(s);
	close(a);
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	run(AF_INET);
	run(AF_INET6);
	return 0;
}
