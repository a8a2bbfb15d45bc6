/* RLIMIT_NOFILE is enforced: open and dup fail with EMFILE at the limit,
 * F_DUPFD beyond it is EINVAL, and a raised limit allows more. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/resource.h>
#include <unistd.h>

int main(void) {
	/* Only 0, 1 and 2 stay open, whatever the caller passed down. */
	for (int fd = 3; fd < 1024; fd++) close(fd);
	struct rlimit rl = {16, 64};
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0) { perror("setrlimit"); return 1; }
	int n = 0, last = -1;
	for (;;) {
		int fd = open("/dev/null", O_RDONLY);
		if (fd < 0) { printf("open stops after %d with %s\n", n, errno == EMFILE ? "EMFILE" : "other"); break; }
		last = fd;
		n++;
	}
	printf("last fd %d\n", last);
	errno = 0;
	int r = dup(0);
	printf("dup at limit = %d %s\n", r, errno == EMFILE ? "EMFILE" : "other");
	errno = 0;
	r = fcntl(0, F_DUPFD, 16);
	printf("F_DUPFD 16 = %d %s\n", r, errno == EINVAL ? "EINVAL" : "other");
	errno = 0;
	r = dup2(0, 20);
	printf("dup2 to 20 = %d %s\n", r, errno == EBADF ? "EBADF" : "other");
	rl.rlim_cur = 32;
	setrlimit(RLIMIT_NOFILE, &rl);
	r = dup2(0, 20);
	printf("dup2 to 20 after raising = %d\n", r);
	printf("open after raising ok %d\n", open("/dev/null", O_RDONLY) >= 0);
	return 0;
}
