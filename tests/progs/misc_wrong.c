/* Results an outside conformance run found wrong: pread/pwrite and their
 * vector forms on pipes and sockets (ESPIPE), lseek on /proc and /sys
 * directories, and kill(2) given the id of a thread that is not its
 * process's leader (it signals that thread's process). */
#include "misc_common.h"
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/uio.h>

static volatile int tid, handled;
static int hold[2];
static void *thread_fn(void *a) {
	(void)a;
	tid = gettid();
	char c;
	read(hold[0], &c, 1);
	return NULL;
}
static void handler(int s) { (void)s; handled++; }

int main(void) {
	setvbuf(stdout, NULL, _IONBF, 0);
	int p[2], s[2];
	char b[4];
	pipe(p);
	socketpair(AF_UNIX, SOCK_STREAM, 0, s);
	write(p[1], "abcd", 4);
	write(s[0], "abcd", 4);
	struct iovec v = {b, 2};
	CHECK("pwrite pipe", pwrite(p[1], "ab", 2, 0));
	CHECK("pread pipe", pread(p[0], b, 2, 0));
	CHECK("pwritev pipe", pwritev(p[1], &v, 1, 0));
	CHECK("preadv pipe", preadv(p[0], &v, 1, 0));
	CHECK("pwrite socket", pwrite(s[0], "ab", 2, 0));
	CHECK("pread socket", pread(s[1], b, 2, 0));
	CHECK("preadv socket", preadv(s[1], &v, 1, 0));
	CHECK("pread pipe negative offset", pread(p[0], b, 2, -1));
	CHECK("data still there", read(p[0], b, 4));
	CHECK("socket data still there", read(s[1], b, 4));

	const char *dirs[] = {"/proc", "/proc/self", "/sys", "/proc/sys"};
	for (int i = 0; i < 4; i++) {
		int d = open(dirs[i], O_RDONLY | O_DIRECTORY);
		char l[64];
		snprintf(l, sizeof l, "%s SEEK_SET 3", dirs[i]);
		CHECK(l, lseek(d, 3, SEEK_SET));
		snprintf(l, sizeof l, "%s SEEK_CUR 2", dirs[i]);
		CHECK(l, lseek(d, 2, SEEK_CUR));
		snprintf(l, sizeof l, "%s SEEK_END 0", dirs[i]);
		CHECK(l, lseek(d, 0, SEEK_END));
		snprintf(l, sizeof l, "%s SEEK_END 7", dirs[i]);
		CHECK(l, lseek(d, 7, SEEK_END));
		snprintf(l, sizeof l, "%s SEEK_CUR after SEEK_END", dirs[i]);
		CHECK(l, lseek(d, 0, SEEK_CUR));
		snprintf(l, sizeof l, "%s SEEK_DATA", dirs[i]);
		CHECK(l, lseek(d, 0, SEEK_DATA));
		snprintf(l, sizeof l, "%s SEEK_SET -1", dirs[i]);
		CHECK(l, lseek(d, -1, SEEK_SET));
		snprintf(l, sizeof l, "%s rewind", dirs[i]);
		CHECK(l, lseek(d, 0, SEEK_SET));
		close(d);
	}

	signal(SIGUSR1, handler);
	pipe(hold);
	pthread_t th;
	pthread_create(&th, NULL, thread_fn, NULL);
	while (!tid) sched_yield();
	CHECK("kill with the thread's id", kill(tid, SIGUSR1));
	CHECK("kill 0 with the thread's id", kill(tid, 0));
	while (!handled) sched_yield();
	printf("handled %d\n", handled);
	write(hold[1], "x", 1);
	pthread_join(th, NULL);
	/* Linux wakes pthread_join (CLONE_CHILD_CLEARTID) before the thread
	 * is released: its id may still be there for a moment. */
	{
		int r = kill(tid, 0);
		printf("kill an exited thread's id: %s\n", r == 0 || errno == ESRCH ? "0 or ESRCH" : strerror(errno));
	}
	return 0;
}
