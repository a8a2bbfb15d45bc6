/* A private write-only mapping (PROT_WRITE, readable on x86) shared
 * copy-on-write by fork: reads in the parent and the child see the data
 * while the pages are shared, and after the child has exited, writes on
 * either side stay private. kite once mapped such pages with no access
 * and faulted for ever on the first read after a fork. */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
	long P = sysconf(_SC_PAGESIZE);
	volatile char *p = mmap(NULL, 4 * P, PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	for (int i = 0; i < 4; i++)
		p[i * P] = 'a' + i;
	int go[2], done[2];
	if (pipe(go) || pipe(done)) {
		perror("pipe");
		return 1;
	}
	pid_t c = fork();
	if (c < 0) {
		perror("fork");
		return 1;
	}
	if (c == 0) {
		char b;
		printf("child reads %c%c\n", p[0], p[P]);
		fflush(stdout);
		p[2 * P] = 'X';
		if (write(done[1], "x", 1) != 1 || read(go[0], &b, 1) != 1)
			_exit(1);
		printf("child sees %c %c\n", p[2 * P], p[3 * P]);
		fflush(stdout);
		_exit(0);
	}
	char b;
	if (read(done[0], &b, 1) != 1)
		return 1;
	printf("parent reads %c%c%c%c\n", p[0], p[P], p[2 * P], p[3 * P]);
	p[3 * P] = 'Y';
	fflush(stdout);
	if (write(go[1], "x", 1) != 1)
		return 1;
	int st;
	waitpid(c, &st, 0);
	printf("child status %d\n", WEXITSTATUS(st));
	/* The child is gone: the pages are the parent's alone. */
	printf("parent after %c%c%c%c\n", p[0], p[P], p[2 * P], p[3 * P]);
	p[0] = 'Z';
	printf("parent wrote %c\n", p[0]);
	return 0;
}
