/* Linux AIO writes with RWF_APPEND and RWF_NOAPPEND in aio_rw_flags, as
 * pwritev2 takes them: RWF_APPEND appends through a descriptor without
 * O_APPEND, RWF_NOAPPEND writes at the iocb's offset through one with
 * O_APPEND, both at once fail the submission (EINVAL), as do unknown
 * flags (EOPNOTSUPP); RWF_APPEND on a read changes nothing. */
#include "misc_common.h"
#include <time.h>

/* linux/aio_abi.h's definitions (musl has no kernel headers). */
typedef unsigned long aio_context_t;
enum { IOCB_CMD_PREAD = 0, IOCB_CMD_PWRITE = 1 };
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
#define RWF_APPEND 0x10
#define RWF_NOAPPEND 0x20

static aio_context_t ctx;

/* one submits one iocb and waits for its event. */
static void one(const char *label, int op, int fd, const char *buf, size_t n, long off, int flags) {
	struct iocb cb;
	memset(&cb, 0, sizeof cb);
	cb.aio_lio_opcode = op;
	cb.aio_fildes = fd;
	cb.aio_buf = (unsigned long)buf;
	cb.aio_nbytes = n;
	cb.aio_offset = off;
	cb.aio_rw_flags = flags;
	struct iocb *p = &cb;
	errno = 0;
	long r = syscall(SYS_io_submit, ctx, 1L, &p);
	if (r != 1) {
		printf("%s: submit -1 %s\n", label, errname(errno));
		return;
	}
	struct io_event ev;
	if (syscall(SYS_io_getevents, ctx, 1L, 1L, &ev, NULL) != 1) {
		printf("%s: getevents failed\n", label);
		return;
	}
	printf("%s: res %lld\n", label, (long long)ev.res);
}

static void show(int fd) {
	char b[64] = {0};
	pread(fd, b, sizeof b - 1, 0);
	printf("  data \"%s\"\n", b);
}

int main(void) {
	setvbuf(stdout, NULL, _IONBF, 0);
	char path[64];
	snprintf(path, sizeof path, "/tmp/kite-aiorwf-%d", (int)getpid());
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	int afd = open(path, O_RDWR | O_APPEND);
	if (fd < 0 || afd < 0 || syscall(SYS_io_setup, 8L, &ctx) < 0) {
		perror("setup");
		return 1;
	}
	write(fd, "0123456789", 10);
	one("pwrite RWF_APPEND at 0", IOCB_CMD_PWRITE, fd, "ab", 2, 0, RWF_APPEND);
	show(fd);
	one("pwrite O_APPEND fd at 0", IOCB_CMD_PWRITE, afd, "cd", 2, 0, 0);
	show(fd);
	one("pwrite O_APPEND fd RWF_NOAPPEND at 1", IOCB_CMD_PWRITE, afd, "N", 1, 1, RWF_NOAPPEND);
	show(fd);
	one("pwrite RWF_NOAPPEND without O_APPEND at 2", IOCB_CMD_PWRITE, fd, "M", 1, 2, RWF_NOAPPEND);
	show(fd);
	one("pwrite both", IOCB_CMD_PWRITE, fd, "x", 1, 0, RWF_APPEND | RWF_NOAPPEND);
	one("pwrite unknown flag", IOCB_CMD_PWRITE, fd, "x", 1, 0, 0x10000);
	char b[8] = {0};
	one("pread RWF_APPEND", IOCB_CMD_PREAD, fd, b, 4, 0, RWF_APPEND);
	printf("  read \"%s\"\n", b);
	show(fd);
	syscall(SYS_io_destroy, ctx);
	close(afd);
	close(fd);
	unlink(path);
	return 0;
}
