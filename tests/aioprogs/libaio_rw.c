/* A libaio program: writes and reads a file through io_submit, reaps
 * completions with libaio's io_getevents (which looks at the ring in
 * user space first), vectored I/O, fsync, eventfd notification and a
 * poll, and checks what it reads back. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libaio.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/uio.h>
#include <unistd.h>

#define BLOCKS 16
#define BS 4096

static void reap(io_context_t ctx, int want, const char *label) {
	struct io_event ev[BLOCKS];
	struct timespec zero = {0, 0};
	int got = 0, polls = 0;
	while (got < want) {
		/* First without waiting: libaio answers from the ring. */
		int n = io_getevents(ctx, 0, BLOCKS, ev, &zero);
		if (n == 0) n = io_getevents(ctx, 1, BLOCKS, ev, NULL);
		if (n < 0) { printf("%s: io_getevents %s\n", label, strerror(-n)); exit(1); }
		for (int i = 0; i < n; i++) {
			struct iocb *cb = ev[i].obj;
			if ((long)ev[i].res < 0) printf("%s: request %lu failed: %s\n", label, (unsigned long)(uintptr_t)cb->data, strerror(-(long)ev[i].res));
		}
		got += n;
		polls++;
	}
	printf("%s: %d completions\n", label, got);
}

int main(void) {
	setvbuf(stdout, NULL, _IONBF, 0);
	io_context_t ctx = 0;
	int r = io_setup(BLOCKS, &ctx);
	if (r < 0) { printf("io_setup: %s\n", strerror(-r)); return 1; }
	printf("io_setup: ok\n");
	r = io_setup(BLOCKS, &ctx);
	printf("io_setup on a used context: %s\n", strerror(-r));

	char path[] = "/tmp/libaio_rw.XXXXXX";
	int fd = mkstemp(path);
	unlink(path);
	static char data[BLOCKS][BS], back[BLOCKS][BS];
	for (int b = 0; b < BLOCKS; b++)
		for (int i = 0; i < BS; i++) data[b][i] = (char)(b * 31 + i * 7);

	struct iocb cbs[BLOCKS], *ptrs[BLOCKS];
	for (int b = 0; b < BLOCKS; b++) {
		/* Blocks in reverse order, each at its own offset. */
		int blk = BLOCKS - 1 - b;
		io_prep_pwrite(&cbs[b], fd, data[blk], BS, (long long)blk * BS);
		cbs[b].data = (void *)(uintptr_t)blk;
		ptrs[b] = &cbs[b];
	}
	r = io_submit(ctx, BLOCKS, ptrs);
	printf("io_submit writes: %d\n", r);
	reap(ctx, BLOCKS, "writes");
	printf("file size: %ld\n", (long)lseek(fd, 0, SEEK_END));

	io_prep_fsync(&cbs[0], fd);
	io_submit(ctx, 1, ptrs);
	reap(ctx, 1, "fsync");

	for (int b = 0; b < BLOCKS; b++) {
		io_prep_pread(&cbs[b], fd, back[b], BS, (long long)b * BS);
		cbs[b].data = (void *)(uintptr_t)b;
	}
	r = io_submit(ctx, BLOCKS, ptrs);
	printf("io_submit reads: %d\n", r);
	reap(ctx, BLOCKS, "reads");
	printf("read back identical: %s\n", memcmp(data, back, sizeof data) == 0 ? "yes" : "no");

	/* Vectored I/O: two halves swapped. */
	char x[8] = "AAAAbbbb", y[8] = {0};
	struct iovec wv[2] = {{x + 4, 4}, {x, 4}}, rv[1] = {{y, 8}};
	io_prep_pwritev(&cbs[0], fd, wv, 2, 10);
	io_prep_preadv(&cbs[1], fd, rv, 1, 10);
	io_submit(ctx, 1, ptrs);
	reap(ctx, 1, "writev");
	io_submit(ctx, 1, ptrs + 1);
	reap(ctx, 1, "readv");
	printf("readv: %.8s\n", y);

	/* eventfd notification. */
	int efd = eventfd(0, 0);
	for (int b = 0; b < 4; b++) {
		io_prep_pread(&cbs[b], fd, back[b], BS, (long long)b * BS);
		io_set_eventfd(&cbs[b], efd);
	}
	io_submit(ctx, 4, ptrs);
	uint64_t n = 0;
	read(efd, &n, 8);
	printf("eventfd says %llu completed\n", (unsigned long long)n);
	reap(ctx, 4, "eventfd reads");

	/* A poll on a pipe, completed by a write. */
	int p[2];
	pipe(p);
	io_prep_poll(&cbs[0], p[0], POLLIN);
	io_submit(ctx, 1, ptrs);
	struct io_event ev;
	struct timespec zero = {0, 0};
	printf("poll before the write: %d\n", io_getevents(ctx, 0, 1, &ev, &zero));
	write(p[1], "!", 1);
	r = io_getevents(ctx, 1, 1, &ev, NULL);
	printf("poll after the write: %d res %#lx\n", r, (unsigned long)ev.res);

	r = io_destroy(ctx);
	printf("io_destroy: %d\n", r);
	return 0;
}
