/* A file that open(O_CREAT) makes and opens read-only counts as open for
 * reading: another descriptor of it gets no write lease (EAGAIN) until
 * that one is closed. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void res(const char *what, int r) {
	if (r < 0)
		printf("%s: %s\n", what, errno == EAGAIN ? "EAGAIN" : strerror(errno));
	else
		printf("%s: ok\n", what);
}

int main(void) {
	char dir[] = "/dev/shm/leasecreate-XXXXXX";
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	char path[64];
	snprintf(path, sizeof path, "%s/f", dir);
	int c = open(path, O_CREAT | O_EXCL | O_RDONLY, 0600);
	if (c < 0) {
		perror("create");
		return 1;
	}
	int r = open(path, O_RDONLY);
	if (r < 0) {
		perror("open");
		return 1;
	}
	res("F_WRLCK with the creating descriptor open", fcntl(r, F_SETLEASE, F_WRLCK));
	res("F_RDLCK with the creating descriptor open", fcntl(r, F_SETLEASE, F_RDLCK));
	res("F_UNLCK", fcntl(r, F_SETLEASE, F_UNLCK));
	close(c);
	res("F_WRLCK after its close", fcntl(r, F_SETLEASE, F_WRLCK));
	res("F_UNLCK", fcntl(r, F_SETLEASE, F_UNLCK));
	close(r);
	unlink(path);
	rmdir(dir);
	return 0;
}
