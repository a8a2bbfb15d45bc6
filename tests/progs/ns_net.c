/* Network namespaces: unshare(CLONE_NEWNET) gives a stack of its own
 * with only lo, down and without addresses (bind EADDRNOTAVAIL, connect
 * ENETUNREACH); SIOCSIFFLAGS brings lo up with 127.0.0.1 and ::1; a
 * listener of the old namespace is not reachable from the new one
 * (ECONNREFUSED) and is again after setns back through a saved
 * /proc/self/ns/net fd; /proc/net/tcp and getifaddrs show the
 * namespace's own sockets and addresses. Without privileges unshare is
 * EPERM, and with a user namespace the new network namespace is its. */
#include "inet_common.h"
#include <ifaddrs.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/wait.h>

static ino_t nsino(const char *p) {
	struct stat st;
	if (stat(p, &st) < 0) return 0;
	return st.st_ino;
}

static int lo_flags(void) {
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	struct ifreq r;
	memset(&r, 0, sizeof r);
	strcpy(r.ifr_name, "lo");
	int rc = ioctl(s, SIOCGIFFLAGS, &r);
	close(s);
	return rc < 0 ? -errno : r.ifr_flags;
}

static int set_lo(int up) {
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	struct ifreq r;
	memset(&r, 0, sizeof r);
	strcpy(r.ifr_name, "lo");
	ioctl(s, SIOCGIFFLAGS, &r);
	if (up)
		r.ifr_flags |= IFF_UP;
	else
		r.ifr_flags &= ~IFF_UP;
	int rc = ioctl(s, SIOCSIFFLAGS, &r);
	close(s);
	return rc;
}

static int tcp_lines(void) {
	FILE *f = fopen("/proc/net/tcp", "r");
	if (!f) return -1;
	int n = 0, c;
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

static void addrs(const char *label) {
	struct ifaddrs *ifa, *p;
	if (getifaddrs(&ifa) < 0) {
		printf("%s: getifaddrs -1 %s\n", label, errname(errno));
		return;
	}
	int v4 = 0, v6 = 0;
	for (p = ifa; p; p = p->ifa_next) {
		if (!p->ifa_addr || strcmp(p->ifa_name, "lo") != 0) continue;
		v4 += p->ifa_addr->sa_family == AF_INET;
		v6 += p->ifa_addr->sa_family == AF_INET6;
	}
	freeifaddrs(ifa);
	printf("%s: lo has %d IPv4 and %d IPv6 addresses\n", label, v4, v6);
}

/* try_connect connects to 127.0.0.1:port and reports the outcome. */
static void try_connect(const char *label, int fam, int port) {
	iaddr a;
	socklen_t l = loopback(&a, fam, port);
	int s = socket(fam, SOCK_STREAM, 0);
	ICHECK(label, connect(s, &a.sa, l));
	close(s);
}

static void in_new_namespace(int port, int saved) {
	ino_t before = nsino("/proc/self/ns/net");
	int rc = unshare(CLONE_NEWNET);
	if (rc < 0 && errno == EPERM) {
		printf("unshare(CLONE_NEWNET): -1 EPERM\n");
		rc = unshare(CLONE_NEWUSER | CLONE_NEWNET);
		ICHECK("unshare(CLONE_NEWUSER|CLONE_NEWNET)", rc);
	} else
		ICHECK("unshare(CLONE_NEWNET)", rc);
	if (rc < 0) return;
	printf("ns/net inode changed: %d\n", nsino("/proc/self/ns/net") != before);
	char link[64] = {0};
	readlink("/proc/self/ns/net", link, sizeof link - 1);
	printf("link prefix ok: %d\n", strncmp(link, "net:[", 5) == 0);
	printf("lo flags: UP %d LOOPBACK %d RUNNING %d\n", lo_flags() & IFF_UP, !!(lo_flags() & IFF_LOOPBACK), !!(lo_flags() & IFF_RUNNING));
	printf("/proc/net/tcp lines: %d\n", tcp_lines());
	addrs("down");
	int s = socket(AF_INET, SOCK_STREAM, 0);
	iaddr a;
	socklen_t l = loopback(&a, AF_INET, 0);
	ICHECK("bind 127.0.0.1 with lo down", bind(s, &a.sa, l));
	close(s);
	try_connect("connect 127.0.0.1 with lo down", AF_INET, port);
	ICHECK("SIOCSIFFLAGS up", set_lo(1));
	printf("lo flags: UP %d RUNNING %d\n", !!(lo_flags() & IFF_UP), !!(lo_flags() & IFF_RUNNING));
	addrs("up");
	try_connect("connect to the old namespace's port", AF_INET, port);
	try_connect("connect to the old namespace's port over ::1", AF_INET6, port);
	/* A server of the new namespace. */
	int ls = listener(AF_INET, SOCK_STREAM);
	int c = connect_to(AF_INET, SOCK_STREAM, local_port(ls));
	int acc = accept(ls, NULL, NULL);
	ICHECK("send", send(c, "hi", 2, 0));
	char buf[8] = {0};
	ICHECK("recv", recv(acc, buf, sizeof buf, 0));
	printf("got %s\n", buf);
	printf("/proc/net/tcp lines with a listener and a connection: %d\n", tcp_lines());
	close(c);
	close(acc);
	close(ls);
	ICHECK("SIOCSIFFLAGS down", set_lo(0));
	addrs("down again");
	rc = setns(saved, CLONE_NEWNET);
	ICHECK("setns back", rc);
	if (rc == 0) {
		printf("back in the first namespace: %d\n", nsino("/proc/self/ns/net") == before);
		try_connect("connect to the first namespace's port", AF_INET, port);
	}
	ICHECK("setns with another type", setns(saved, CLONE_NEWUTS));
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	int l = listener(AF_INET, SOCK_STREAM);
	int port = local_port(l);
	int saved = open("/proc/self/ns/net", O_RDONLY);
	if (saved < 0) {
		printf("open /proc/self/ns/net: %s\n", errname(errno));
		return 1;
	}
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		in_new_namespace(port, saved);
		fflush(stdout);
		_exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
	printf("child exited %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	try_connect("the first namespace still reaches its port", AF_INET, port);
	return 0;
}
