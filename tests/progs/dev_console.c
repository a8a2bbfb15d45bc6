/* dev_console: kite's stdio as the application sees it. Prints only what
 * the host and kite agree on under the same harness: the kind of each
 * stdio fd and whether terminal ioctls work on it. */
#include <errno.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

static const char *ename(int e) {
	switch (e) {
	case 0: return "OK";
	case ENOTTY: return "ENOTTY";
	case EINVAL: return "EINVAL";
	case EBADF: return "EBADF";
	case ESPIPE: return "ESPIPE";
	}
	return "E?";
}

static const char *kind(mode_t m) {
	if (S_ISFIFO(m)) return "fifo";
	if (S_ISCHR(m)) return "chr";
	if (S_ISREG(m)) return "reg";
	if (S_ISSOCK(m)) return "sock";
	return "other";
}

int main(void) {
	for (int fd = 0; fd <= 2; fd++) {
		struct stat st;
		if (fstat(fd, &st) != 0) {
			printf("fd %d: fstat %s\n", fd, ename(errno));
			continue;
		}
		struct termios t;
		struct winsize ws;
		int tty = isatty(fd);
		errno = 0;
		int r1 = tcgetattr(fd, &t);
		int e1 = r1 ? errno : 0;
		errno = 0;
		int r2 = ioctl(fd, TIOCGWINSZ, &ws);
		int e2 = r2 ? errno : 0;
		errno = 0;
		pid_t pg = tcgetpgrp(fd);
		int e3 = pg < 0 ? errno : 0;
		printf("fd %d: %s isatty=%d tcgetattr=%s winsz=%s tcgetpgrp=%s\n", fd, kind(st.st_mode),
		       tty, ename(e1), ename(e2), ename(e3));
	}
	/* A write to stdout reaches the harness. */
	fflush(stdout);
	ssize_t n = write(1, "direct write\n", 13);
	printf("write returned %zd\n", n);
	return 0;
}
