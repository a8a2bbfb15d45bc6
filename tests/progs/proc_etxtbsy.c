/* ETXTBSY: a program open for writing cannot be executed, and a running
 * program cannot be opened for writing. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
	if (argc > 1) {
		/* The copy, run as a child: it only sleeps, never forks. */
		struct timespec ts = {0, 300 * 1000 * 1000};
		nanosleep(&ts, NULL);
		return 0;
	}
	char self[256];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	self[n] = 0;
	const char *base = strrchr(self, '/');
	char copy[300];
	snprintf(copy, sizeof copy, "/tmp/kite-etxtbsy-%s", base ? base + 1 : "x");
	int in = open(self, O_RDONLY), out = open(copy, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	char buf[65536];
	while ((n = read(in, buf, sizeof buf)) > 0) write(out, buf, n);
	close(in);

	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		execl(copy, copy, "child", (char *)NULL);
		printf("exec while open for writing: %s\n", errno == ETXTBSY ? "ETXTBSY" : strerror(errno));
		fflush(stdout);
		_exit(1);
	}
	int st;
	waitpid(c, &st, 0);
	close(out);

	c = fork();
	if (c == 0) {
		execl(copy, copy, "child", (char *)NULL);
		_exit(127);
	}
	struct timespec ts = {0, 100 * 1000 * 1000};
	nanosleep(&ts, NULL);
	int w = open(copy, O_WRONLY);
	printf("open for writing while running: %s\n", w < 0 && errno == ETXTBSY ? "ETXTBSY" : "opened");
	int r = open(copy, O_RDONLY);
	printf("open for reading while running: %s\n", r >= 0 ? "ok" : strerror(errno));
	waitpid(c, &st, 0);
	printf("child status %d\n", WEXITSTATUS(st));
	w = open(copy, O_WRONLY);
	printf("open for writing after exit: %s\n", w >= 0 ? "ok" : strerror(errno));
	unlink(copy);
	return 0;
}
