/* MSG_OOB on TCP over 127.0.0.1 as Linux has it (run under kite with
 * --net=host only: kite's own stack, gVisor's tcpip, carries no urgent
 * data). The last byte of a MSG_OOB send is the urgent byte: POLLPRI,
 * SIGURG to the owner, ordinary reads stop at the mark and skip the
 * byte, SIOCATMARK, recv(MSG_OOB) takes it once (then EINVAL);
 * SO_OOBINLINE leaves it in the stream (MSG_OOB is EINVAL); MSG_OOB
 * with no urgent data is EINVAL, on UDP EOPNOTSUPP. */
#include "../progs/inet_common.h"
#include <signal.h>
#include <sys/ioctl.h>

static volatile sig_atomic_t urgs;

static void on_urg(int sig) {
	(void)sig;
	urgs++;
}

static void show(const char *label, int fd, int flags) {
	char buf[64];
	long n = recv(fd, buf, sizeof buf - 1, flags | MSG_DONTWAIT);
	if (n < 0) {
		printf("%s: %s\n", label, errname(errno));
		return;
	}
	buf[n] = 0;
	printf("%s: %ld \"%s\"\n", label, n, buf);
}

static void atmark(const char *label, int fd) {
	int v = -1;
	if (ioctl(fd, SIOCATMARK, &v) < 0)
		printf("%s: SIOCATMARK %s\n", label, errname(errno));
	else
		printf("%s: SIOCATMARK %d\n", label, v);
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGURG, on_urg);
	int l = listener(AF_INET, SOCK_STREAM);
	int c = connect_to(AF_INET, SOCK_STREAM, local_port(l));
	int s = accept(l, NULL, NULL);
	if (fcntl(s, F_SETOWN, getpid()) < 0)
		printf("F_SETOWN: %s\n", errname(errno));
	show("MSG_OOB before any urgent data", s, MSG_OOB);

	if (send(c, "abc", 3, 0) != 3 || send(c, "d", 1, MSG_OOB) != 1)
		printf("send: %s\n", errname(errno));
	int r = waitfor(s, POLLPRI);
	printf("poll: POLLIN %d POLLPRI %d\n", !!(r & POLLIN), !!(r & POLLPRI));
	printf("SIGURG: %s\n", urgs > 0 ? "yes" : "no");
	atmark("before reading", s);
	show("recv", s, 0);
	atmark("after the data before the mark", s);
	show("recv MSG_OOB|MSG_PEEK", s, MSG_OOB | MSG_PEEK);
	show("recv MSG_OOB", s, MSG_OOB);
	show("recv MSG_OOB again", s, MSG_OOB);
	show("recv", s, 0);

	/* A new urgent byte after the last was read (no poll in between)
	 * sends SIGURG again, before poll can see POLLPRI. */
	int before = urgs;
	if (send(c, "efg", 3, MSG_OOB) != 3 || send(c, "hi", 2, 0) != 2)
		printf("send: %s\n", errname(errno));
	waitfor(s, POLLPRI);
	printf("SIGURG for the new urgent byte: %s\n", urgs > before ? "yes" : "no");
	show("recv after \"efg\" (urgent g) and \"hi\"", s, 0);
	show("recv MSG_OOB", s, MSG_OOB);
	/* "hi" may or may not have arrived yet: wait for it. */
	waitfor(s, POLLIN);
	show("recv", s, 0);

	setint(s, SOL_SOCKET, SO_OOBINLINE, 1);
	printf("SO_OOBINLINE: %d\n", getint(s, SOL_SOCKET, SO_OOBINLINE));
	if (send(c, "xy", 2, 0) != 2 || send(c, "z", 1, MSG_OOB) != 1)
		printf("send: %s\n", errname(errno));
	waitfor(s, POLLPRI);
	show("inline: recv MSG_OOB", s, MSG_OOB);
	show("inline: recv", s, 0);
	atmark("inline: at the urgent byte", s);
	show("inline: recv", s, 0);

	int u = socket(AF_INET, SOCK_DGRAM, 0);
	show("UDP recv MSG_OOB", u, MSG_OOB);
	iaddr a;
	socklen_t al = loopback(&a, AF_INET, local_port(l));
	printf("UDP sendto MSG_OOB: %s\n", sendto(u, "x", 1, MSG_OOB, &a.sa, al) < 0 ? errname(errno) : "sent");
	close(u);
	close(c);
	close(s);
	close(l);
	return 0;
}
