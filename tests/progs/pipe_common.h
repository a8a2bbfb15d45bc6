/* Helpers shared by the pipe_*.c and poll_*.c differential tests. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *errname(int e) {
	switch (e) {
	case 0: return "OK";
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case EINTR: return "EINTR";
	case ENXIO: return "ENXIO";
	case EBADF: return "EBADF";
	case EAGAIN: return "EAGAIN";
	case EFAULT: return "EFAULT";
	case EBUSY: return "EBUSY";
	case EEXIST: return "EEXIST";
	case EINVAL: return "EINVAL";
	case EMFILE: return "EMFILE";
	case ENOTTY: return "ENOTTY";
	case ESPIPE: return "ESPIPE";
	case EPIPE: return "EPIPE";
	case ENOSYS: return "ENOSYS";
	case ECHILD: return "ECHILD";
	}
	static char buf[32];
	snprintf(buf, sizeof buf, "errno%d", e);
	return buf;
}

/* CHECK prints "label: ret" or "label: -1 ENAME". */
#define CHECK(label, expr) do { \
	errno = 0; \
	long r_ = (long)(expr); \
	if (r_ < 0) \
		printf("%s: -1 %s\n", label, errname(errno)); \
	else \
		printf("%s: %ld\n", label, r_); \
	fflush(stdout); \
} while (0)

static void describe(const char *what, int st) {
	if (WIFEXITED(st))
		printf("%s: exited %d\n", what, WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		printf("%s: killed by %s\n", what, strsignal(WTERMSIG(st)));
	else
		printf("%s: status %#x\n", what, st);
	fflush(stdout);
}

static long elapsed_ms(const struct timespec *a) {
	struct timespec b;
	clock_gettime(CLOCK_MONOTONIC, &b);
	return (b.tv_sec - a->tv_sec) * 1000 + (b.tv_nsec - a->tv_nsec) / 1000000;
}

/* An address no program maps. */
#define BADPTR ((void *)16)
