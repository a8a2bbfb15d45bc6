/* A program may hold as many host files open as its RLIMIT_NOFILE allows
 * (up to 30000 here), however few fds kite has: kite must not run out of
 * host fds, and opening and executing host files goes on working. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
	(void)argc;
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	long want = (long)rl.rlim_cur - 16;
	if (want > 30000)
		want = 30000;
	int *fds = malloc(want * sizeof *fds);
	long opened = 0;
	for (long i = 0; i < want; i++) {
		fds[i] = open(argv[0], O_RDONLY | O_CLOEXEC);
		if (fds[i] < 0) {
			perror("open");
			break;
		}
		opened++;
	}
	printf("opened them all: %d\n", opened == want);
	/* Every one still reads its file, in any order. */
	int good = 1;
	for (long i = opened - 1; i >= 0; i -= 7) {
		char m[4];
		if (pread(fds[i], m, 4, 0) != 4 || memcmp(m, "\177ELF", 4) != 0)
			good = 0;
	}
	printf("all read: %d\n", good);
	/* Other host files still open, and programs still start. */
	int fd = open("/etc/passwd", O_RDONLY | O_CLOEXEC);
	printf("another open: %d\n", fd >= 0);
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		execl("/bin/true", "true", (char *)NULL);
		_exit(127);
	}
	int st;
	waitpid(c, &st, 0);
	printf("exec: %d\n", WIFEXITED(st) && WEXITSTATUS(st) == 0);
	return 0;
}
