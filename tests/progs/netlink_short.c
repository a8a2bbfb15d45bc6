/* NETLINK_ROUTE requests whose payload ends early: RTM_NEWNSID and
 * RTM_GETNSID with 0 to 3 bytes after the header (a struct rtgenmsg is
 * 1 byte, padded to 4), RTM_NEWLINK, RTM_NEWADDR and RTM_GETLINK with
 * less than their struct. Each is answered with an ack: an error, or 0
 * for a request without even its family byte, which Linux ignores. kite
 * once panicked on an RTM_NEWNSID of 3 bytes. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#if __has_include(<linux/rtnetlink.h>)
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#else
/* musl has no kernel headers: the few netlink definitions used here. */
#define NETLINK_ROUTE 0
#define NLM_F_REQUEST 1
#define NLM_F_ACK 4
#define NLMSG_ERROR 2
#define RTM_NEWLINK 16
#define RTM_GETLINK 18
#define RTM_NEWADDR 20
#define RTM_DELADDR 21
#define RTM_NEWNSID 88
#define RTM_GETNSID 90
struct nlmsghdr { unsigned nlmsg_len; unsigned short nlmsg_type, nlmsg_flags; unsigned nlmsg_seq, nlmsg_pid; };
struct nlmsgerr { int error; struct nlmsghdr msg; };
#define NLMSG_HDRLEN 16
#define NLMSG_DATA(nlh) ((void *)(((char *)nlh) + NLMSG_HDRLEN))
#endif

static int fd;

/* ask sends a request of type with n payload bytes and prints the error
 * its ack carries. */
static void ask(const char *label, int type, int n, int family) {
	char req[64];
	memset(req, 0, sizeof req);
	struct nlmsghdr *h = (struct nlmsghdr *)req;
	h->nlmsg_len = NLMSG_HDRLEN + n;
	h->nlmsg_type = type;
	h->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	h->nlmsg_seq = 1;
	memset(req + NLMSG_HDRLEN, 0, n);
	if (n > 0)
		req[NLMSG_HDRLEN] = family;
	if (send(fd, req, h->nlmsg_len, 0) < 0) {
		printf("%s: send: %s\n", label, strerror(errno));
		return;
	}
	char resp[8192];
	long r = recv(fd, resp, sizeof resp, 0);
	if (r < 0) {
		printf("%s: recv: %s\n", label, strerror(errno));
		return;
	}
	struct nlmsghdr *a = (struct nlmsghdr *)resp;
	if (a->nlmsg_type == NLMSG_ERROR) {
		struct nlmsgerr *e = NLMSG_DATA(a);
		printf("%s: error %s\n", label, e->error ? strerror(-e->error) : "0");
	} else
		printf("%s: type %d\n", label, a->nlmsg_type);
}

int main(void) {
	fd = socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
	if (fd < 0) {
		perror("socket");
		return 1;
	}
	char label[64];
	for (int n = 0; n <= 4; n++) {
		snprintf(label, sizeof label, "RTM_NEWNSID %d bytes", n);
		ask(label, RTM_NEWNSID, n, AF_UNSPEC);
		snprintf(label, sizeof label, "RTM_GETNSID %d bytes", n);
		ask(label, RTM_GETNSID, n, AF_UNSPEC);
	}
	ask("RTM_NEWLINK 3 bytes", RTM_NEWLINK, 3, AF_UNSPEC);
	ask("RTM_NEWADDR 3 bytes", RTM_NEWADDR, 3, AF_INET);
	ask("RTM_GETLINK 3 bytes", RTM_GETLINK, 3, AF_UNSPEC);
	ask("RTM_DELADDR 1 byte", RTM_DELADDR, 1, AF_INET);
	ask("RTM_GETLINK 0 bytes", RTM_GETLINK, 0, AF_UNSPEC);
	return 0;
}
