/* proc_fs_info: /proc/self/limits against getrlimit, /proc/self/auxv
 * against getauxval, /proc/self/fdinfo for an fd with an offset. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/resource.h>
#include <unistd.h>

static char buf[1 << 16];

static const char *ename(int e) {
	switch (e) {
	case 0: return "OK";
	case EACCES: return "EACCES";
	case EINVAL: return "EINVAL";
	case EIO: return "EIO";
	case EPERM: return "EPERM";
	}
	return "E?";
}

static long readall(const char *path) {
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	long n = 0, r;
	while ((r = read(fd, buf + n, sizeof buf - 1 - n)) > 0)
		n += r;
	close(fd);
	buf[n] = 0;
	return n;
}

int main(void) {
	readall("/proc/self/limits");
	char *l = strstr(buf, "\nMax open files ");
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	unsigned long cur = 0, max = 0;
	if (l)
		sscanf(l + 1 + 25, "%lu %lu", &cur, &max);
	printf("limits header: %.5s\n", buf);
	printf("open files matches getrlimit: %d\n", cur == rl.rlim_cur && max == rl.rlim_max);
	int lines = 0;
	for (char *p = buf; *p; p++)
		lines += *p == '\n';
	printf("limits lines: %d\n", lines);

	long n = readall("/proc/self/auxv");
	uint64_t *a = (uint64_t *)buf;
	int pagesz = 0, uid = 0, null_last = n >= 16 && a[n / 8 - 2] == AT_NULL;
	for (long i = 0; i + 1 < n / 8; i += 2) {
		if (a[i] == AT_PAGESZ && a[i + 1] == getauxval(AT_PAGESZ))
			pagesz = 1;
		if (a[i] == AT_UID && a[i + 1] == getauxval(AT_UID))
			uid = 1;
	}
	printf("auxv: pagesz %d uid %d ends with AT_NULL %d\n", pagesz, uid, null_last);

	int fd = open("/proc/self/limits", O_RDONLY | O_CLOEXEC);
	char tmp[7];
	read(fd, tmp, sizeof tmp);
	char path[64];
	snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fd);
	readall(path);
	unsigned long pos = 99, flags = 0;
	sscanf(buf, "pos:\t%lu\nflags:\t%lo", &pos, &flags);
	printf("fdinfo pos %lu cloexec %d accmode %lu\n", pos, (flags & O_CLOEXEC) != 0, flags & O_ACCMODE);
	printf("fdinfo has mnt_id and ino: %d\n", strstr(buf, "\nmnt_id:\t") != NULL && strstr(buf, "\nino:\t") != NULL);
	close(fd);

	/* Read-only files: root may open them for writing (others get
	 * EACCES); writes fail with EINVAL (a process's) or EIO (others). */
	const char *ro[] = {"/proc/self/stat", "/proc/self/status", "/proc/meminfo", "/proc/uptime"};
	for (int i = 0; i < 4; i++) {
		int wfd = open(ro[i], O_WRONLY);
		int oerr = wfd < 0 ? errno : 0, werr = 0;
		if (wfd >= 0) {
			if (write(wfd, "x", 1) < 0)
				werr = errno;
			close(wfd);
		}
		printf("%s: open %s write %s\n", ro[i], ename(oerr), ename(werr));
	}
	return 0;
}
