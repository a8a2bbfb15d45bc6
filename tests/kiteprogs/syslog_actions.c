/* Run under kite only (it reads and clears the kernel log, and has the
 * OOM killer kill a child to log a line): syslog(2)'s actions that
 * change the log's read positions. At the start the log holds the boot
 * banner, /proc/version's line. SYSLOG_ACTION_READ consumes (a short
 * read takes part of a line, SIZE_UNREAD counts what is left) and,
 * with nothing unread, blocks until a record comes (the OOM killer's
 * line); READ_CLEAR reads everything since the last clear and clears;
 * READ_ALL after it gives only the newer lines; CLEAR empties what
 * READ_ALL gives. Each check prints "ok" or FAIL. Needs --memory small
 * enough for the child to exhaust. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/mman.h>
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

enum { READ = 2, READ_ALL = 3, READ_CLEAR = 4, CLEAR = 5, SIZE_UNREAD = 9, SIZE_BUFFER = 10 };

/* state is the state letter of /proc/PID/stat, or 0. */
static char state(pid_t pid) {
	char path[64], b[512];
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	int fd = open(path, O_RDONLY);
	if (fd < 0) return 0;
	int n = read(fd, b, sizeof b - 1);
	close(fd);
	if (n <= 0) return 0;
	b[n] = 0;
	char *p = strrchr(b, ')');
	return p && p[1] == ' ' ? p[2] : 0;
}

static double now(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static char all[1 << 16], b[1 << 16];

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);

	/* The banner is /proc/version's line. */
	int n = klogctl(READ_ALL, all, sizeof all);
	char version[512] = "";
	int fd = open("/proc/version", O_RDONLY);
	int vn = fd >= 0 ? read(fd, version, sizeof version - 1) : -1;
	if (vn > 0) version[vn] = 0;
	char *text = n > 0 ? memchr(all, ']', n) : NULL;
	char *nl = n > 0 ? memchr(all, '\n', n) : NULL;
	check("READ_ALL's first line is the banner, /proc/version's line",
	      text && nl && all[0] == '<' && nl + 1 - (text + 2) == vn && memcmp(text + 2, version, vn) == 0, n);
	check("SIZE_UNREAD is all of it", klogctl(SIZE_UNREAD, NULL, 0) == n, klogctl(SIZE_UNREAD, NULL, 0));

	/* READ consumes, a part of a line at a time if need be. */
	int r = klogctl(READ, b, 10);
	check("READ of 10 bytes takes the first 10", r == 10 && memcmp(b, all, 10) == 0, r);
	check("SIZE_UNREAD counts the rest", klogctl(SIZE_UNREAD, NULL, 0) == n - 10, klogctl(SIZE_UNREAD, NULL, 0));
	r = klogctl(READ, b, sizeof b);
	check("READ takes the rest", r == n - 10 && memcmp(b, all + 10, n - 10) == 0, r);
	check("SIZE_UNREAD is 0", klogctl(SIZE_UNREAD, NULL, 0) == 0, klogctl(SIZE_UNREAD, NULL, 0));

	/* READ_CLEAR reads what READ_ALL did, then clears. */
	r = klogctl(READ_CLEAR, b, sizeof b);
	check("READ_CLEAR gives what READ_ALL gave", r == n && memcmp(b, all, n) == 0, r);
	r = klogctl(READ_ALL, b, sizeof b);
	check("READ_ALL after READ_CLEAR gives nothing", r == 0, r);
	int size = klogctl(SIZE_BUFFER, NULL, 0);
	check("SIZE_BUFFER holds the log", size >= n, size);

	/* A READ with nothing unread blocks until a record comes. */
	int p[2];
	if (pipe(p) < 0) return 1;
	pid_t reader = fork();
	if (reader == 0) {
		close(p[0]);
		/* Its buffer's pages are its own before memory runs out. */
		memset(b, 0, sizeof b);
		int r = klogctl(READ, b, sizeof b);
		if (r > 0) write(p[1], b, r);
		_exit(r > 0 ? 0 : 1);
	}
	close(p[1]);
	double start = now();
	while (state(reader) != 'S' && now() - start < 60) sched_yield();
	int st;
	check("READ sleeps with nothing unread", state(reader) == 'S' && waitpid(reader, &st, WNOHANG) == 0, state(reader));

	/* The OOM killer kills a child that touches more than there is,
	 * and logs it. */
	pid_t hog = fork();
	if (hog == 0) {
		for (int i = 0; i < 64; i++) {
			char *m = mmap(NULL, 64 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (m == MAP_FAILED) _exit(3);
			memset(m, 1, 64 << 20);
		}
		_exit(4);
	}
	waitpid(hog, &st, 0);
	check("the OOM killer kills the child", WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, st);

	int got = 0, k;
	while ((k = read(p[0], b + got, sizeof b - 1 - got)) > 0) got += k;
	b[got] = 0;
	waitpid(reader, &st, 0);
	char want[64];
	snprintf(want, sizeof want, "Killed process %d ", hog);
	check("the blocked READ gives the OOM killer's line", WIFEXITED(st) && WEXITSTATUS(st) == 0 &&
	      strncmp(b, "<3>[", 4) == 0 && strstr(b, want) && b[got - 1] == '\n' && memchr(b, '\n', got) == b + got - 1, got);
	check("SIZE_UNREAD is 0 after it", klogctl(SIZE_UNREAD, NULL, 0) == 0, klogctl(SIZE_UNREAD, NULL, 0));

	/* READ_ALL gives only what came after the clear. */
	r = klogctl(READ_ALL, all, sizeof all);
	check("READ_ALL gives only the newer line", r == got && memcmp(all, b, got) == 0, r);
	r = klogctl(CLEAR, NULL, 0);
	check("CLEAR", r == 0, r);
	r = klogctl(READ_ALL, all, sizeof all);
	check("READ_ALL after CLEAR gives nothing", r == 0, r);
	check("SIZE_UNREAD is still 0", klogctl(SIZE_UNREAD, NULL, 0) == 0, klogctl(SIZE_UNREAD, NULL, 0));

	printf("\n%d failures\n", fails);
	return 0;
}
