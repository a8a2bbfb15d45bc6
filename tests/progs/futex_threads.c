/* Futexes between threads: 8 threads on a mutex, a condition variable and
 * a barrier; raw wait/wake, requeue, wake-op, bitsets, futex_waitv; PI
 * hand-off and PI mutexes; waits interrupted by signals. */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>

#include "futex_common.h"

#define NTHREADS 8

static void check(int err, const char *what) {
	if (err) {
		printf("%s: %s\n", what, en(err));
		exit(1);
	}
}

static pthread_t spawn(void *(*fn)(void *), void *arg) {
	pthread_t t;
	check(pthread_create(&t, NULL, fn, arg), "pthread_create");
	return t;
}

static void *join(pthread_t t) {
	void *ret;
	check(pthread_join(t, &ret), "pthread_join");
	return ret;
}

/* --- 8 threads: mutex, condition variable, barrier --- */

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static pthread_barrier_t barrier;
static long counter;
static int turn;
static int serial;

static void *worker(void *arg) {
	long id = (long)arg;
	for (int i = 0; i < 2000; i++) {
		pthread_mutex_lock(&mu);
		counter++;
		pthread_mutex_unlock(&mu);
	}
	/* Take turns in id order, 20 rounds. */
	for (int round = 0; round < 20; round++) {
		pthread_mutex_lock(&mu);
		while (turn % NTHREADS != id)
			pthread_cond_wait(&cv, &mu);
		turn++;
		pthread_cond_broadcast(&cv);
		pthread_mutex_unlock(&mu);
	}
	for (int round = 0; round < 20; round++) {
		int r = pthread_barrier_wait(&barrier);
		if (r == PTHREAD_BARRIER_SERIAL_THREAD) {
			pthread_mutex_lock(&mu);
			serial++;
			pthread_mutex_unlock(&mu);
		} else if (r != 0) {
			printf("barrier: %s\n", en(r));
		}
	}
	return (void *)(id * 10);
}

static void contention(void) {
	pthread_t t[NTHREADS];
	check(pthread_barrier_init(&barrier, NULL, NTHREADS), "barrier_init");
	for (long i = 0; i < NTHREADS; i++)
		t[i] = spawn(worker, (void *)i);
	long sum = 0;
	for (int i = 0; i < NTHREADS; i++)
		sum += (long)join(t[i]);
	printf("counter %ld, turns %d, barrier serial threads %d, joined sum %ld\n", counter, turn, serial, sum);
	pthread_barrier_destroy(&barrier);
}

/* --- raw wait and wake --- */

static uint32_t w[8] __attribute__((aligned(64)));

static void *pingpong(void *arg) {
	(void)arg;
	/* w[0] counts up: this thread waits for odd values. */
	for (uint32_t i = 1; i < 2000; i += 2) {
		while (__atomic_load_n(&w[0], __ATOMIC_SEQ_CST) != i)
			fx(&w[0], F_WAIT | F_PRIVATE, i - 1, NULL, NULL, 0);
		__atomic_store_n(&w[0], i + 1, __ATOMIC_SEQ_CST);
		fx(&w[0], F_WAKE | F_PRIVATE, 1, NULL, NULL, 0);
	}
	return NULL;
}

static void raw_pingpong(void) {
	w[0] = 0;
	pthread_t t = spawn(pingpong, NULL);
	for (uint32_t i = 0; i < 2000; i += 2) {
		while (__atomic_load_n(&w[0], __ATOMIC_SEQ_CST) != i)
			fx(&w[0], F_WAIT | F_PRIVATE, i - 1, NULL, NULL, 0);
		__atomic_store_n(&w[0], i + 1, __ATOMIC_SEQ_CST);
		fx(&w[0], F_WAKE | F_PRIVATE, 1, NULL, NULL, 0);
	}
	join(t);
	printf("ping-pong ended at %u\n", w[0]);
}

/* waiter blocks on w[arg] until w[7] is set, with the bitset in w[6]. */
static void *waiter(void *arg) {
	long i = (long)arg;
	long woken = 0;
	while (!__atomic_load_n(&w[7], __ATOMIC_SEQ_CST)) {
		if (fx(&w[i], F_WAIT_BITSET | F_PRIVATE, 0, NULL, NULL, w[6]) == 0)
			woken++;
	}
	return (void *)woken;
}

static void requeue_wakeop_bitset(void) {
	memset(w, 0, sizeof w);
	w[6] = ~0u;
	pthread_t t[3];
	for (int i = 0; i < 3; i++)
		t[i] = spawn(waiter, (void *)0L);
	wait_for_waiters(&w[0], 1, 3);
	TRY("cmp_requeue mismatch", fx(&w[0], F_CMP_REQUEUE | F_PRIVATE, 1, (void *)1, &w[1], 1));
	TRY("requeue shared (other key)", waiters(&w[0], 0));
	__atomic_store_n(&w[7], 1, __ATOMIC_SEQ_CST);
	TRY("cmp_requeue wake 1 move 1", fx(&w[0], F_CMP_REQUEUE | F_PRIVATE, 1, (void *)1, &w[1], 0));
	TRY("waiters left on first", waiters(&w[0], 1));
	TRY("waiters on second", waiters(&w[1], 1));
	TRY("wake second", fx(&w[1], F_WAKE | F_PRIVATE, INT_MAX, NULL, NULL, 0));
	TRY("wake first", fx(&w[0], F_WAKE | F_PRIVATE, INT_MAX, NULL, NULL, 0));
	long woken = 0;
	for (int i = 0; i < 3; i++)
		woken += (long)join(t[i]);
	printf("woken %ld\n", woken);

	/* WAKE_OP: one waiter on each word; the comparison on the second
	 * word's old value decides whether its waiter wakes. */
	memset(w, 0, sizeof w);
	w[6] = ~0u;
	t[0] = spawn(waiter, (void *)0L);
	t[1] = spawn(waiter, (void *)1L);
	wait_for_waiters(&w[0], 1, 1);
	wait_for_waiters(&w[1], 1, 1);
	TRY("wake_op cmp false", fx(&w[0], F_WAKE_OP | F_PRIVATE, 1, (void *)1, &w[1], F_OP(0, 0, 1, 0)));
	wait_for_waiters(&w[0], 1, 1);
	TRY("waiters on second", waiters(&w[1], 1));
	__atomic_store_n(&w[7], 1, __ATOMIC_SEQ_CST);
	TRY("wake_op cmp true", fx(&w[0], F_WAKE_OP | F_PRIVATE, 1, (void *)1, &w[1], F_OP(0, 5, 0, 0)));
	printf("second word %u\n", w[1]);
	woken = (long)join(t[0]) + (long)join(t[1]);
	printf("woken %ld\n", woken);

	/* Bitsets. */
	memset(w, 0, sizeof w);
	w[6] = 0x1;
	t[0] = spawn(waiter, (void *)0L);
	wait_for_waiters(&w[0], 1, 1);
	TRY("wake_bitset other bits", fx(&w[0], F_WAKE_BITSET | F_PRIVATE, 1, NULL, NULL, 0x6));
	TRY("wake shared key", fx(&w[0], F_WAKE, 1, NULL, NULL, 0));
	__atomic_store_n(&w[7], 1, __ATOMIC_SEQ_CST);
	TRY("wake_bitset matching", fx(&w[0], F_WAKE_BITSET | F_PRIVATE, 1, NULL, NULL, 0x3));
	printf("woken %ld\n", (long)join(t[0]));
}

/* --- futex_waitv --- */

static void *waitv_thread(void *arg) {
	(void)arg;
	struct waitv v[3];
	for (int i = 0; i < 3; i++)
		v[i] = (struct waitv){.val = 0, .uaddr = (uintptr_t)&w[i], .flags = F2_SIZE_U32 | (i == 1 ? 0 : F2_PRIVATE)};
	return (void *)syscall(NR_futex_waitv, v, 3, 0, NULL, 0);
}

static void waitv(void) {
	memset(w, 0, sizeof w);
	pthread_t t = spawn(waitv_thread, NULL);
	wait_for_waiters(&w[2], 1, 1);
	TRY("waiters on shared entry", waiters(&w[1], 0));
	TRY("wake entry 2", fx(&w[2], F_WAKE | F_PRIVATE, 1, NULL, NULL, 0));
	printf("waitv returned %ld\n", (long)join(t));
	TRY("waiters on entry 0 after", waiters(&w[0], 1));
	t = spawn(waitv_thread, NULL);
	wait_for_waiters(&w[1], 0, 1);
	TRY("wake shared entry 1", fx(&w[1], F_WAKE, 1, NULL, NULL, 0));
	printf("waitv returned %ld\n", (long)join(t));
}

/* --- PI hand-off --- */

static uint32_t pi_word __attribute__((aligned(4)));
static uint32_t step __attribute__((aligned(4)));

static void set_step(uint32_t s) {
	__atomic_store_n(&step, s, __ATOMIC_SEQ_CST);
	fx(&step, F_WAKE | F_PRIVATE, INT_MAX, NULL, NULL, 0);
}

static void await_step(uint32_t s) {
	uint32_t v;
	while ((v = __atomic_load_n(&step, __ATOMIC_SEQ_CST)) < s)
		fx(&step, F_WAIT | F_PRIVATE, v, NULL, NULL, 0);
}

static void *pi_owner(void *arg) {
	(void)arg;
	uint32_t tid = syscall(SYS_gettid);
	long r = fx(&pi_word, F_TRYLOCK_PI | F_PRIVATE, 0, NULL, NULL, 0);
	printf("owner trylock %ld, word is owner: %d\n", r, pi_word == tid);
	fflush(stdout);
	set_step(1);
	await_step(2);
	r = fx(&pi_word, F_UNLOCK_PI | F_PRIVATE, 0, NULL, NULL, 0);
	printf("owner unlock %ld\n", r);
	fflush(stdout);
	set_step(3);
	return NULL;
}

static void *pi_locker(void *arg) {
	(void)arg;
	uint32_t tid = syscall(SYS_gettid);
	long r = fx(&pi_word, F_LOCK_PI | F_PRIVATE, 0, NULL, NULL, 0);
	int mine = pi_word == (tid | F_WAITERS);
	await_step(3);
	printf("locker lock %ld, word is WAITERS|locker: %d\n", r, mine);
	r = fx(&pi_word, F_UNLOCK_PI | F_PRIVATE, 0, NULL, NULL, 0);
	printf("locker unlock %ld, word %#x\n", r, pi_word);
	fflush(stdout);
	return NULL;
}

static void pi_handoff(void) {
	pthread_t o = spawn(pi_owner, NULL);
	await_step(1);
	TRY("trylock owned", fx(&pi_word, F_TRYLOCK_PI | F_PRIVATE, 0, NULL, NULL, 0));
	printf("word has WAITERS: %d\n", (pi_word & F_WAITERS) != 0);
	TRY("unlock not owner", fx(&pi_word, F_UNLOCK_PI | F_PRIVATE, 0, NULL, NULL, 0));
	struct timespec past = {0, 0};
	TRY("lock_pi timed out", fx(&pi_word, F_LOCK_PI | F_PRIVATE, 0, &past, NULL, 0));
	TRY("wake on a PI futex without waiters", fx(&pi_word, F_WAKE | F_PRIVATE, 1, NULL, NULL, 0));
	pthread_t l = spawn(pi_locker, NULL);
	/* A requeue that meets a PI waiter fails with EINVAL. */
	while (waiters(&pi_word, 1) != -1)
		sched_yield();
	TRY("wake with a PI waiter", fx(&pi_word, F_WAKE | F_PRIVATE, 1, NULL, NULL, 0));
	set_step(2);
	join(o);
	join(l);
}

/* PI mutexes: 4 threads contend through FUTEX_LOCK_PI/UNLOCK_PI while
 * other threads start and exit (a thread's exit once deadlocked kite
 * against a locker looking up the mutex's owner). */
static pthread_mutex_t pimu;
static long picount;

static void *pi_short(void *arg) {
	return arg;
}

static void *pi_worker(void *arg) {
	(void)arg;
	for (int i = 0; i < 500; i++) {
		check(pthread_mutex_lock(&pimu), "pi lock");
		picount++;
		if (i % 50 == 0)
			sched_yield();
		check(pthread_mutex_unlock(&pimu), "pi unlock");
	}
	return NULL;
}

static void pi_mutexes(void) {
	pthread_mutexattr_t a;
	pthread_mutexattr_init(&a);
	check(pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK), "settype");
	check(pthread_mutexattr_setprotocol(&a, PTHREAD_PRIO_INHERIT), "setprotocol");
	check(pthread_mutex_init(&pimu, &a), "mutex_init");
	pthread_t t[4];
	for (int i = 0; i < 4; i++)
		t[i] = spawn(pi_worker, NULL);
	for (int i = 0; i < 100; i++)
		join(spawn(pi_short, NULL));
	for (int i = 0; i < 4; i++)
		join(t[i]);
	printf("pi counter %ld\n", picount);
	check(pthread_mutex_trylock(&pimu), "pi trylock");
	printf("pi relock: %s\n", en(pthread_mutex_lock(&pimu)));
	printf("pi unlock by owner: %s\n", en(pthread_mutex_unlock(&pimu)));
	printf("pi unlock unlocked: %s\n", en(pthread_mutex_unlock(&pimu)));
	check(pthread_mutex_lock(&pimu), "pi lock");
	check(pthread_mutex_unlock(&pimu), "pi unlock");
}

/* --- signals --- */

static volatile int handled;

static void on_usr1(int sig) {
	(void)sig;
	handled++;
}

static uint32_t sigword __attribute__((aligned(4)));

static void *sig_waiter(void *arg) {
	long mode = (long)arg;
	struct timespec long_rel = {100, 0};
	struct timespec abs;
	clock_gettime(CLOCK_MONOTONIC, &abs);
	abs.tv_sec += 100;
	long r;
	switch (mode) {
	case 0:
		r = fx(&sigword, F_WAIT | F_PRIVATE, 0, NULL, NULL, 0);
		break;
	case 1:
		r = fx(&sigword, F_WAIT | F_PRIVATE, 0, &long_rel, NULL, 0);
		break;
	case 2:
		r = fx(&sigword, F_WAIT_BITSET | F_PRIVATE, 0, &abs, NULL, ~0u);
		break;
	default: {
		struct waitv v = {.val = 0, .uaddr = (uintptr_t)&sigword, .flags = F2_SIZE_U32 | F2_PRIVATE};
		r = syscall(NR_futex_waitv, &v, 1, 0, NULL, 0);
	}
	}
	return (void *)(r < 0 ? -(long)errno : r);
}

static void signals(void) {
	static const char *modes[] = {"wait", "wait relative timeout", "wait_bitset absolute", "waitv"};
	for (int restart = 0; restart < 2; restart++) {
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_usr1;
		sa.sa_flags = restart ? SA_RESTART : 0;
		sigaction(SIGUSR1, &sa, NULL);
		for (long mode = 0; mode < 4; mode++) {
			sigword = 0;
			handled = 0;
			pthread_t t = spawn(sig_waiter, (void *)mode);
			wait_for_waiters(&sigword, 1, 1);
			pthread_kill(t, SIGUSR1);
			/* A restarted wait blocks again; one that returned
			 * does not come back. */
			if (restart && (mode == 0 || mode == 3)) {
				while (handled == 0)
					sched_yield();
				wait_for_waiters(&sigword, 1, 1);
				sigword = 1;
				fx(&sigword, F_WAKE | F_PRIVATE, 1, NULL, NULL, 0);
			}
			long r = (long)join(t);
			printf("%s, SA_RESTART %d: %s, handled %d\n", modes[mode], restart, r < 0 ? en(-r) : "woken",
			       handled);
		}
	}
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	contention();
	raw_pingpong();
	requeue_wakeop_bitset();
	waitv();
	pi_handoff();
	pi_mutexes();
	signals();
	return 0;
}
