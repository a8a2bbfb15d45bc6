/* The line discipline: canonical editing (VERASE, VWERASE, VKILL, VEOF,
 * VLNEXT, VEOL), echo flags (ECHO, ECHOE, ECHOK, ECHOKE, ECHOCTL,
 * ECHONL), input flags (ICRNL, INLCR, IGNCR), output flags (OPOST,
 * ONLCR), and non-canonical reads with VMIN/VTIME. */
#include "tty_common.h"
#include <time.h>

static int m, s;

static void setflags(tcflag_t lset, tcflag_t lclr, tcflag_t iset, tcflag_t iclr) {
	struct termios t;
	tcgetattr(s, &t);
	t.c_lflag = (t.c_lflag | lset) & ~lclr;
	t.c_iflag = (t.c_iflag | iset) & ~iclr;
	tcsetattr(s, TCSANOW, &t);
}

/* line types input on the master, reads one line on the slave and shows
 * it and the echo. */
static void line(const char *label, const char *input) {
	char buf[512];
	write(m, input, strlen(input));
	int n = read(s, buf, sizeof buf);
	printf("%s\n", label);
	show("  read", buf, n < 0 ? 0 : n);
	n = drain(m, buf, sizeof buf, 50);
	show("  echo", buf, n);
}

static long ms_since(struct timespec *t0) {
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

int main(void) {
	if (open_pair(&m, &s, 0) < 0)
		return 1;
	line("plain", "hello\n");
	line("erase", "abc\177\177x\n");
	line("werase", "one two\027three\n");
	line("kill", "junk\025ok\n");
	line("lnext", "a\026\177b\n");
	line("control char echo", "x\001y\n");
	line("tab erase", "a\tb\177\177c\n");
	line("cr to nl (ICRNL)", "cr\r");
	line("eof ends a line", "partial\004");
	line("eof alone", "\004");
	setflags(0, ECHOCTL, 0, 0);
	line("no ECHOCTL", "x\001y\177\n");
	setflags(0, ECHOE, 0, 0);
	line("no ECHOE", "abc\177d\n");
	setflags(ECHOE, ECHOKE, 0, 0);
	line("ECHOK without ECHOKE", "abc\025d\n");
	setflags(ECHOKE | ECHOCTL, ECHO, 0, 0);
	line("no ECHO", "secret\n");
	setflags(ECHONL, 0, 0, 0);
	line("ECHONL", "quiet\n");
	setflags(ECHO, ECHONL, IGNCR, ICRNL);
	line("IGNCR", "a\rb\n");
	setflags(0, 0, INLCR | ICRNL, IGNCR);
	line("INLCR and ICRNL swap", "x\ny\r");
	struct termios t;
	tcgetattr(s, &t);
	t.c_cc[VEOL] = ';';
	t.c_iflag = ICRNL;
	tcsetattr(s, TCSANOW, &t);
	line("VEOL", "a;");

	/* output processing */
	char buf[256];
	write(s, "x\ny\r\tz\n", 7);
	int n = drain(m, buf, sizeof buf, 50);
	show("OPOST ONLCR", buf, n);
	t.c_oflag &= ~ONLCR;
	tcsetattr(s, TCSANOW, &t);
	write(s, "x\ny\n", 4);
	n = drain(m, buf, sizeof buf, 50);
	show("no ONLCR", buf, n);
	t.c_oflag |= ONLCR | OCRNL;
	tcsetattr(s, TCSANOW, &t);
	write(s, "a\rb\n", 4);
	n = drain(m, buf, sizeof buf, 50);
	show("OCRNL", buf, n);
	t.c_oflag &= ~(OPOST | OCRNL);
	tcsetattr(s, TCSANOW, &t);
	write(s, "raw\n", 4);
	n = drain(m, buf, sizeof buf, 50);
	show("no OPOST", buf, n);

	/* non-canonical */
	cfmakeraw(&t);
	t.c_cc[VMIN] = 3;
	t.c_cc[VTIME] = 0;
	tcsetattr(s, TCSANOW, &t);
	write(m, "ab", 2);
	struct pollfd p = {s, POLLIN, 0};
	printf("VMIN 3, 2 bytes: poll %d\n", poll(&p, 1, 100));
	write(m, "cde", 3);
	n = read(s, buf, sizeof buf);
	show("VMIN 3 read", buf, n);
	t.c_cc[VMIN] = 0;
	t.c_cc[VTIME] = 2;
	tcsetattr(s, TCSANOW, &t);
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	n = read(s, buf, sizeof buf);
	long ms = ms_since(&t0);
	printf("VMIN 0 VTIME 2 on nothing: %d after >=150ms %d <1000ms %d\n", n, ms >= 150, ms < 1000);
	write(m, "q", 1);
	n = read(s, buf, sizeof buf);
	show("VMIN 0 VTIME 2 with data", buf, n);
	t.c_cc[VTIME] = 0;
	tcsetattr(s, TCSANOW, &t);
	n = read(s, buf, sizeof buf);
	printf("VMIN 0 VTIME 0 on nothing: %d\n", n);
	t.c_cc[VMIN] = 5;
	t.c_cc[VTIME] = 1;
	tcsetattr(s, TCSANOW, &t);
	write(m, "xy", 2);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	n = read(s, buf, sizeof buf);
	ms = ms_since(&t0);
	show("VMIN 5 VTIME 1 with 2 bytes", buf, n);
	printf("  returned within 1s %d\n", ms < 1000);
	/* canonical again: the pending raw bytes make a line */
	write(m, "zz", 2);
	poll(&p, 1, 1000);
	t.c_lflag |= ICANON;
	tcsetattr(s, TCSANOW, &t);
	n = read(s, buf, sizeof buf);
	show("raw bytes after ICANON", buf, n);
	return 0;
}
