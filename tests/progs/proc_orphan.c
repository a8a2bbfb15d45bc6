/* A zombie whose parent exits is reaped by init (here: this process, made
 * a child subreaper so that the host kernel behaves like kite's init). */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(void) {
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	int r = 0;
	prctl(PR_GET_CHILD_SUBREAPER, &r);
	printf("subreaper %d\n", r);
	fflush(stdout);
	pid_t mid = fork();
	if (mid == 0) {
		pid_t grand = fork();
		if (grand == 0) {
			struct timespec ts = {0, 100 * 1000 * 1000};
			nanosleep(&ts, NULL);
			_exit(7);
		}
		_exit(3);
	}
	int seen = 0, st;
	pid_t w;
	while ((w = wait(&st)) > 0) {
		printf("reaped %s status %d\n", w == mid ? "the middle child" : "the orphaned grandchild", WEXITSTATUS(st));
		seen++;
	}
	printf("reaped %d processes\n", seen);
	return 0;
}
