/* PI futexes across PID namespaces: the futex word holds the owner's TID
 * as its own PID namespace numbers it, and the kernel keeps owners apart
 * by thread, not by that number. Two processes that are each init (TID
 * 1) of their own PID namespace: while one holds a PI futex that its
 * second thread waits for, the other exits; the exit must not hand the
 * first one's futex over (with FUTEX_OWNER_DIED) as if its owner had
 * died. */
#include "file_common.h"
#include <dirent.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/wait.h>

/* linux/futex.h's values (musl has no linux headers). */
#define FUTEX_LOCK_PI 6
#define FUTEX_UNLOCK_PI 7
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_WAITERS 0x80000000u
#define FUTEX_OWNER_DIED 0x40000000u
#define FUTEX_TID_MASK 0x3fffffffu

static uint32_t word;

static long futex(uint32_t *addr, int op) { return syscall(SYS_futex, addr, op, 0, NULL, NULL, 0); }

/* newpid puts the caller's future children in a new PID namespace (in a
 * new user namespace too when unprivileged). */
static int newpid(void) {
	if (unshare(CLONE_NEWPID) == 0)
		return 0;
	return unshare(CLONE_NEWUSER | CLONE_NEWPID);
}

static void *waiter(void *arg) {
	(void)arg;
	long r = futex(&word, FUTEX_LOCK_PI | FUTEX_PRIVATE_FLAG);
	uint32_t v = word;
	printf("waiter: lock %ld, word holds its tid %s, owner died %s\n", r,
	       (pid_t)(v & FUTEX_TID_MASK) == (pid_t)syscall(SYS_gettid) ? "yes" : "no", v & FUTEX_OWNER_DIED ? "yes" : "no");
	futex(&word, FUTEX_UNLOCK_PI | FUTEX_PRIVATE_FLAG);
	return NULL;
}

/* blocked waits until the other thread of this process sleeps. */
static void blocked(void) {
	char self[32] = {0};
	if (readlink("/proc/self", self, sizeof self - 1) <= 0)
		return;
	for (;;) {
		DIR *d = opendir("/proc/self/task");
		struct dirent *e;
		char state = 0;
		while (d && (e = readdir(d))) {
			if (e->d_name[0] == '.' || !strcmp(e->d_name, self))
				continue;
			char p[96], buf[256] = {0};
			snprintf(p, sizeof p, "/proc/self/task/%s/stat", e->d_name);
			int fd = open(p, O_RDONLY);
			if (fd >= 0 && read(fd, buf, sizeof buf - 1) > 0) {
				char *c = strrchr(buf, ')');
				if (c && c[1])
					state = c[2];
			}
			if (fd >= 0)
				close(fd);
		}
		if (d)
			closedir(d);
		if (state == 'S' && (word & FUTEX_WAITERS))
			return;
		sched_yield();
	}
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	int bgo[2], cready[2], cgo[2];
	if (pipe(bgo) < 0)
		return 2;
	/* B: init of a PID namespace, waiting to be told to exit. */
	pid_t hb = fork();
	if (hb == 0) {
		close(bgo[1]);
		if (newpid() < 0) {
			printf("unshare: %s\n", errname(errno));
			_exit(1);
		}
		pid_t b = fork();
		if (b == 0) {
			char x;
			while (read(bgo[0], &x, 1) > 0)
				;
			_exit(getpid() == 1 ? 0 : 3);
		}
		int st;
		waitpid(b, &st, 0);
		_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 4);
	}
	close(bgo[0]);
	if (pipe(cready) < 0 || pipe(cgo) < 0)
		return 2;
	/* C: init of another, holding a PI futex its second thread waits for. */
	pid_t hc = fork();
	if (hc == 0) {
		close(bgo[1]);
		close(cready[0]);
		close(cgo[1]);
		if (newpid() < 0)
			_exit(1);
		pid_t c = fork();
		if (c == 0) {
			printf("holder: tid %d\n", (int)syscall(SYS_gettid));
			printf("holder: lock %ld\n", futex(&word, FUTEX_LOCK_PI | FUTEX_PRIVATE_FLAG));
			pthread_t th;
			pthread_create(&th, NULL, waiter, NULL);
			blocked();
			if (write(cready[1], "r", 1) != 1)
				_exit(2);
			char x;
			while (read(cgo[0], &x, 1) > 0)
				;
			long r = futex(&word, FUTEX_UNLOCK_PI | FUTEX_PRIVATE_FLAG);
			int e = errno;
			/* Printed after the waiter's line, whatever the timing. */
			pthread_join(th, NULL);
			printf("holder: unlock %ld%s%s\n", r, r < 0 ? " " : "", r < 0 ? errname(e) : "");
			_exit(0);
		}
		close(cready[1]);
		close(cgo[0]);
		int st;
		waitpid(c, &st, 0);
		_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 4);
	}
	close(cready[1]);
	close(cgo[0]);
	char x;
	if (read(cready[0], &x, 1) != 1) {
		printf("holder not ready\n");
		close(bgo[1]);
		close(cgo[1]);
	} else {
		/* B (TID 1 too) exits while C holds the futex. */
		close(bgo[1]);
		int st;
		waitpid(hb, &st, 0);
		printf("other init exited %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
		close(cgo[1]);
	}
	int st;
	waitpid(hc, &st, 0);
	printf("holder exited %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	waitpid(hb, &st, 0);
	return 0;
}
