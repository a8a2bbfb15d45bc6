/* readv, writev, preadv, sendmsg and recvmsg with IOV_MAX (1024) iovecs of
 * assorted lengths (empty ones among them), moving more than a megabyte so
 * the kernel takes the vector in several steps; an iovec that faults in the
 * middle of a long vector; one iovec too many. */
#include "file_common.h"
#include <limits.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>

#define NV 1024

/* len_of gives iovec i of vector seed its length: 0 to 4,999 bytes, a
 * tenth of them empty. */
static size_t len_of(int i, int seed) {
	unsigned v = (unsigned)(i * 2654435761u + (unsigned)seed * 40503u);
	return v % 10 == 0 ? 0 : (v >> 8) % 5000;
}

static unsigned long hash(const unsigned char *p, long n) {
	unsigned long s = 0;
	for (long i = 0; i < n; i++)
		s = s * 31 + p[i];
	return s;
}

/* scatter sets up iov over buf with the lengths of seed and returns the
 * total. */
static long scatter(struct iovec *iov, unsigned char *buf, int seed) {
	long total = 0;
	for (int i = 0; i < NV; i++) {
		iov[i].iov_base = buf + total;
		iov[i].iov_len = len_of(i, seed);
		total += (long)iov[i].iov_len;
	}
	return total;
}

static struct iovec wiov[NV + 1], riov[NV + 1];

int main(void) {
	enter("iovmax");
	printf("IOV_MAX: %d\n", IOV_MAX);
	long cap = NV * 5000L;
	unsigned char *src = malloc(cap), *dst = malloc(cap);
	for (long i = 0; i < cap; i++)
		src[i] = (unsigned char)(i * 7 + i / 4093);
	long total = scatter(wiov, src, 1);
	printf("bytes in the vector: %ld\n", total);

	int fd = open("f", O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECKOK("open", fd);
	CHECK("writev 1024 iovecs", writev(fd, wiov, NV));
	CHECK("writev 1025 iovecs", writev(fd, wiov, NV + 1));
	CHECK("readv 1025 iovecs", readv(fd, riov, NV + 1));
	/* Read it back in a vector of other lengths. */
	long rtotal = scatter(riov, dst, 2);
	memset(dst, 0, cap);
	long got = preadv(fd, riov, NV, 0);
	long want = rtotal < total ? rtotal : total;
	printf("preadv 1024 iovecs: %s\n", got == want ? "all" : "short");
	printf("same bytes: %s\n", hash(dst, want) == hash(src, want) ? "yes" : "no");
	/* From an offset into the middle of the vector's first iovecs. */
	memset(dst, 0, cap);
	got = preadv(fd, riov, NV, 12345);
	want = rtotal < total - 12345 ? rtotal : total - 12345;
	printf("preadv at 12345: %s\n", got == want ? "all" : "short");
	printf("same bytes: %s\n", hash(dst, want) == hash(src + 12345, want) ? "yes" : "no");

	/* An iovec whose memory is not mapped, in the middle: the read stops
	 * there, with the bytes of the iovecs before it. */
	unsigned char *hole = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	long before = 0;
	for (int i = 0; i < 700; i++)
		before += (long)riov[i].iov_len;
	struct iovec saved = riov[700];
	riov[700].iov_base = hole;
	riov[700].iov_len = 4096;
	got = preadv(fd, riov, NV, 0);
	printf("preadv with a bad iovec: %s\n", got == before ? "stops at it" : got < 0 ? "fails" : "wrong count");
	riov[700] = saved;

	/* The same through a stream socket pair, both ways of 1024 iovecs. */
	int sv[2];
	CHECK("socketpair", socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	/* Send about 46 KB (it fits the socket's buffer), receive about 23. */
	long small = 0;
	for (int i = 0; i < NV; i++) {
		wiov[i].iov_base = src + small;
		wiov[i].iov_len = len_of(i, 3) / 50;
		small += (long)wiov[i].iov_len;
	}
	struct msghdr mh = {.msg_iov = wiov, .msg_iovlen = NV};
	printf("sendmsg 1024 iovecs: %s\n", sendmsg(sv[0], &mh, 0) == small ? "all" : "short");
	for (int i = 0; i < NV; i++)
		riov[i].iov_len = len_of(i, 4) / 100;
	long roff = 0;
	for (int i = 0; i < NV; i++) {
		riov[i].iov_base = dst + roff;
		roff += (long)riov[i].iov_len;
	}
	memset(dst, 0, cap);
	struct msghdr rh = {.msg_iov = riov, .msg_iovlen = NV};
	long want2 = roff < small ? roff : small;
	got = recvmsg(sv[1], &rh, MSG_WAITALL);
	printf("recvmsg 1024 iovecs: %s\n", got == want2 ? "all" : "short");
	printf("same bytes: %s\n", hash(dst, want2) == hash(src, want2) ? "yes" : "no");
	close(sv[0]);
	close(sv[1]);
	close(fd);
	cleanup();
	return 0;
}
