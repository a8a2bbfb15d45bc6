/* flock and fcntl record locks within one process: flock conflicts
 * between open file descriptions, OFD lock conflicts, POSIX locks (own
 * locks never conflict; F_GETLK sees OFD locks), splitting and merging,
 * release on close, and argument errors. */
#include "file_common.h"
#include <sys/file.h>

#ifndef F_OFD_GETLK
#define F_OFD_GETLK 36
#define F_OFD_SETLK 37
#define F_OFD_SETLKW 38
#endif

static const char *tname(int t) {
	return t == F_RDLCK ? "RD" : t == F_WRLCK ? "WR" : t == F_UNLCK ? "UN" : "??";
}

static int lk(int fd, int cmd, int type, long start, long len) {
	struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len};
	return fcntl(fd, cmd, &fl);
}

static void getlk(const char *label, int fd, int cmd, int type, long start, long len) {
	struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len};
	errno = 0;
	int r = fcntl(fd, cmd, &fl);
	if (r < 0) {
		printf("%s: -1 %s\n", label, errname(errno));
		return;
	}
	printf("%s: %s start %ld len %ld pid %s\n", label, tname(fl.l_type), (long)fl.l_start, (long)fl.l_len,
	       fl.l_type == F_UNLCK ? "-" : fl.l_pid == getpid() ? "self" : fl.l_pid == -1 ? "-1" : "other");
}

int main(void) {
	enter("lock");
	int a = open("f", O_RDWR | O_CREAT, 0644);
	int b = open("f", O_RDWR);
	int r = open("f", O_RDONLY);
	write(a, "0123456789", 10);

	/* flock */
	CHECK("flock a EX", flock(a, LOCK_EX));
	CHECK("flock a EX again", flock(a, LOCK_EX));
	CHECK("flock b SH|NB", flock(b, LOCK_SH | LOCK_NB));
	CHECK("flock a -> SH", flock(a, LOCK_SH));
	CHECK("flock b SH|NB", flock(b, LOCK_SH | LOCK_NB));
	CHECK("flock r EX|NB", flock(r, LOCK_EX | LOCK_NB));
	int dupa = dup(a);
	CHECK("close a's dup keeps lock", close(dupa));
	CHECK("flock r EX|NB", flock(r, LOCK_EX | LOCK_NB));
	CHECK("flock a UN", flock(a, LOCK_UN));
	CHECK("flock b UN", flock(b, LOCK_UN));
	CHECK("flock r EX|NB", flock(r, LOCK_EX | LOCK_NB));
	CHECK("flock bad op", flock(r, 0));
	CHECK("flock bad op 2", flock(r, LOCK_SH | LOCK_EX | 64));
	CHECK("flock bad fd", flock(99, LOCK_SH));
	int p = open("f", O_PATH);
	CHECK("flock O_PATH", flock(p, LOCK_SH));
	close(p);
	int c2 = open("f", O_RDONLY);
	close(r); /* releases r's flock */
	CHECK("flock after close", flock(c2, LOCK_EX | LOCK_NB));
	close(c2);

	/* OFD locks conflict between descriptions of one process. */
	CHECK("ofd a WR 0-4", lk(a, F_OFD_SETLK, F_WRLCK, 0, 5));
	CHECK("ofd b WR 3-5", lk(b, F_OFD_SETLK, F_WRLCK, 3, 3));
	CHECK("ofd b RD 5-9", lk(b, F_OFD_SETLK, F_RDLCK, 5, 5));
	getlk("ofd getlk b WR 0-", b, F_OFD_GETLK, F_WRLCK, 0, 0);
	getlk("ofd getlk a WR 6-", a, F_OFD_GETLK, F_WRLCK, 6, 0);
	getlk("ofd getlk a RD 6-", a, F_OFD_GETLK, F_RDLCK, 6, 0);
	getlk("posix getlk WR 2", a, F_GETLK, F_WRLCK, 2, 1);
	CHECK("posix setlk over ofd", lk(a, F_SETLK, F_WRLCK, 0, 1));
	CHECK("ofd unlock a", lk(a, F_OFD_SETLK, F_UNLCK, 0, 0));
	getlk("getlk after unlock", b, F_OFD_GETLK, F_WRLCK, 0, 5);
	CHECK("ofd pid nonzero", ({ struct flock fl = {.l_type = F_RDLCK, .l_pid = 1}; fcntl(a, F_OFD_SETLK, &fl); }));
	CHECK("ofd b unlock", lk(b, F_OFD_SETLK, F_UNLCK, 0, 0));

	/* POSIX locks: one owner, split and merge. */
	CHECK("posix WR 0-9", lk(a, F_SETLK, F_WRLCK, 0, 10));
	CHECK("posix RD 3-4 (split)", lk(b, F_SETLK, F_RDLCK, 3, 2));
	getlk("ofd sees WR at 0", r = open("f", O_RDWR), F_OFD_GETLK, F_RDLCK, 0, 1);
	getlk("ofd sees RD at 3", r, F_OFD_GETLK, F_WRLCK, 3, 1);
	getlk("ofd RD at 3 ok", r, F_OFD_GETLK, F_RDLCK, 3, 2);
	getlk("ofd sees WR at 5", r, F_OFD_GETLK, F_WRLCK, 5, 0);
	CHECK("posix WR 3-4 again (merge)", lk(a, F_SETLK, F_WRLCK, 3, 2));
	getlk("ofd sees one WR", r, F_OFD_GETLK, F_WRLCK, 0, 0);
	CHECK("posix unlock middle", lk(a, F_SETLK, F_UNLCK, 4, 2));
	getlk("ofd sees left", r, F_OFD_GETLK, F_WRLCK, 0, 0);
	getlk("ofd sees right", r, F_OFD_GETLK, F_WRLCK, 5, 0);
	CHECK("ofd r WR 4-5 free", lk(r, F_OFD_SETLK, F_WRLCK, 4, 2));
	CHECK("ofd r unlock", lk(r, F_OFD_SETLK, F_UNLCK, 0, 0));
	/* Closing any fd of the file drops the process's POSIX locks. */
	int other = open("f", O_RDONLY);
	close(other);
	getlk("after close", r, F_OFD_GETLK, F_WRLCK, 0, 0);
	/* Negative lengths and whence. */
	CHECK("posix negative len", lk(a, F_SETLK, F_WRLCK, 5, -3));
	getlk("range of negative len", r, F_OFD_GETLK, F_WRLCK, 0, 0);
	CHECK("posix before 0", lk(a, F_SETLK, F_WRLCK, 1, -3));
	CHECK("posix negative start", lk(a, F_SETLK, F_WRLCK, -1, 1));
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_END, .l_start = -2, .l_len = 1};
	CHECK("posix SEEK_END", fcntl(a, F_SETLK, &fl));
	getlk("range of SEEK_END", r, F_OFD_GETLK, F_WRLCK, 8, 0);
	fl.l_whence = 7;
	CHECK("bad whence", fcntl(a, F_SETLK, &fl));
	CHECK("bad type", lk(a, F_SETLK, 9, 0, 1));
	CHECK("getlk F_UNLCK", lk(a, F_GETLK, F_UNLCK, 0, 1));
	int ro = open("f", O_RDONLY);
	CHECK("WR lock on O_RDONLY", lk(ro, F_SETLK, F_WRLCK, 0, 1));
	CHECK("bad struct", fcntl(a, F_SETLK, bad));
	CHECK("setlkw free range", lk(a, F_SETLKW, F_RDLCK, 100, 1));

	cleanup();
	return 0;
}
