/* dev_proc_self: /proc/self, /proc/self/exe, /proc/self/fd and cwd. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *ename(int e) {
	switch (e) {
	case 0: return "OK";
	case ENOENT: return "ENOENT";
	case EINVAL: return "EINVAL";
	case EBADF: return "EBADF";
	case ENOTDIR: return "ENOTDIR";
	}
	return "E?";
}

static int cmpint(const void *a, const void *b) {
	return *(const int *)a - *(const int *)b;
}

int main(int argc, char **argv) {
	(void)argc;
	char buf[PATH_MAX], pidbuf[32];
	ssize_t n;

	/* Start from fds 0..2 only, whatever the caller left open. */
	for (int i = 3; i < 1024; i++)
		close(i);

	n = readlink("/proc/self", buf, sizeof buf - 1);
	buf[n < 0 ? 0 : n] = 0;
	snprintf(pidbuf, sizeof pidbuf, "%d", (int)getpid());
	printf("/proc/self is pid: %d\n", n > 0 && strcmp(buf, pidbuf) == 0);

	n = readlink("/proc/self/exe", buf, sizeof buf - 1);
	buf[n < 0 ? 0 : n] = 0;
	char real[PATH_MAX];
	int same = realpath(argv[0], real) != NULL && strcmp(real, buf) == 0;
	const char *base = strrchr(buf, '/');
	printf("exe absolute: %d matches argv0: %d base: %s\n", buf[0] == '/', same,
	       base ? base + 1 : buf);

	char cwd[PATH_MAX];
	getcwd(cwd, sizeof cwd);
	n = readlink("/proc/self/cwd", buf, sizeof buf - 1);
	buf[n < 0 ? 0 : n] = 0;
	printf("cwd matches getcwd: %d\n", n > 0 && strcmp(cwd, buf) == 0);

	/* The pid directory is reachable by number too. */
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/exe", (int)getpid());
	n = readlink(path, real, sizeof real - 1);
	printf("/proc/PID/exe readable: %d\n", n > 0);

	int nullfd = open("/dev/null", O_RDONLY);
	int dupfd = dup2(nullfd, 9);
	printf("fds: %d %d\n", nullfd, dupfd);

	DIR *d = opendir("/proc/self/fd");
	if (!d) {
		printf("opendir /proc/self/fd: %s\n", ename(errno));
		return 0;
	}
	int fds[64], nfds = 0, dots = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL && nfds < 64) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) {
			dots++;
			continue;
		}
		fds[nfds++] = atoi(e->d_name);
	}
	qsort(fds, nfds, sizeof fds[0], cmpint);
	printf("dots: %d\n", dots);
	for (int i = 0; i < nfds; i++) {
		if (fds[i] <= 2) {
			printf("fd %d present\n", fds[i]);
			continue;
		}
		snprintf(path, sizeof path, "/proc/self/fd/%d", fds[i]);
		n = readlink(path, buf, sizeof buf - 1);
		buf[n < 0 ? 0 : n] = 0;
		/* The directory's own fd names /proc/<pid>/fd: print it without the pid. */
		char want[64];
		snprintf(want, sizeof want, "/proc/%d/fd", (int)getpid());
		if (strcmp(buf, want) == 0)
			strcpy(buf, "/proc/PID/fd");
		printf("fd %d -> %s\n", fds[i], buf);
	}
	closedir(d);

	errno = 0;
	n = readlink("/proc/self/fd/57", buf, sizeof buf);
	printf("readlink closed fd: %zd %s\n", n, ename(n < 0 ? errno : 0));

	/* Opening /proc/self/fd/N opens the same file again. */
	int fd2 = open("/proc/self/fd/9", O_RDONLY);
	n = fd2 >= 0 ? read(fd2, buf, 10) : -1;
	printf("reopen fd 9: %s read=%zd\n", fd2 >= 0 ? "OK" : ename(errno), n);
	return 0;
}
