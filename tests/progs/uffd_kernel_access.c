/* userfaultfd and the kernel's own accesses: read(2) into a missing page
 * of a range registered with UFFDIO_REGISTER_MODE_MISSING, write(2) from
 * one, and a read across two, raise the userfault as the program's own
 * access does (the kernel's write reports UFFD_PAGEFAULT_FLAG_WRITE) and
 * wait until the handler thread resolves it with UFFDIO_COPY: the page
 * then holds the copied bytes around what read(2) stored, and write(2)
 * sends the copied bytes. With UFFD_USER_MODE_ONLY the kernel's access
 * fails with EFAULT and no fault is sent. Without CAP_SYS_PTRACE (uid
 * 1000) only UFFD_USER_MODE_ONLY contexts can be made. UFFDIO_COPY_MODE_WP
 * on a range registered only for missing pages is EINVAL. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "file_common.h"

/* linux/userfaultfd.h, which musl lacks. */
#define UFFD_API 0xaaULL
#define UFFD_USER_MODE_ONLY 1
#define UFFDIO_REGISTER_MODE_MISSING 1ULL
struct uffd_msg {
	uint8_t event, reserved1;
	uint16_t reserved2;
	uint32_t reserved3;
	union {
		struct {
			uint64_t flags, address;
			uint32_t ptid;
		} pagefault;
		uint64_t reserved[3];
	} arg;
} __attribute__((packed));
struct uffdio_api {
	uint64_t api, features, ioctls;
};
struct uffdio_range {
	uint64_t start, len;
};
struct uffdio_register {
	struct uffdio_range range;
	uint64_t mode, ioctls;
};
struct uffdio_copy {
	uint64_t dst, src, len, mode;
	int64_t copy;
};
#define UFFDIO_API _IOWR(0xaa, 0x3f, struct uffdio_api)
#define UFFDIO_REGISTER _IOWR(0xaa, 0x00, struct uffdio_register)
#define UFFDIO_COPY _IOWR(0xaa, 0x03, struct uffdio_copy)

static long P;
static int uffd;
static char *base, *srcpage;

/* The handler resolves each fault with a page of the letter 'A' + its
 * index in base, printing the fault first: the faulting call returns
 * only after that, so the output's order is fixed. */
static void *handler(void *arg) {
	long n = (long)arg;
	for (long i = 0; i < n; i++) {
		struct pollfd pfd = {.fd = uffd, .events = POLLIN};
		if (poll(&pfd, 1, -1) != 1 || pfd.revents != POLLIN) {
			printf("poll: %s\n", errname(errno));
			exit(1);
		}
		struct uffd_msg msg;
		if (read(uffd, &msg, sizeof msg) != sizeof msg) {
			printf("read uffd: %s\n", errname(errno));
			exit(1);
		}
		long page = (long)((char *)(uintptr_t)msg.arg.pagefault.address - base) / P;
		printf("handler: event %#x, page %ld, offset %ld, write flag %d\n", msg.event, page,
		       (long)(msg.arg.pagefault.address % P), (int)(msg.arg.pagefault.flags & 1));
		fflush(stdout);
		memset(srcpage, 'A' + page, P);
		struct uffdio_copy c = {.dst = (uintptr_t)base + page * P, .src = (uintptr_t)srcpage, .len = P};
		if (ioctl(uffd, UFFDIO_COPY, &c) < 0)
			printf("copy: %s\n", errname(errno));
	}
	return NULL;
}

/* show prints the runs of equal bytes in [p, p+n). */
static void show(const char *what, const char *p, long n) {
	printf("%s:", what);
	for (long i = 0; i < n;) {
		long j = i;
		while (j < n && p[j] == p[i])
			j++;
		if (p[i] >= 32 && p[i] < 127)
			printf(" %ld*'%c'", j - i, p[i]);
		else
			printf(" %ld*%d", j - i, p[i]);
		i = j;
	}
	printf("\n");
}

static int newuffd(int flags) {
	int fd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | flags);
	if (fd < 0)
		return -1;
	struct uffdio_api api = {.api = UFFD_API};
	if (ioctl(fd, UFFDIO_API, &api) < 0)
		printf("api: %s\n", errname(errno));
	return fd;
}

static int reg(int fd, char *p, long len) {
	struct uffdio_register r = {.range = {.start = (uintptr_t)p, .len = len}, .mode = UFFDIO_REGISTER_MODE_MISSING};
	int ret = ioctl(fd, UFFDIO_REGISTER, &r);
	if (ret < 0)
		printf("register: %s\n", errname(errno));
	return ret;
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	P = sysconf(_SC_PAGESIZE);
	enter("uffd_kernel_access");
	char *data = malloc(3 * P);
	memset(data, 'f', 3 * P);
	int fd = open("data", O_CREAT | O_RDWR | O_TRUNC, 0600);
	if (fd < 0 || write(fd, data, 3 * P) != 3 * P) {
		printf("data file: %s\n", errname(errno));
		return 1;
	}
	int pfd[2];
	if (pipe(pfd) < 0)
		return 1;
	base = mmap(NULL, 6 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	srcpage = mmap(NULL, P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	uffd = newuffd(0);
	if (uffd < 0) {
		printf("userfaultfd: %s\n", errname(errno));
	} else if (reg(uffd, base, 4 * P) == 0) {
		pthread_t th;
		pthread_create(&th, NULL, handler, (void *)4L);
		/* read(2) of 100 bytes into the middle of page 0. */
		ssize_t r = pread(fd, base + 50, 100, 0);
		printf("read into page 0: %zd\n", r);
		show("page 0", base, P);
		/* read(2) across pages 1 and 2: two faults, in order. */
		r = pread(fd, base + 2 * P - 10, 20, 0);
		printf("read across pages 1 and 2: %zd\n", r);
		show("pages 1 and 2", base + P, 2 * P);
		/* write(2) from page 3: a read fault, the copied bytes sent. */
		r = write(pfd[1], base + 3 * P + 7, 5);
		printf("write from page 3: %zd\n", r);
		char got[8] = {0};
		r = read(pfd[0], got, sizeof got);
		printf("the pipe holds %zd bytes: %.5s\n", r, got);
		pthread_join(th, NULL);
		/* UFFDIO_COPY_MODE_WP needs a range registered for
		 * write-protection: EINVAL in one registered only for
		 * missing pages, ENOENT outside; the result says so. */
		struct uffdio_copy c = {.dst = (uintptr_t)base, .src = (uintptr_t)srcpage, .len = P, .mode = 2};
		r = ioctl(uffd, UFFDIO_COPY, &c);
		printf("copy with write-protect: %zd %s, result %lld\n", r, errname(errno), (long long)c.copy);
		c = (struct uffdio_copy){.dst = (uintptr_t)base + 4 * P, .src = (uintptr_t)srcpage, .len = P, .mode = 2};
		r = ioctl(uffd, UFFDIO_COPY, &c);
		printf("copy with write-protect outside: %zd %s, result %lld\n", r, errname(errno), (long long)c.copy);
		close(uffd);
	}

	/* UFFD_USER_MODE_ONLY: the kernel's accesses are EFAULT. */
	int uo = newuffd(UFFD_USER_MODE_ONLY);
	if (uo < 0) {
		printf("userfaultfd user mode only: %s\n", errname(errno));
	} else if (reg(uo, base + 4 * P, 2 * P) == 0) {
		ssize_t r = pread(fd, base + 4 * P, 10, 0);
		printf("read into a user-mode-only page: %zd %s\n", r, r < 0 ? errname(errno) : "");
		r = write(pfd[1], base + 5 * P, 10);
		printf("write from a user-mode-only page: %zd %s\n", r, r < 0 ? errname(errno) : "");
		struct pollfd p = {.fd = uo, .events = POLLIN};
		int n = poll(&p, 1, 0);
		printf("poll: %d, revents %#x\n", n, p.revents);
		struct uffd_msg msg;
		ssize_t m = read(uo, &msg, sizeof msg);
		printf("read uffd: %zd %s\n", m, m < 0 ? errname(errno) : "");
		if (m == sizeof msg)
			printf("msg event %#x addr page %ld\n", msg.event, (long)((char *)(uintptr_t)msg.arg.pagefault.address - base) / P);
		close(uo);
		printf("after close, page 4 reads %d\n", base[4 * P]);
	}
	close(fd);
	cleanup();
	return 0;
}
