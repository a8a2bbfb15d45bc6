/* SO_TIMESTAMPING's software transmit timestamps of UDP datagrams over
 * 127.0.0.1 and ::1. Each datagram is stamped when it goes to lo: the
 * stamp comes on the error queue
 * (POLLERR), read with recvmsg(MSG_ERRQUEUE): SCM_TIMESTAMPING with the
 * software time, then IP_RECVERR/IPV6_RECVERR's sock_extended_err
 * (ENOMSG, origin SO_EE_ORIGIN_TIMESTAMPING, SCM_TSTAMP_SND, the
 * OPT_ID counter: datagrams counted from 0 since OPT_ID was turned on,
 * 0 without it); with OPT_TSONLY no data, without it the packet with its
 * headers; without SOF_TIMESTAMPING_SOFTWARE no SCM_TIMESTAMPING. An
 * empty queue is EAGAIN; unknown flags are EINVAL; getsockopt gives the
 * flags back. */
#include "inet_common.h"
#include <time.h>

#include "txstamp_common.h"

static void run(int fam) {
	printf("%s:\n", famname(fam));
	/* UDP */
	int r = listener(fam, SOCK_DGRAM);
	iaddr to;
	socklen_t tl = loopback(&to, fam, local_port(r));
	int u = socket(fam, SOCK_DGRAM, 0);
	setflags("unknown flag", u, 1 << 30);
	setflags("udp flags", u, SOF_TX_SOFTWARE | SOF_SOFTWARE | SOF_OPT_ID | SOF_OPT_TSONLY);
	errqueue("udp nothing sent", u);
	sendto(u, "one", 3, 0, &to.sa, tl);
	sendto(u, "two!", 4, 0, &to.sa, tl);
	printf("  POLLERR: %s\n", waitfor(u, 0) & POLLERR ? "yes" : "no");
	errqueue("udp first", u);
	errqueue("udp second", u);
	errqueue("udp none left", u);
	printf("  POLLERR after: %s\n", waitfor(u, POLLOUT) & POLLERR ? "yes" : "no");
	/* the packet itself comes back without OPT_TSONLY */
	setflags("udp without TSONLY", u, SOF_TX_SOFTWARE | SOF_SOFTWARE | SOF_OPT_ID);
	sendto(u, "three", 5, 0, &to.sa, tl);
	waitfor(u, 0);
	errqueue("udp with data", u);

	/* OPT_ID turned off and on again counts from 0 */
	setflags("udp without OPT_ID", u, SOF_TX_SOFTWARE | SOF_SOFTWARE | SOF_OPT_TSONLY);
	sendto(u, "four", 4, 0, &to.sa, tl);
	waitfor(u, 0);
	errqueue("udp without OPT_ID", u);
	setflags("udp OPT_ID again", u, SOF_TX_SOFTWARE | SOF_SOFTWARE | SOF_OPT_ID | SOF_OPT_TSONLY);
	sendto(u, "five", 4, 0, &to.sa, tl);
	waitfor(u, 0);
	errqueue("udp OPT_ID again", u);
	/* without SOF_TIMESTAMPING_SOFTWARE the time is not reported */
	setflags("udp without SOFTWARE", u, SOF_TX_SOFTWARE | SOF_OPT_TSONLY);
	sendto(u, "six", 3, 0, &to.sa, tl);
	waitfor(u, 0);
	errqueue("udp without SOFTWARE", u);
	/* a connected socket's send */
	connect(u, &to.sa, tl);
	setflags("udp connected", u, SOF_TX_SOFTWARE | SOF_SOFTWARE | SOF_OPT_TSONLY);
	send(u, "seven", 5, 0);
	waitfor(u, 0);
	errqueue("udp connected", u);
	errqueue("udp none left", u);
	close(u);
	close(r);
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	run(AF_INET);
	run(AF_INET6);
	return 0;
}
