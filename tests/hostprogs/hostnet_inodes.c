/* A program of the host network finds its own sockets in the host's
 * socket lists (run under kite with --net=host only): /proc/net/{tcp,
 * tcp6,udp,udp6,icmp,icmp6} (ping sockets where the host's
 * ping_group_range allows them) and NETLINK_SOCK_DIAG's dumps show each
 * with the inode number fstat gives its descriptor (and /proc/self/fd's
 * socket:[N] link names), so that ss -p and netstat -p name the
 * process. The lists hold the host's other sockets too, which the test
 * leaves alone. */
#include "../progs/inet_common.h"
#include <sys/stat.h>
#include <sys/wait.h>

/* NETLINK_SOCK_DIAG's definitions (musl has no kernel headers). */
#define NETLINK_SOCK_DIAG_ 4
#define SOCK_DIAG_BY_FAMILY_ 20
#define NLMSG_DONE_ 3
#define NLMSG_ERROR_ 2
#define NLM_F_REQUEST_ 1
#define NLM_F_DUMP_ 0x300
struct nlhdr {
	unsigned len;
	unsigned short type, flags;
	unsigned seq, pid;
};
struct diag_sockid {
	unsigned short sport, dport; /* network order */
	unsigned src[4], dst[4], ifindex, cookie[2];
};
struct diag_req {
	unsigned char family, protocol, ext, pad;
	unsigned states;
	struct diag_sockid id;
};
struct diag_msg {
	unsigned char family, state, timer, retrans;
	struct diag_sockid id;
	unsigned expires, rqueue, wqueue, uid, inode;
};
struct sa_nl {
	unsigned short family, pad;
	unsigned pid, groups;
};

/* hexaddr is a's address and port as /proc/net/tcp shows them. */
static void hexaddr(const iaddr *a, char *buf, size_t n) {
	const unsigned char *b;
	int words;
	if (a->sa.sa_family == AF_INET) {
		b = (const unsigned char *)&a->in.sin_addr;
		words = 1;
	} else {
		b = (const unsigned char *)&a->in6.sin6_addr;
		words = 4;
	}
	size_t o = 0;
	for (int i = 0; i < words; i++) {
		unsigned w;
		memcpy(&w, b + 4 * i, 4);
		o += snprintf(buf + o, n - o, "%08X", w);
	}
	snprintf(buf + o, n - o, ":%04X", port_of(a));
}

static unsigned long ino_of(int fd) {
	struct stat st;
	if (fstat(fd, &st) < 0)
		return 0;
	return st.st_ino;
}

/* proc finds fd's line in /proc/net/FILE by its local and peer
 * addresses and prints whether its inode is fd's. */
static void proc(const char *label, const char *file, int fd, int connected) {
	iaddr l, p;
	socklen_t ll = sizeof l, pl = sizeof p;
	char want_l[64], want_p[64];
	getsockname(fd, &l.sa, &ll);
	hexaddr(&l, want_l, sizeof want_l);
	if (connected) {
		getpeername(fd, &p.sa, &pl);
		hexaddr(&p, want_p, sizeof want_p);
	} else {
		snprintf(want_p, sizeof want_p, "%s", l.sa.sa_family == AF_INET ? "00000000:0000" : "00000000000000000000000000000000:0000");
	}
	char path[64];
	snprintf(path, sizeof path, "/proc/net/%s", file);
	FILE *f = fopen(path, "r");
	if (!f) {
		printf("%s: %s: %s\n", label, path, ierrname(errno));
		return;
	}
	char line[512];
	int found = 0;
	while (fgets(line, sizeof line, f)) {
		char sl[16], la[64], pa[64], st[8], q[32], tr[32], re[16];
		unsigned long uid, timeout, ino;
		if (sscanf(line, "%15s %63s %63s %7s %31s %31s %15s %lu %lu %lu", sl, la, pa, st, q, tr, re, &uid, &timeout, &ino) != 10)
			continue;
		if (strcmp(la, want_l) != 0 || strcmp(pa, want_p) != 0)
			continue;
		found++;
		printf("%s in %s: state %s, inode is its own: %s\n", label, path, st, ino == ino_of(fd) ? "yes" : "no");
	}
	if (!found)
		printf("%s: not in %s\n", label, path);
	fclose(f);
}

/* diag finds fd in a NETLINK_SOCK_DIAG dump of its family and protocol
 * by its ports and prints whether the dump gives its inode. */
static void diag(const char *label, int fd, int fam, int proto) {
	int nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG_);
	if (nl < 0) {
		printf("%s: netlink: %s\n", label, ierrname(errno));
		return;
	}
	struct {
		struct nlhdr h;
		struct diag_req r;
	} req = {
		.h = {.len = sizeof req, .type = SOCK_DIAG_BY_FAMILY_, .flags = NLM_F_REQUEST_ | NLM_F_DUMP_},
		.r = {.family = fam, .protocol = proto, .states = ~0u},
	};
	struct sa_nl sa = {.family = AF_NETLINK};
	if (sendto(nl, &req, sizeof req, 0, (struct sockaddr *)&sa, sizeof sa) < 0) {
		printf("%s: sendto: %s\n", label, ierrname(errno));
		close(nl);
		return;
	}
	int sport = local_port(fd), found = 0, own = 0;
	static char buf[1 << 16];
	for (int done = 0; !done;) {
		ssize_t n = recv(nl, buf, sizeof buf, 0);
		if (n <= 0) {
			printf("%s: recv: %s\n", label, ierrname(errno));
			break;
		}
		for (size_t at = 0; at + sizeof(struct nlhdr) <= (size_t)n;) {
			struct nlhdr h;
			memcpy(&h, buf + at, sizeof h);
			if (h.len < sizeof h || at + h.len > (size_t)n)
				break;
			if (h.type == NLMSG_DONE_ || h.type == NLMSG_ERROR_) {
				done = 1;
				break;
			}
			struct diag_msg m;
			if (h.type == SOCK_DIAG_BY_FAMILY_ && h.len >= sizeof h + sizeof m) {
				memcpy(&m, buf + at + sizeof h, sizeof m);
				if (ntohs(m.id.sport) == sport) {
					found++;
					if (m.inode == ino_of(fd))
						own++;
				}
			}
			at += (h.len + 3) & ~3u;
		}
	}
	close(nl);
	printf("%s in the diag dump: %s, with its inode: %s\n", label, found ? "yes" : "no", own == 1 ? "yes" : "no");
}

/* ports are the program's ports by name. */
static struct {
	int port;
	const char *name;
} ports[8];
static int nports;
static const char *progname;

static void name_port(int fd, const char *name) {
	ports[nports].port = local_port(fd);
	ports[nports].name = name;
	nports++;
}

static int cmpstr(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* tool runs cmd (shown as label; its filters leave out sockets of
 * others that had the same ports, in TIME_WAIT or on other addresses) and prints its lines' words with the
 * numbers after "pid=" and before "/" in netstat's last column as P:
 * the process's pid is the host's in one run and kite's in the other. */
static void tool(const char *label, const char *cmd) {
	printf("%s:\n", label);
	FILE *p = popen(cmd, "r");
	if (!p) {
		printf("popen: %s\n", ierrname(errno));
		return;
	}
	char line[1024], *lines[32];
	int nlines = 0;
	while (fgets(line, sizeof line, p)) {
		char out[1024];
		size_t o = 0;
		char *save;
		for (char *w = strtok_r(line, " \t\n", &save); w && o < sizeof out - 64; w = strtok_r(NULL, " \t\n", &save)) {
			if (o)
				out[o++] = ' ';
			/* A port of the program's is shown by its name. */
			char *colon = strrchr(w, ':');
			char named[128];
			if (colon && colon[1]) {
				char *end;
				long port = strtol(colon + 1, &end, 10);
				for (int i = 0; *end == 0 && i < nports; i++)
					if (ports[i].port == port) {
						snprintf(named, sizeof named, "%.*s:%s", (int)(colon - w), w, ports[i].name);
						w = named;
						break;
					}
			}
			/* netstat's PID/NAME, cut to its column's width. */
			char *slash = strchr(w, '/');
			if (slash && slash > w && strspn(w, "0123456789") == (size_t)(slash - w)) {
				const char *self = strrchr(progname, '/') ? strrchr(progname, '/') + 1 : progname;
				size_t n = strlen(slash + 1);
				int mine = n > 0 && (strncmp(self, slash + 1, n) == 0 || strncmp(progname, slash + 1, n) == 0);
				w = mine ? "P/(this program)" : slash;
			}
			for (char *c = w; *c && o < sizeof out - 2; c++) {
				out[o++] = *c;
				if (strncmp(c - 3 >= w ? c - 3 : w, "pid=", 4) == 0 && c - 3 >= w) {
					out[o++] = 'P';
					while (c[1] >= '0' && c[1] <= '9')
						c++;
				}
			}
		}
		out[o] = 0;
		if (nlines < 32)
			lines[nlines++] = strdup(out);
	}
	/* The lists' order is the host's hash tables', which depends on
	 * the ports. */
	qsort(lines, nlines, sizeof lines[0], cmpstr);
	for (int i = 0; i < nlines; i++) {
		printf("  %s\n", lines[i]);
		free(lines[i]);
	}
	printf("  status %d\n", pclose(p));
}

int main(int argc, char **argv) {
	(void)argc;
	progname = argv[0];
	setvbuf(stdout, NULL, _IOLBF, 0);
	int l4 = listener(AF_INET, SOCK_STREAM);
	int c4 = connect_to(AF_INET, SOCK_STREAM, local_port(l4));
	int a4 = accept(l4, NULL, NULL);
	int l6 = listener(AF_INET6, SOCK_STREAM);
	int u4 = listener(AF_INET, SOCK_DGRAM);
	int u6 = listener(AF_INET6, SOCK_DGRAM);
	if (a4 < 0)
		printf("accept: %s\n", ierrname(errno));

	char link[64], path[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", l4);
	ssize_t n = readlink(path, link, sizeof link - 1);
	link[n > 0 ? n : 0] = 0;
	char want[64];
	snprintf(want, sizeof want, "socket:[%lu]", ino_of(l4));
	printf("fd link names the inode: %s\n", strcmp(link, want) == 0 ? "yes" : "no");

	proc("tcp listener", "tcp", l4, 0);
	proc("tcp client", "tcp", c4, 1);
	proc("tcp accepted", "tcp", a4, 1);
	proc("tcp6 listener", "tcp6", l6, 0);
	proc("udp", "udp", u4, 0);
	proc("udp6", "udp6", u6, 0);
	/* A socket is its creator's: a child that became nobody makes one
	 * (the lists show 65534 where the host saw kite make it). */
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		if (setgid(65534) < 0 || setuid(65534) < 0) {
			printf("setuid: %s\n", ierrname(errno));
			_exit(0);
		}
		int n = listener(AF_INET, SOCK_DGRAM);
		proc("nobody's udp", "udp", n, 0);
		FILE *f = fopen("/proc/net/udp", "r");
		char want[64], line[512];
		iaddr a;
		socklen_t al = sizeof a;
		getsockname(n, &a.sa, &al);
		hexaddr(&a, want, sizeof want);
		while (f && fgets(line, sizeof line, f)) {
			char sl[16], la[64];
			unsigned long uid;
			if (sscanf(line, "%15s %63s %*s %*s %*s %*s %*s %lu", sl, la, &uid) == 3 && strcmp(la, want) == 0)
				printf("nobody's udp: uid %lu\n", uid);
		}
		if (f)
			fclose(f);
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	/* Ping sockets, where the host's ping_group_range lets the
	 * program's group have them. */
	for (int fam = AF_INET; fam; fam = fam == AF_INET ? AF_INET6 : 0) {
		const char *label = fam == AF_INET ? "ping" : "ping6";
		int ps = socket(fam, SOCK_DGRAM, fam == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6);
		iaddr a;
		socklen_t al = loopback(&a, fam, 0);
		if (ps < 0 || bind(ps, &a.sa, al) < 0)
			printf("%s socket: %s\n", label, ierrname(errno));
		else
			proc(label, fam == AF_INET ? "icmp" : "icmp6", ps, 0);
		if (ps >= 0)
			close(ps);
	}
	diag("tcp listener", l4, AF_INET, IPPROTO_TCP);
	diag("tcp6 listener", l6, AF_INET6, IPPROTO_TCP);
	diag("udp", u4, AF_INET, IPPROTO_UDP);
	diag("udp6", u6, AF_INET6, IPPROTO_UDP);

	name_port(l4, "LISTENER");
	name_port(c4, "CLIENT");
	name_port(l6, "LISTENER6");
	name_port(u4, "UDP");
	name_port(u6, "UDP6");
	/* The tools see the program's sockets only. */
	int fds[] = {l4, c4, a4, l6, u4, u6};
	for (int i = 0; i < 6; i++)
		fcntl(fds[i], F_SETFD, FD_CLOEXEC);
	char cmd[256];
	if (access("/usr/bin/ss", X_OK) == 0 || access("/bin/ss", X_OK) == 0) {
		snprintf(cmd, sizeof cmd, "ss -Htanp state listening state established '( src 127.0.0.1:%d or dst 127.0.0.1:%d )'", local_port(l4), local_port(l4));
		tool("ss -tanp, the TCP connection", cmd);
		snprintf(cmd, sizeof cmd, "ss -Huanp '( src 127.0.0.1:%d or src [::1]:%d )'", local_port(u4), local_port(u6));
		tool("ss -uanp, the UDP sockets", cmd);
	} else {
		printf("no ss\n");
	}
	if (access("/usr/bin/netstat", X_OK) == 0 || access("/bin/netstat", X_OK) == 0) {
		snprintf(cmd, sizeof cmd, "netstat -tanp 2>&1 | grep -E '(127.0.0.1:%d|::1:%d) .*(LISTEN|ESTABLISHED)'", local_port(l4), local_port(l6));
		tool("netstat -tanp, the TCP sockets", cmd);
	} else {
		printf("no netstat\n");
	}
	close(c4);
	close(a4);
	close(l4);
	close(l6);
	close(u4);
	close(u6);
	return 0;
}
