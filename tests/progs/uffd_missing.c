/* userfaultfd with UFFDIO_REGISTER_MODE_MISSING on private anonymous
 * memory: a handler thread polls the fd, reads each struct uffd_msg and
 * resolves the fault with UFFDIO_COPY, UFFDIO_ZEROPAGE, or a DONTWAKE
 * copy followed by UFFDIO_WAKE, while the faulting thread waits (it
 * prints only after the handler resolved its fault: no sleeps). Then
 * EEXIST and ENOENT, UNREGISTER, fork (the child's memory is not
 * registered), the errors, and EPERM without CAP_SYS_PTRACE unless
 * UFFD_USER_MODE_ONLY (vm.unprivileged_userfaultfd is 0). Runs as root
 * on the host. Only the ioctls and features kite offers are shown. */
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
#include <sys/wait.h>
#include <unistd.h>

/* linux/userfaultfd.h and linux/capability.h, which musl lacks. */
#define UFFD_API 0xaaULL
#define UFFD_USER_MODE_ONLY 1
#define UFFDIO_REGISTER_MODE_MISSING 1ULL
#define UFFDIO_COPY_MODE_DONTWAKE 1ULL
#define _UFFDIO_REGISTER 0x00
#define _UFFDIO_UNREGISTER 0x01
#define _UFFDIO_WAKE 0x02
#define _UFFDIO_COPY 0x03
#define _UFFDIO_ZEROPAGE 0x04
#define _UFFDIO_API 0x3f
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
struct uffdio_zeropage {
	struct uffdio_range range;
	uint64_t mode;
	int64_t zeropage;
};
#define UFFDIO_API _IOWR(0xaa, _UFFDIO_API, struct uffdio_api)
#define UFFDIO_REGISTER _IOWR(0xaa, _UFFDIO_REGISTER, struct uffdio_register)
#define UFFDIO_UNREGISTER _IOR(0xaa, _UFFDIO_UNREGISTER, struct uffdio_range)
#define UFFDIO_WAKE _IOR(0xaa, _UFFDIO_WAKE, struct uffdio_range)
#define UFFDIO_COPY _IOWR(0xaa, _UFFDIO_COPY, struct uffdio_copy)
#define UFFDIO_ZEROPAGE _IOWR(0xaa, _UFFDIO_ZEROPAGE, struct uffdio_zeropage)
struct cap_header {
	uint32_t version;
	int pid;
};
struct cap_data {
	uint32_t effective, permitted, inheritable;
};
#define CAP_VERSION_3 0x20080522
#define CAP_SYS_PTRACE_BIT 19

static long P;
static int uffd;
static char *base;
static char *srcpage;
static int donepipe[2]; /* the handler says it has printed */

/* handled waits until the handler printed what it did for a fault. */
static void handled(void) {
	char c;
	if (read(donepipe[0], &c, 1) != 1)
		exit(1);
}

static void *handler(void *arg) {
	(void)arg;
	for (int n = 0; n < 3; n++) {
		struct pollfd pfd = {.fd = uffd, .events = POLLIN};
		if (poll(&pfd, 1, -1) != 1 || !(pfd.revents & POLLIN)) {
			printf("poll failed\n");
			exit(1);
		}
		struct uffd_msg msg;
		ssize_t r = read(uffd, &msg, sizeof msg);
		if (r != sizeof msg) {
			printf("read: %zd\n", r);
			exit(1);
		}
		long page = (long)((char *)(uintptr_t)msg.arg.pagefault.address - base) / P;
		printf("handler: event %#x, page %ld, offset in page %ld, flags %#llx\n", msg.event, page,
		       (long)(msg.arg.pagefault.address % P), (unsigned long long)msg.arg.pagefault.flags);
		fflush(stdout);
		if (page == 0) {
			memset(srcpage, 'A', P);
			struct uffdio_copy c = {.dst = (uintptr_t)base, .src = (uintptr_t)srcpage, .len = P};
			int ret = ioctl(uffd, UFFDIO_COPY, &c);
			printf("handler: copy %d, copied %lld\n", ret, (long long)c.copy);
		} else if (page == 1) {
			struct uffdio_zeropage z = {.range = {.start = (uintptr_t)base + P, .len = P}};
			int ret = ioctl(uffd, UFFDIO_ZEROPAGE, &z);
			printf("handler: zeropage %d, zeroed %lld\n", ret, (long long)z.zeropage);
		} else {
			memset(srcpage, 'C', P);
			struct uffdio_copy c = {.dst = (uintptr_t)base + 2 * P, .src = (uintptr_t)srcpage, .len = P,
						.mode = UFFDIO_COPY_MODE_DONTWAKE};
			int ret = ioctl(uffd, UFFDIO_COPY, &c);
			printf("handler: dontwake copy %d, copied %lld\n", ret, (long long)c.copy);
			struct uffdio_range w = {.start = (uintptr_t)base + 2 * P, .len = P};
			ret = ioctl(uffd, UFFDIO_WAKE, &w);
			printf("handler: wake %d\n", ret);
		}
		fflush(stdout);
		if (write(donepipe[1], "d", 1) != 1)
			exit(1);
	}
	return NULL;
}

static void res(const char *what, long r) {
	if (r < 0)
		printf("%s: -1 %s\n", what, strerror(errno));
	else
		printf("%s: %ld\n", what, r);
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	P = sysconf(_SC_PAGESIZE);
	res("bad flags", syscall(SYS_userfaultfd, 0x100));
	uffd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (uffd < 0) {
		perror("userfaultfd");
		return 1;
	}
	char *early = mmap(NULL, P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct uffdio_register reg = {.range = {.start = (uintptr_t)early, .len = P}, .mode = UFFDIO_REGISTER_MODE_MISSING};
	res("register before UFFDIO_API", ioctl(uffd, UFFDIO_REGISTER, &reg));
	struct uffdio_api api = {.api = 0x1234};
	res("api with a wrong version", ioctl(uffd, UFFDIO_API, &api));
	api = (struct uffdio_api){.api = UFFD_API};
	res("api", ioctl(uffd, UFFDIO_API, &api));
	printf("api ioctls: %#llx\n", (unsigned long long)(api.ioctls & ((1ULL << _UFFDIO_REGISTER) | (1ULL << _UFFDIO_UNREGISTER) |
									       (1ULL << _UFFDIO_API))));
	struct uffd_msg msg;
	res("read with nothing pending", read(uffd, &msg, sizeof msg));

	base = mmap(NULL, 4 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	srcpage = mmap(NULL, P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	reg = (struct uffdio_register){.range = {.start = (uintptr_t)base + 1, .len = P}, .mode = UFFDIO_REGISTER_MODE_MISSING};
	res("register unaligned", ioctl(uffd, UFFDIO_REGISTER, &reg));
	reg = (struct uffdio_register){.range = {.start = (uintptr_t)base, .len = 4 * P}, .mode = 0};
	res("register without a mode", ioctl(uffd, UFFDIO_REGISTER, &reg));
	reg = (struct uffdio_register){.range = {.start = (uintptr_t)base, .len = 4 * P}, .mode = UFFDIO_REGISTER_MODE_MISSING};
	res("register", ioctl(uffd, UFFDIO_REGISTER, &reg));
	printf("range ioctls: %#llx\n", (unsigned long long)(reg.ioctls & ((1ULL << _UFFDIO_WAKE) | (1ULL << _UFFDIO_COPY) |
									      (1ULL << _UFFDIO_ZEROPAGE))));
	FILE *sm = fopen("/proc/self/smaps", "r");
	char line[256];
	int in = 0;
	while (sm && fgets(line, sizeof line, sm)) {
		unsigned long s;
		if (sscanf(line, "%lx-", &s) == 1 && !strstr(line, " kB"))
			in = s == (unsigned long)base;
		if (in && !strncmp(line, "VmFlags:", 8))
			printf("registered %s", line);
	}
	if (sm)
		fclose(sm);

	if (pipe(donepipe) < 0)
		return 1;
	pthread_t th;
	pthread_create(&th, NULL, handler, NULL);
	char v = base[10];
	handled();
	printf("main: page 0 reads %c\n", v);
	v = base[P + 10];
	handled();
	printf("main: page 1 reads %d\n", v);
	v = base[2 * P + P - 1];
	handled();
	printf("main: page 2 reads %c\n", v);
	pthread_join(th, NULL);

	struct uffdio_copy c = {.dst = (uintptr_t)base, .src = (uintptr_t)srcpage, .len = P};
	res("copy onto a present page", ioctl(uffd, UFFDIO_COPY, &c));
	printf("copy result %lld\n", (long long)c.copy);
	c.len = 0;
	c.copy = 12345;
	res("copy of length 0", ioctl(uffd, UFFDIO_COPY, &c));
	printf("copy result left alone: %s\n", c.copy == 12345 ? "yes" : "no");
	char *other = mmap(NULL, P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct uffdio_zeropage z = {.range = {.start = (uintptr_t)other, .len = P}};
	res("zeropage outside the registered range", ioctl(uffd, UFFDIO_ZEROPAGE, &z));
	printf("zeropage result %lld\n", (long long)z.zeropage);

	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		printf("child: page 3 reads %d (not registered after fork)\n", base[3 * P]);
		fflush(stdout);
		_exit(0);
	}
	waitpid(pid, NULL, 0);

	struct uffdio_range ur = {.start = (uintptr_t)base, .len = 4 * P};
	res("unregister", ioctl(uffd, UFFDIO_UNREGISTER, &ur));
	printf("page 3 after unregister reads %d\n", base[3 * P]);
	res("unregister unaligned", ioctl(uffd, UFFDIO_UNREGISTER, &(struct uffdio_range){.start = (uintptr_t)base, .len = 5}));
	close(uffd);

	/* Without CAP_SYS_PTRACE only user-mode-only handling is allowed. */
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		struct cap_header h = {.version = CAP_VERSION_3};
		struct cap_data d[2];
		syscall(SYS_capget, &h, d);
		d[0].effective &= ~(1u << CAP_SYS_PTRACE_BIT);
		if (syscall(SYS_capset, &h, d) < 0)
			perror("capset");
		res("unprivileged", syscall(SYS_userfaultfd, O_CLOEXEC));
		int fd = syscall(SYS_userfaultfd, O_CLOEXEC | UFFD_USER_MODE_ONLY);
		printf("unprivileged user mode only: %s\n", fd >= 0 ? "ok" : strerror(errno));
		fflush(stdout);
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	return 0;
}
