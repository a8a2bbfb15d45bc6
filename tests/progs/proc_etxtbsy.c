/* ETXTBSY: a program open for writing cannot be executed, and a running
 * program cannot be opened for writing. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
	if (argc > 3) {
		/* The copy, run as a child: it says it is running on the fd in
		 * argv[2], then waits for end of file on the fd in argv[3]; it
		 * never forks. */
		int ready = atoi(argv[2]), go = atoi(argv[3]);
		char b = 'r';
		if (write(ready, &b, 1) != 1)
			return 2;
		close(ready);
		while (read(go, &b, 1) > 0)
			;
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
		/* Bad fds: if the exec wrongly succeeded, the copy exits at once. */
		execl(copy, copy, "child", "-1", "-1", (char *)NULL);
		printf("exec while open for writing: %s\n", errno == ETXTBSY ? "ETXTBSY" : strerror(errno));
		fflush(stdout);
		_exit(1);
	}
	int st;
	waitpid(c, &st, 0);
	close(out);

	/* Handshake: the running copy writes a byte on ready (so the exec has
	 * happened) and exits at end of file on go, once the parent has tried
	 * to open it. The parent's ends are close-on-exec, the child's are
	 * made inheritable after the fork. */
	int ready[2], go[2];
	if (pipe2(ready, O_CLOEXEC) < 0 || pipe2(go, O_CLOEXEC) < 0) {
		perror("pipe2");
		return 1;
	}
	c = fork();
	if (c == 0) {
		fcntl(ready[1], F_SETFD, 0);
		fcntl(go[0], F_SETFD, 0);
		char rfd[16], gfd[16];
		snprintf(rfd, sizeof rfd, "%d", ready[1]);
		snprintf(gfd, sizeof gfd, "%d", go[0]);
		execl(copy, copy, "child", rfd, gfd, (char *)NULL);
		_exit(127);
	}
	close(ready[1]);
	close(go[0]);
	char b;
	printf("child running: %s\n", read(ready[0], &b, 1) == 1 ? "yes" : "no");
	close(ready[0]);
	int w = open(copy, O_WRONLY);
	printf("open for writing while running: %s\n", w < 0 && errno == ETXTBSY ? "ETXTBSY" : "opened");
	int r = open(copy, O_RDONLY);
	printf("open for reading while running: %s\n", r >= 0 ? "ok" : strerror(errno));
	close(go[1]);
	waitpid(c, &st, 0);
	printf("child status %d\n", WEXITSTATUS(st));
	w = open(copy, O_WRONLY);
	printf("open for writing after exit: %s\n", w >= 0 ? "ok" : strerror(errno));
	unlink(copy);
	return 0;
}
