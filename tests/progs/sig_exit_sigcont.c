// A child cloned with SIGCONT as its exit signal stops its parent and
// exits once the parent is stopped: its exit signal continues the parent
// (the exit signal is generated while the kernel holds its process lock;
// kite once deadlocked there).
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char stack[1 << 16];

// stopped reports whether process pid is in state T, from /proc.
static int stopped(pid_t pid) {
	char path[64], buf[512];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	char *p = strrchr(buf, ')');
	return p && p[1] == ' ' && p[2] == 'T';
}

static int child(void *arg) {
	(void)arg;
	pid_t parent = getppid();
	if (kill(parent, SIGSTOP) != 0)
		return 2;
	// Handshake: wait until the stop has taken effect.
	for (long i = 0; i < 10000000; i++) {
		if (stopped(parent))
			return 7;
		sched_yield();
	}
	return 3;
}

int main(void) {
	pid_t c = clone(child, stack + sizeof stack, SIGCONT, NULL);
	if (c < 0) {
		perror("clone");
		return 1;
	}
	int st;
	pid_t w = waitpid(c, &st, __WALL);
	printf("waited for the child: %d\n", w == c);
	printf("child exited %d with %d\n", WIFEXITED(st), WEXITSTATUS(st));
	return 0;
}
