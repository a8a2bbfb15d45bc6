/* What a pseudo-terminal's flushes drop: a signal character (without
 * NOFLSH) and tcflush(TCIFLUSH) on the slave discard the slave's unread
 * input; output the slave wrote that reached the master (a shell's
 * echo, a command's output) stays for the master to read after the
 * slave's TCOFLUSH or a ^C (expect and script read it later); the
 * master's TCIFLUSH discards it; the master's TCOFLUSH leaves input the
 * slave already has. Packet mode reports the slave's flushes. Each step
 * first polls until the bytes have arrived: Linux drops bytes still in
 * flight, a race this test does not look at. */
#include "tty_common.h"

static char buf[4096];

static void avail(const char *label, int fd) {
	int n = -1;
	if (ioctl(fd, FIONREAD, &n) < 0)
		printf("%s FIONREAD: %s\n", label, errname(errno));
	else
		printf("%s FIONREAD %d\n", label, n);
}

/* ready waits until fd is readable. */
static void ready(const char *label, int fd) {
	struct pollfd p = {fd, POLLIN, 0};
	if (poll(&p, 1, 10000) != 1)
		printf("%s: not readable\n", label);
}

/* echoed reads the n bytes of echo the master must get. */
static void echoed(int m, int n) {
	int got = 0;
	while (got < n) {
		ready("echo", m);
		int k = read(m, buf + got, n - got);
		if (k <= 0) {
			printf("echo read: %d %s\n", k, errname(errno));
			return;
		}
		got += k;
	}
	show("echo", buf, got);
}

static void master_reads(const char *label, int m) {
	int n = drain(m, buf, sizeof buf, 200);
	show(label, buf, n);
}

int main(void) {
	int m, s;
	if (open_pair(&m, &s, 0) < 0)
		return 1;
	struct termios tio;
	tcgetattr(s, &tio);
	tio.c_lflag |= ISIG | ECHO | ECHOCTL | ICANON;
	tio.c_lflag &= ~NOFLSH;
	tcsetattr(s, TCSANOW, &tio);

	/* ^C after the slave wrote: the output stays. */
	write(s, "out1\n", 5);
	ready("out1", m);
	write(m, "\x03", 1);
	master_reads("after ^C", m);

	/* ^Z drops a partly typed line, not its echo. */
	write(m, "abc", 3);
	echoed(m, 3);
	write(m, "\x1a", 1);
	master_reads("after ^Z", m);
	write(m, "\n", 1);
	ready("newline", s);
	avail("slave after ^Z and a newline", s);
	master_reads("echo of the newline", m);
	tcflush(s, TCIFLUSH);

	/* With NOFLSH the line stays. */
	tio.c_lflag |= NOFLSH;
	tcsetattr(s, TCSANOW, &tio);
	write(m, "ghi", 3);
	echoed(m, 3);
	write(m, "\x03", 1);
	master_reads("after ^C with NOFLSH", m);
	write(m, "\n", 1);
	ready("newline", s);
	avail("slave after ^C with NOFLSH and a newline", s);
	master_reads("echo of the newline", m);
	tcflush(s, TCIFLUSH);
	tio.c_lflag &= ~(NOFLSH | ECHO);
	tcsetattr(s, TCSANOW, &tio);

	/* tcflush on the slave. */
	write(s, "out4\n", 5);
	ready("out4", m);
	printf("slave TCOFLUSH: %d\n", tcflush(s, TCOFLUSH));
	master_reads("master reads after slave TCOFLUSH", m);
	write(m, "in5\n", 4);
	ready("in5", s);
	printf("slave TCIFLUSH: %d\n", tcflush(s, TCIFLUSH));
	avail("slave after slave TCIFLUSH", s);

	/* tcflush on the master. */
	write(s, "out6\n", 5);
	ready("out6", m);
	printf("master TCIFLUSH: %d\n", tcflush(m, TCIFLUSH));
	master_reads("master reads after master TCIFLUSH", m);
	write(m, "in7\n", 4);
	ready("in7", s);
	printf("master TCOFLUSH: %d\n", tcflush(m, TCOFLUSH));
	avail("slave after master TCOFLUSH", s);
	tcflush(s, TCIFLUSH);

	/* Packet mode: the slave's flushes are reported to the master. */
	int one = 1;
	if (ioctl(m, TIOCPKT, &one) < 0)
		printf("TIOCPKT: %s\n", errname(errno));
	write(s, "out8\n", 5);
	ready("out8", m);
	tcflush(s, TCOFLUSH);
	master_reads("packet mode after slave TCOFLUSH", m);
	write(s, "out9\n", 5);
	ready("out9", m);
	tcflush(s, TCIFLUSH);
	master_reads("packet mode after slave TCIFLUSH", m);
	write(m, "\x03", 1);
	ready("^C", m);
	int n = read(m, buf, sizeof buf);
	show("packet mode after ^C", buf, n < 0 ? 0 : n);
	return 0;
}
