/* Linux AIO through the raw system calls: io_setup (the ring header as
 * libaio reads it), io_submit of PREAD, PWRITE, PREADV, PWRITEV, FSYNC,
 * FDSYNC and POLL, io_getevents (min_nr, timeouts, the ring head moving),
 * io_pgetevents, io_cancel of a poll, IOCB_FLAG_RESFD with an eventfd,
 * io_destroy, and the errors of each. */
#include "misc_common.h"
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/uio.h>
#include <time.h>

/* linux/aio_abi.h's definitions (musl has no kernel headers). */
typedef unsigned long aio_context_t;
enum { IOCB_CMD_PREAD = 0, IOCB_CMD_PWRITE = 1, IOCB_CMD_FSYNC = 2, IOCB_CMD_FDSYNC = 3,
	IOCB_CMD_POLL = 5, IOCB_CMD_NOOP = 6, IOCB_CMD_PREADV = 7, IOCB_CMD_PWRITEV = 8 };
#define IOCB_FLAG_RESFD 1
struct io_event { uint64_t data, obj; int64_t res, res2; };
struct iocb {
	uint64_t aio_data;
	uint32_t aio_key;
	int32_t aio_rw_flags;
	uint16_t aio_lio_opcode;
	int16_t aio_reqprio;
	uint32_t aio_fildes;
	uint64_t aio_buf, aio_nbytes;
	int64_t aio_offset;
	uint64_t aio_reserved2;
	uint32_t aio_flags, aio_resfd;
};

struct ring {
	unsigned id, nr, head, tail, magic, compat, incompat, header_length;
	struct io_event events[];
};

static long setup(unsigned nr, aio_context_t *ctx) { return syscall(SYS_io_setup, nr, ctx); }
static long submit(aio_context_t ctx, long n, struct iocb **cbs) { return syscall(SYS_io_submit, ctx, n, cbs); }
static long getevents(aio_context_t ctx, long min, long nr, struct io_event *ev, struct timespec *ts) {
	return syscall(SYS_io_getevents, ctx, min, nr, ev, ts);
}

static void prep(struct iocb *cb, int op, int fd, void *buf, size_t n, long long off, unsigned long long data) {
	memset(cb, 0, sizeof *cb);
	cb->aio_lio_opcode = op;
	cb->aio_fildes = fd;
	cb->aio_buf = (unsigned long)buf;
	cb->aio_nbytes = n;
	cb->aio_offset = off;
	cb->aio_data = data;
}

static void show_events(const char *label, aio_context_t ctx, long min, long nr, struct timespec *ts, struct iocb *base) {
	struct io_event ev[16];
	errno = 0;
	long n = getevents(ctx, min, nr, ev, ts);
	if (n < 0) { printf("%s: -1 %s\n", label, errname(errno)); return; }
	printf("%s: %ld\n", label, n);
	for (long i = 0; i < n; i++)
		printf("  data %llu iocb #%ld res %lld res2 %lld\n", (unsigned long long)ev[i].data,
			(long)((struct iocb *)(unsigned long)ev[i].obj - base), (long long)ev[i].res, (long long)ev[i].res2);
}

static void handler(int sig) { (void)sig; }

int main(void) {
	setvbuf(stdout, NULL, _IONBF, 0);
	aio_context_t ctx = 0;
	CHECK("setup 0 events", setup(0, &ctx));
	CHECK("setup bad pointer", setup(8, bad));
	aio_context_t nonzero = 1;
	CHECK("setup nonzero ctx", setup(8, &nonzero));
	CHECK("setup too many", setup(65537, &ctx));
	CHECK("setup huge", setup(0x7fffffff, &ctx));
	CHECK("setup", setup(8, &ctx));
	struct ring *r = (struct ring *)ctx;
	printf("ring: id %u nr>=8 %d head %u tail %u magic %#x compat %u incompat %u header %u\n",
		r->id, r->nr >= 8, r->head, r->tail, r->magic, r->compat, r->incompat, r->header_length);
	aio_context_t ctx2 = 0;
	CHECK("second setup", setup(4, &ctx2));
	printf("second ring id %u\n", ((struct ring *)ctx2)->id);
	CHECK("destroy second", syscall(SYS_io_destroy, ctx2));
	CHECK("destroy second again", syscall(SYS_io_destroy, ctx2));
	CHECK("destroy 0", syscall(SYS_io_destroy, 0));

	char path[] = "/tmp/aio_basic.XXXXXX";
	int fd = mkstemp(path);
	int pp[2];
	pipe(pp);
	int p0 = pp[0];
	unlink(path);
	struct iocb cbs[8], *ptrs[8];
	for (int i = 0; i < 8; i++) ptrs[i] = &cbs[i];
	char wbuf[64] = "hello, asynchronous world", rbuf[64] = {0};

	prep(&cbs[0], IOCB_CMD_PWRITE, fd, wbuf, 25, 0, 100);
	prep(&cbs[1], IOCB_CMD_PWRITE, fd, wbuf, 5, 100, 101);
	cbs[0].aio_key = 77;
	CHECK("submit 2 writes", submit(ctx, 2, ptrs));
	printf("aio_key after submit %u\n", cbs[0].aio_key);
	printf("ring tail-head %u\n", (r->tail - r->head + r->nr) % r->nr);
	show_events("get writes", ctx, 2, 8, NULL, cbs);
	printf("ring head==tail %d\n", r->head == r->tail);
	struct timespec zero = {0, 0};
	show_events("get none (zero timeout)", ctx, 1, 8, &zero, cbs);
	struct timespec short_ts = {0, 20 * 1000 * 1000};
	show_events("get none (20ms timeout)", ctx, 1, 8, &short_ts, cbs);
	show_events("get min 0", ctx, 0, 8, NULL, cbs);

	prep(&cbs[0], IOCB_CMD_PREAD, fd, rbuf, 64, 0, 200);
	prep(&cbs[1], IOCB_CMD_PREAD, fd, rbuf + 40, 10, 100, 201);
	prep(&cbs[2], IOCB_CMD_PREAD, fd, rbuf, 10, 4096, 202);
	CHECK("submit 3 reads", submit(ctx, 3, ptrs));
	show_events("get reads one by one", ctx, 1, 1, NULL, cbs);
	show_events("get the rest", ctx, 2, 2, NULL, cbs);
	printf("read back: %.25s / %.5s\n", rbuf, rbuf + 40);

	char a[4] = "abcd", b[4] = "efgh", c[8] = {0};
	struct iovec wv[2] = {{a, 4}, {b, 4}}, rv[2] = {{c + 4, 4}, {c, 4}};
	prep(&cbs[0], IOCB_CMD_PWRITEV, fd, wv, 2, 200, 300);
	prep(&cbs[1], IOCB_CMD_PREADV, fd, rv, 2, 200, 301);
	CHECK("submit writev, readv", submit(ctx, 2, ptrs));
	show_events("get vectored", ctx, 2, 8, NULL, cbs);
	printf("readv: %.8s\n", c);

	/* (One at a time: Linux completes syncs from a work queue, in any
	 * order.) */
	prep(&cbs[0], IOCB_CMD_FSYNC, fd, NULL, 0, 0, 400);
	CHECK("submit fsync", submit(ctx, 1, ptrs));
	show_events("get fsync", ctx, 1, 8, NULL, cbs);
	prep(&cbs[0], IOCB_CMD_FDSYNC, fd, NULL, 0, 0, 401);
	CHECK("submit fdsync", submit(ctx, 1, ptrs));
	show_events("get fdsync", ctx, 1, 8, NULL, cbs);
	prep(&cbs[0], IOCB_CMD_FSYNC, p0, NULL, 0, 0, 403);
	CHECK("fsync a pipe", submit(ctx, 1, ptrs));
	prep(&cbs[0], IOCB_CMD_FSYNC, fd, NULL, 1, 0, 402);
	CHECK("fsync with nbytes", submit(ctx, 1, ptrs));

	/* Errors of the submission. */
	prep(&cbs[0], IOCB_CMD_PREAD, 999, rbuf, 4, 0, 500);
	CHECK("bad fd", submit(ctx, 1, ptrs));
	prep(&cbs[0], 4, fd, rbuf, 4, 0, 501);
	CHECK("opcode 4", submit(ctx, 1, ptrs));
	prep(&cbs[0], IOCB_CMD_NOOP, fd, rbuf, 4, 0, 502);
	CHECK("noop", submit(ctx, 1, ptrs));
	prep(&cbs[0], IOCB_CMD_PREAD, fd, rbuf, 4, 0, 503);
	cbs[0].aio_reserved2 = 1;
	CHECK("reserved set", submit(ctx, 1, ptrs));
	prep(&cbs[0], IOCB_CMD_PREAD, fd, rbuf, 4, -1, 504);
	CHECK("negative offset", submit(ctx, 1, ptrs));
	prep(&cbs[0], IOCB_CMD_PREAD, fd, rbuf, 4, 0, 505);
	cbs[0].aio_rw_flags = 0x1000;
	CHECK("bad rw flags", submit(ctx, 1, ptrs));
	prep(&cbs[0], IOCB_CMD_PREAD, fd, rbuf, 4, 0, 506);
	prep(&cbs[1], IOCB_CMD_PREAD, 999, rbuf, 4, 0, 507);
	CHECK("good then bad", submit(ctx, 2, ptrs));
	show_events("get good", ctx, 1, 8, NULL, cbs);
	CHECK("bad array", submit(ctx, 1, bad));
	struct iocb *badptr[1] = {bad};
	CHECK("bad iocb", submit(ctx, 1, badptr));
	CHECK("negative count", submit(ctx, -1, ptrs));
	CHECK("zero count", submit(ctx, 0, ptrs));
	CHECK("bad ctx", submit(12345, 1, ptrs));
	int ro = open("/proc/self/status", O_RDONLY);
	prep(&cbs[0], IOCB_CMD_PWRITE, ro, wbuf, 4, 0, 508);
	CHECK("write to read-only fd", submit(ctx, 1, ptrs));
	prep(&cbs[0], IOCB_CMD_PREAD, fd, bad, 4, 0, 509);
	CHECK("read to a bad buffer", submit(ctx, 1, ptrs));
	show_events("get bad buffer", ctx, 0, 8, NULL, cbs);
	int dir = open("/", O_RDONLY | O_DIRECTORY);
	prep(&cbs[0], IOCB_CMD_PREAD, dir, rbuf, 4, 0, 510);
	CHECK("read a directory", submit(ctx, 1, ptrs));
	show_events("get directory read", ctx, 0, 8, NULL, cbs);

	/* getevents errors. */
	struct io_event ev[4];
	CHECK("getevents min > nr", getevents(ctx, 3, 2, ev, NULL));
	CHECK("getevents negative min", getevents(ctx, -1, 2, ev, NULL));
	CHECK("getevents bad ctx", getevents(999, 0, 2, ev, NULL));
	CHECK("getevents bad timeout", getevents(ctx, 1, 2, ev, bad));

	/* Pipes: the offset is ignored; poll waits. */
	int p[2];
	pipe(p);
	prep(&cbs[0], IOCB_CMD_POLL, p[0], NULL, 0, 0, 600);
	cbs[0].aio_buf = POLLIN;
	prep(&cbs[1], IOCB_CMD_POLL, p[1], NULL, 0, 0, 601);
	cbs[1].aio_buf = POLLOUT;
	CHECK("submit polls", submit(ctx, 2, ptrs));
	show_events("get writable pipe", ctx, 1, 8, NULL, cbs);
	show_events("nothing to read yet", ctx, 1, 8, &zero, cbs);
	write(p[1], "xy", 2);
	show_events("get readable pipe", ctx, 1, 8, NULL, cbs);
	prep(&cbs[0], IOCB_CMD_PREAD, p[0], rbuf, 10, 12345, 602);
	CHECK("read a pipe at an offset", submit(ctx, 1, ptrs));
	show_events("get pipe read", ctx, 1, 8, NULL, cbs);
	prep(&cbs[0], IOCB_CMD_POLL, p[0], NULL, 0, 0, 603);
	cbs[0].aio_buf = POLLIN;
	CHECK("submit poll to cancel", submit(ctx, 1, ptrs));
	struct io_event res;
	CHECK("cancel it", syscall(SYS_io_cancel, ctx, &cbs[0], &res));
	show_events("get cancelled poll", ctx, 1, 8, NULL, cbs);
	CHECK("cancel again", syscall(SYS_io_cancel, ctx, &cbs[0], &res));
	prep(&cbs[1], IOCB_CMD_POLL, p[0], NULL, 0, 0, 604);
	cbs[1].aio_buf = 0x10000;
	CHECK("poll with bad events", submit(ctx, 1, &ptrs[1]));
	cbs[0].aio_key = 5;
	CHECK("cancel with a bad key", syscall(SYS_io_cancel, ctx, &cbs[0], &res));
	CHECK("cancel bad iocb", syscall(SYS_io_cancel, ctx, bad, &res));

	/* A poll completed by another process. */
	prep(&cbs[0], IOCB_CMD_POLL, p[0], NULL, 0, 0, 605);
	cbs[0].aio_buf = POLLIN;
	CHECK("submit poll", submit(ctx, 1, ptrs));
	pid_t pid = fork();
	if (pid == 0) {
		write(p[1], "z", 1);
		_exit(0);
	}
	show_events("get poll woken by child", ctx, 1, 8, NULL, cbs);
	waitchild("child", pid);
	read(p[0], rbuf, 1);

	/* eventfd notification. */
	int efd = eventfd(0, EFD_NONBLOCK);
	prep(&cbs[0], IOCB_CMD_PREAD, fd, rbuf, 4, 0, 700);
	cbs[0].aio_flags = IOCB_FLAG_RESFD;
	cbs[0].aio_resfd = efd;
	prep(&cbs[1], IOCB_CMD_PWRITE, fd, wbuf, 4, 0, 701);
	cbs[1].aio_flags = IOCB_FLAG_RESFD;
	cbs[1].aio_resfd = efd;
	CHECK("submit with eventfd", submit(ctx, 2, ptrs));
	uint64_t cnt = 0;
	CHECK("read eventfd", read(efd, &cnt, 8));
	printf("eventfd count %llu\n", (unsigned long long)cnt);
	show_events("get eventfd requests", ctx, 2, 8, NULL, cbs);
	cbs[0].aio_resfd = fd;
	CHECK("resfd not an eventfd", submit(ctx, 1, ptrs));
	cbs[0].aio_resfd = 999;
	CHECK("resfd bad", submit(ctx, 1, ptrs));

	/* io_pgetevents: a signal blocked by the call's mask waits; one
	 * unblocked interrupts. */
	signal(SIGUSR1, handler);
	sigset_t block;
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	struct { const sigset_t *mask; size_t size; } sig = {&block, 8};
	struct timespec t30 = {0, 30 * 1000 * 1000};
	CHECK("pgetevents timeout", syscall(SYS_io_pgetevents, ctx, 1, 4, ev, &t30, &sig));
	sig.size = 4;
	CHECK("pgetevents bad sigset size", syscall(SYS_io_pgetevents, ctx, 1, 4, ev, &t30, &sig));
	CHECK("pgetevents bad usig", syscall(SYS_io_pgetevents, ctx, 1, 4, ev, &t30, bad));
	prep(&cbs[0], IOCB_CMD_PREAD, fd, rbuf, 4, 0, 800);
	submit(ctx, 1, ptrs);
	sig.size = 8;
	CHECK("pgetevents ready", syscall(SYS_io_pgetevents, ctx, 1, 4, ev, NULL, &sig));
	sigprocmask(SIG_BLOCK, &block, NULL);
	pid = fork();
	if (pid == 0) {
		kill(getppid(), SIGUSR1);
		_exit(0);
	}
	waitchild("signaller", pid);
	CHECK("pgetevents with it blocked", syscall(SYS_io_pgetevents, ctx, 1, 4, ev, &zero, &sig));
	sigset_t none;
	sigemptyset(&none);
	sig.mask = &none;
	CHECK("pgetevents interrupted", syscall(SYS_io_pgetevents, ctx, 1, 4, ev, NULL, &sig));

	CHECK("destroy", syscall(SYS_io_destroy, ctx));
	CHECK("submit after destroy", submit(ctx, 1, ptrs));
	CHECK("getevents after destroy", getevents(ctx, 0, 1, ev, NULL));

	/* Contexts are not inherited. */
	CHECK("setup again", setup(2, &(aio_context_t){0}));
	aio_context_t c3 = 0;
	setup(2, &c3);
	pid = fork();
	if (pid == 0) {
		CHECK("child getevents on parent's ctx", getevents(c3, 0, 1, ev, &zero));
		_exit(0);
	}
	waitchild("child", pid);
	return 0;
}
