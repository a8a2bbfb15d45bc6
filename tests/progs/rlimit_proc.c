/* /proc/self/limits shows every resource limit with its name, soft and
 * hard values (or "unlimited") and units, and /proc/PID/limits another
 * process's. The program first lowers every limit to a value of its own
 * (and leaves some unlimited), so the file does not depend on the limits
 * it was started with. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static void show(const char *path) {
	char buf[8192];
	int fd = open(path, O_RDONLY);
	if (fd < 0) { perror(path); return; }
	ssize_t n, off = 0;
	while ((n = read(fd, buf + off, sizeof buf - 1 - off)) > 0) off += n;
	close(fd);
	buf[off] = 0;
	fputs(buf, stdout);
}

int main(void) {
	static const struct { int r; rlim_t cur, max; } want[] = {
		{RLIMIT_CPU, 1000, 2000},
		{RLIMIT_FSIZE, 1L << 40, RLIM_INFINITY},
		{RLIMIT_DATA, 1L << 40, 1L << 41},
		{RLIMIT_STACK, 4 << 20, 4 << 20},
		{RLIMIT_CORE, 0, 0},
		{RLIMIT_RSS, RLIM_INFINITY, RLIM_INFINITY},
		{RLIMIT_NPROC, 1000, 1001},
		{RLIMIT_NOFILE, 50, 60},
		{RLIMIT_MEMLOCK, 65536, 65536},
		{RLIMIT_AS, 1L << 42, 1L << 42},
		{RLIMIT_LOCKS, 100, 100},
		{RLIMIT_SIGPENDING, 300, 400},
		{RLIMIT_MSGQUEUE, 8000, 8000},
		{RLIMIT_NICE, 0, 0},
		{RLIMIT_RTPRIO, 0, 0},
		{RLIMIT_RTTIME, 500000, 1000000},
	};
	for (unsigned i = 0; i < sizeof want / sizeof want[0]; i++) {
		struct rlimit rl;
		getrlimit(want[i].r, &rl);
		/* Only lower: the host may not allow raising a hard limit. */
		if (want[i].max > rl.rlim_max || want[i].cur > rl.rlim_max) {
			printf("resource %d starts below the wanted value\n", want[i].r);
			continue;
		}
		rl.rlim_cur = want[i].cur;
		rl.rlim_max = want[i].max;
		if (setrlimit(want[i].r, &rl) < 0) perror("setrlimit");
	}
	show("/proc/self/limits");
	int p[2];
	if (pipe(p) < 0) return 1;
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		struct rlimit rl = {20, 30};
		setrlimit(RLIMIT_NOFILE, &rl);
		close(p[0]);
		close(p[1]);
		pause();
		_exit(0);
	}
	close(p[1]);
	char x;
	read(p[0], &x, 1); /* EOF once the child has set its limit */
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/limits", (int)c);
	fputs("--- the child's\n", stdout);
	show(path);
	kill(c, 9);
	waitpid(c, NULL, 0);
	return 0;
}
