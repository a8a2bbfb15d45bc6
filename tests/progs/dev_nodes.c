/* dev_nodes: kite's /dev device nodes behave and stat like Linux's. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static const char *ename(int e) {
	switch (e) {
	case 0: return "OK";
	case ENOENT: return "ENOENT";
	case EBADF: return "EBADF";
	case EACCES: return "EACCES";
	case EINVAL: return "EINVAL";
	case ENOSPC: return "ENOSPC";
	case ENXIO: return "ENXIO";
	case EROFS: return "EROFS";
	case ESPIPE: return "ESPIPE";
	case EFAULT: return "EFAULT";
	case EISDIR: return "EISDIR";
	case ENOTDIR: return "ENOTDIR";
	case ENOTTY: return "ENOTTY";
	case EPERM: return "EPERM";
	}
	return "E?";
}

static void show_stat(const char *path) {
	struct stat st;
	if (stat(path, &st) != 0) {
		printf("stat %s: %s\n", path, ename(errno));
		return;
	}
	printf("stat %s: chr=%d rdev=%u:%u mode=%o size=%lld\n", path,
	       S_ISCHR(st.st_mode) ? 1 : 0, major(st.st_rdev), minor(st.st_rdev),
	       (unsigned)(st.st_mode & 07777), (long long)st.st_size);
}

int main(void) {
	const char *nodes[] = {"/dev/null", "/dev/zero", "/dev/full", "/dev/random",
			       "/dev/urandom", "/dev/tty"};
	for (unsigned i = 0; i < sizeof nodes / sizeof nodes[0]; i++)
		show_stat(nodes[i]);

	char buf[64];
	ssize_t n;

	int fd = open("/dev/null", O_RDWR);
	printf("open null: %s\n", fd >= 0 ? "OK" : ename(errno));
	n = write(fd, "hello", 5);
	printf("write null: %zd\n", n);
	n = read(fd, buf, sizeof buf);
	printf("read null: %zd\n", n);
	printf("lseek null: %lld\n", (long long)lseek(fd, 100, SEEK_SET));
	struct stat st;
	fstat(fd, &st);
	printf("fstat null: chr=%d rdev=%u:%u\n", S_ISCHR(st.st_mode) ? 1 : 0,
	       major(st.st_rdev), minor(st.st_rdev));
	close(fd);

	fd = open("/dev/zero", O_RDWR);
	memset(buf, 0xff, sizeof buf);
	n = read(fd, buf, sizeof buf);
	int allzero = 1;
	for (int i = 0; i < (int)sizeof buf; i++)
		if (buf[i] != 0)
			allzero = 0;
	printf("read zero: %zd allzero=%d\n", n, allzero);
	n = write(fd, buf, 10);
	printf("write zero: %zd\n", n);
	n = pread(fd, buf, 8, 12345);
	printf("pread zero: %zd\n", n);
	close(fd);

	fd = open("/dev/full", O_RDWR);
	errno = 0;
	n = write(fd, "x", 1);
	printf("write full: %zd %s\n", n, ename(n < 0 ? errno : 0));
	memset(buf, 0xff, sizeof buf);
	n = read(fd, buf, 16);
	printf("read full: %zd first=%d last=%d\n", n, buf[0], buf[15]);
	close(fd);

	fd = open("/dev/urandom", O_RDONLY);
	n = read(fd, buf, 32);
	printf("read urandom: %zd\n", n);
	close(fd);
	fd = open("/dev/random", O_RDWR);
	n = read(fd, buf, 16);
	printf("read random: %zd\n", n);
	n = write(fd, "abc", 3);
	printf("write random: %zd\n", n);
	close(fd);

	/* null and zero take a write without reading the buffer: even a
	   bad one is no EFAULT; a read of zero into a bad one is. */
	const char *discard[] = {"/dev/null", "/dev/zero"};
	for (int i = 0; i < 2; i++) {
		fd = open(discard[i], O_RDWR);
		errno = 0;
		n = write(fd, (void *)8, 4096);
		printf("write %s bad buffer: %zd %s\n", discard[i], n, ename(n < 0 ? errno : 0));
		close(fd);
	}
	/* full refuses a write without reading the buffer either. */
	fd = open("/dev/full", O_WRONLY);
	errno = 0;
	n = write(fd, (void *)8, 4096);
	printf("write /dev/full bad buffer: %zd %s\n", n, ename(n < 0 ? errno : 0));
	close(fd);
	fd = open("/dev/zero", O_RDONLY);
	errno = 0;
	n = read(fd, (void *)8, 4096);
	printf("read zero bad buffer: %zd %s\n", n, ename(n < 0 ? errno : 0));
	close(fd);

	fd = open("/dev/null", O_RDONLY);
	errno = 0;
	n = write(fd, "x", 1);
	printf("write null rdonly: %zd %s\n", n, ename(n < 0 ? errno : 0));
	return 0;
}
