/* Robust mutexes whose owner dies: a thread that exits holding one (with
 * and without a blocked waiter), a process that exits holding a
 * process-shared one (the kernel's robust-list walk), recovery with
 * pthread_mutex_consistent and ENOTRECOVERABLE without it; robust PI
 * mutexes whose owner dies with nobody waiting. One child at a time. */
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "futex_common.h"

static void check(int err, const char *what) {
	if (err) {
		printf("%s: %s\n", what, en(err));
		exit(1);
	}
}

static void init_robust(pthread_mutex_t *m, int pshared, int pi) {
	pthread_mutexattr_t a;
	pthread_mutexattr_init(&a);
	check(pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST), "setrobust");
	if (pshared)
		check(pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED), "setpshared");
	if (pi)
		check(pthread_mutexattr_setprotocol(&a, PTHREAD_PRIO_INHERIT), "setprotocol");
	check(pthread_mutex_init(m, &a), "mutex_init");
	pthread_mutexattr_destroy(&a);
}

/* lock_word returns the futex word of a mutex: glibc's __lock, musl's
 * _m_lock. */
static volatile uint32_t *lock_word(pthread_mutex_t *m) {
#ifdef __GLIBC__
	return (uint32_t *)m;
#else
	return (uint32_t *)m + 1;
#endif
}

/* wait_for_waiter waits until a task blocks on w, with a private or a
 * shared futex (glibc and musl differ). */
static void wait_for_waiter(volatile uint32_t *w) {
	while (waiters(w, 0) + waiters(w, 1) != 1)
		sched_yield();
}

static pthread_mutex_t tm;
static uint32_t owner_tid __attribute__((aligned(4)));

static void *lock_and_exit(void *arg) {
	(void)arg;
	check(pthread_mutex_lock(&tm), "owner lock");
	__atomic_store_n(&owner_tid, (uint32_t)syscall(SYS_gettid), __ATOMIC_SEQ_CST);
	fx(&owner_tid, F_WAKE | F_PRIVATE, INT_MAX, NULL, NULL, 0);
	return NULL;
}

static void *lock_and_wait_for_waiter(void *arg) {
	(void)arg;
	uint32_t tid = syscall(SYS_gettid);
	check(pthread_mutex_lock(&tm), "owner lock");
	__atomic_store_n(&owner_tid, tid, __ATOMIC_SEQ_CST);
	fx(&owner_tid, F_WAKE | F_PRIVATE, INT_MAX, NULL, NULL, 0);
	wait_for_waiter(lock_word(&tm));
	return NULL;
}

static void *locker(void *arg) {
	(void)arg;
	int r = pthread_mutex_lock(&tm);
	if (r == EOWNERDEAD)
		check(pthread_mutex_consistent(&tm), "consistent");
	if (r == 0 || r == EOWNERDEAD)
		check(pthread_mutex_unlock(&tm), "unlock");
	return (void *)(long)r;
}

static void thread_dies(int pi) {
	printf("-- thread owner dies%s\n", pi ? " (PI)" : "");
	init_robust(&tm, 0, pi);
	pthread_t t;
	check(pthread_create(&t, NULL, lock_and_exit, NULL), "create");
	check(pthread_join(t, NULL), "join");
	int r = pthread_mutex_lock(&tm);
	printf("lock: %s\n", en(r));
	printf("consistent: %s\n", en(pthread_mutex_consistent(&tm)));
	printf("consistent again: %s\n", en(pthread_mutex_consistent(&tm)));
	printf("unlock: %s\n", en(pthread_mutex_unlock(&tm)));
	printf("lock again: %s\n", en(pthread_mutex_lock(&tm)));
	printf("unlock: %s\n", en(pthread_mutex_unlock(&tm)));

	/* Without pthread_mutex_consistent the mutex is lost. */
	check(pthread_create(&t, NULL, lock_and_exit, NULL), "create");
	check(pthread_join(t, NULL), "join");
	printf("lock: %s\n", en(pthread_mutex_lock(&tm)));
	printf("unlock without consistent: %s\n", en(pthread_mutex_unlock(&tm)));
	printf("lock: %s\n", en(pthread_mutex_lock(&tm)));
	printf("trylock: %s\n", en(pthread_mutex_trylock(&tm)));
	pthread_mutex_destroy(&tm);
}

static void thread_dies_with_waiter(int pshared) {
	printf("-- thread owner dies with a waiter%s\n", pshared ? " (process-shared)" : "");
	init_robust(&tm, pshared, 0);
	owner_tid = 0;
	pthread_t o, l;
	check(pthread_create(&o, NULL, lock_and_wait_for_waiter, (void *)(long)pshared), "create");
	while (__atomic_load_n(&owner_tid, __ATOMIC_SEQ_CST) == 0)
		fx(&owner_tid, F_WAIT | F_PRIVATE, 0, NULL, NULL, 0);
	check(pthread_create(&l, NULL, locker, NULL), "create");
	check(pthread_join(o, NULL), "join owner");
	void *r;
	check(pthread_join(l, &r), "join locker");
	printf("waiter's lock: %s\n", en((int)(long)r));
	printf("lock after recovery: %s\n", en(pthread_mutex_lock(&tm)));
	printf("unlock: %s\n", en(pthread_mutex_unlock(&tm)));
	pthread_mutex_destroy(&tm);
}

/* A child process locks a process-shared robust mutex in shared memory
 * and exits; the kernel's walk of its robust list marks the mutex. */
static void process_dies(int pi, int with_waiter) {
	printf("-- process owner dies%s%s\n", pi ? " (PI)" : "", with_waiter ? " with a waiter" : "");
	struct shared {
		pthread_mutex_t m;
		uint32_t tid;
	} *s = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (s == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	init_robust(&s->m, 1, pi);
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		if (pthread_mutex_lock(&s->m) != 0)
			_exit(2);
		uint32_t tid = syscall(SYS_gettid);
		__atomic_store_n(&s->tid, tid, __ATOMIC_SEQ_CST);
		fx(&s->tid, F_WAKE, INT_MAX, NULL, NULL, 0);
		if (with_waiter)
			wait_for_waiter(lock_word(&s->m));
		_exit(0);
	}
	while (__atomic_load_n(&s->tid, __ATOMIC_SEQ_CST) == 0)
		fx(&s->tid, F_WAIT, 0, NULL, NULL, 0);
	if (!with_waiter) {
		int st;
		waitpid(c, &st, 0);
		printf("child exited %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	}
	int r = pthread_mutex_lock(&s->m);
	printf("lock: %s\n", en(r));
	if (with_waiter) {
		int st;
		waitpid(c, &st, 0);
		printf("child exited %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	}
	printf("consistent: %s\n", en(pthread_mutex_consistent(&s->m)));
	printf("unlock: %s\n", en(pthread_mutex_unlock(&s->m)));
	printf("lock again: %s\n", en(pthread_mutex_lock(&s->m)));
	printf("unlock: %s\n", en(pthread_mutex_unlock(&s->m)));
	munmap(s, 4096);
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	thread_dies(0);
	thread_dies(1);
	thread_dies_with_waiter(0);
	thread_dies_with_waiter(1);
	process_dies(0, 0);
	process_dies(0, 1);
	process_dies(1, 0);
	return 0;
}
