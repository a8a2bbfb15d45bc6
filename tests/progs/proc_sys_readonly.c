/* /proc/sys/kernel/cap_last_cap and ngroups_max, and the permission
 * checks of /proc/sys files: their mode holds for root too (a read-only
 * sysctl cannot be opened for writing, EACCES), a writable one opens
 * for writing only for root. Nothing is written. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void show(const char *path) {
	char b[64] = {0};
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		printf("%s: %s\n", path, strerror(errno));
		return;
	}
	long n = read(fd, b, sizeof b - 1);
	close(fd);
	printf("%s: %s", path, n > 0 ? b : "(empty)\n");
}

static void openw(const char *path) {
	int fd = open(path, O_WRONLY);
	printf("%s for writing: %s\n", path, fd < 0 ? (errno == EACCES ? "EACCES" : strerror(errno)) : "OK");
	if (fd >= 0) close(fd);
}

int main(void) {
	printf("as %s\n", geteuid() ? "a user" : "root");
	show("/proc/sys/kernel/cap_last_cap");
	show("/proc/sys/kernel/ngroups_max");
	openw("/proc/sys/kernel/cap_last_cap");
	openw("/proc/sys/kernel/ngroups_max");
	openw("/proc/sys/kernel/osrelease");
	openw("/proc/sys/kernel/ostype");
	openw("/proc/sys/vm/overcommit_memory");
	return 0;
}
