/* The old System V terminal ioctls on a pseudo-terminal: TCGETA and
 * TCSETA/TCSETAW/TCSETAF (struct termio: the low 16 bits of each flag
 * word and 8 control characters; the high bits stay), and the locked
 * settings of TIOCGLCKTRMIOS/TIOCSLCKTRMIOS (CAP_SYS_ADMIN to set; what
 * they mark, a TCSETS cannot change). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

/* struct termio of <termio.h>, which musl does not ship. */
struct old_termio {
	unsigned short c_iflag, c_oflag, c_cflag, c_lflag;
	unsigned char c_line;
	unsigned char c_cc[8];
};

static void check(const char *label, int r) {
	if (r < 0)
		printf("%s: -1 %s\n", label, strerror(errno));
	else
		printf("%s: %d\n", label, r);
}

static struct termios get(int fd) {
	struct termios t;
	tcgetattr(fd, &t);
	return t;
}

int main(void) {
	int m = posix_openpt(O_RDWR | O_NOCTTY);
	if (m < 0 || grantpt(m) || unlockpt(m)) {
		perror("pty");
		return 1;
	}
	int s = open(ptsname(m), O_RDWR | O_NOCTTY);
	if (s < 0) {
		perror("slave");
		return 1;
	}

	unsigned char raw[64];
	memset(raw, 0xee, sizeof raw);
	check("TCGETA", ioctl(s, TCGETA, raw));
	int n = 0;
	for (int i = 0; i < 64; i++)
		if (raw[i] != 0xee)
			n = i + 1;
	printf("TCGETA wrote %d bytes\n", n);
	struct old_termio o;
	memcpy(&o, raw, sizeof o);
	struct termios t = get(s);
	printf("TCGETA matches TCGETS: %d\n",
	       o.c_iflag == (t.c_iflag & 0xffff) && o.c_oflag == (t.c_oflag & 0xffff) &&
		       o.c_cflag == (t.c_cflag & 0xffff) && o.c_lflag == (t.c_lflag & 0xffff) &&
		       o.c_line == t.c_line && memcmp(o.c_cc, t.c_cc, 8) == 0);
	check("TCGETA on master", ioctl(m, TCGETA, &o));

	/* A high bit (EXTPROC) set with TCSETS survives a TCSETA. */
	t.c_lflag |= EXTPROC;
	tcsetattr(s, TCSANOW, &t);
	o.c_lflag &= ~ECHO;
	o.c_cc[VINTR] = 'x';
	check("TCSETA", ioctl(s, TCSETA, &o));
	t = get(s);
	printf("after TCSETA: ECHO %d EXTPROC %d VINTR %c\n", !!(t.c_lflag & ECHO), !!(t.c_lflag & EXTPROC),
	       t.c_cc[VINTR]);
	o.c_lflag |= ECHO;
	check("TCSETAW", ioctl(s, TCSETAW, &o));
	printf("after TCSETAW: ECHO %d\n", !!(get(s).c_lflag & ECHO));

	/* TCSETAF drops typed input. */
	if (write(m, "abc\n", 4) != 4)
		return 1;
	struct pollfd p = {s, POLLIN, 0};
	printf("input readable: %d\n", poll(&p, 1, 120000));
	check("TCSETAF", ioctl(s, TCSETAF, &o));
	int q = -1;
	ioctl(s, FIONREAD, &q);
	printf("after TCSETAF: %d bytes to read\n", q);
	check("TCGETA bad address", ioctl(s, TCGETA, (void *)8));
	check("TCSETA bad address", ioctl(s, TCSETA, (void *)8));

	/* Locked settings. */
	memset(raw, 0xee, sizeof raw);
	check("TIOCGLCKTRMIOS", ioctl(s, TIOCGLCKTRMIOS, raw));
	n = 0;
	int nonzero = 0;
	for (int i = 0; i < 64; i++)
		if (raw[i] != 0xee) {
			n = i + 1;
			nonzero |= raw[i] != 0;
		}
	printf("TIOCGLCKTRMIOS wrote %d bytes, any set %d\n", n, nonzero);
	struct termios lock;
	memset(&lock, 0, sizeof lock);
	lock.c_lflag = ECHO;
	lock.c_cc[VEOF] = 1;
	int r = ioctl(m, TIOCSLCKTRMIOS, &lock);
	check("TIOCSLCKTRMIOS on master", r);
	if (r == 0) {
		t = get(s);
		t.c_lflag &= ~(ECHO | ICANON);
		t.c_cc[VEOF] = 'e';
		tcsetattr(s, TCSANOW, &t);
		t = get(s);
		printf("locked: ECHO %d ICANON %d VEOF %d\n", !!(t.c_lflag & ECHO), !!(t.c_lflag & ICANON),
		       t.c_cc[VEOF]);
		memset(&lock, 0xee, sizeof lock);
		check("TIOCGLCKTRMIOS", ioctl(s, TIOCGLCKTRMIOS, &lock));
		printf("lock: lflag %#x VEOF %d\n", lock.c_lflag, lock.c_cc[VEOF]);
		memset(&lock, 0, sizeof lock);
		check("TIOCSLCKTRMIOS clear", ioctl(s, TIOCSLCKTRMIOS, &lock));
		t.c_lflag &= ~ECHO;
		tcsetattr(s, TCSANOW, &t);
		printf("unlocked: ECHO %d\n", !!(get(s).c_lflag & ECHO));
	}
	check("TIOCGLCKTRMIOS bad address", ioctl(s, TIOCGLCKTRMIOS, (void *)8));
	return 0;
}
