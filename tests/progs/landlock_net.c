/* Landlock's TCP rights (ABI 4): bind(2) and connect(2) of TCP sockets
 * only to the ports rules grant, with the address checks Landlock makes
 * itself; other sockets and the file system stay free. */
#include "landlock_common.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

static struct sockaddr_in lo(uint16_t port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return sa;
}

/* listener returns a TCP socket listening on a free loopback port. */
static int listener(uint16_t *port)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = lo(0);
	socklen_t len = sizeof sa;
	if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(s, 8) < 0 ||
	    getsockname(s, (struct sockaddr *)&sa, &len) < 0) {
		printf("listener: %s\n", errname(errno));
		exit(1);
	}
	*port = ntohs(sa.sin_port);
	return s;
}

/* freeport returns a loopback port that was free a moment ago. */
static uint16_t freeport(void)
{
	uint16_t port;
	close(listener(&port));
	return port;
}

static void try_bind(const char *what, int type, const void *addr, socklen_t len)
{
	int s = socket(AF_INET, type, 0);
	int one = 1;
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	report(what, bind(s, addr, len));
	close(s);
}

static void try_connect(const char *what, int family, int type, const void *addr, socklen_t len)
{
	int s = socket(family, type, 0);
	report(what, connect(s, addr, len));
	close(s);
}

static void net_rule(int rs, uint64_t access, uint64_t port)
{
	struct ll_net_port_attr np = { access, port };
	if (ll_add(rs, LL_RULE_NET_PORT, &np, 0) < 0) {
		printf("net rule: %s\n", errname(errno));
		exit(1);
	}
}

static int net_ruleset(uint64_t net)
{
	struct ll_ruleset_attr a = { .handled_access_net = net };
	int fd = (int)ll_create(&a, sizeof a, 0);
	if (fd < 0) {
		printf("create_ruleset: %s\n", errname(errno));
		exit(1);
	}
	return fd;
}

int main(void)
{
	if (abi() < 4) {
		printf("no network rights\n");
		return 0;
	}
	struct ll_ruleset_attr a = { .handled_access_net = 1ULL << 5 };
	report("create with unknown net right", ll_create(&a, sizeof a, 0));
	int rs = net_ruleset(LL_NET_BIND_TCP | LL_NET_CONNECT_TCP);
	struct ll_net_port_attr np = { LL_NET_BIND_TCP, 65536 };
	report("rule port 65536", ll_add(rs, LL_RULE_NET_PORT, &np, 0));
	np.port = 0;
	np.allowed_access = 0;
	report("rule granting nothing", ll_add(rs, LL_RULE_NET_PORT, &np, 0));
	np.allowed_access = 1ULL << 2;
	report("rule unknown right", ll_add(rs, LL_RULE_NET_PORT, &np, 0));
	report("rule NULL", ll_add(rs, LL_RULE_NET_PORT, NULL, 0));
	int fsonly = ruleset(LL_FS_READ_FILE);
	np.allowed_access = LL_NET_BIND_TCP;
	report("net rule in fs ruleset", ll_add(fsonly, LL_RULE_NET_PORT, &np, 0));
	close(fsonly);

	uint16_t pa, pb;
	int la = listener(&pa), lb = listener(&pb);
	uint16_t pf = freeport(), pg = freeport();
	net_rule(rs, LL_NET_CONNECT_TCP, pa);
	net_rule(rs, LL_NET_BIND_TCP, pf);

	pid_t pid = fork();
	if (pid == 0) {
		enforce(rs);
		struct sockaddr_in sa = lo(pf);
		try_bind("bind allowed port", SOCK_STREAM, &sa, sizeof sa);
		sa = lo(pg);
		try_bind("bind other port", SOCK_STREAM, &sa, sizeof sa);
		sa = lo(0);
		try_bind("bind port 0", SOCK_STREAM, &sa, sizeof sa);
		sa = lo(pg);
		try_bind("udp bind other port", SOCK_DGRAM, &sa, sizeof sa);
		try_bind("bind short address", SOCK_STREAM, &sa, 1);
		try_bind("bind 8-byte address", SOCK_STREAM, &sa, 8);
		struct sockaddr_in6 s6 = { .sin6_family = AF_INET6, .sin6_port = htons(pf) };
		try_bind("bind inet6 address to inet socket", SOCK_STREAM, &s6, sizeof s6);
		struct sockaddr_in un = lo(pf);
		un.sin_family = AF_UNSPEC;
		un.sin_addr.s_addr = htonl(INADDR_ANY);
		try_bind("bind AF_UNSPEC any, allowed port", SOCK_STREAM, &un, sizeof un);
		un.sin_port = htons(pg);
		try_bind("bind AF_UNSPEC any, other port", SOCK_STREAM, &un, sizeof un);
		un.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		try_bind("bind AF_UNSPEC loopback", SOCK_STREAM, &un, sizeof un);
		struct sockaddr sx = { .sa_family = AF_UNIX };
		try_bind("bind AF_UNIX address to tcp socket", SOCK_STREAM, &sx, sizeof sx);

		sa = lo(pa);
		try_connect("connect allowed port", AF_INET, SOCK_STREAM, &sa, sizeof sa);
		sa = lo(pb);
		try_connect("connect other port", AF_INET, SOCK_STREAM, &sa, sizeof sa);
		try_connect("udp connect other port", AF_INET, SOCK_DGRAM, &sa, sizeof sa);
		un = lo(pb);
		un.sin_family = AF_UNSPEC;
		try_connect("connect AF_UNSPEC", AF_INET, SOCK_STREAM, &un, sizeof un);
		s6.sin6_port = htons(pb);
		s6.sin6_addr = in6addr_loopback;
		try_connect("inet6 connect other port", AF_INET6, SOCK_STREAM, &s6, sizeof s6);
		try_connect("inet6 connect short address", AF_INET6, SOCK_STREAM, &s6, 20);
		try_connect("inet6 connect inet address", AF_INET6, SOCK_STREAM, &sa, sizeof sa);
		report("open a file", open("/dev/null", O_RDONLY));

		/* A second layer handling connect only, granting pb. */
		int rs2 = net_ruleset(LL_NET_CONNECT_TCP);
		net_rule(rs2, LL_NET_CONNECT_TCP, pb);
		enforce(rs2);
		sa = lo(pa);
		try_connect("layer 2: connect first layer's port", AF_INET, SOCK_STREAM, &sa, sizeof sa);
		sa = lo(pb);
		try_connect("layer 2: connect second layer's port", AF_INET, SOCK_STREAM, &sa, sizeof sa);
		sa = lo(pf);
		try_bind("layer 2: bind allowed port", SOCK_STREAM, &sa, sizeof sa);
		fflush(stdout);
		_exit(0);
	}
	waitchild("sandboxed", pid);
	close(la);
	close(lb);
	return 0;
}
