/* Helpers of the tty_* tests: a pseudo-terminal pair opened through
 * posix_openpt/grantpt/unlockpt/ptsname, and reading what the master
 * has with a bounded wait. The tests fork and setsid where they need a
 * controlling terminal, so they do not depend on the runner having one. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static const char *errname(int e) {
	switch (e) {
	case 0: return "OK";
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case ESRCH: return "ESRCH";
	case EINTR: return "EINTR";
	case EIO: return "EIO";
	case ENXIO: return "ENXIO";
	case EBADF: return "EBADF";
	case EAGAIN: return "EAGAIN";
	case EACCES: return "EACCES";
	case EBUSY: return "EBUSY";
	case EINVAL: return "EINVAL";
	case ENOTTY: return "ENOTTY";
	case ENOSPC: return "ENOSPC";
	case ENOSYS: return "ENOSYS";
	}
	static char buf[32];
	snprintf(buf, sizeof buf, "errno %d", e);
	return buf;
}

/* open_pair opens a master and its slave (O_NOCTTY unless ctty). */
static int open_pair(int *master, int *slave, int ctty) {
	int m = posix_openpt(O_RDWR | O_NOCTTY);
	if (m < 0) {
		printf("posix_openpt: %s\n", errname(errno));
		return -1;
	}
	if (grantpt(m) < 0 || unlockpt(m) < 0) {
		printf("grantpt/unlockpt: %s\n", errname(errno));
		return -1;
	}
	char *name = ptsname(m);
	if (!name) {
		printf("ptsname: %s\n", errname(errno));
		return -1;
	}
	int s = open(name, O_RDWR | (ctty ? 0 : O_NOCTTY));
	if (s < 0) {
		printf("open %s: %s\n", name, errname(errno));
		return -1;
	}
	*master = m;
	*slave = s;
	return 0;
}

/* drain reads what fd has within ms milliseconds of quiet into buf
 * (NUL-terminated) and returns its length. */
static int drain(int fd, char *buf, int size, int ms) {
	int n = 0;
	for (;;) {
		struct pollfd p = {fd, POLLIN, 0};
		if (poll(&p, 1, ms) <= 0 || !(p.revents & POLLIN))
			break;
		int k = read(fd, buf + n, size - 1 - n);
		if (k <= 0)
			break;
		n += k;
		if (n >= size - 1)
			break;
	}
	buf[n] = 0;
	return n;
}

/* show prints s with control characters escaped. */
static void show(const char *label, const char *s, int n) {
	printf("%s: \"", label);
	for (int i = 0; i < n; i++) {
		unsigned char c = s[i];
		if (c == '\r')
			printf("\\r");
		else if (c == '\n')
			printf("\\n");
		else if (c == '\t')
			printf("\\t");
		else if (c == '\b')
			printf("\\b");
		else if (c < 0x20 || c == 0x7f)
			printf("\\x%02x", c);
		else
			putchar(c);
	}
	printf("\" (%d)\n", n);
}
