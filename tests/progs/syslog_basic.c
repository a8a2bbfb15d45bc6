/* syslog(2), which dmesg reads the kernel log with: the buffer size,
 * SYSLOG_ACTION_READ_ALL giving whole "<level>[seconds] text" lines
 * (none when the newest does not fit), the argument checks, and
 * dmesg_restrict (1, as Debian's kernels set it): without CAP_SYSLOG
 * every action is EPERM, unless the caller has CAP_SYS_ADMIN (accepted,
 * deprecated: the kernel logs a warning once). Nothing here changes the
 * log or the console level (the host's run is the host kernel's);
 * kiteprogs/syslog_actions checks the actions that do, under kite. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cap_common.h"

static const char *ename(int e) {
	switch (e) {
	case EPERM: return "EPERM";
	case EINVAL: return "EINVAL";
	case EFAULT: return "EFAULT";
	case ENOSYS: return "ENOSYS";
	}
	return strerror(e);
}

static void show(const char *label, int r) {
	if (r < 0) printf("%s: %s\n", label, ename(errno));
	else printf("%s: %d\n", label, r);
}

/* lines checks the log's text: whole lines, each "<level>[ seconds.micro] ". */
static void lines(const char *label, const char *b, int n) {
	int count = 0, good = 0;
	const char *p = b, *end = b + n;
	while (p < end) {
		const char *nl = memchr(p, '\n', end - p);
		if (!nl) break;
		unsigned level;
		unsigned long s, us;
		char close;
		if (sscanf(p, "<%u>[%lu.%lu%c", &level, &s, &us, &close) == 4 && close == ']' && level < 8) good++;
		count++;
		p = nl + 1;
	}
	printf("%s: lines %s, all well-formed %s, ends with a newline %s\n", label, count > 0 ? "some" : "none",
	       count == good ? "yes" : "no", p == end ? "yes" : "no");
}

static void checks(void) {
	errno = 0;
	int size = klogctl(10, NULL, 0);
	if (size < 0) show("SIZE_BUFFER", size);
	else printf("SIZE_BUFFER: positive %s\n", size > 0 ? "yes" : "no");
	show("CLOSE", klogctl(0, NULL, 0));
	show("OPEN", klogctl(1, NULL, 0));
	char *b = malloc(1 << 20);
	int n = klogctl(3, b, 1 << 20);
	if (n < 0) show("READ_ALL", n);
	else lines("READ_ALL", b, n);
	show("READ_ALL into 16 bytes", klogctl(3, b, 16));
	show("READ_ALL length 0", klogctl(3, b, 0));
	show("READ_ALL NULL", klogctl(3, NULL, 100));
	show("READ_ALL length -1", klogctl(3, b, -1));
	show("READ length 0", klogctl(2, b, 0));
	show("READ NULL", klogctl(2, NULL, 100));
	show("READ_CLEAR NULL", klogctl(4, NULL, 100));
	show("CONSOLE_LEVEL 0", klogctl(8, NULL, 0));
	show("CONSOLE_LEVEL 9", klogctl(8, NULL, 9));
	n = klogctl(9, NULL, 0);
	if (n < 0) show("SIZE_UNREAD", n);
	else printf("SIZE_UNREAD: not negative\n");
	show("type 11", klogctl(11, NULL, 0));
	show("type -1", klogctl(-1, NULL, 0));
	free(b);
}

/* drop_syslog takes CAP_SYSLOG out of the effective set. */
static int drop_syslog(void) {
	unsigned long long e, p, i;
	caps(&e, &p, &i);
	return setcaps(e & ~BIT(34), p, i); /* CAP_SYSLOG */
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("as uid %s\n", getuid() ? "non-root" : "root");
	checks();
	fflush(stdout);
	if (getuid() == 0) {
		pid_t c = fork();
		if (c == 0) {
			if (setgid(65534) < 0 || setuid(65534) < 0) _exit(2);
			printf("as nobody\n");
			checks();
			fflush(stdout);
			_exit(0);
		}
		int st;
		waitpid(c, &st, 0);
		printf("child: %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
		c = fork();
		if (c == 0) {
			if (drop_syslog() < 0) _exit(2);
			printf("as root without CAP_SYSLOG\n");
			checks();
			fflush(stdout);
			_exit(0);
		}
		waitpid(c, &st, 0);
		printf("child: %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	}
	return 0;
}
