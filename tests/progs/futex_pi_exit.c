/* PI futexes whose owner exits while a locker is blocked in
 * FUTEX_LOCK_PI: the kernel hands the futex to the locker at the owner's
 * exit (Linux's exit_pi_state_list), with FUTEX_OWNER_DIED when the futex
 * was on the owner's robust list. Raw futex calls, so that glibc and musl
 * behave alike. */
#include <pthread.h>
#include <stdlib.h>

#include "futex_common.h"

static uint32_t word __attribute__((aligned(4)));
static uint32_t ready __attribute__((aligned(4)));

struct robust_head {
	void *next;
	long offset;
	void *pending;
};

/* A robust-list entry: the list pointer, then (at offset 8) the word. */
static struct {
	void *next;
	uint32_t word;
} entry __attribute__((aligned(8)));

static void *owner(void *arg) {
	long robust = (long)arg;
	volatile uint32_t *w = robust ? &entry.word : &word;
	static __thread struct robust_head head;
	if (robust) {
		head.next = (char *)&entry + 1; /* bit 0: a PI futex */
		head.offset = 8;
		head.pending = NULL;
		entry.next = &head;
		syscall(NR_set_robust_list, &head, sizeof head);
	}
	long r = fx(w, F_LOCK_PI | F_PRIVATE, 0, NULL, NULL, 0);
	if (r != 0)
		printf("owner lock: %s\n", en(errno));
	__atomic_store_n(&ready, 1, __ATOMIC_SEQ_CST);
	fx(&ready, F_WAKE | F_PRIVATE, 1, NULL, NULL, 0);
	/* Exit once the locker blocks behind us: a requeue that meets a
	 * PI waiter fails with EINVAL. */
	while (waiters(w, 1) != -1)
		sched_yield();
	return NULL;
}

static void *locker(void *arg) {
	long robust = (long)arg;
	volatile uint32_t *w = robust ? &entry.word : &word;
	uint32_t tid = syscall(SYS_gettid);
	long r = fx(w, F_LOCK_PI | F_PRIVATE, 0, NULL, NULL, 0);
	uint32_t v = *w;
	printf("locker: %s, word is locker: %d, WAITERS %d, OWNER_DIED %d\n", r < 0 ? en(errno) : "OK",
	       (v & 0x3fffffff) == tid, (v & F_WAITERS) != 0, (v & F_OWNER_DIED) != 0);
	*w &= ~F_OWNER_DIED;
	r = fx(w, F_UNLOCK_PI | F_PRIVATE, 0, NULL, NULL, 0);
	printf("locker unlock: %s, word %#x\n", r < 0 ? en(errno) : "OK", *w);
	return NULL;
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (long robust = 0; robust < 2; robust++) {
		printf("-- %s\n", robust ? "robust" : "not robust");
		ready = 0;
		pthread_t o, l;
		pthread_create(&o, NULL, owner, (void *)robust);
		while (__atomic_load_n(&ready, __ATOMIC_SEQ_CST) == 0)
			fx(&ready, F_WAIT | F_PRIVATE, 0, NULL, NULL, 0);
		pthread_create(&l, NULL, locker, (void *)robust);
		pthread_join(o, NULL);
		pthread_join(l, NULL);
	}
	return 0;
}
