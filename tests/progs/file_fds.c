/* File descriptors: dup/dup2/dup3, fcntl (F_DUPFD, F_GETFD/SETFD,
 * F_GETFL/SETFL), close_range, O_CLOEXEC, O_PATH restrictions, ioctl
 * FIOCLEX/FIONCLEX, fsync, and shared offsets between duplicates. */
#include "file_common.h"
#include <sys/ioctl.h>
#include <sys/resource.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

int main(void) {
	enter("fds");
	char buf[16];
	int fd = open("f", O_RDWR | O_CREAT, 0644);
	write(fd, "0123456789", 10);
	lseek(fd, 0, SEEK_SET);

	int d = dup(fd);
	CHECK("dup", d);
	CHECK("read via dup", read(d, buf, 3));
	CHECK("shared offset", lseek(fd, 0, SEEK_CUR));
	CHECK("dup2 to 10", dup2(fd, 10));
	CHECK("dup2 same fd", dup2(fd, fd));
	CHECK("dup2 bad old", dup2(99, 11));
	CHECK("dup2 same bad fd", dup2(99, 99));
	CHECK("dup2 negative new", dup2(fd, -1));
	CHECK("dup3 same fd", dup3(fd, fd, 0));
	CHECK("dup3 bad flags", dup3(fd, 12, O_APPEND));
	CHECK("dup3 O_CLOEXEC", dup3(fd, 12, O_CLOEXEC));
	CHECK("F_GETFD 12", fcntl(12, F_GETFD));
	CHECK("F_GETFD 10", fcntl(10, F_GETFD));
	CHECK("F_SETFD", fcntl(10, F_SETFD, FD_CLOEXEC | 4));
	CHECK("F_GETFD after set", fcntl(10, F_GETFD));
	CHECK("FIONCLEX", ioctl(10, FIONCLEX));
	CHECK("F_GETFD after FIONCLEX", fcntl(10, F_GETFD));
	CHECK("FIOCLEX", ioctl(10, FIOCLEX));
	CHECK("F_GETFD after FIOCLEX", fcntl(10, F_GETFD));
	CHECK("F_DUPFD 20", fcntl(fd, F_DUPFD, 20));
	CHECK("F_DUPFD 20 again", fcntl(fd, F_DUPFD, 20));
	CHECK("F_DUPFD_CLOEXEC 30", fcntl(fd, F_DUPFD_CLOEXEC, 30));
	CHECK("F_GETFD 30", fcntl(30, F_GETFD));
	CHECK("F_DUPFD negative", fcntl(fd, F_DUPFD, -1));
	CHECK("F_DUPFD huge", fcntl(fd, F_DUPFD, 1 << 30));
	CHECK("fcntl bad cmd", fcntl(fd, 9999));
	CHECK("fcntl bad fd", fcntl(99, F_GETFD));

	printf("F_GETFL: %o\n", fcntl(fd, F_GETFL));
	CHECK("F_SETFL", fcntl(fd, F_SETFL, O_APPEND | O_NONBLOCK | O_RDONLY | O_CREAT));
	printf("F_GETFL after: %o\n", fcntl(fd, F_GETFL));
	printf("F_GETFL via dup: %o\n", fcntl(d, F_GETFL));
	CHECK("write appends", write(d, "X", 1));
	CHECK("offset", lseek(fd, 0, SEEK_CUR));
	fcntl(fd, F_SETFL, 0);
	int fl = open("f", O_WRONLY | O_CLOEXEC | O_TRUNC | O_NOCTTY | O_SYNC);
	printf("F_GETFL O_WRONLY|O_SYNC: %o\n", fcntl(fl, F_GETFL));
	printf("F_GETFD O_CLOEXEC: %d\n", fcntl(fl, F_GETFD));
	close(fl);
	fl = open(".", O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
	printf("F_GETFL dir: %o\n", fcntl(fl, F_GETFL));
	close(fl);

	/* O_PATH */
	int p = open("f", O_PATH);
	printf("F_GETFL O_PATH: %o\n", fcntl(p, F_GETFL));
	CHECK("O_PATH read", read(p, buf, 1));
	CHECK("O_PATH write", write(p, buf, 1));
	CHECK("O_PATH lseek", lseek(p, 0, SEEK_SET));
	CHECK("O_PATH fstat", fstat(p, &(struct stat){0}));
	CHECK("O_PATH ioctl", ioctl(p, FIONREAD, &fl));
	CHECK("O_PATH fchmod", fchmod(p, 0600));
	CHECK("O_PATH fsync", fsync(p));
	CHECK("O_PATH ftruncate", ftruncate(p, 0));
	CHECK("O_PATH dup", (fl = dup(p)) >= 0);
	close(fl);
	CHECK("O_PATH F_SETFL", fcntl(p, F_SETFL, O_NONBLOCK));
	CHECK("O_PATH getdents", syscall(SYS_getdents64, p, buf, sizeof buf));
	CHECK("O_PATH fstatat empty", fstatat(p, "", &(struct stat){0}, AT_EMPTY_PATH));
	close(p);
	p = open(".", O_PATH | O_DIRECTORY);
	CHECK("openat via O_PATH dir", (fl = openat(p, "f", O_RDONLY)) >= 0);
	close(fl);
	close(p);
	CHECK("O_PATH|O_DIRECTORY on file", open("f", O_PATH | O_DIRECTORY));

	/* fsync and friends */
	CHECK("fsync", fsync(fd));
	CHECK("fdatasync", fdatasync(fd));
	CHECK("syncfs", syncfs(fd));
	CHECK("fsync bad", fsync(99));
	sync();

	/* close_range */
	for (int i = 40; i < 45; i++) dup2(fd, i);
	CHECK("close_range bad order", syscall(SYS_close_range, 44, 40, 0));
	CHECK("close_range bad flags", syscall(SYS_close_range, 40, 44, 0x80));
	CHECK("close_range cloexec", syscall(SYS_close_range, 40, 41, CLOSE_RANGE_CLOEXEC));
	CHECK("F_GETFD 41", fcntl(41, F_GETFD));
	CHECK("F_GETFD 42", fcntl(42, F_GETFD));
	CHECK("close_range", syscall(SYS_close_range, 42, ~0U, 0));
	CHECK("fd 43 closed", fcntl(43, F_GETFD));
	CHECK("fd 41 open", fcntl(41, F_GETFD));

	/* lowest free fd, and RLIMIT_NOFILE */
	close(d);
	CHECK("lowest free", dup(fd));
	struct rlimit rl = {64, 64};
	CHECK("setrlimit", setrlimit(RLIMIT_NOFILE, &rl));
	int last = -1, n;
	while ((n = dup(fd)) >= 0) last = n;
	printf("last fd %d errno %s\n", last, errname(errno));
	CHECK("dup2 at limit", dup2(fd, 64));
	CHECK("dup2 below limit", dup2(fd, 63));
	CHECK("F_DUPFD at limit", fcntl(fd, F_DUPFD, 64));
	for (int i = 3; i < 64; i++) close(i);

	cleanup();
	return 0;
}
