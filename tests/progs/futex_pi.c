/* PI futexes between threads with raw calls: requeue-PI (the lock taken
 * for the waiter, or the waiter moved behind the owner), and PI and
 * requeue-PI waits interrupted by a signal handler. */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>

#include "futex_common.h"

static uint32_t cond __attribute__((aligned(4)));
static uint32_t mutex __attribute__((aligned(4)));
static volatile int handled;

static void on_usr1(int sig) {
	(void)sig;
	handled++;
}

struct result {
	long ret;
	int err;
	uint32_t word;
	uint32_t tid;
	int unlock;
};

/* requeue_waiter waits on cond to be given mutex, then unlocks it. */
static void *requeue_waiter(void *arg) {
	struct result *r = arg;
	r->tid = syscall(SYS_gettid);
	errno = 0;
	r->ret = fx(&cond, F_WAIT_REQUEUE_PI | F_PRIVATE, 0, NULL, &mutex, 0);
	r->err = errno;
	r->word = mutex;
	r->unlock = r->ret == 0 ? (int)fx(&mutex, F_UNLOCK_PI | F_PRIVATE, 0, NULL, NULL, 0) : 0;
	return NULL;
}

/* locker takes mutex with FUTEX_LOCK_PI, then unlocks it. */
static void *locker(void *arg) {
	struct result *r = arg;
	r->tid = syscall(SYS_gettid);
	errno = 0;
	r->ret = fx(&mutex, F_LOCK_PI | F_PRIVATE, 0, NULL, NULL, 0);
	r->err = errno;
	r->word = mutex;
	r->unlock = r->ret == 0 ? (int)fx(&mutex, F_UNLOCK_PI | F_PRIVATE, 0, NULL, NULL, 0) : 0;
	return NULL;
}

static void report(const char *what, struct result *r) {
	printf("%s: %s, word is WAITERS|tid: %d, plain tid: %d, unlock %d, mutex free: %d\n", what,
	       r->ret < 0 ? en(r->err) : "OK", r->word == (r->tid | F_WAITERS), r->word == r->tid, r->unlock,
	       mutex == 0);
}

/* A requeue-PI or PI waiter is queued: FUTEX_REQUEUE on its futex fails
 * with EINVAL. */
static void wait_for_pi_waiter(uint32_t *w) {
	while (waiters(w, 1) != -1)
		sched_yield();
}

static void take_mutex(void) {
	if (fx(&mutex, F_TRYLOCK_PI | F_PRIVATE, 0, NULL, NULL, 0) != 0) {
		printf("main trylock: %s\n", en(errno));
		exit(1);
	}
}

static void requeue_pi(void) {
	struct result r;
	pthread_t t;

	/* The mutex is free: the waiter gets it at once. */
	cond = mutex = 0;
	memset(&r, 0, sizeof r);
	pthread_create(&t, NULL, requeue_waiter, &r);
	wait_for_pi_waiter(&cond);
	TRY("wake of a requeue-PI waiter", fx(&cond, F_WAKE | F_PRIVATE, 1, NULL, NULL, 0));
	TRY("cmp_requeue (not PI) of it", fx(&cond, F_CMP_REQUEUE | F_PRIVATE, 1, (void *)1, &mutex, 0));
	TRY("cmp_requeue_pi to another futex", fx(&cond, F_CMP_REQUEUE_PI | F_PRIVATE, 1, (void *)1, &handled, 0));
	cond = 1;
	TRY("cmp_requeue_pi free mutex", fx(&cond, F_CMP_REQUEUE_PI | F_PRIVATE, 1, (void *)1, &mutex, 1));
	pthread_join(t, NULL);
	report("waiter", &r);

	/* The mutex is held: the waiter moves behind the owner. */
	cond = mutex = 0;
	memset(&r, 0, sizeof r);
	take_mutex();
	pthread_create(&t, NULL, requeue_waiter, &r);
	wait_for_pi_waiter(&cond);
	cond = 1;
	TRY("cmp_requeue_pi held mutex", fx(&cond, F_CMP_REQUEUE_PI | F_PRIVATE, 1, (void *)1, &mutex, 1));
	TRY("queued on cond", waiters(&cond, 1));
	TRY("queued on the mutex (EINVAL: a PI waiter)", waiters(&mutex, 1));
	printf("mutex has WAITERS: %d\n", (mutex & F_WAITERS) != 0);
	TRY("main unlock", fx(&mutex, F_UNLOCK_PI | F_PRIVATE, 0, NULL, NULL, 0));
	pthread_join(t, NULL);
	report("requeued waiter", &r);
}

static void interrupted(void) {
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_usr1; /* no SA_RESTART */
	sigaction(SIGUSR1, &sa, NULL);
	struct result r;
	pthread_t t;

	/* FUTEX_LOCK_PI restarts after a handler, SA_RESTART or not. */
	mutex = 0;
	handled = 0;
	memset(&r, 0, sizeof r);
	take_mutex();
	pthread_create(&t, NULL, locker, &r);
	wait_for_pi_waiter(&mutex);
	pthread_kill(t, SIGUSR1);
	while (!handled)
		sched_yield();
	wait_for_pi_waiter(&mutex);
	TRY("main unlock", fx(&mutex, F_UNLOCK_PI | F_PRIVATE, 0, NULL, NULL, 0));
	pthread_join(t, NULL);
	report("interrupted locker", &r);
	printf("handled %d\n", handled);

	/* So does FUTEX_WAIT_REQUEUE_PI before it is requeued. */
	cond = mutex = 0;
	handled = 0;
	memset(&r, 0, sizeof r);
	pthread_create(&t, NULL, requeue_waiter, &r);
	wait_for_pi_waiter(&cond);
	pthread_kill(t, SIGUSR1);
	while (!handled)
		sched_yield();
	wait_for_pi_waiter(&cond);
	cond = 1;
	TRY("cmp_requeue_pi", fx(&cond, F_CMP_REQUEUE_PI | F_PRIVATE, 1, (void *)1, &mutex, 1));
	pthread_join(t, NULL);
	report("interrupted requeue waiter", &r);
	printf("handled %d\n", handled);

	/* After the requeue an interrupted wait ends with EAGAIN. */
	cond = mutex = 0;
	handled = 0;
	memset(&r, 0, sizeof r);
	take_mutex();
	pthread_create(&t, NULL, requeue_waiter, &r);
	wait_for_pi_waiter(&cond);
	cond = 1;
	TRY("cmp_requeue_pi held mutex", fx(&cond, F_CMP_REQUEUE_PI | F_PRIVATE, 1, (void *)1, &mutex, 1));
	wait_for_pi_waiter(&mutex);
	pthread_kill(t, SIGUSR1);
	pthread_join(t, NULL);
	report("requeued waiter interrupted", &r);
	printf("handled %d\n", handled);
	TRY("queued on the mutex", waiters(&mutex, 1));
	TRY("main unlock", fx(&mutex, F_UNLOCK_PI | F_PRIVATE, 0, NULL, NULL, 0));
	printf("mutex now %#x\n", mutex);
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	requeue_pi();
	interrupted();
	return 0;
}
