/* SO_TIMESTAMPING's software transmit timestamps over 127.0.0.1 and
 * ::1 (run under kite with --net=host only: kite's own stack refuses
 * the transmit flags). Each UDP datagram and each TCP send is stamped
 * when the host hands it to lo: the stamp comes on the error queue
 * (POLLERR), read with recvmsg(MSG_ERRQUEUE): SCM_TIMESTAMPING with the
 * software time, then IP_RECVERR/IPV6_RECVERR's sock_extended_err
 * (ENOMSG, origin SO_EE_ORIGIN_TIMESTAMPING, SCM_TSTAMP_SND, the
 * OPT_ID counter: datagrams counted from 0, TCP's the last byte's
 * offset); with OPT_TSONLY no data, without it the packet with its
 * headers. An empty queue is EAGAIN; unknown flags are EINVAL, OPT_ID on
 * an unconnected TCP socket too; getsockopt gives the flags back. */
#include "../progs/inet_common.h"
#include <time.h>

#include "../progs/txstamp_common.h"

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
	close(u);
	close(r);

	/* TCP */
	int ln = listener(fam, SOCK_STREAM);
	int c = socket(fam, SOCK_STREAM, 0);
	setflags("tcp OPT_ID before connecting", c, SOF_TX_SOFTWARE | SOF_SOFTWARE | SOF_OPT_ID | SOF_OPT_TSONLY);
	iaddr la;
	socklen_t ll = loopback(&la, fam, local_port(ln));
	connect(c, &la.sa, ll);
	waitfor(ln, POLLIN);
	int a = accept(ln, NULL, NULL);
	setflags("tcp flags", c, SOF_TX_SOFTWARE | SOF_SOFTWARE | SOF_OPT_ID | SOF_OPT_TSONLY);
	send(c, "0123456789", 10, 0);
	waitfor(c, 0);
	errqueue("tcp send", c);
	errqueue("tcp none left", c);
	close(a);
	close(c);
	close(ln);
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	run(AF_INET);
	run(AF_INET6);
	return 0;
}
