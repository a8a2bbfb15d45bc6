/* /proc/stat's processes counts the tasks created since boot (forks and
 * threads), which vmstat -s shows as forks; procs_running counts the
 * runnable tasks: at least the reader and three children spinning (on
 * the host, other programs' tasks too). */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static long field(const char *name) {
	FILE *f = fopen("/proc/stat", "r");
	char line[512];
	long v = -1;
	size_t n = strlen(name);
	while (f && fgets(line, sizeof line, f))
		if (!strncmp(line, name, n) && line[n] == ' ') v = atol(line + n + 1);
	if (f) fclose(f);
	return v;
}

static void *thread_fn(void *arg) { return arg; }

int main(void) {
	long before = field("processes");
	for (int i = 0; i < 5; i++) {
		pid_t c = fork();
		if (c == 0) _exit(0);
		waitpid(c, NULL, 0);
	}
	for (int i = 0; i < 2; i++) {
		pthread_t th;
		pthread_create(&th, NULL, thread_fn, NULL);
		pthread_join(th, NULL);
	}
	long after = field("processes");
	/* At least: on the host, other processes fork meanwhile. */
	printf("processes grew by at least 7 for 5 forks and 2 threads: %s\n", after - before >= 7 ? "yes" : "no");
	int p[2];
	pid_t spin[3];
	if (pipe(p) < 0) return 1;
	for (int i = 0; i < 3; i++) {
		spin[i] = fork();
		if (spin[i] == 0) {
			write(p[1], "x", 1);
			for (;;) {
			}
		}
	}
	char c;
	for (int i = 0; i < 3; i++) read(p[0], &c, 1);
	long running = field("procs_running");
	printf("procs_running with three children spinning at least 4: %s\n", running >= 4 ? "yes" : "no");
	for (int i = 0; i < 3; i++) {
		kill(spin[i], SIGKILL);
		waitpid(spin[i], NULL, 0);
	}
	return 0;
}
