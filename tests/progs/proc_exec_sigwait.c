/* execve while another thread waits in sigwaitinfo, then in sigtimedwait:
 * the waiting thread dies and the exec goes on. */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int ready[2];
static int timed;

static void *waiter(void *arg) {
	(void)arg;
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	char c = 'r';
	if (write(ready[1], &c, 1) != 1)
		exit(1);
	if (timed) {
		struct timespec ts = {3600, 0};
		sigtimedwait(&set, NULL, &ts);
	} else {
		sigwaitinfo(&set, NULL);
	}
	return NULL;
}

int main(int argc, char **argv) {
	const char *next;
	if (argc == 1) {
		next = "timed";
	} else if (strcmp(argv[1], "timed") == 0) {
		timed = 1;
		next = "done";
	} else {
		printf("exec'd twice past a thread in sigwait\n");
		return 0;
	}
	printf("round %s\n", timed ? "sigtimedwait" : "sigwaitinfo");
	char self[256];
	ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
	if (len < 0)
		return 1;
	self[len] = 0;
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if (pipe(ready) < 0)
		return 1;
	pthread_t th;
	pthread_create(&th, NULL, waiter, NULL);
	char c;
	if (read(ready[0], &c, 1) != 1)
		return 1;
	fflush(stdout);
	execl(self, self, next, (char *)NULL);
	perror("execl");
	return 1;
}
