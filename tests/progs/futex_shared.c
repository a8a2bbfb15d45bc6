/* Shared futexes between a parent and one forked child over a MAP_SHARED
 * anonymous mapping: wait, wake, requeue and wake-op across processes;
 * private keys and private mappings that must not meet. One child at a
 * time, and children never fork. */
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "futex_common.h"

static volatile uint32_t *sh;

/* wait_change blocks until *w no longer holds from and returns it. */
static uint32_t wait_change(volatile uint32_t *w, uint32_t from) {
	uint32_t cur;
	while ((cur = __atomic_load_n(w, __ATOMIC_SEQ_CST)) == from)
		fx(w, F_WAIT, from, NULL, NULL, 0);
	return cur;
}

static void set_and_wake(volatile uint32_t *w, uint32_t v) {
	__atomic_store_n(w, v, __ATOMIC_SEQ_CST);
	fx(w, F_WAKE, INT_MAX, NULL, NULL, 0);
}

static void reap(pid_t c) {
	int st;
	if (waitpid(c, &st, 0) != c) {
		printf("waitpid failed\n");
		exit(1);
	}
	printf("child exited %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

/* The child blocks on sh[0] until its value changes, and reports how the
 * wait ended in sh[1] (1: woken). */
static void wake_across(void) {
	sh[0] = 0;
	sh[1] = 0;
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		long r = fx(sh, F_WAIT, 0, NULL, NULL, 0);
		set_and_wake(&sh[1], r == 0 ? 1 : 2);
		_exit(0);
	}
	wait_for_waiters(sh, 0, 1);
	TRY("private wake of a shared waiter", fx(sh, F_WAKE | F_PRIVATE, 1, NULL, NULL, 0));
	TRY("waiters seen from the parent", waiters(sh, 0));
	TRY("private waiters", waiters(sh, 1));
	sh[0] = 1;
	TRY("shared wake", fx(sh, F_WAKE, 1, NULL, NULL, 0));
	printf("child woken: %u\n", wait_change(&sh[1], 0));
	reap(c);
}

/* The child waits on sh[2]; the parent moves it to sh[3] and wakes it
 * there with a wake-op. */
static void requeue_across(void) {
	sh[1] = 0;
	sh[2] = 0;
	sh[3] = 0;
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		long r = fx(&sh[2], F_WAIT, 0, NULL, NULL, 0);
		set_and_wake(&sh[1], r == 0 ? 1 : 2);
		_exit(0);
	}
	wait_for_waiters(&sh[2], 0, 1);
	TRY("cmp_requeue across", fx(&sh[2], F_CMP_REQUEUE, 0, (void *)1, &sh[3], 0));
	TRY("waiters on the target", waiters(&sh[3], 0));
	TRY("wake_op across", fx(&sh[2], F_WAKE_OP, 1, (void *)1, &sh[3], F_OP(0, 9, 0, 0)));
	printf("child woken: %u, target word %u\n", wait_change(&sh[1], 0), sh[3]);
	reap(c);
}

/* A MAP_PRIVATE page is copied on fork: the child's futex is its own, and
 * the parent's wakes do not reach it. */
static uint32_t priv_word __attribute__((aligned(4)));

static void private_mapping(void) {
	sh[1] = 0;
	priv_word = 0;
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		struct timespec t = {0, 100 * 1000 * 1000};
		set_and_wake(&sh[1], 1);
		long r = fx(&priv_word, F_WAIT, 0, &t, NULL, 0);
		set_and_wake(&sh[1], r < 0 && errno == ETIMEDOUT ? 3 : 4);
		_exit(0);
	}
	wait_change(&sh[1], 0);
	long woken = 0;
	for (int i = 0; i < 20; i++) {
		woken += fx(&priv_word, F_WAKE, 1, NULL, NULL, 0);
		woken += fx(&priv_word, F_WAKE | F_PRIVATE, 1, NULL, NULL, 0);
		usleep(1000);
	}
	printf("parent woke %ld\n", woken);
	printf("child timed out on its own copy: %d\n", wait_change(&sh[1], 1) == 3);
	reap(c);
}

/* SIGKILL ends a child blocked in a futex wait, a waitv and a PI lock. */
static void killed_while_waiting(void) {
	static const char *what[] = {"wait", "waitv", "lock_pi"};
	for (int mode = 0; mode < 3; mode++) {
		sh[4] = 0;
		sh[5] = 0x3fff0000; /* a PI owner that the child blocks behind */
		fflush(stdout);
		pid_t c = fork();
		if (c == 0) {
			if (mode == 0) {
				fx(&sh[4], F_WAIT, 0, NULL, NULL, 0);
			} else if (mode == 1) {
				struct waitv v = {.val = 0, .uaddr = (uintptr_t)&sh[4], .flags = F2_SIZE_U32};
				syscall(NR_futex_waitv, &v, 1, 0, NULL, 0);
			} else {
				sh[5] = syscall(SYS_getppid);
				fx(&sh[5], F_LOCK_PI, 0, NULL, NULL, 0);
			}
			_exit(3);
		}
		if (mode < 2)
			wait_for_waiters(&sh[4], 0, 1);
		else
			while (waiters(&sh[5], 0) != -1)
				sched_yield();
		kill(c, SIGKILL);
		int st;
		waitpid(c, &st, 0);
		printf("%s: killed by SIGKILL: %d\n", what[mode], WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	}
	TRY("waiters left", waiters(&sh[4], 0));
	TRY("PI waiters left", waiters(&sh[5], 0));
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	sh = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	wake_across();
	requeue_across();
	private_mapping();
	killed_while_waiting();
	return 0;
}
