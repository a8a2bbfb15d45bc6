/* pidfd_getfd (another process's file description, shared offset,
 * close-on-exec, the errors), name_to_handle_at/open_by_handle_at on a
 * file system that encodes no handles (procfs) with their argument
 * checks, and sysfs(2)'s three options. */
#include "misc_common.h"
#include <sys/stat.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

struct handle {
	unsigned int handle_bytes;
	int handle_type;
	unsigned char f_handle[128];
};

int main(void) {
	setvbuf(stdout, NULL, _IONBF, 0);
	int ready[2], hold[2];
	pipe(ready);
	pipe(hold);
	pid_t pid = fork();
	if (pid == 0) {
		int fd = open("/proc/self/status", O_RDONLY);
		dup2(fd, 20);
		lseek(20, 5, SEEK_SET);
		write(ready[1], "r", 1);
		char c;
		read(hold[0], &c, 1);
		printf("child offset after parent's read: %ld\n", (long)lseek(20, 0, SEEK_CUR));
		_exit(0);
	}
	char c;
	read(ready[0], &c, 1);
	int pfd = syscall(SYS_pidfd_open, pid, 0);
	CHECKOK("pidfd_open", pfd);
	int got = syscall(SYS_pidfd_getfd, pfd, 20, 0);
	CHECKOK("pidfd_getfd", got);
	CHECK("cloexec set", fcntl(got, F_GETFD));
	CHECK("offset shared", lseek(got, 0, SEEK_CUR));
	char buf[4];
	CHECK("read 4", read(got, buf, 4));
	CHECK("flags", syscall(SYS_pidfd_getfd, pfd, 20, 1));
	CHECK("no such fd", syscall(SYS_pidfd_getfd, pfd, 99, 0));
	CHECK("negative fd", syscall(SYS_pidfd_getfd, pfd, -1, 0));
	CHECK("not a pidfd", syscall(SYS_pidfd_getfd, got, 20, 0));
	CHECK("bad pidfd", syscall(SYS_pidfd_getfd, 999, 20, 0));
	int self = syscall(SYS_pidfd_open, getpid(), 0);
	CHECKOK("own fd through own pidfd", syscall(SYS_pidfd_getfd, self, 1, 0));
	write(hold[1], "x", 1);
	waitchild("child", pid);
	CHECK("exited child", syscall(SYS_pidfd_getfd, pfd, 20, 0));

	pid_t u = fork();
	if (u == 0) {
		if (setgid(65534) || setuid(65534)) _exit(2);
		CHECK("other user: parent's fd", syscall(SYS_pidfd_getfd, self, 1, 0));
		_exit(0);
	}
	waitchild("other user", u);

	struct handle h = {.handle_bytes = 128};
	int mnt = -1;
	CHECK("name_to_handle_at on procfs", syscall(SYS_name_to_handle_at, AT_FDCWD, "/proc/self/status", &h, &mnt, 0));
	CHECK("name_to_handle_at missing", syscall(SYS_name_to_handle_at, AT_FDCWD, "/proc/nonexistent", &h, &mnt, 0));
	CHECK("name_to_handle_at bad flags", syscall(SYS_name_to_handle_at, AT_FDCWD, "/proc/self/status", &h, &mnt, 0x8000));
	CHECK("name_to_handle_at bad path", syscall(SYS_name_to_handle_at, AT_FDCWD, bad, &h, &mnt, 0));
	CHECK("name_to_handle_at empty path", syscall(SYS_name_to_handle_at, AT_FDCWD, "", &h, &mnt, 0));
	int proc = open("/proc", O_RDONLY | O_DIRECTORY);
	h.handle_bytes = 8;
	h.handle_type = 1;
	CHECK("open_by_handle_at stale", syscall(SYS_open_by_handle_at, proc, &h, O_RDONLY));
	h.handle_bytes = 0;
	CHECK("open_by_handle_at 0 bytes", syscall(SYS_open_by_handle_at, proc, &h, O_RDONLY));
	h.handle_bytes = 129;
	CHECK("open_by_handle_at 129 bytes", syscall(SYS_open_by_handle_at, proc, &h, O_RDONLY));
	h.handle_bytes = 8;
	h.handle_type = -1;
	CHECK("open_by_handle_at negative type", syscall(SYS_open_by_handle_at, proc, &h, O_RDONLY));
	CHECK("open_by_handle_at bad handle", syscall(SYS_open_by_handle_at, proc, bad, O_RDONLY));
	CHECK("open_by_handle_at bad fd, bad type", syscall(SYS_open_by_handle_at, 999, &h, O_RDONLY));
	h.handle_type = 1;
	CHECK("open_by_handle_at bad fd", syscall(SYS_open_by_handle_at, 999, &h, O_RDONLY));

	long n = syscall(SYS_sysfs, 3);
	printf("sysfs count > 3: %d\n", n > 3);
	long idx = syscall(SYS_sysfs, 1, "proc");
	char name[64] = {0};
	CHECK("sysfs index to name", syscall(SYS_sysfs, 2, idx, name));
	printf("name of proc's index: %s\n", name);
	idx = syscall(SYS_sysfs, 1, "tmpfs");
	CHECK("sysfs tmpfs index to name", syscall(SYS_sysfs, 2, idx, name));
	printf("name of tmpfs's index: %s\n", name);
	CHECK("sysfs unknown name", syscall(SYS_sysfs, 1, "nosuchfs"));
	CHECK("sysfs bad name pointer", syscall(SYS_sysfs, 1, bad));
	CHECK("sysfs index out of range", syscall(SYS_sysfs, 2, n, name));
	CHECK("sysfs bad buffer", syscall(SYS_sysfs, 2, 0, bad));
	CHECK("sysfs option 4", syscall(SYS_sysfs, 4));
	CHECK("sysfs option 0", syscall(SYS_sysfs, 0));
	return 0;
}
