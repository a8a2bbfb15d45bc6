/* RLIMIT_MSGQUEUE bounds the bytes of POSIX message queues a real user
 * has made: a queue counts maxmsg * msgsize plus bookkeeping per message
 * (Linux's mqueue_get_inode); mq_open creating one past the limit fails
 * with EMFILE, opening an existing one does not count, and a queue gives
 * its bytes back once unlinked and closed. It runs in a child with a uid
 * of its own (65530) so that no other process shares the count. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* Through the system call: musl and glibc differ in what they check. */
static int mqopen(const char *name, int flags, struct mq_attr *a) {
	return syscall(SYS_mq_open, name + 1, flags, 0600, a);
}

static const char *en(int r) {
	if (r >= 0) return "ok";
	return errno == EMFILE ? "EMFILE" : strerror(errno);
}

static void body(void) {
	/* Each queue of 10 messages of 1000 bytes: 10000 + 10 * 48 + 10 * 48. */
	const long per = 10960;
	struct mq_attr a = {0, 10, 1000, 0};
	char name[64];
	for (int i = 0; i < 4; i++) {
		snprintf(name, sizeof name, "/kite_rlimit_mq_%d", i);
		syscall(SYS_mq_unlink, name + 1);
	}
	struct rlimit rl = {2 * per, 2 * per};
	if (setrlimit(RLIMIT_MSGQUEUE, &rl) < 0) { perror("setrlimit"); return; }
	int q0 = mqopen("/kite_rlimit_mq_0", O_CREAT | O_EXCL | O_RDWR, &a);
	printf("first: %s\n", en(q0));
	int q1 = mqopen("/kite_rlimit_mq_1", O_CREAT | O_EXCL | O_RDWR, &a);
	printf("second (exactly at the limit): %s\n", en(q1));
	int q2 = mqopen("/kite_rlimit_mq_2", O_CREAT | O_EXCL | O_RDWR, &a);
	printf("third: %s\n", en(q2));
	struct mq_attr small = {0, 1, 1, 0};
	printf("a one-byte queue: %s\n", en(mqopen("/kite_rlimit_mq_2", O_CREAT | O_EXCL | O_RDWR, &small)));
	int again = mqopen("/kite_rlimit_mq_0", O_RDWR, NULL);
	printf("opening the first again: %s\n", en(again));
	int again2 = mqopen("/kite_rlimit_mq_0", O_CREAT | O_RDWR, &a);
	printf("O_CREAT of the existing first: %s\n", en(again2));

	/* Unlinked but open: still counted. */
	syscall(SYS_mq_unlink, "kite_rlimit_mq_1");
	printf("after unlinking the open second: %s\n", en(mqopen("/kite_rlimit_mq_2", O_CREAT | O_EXCL | O_RDWR, &a)));
	close(q1);
	q2 = mqopen("/kite_rlimit_mq_2", O_CREAT | O_EXCL | O_RDWR, &a);
	printf("after closing it too: %s\n", en(q2));

	/* One byte less than two queues: the second does not fit. */
	close(q0);
	close(again);
	close(again2);
	syscall(SYS_mq_unlink, "kite_rlimit_mq_0");
	close(q2);
	syscall(SYS_mq_unlink, "kite_rlimit_mq_2");
	rl.rlim_cur = 2 * per - 1;
	setrlimit(RLIMIT_MSGQUEUE, &rl);
	q0 = mqopen("/kite_rlimit_mq_0", O_CREAT | O_EXCL | O_RDWR, &a);
	printf("limit one byte short, first: %s\n", en(q0));
	q1 = mqopen("/kite_rlimit_mq_1", O_CREAT | O_EXCL | O_RDWR, &a);
	printf("limit one byte short, second: %s\n", en(q1));
	/* The default attributes (10 of 8192) are counted too. */
	rl.rlim_cur = 0;
	setrlimit(RLIMIT_MSGQUEUE, &rl);
	printf("limit 0, default attributes: %s\n", en(mqopen("/kite_rlimit_mq_3", O_CREAT | O_EXCL | O_RDWR, NULL)));
	for (int i = 0; i < 4; i++) {
		snprintf(name, sizeof name, "/kite_rlimit_mq_%d", i);
		syscall(SYS_mq_unlink, name + 1);
	}
}

int main(void) {
	if (geteuid() != 0) {
		printf("needs root\n");
		return 0;
	}
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		if (setgid(65530) < 0 || setuid(65530) < 0) _exit(2);
		body();
		fflush(stdout);
		_exit(0);
	}
	int st;
	waitpid(c, &st, 0);
	printf("child exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	return 0;
}
