/* Helpers shared by the inet_*.c differential tests: every test runs
 * its cases on 127.0.0.1 and on ::1, binds port 0 and prints only facts
 * that do not depend on the port numbers the kernel picked. */
#include "sock_common.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

/* ierrname covers the errno values of INET sockets sock_common.h
 * lacks. */
static const char *ierrname(int e) {
	switch (e) {
	case ETIMEDOUT: return "ETIMEDOUT";
	case EALREADY: return "EALREADY";
	case ENETUNREACH: return "ENETUNREACH";
	case EHOSTUNREACH: return "EHOSTUNREACH";
	case ENODEV: return "ENODEV";
	}
	return errname(e);
}

#define ICHECK(label, expr) do { \
	errno = 0; \
	long r_ = (long)(expr); \
	if (r_ < 0) \
		printf("%s: -1 %s\n", label, ierrname(errno)); \
	else \
		printf("%s: %ld\n", label, r_); \
	fflush(stdout); \
} while (0)

/* iaddr is an address of either family. */
typedef union {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
	struct sockaddr_storage ss;
} iaddr;

/* loopback fills a with the loopback address of fam and port. */
static socklen_t loopback(iaddr *a, int fam, int port) {
	memset(a, 0, sizeof *a);
	if (fam == AF_INET) {
		a->in.sin_family = AF_INET;
		a->in.sin_port = htons(port);
		a->in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		return sizeof a->in;
	}
	a->in6.sin6_family = AF_INET6;
	a->in6.sin6_port = htons(port);
	a->in6.sin6_addr = in6addr_loopback;
	return sizeof a->in6;
}

static int port_of(const iaddr *a) {
	return ntohs(a->sa.sa_family == AF_INET ? a->in.sin_port : a->in6.sin6_port);
}

/* addrstr formats an address without its port. */
static const char *addrstr(const iaddr *a) {
	static char buf[INET6_ADDRSTRLEN + 16];
	if (a->sa.sa_family == AF_INET)
		inet_ntop(AF_INET, &a->in.sin_addr, buf, sizeof buf);
	else if (a->sa.sa_family == AF_INET6)
		inet_ntop(AF_INET6, &a->in6.sin6_addr, buf, sizeof buf);
	else
		snprintf(buf, sizeof buf, "family%d", a->sa.sa_family);
	return buf;
}

static const char *famname(int fam) { return fam == AF_INET ? "ipv4" : "ipv6"; }

/* local_port returns the port fd is bound to. */
static int local_port(int fd) {
	iaddr a;
	socklen_t l = sizeof a;
	if (getsockname(fd, &a.sa, &l) < 0)
		return -1;
	return port_of(&a);
}

/* listener returns a socket of fam and type listening (for streams) on
 * the loopback address at a port the kernel picks. */
static int listener(int fam, int type) {
	iaddr a;
	int fd = socket(fam, type, 0);
	socklen_t l = loopback(&a, fam, 0);
	if (fd < 0 || bind(fd, &a.sa, l) < 0) {
		perror("listener");
		exit(1);
	}
	if (type == SOCK_STREAM && listen(fd, 16) < 0) {
		perror("listen");
		exit(1);
	}
	return fd;
}

/* unused_port returns a loopback port nothing listens on: a port below
 * the ephemeral range (ip_local_port_range starts at 32768) that TCP and
 * UDP sockets can both bind, then closed. An ephemeral port would do
 * only until a connect from an unbound socket picked that same port as
 * its own source and connected to itself. */
static int unused_port(int fam) {
	int span = 32768 - 20000;
	int first = getpid() % span;
	for (int k = 0; k < span; k++) {
		int p = 20000 + (first + k * 7919) % span;
		int ok = 1;
		for (int type = SOCK_STREAM; ok && type <= SOCK_DGRAM; type++) {
			iaddr a;
			int fd = socket(fam, type, 0);
			socklen_t l = loopback(&a, fam, p);
			ok = fd >= 0 && bind(fd, &a.sa, l) == 0;
			if (fd >= 0)
				close(fd);
		}
		if (ok)
			return p;
	}
	fprintf(stderr, "unused_port: no free port below 32768\n");
	exit(1);
}

/* connect_to connects a new socket of fam and type to port on loopback. */
static int connect_to(int fam, int type, int port) {
	iaddr a;
	int fd = socket(fam, type, 0);
	socklen_t l = loopback(&a, fam, port);
	if (fd < 0 || connect(fd, &a.sa, l) < 0) {
		perror("connect_to");
		exit(1);
	}
	return fd;
}

static int getint(int fd, int level, int name) {
	int v = -1;
	socklen_t l = sizeof v;
	if (getsockopt(fd, level, name, &v, &l) < 0)
		return -errno;
	return v;
}

static int setint(int fd, int level, int name, int v) {
	return setsockopt(fd, level, name, &v, sizeof v);
}

/* waitfor polls fd for events for at most 5 s and returns revents. */
static int waitfor(int fd, short events) {
	struct pollfd p = {fd, events, 0};
	poll(&p, 1, 5000);
	return p.revents;
}
