/* Pseudo-terminal pairs: posix_openpt, grantpt, unlockpt, ptsname,
 * openpty, the TIOCSPTLCK lock, TIOCGPTN, TIOCGPTPEER, isatty and
 * ttyname, default settings, data both ways, and what each side sees
 * when the other closes. */
#include "tty_common.h"
#include <pty.h>

int main(void) {
	int m = posix_openpt(O_RDWR | O_NOCTTY);
	if (m < 0) {
		printf("posix_openpt: %s\n", errname(errno));
		return 1;
	}
	printf("master isatty %d\n", isatty(m));
	unsigned n = 99;
	printf("TIOCGPTN %s\n", errname(ioctl(m, TIOCGPTN, &n) < 0 ? errno : 0));
	char path[64];
	snprintf(path, sizeof path, "/dev/pts/%u", n);
	struct stat st;
	printf("slave node exists %d\n", stat(path, &st) == 0 && S_ISCHR(st.st_mode));
	int fd = open(path, O_RDWR | O_NOCTTY);
	printf("open locked slave: %s\n", errname(fd < 0 ? errno : 0));
	int lock = -1;
	ioctl(m, TIOCGPTLCK, &lock);
	printf("TIOCGPTLCK %d\n", lock);
	printf("grantpt %d unlockpt %d\n", grantpt(m), unlockpt(m));
	ioctl(m, TIOCGPTLCK, &lock);
	printf("TIOCGPTLCK after unlockpt %d\n", lock);
	char *name = ptsname(m);
	printf("ptsname matches TIOCGPTN %d\n", name && strcmp(name, path) == 0);
	int s = open(path, O_RDWR | O_NOCTTY);
	if (s < 0) {
		printf("open slave: %s\n", errname(errno));
		return 1;
	}
	printf("slave isatty %d, rdev major %u minor matches %d\n", isatty(s), major(st.st_rdev) - (n / 256), minor(st.st_rdev) == n % 256);
	char *tn = ttyname(s);
	printf("ttyname(slave) matches %d\n", tn && strcmp(tn, path) == 0);
	struct stat fst;
	fstat(s, &fst);
	printf("fstat slave rdev == stat rdev %d\n", fst.st_rdev == st.st_rdev);

	struct termios t;
	tcgetattr(s, &t);
	printf("slave iflag %#o oflag %#o cflag %#o lflag %#o\n", t.c_iflag, t.c_oflag, t.c_cflag, t.c_lflag);
	printf("slave cc VINTR %d VQUIT %d VERASE %d VKILL %d VEOF %d VMIN %d VTIME %d VSUSP %d\n", t.c_cc[VINTR], t.c_cc[VQUIT], t.c_cc[VERASE], t.c_cc[VKILL], t.c_cc[VEOF], t.c_cc[VMIN], t.c_cc[VTIME], t.c_cc[VSUSP]);
	printf("speed %d\n", (int)cfgetospeed(&t) == B38400);
	tcgetattr(m, &t);
	printf("master iflag %#o oflag %#o lflag %#o\n", t.c_iflag, t.c_oflag, t.c_lflag);
	struct winsize ws = {1, 2, 3, 4};
	ioctl(s, TIOCGWINSZ, &ws);
	printf("winsize %d %d %d %d\n", ws.ws_row, ws.ws_col, ws.ws_xpixel, ws.ws_ypixel);

	/* slave output through ONLCR */
	write(s, "out\n", 4);
	char buf[256];
	int k = drain(m, buf, sizeof buf, 100);
	show("master reads", buf, k);
	/* master input, canonical: a line with its echo */
	write(m, "in\n", 3);
	k = read(s, buf, sizeof buf);
	show("slave reads", buf, k);
	k = drain(m, buf, sizeof buf, 100);
	show("echo", buf, k);

	int avail = -1;
	write(m, "ab\n", 3);
	struct pollfd ps = {s, POLLIN, 0};
	poll(&ps, 1, 2000);
	ioctl(s, FIONREAD, &avail);
	printf("FIONREAD full line %d\n", avail);
	tcflush(s, TCIFLUSH);
	ioctl(s, FIONREAD, &avail);
	printf("FIONREAD after flush %d\n", avail);
	drain(m, buf, sizeof buf, 50);

	/* TIOCEXCL: root may still open the slave */
	int ex = -1;
	printf("TIOCEXCL %s\n", errname(ioctl(s, TIOCEXCL) < 0 ? errno : 0));
	ioctl(s, TIOCGEXCL, &ex);
	printf("TIOCGEXCL slave %d\n", ex);
	ioctl(m, TIOCGEXCL, &ex);
	printf("TIOCGEXCL master %d\n", ex);
	int s2 = open(path, O_RDWR | O_NOCTTY);
	printf("open exclusive slave as euid 0: %s\n", geteuid() == 0 ? errname(s2 < 0 ? errno : 0) : "skipped");
	if (s2 >= 0)
		close(s2);
	ioctl(s, TIOCNXCL);
	int ld = -1;
	ioctl(s, TIOCGETD, &ld);
	printf("TIOCGETD %d\n", ld);

	/* TIOCGPTPEER */
	int peer = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY);
	if (peer < 0) {
		printf("TIOCGPTPEER %s\n", errname(errno));
	} else {
		tn = ttyname(peer);
		printf("TIOCGPTPEER isatty %d ttyname matches %d\n", isatty(peer), tn && strcmp(tn, path) == 0);
		close(peer);
	}
	printf("TIOCGPTPEER on slave: %s\n", errname(ioctl(s, TIOCGPTPEER, O_RDWR) < 0 ? errno : 0));

	/* openpty */
	int am, as;
	char an[64];
	struct winsize w2 = {24, 80, 0, 0};
	if (openpty(&am, &as, an, NULL, &w2) < 0) {
		printf("openpty: %s\n", errname(errno));
	} else {
		struct winsize g;
		ioctl(as, TIOCGWINSZ, &g);
		printf("openpty winsize %dx%d isatty %d %d\n", g.ws_row, g.ws_col, isatty(am), isatty(as));
		/* the slave closes: master reads what is left, then EIO */
		write(as, "bye", 3);
		close(as);
		struct pollfd p = {am, POLLIN | POLLOUT, 0};
		poll(&p, 1, 0);
		printf("master poll after slave close %#x\n", p.revents);
		k = read(am, buf, sizeof buf);
		show("master reads leftover", buf, k);
		k = read(am, buf, sizeof buf);
		printf("master read after: %d %s\n", k, errname(k < 0 ? errno : 0));
		printf("master write after: %zd\n", write(am, "x", 1));
		close(am);
	}

	/* the master closes: slave reads EOF, writes EIO; node gone */
	close(m);
	struct pollfd p = {s, POLLIN | POLLOUT, 0};
	poll(&p, 1, 0);
	printf("slave poll after master close %#x\n", p.revents);
	k = read(s, buf, sizeof buf);
	printf("slave read: %d %s\n", k, errname(k < 0 ? errno : 0));
	k = write(s, "x", 1);
	printf("slave write: %d %s\n", k, errname(k < 0 ? errno : 0));
	k = tcgetattr(s, &t);
	printf("slave tcgetattr: %d %s\n", k, errname(k < 0 ? errno : 0));
	printf("node after master close: %s\n", errname(stat(path, &st) < 0 ? errno : 0));
	close(s);
	int bad = open("/dev/pts/ptmx", O_RDWR);
	printf("open /dev/pts/ptmx (mode 000 for root too? ) %s\n", errname(bad < 0 ? errno : 0));
	return 0;
}
