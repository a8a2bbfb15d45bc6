/* The order wait reaps several zombies in: the order they became the
 * waiter's children (Linux's children list), not the order they exited:
 * five children released to exit last-forked first; then a subreaper's
 * own zombie, a middle child that exits, and the middle child's two
 * children, which are given to the subreaper after its own. Every child
 * is known to be a zombie (waitid WNOWAIT) before the first reap, so the
 * output does not depend on timing. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

/* zombie waits until child c has exited, without reaping it. */
static void zombie(pid_t c) {
	siginfo_t si;
	if (waitid(P_PID, c, &si, WEXITED | WNOWAIT) < 0)
		printf("waitid WNOWAIT %d failed\n", (int)c);
}

static void reap_all(const char *what) {
	int st;
	printf("%s:", what);
	while (wait(&st) > 0)
		printf(" %d", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	printf("\n");
	fflush(stdout);
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);

	/* Children 0..4, released in the order 4..0. */
	int gate[5][2];
	pid_t c[5];
	for (int i = 0; i < 5; i++) {
		pipe(gate[i]);
		c[i] = fork();
		if (c[i] == 0) {
			char b;
			close(gate[i][1]);
			read(gate[i][0], &b, 1);
			_exit(10 + i);
		}
		close(gate[i][0]);
	}
	for (int i = 4; i >= 0; i--) {
		close(gate[i][1]);
		zombie(c[i]);
	}
	reap_all("exited 14..10, reaped");

	/* A subreaper's zombie child, then a middle child whose own two
	 * children come to the subreaper when it exits. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	pid_t own = fork();
	if (own == 0)
		_exit(1);
	zombie(own);
	int rep[2], go[2];
	pipe(rep);
	pipe(go);
	pid_t mid = fork();
	if (mid == 0) {
		close(rep[0]);
		close(go[1]);
		pid_t g[2];
		for (int i = 0; i < 2; i++) {
			g[i] = fork();
			if (g[i] == 0) {
				/* Exit once the middle child has. */
				char b;
				read(go[0], &b, 1);
				_exit(3 + i);
			}
		}
		write(rep[1], g, sizeof g);
		_exit(2);
	}
	close(rep[1]);
	close(go[0]);
	pid_t g[2] = {0, 0};
	if (read(rep[0], g, sizeof g) != sizeof g)
		printf("no grandchildren\n");
	zombie(mid);
	close(go[1]);
	zombie(g[1]);
	zombie(g[0]);
	reap_all("own 1, middle 2, its children 3 and 4, reaped");
	return 0;
}
