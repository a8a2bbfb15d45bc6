/* ICMP echo ("ping") datagram sockets in a new network namespace:
 * net.ipv4.ping_group_range starts as "1 0" (nobody: EACCES), takes two
 * groups (an empty range reads back "1 0", a group beyond GID_T_MAX - 1
 * or a malformed value is EINVAL); with the caller's group in range an
 * echo request to 127.0.0.1 and ::1 comes back as a reply carrying the
 * socket's port as its identifier, the sequence and the payload. It
 * needs root (it changes the namespace's setting, never the host's). */
#include "inet_common.h"
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/ip_icmp.h>
#include <sched.h>
#include <sys/ioctl.h>

static const char *range_path = "/proc/sys/net/ipv4/ping_group_range";

static void show_range(const char *label) {
	char b[64] = {0};
	int fd = open(range_path, O_RDONLY);
	ssize_t n = read(fd, b, sizeof b - 1);
	close(fd);
	for (ssize_t i = 0; i < n; i++)
		if (b[i] == '\t') b[i] = ' ';
	printf("%s: %s", label, n > 0 ? b : "(nothing)\n");
}

static void set_range(const char *v) {
	int fd = open(range_path, O_WRONLY);
	errno = 0;
	ssize_t n = write(fd, v, strlen(v));
	printf("write \"%s\": %s\n", v, n < 0 ? ierrname(errno) : "ok");
	close(fd);
}

static void echo(int fam) {
	int proto = fam == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6;
	int s = socket(fam, SOCK_DGRAM, proto);
	if (s < 0) {
		printf("%s socket: %s\n", famname(fam), ierrname(errno));
		return;
	}
	printf("%s SO_PROTOCOL is ICMP: %d\n", famname(fam), getint(s, SOL_SOCKET, SO_PROTOCOL) == proto);
	char pkt[64];
	memset(pkt, 0, sizeof pkt);
	const char *payload = "kite-ping";
	size_t hl = 8;
	pkt[0] = fam == AF_INET ? ICMP_ECHO : ICMP6_ECHO_REQUEST;
	pkt[6] = 0, pkt[7] = 7; /* sequence 7 */
	memcpy(pkt + hl, payload, strlen(payload));
	iaddr a;
	socklen_t l = loopback(&a, fam, 0);
	ICHECK("sendto", sendto(s, pkt, hl + strlen(payload), 0, &a.sa, l));
	iaddr me;
	socklen_t ml = sizeof me;
	getsockname(s, &me.sa, &ml);
	int ident = port_of(&me);
	printf("bound to an identifier: %d\n", ident != 0);
	printf("readable: %d\n", !!(waitfor(s, POLLIN) & POLLIN));
	char r[128];
	iaddr from;
	socklen_t fl = sizeof from;
	ssize_t n = recvfrom(s, r, sizeof r, MSG_DONTWAIT, &from.sa, &fl);
	if (n < 0) {
		printf("recvfrom: %s\n", ierrname(errno));
	} else {
		int id = ((unsigned char)r[4] << 8) | (unsigned char)r[5];
		int seq = ((unsigned char)r[6] << 8) | (unsigned char)r[7];
		printf("reply: %zd bytes, type %d code %d, id is the port %d, seq %d, payload %s, from %s\n", n,
		       (unsigned char)r[0], r[1], id == ident, seq,
		       n == (ssize_t)(hl + strlen(payload)) && memcmp(r + hl, payload, strlen(payload)) == 0 ? "ok" : "bad",
		       addrstr(&from));
	}
	/* A type other than an echo request. */
	pkt[0] = fam == AF_INET ? ICMP_TIMESTAMP : 1;
	ICHECK("sendto a non-echo type", sendto(s, pkt, hl + strlen(payload), 0, &a.sa, l));
	ICHECK("sendto 4 bytes", sendto(s, pkt, 4, 0, &a.sa, l));
	close(s);
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (geteuid() != 0) {
		printf("needs root\n");
		return 0;
	}
	if (unshare(CLONE_NEWNET) < 0) {
		printf("unshare: %s\n", ierrname(errno));
		return 0;
	}
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	struct ifreq r;
	memset(&r, 0, sizeof r);
	strcpy(r.ifr_name, "lo");
	ioctl(s, SIOCGIFFLAGS, &r);
	r.ifr_flags |= IFF_UP;
	ICHECK("lo up", ioctl(s, SIOCSIFFLAGS, &r));
	close(s);
	show_range("default");
	ICHECK("ICMP socket", socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP));
	ICHECK("ICMPv6 socket", socket(AF_INET6, SOCK_DGRAM, IPPROTO_ICMPV6));
	set_range("100 200");
	show_range("now");
	ICHECK("ICMP socket as group 0", socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP));
	set_range("5 3");
	show_range("after an empty range");
	set_range("0 2147483646");
	set_range("7");
	show_range("one number sets the low end");
	set_range("0x10 20 junk");
	show_range("hex, and more than two");
	set_range("0 4294967295");
	set_range("0 4294967296");
	set_range("-1 4");
	set_range("+3 4");
	set_range("abc");
	set_range("5 6x");
	show_range("after the refused ones");
	set_range("");
	show_range("after an empty write");
	set_range("0 0");
	echo(AF_INET);
	echo(AF_INET6);
	return 0;
}
