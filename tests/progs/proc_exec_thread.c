/* execve from a non-leader thread: the other threads die, the process
 * keeps its pid and the exec'ing thread becomes the leader (tid == pid). */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static char self[256];

static void *spinner(void *arg) {
	(void)arg;
	for (;;) pause();
	return NULL;
}

static void *execer(void *arg) {
	char pid[32];
	snprintf(pid, sizeof pid, "%d", (int)getpid());
	fflush(stdout);
	execl(self, self, "after-exec", pid, (char *)NULL);
	perror("execl");
	exit(1);
}

int main(int argc, char **argv) {
	if (argc > 2 && strcmp(argv[1], "after-exec") == 0) {
		/* Every run with arguments is the exec'd image: it never
		 * creates threads or forks. */
		printf("pid kept: %d\n", (int)getpid() == atoi(argv[2]));
		printf("tid == pid: %d\n", (int)syscall(SYS_gettid) == (int)getpid());
		printf("exec'd image runs\n");
		return 9;
	}
	ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
	self[len] = 0;
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		pthread_t a, b;
		pthread_create(&a, NULL, spinner, NULL);
		pthread_create(&b, NULL, spinner, NULL);
		pthread_t e;
		pthread_create(&e, NULL, execer, NULL);
		for (;;) pause();
	}
	int st;
	waitpid(c, &st, 0);
	printf("status %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	return 0;
}
