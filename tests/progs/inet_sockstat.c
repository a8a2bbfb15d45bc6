/* /proc/net/sockstat and sockstat6 in a new network namespace: the TCP
 * sockets in use are the listening and connected ones (not a socket
 * that is only made or bound), UDP sockets count once bound (by bind or
 * by connect's autobind), IPv6 sockets in the "6" file; closing a
 * listener takes it off. Only the "inuse" numbers are printed (the
 * others count the machine's sockets or memory). A user without
 * privileges does the same as root of a user namespace that owns the
 * network namespace. */
#include "inet_common.h"
#include "netns_common.h"
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>

static void show(const char *label) {
	char line[256];
	printf("%s:", label);
	const char *files[] = {"/proc/net/sockstat", "/proc/net/sockstat6"};
	for (int i = 0; i < 2; i++) {
		FILE *f = fopen(files[i], "r");
		if (!f) {
			printf(" %s: %s", files[i], errname(errno));
			continue;
		}
		while (fgets(line, sizeof line, f)) {
			char proto[32];
			int n;
			if (sscanf(line, "%31s inuse %d", proto, &n) == 2 && strstr(proto, "FRAG") == NULL)
				printf(" %s%d", proto, n);
		}
		fclose(f);
	}
	printf("\n");
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (own_netns() < 0)
		return 0;
	show("start");
	int t = socket(AF_INET, SOCK_STREAM, 0);
	show("a TCP socket");
	iaddr a;
	socklen_t l = loopback(&a, AF_INET, 0);
	bind(t, &a.sa, l);
	show("bound");
	listen(t, 4);
	show("listening");
	int c = connect_to(AF_INET, SOCK_STREAM, local_port(t));
	int acc = accept(t, NULL, NULL);
	show("connected and accepted");
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	show("a UDP socket");
	bind(u, &a.sa, l);
	show("bound");
	int u2 = connect_to(AF_INET, SOCK_DGRAM, local_port(u));
	show("another connected");
	int t6 = listener(AF_INET6, SOCK_STREAM);
	int u6 = listener(AF_INET6, SOCK_DGRAM);
	show("IPv6 TCP listener and bound UDP socket");
	close(t6);
	close(u6);
	close(u2);
	show("closed those and the connected UDP one");
	close(t);
	show("closed the first listener");
	close(u);
	(void)c, (void)acc;
	return 0;
}
