/* MSG_OOB where no urgent byte is involved, on every network kite has:
 * recv(MSG_OOB) on a TCP connection without urgent data is EINVAL (with
 * and without SO_OOBINLINE) and SIOCATMARK is 0; UDP ignores MSG_OOB on
 * receive and refuses it on send (EOPNOTSUPP). Urgent data itself is in
 * inet_urgent (and the host-network test hostnet_oob). */
#include "inet_common.h"
#include <sys/ioctl.h>

static void show(const char *label, int fd, int flags) {
	char buf[64];
	long n = recv(fd, buf, sizeof buf - 1, flags | MSG_DONTWAIT);
	if (n < 0) {
		printf("%s: %s\n", label, errname(errno));
		return;
	}
	buf[n] = 0;
	printf("%s: %ld \"%s\"\n", label, n, buf);
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	int fams[] = {AF_INET, AF_INET6};
	for (int i = 0; i < 2; i++) {
		printf("%s:\n", famname(fams[i]));
		int l = listener(fams[i], SOCK_STREAM);
		int c = connect_to(fams[i], SOCK_STREAM, local_port(l));
		int s = accept(l, NULL, NULL);
		show("  TCP recv MSG_OOB, nothing sent", s, MSG_OOB);
		send(c, "ab", 2, 0);
		waitfor(s, POLLIN);
		show("  TCP recv MSG_OOB, data queued", s, MSG_OOB);
		int v = -1;
		int r = ioctl(s, SIOCATMARK, &v);
		printf("  SIOCATMARK: %d %d\n", r, v);
		setint(s, SOL_SOCKET, SO_OOBINLINE, 1);
		show("  TCP recv MSG_OOB with SO_OOBINLINE", s, MSG_OOB);
		show("  TCP recv", s, 0);
		printf("  poll for POLLPRI: %d\n", poll(&(struct pollfd){s, POLLPRI, 0}, 1, 0));
		close(c);
		close(s);
		close(l);

		int u = listener(fams[i], SOCK_DGRAM);
		show("  UDP recv MSG_OOB, empty", u, MSG_OOB);
		int u2 = connect_to(fams[i], SOCK_DGRAM, local_port(u));
		printf("  UDP send MSG_OOB: %s\n", send(u2, "x", 1, MSG_OOB) < 0 ? errname(errno) : "sent");
		send(u2, "yz", 2, 0);
		waitfor(u, POLLIN);
		show("  UDP recv MSG_OOB", u, MSG_OOB);
		if (fams[i] == AF_INET6) {
			iaddr m;
			memset(&m, 0, sizeof m);
			m.in6.sin6_family = AF_INET6;
			m.in6.sin6_port = htons(local_port(u));
			m.in6.sin6_addr.s6_addr[10] = m.in6.sin6_addr.s6_addr[11] = 0xff;
			m.in6.sin6_addr.s6_addr[12] = 127;
			m.in6.sin6_addr.s6_addr[15] = 1;
			int d = socket(AF_INET6, SOCK_DGRAM, 0);
			printf("  UDP sendto an IPv4-mapped address MSG_OOB: %s\n", sendto(d, "m", 1, MSG_OOB, &m.sa, sizeof m.in6) < 0 ? errname(errno) : "sent");
			close(d);
		}
		v = -1;
		r = ioctl(u, SIOCATMARK, &v);
		printf("  UDP SIOCATMARK: %s\n", r < 0 ? errname(errno) : "ok");
		close(u2);
		close(u);
	}
	return 0;
}
