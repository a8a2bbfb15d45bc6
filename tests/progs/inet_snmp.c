/* /proc/net/snmp, snmp6 and netstat in a new network namespace: the
 * counters move as the namespace's traffic does. TCP: a connection
 * counts one active and one passive open and two established ends; a
 * refused connect counts an active open, a failed attempt and a reset
 * sent. UDP: datagrams in and out over 127.0.0.1 count in snmp's Udp
 * line, over ::1 in snmp6's Udp6 lines; a datagram to a port nobody
 * has counts in NoPorts and makes an ICMP port unreachable (type 3,
 * ICMPv6 type 1) go out and come in. Only the changes are printed.
 * A user without privileges does the same as root of a user namespace
 * that owns the network namespace. */
#include "inet_common.h"
#include "netns_common.h"
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>

/* snmp returns the value of section's field name in /proc/net/snmp (or
 * netstat), -1 if it is not there. */
static long snmp(const char *file, const char *section, const char *name) {
	FILE *f = fopen(file, "r");
	if (!f)
		return -1;
	static char head[8192], vals[8192];
	long v = -1;
	size_t n = strlen(section);
	while (fgets(head, sizeof head, f) && fgets(vals, sizeof vals, f)) {
		if (strncmp(head, section, n) != 0 || head[n] != ':')
			continue;
		char *hs, *vs;
		char *h = strtok_r(head + n + 1, " \n", &hs);
		char *x = strtok_r(vals + n + 1, " \n", &vs);
		while (h && x) {
			if (strcmp(h, name) == 0)
				v = atol(x);
			h = strtok_r(NULL, " \n", &hs);
			x = strtok_r(NULL, " \n", &vs);
		}
	}
	fclose(f);
	return v;
}

/* snmp6 returns a counter of /proc/net/snmp6, -1 if it is not there. */
static long snmp6(const char *name) {
	FILE *f = fopen("/proc/net/snmp6", "r");
	if (!f)
		return -1;
	char line[256], k[128];
	long v, r = -1;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "%127s %ld", k, &v) == 2 && strcmp(k, name) == 0)
			r = v;
	fclose(f);
	return r;
}

#define NTCP 5
static const char *tcpf[NTCP] = {"ActiveOpens", "PassiveOpens", "AttemptFails", "CurrEstab", "OutRsts"};
#define NUDP 3
static const char *udpf[NUDP] = {"InDatagrams", "OutDatagrams", "NoPorts"};
static const char *udp6f[NUDP] = {"Udp6InDatagrams", "Udp6OutDatagrams", "Udp6NoPorts"};

#define NIP 3
static const char *ipf[NIP] = {"InReceives", "InDelivers", "OutRequests"};
static const char *ip6f[NIP] = {"Ip6InReceives", "Ip6InDelivers", "Ip6OutRequests"};

struct counts {
	long ip[NIP], ip6[NIP], tcp[NTCP], udp[NUDP], udp6[NUDP], icmp_out3, icmp_in3, icmp6_out1, icmp6_in1;
};

static void take(struct counts *c) {
	for (int i = 0; i < NIP; i++) {
		c->ip[i] = snmp("/proc/net/snmp", "Ip", ipf[i]);
		c->ip6[i] = snmp6(ip6f[i]);
	}
	for (int i = 0; i < NTCP; i++)
		c->tcp[i] = snmp("/proc/net/snmp", "Tcp", tcpf[i]);
	for (int i = 0; i < NUDP; i++) {
		c->udp[i] = snmp("/proc/net/snmp", "Udp", udpf[i]);
		c->udp6[i] = snmp6(udp6f[i]);
	}
	/* IcmpMsg's columns are there once a type has been seen. */
	c->icmp_out3 = snmp("/proc/net/snmp", "IcmpMsg", "OutType3");
	c->icmp_in3 = snmp("/proc/net/snmp", "IcmpMsg", "InType3");
	c->icmp6_out1 = snmp6("Icmp6OutType1");
	c->icmp6_in1 = snmp6("Icmp6InType1");
	if (c->icmp_out3 < 0) c->icmp_out3 = 0;
	if (c->icmp_in3 < 0) c->icmp_in3 = 0;
	if (c->icmp6_out1 < 0) c->icmp6_out1 = 0;
	if (c->icmp6_in1 < 0) c->icmp6_in1 = 0;
}

/* delta prints the counters that changed; ip says whether to show
 * the IP counters too (a TCP exchange's packet count varies with
 * delayed acknowledgements). */
static void delta(const char *label, const struct counts *a, const struct counts *b, int ip) {
	printf("%s:", label);
	for (int i = 0; ip && i < NIP; i++) {
		if (b->ip[i] != a->ip[i])
			printf(" Ip.%s+%ld", ipf[i], b->ip[i] - a->ip[i]);
		if (b->ip6[i] != a->ip6[i])
			printf(" %s+%ld", ip6f[i], b->ip6[i] - a->ip6[i]);
	}
	for (int i = 0; i < NTCP; i++)
		if (b->tcp[i] != a->tcp[i])
			printf(" Tcp.%s+%ld", tcpf[i], b->tcp[i] - a->tcp[i]);
	for (int i = 0; i < NUDP; i++) {
		if (b->udp[i] != a->udp[i])
			printf(" Udp.%s+%ld", udpf[i], b->udp[i] - a->udp[i]);
		if (b->udp6[i] != a->udp6[i])
			printf(" %s+%ld", udp6f[i], b->udp6[i] - a->udp6[i]);
	}
	if (b->icmp_out3 != a->icmp_out3)
		printf(" IcmpMsg.OutType3+%ld", b->icmp_out3 - a->icmp_out3);
	if (b->icmp_in3 != a->icmp_in3)
		printf(" IcmpMsg.InType3+%ld", b->icmp_in3 - a->icmp_in3);
	if (b->icmp6_out1 != a->icmp6_out1)
		printf(" Icmp6OutType1+%ld", b->icmp6_out1 - a->icmp6_out1);
	if (b->icmp6_in1 != a->icmp6_in1)
		printf(" Icmp6InType1+%ld", b->icmp6_in1 - a->icmp6_in1);
	printf("\n");
}

/* udp sends n datagrams from a new socket to a bound one over fam's
 * loopback and receives them. */
static void udp(int fam, int n) {
	int r = listener(fam, SOCK_DGRAM);
	int s = connect_to(fam, SOCK_DGRAM, local_port(r));
	char buf[16];
	for (int i = 0; i < n; i++)
		if (send(s, "x", 1, 0) != 1)
			printf("send: %s\n", errname(errno));
	for (int i = 0; i < n; i++)
		if (recv(r, buf, sizeof buf, 0) != 1)
			printf("recv: %s\n", errname(errno));
	close(s);
	close(r);
}

/* noport sends a datagram to a port nobody has and waits for the
 * refusal the ICMP error brings. */
static void noport(int fam) {
	int s = connect_to(fam, SOCK_DGRAM, unused_port(fam));
	char buf[4];
	send(s, "x", 1, 0);
	waitfor(s, POLLERR);
	printf("  recv after the refusal: %s\n", recv(s, buf, sizeof buf, MSG_DONTWAIT) < 0 ? errname(errno) : "data");
	close(s);
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (own_netns() < 0)
		return 0;

	const char *need[] = {"Ip", "Icmp", "Tcp", "Udp"};
	for (int i = 0; i < 4; i++)
		printf("snmp has %s: %s\n", need[i], snmp("/proc/net/snmp", need[i], need[i][0] == 'T' ? "ActiveOpens" : need[i][0] == 'U' ? "InDatagrams" : "InMsgs") >= 0 || (i == 0 && snmp("/proc/net/snmp", "Ip", "InReceives") >= 0) ? "yes" : "no");
	printf("netstat has TcpExt ListenOverflows: %s\n", snmp("/proc/net/netstat", "TcpExt", "ListenOverflows") >= 0 ? "yes" : "no");
	printf("snmp6 has Ip6InReceives: %s\n", snmp6("Ip6InReceives") >= 0 ? "yes" : "no");

	struct counts a, b;
	take(&a);
	int l = listener(AF_INET, SOCK_STREAM);
	int c = connect_to(AF_INET, SOCK_STREAM, local_port(l));
	int acc = accept(l, NULL, NULL);
	take(&b);
	delta("TCP connection over 127.0.0.1", &a, &b, 0);

	take(&a);
	int t = socket(AF_INET, SOCK_STREAM, 0);
	iaddr ad;
	socklen_t al = loopback(&ad, AF_INET, unused_port(AF_INET));
	printf("  refused connect: %s\n", connect(t, &ad.sa, al) < 0 ? errname(errno) : "connected");
	close(t);
	take(&b);
	delta("refused TCP connect", &a, &b, 0);

	take(&a);
	udp(AF_INET, 3);
	take(&b);
	delta("3 UDP datagrams over 127.0.0.1", &a, &b, 1);

	take(&a);
	udp(AF_INET6, 2);
	take(&b);
	delta("2 UDP datagrams over ::1", &a, &b, 1);

	take(&a);
	noport(AF_INET);
	take(&b);
	delta("UDP to a closed port over 127.0.0.1", &a, &b, 1);

	take(&a);
	noport(AF_INET6);
	take(&b);
	delta("UDP to a closed port over ::1", &a, &b, 1);
	close(c);
	close(acc);
	close(l);
	return 0;
}
