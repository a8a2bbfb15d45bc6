/* Writable /proc/sys/net files in a new network namespace: each write
 * is checked as Linux checks it (EINVAL out of bounds, ENOENT for an
 * unknown congestion control), read back, and applied to the
 * namespace: ip_local_port_range bounds the ports bind picks,
 * somaxconn clamps listen's backlog (seen as how many non-blocking
 * Unix connects a listener queues), ip_default_ttl is IP_TTL's default,
 * tcp_syn_retries, tcp_fin_timeout and tcp_congestion_control are a new
 * TCP socket's TCP_SYNCNT, TCP_LINGER2 and TCP_CONGESTION. Permission:
 * a user without capabilities reads and cannot write; root of a user
 * namespace writes the files of a network namespace that namespace
 * owns (and sees itself as their owner), not those of the first one.
 * Run without privileges, it checks that a user reads the first
 * namespace's files and cannot write them, then makes the writes and
 * checks their effects as root of a user namespace that owns a new
 * network namespace. */
#include "inet_common.h"
#include "netns_common.h"
#include <net/if.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

static const char *path(const char *name) {
	static char p[256];
	snprintf(p, sizeof p, "/proc/sys/net/%s", name);
	return p;
}

static const char *readval(const char *name) {
	static char buf[256];
	int fd = open(path(name), O_RDONLY);
	if (fd < 0) {
		snprintf(buf, sizeof buf, "(open: %s)", errname(errno));
		return buf;
	}
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n < 0) {
		snprintf(buf, sizeof buf, "(read: %s)", errname(errno));
		return buf;
	}
	buf[n] = 0;
	for (char *p = buf; *p; p++)
		if (*p == '\n' || *p == '\t')
			*p = *p == '\t' ? ' ' : 0;
	return buf;
}

static int writeval(const char *name, const char *v) {
	int fd = open(path(name), O_WRONLY);
	if (fd < 0)
		return -errno;
	ssize_t n = write(fd, v, strlen(v));
	int e = errno;
	close(fd);
	return n < 0 ? -e : 0;
}

static void try(const char *name, const char *v) {
	int r = writeval(name, v);
	printf("  %s <- \"%s\": %s, reads %s\n", name, v, r < 0 ? errname(-r) : "ok", readval(name));
}

/* queued counts the non-blocking connects a Unix listener with
 * backlog 100 takes before EAGAIN (at most 20). */
static int queued(void) {
	int l = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	strcpy(a.sun_path + 1, "inet_sysctl");
	socklen_t al = offsetof(struct sockaddr_un, sun_path) + 1 + strlen("inet_sysctl");
	if (bind(l, (struct sockaddr *)&a, al) < 0 || listen(l, 100) < 0) {
		printf("unix listener: %s\n", errname(errno));
		return -1;
	}
	int fds[20], n = 0;
	for (; n < 20; n++) {
		fds[n] = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
		if (connect(fds[n], (struct sockaddr *)&a, al) < 0) {
			close(fds[n]);
			break;
		}
	}
	for (int i = 0; i < n; i++)
		close(fds[i]);
	close(l);
	return n;
}

/* first_ns_user checks, as a user without privileges, the first
 * network namespace's somaxconn: owned by root, readable (its value is
 * the machine's, so only whether it is a number is printed), not
 * writable. */
static void first_ns_user(const char *who) {
	struct stat st;
	stat(path("core/somaxconn"), &st);
	const char *v = readval("core/somaxconn");
	char *end;
	long n = strtol(v, &end, 10);
	printf("  %s: somaxconn owned by uid %d mode %o, reads a number: %s\n", who, (int)st.st_uid, (int)(st.st_mode & 0777), end != v && *end == 0 && n >= 0 ? "yes" : v);
	int r = writeval("core/somaxconn", "100");
	printf("  %s: write: %s\n", who, r < 0 ? errname(-r) : "ok");
}

/* writes makes each write and prints its result and what reads back. */
static void writes(void) {
	printf("writes:\n");
	const char *ports[] = {"1000 2000", "40000 30000", "0 100", "2000 70000", "5000", "abc", "3000 4000 5000", "0x1000 0x2000", " 7000   8000 ", "1024 2000", NULL};
	for (int i = 0; ports[i]; i++)
		try("ipv4/ip_local_port_range", ports[i]);
	const char *somax[] = {"-1", "0x10", "99999999999", "12 13", "0", NULL};
	for (int i = 0; somax[i]; i++)
		try("core/somaxconn", somax[i]);
	const char *nums[] = {"-1", "0", "1", "2", "3", "200", "300", NULL};
	const char *names[] = {"ipv4/tcp_sack", "ipv4/tcp_moderate_rcvbuf", "ipv4/tcp_tw_reuse", "ipv4/tcp_syn_retries", "ipv4/tcp_retries2", "ipv4/tcp_fin_timeout", "ipv4/ip_default_ttl", NULL};
	for (int n = 0; names[n]; n++)
		for (int i = 0; nums[i]; i++)
			try(names[n], nums[i]);
	try("ipv4/tcp_congestion_control", "reno");
	try("ipv4/tcp_congestion_control", "no-such-algorithm");
}

/* effects checks what the settings do to new sockets. */
static void effects(void) {
	printf("effects:\n");
	try("ipv4/ip_local_port_range", "40000 40001");
	int u[3];
	for (int i = 0; i < 3; i++) {
		iaddr a;
		socklen_t l = loopback(&a, AF_INET, 0);
		u[i] = socket(AF_INET, SOCK_DGRAM, 0);
		if (bind(u[i], &a.sa, l) < 0)
			printf("  bind to port 0 number %d: %s\n", i + 1, errname(errno));
		else {
			int p = local_port(u[i]);
			printf("  bind to port 0 number %d: port in range: %s\n", i + 1, p >= 40000 && p <= 40001 ? "yes" : "no");
		}
	}
	for (int i = 0; i < 3; i++)
		close(u[i]);
	try("core/somaxconn", "2");
	printf("  Unix connects queued by listen(100): %d\n", queued());
	try("core/somaxconn", "4096");
	printf("  Unix connects queued by listen(100) (at most 20 tried): %d\n", queued());
	try("ipv4/ip_default_ttl", "99");
	int t = socket(AF_INET, SOCK_DGRAM, 0);
	printf("  IP_TTL of a new socket: %d\n", getint(t, IPPROTO_IP, IP_TTL));
	close(t);
	try("ipv4/tcp_syn_retries", "4");
	try("ipv4/tcp_fin_timeout", "33");
	t = socket(AF_INET, SOCK_STREAM, 0);
	printf("  TCP_SYNCNT of a new socket: %d\n", getint(t, IPPROTO_TCP, TCP_SYNCNT));
	printf("  TCP_LINGER2 of a new socket: %d\n", getint(t, IPPROTO_TCP, TCP_LINGER2));
	char cc[16] = "";
	socklen_t cl = sizeof cc;
	getsockopt(t, IPPROTO_TCP, TCP_CONGESTION, cc, &cl);
	printf("  TCP_CONGESTION of a new socket: %s\n", cc);
	close(t);
}

/* own_ns_user checks, as root of a new user namespace (made by a user
 * without privileges), the first network namespace's file and then
 * those of a network namespace it owns, where it stays. It returns 0,
 * or -1 having printed why it could not. */
static int own_ns_user(void) {
	if (userns_root() < 0)
		return -1;
	int r = writeval("core/somaxconn", "100");
	printf("  root of a new user namespace, first namespace's file: %s\n", r < 0 ? errname(-r) : "ok");
	if (own_netns() < 0)
		return -1;
	struct stat st;
	stat(path("core/somaxconn"), &st);
	printf("  in its own network namespace: owned by uid %d gid %d\n", (int)st.st_uid, (int)st.st_gid);
	return 0;
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (geteuid() != 0) {
		printf("as a user:\n");
		first_ns_user("user");
		if (own_ns_user() < 0)
			return 0;
		writes();
		effects();
		return 0;
	}
	if (own_netns() < 0)
		return 0;
	writes();
	effects();

	printf("permissions:\n");
	pid_t pid = fork();
	if (pid == 0) {
		if (setgid(1000) < 0 || setuid(1000) < 0) {
			printf("setuid: %s\n", errname(errno));
			_exit(1);
		}
		first_ns_user("uid 1000");
		if (own_ns_user() < 0)
			_exit(0);
		try("core/somaxconn", "100");
		try("ipv4/ip_local_port_range", "50000 50100");
		_exit(0);
	}
	int status;
	waitpid(pid, &status, 0);
	printf("child exit %d\n", WEXITSTATUS(status));
	printf("  somaxconn of this namespace is still %s\n", readval("core/somaxconn"));
	return 0;
}
