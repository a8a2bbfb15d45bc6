/* IP_RECVERR and IPV6_RECVERR on UDP over 127.0.0.1 and ::1: a datagram
 * to a port nobody listens on comes back as an ICMP error that
 * recvmsg(MSG_ERRQUEUE) reads (the payload, the destination, a
 * sock_extended_err with the offender); the connected socket's next
 * receive is ECONNREFUSED; without errors queued MSG_ERRQUEUE is EAGAIN. */
#include "inet_common.h"

/* struct sock_extended_err of linux/errqueue.h (musl has no kernel
 * headers). */
struct sock_extended_err {
	unsigned int ee_errno;
	unsigned char ee_origin, ee_type, ee_code, ee_pad;
	unsigned int ee_info, ee_data;
};

static void run(int fam) {
	printf("== %s\n", famname(fam));
	int s = socket(fam, SOCK_DGRAM, 0);
	if (fam == AF_INET)
		ICHECK("IP_RECVERR", setint(s, SOL_IP, IP_RECVERR, 1));
	else
		ICHECK("IPV6_RECVERR", setint(s, SOL_IPV6, IPV6_RECVERR, 1));
	char buf[64], cbuf[256];
	struct iovec iov = {buf, sizeof buf};
	iaddr name;
	struct msghdr m = {.msg_name = &name, .msg_namelen = sizeof name, .msg_iov = &iov, .msg_iovlen = 1,
			   .msg_control = cbuf, .msg_controllen = sizeof cbuf};
	ICHECK("MSG_ERRQUEUE with nothing queued", recvmsg(s, &m, MSG_ERRQUEUE | MSG_DONTWAIT));
	int port = unused_port(fam);
	iaddr a;
	socklen_t al = loopback(&a, fam, port);
	ICHECK("connect", connect(s, &a.sa, al));
	ICHECK("send", send(s, "hello", 5, 0));
	struct pollfd p = {s, 0, 0};
	poll(&p, 1, 5000);
	printf("revents ERR %d\n", !!(p.revents & POLLERR));
	memset(buf, 0, sizeof buf);
	m.msg_namelen = sizeof name;
	m.msg_controllen = sizeof cbuf;
	ICHECK("recvmsg MSG_ERRQUEUE", recvmsg(s, &m, MSG_ERRQUEUE));
	printf("payload %s flags ERRQUEUE %d TRUNC %d CTRUNC %d; name port matches %d\n", buf, !!(m.msg_flags & MSG_ERRQUEUE),
	       !!(m.msg_flags & MSG_TRUNC), !!(m.msg_flags & MSG_CTRUNC), port_of(&name) == port);
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		struct sock_extended_err ee;
		memcpy(&ee, CMSG_DATA(c), sizeof ee);
		iaddr off;
		memset(&off, 0, sizeof off);
		memcpy(&off, CMSG_DATA(c) + sizeof ee, c->cmsg_len - CMSG_LEN(sizeof ee));
		printf("cmsg level %d type %d len %d: errno %s origin %d type %d code %d info %d data %d; offender %s\n",
		       c->cmsg_level, c->cmsg_type, (int)(c->cmsg_len - CMSG_LEN(0)), ierrname(ee.ee_errno), ee.ee_origin,
		       ee.ee_type, ee.ee_code, ee.ee_info, ee.ee_data, addrstr(&off));
	}
	ICHECK("recv after the error was read", recv(s, buf, sizeof buf, MSG_DONTWAIT));
	ICHECK("send again", send(s, "again", 5, 0));
	poll(&p, 1, 5000);
	ICHECK("recv with the error queued", recv(s, buf, sizeof buf, MSG_DONTWAIT));
	m.msg_controllen = sizeof cbuf;
	m.msg_namelen = sizeof name;
	ICHECK("recvmsg MSG_ERRQUEUE again", recvmsg(s, &m, MSG_ERRQUEUE));
	close(s);
}

int main(void) {
	run(AF_INET);
	run(AF_INET6);
	return 0;
}
