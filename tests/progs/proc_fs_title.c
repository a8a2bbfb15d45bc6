/* proc_fs_title: /proc/self/cmdline after setproctitle-style overwriting
 * of the argument area (Linux then reads on into the environment up to
 * the first NUL). Run with one argument, as the harness does. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static long readall(const char *path, char *buf, size_t size) {
	int fd = open(path, O_RDONLY);
	long n = 0, r;
	while ((r = read(fd, buf + n, size - n)) > 0)
		n += r;
	close(fd);
	return n;
}

int main(int argc, char **argv) {
	static char buf[1 << 16];
	long n = readall("/proc/self/cmdline", buf, sizeof buf);
	printf("argc %d cmdline is argv[0]: %d\n", argc, n == (long)strlen(argv[0]) + 1 && memcmp(buf, argv[0], n) == 0);

	/* Overwrite argv[0] and its NUL: the title runs into the environment. */
	size_t l = strlen(argv[0]);
	memset(argv[0], 'x', l + 1);
	memcpy(argv[0], "title", 5);
	n = readall("/proc/self/cmdline", buf, sizeof buf);
	size_t want = strlen(argv[0]) + 1;
	printf("title read through env: %d ends with NUL: %d starts with title: %d\n",
	       n == (long)want && memcmp(buf, argv[0], want) == 0, n > 0 && buf[n - 1] == 0,
	       strncmp(buf, "title", 5) == 0);

	/* A title that fits, NUL-terminated inside the area: argv again. */
	memcpy(argv[0], "short", 6);
	n = readall("/proc/self/cmdline", buf, sizeof buf);
	printf("short title: %ld bytes, first string %s\n", n > (long)l ? 1L : n, buf);
	return 0;
}
