/* Shared mappings of an immutable or append-only file, in a directory of
 * /dev/shm (tmpfs) or of $ATTR_DIR (tests/mmimmutable_test.go: an ext4
 * image under kite, the host's ext4 disk). mmap itself is allowed on an
 * immutable file through a descriptor opened before; ext4 then refuses
 * every write through a shared mapping (SIGBUS; its page_mkwrite), pages
 * written before the flag was set too, and the kernel's own writes into
 * such a mapping (EFAULT), while tmpfs takes them all. Private mappings
 * copy as always. A shared mapping of an append-only file through a
 * descriptor open for writing is EACCES, even read-only. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

/* linux/fs.h, which musl's tool chain lacks. */
#define FS_IOC_GETFLAGS _IOR('f', 1, long)
#define FS_IOC_SETFLAGS _IOW('f', 2, long)
#define FS_IMMUTABLE_FL 0x10
#define FS_APPEND_FL 0x20
#define PG 4096

static sigjmp_buf jb;
static void onbus(int s) {
	(void)s;
	siglongjmp(jb, 1);
}

/* put writes c at p and says whether the write went through. */
static void put(const char *what, char *p, char c) {
	if (sigsetjmp(jb, 1) == 0) {
		*(volatile char *)p = c;
		printf("%s: written\n", what);
	} else {
		printf("%s: SIGBUS\n", what);
	}
}

static const char *en(int e) {
	switch (e) {
	case EACCES: return "EACCES";
	case EPERM: return "EPERM";
	case EFAULT: return "EFAULT";
	}
	static char b[32];
	snprintf(b, sizeof b, "errno%d", e);
	return b;
}

static void res(const char *what, long r) {
	if (r < 0)
		printf("%s: %s\n", what, en(errno));
	else
		printf("%s: ok\n", what);
}

static long setfl(int fd, int flag, int on) {
	int f = 0;
	if (ioctl(fd, FS_IOC_GETFLAGS, &f) < 0)
		return -1;
	f = on ? f | flag : f & ~flag;
	return ioctl(fd, FS_IOC_SETFLAGS, &f);
}

/* show prints a file byte: 0 for a zero byte, . for other unprintable
 * ones (the ELF magic read(2) put there). */
static char show(char c) { return c == 0 ? '0' : c >= 'a' && c <= 'z' ? c : '.'; }

int main(void) {
	setvbuf(stdout, NULL, _IONBF, 0);
	signal(SIGBUS, onbus);
	const char *base = getenv("ATTR_DIR");
	char dir[256], path[300];
	snprintf(dir, sizeof dir, "%s/immutable-XXXXXX", base ? base : "/dev/shm");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(path, sizeof path, "%s/f", dir);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || ftruncate(fd, 3 * PG) < 0) {
		perror("open");
		return 1;
	}
	char *m = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	char *ro = mmap(NULL, 3 * PG, PROT_READ, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED || ro == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	put("before chattr +i, page 0", m, 'a');
	long r = setfl(fd, FS_IMMUTABLE_FL, 1);
	res("chattr +i", r);
	if (r == 0) {
		put("page 0, written before", m, 'b');
		put("page 1, untouched", m + PG, 'c');
		char *n = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		res("new shared writable mapping", n == MAP_FAILED ? -1 : 0);
		if (n != MAP_FAILED) {
			put("new mapping, page 2", n + 2 * PG, 'd');
			printf("new mapping reads page 0: %c\n", show(n[0]));
		}
		res("mprotect read-only mapping writable", mprotect(ro, 3 * PG, PROT_READ | PROT_WRITE));
		put("mprotected mapping, page 2", ro + 2 * PG, 'e');
		/* The kernel writing into the mapping: read(2) into it. */
		int src = open("/proc/self/exe", O_RDONLY);
		errno = 0;
		long got = pread(src, m + PG, 16, 0);
		printf("read(2) into the mapping: %s\n", got == 16 ? "16" : got < 0 ? en(errno) : "short");
		close(src);
		char *p = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
		put("private mapping", p, 'f');
		printf("private mapping reads %c, shared %c\n", show(p[0]), show(m[0]));
		char b[3] = {0};
		pread(fd, b, 3, 0);
		pread(fd, b + 1, 1, PG);
		pread(fd, b + 2, 1, 2 * PG);
		printf("file bytes: %c %c %c\n", show(b[0]), show(b[1]), show(b[2]));
		res("chattr -i", setfl(fd, FS_IMMUTABLE_FL, 0));
		put("after chattr -i, page 1", m + PG, 'g');
		if (n != MAP_FAILED)
			put("after chattr -i, new mapping, page 2", n + 2 * PG, 'h');
		munmap(p, PG);
		if (n != MAP_FAILED)
			munmap(n, 3 * PG);
	}
	r = setfl(fd, FS_APPEND_FL, 1);
	res("chattr +a", r);
	if (r == 0) {
		put("append-only, old mapping", m + 2 * PG, 'i');
		char *a = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		res("append-only: shared writable mapping", a == MAP_FAILED ? -1 : 0);
		a = mmap(NULL, PG, PROT_READ, MAP_SHARED, fd, 0);
		res("append-only: shared read-only mapping", a == MAP_FAILED ? -1 : 0);
		a = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
		res("append-only: private mapping", a == MAP_FAILED ? -1 : 0);
		int rfd = open(path, O_RDONLY);
		a = mmap(NULL, PG, PROT_READ, MAP_SHARED, rfd, 0);
		res("append-only: shared mapping, read-only descriptor", a == MAP_FAILED ? -1 : 0);
		close(rfd);
		res("chattr -a", setfl(fd, FS_APPEND_FL, 0));
	}
	char b[3] = {0};
	pread(fd, b, 1, 0);
	pread(fd, b + 1, 1, PG);
	pread(fd, b + 2, 1, 2 * PG);
	printf("file bytes at the end: %c %c %c\n", show(b[0]), show(b[1]), show(b[2]));
	munmap(m, 3 * PG);
	munmap(ro, 3 * PG);
	close(fd);
	unlink(path);
	rmdir(dir);
	return 0;
}
