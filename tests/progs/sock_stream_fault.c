/* A stream write whose buffer faults partway: Linux builds each message
 * (an sk_buff of up to about 36 KiB) and drops the one whose copy
 * faults, so the write returns what the messages before it carried, or
 * EFAULT when the first one faulted; nothing of the faulting message
 * reaches the reader. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

static void try(const char *name, size_t good, size_t len) {
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) {
		perror("socketpair");
		return;
	}
	/* good bytes, then an unmapped page. */
	size_t pg = 4096, maplen = (good + pg - 1) / pg * pg + pg;
	char *m = mmap(NULL, maplen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED) {
		perror("mmap");
		return;
	}
	char *buf = m + (maplen - pg) - good;
	memset(m, 'a', maplen - pg);
	munmap(m + maplen - pg, pg);
	errno = 0;
	ssize_t n = write(sv[0], buf, len);
	int e = errno;
	int queued = -1;
	ioctl(sv[1], FIONREAD, &queued);
	printf("%s: write %zd %s, queued %d\n", name, n, n < 0 ? strerror(e) : "", queued);
	munmap(m, maplen - pg);
	close(sv[0]);
	close(sv[1]);
}

int main(void) {
	try("fault in the first message", 8192, 12288);
	try("fault at once", 0, 4096);
	try("fault in the second message", 50000, 60000);
	try("fault in the third message", 80000, 100000);
	try("fault at a message's end", 36544, 40000);
	return 0;
}
