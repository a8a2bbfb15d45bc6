/* splice, tee and sendfile into and out of Unix stream sockets, and the
 * offset calls a socket refuses (pread, pwrite, lseek: ESPIPE). */
#include "sock_common.h"
#include <sys/sendfile.h>

static void drain(const char *label, int fd) {
	char buf[256];
	errno = 0;
	long n = recv(fd, buf, sizeof buf - 1, MSG_DONTWAIT);
	if (n < 0) {
		printf("%s: -1 %s\n", label, errname(errno));
		return;
	}
	buf[n] = 0;
	printf("%s: %ld \"%s\"\n", label, n, buf);
}

int main(void) {
	int sv[2], p[2], q[2];
	char buf[64];
	signal(SIGPIPE, SIG_IGN);
	CHECK("socketpair", socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	CHECK("pread", pread(sv[0], buf, 1, 0));
	CHECK("pwrite", pwrite(sv[0], buf, 1, 0));
	CHECK("lseek", lseek(sv[0], 0, SEEK_SET));
	struct iovec iov = {buf, 1};
	CHECK("preadv", preadv(sv[0], &iov, 1, 0));

	CHECK("pipe", pipe(p));
	write(p[1], "hello", 5);
	CHECK("splice pipe->socket", splice(p[0], NULL, sv[0], NULL, 5, 0));
	drain("socket got", sv[1]);
	write(sv[0], "world!", 6);
	CHECK("splice socket->pipe", splice(sv[1], NULL, p[1], NULL, 4, 0));
	CHECK("read pipe", read(p[0], buf, sizeof buf));
	drain("left in socket", sv[1]);
	CHECK("splice empty socket nonblock", splice(sv[1], NULL, p[1], NULL, 4, SPLICE_F_NONBLOCK));
	loff_t off = 0;
	CHECK("splice socket with offset", splice(sv[1], &off, p[1], NULL, 4, 0));

	CHECK("pipe", pipe(q));
	write(p[1], "teedata", 7);
	CHECK("tee", tee(p[0], q[1], 7, 0));
	CHECK("splice tee'd copy->socket", splice(q[0], NULL, sv[0], NULL, 7, 0));
	CHECK("splice original->socket", splice(p[0], NULL, sv[0], NULL, 7, 0));
	drain("socket got", sv[1]);

	char path[64];
	snprintf(path, sizeof path, "/tmp/kite-splice-%d", getpid());
	int f = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	write(f, "0123456789abcdef", 16);
	off = 4;
	CHECK("sendfile file->socket", sendfile(sv[0], f, &off, 8));
	printf("offset now %ld\n", (long)off);
	drain("socket got", sv[1]);
	lseek(f, 10, SEEK_SET);
	CHECK("sendfile file->socket at file offset", sendfile(sv[0], f, NULL, 100));
	printf("file offset now %ld\n", (long)lseek(f, 0, SEEK_CUR));
	drain("socket got", sv[1]);
	write(sv[0], "xyz", 3);
	CHECK("sendfile socket->file", sendfile(f, sv[1], NULL, 3));
	lseek(f, 0, SEEK_SET);
	memset(buf, 0, sizeof buf);
	CHECK("read file", read(f, buf, sizeof buf - 1));
	printf("file: %s\n", buf);

	/* A big transfer through a pipe into the socket, read by a child. */
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		close(sv[0]);
		long got = 0, n;
		char big[65536];
		while ((n = read(sv[1], big, sizeof big)) > 0)
			got += n;
		printf("child read %ld\n", got);
		fflush(stdout);
		_exit(0);
	}
	close(sv[1]);
	long moved = 0;
	char page[4096];
	memset(page, 'z', sizeof page);
	for (int i = 0; i < 256; i++) {
		write(p[1], page, sizeof page);
		long n = splice(p[0], NULL, sv[0], NULL, sizeof page, 0);
		if (n <= 0)
			break;
		moved += n;
	}
	printf("spliced %ld\n", moved);
	close(sv[0]);
	waitpid(c, NULL, 0);

	/* No reader: EPIPE. */
	CHECK("socketpair", socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	close(sv[1]);
	write(p[1], "x", 1);
	CHECK("splice to closed peer", splice(p[0], NULL, sv[0], NULL, 1, 0));
	off = 0;
	CHECK("sendfile to closed peer", sendfile(sv[0], f, &off, 4));
	close(f);
	unlink(path);
	return 0;
}
