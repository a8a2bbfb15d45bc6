/* memfd_create and file seals: flags and name errors, every seal and
 * what it refuses, EBUSY for F_SEAL_WRITE with a writable mapping,
 * sharing a memfd's pages with a child through a mapping, and
 * F_GET_SEALS on files that are not memfds. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x0008U
#define MFD_EXEC 0x0010U
#endif
#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
#endif
#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC 0x0020
#endif

static const char *en(int e) {
	switch (e) {
	case 0: return "OK";
	case EINVAL: return "EINVAL";
	case EPERM: return "EPERM";
	case EBUSY: return "EBUSY";
	case EFAULT: return "EFAULT";
	case EACCES: return "EACCES";
	case EBADF: return "EBADF";
	}
	static char buf[32];
	snprintf(buf, sizeof buf, "errno%d", e);
	return buf;
}

#define TRY(name, expr) do { errno = 0; long r_ = (long)(expr); printf("%-40s = %ld %s\n", name, r_ < 0 ? -1L : r_, r_ < 0 ? en(errno) : ""); } while (0)

static int mfd(const char *name, unsigned flags) {
	return syscall(SYS_memfd_create, name, flags);
}

int main(void) {
	long P = sysconf(_SC_PAGESIZE);
	char link[128], path[64];

	/* creation */
	int fd = mfd("plain", MFD_CLOEXEC);
	printf("created %d\n", fd >= 0);
	TRY("F_GETFD cloexec", fcntl(fd, F_GETFD));
	TRY("F_GETFL", fcntl(fd, F_GETFL) & O_ACCMODE);
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	ssize_t n = readlink(path, link, sizeof link - 1);
	link[n > 0 ? n : 0] = 0;
	printf("readlink: %s\n", link);
	struct stat st;
	fstat(fd, &st);
	printf("mode %o size %ld nlink %ld\n", st.st_mode, (long)st.st_size, (long)st.st_nlink);
	TRY("F_GET_SEALS no sealing", fcntl(fd, F_GET_SEALS));
	TRY("F_ADD_SEALS no sealing", fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE));

	char longname[300];
	memset(longname, 'a', sizeof longname);
	longname[249] = 0;
	int l = mfd(longname, 0);
	printf("name of 249: %s\n", l >= 0 ? "ok" : en(errno));
	close(l);
	longname[249] = 'a';
	longname[250] = 0;
	TRY("name of 250", mfd(longname, 0));
	TRY("bad flags", mfd("x", 0x100));
	TRY("EXEC|NOEXEC_SEAL", mfd("x", MFD_EXEC | MFD_NOEXEC_SEAL));
	TRY("bad name pointer", mfd((char *)1, 0));

	/* the pages are shared with a child through a mapping */
	ftruncate(fd, P);
	char *m = mmap(NULL, P, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		strcpy(m, "from child");
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	char buf[32] = {0};
	pread(fd, buf, 10, 0);
	printf("parent reads: %s\n", buf);
	/* reopen through /proc/self/fd shares the same file */
	int fd2 = open(path, O_RDWR);
	pwrite(fd2, "via proc", 8, 100);
	printf("mapping sees reopen write: %.8s\n", m + 100);
	close(fd2);

	/* seals */
	int s = mfd("sealed", MFD_ALLOW_SEALING);
	TRY("F_GET_SEALS", fcntl(s, F_GET_SEALS));
	TRY("write", write(s, "0123456789", 10));
	TRY("F_SEAL_SHRINK", fcntl(s, F_ADD_SEALS, F_SEAL_SHRINK));
	TRY("shrink", ftruncate(s, 5));
	TRY("grow", ftruncate(s, 4 * P));
	TRY("F_SEAL_GROW", fcntl(s, F_ADD_SEALS, F_SEAL_GROW));
	TRY("grow sealed", ftruncate(s, 8 * P));
	TRY("write past end", pwrite(s, "x", 1, 4 * P));
	TRY("write inside", pwrite(s, "x", 1, 10));
	TRY("fallocate past end", fallocate(s, 0, 4 * P, P));
	char *w = mmap(NULL, P, PROT_READ | PROT_WRITE, MAP_SHARED, s, 0);
	TRY("F_SEAL_WRITE with writable map", fcntl(s, F_ADD_SEALS, F_SEAL_WRITE));
	char *r = mmap(NULL, P, PROT_READ, MAP_SHARED, s, 0);
	TRY("F_SEAL_WRITE with read-only map too", fcntl(s, F_ADD_SEALS, F_SEAL_WRITE));
	munmap(w, P);
	TRY("F_SEAL_WRITE ro map of rw fd", fcntl(s, F_ADD_SEALS, F_SEAL_WRITE));
	munmap(r, P);
	char *pm = mmap(NULL, P, PROT_READ | PROT_WRITE, MAP_PRIVATE, s, 0);
	TRY("F_SEAL_WRITE with private map", fcntl(s, F_ADD_SEALS, F_SEAL_WRITE));
	TRY("F_GET_SEALS", fcntl(s, F_GET_SEALS));
	TRY("write sealed", pwrite(s, "y", 1, 0));
	pm[0] = 'p';
	printf("private write ok: %c\n", pm[0]);
	w = mmap(NULL, P, PROT_READ | PROT_WRITE, MAP_SHARED, s, 0);
	printf("shared rw map sealed: %s\n", w == MAP_FAILED ? en(errno) : "mapped");
	r = mmap(NULL, P, PROT_READ, MAP_SHARED, s, 0);
	printf("shared ro map sealed: %s\n", r == MAP_FAILED ? en(errno) : "mapped");
	TRY("mprotect it writable", mprotect(r, P, PROT_READ | PROT_WRITE));
	TRY("punch sealed", fallocate(s, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, P));
	TRY("F_SEAL_SEAL", fcntl(s, F_ADD_SEALS, F_SEAL_SEAL));
	TRY("add after SEAL_SEAL", fcntl(s, F_ADD_SEALS, F_SEAL_EXEC));
	TRY("F_GET_SEALS", fcntl(s, F_GET_SEALS));
	TRY("bad seal", fcntl(mfd("b", MFD_ALLOW_SEALING), F_ADD_SEALS, 0x100));
	int ro;
	snprintf(path, sizeof path, "/proc/self/fd/%d", s);
	ro = open(path, O_RDONLY);
	TRY("F_ADD_SEALS on O_RDONLY", fcntl(ro, F_ADD_SEALS, F_SEAL_SEAL));

	/* FUTURE_WRITE keeps existing mappings, refuses new writers */
	int fw = mfd("future", MFD_ALLOW_SEALING);
	ftruncate(fw, P);
	char *fm = mmap(NULL, P, PROT_READ | PROT_WRITE, MAP_SHARED, fw, 0);
	TRY("F_SEAL_FUTURE_WRITE", fcntl(fw, F_ADD_SEALS, F_SEAL_FUTURE_WRITE));
	strcpy(fm, "old map writes");
	printf("old mapping still writes: %s\n", fm);
	TRY("write after FUTURE_WRITE", pwrite(fw, "z", 1, 0));
	w = mmap(NULL, P, PROT_READ | PROT_WRITE, MAP_SHARED, fw, 0);
	printf("new rw map: %s\n", w == MAP_FAILED ? en(errno) : "mapped");

	/* NOEXEC_SEAL: no exec bits, F_SEAL_EXEC set, sealing allowed */
	int ne = mfd("noexec", MFD_NOEXEC_SEAL);
	fstat(ne, &st);
	printf("noexec mode %o\n", st.st_mode);
	TRY("noexec seals", fcntl(ne, F_GET_SEALS));
	TRY("chmod +x", fchmod(ne, 0755));
	TRY("chmod rw", fchmod(ne, 0600));
	int ex = mfd("exec", MFD_EXEC);
	fstat(ex, &st);
	printf("exec mode %o\n", st.st_mode);
	TRY("exec seals", fcntl(ex, F_GET_SEALS));

	/* seals of other files */
	int pfd[2];
	pipe(pfd);
	TRY("F_GET_SEALS pipe", fcntl(pfd[0], F_GET_SEALS));
	int dev = open("/dev/null", O_RDWR);
	TRY("F_GET_SEALS /dev/null", fcntl(dev, F_GET_SEALS));
	int shm = open("/dev/shm/memfd_seals_test", O_RDWR | O_CREAT | O_TRUNC, 0600);
	TRY("F_GET_SEALS /dev/shm file", fcntl(shm, F_GET_SEALS));
	TRY("F_ADD_SEALS /dev/shm file", fcntl(shm, F_ADD_SEALS, F_SEAL_WRITE));
	unlink("/dev/shm/memfd_seals_test");
	return 0;
}
