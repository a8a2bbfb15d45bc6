/* Changing a network namespace needs CAP_NET_ADMIN over the user
 * namespace that owns it, not over the caller's own: a process that
 * made a new network namespace as root, then a user namespace, has every
 * capability in its user namespace but none over its network namespace
 * (owned by the initial one), so RTM_NEWNSID, RTM_NEWLINK and
 * SIOCSIFFLAGS are EPERM there (lo stays down); in a network namespace it makes after
 * that (owned by its user namespace) they work. Runs in a child, so
 * that no namespace of the test's own changes. */
#include "inet_common.h"
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/wait.h>

/* The netlink definitions used (musl has no kernel headers). */
struct nl_hdr { unsigned len; unsigned short type, flags; unsigned seq, pid; };
struct nl_attr { unsigned short len, type; };
struct nl_ifinfo { unsigned char family, pad; unsigned short type; int index; unsigned flags, change; };
#define NL_ROUTE 0
#define NL_REQUEST 1
#define NL_ACK 4
#define NL_ERROR 2
#define T_NEWLINK 16
#define T_NEWNSID 88
#define T_GETNSID 90
#define NSA_NSID 1
#define NSA_FD 3

static int seq;

/* request sends one message of type with the fixed part fixed (flen
 * bytes, padded to 4) and up to two u32 attributes (type 0: none), and
 * returns the errno of the answer (0: an acknowledgement) or, for
 * RTM_GETNSID, the id it names (as a negative number minus 1000 when
 * there is none). */
static int request(int fd, unsigned short type, const void *fixed, int flen, int at1, unsigned v1, int at2, unsigned v2) {
	char buf[4096];
	memset(buf, 0, 256);
	struct nl_hdr *h = (void *)buf;
	int off = sizeof *h;
	memcpy(buf + off, fixed, flen);
	off += (flen + 3) & ~3;
	int ats[2] = {at1, at2};
	unsigned vals[2] = {v1, v2};
	for (int i = 0; i < 2; i++) {
		if (!ats[i])
			continue;
		struct nl_attr a = {8, ats[i]};
		memcpy(buf + off, &a, 4);
		memcpy(buf + off + 4, &vals[i], 4);
		off += 8;
	}
	h->len = off;
	h->type = type;
	/* A GET answers with its message alone; a change, with an
	 * acknowledgement. */
	h->flags = type == T_GETNSID ? NL_REQUEST : NL_REQUEST | NL_ACK;
	h->seq = ++seq;
	if (send(fd, buf, off, 0) < 0)
		return errno;
	long n = recv(fd, buf, sizeof buf, 0);
	if (n < (long)sizeof *h)
		return -2000;
	if (h->type == NL_ERROR)
		return -*(int *)(buf + sizeof *h);
	if (h->type == T_NEWNSID) {
		/* struct rtgenmsg (padded to 4), then NETNSA_NSID */
		struct nl_attr *a = (void *)(buf + sizeof *h + 4);
		if (a->type == NSA_NSID)
			return *(int *)(a + 1);
	}
	return -1000;
}

static int nlsock(void) {
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NL_ROUTE);
	if (fd < 0)
		printf("socket(AF_NETLINK): %s\n", errname(errno));
	return fd;
}

static void show(const char *label, int r) {
	if (r == 0)
		printf("  %s: ok\n", label);
	else if (r > 0)
		printf("  %s: %s\n", label, errname(r));
	else
		printf("  %s: %d\n", label, r);
}

/* changes tries the three changes in the caller's network namespace:
 * an id for the namespace of peer, lo up by netlink and by ioctl. */
static void changes(int peer) {
	int nl = nlsock();
	int gen = AF_UNSPEC;
	show("RTM_NEWNSID", request(nl, T_NEWNSID, &gen, 1, NSA_FD, peer, NSA_NSID, 7));
	int id = request(nl, T_GETNSID, &gen, 1, NSA_FD, peer, 0, 0);
	if (id >= -1)
		printf("  RTM_GETNSID: id %d\n", id);
	else
		show("RTM_GETNSID", id);
	struct nl_ifinfo li = {.family = AF_UNSPEC, .index = if_nametoindex("lo"), .flags = IFF_UP, .change = IFF_UP};
	show("RTM_NEWLINK lo up", request(nl, T_NEWLINK, &li, sizeof li, 0, 0, 0, 0));
	close(nl);
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	struct ifreq r;
	memset(&r, 0, sizeof r);
	strcpy(r.ifr_name, "lo");
	ioctl(s, SIOCGIFFLAGS, &r);
	printf("  lo up: %d\n", !!(r.ifr_flags & IFF_UP));
	r.ifr_flags &= ~IFF_UP;
	show("SIOCSIFFLAGS lo down", ioctl(s, SIOCSIFFLAGS, &r) < 0 ? errno : 0);
	ioctl(s, SIOCGIFFLAGS, &r);
	printf("  lo up: %d\n", !!(r.ifr_flags & IFF_UP));
	close(s);
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	pid_t pid = fork();
	if (pid == 0) {
		int outer = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		if (unshare(CLONE_NEWNET) < 0) {
			printf("unshare(CLONE_NEWNET): %s\n", errname(errno));
			_exit(1);
		}
		int a = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		if (unshare(CLONE_NEWUSER) < 0) {
			printf("unshare(CLONE_NEWUSER): %s\n", errname(errno));
			_exit(1);
		}
		printf("network namespace owned by the initial user namespace:\n");
		changes(outer);
		if (unshare(CLONE_NEWNET) < 0) {
			printf("unshare(CLONE_NEWNET) in the user namespace: %s\n", errname(errno));
			_exit(1);
		}
		printf("network namespace owned by the new user namespace:\n");
		changes(a);
		_exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
	describe("child", st);
	return 0;
}
