/* Controlling terminals and job control on a pseudo-terminal: TIOCSCTTY
 * rules, TIOCGSID, TIOCGPGRP/TIOCSPGRP checks, signals from VINTR, VQUIT
 * and VSUSP to the foreground group, SIGWINCH on a size change,
 * SIGTTOU/SIGTTIN for a background group, TIOCNOTTY, the hang-up of the
 * session when the master closes, and packet mode. Everything that
 * needs a controlling terminal runs in a child that calls setsid, so the
 * runner's own session does not matter. */
#include "tty_common.h"

static volatile sig_atomic_t got[65];
static void on_sig(int sig) { got[sig]++; }

static void report(const char *label, int r) {
	printf("%s: %s\n", label, errname(r < 0 ? errno : 0));
}

/* session runs as a new session's leader with the slave s. */
static int session(int m, int s, const char *path) {
	char buf[256];
	int r;
	pid_t sid = setsid();
	printf("setsid ok %d\n", sid == getpid());
	pid_t x;
	report("TIOCGSID before acquiring", ioctl(s, TIOCGSID, &x));
	report("TIOCGPGRP before acquiring", ioctl(s, TIOCGPGRP, &x));
	report("TIOCSCTTY", ioctl(s, TIOCSCTTY, 0));
	report("TIOCSCTTY again", ioctl(s, TIOCSCTTY, 0));
	r = ioctl(s, TIOCGSID, &x);
	printf("TIOCGSID is own session %d\n", r == 0 && x == getpid());
	printf("tcgetpgrp is own group %d\n", tcgetpgrp(s) == getpgrp());
	printf("tcgetsid %d\n", tcgetsid(s) == getpid());
	int t = open("/dev/tty", O_RDWR);
	printf("/dev/tty opens %d isatty %d\n", t >= 0, t >= 0 && isatty(t));
	if (t >= 0)
		close(t);
	char *n = ttyname(s);
	printf("ttyname %d\n", n && strcmp(n, path) == 0);

	/* another pseudo-terminal cannot be acquired while one is held */
	int m2, s2;
	if (open_pair(&m2, &s2, 0) == 0) {
		report("TIOCSCTTY second terminal", ioctl(s2, TIOCSCTTY, 0));
		close(s2);
		close(m2);
	}
	report("tcsetpgrp to no such group", tcsetpgrp(s, 99999));
	report("tcsetpgrp negative", tcsetpgrp(s, -1));

	signal(SIGINT, on_sig);
	signal(SIGQUIT, on_sig);
	signal(SIGTSTP, on_sig);
	signal(SIGWINCH, on_sig);
	signal(SIGTTOU, on_sig);
	signal(SIGTTIN, on_sig);
	signal(SIGHUP, on_sig);
	signal(SIGCONT, on_sig);
	write(m, "abc\003", 4);
	write(m, "\034", 1);
	write(m, "\032", 1);
	/* wait for the three signals (they come from the master write) */
	for (int i = 0; i < 200 && !(got[SIGINT] && got[SIGQUIT] && got[SIGTSTP]); i++)
		usleep(10000);
	printf("SIGINT %d SIGQUIT %d SIGTSTP %d\n", got[SIGINT], got[SIGQUIT], got[SIGTSTP]);
	drain(m, buf, sizeof buf, 50);
	int avail = -1;
	ioctl(s, FIONREAD, &avail);
	printf("input flushed by VINTR: %d\n", avail);

	struct winsize w = {30, 100, 0, 0};
	ioctl(m, TIOCSWINSZ, &w);
	for (int i = 0; i < 200 && !got[SIGWINCH]; i++)
		usleep(10000);
	printf("SIGWINCH on change %d\n", got[SIGWINCH]);
	ioctl(s, TIOCSWINSZ, &w);
	usleep(50000);
	printf("SIGWINCH on same size %d\n", got[SIGWINCH]);
	struct winsize g;
	ioctl(s, TIOCGWINSZ, &g);
	printf("winsize %dx%d\n", g.ws_row, g.ws_col);

	/* a background group: SIGTTOU with TOSTOP, SIGTTIN on read */
	int sync[2];
	pipe(sync);
	pid_t bg = fork();
	if (bg == 0) {
		setpgid(0, 0);
		/* no SA_RESTART: the call fails with EINTR after the handler */
		struct sigaction sa = {0};
		sa.sa_handler = on_sig;
		sigaction(SIGTTOU, &sa, NULL);
		sigaction(SIGTTIN, &sa, NULL);
		struct termios tio;
		tcgetattr(s, &tio);
		printf("bg: tcsetattr with SIGTTOU caught: %s (SIGTTOU %d)\n", tcsetattr(s, TCSANOW, &tio) < 0 ? errname(errno) : "OK", got[SIGTTOU]);
		signal(SIGTTOU, SIG_IGN);
		report("bg: tcsetattr with SIGTTOU ignored", tcsetattr(s, TCSANOW, &tio));
		report("bg: write without TOSTOP", write(s, "w", 1));
		char c;
		int rr = read(s, &c, 1);
		printf("bg: read with SIGTTIN caught: %s (SIGTTIN %d)\n", rr < 0 ? errname(errno) : "OK", got[SIGTTIN]);
		signal(SIGTTIN, SIG_IGN);
		report("bg: read with SIGTTIN ignored", read(s, &c, 1));
		report("bg: tcsetpgrp with SIGTTOU ignored", tcsetpgrp(s, getpgrp()));
		printf("bg: now foreground %d\n", tcgetpgrp(s) == getpgrp());
		fflush(stdout);
		_exit(0);
	}
	int st;
	waitpid(bg, &st, 0);
	printf("bg child exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	drain(m, buf, sizeof buf, 50);
	report("tcsetpgrp back, SIGTTOU ignored", (signal(SIGTTOU, SIG_IGN), tcsetpgrp(s, getpgrp())));
	printf("foreground again %d\n", tcgetpgrp(s) == getpgrp());

	/* a child's TIOCSCTTY: not a session leader */
	pid_t c = fork();
	if (c == 0) {
		report("child TIOCSCTTY (not leader)", ioctl(s, TIOCSCTTY, 0));
		report("child TIOCNOTTY", ioctl(s, TIOCNOTTY));
		int t2 = open("/dev/tty", O_RDWR);
		report("child /dev/tty after TIOCNOTTY", t2);
		fflush(stdout);
		_exit(0);
	}
	waitpid(c, &st, 0);
	printf("leader still has it %d\n", tcgetsid(s) == getpid());

	/* the master closes: the leader gets SIGHUP and SIGCONT */
	got[SIGHUP] = got[SIGCONT] = 0;
	close(m);
	for (int i = 0; i < 200 && !(got[SIGHUP] && got[SIGCONT]); i++)
		usleep(10000);
	printf("hang-up: SIGHUP %d SIGCONT %d\n", got[SIGHUP], got[SIGCONT]);
	int t3 = open("/dev/tty", O_RDWR);
	report("/dev/tty after hang-up", t3);
	return 0;
}

int main(void) {
	setvbuf(stdout, NULL, _IONBF, 0);
	int m, s;
	if (open_pair(&m, &s, 0) < 0)
		return 1;
	char path[64];
	snprintf(path, sizeof path, "%s", ptsname(m));
	pid_t x;
	pid_t c = fork();
	if (c == 0) {
		int r = session(m, s, path);
		_exit(r);
	}
	/* the child holds the only master, so its close hangs up */
	close(m);
	close(s);
	int st;
	waitpid(c, &st, 0);
	printf("session exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	(void)x;

	/* packet mode */
	if (open_pair(&m, &s, 0) < 0)
		return 1;
	int on = 1;
	report("TIOCPKT", ioctl(m, TIOCPKT, &on));
	char buf[64];
	write(s, "hi", 2);
	int n = read(m, buf, sizeof buf);
	show("packet data", buf, n);
	tcflush(s, TCIFLUSH);
	struct pollfd p = {m, POLLIN | POLLPRI, 0};
	poll(&p, 1, 1000);
	printf("packet poll %#x\n", p.revents);
	n = read(m, buf, sizeof buf);
	show("packet after TCIFLUSH", buf, n);
	struct termios t;
	tcgetattr(s, &t);
	t.c_iflag &= ~IXON;
	tcsetattr(s, TCSANOW, &t);
	n = read(m, buf, sizeof buf);
	show("packet after -ixon", buf, n);
	int pk = -1;
	ioctl(m, TIOCGPKT, &pk);
	printf("TIOCGPKT %d\n", pk);
	return 0;
}
