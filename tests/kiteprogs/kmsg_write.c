/* Run under kite only (it writes to the kernel log): /dev/kmsg's
 * writes and what readers see of them. A write is one record, its level
 * and facility from a leading "<N>" (user, level 4 without one; a
 * kernel facility in N stays user), read back as
 * "PRIO,SEQ,USEC,-;TEXT\n" with control bytes and backslashes escaped
 * as \xNN, and by syslog(2) as "<PRIO>[...] TEXT"; a blocked reader
 * wakes for it and poll reports it; SEEK_DATA goes to the first record
 * after SYSLOG_ACTION_CLEAR; a reader whose next record was overwritten
 * gets EPIPE once, then the oldest kept. Each check prints ok or FAIL. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int fails;

static void check(const char *label, int ok, long got) {
	if (ok) {
		printf("%s: ok\n", label);
		return;
	}
	printf("%s: FAIL (got %ld, errno %d)\n", label, got, errno);
	fails++;
}

static char b[1 << 17];

/* body reads one record of fd into b and returns what follows the
 * "PRIO,SEQ,USEC,-;" prefix, its prio in *prio; NULL on failure. */
static char *body(int fd, int *prio) {
	int n = read(fd, b, sizeof b - 1);
	if (n <= 0) return NULL;
	b[n] = 0;
	unsigned long long seq, usec;
	int off = 0;
	if (sscanf(b, "%d,%llu,%llu,-;%n", prio, &seq, &usec, &off) != 3 || off == 0) return NULL;
	return b + off;
}

static char state(pid_t pid) {
	char path[64], s[512];
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	int fd = open(path, O_RDONLY);
	if (fd < 0) return 0;
	int n = read(fd, s, sizeof s - 1);
	close(fd);
	if (n <= 0) return 0;
	s[n] = 0;
	char *p = strrchr(s, ')');
	return p && p[1] == ' ' ? p[2] : 0;
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	int w = open("/dev/kmsg", O_WRONLY);
	int r = open("/dev/kmsg", O_RDONLY);
	check("open", w >= 0 && r >= 0, r);
	check("SEEK_END", lseek(r, 0, SEEK_END) == 0, 0);

	/* A blocked reader wakes for a write. */
	int p[2];
	if (pipe(p) < 0) return 1;
	pid_t c = fork();
	if (c == 0) {
		int prio;
		char *t = body(r, &prio);
		if (!t) _exit(1);
		dprintf(p[1], "%d %s", prio, t);
		_exit(0);
	}
	close(p[1]);
	time_t start = time(NULL);
	while (state(c) != 'S' && time(NULL) - start < 60) sched_yield();
	const char *hello = "<5>hello kmsg\n";
	check("write <5>hello", write(w, hello, strlen(hello)) == (ssize_t)strlen(hello), 0);
	char got[256] = "";
	int n = read(p[0], got, sizeof got - 1);
	if (n > 0) got[n] = 0;
	int st;
	waitpid(c, &st, 0);
	check("the blocked reader gets it, user facility, level 5", strcmp(got, "13 hello kmsg\n") == 0, n);

	/* The child read through the same open file description: nothing
	 * is new for the parent. */
	struct pollfd pf = {r, POLLIN, 0};
	check("poll with nothing new", poll(&pf, 1, 0) == 0, pf.revents);
	write(w, "plain", 5);
	check("poll after a write", poll(&pf, 1, 0) == 1 && pf.revents == POLLIN, pf.revents);
	int prio;
	char *t = body(r, &prio);
	check("no <N>: user facility, level 4", t && prio == 12 && strcmp(t, "plain\n") == 0, prio);
	write(w, "<30>daemon", 10);
	t = body(r, &prio);
	check("<30>: facility 3, level 6", t && prio == 30 && strcmp(t, "daemon\n") == 0, prio);
	write(w, "<0>a\tb\\c\n", 9);
	t = body(r, &prio);
	check("control bytes and backslash escaped, trailing newline dropped", t && prio == 8 && strcmp(t, "a\\x09b\\x5cc\n") == 0, prio);
	int k = klogctl(3, b, sizeof b);
	check("syslog READ_ALL shows it with its prio", k > 0 && strstr(b, "<8>[") && strstr(b, "] a\tb\\c\n"), k);

	/* SEEK_DATA: the first record after SYSLOG_ACTION_CLEAR. */
	check("CLEAR", klogctl(5, NULL, 0) == 0, 0);
	write(w, "after clear", 11);
	check("SEEK_DATA", lseek(r, 0, SEEK_DATA) == 0, 0);
	t = body(r, &prio);
	check("SEEK_DATA reads the first after the clear", t && strcmp(t, "after clear\n") == 0, prio);

	/* Overwritten records: EPIPE once, then the oldest kept. */
	int old = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	char line[200];
	memset(line, 'x', sizeof line);
	for (int i = 0; i < 1000; i++) write(w, line, sizeof line);
	errno = 0;
	n = read(old, b, sizeof b);
	check("a reader behind the buffer gets EPIPE", n < 0 && errno == EPIPE, n);
	t = body(old, &prio);
	check("then the oldest kept", t && t[0] == 'x', prio);
	printf("\n%d failures\n", fails);
	return 0;
}
