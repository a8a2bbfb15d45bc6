/* futex(2), futex_waitv(2), futex_wake/wait/requeue(2) and the robust-list
 * calls from one thread: error cases, wake-op arithmetic, PI trylock and
 * unlock. */
#include "futex_common.h"

static uint32_t words[4] __attribute__((aligned(16)));
static volatile uint32_t *a = &words[0], *b = &words[1];
static const struct timespec zero = {0, 0};

static void timeouts(void) {
	struct timespec ten_ms = {0, 10 * 1000 * 1000};
	struct timespec bad_nsec = {0, 1000000000};
	struct timespec neg = {-1, 0};
	struct timespec t0, t1;
	*a = 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	TRY("wait 10ms", fx(a, F_WAIT | F_PRIVATE, 0, &ten_ms, NULL, 0));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long ns = (t1.tv_sec - t0.tv_sec) * 1000000000L + (t1.tv_nsec - t0.tv_nsec);
	printf("waited at least 10ms: %d\n", ns >= 10 * 1000 * 1000);
	TRY("wait shared 10ms", fx(a, F_WAIT, 0, &ten_ms, NULL, 0));
	TRY("wait zero timeout", fx(a, F_WAIT | F_PRIVATE, 0, &zero, NULL, 0));
	TRY("wait bad nsec", fx(a, F_WAIT | F_PRIVATE, 0, &bad_nsec, NULL, 0));
	TRY("wait negative", fx(a, F_WAIT | F_PRIVATE, 0, &neg, NULL, 0));
	TRY("wait timeout EFAULT", fx(a, F_WAIT | F_PRIVATE, 0, (void *)8, NULL, 0));
	/* The timeout is read first, even for a bad command combination. */
	TRY("wait realtime bad timeout", fx(a, F_WAIT | F_CLOCK_REALTIME, 0, (void *)8, NULL, 0));
	TRY("wait realtime", fx(a, F_WAIT | F_CLOCK_REALTIME, 0, &ten_ms, NULL, 0));
	TRY("wait realtime no timeout", fx(a, F_WAIT | F_CLOCK_REALTIME, 1, NULL, NULL, 0));
	/* Absolute deadlines in the past. */
	TRY("wait_bitset past monotonic", fx(a, F_WAIT_BITSET | F_PRIVATE, 0, &zero, NULL, ~0u));
	TRY("wait_bitset past realtime", fx(a, F_WAIT_BITSET | F_PRIVATE | F_CLOCK_REALTIME, 0, &zero, NULL, ~0u));
	TRY("wait_bitset mismatch before timeout", fx(a, F_WAIT_BITSET | F_PRIVATE, 1, &zero, NULL, ~0u));
	struct timespec soon;
	clock_gettime(CLOCK_MONOTONIC, &soon);
	soon.tv_nsec += 5 * 1000 * 1000;
	if (soon.tv_nsec >= 1000000000) {
		soon.tv_sec++;
		soon.tv_nsec -= 1000000000;
	}
	TRY("wait_bitset 5ms monotonic", fx(a, F_WAIT_BITSET | F_PRIVATE, 0, &soon, NULL, 1));
	clock_gettime(CLOCK_REALTIME, &soon);
	soon.tv_nsec += 5 * 1000 * 1000;
	if (soon.tv_nsec >= 1000000000) {
		soon.tv_sec++;
		soon.tv_nsec -= 1000000000;
	}
	TRY("wait_bitset 5ms realtime", fx(a, F_WAIT_BITSET | F_CLOCK_REALTIME, 0, &soon, NULL, 1));
	/* WAKE takes no timeout: the argument is a count and not read. */
	TRY("wake with bad 'timeout'", fx(a, F_WAKE | F_PRIVATE, 1, (void *)8, NULL, 0));
}

static void wait_wake(void) {
	*a = 5;
	TRY("wait mismatch", fx(a, F_WAIT | F_PRIVATE, 4, NULL, NULL, 0));
	TRY("wait shared mismatch", fx(a, F_WAIT, 4, NULL, NULL, 0));
	TRY("wait_bitset mismatch", fx(a, F_WAIT_BITSET | F_PRIVATE, 4, NULL, NULL, 1));
	TRY("wait_bitset 0", fx(a, F_WAIT_BITSET | F_PRIVATE, 5, NULL, NULL, 0));
	TRY("wake_bitset 0", fx(a, F_WAKE_BITSET | F_PRIVATE, 1, NULL, NULL, 0));
	TRY("wait unaligned", fx((char *)a + 1, F_WAIT | F_PRIVATE, 5, NULL, NULL, 0));
	TRY("wait unaligned by 2", fx((char *)a + 2, F_WAIT, 5, NULL, NULL, 0));
	TRY("wake unaligned", fx((char *)a + 2, F_WAKE | F_PRIVATE, 1, NULL, NULL, 0));
	TRY("wait EFAULT", fx((void *)8, F_WAIT | F_PRIVATE, 0, NULL, NULL, 0));
	TRY("wait shared EFAULT", fx((void *)8, F_WAIT, 0, NULL, NULL, 0));
	TRY("wait kernel address", fx((void *)0xffffffffff600000ul, F_WAIT | F_PRIVATE, 0, NULL, NULL, 0));
	/* A private wake needs no memory; a shared one must find the page. */
	TRY("wake private unmapped", fx((void *)8, F_WAKE | F_PRIVATE, 1, NULL, NULL, 0));
	TRY("wake shared unmapped", fx((void *)8, F_WAKE, 1, NULL, NULL, 0));
	TRY("wake no waiters", fx(a, F_WAKE | F_PRIVATE, 1, NULL, NULL, 0));
	TRY("wake shared no waiters", fx(a, F_WAKE, INT_MAX, NULL, NULL, 0));
	TRY("wake 0 no waiters", fx(a, F_WAKE, 0, NULL, NULL, 0));
	TRY("wake_bitset no waiters", fx(a, F_WAKE_BITSET | F_PRIVATE, 1, NULL, NULL, 0x10));
	TRY("fd op", fx(a, F_FD, 0, NULL, NULL, 0));
	TRY("op 14", fx(a, 14, 0, NULL, NULL, 0));
	TRY("op 99", fx(a, 99 | F_PRIVATE, 0, NULL, NULL, 0));
	TRY("op with high bit", fx(a, F_WAKE | 0x200, 1, NULL, NULL, 0));
	TRY("wake realtime", fx(a, F_WAKE | F_CLOCK_REALTIME, 1, NULL, NULL, 0));
	TRY("wake_bitset realtime", fx(a, F_WAKE_BITSET | F_CLOCK_REALTIME, 1, NULL, NULL, 1));
}

static void requeue(void) {
	*a = 3;
	TRY("requeue no waiters", fx(a, F_REQUEUE | F_PRIVATE, 1, (void *)1, b, 0));
	TRY("requeue negative wake", fx(a, F_REQUEUE | F_PRIVATE, -1, (void *)1, b, 0));
	TRY("requeue negative requeue", fx(a, F_REQUEUE | F_PRIVATE, 1, (void *)-1L, b, 0));
	TRY("cmp_requeue mismatch", fx(a, F_CMP_REQUEUE | F_PRIVATE, 1, (void *)1, b, 2));
	TRY("cmp_requeue match", fx(a, F_CMP_REQUEUE | F_PRIVATE, 1, (void *)1, b, 3));
	TRY("cmp_requeue EFAULT", fx((void *)8, F_CMP_REQUEUE | F_PRIVATE, 1, (void *)1, b, 3));
	TRY("cmp_requeue unaligned 2", fx(a, F_CMP_REQUEUE | F_PRIVATE, 1, (void *)1, (char *)b + 1, 3));
	TRY("cmp_requeue shared EFAULT 2", fx(a, F_CMP_REQUEUE, 1, (void *)1, (void *)8, 3));
}

static void wake_op(void) {
	struct {
		const char *name;
		uint32_t op;
	} ops[] = {
		{"set 7, eq 5", F_OP(0, 7, 0, 5)},
		{"add 3, ne 7", F_OP(1, 3, 1, 7)},
		{"or 0x30, lt 100", F_OP(2, 0x30, 2, 100)},
		{"andn 1, le 0", F_OP(3, 1, 3, 0)},
		{"xor 0xff, gt -1", F_OP(4, 0xff, 4, -1)},
		{"add -2, ge 0", F_OP(1, -2, 5, 0)},
		{"set 1<<4 (shift), eq 0", F_OP(8 | 0, 4, 0, 0)},
		{"or 1<<31 (shift)", F_OP(8 | 2, 31, 0, 0)},
		{"shift by 40", F_OP(8 | 0, 40, 0, 0)},
		{"unknown op 5", F_OP(5, 1, 0, 0)},
		{"unknown op 7", F_OP(7, 1, 0, 0)},
		{"unknown cmp 6", F_OP(0, 9, 6, 0)},
		{"unknown cmp 15", F_OP(1, 1, 15, 0)},
	};
	*b = 5;
	for (unsigned i = 0; i < sizeof ops / sizeof ops[0]; i++) {
		char name[64];
		snprintf(name, sizeof name, "wake_op %s", ops[i].name);
		TRY(name, fx(a, F_WAKE_OP | F_PRIVATE, 1, (void *)1, b, ops[i].op));
		printf("  second word now %#x\n", (unsigned)*b);
	}
	TRY("wake_op EFAULT 2", fx(a, F_WAKE_OP | F_PRIVATE, 1, (void *)1, (void *)8, F_OP(0, 1, 0, 0)));
	TRY("wake_op unaligned 2", fx(a, F_WAKE_OP | F_PRIVATE, 1, (void *)1, (char *)b + 2, F_OP(0, 1, 0, 0)));
	TRY("wake_op shared", fx(a, F_WAKE_OP, 1, (void *)1, b, F_OP(0, 0x42, 0, 0)));
	printf("  second word now %#x\n", (unsigned)*b);
	/* A read-only second word cannot be updated. */
	static const uint32_t ro = 1;
	TRY("wake_op read-only 2", fx(a, F_WAKE_OP | F_PRIVATE, 1, (void *)1, (void *)&ro, F_OP(0, 1, 0, 0)));
}

static void pi(void) {
	pid_t tid = syscall(SYS_gettid);
	*a = 0;
	TRY("trylock_pi free", fx(a, F_TRYLOCK_PI | F_PRIVATE, 0, NULL, NULL, 0));
	printf("  word is my tid: %d\n", *a == (uint32_t)tid);
	TRY("trylock_pi own", fx(a, F_TRYLOCK_PI | F_PRIVATE, 0, NULL, NULL, 0));
	TRY("lock_pi own", fx(a, F_LOCK_PI | F_PRIVATE, 0, NULL, NULL, 0));
	TRY("lock_pi2 own", fx(a, F_LOCK_PI2 | F_PRIVATE, 0, NULL, NULL, 0));
	TRY("unlock_pi", fx(a, F_UNLOCK_PI | F_PRIVATE, 0, NULL, NULL, 0));
	printf("  word %#x\n", (unsigned)*a);
	TRY("unlock_pi free", fx(a, F_UNLOCK_PI | F_PRIVATE, 0, NULL, NULL, 0));
	TRY("unlock_pi unaligned", fx((char *)a + 1, F_UNLOCK_PI | F_PRIVATE, 0, NULL, NULL, 0));
	TRY("unlock_pi EFAULT", fx((void *)8, F_UNLOCK_PI | F_PRIVATE, 0, NULL, NULL, 0));
	TRY("lock_pi EFAULT", fx((void *)8, F_LOCK_PI | F_PRIVATE, 0, NULL, NULL, 0));
	TRY("lock_pi unaligned", fx((char *)a + 2, F_LOCK_PI | F_PRIVATE, 0, NULL, NULL, 0));
	TRY("lock_pi realtime", fx(a, F_LOCK_PI | F_CLOCK_REALTIME, 0, NULL, NULL, 0));
	TRY("trylock_pi realtime", fx(a, F_TRYLOCK_PI | F_CLOCK_REALTIME, 0, NULL, NULL, 0));
	TRY("lock_pi2 realtime", fx(a, F_LOCK_PI2 | F_CLOCK_REALTIME | F_PRIVATE, 0, NULL, NULL, 0));
	printf("  word is my tid: %d\n", *a == (uint32_t)tid);
	TRY("unlock_pi shared", fx(a, F_UNLOCK_PI, 0, NULL, NULL, 0));
	*a = 0x3ffffffe; /* above any pid_max: nobody */
	TRY("trylock_pi dead owner", fx(a, F_TRYLOCK_PI | F_PRIVATE, 0, NULL, NULL, 0));
	printf("  word %#x\n", (unsigned)*a);
	TRY("lock_pi dead owner", fx(a, F_LOCK_PI | F_PRIVATE, 0, NULL, NULL, 0));
	*a = F_OWNER_DIED | F_WAITERS;
	TRY("lock_pi owner died", fx(a, F_LOCK_PI | F_PRIVATE, 0, NULL, NULL, 0));
	printf("  word is OWNER_DIED|tid: %d\n", *a == (F_OWNER_DIED | (uint32_t)tid));
	TRY("unlock_pi owner died", fx(a, F_UNLOCK_PI | F_PRIVATE, 0, NULL, NULL, 0));
	printf("  word %#x\n", (unsigned)*a);
	/* A timeout that has passed does not matter when the lock is free. */
	TRY("lock_pi past timeout", fx(a, F_LOCK_PI | F_PRIVATE, 0, &zero, NULL, 0));
	TRY("unlock_pi", fx(a, F_UNLOCK_PI | F_PRIVATE, 0, NULL, NULL, 0));
	/* Requeue-PI argument checks. */
	*a = 1;
	*b = 0;
	TRY("wait_requeue_pi same futex", fx(a, F_WAIT_REQUEUE_PI | F_PRIVATE, 1, NULL, a, 0));
	TRY("wait_requeue_pi mismatch", fx(a, F_WAIT_REQUEUE_PI | F_PRIVATE, 2, NULL, b, 0));
	TRY("wait_requeue_pi timeout", fx(a, F_WAIT_REQUEUE_PI | F_PRIVATE, 1, &zero, b, 0));
	TRY("cmp_requeue_pi nr_wake 2", fx(a, F_CMP_REQUEUE_PI | F_PRIVATE, 2, (void *)1, b, 1));
	TRY("cmp_requeue_pi same futex", fx(a, F_CMP_REQUEUE_PI | F_PRIVATE, 1, (void *)1, a, 1));
	TRY("cmp_requeue_pi mismatch", fx(a, F_CMP_REQUEUE_PI | F_PRIVATE, 1, (void *)1, b, 2));
	TRY("cmp_requeue_pi no waiters", fx(a, F_CMP_REQUEUE_PI | F_PRIVATE, 1, (void *)1, b, 1));
	printf("  pi word %#x\n", (unsigned)*b);
}

static void robust(void) {
	void *orig = NULL, *head = NULL;
	size_t len = 0;
	TRY("get_robust_list self", syscall(NR_get_robust_list, 0, &orig, &len));
	printf("  len %zu\n", len);
	struct {
		void *next;
		long offset;
		void *pending;
	} mine = {&mine, 0, NULL};
	TRY("set_robust_list bad len", syscall(NR_set_robust_list, &mine, sizeof mine - 1));
	TRY("set_robust_list", syscall(NR_set_robust_list, &mine, sizeof mine));
	TRY("get_robust_list", syscall(NR_get_robust_list, 0, &head, &len));
	printf("  head is mine: %d, len %zu\n", head == (void *)&mine, len);
	head = NULL;
	TRY("get_robust_list by tid", syscall(NR_get_robust_list, syscall(SYS_gettid), &head, &len));
	printf("  head is mine: %d\n", head == (void *)&mine);
	TRY("get_robust_list no such task", syscall(NR_get_robust_list, 0x3ffffffe, &head, &len));
	TRY("get_robust_list negative pid", syscall(NR_get_robust_list, -1, &head, &len));
	TRY("get_robust_list EFAULT head", syscall(NR_get_robust_list, 0, (void *)8, &len));
	TRY("get_robust_list EFAULT len", syscall(NR_get_robust_list, 0, &head, (void *)8));
	TRY("set_robust_list NULL", syscall(NR_set_robust_list, NULL, sizeof mine));
	TRY("get_robust_list after NULL", syscall(NR_get_robust_list, 0, &head, &len));
	printf("  head is NULL: %d\n", head == NULL);
	TRY("restore", syscall(NR_set_robust_list, orig, sizeof mine));
}

static void waitv(void) {
	struct waitv v[3];
	memset(v, 0, sizeof v);
	*a = 1;
	*b = 2;
	v[0] = (struct waitv){.val = 1, .uaddr = (uintptr_t)a, .flags = F2_SIZE_U32 | F2_PRIVATE};
	v[1] = (struct waitv){.val = 2, .uaddr = (uintptr_t)b, .flags = F2_SIZE_U32};
	struct timespec past = {0, 0};
	TRY("waitv past timeout", syscall(NR_futex_waitv, v, 2, 0, &past, CLOCK_MONOTONIC));
	TRY("waitv past realtime", syscall(NR_futex_waitv, v, 2, 0, &past, CLOCK_REALTIME));
	TRY("waitv bad clock", syscall(NR_futex_waitv, v, 2, 0, &past, CLOCK_BOOTTIME));
	TRY("waitv bad clock no timeout", syscall(NR_futex_waitv, v, 0, 0, NULL, CLOCK_BOOTTIME));
	TRY("waitv timeout EFAULT", syscall(NR_futex_waitv, v, 2, 0, (void *)8, CLOCK_MONOTONIC));
	v[1].val = 3;
	TRY("waitv mismatch", syscall(NR_futex_waitv, v, 2, 0, NULL, 0));
	v[1].val = 2;
	TRY("waitv 0 futexes", syscall(NR_futex_waitv, v, 0, 0, NULL, 0));
	TRY("waitv 129 futexes", syscall(NR_futex_waitv, v, 129, 0, NULL, 0));
	TRY("waitv flags", syscall(NR_futex_waitv, v, 2, 1, NULL, 0));
	TRY("waitv NULL", syscall(NR_futex_waitv, NULL, 2, 0, NULL, 0));
	TRY("waitv EFAULT", syscall(NR_futex_waitv, (void *)8, 2, 0, NULL, 0));
	v[1].flags = F2_SIZE_U8;
	TRY("waitv size u8", syscall(NR_futex_waitv, v, 2, 0, NULL, 0));
	v[1].flags = F2_SIZE_U32 | 0x40;
	TRY("waitv unknown flag", syscall(NR_futex_waitv, v, 2, 0, NULL, 0));
	v[1].flags = F2_SIZE_U32;
	v[1].reserved = 1;
	TRY("waitv reserved", syscall(NR_futex_waitv, v, 2, 0, NULL, 0));
	v[1].reserved = 0;
	v[1].val = 1ull << 32 | 2;
	TRY("waitv val > u32", syscall(NR_futex_waitv, v, 2, 0, NULL, 0));
	v[1].val = 2;
	v[1].uaddr = (uintptr_t)b + 2;
	TRY("waitv unaligned", syscall(NR_futex_waitv, v, 2, 0, NULL, 0));
	v[1].uaddr = 8;
	TRY("waitv entry EFAULT", syscall(NR_futex_waitv, v, 2, 0, NULL, 0));
	/* An invalid entry is found before a mismatched value. */
	v[0].val = 9;
	v[1].uaddr = (uintptr_t)b + 2;
	TRY("waitv mismatch then unaligned", syscall(NR_futex_waitv, v, 2, 0, NULL, 0));
	/* Entries past a short array are never read. */
	v[0].val = 9;
	TRY("waitv one mismatched", syscall(NR_futex_waitv, v, 1, 0, NULL, 0));
}

static void futex2(void) {
	struct timespec past = {0, 0};
	*a = 4;
	TRY("futex_wake none", syscall(NR_futex_wake, a, ~0ul >> 32, 1, F2_SIZE_U32 | F2_PRIVATE));
	TRY("futex_wake nr 0", syscall(NR_futex_wake, a, ~0ul >> 32, 0, F2_SIZE_U32));
	TRY("futex_wake mask 0", syscall(NR_futex_wake, a, 0, 1, F2_SIZE_U32));
	TRY("futex_wake mask > u32", syscall(NR_futex_wake, a, ~0ul, 1, F2_SIZE_U32));
	TRY("futex_wake size u8", syscall(NR_futex_wake, a, 1, 1, F2_SIZE_U8));
	TRY("futex_wake flags", syscall(NR_futex_wake, a, 1, 1, F2_SIZE_U32 | 0x100));
	TRY("futex_wake unaligned", syscall(NR_futex_wake, (char *)a + 2, 1, 1, F2_SIZE_U32));
	TRY("futex_wake nr 0 unaligned", syscall(NR_futex_wake, (char *)a + 2, 1, 0, F2_SIZE_U32));
	TRY("futex_wait mismatch", syscall(NR_futex_wait, a, 3, ~0ul >> 32, F2_SIZE_U32 | F2_PRIVATE, NULL, 0));
	TRY("futex_wait past", syscall(NR_futex_wait, a, 4, 1, F2_SIZE_U32 | F2_PRIVATE, &past, CLOCK_MONOTONIC));
	TRY("futex_wait past realtime", syscall(NR_futex_wait, a, 4, 1, F2_SIZE_U32, &past, CLOCK_REALTIME));
	TRY("futex_wait bad clock", syscall(NR_futex_wait, a, 4, 1, F2_SIZE_U32, &past, CLOCK_TAI));
	TRY("futex_wait mask 0", syscall(NR_futex_wait, a, 4, 0, F2_SIZE_U32, NULL, 0));
	TRY("futex_wait val > u32", syscall(NR_futex_wait, a, 1ul << 32, 1, F2_SIZE_U32, NULL, 0));
	TRY("futex_wait EFAULT", syscall(NR_futex_wait, (void *)8, 4, 1, F2_SIZE_U32, NULL, 0));
	struct waitv rq[2] = {
		{.val = 4, .uaddr = (uintptr_t)a, .flags = F2_SIZE_U32 | F2_PRIVATE},
		{.val = 0, .uaddr = (uintptr_t)b, .flags = F2_SIZE_U32 | F2_PRIVATE},
	};
	TRY("futex_requeue none", syscall(NR_futex_requeue, rq, 0, 1, 1));
	TRY("futex_requeue flags", syscall(NR_futex_requeue, rq, 1, 1, 1));
	TRY("futex_requeue NULL", syscall(NR_futex_requeue, NULL, 0, 1, 1));
	TRY("futex_requeue negative", syscall(NR_futex_requeue, rq, 0, -1, 1));
	rq[0].val = 5;
	TRY("futex_requeue mismatch", syscall(NR_futex_requeue, rq, 0, 1, 1));
	rq[0].flags = rq[1].flags = F2_SIZE_U32;
	TRY("futex_requeue shared mismatch", syscall(NR_futex_requeue, rq, 0, 1, 1));
	rq[0].val = 4;
	TRY("futex_requeue shared", syscall(NR_futex_requeue, rq, 0, 1, 1));
	rq[0].uaddr = 8;
	TRY("futex_requeue shared EFAULT", syscall(NR_futex_requeue, rq, 0, 1, 1));
	rq[0].flags = F2_SIZE_U32 | F2_PRIVATE;
	TRY("futex_requeue private and shared", syscall(NR_futex_requeue, rq, 0, 1, 1));
	rq[1].flags = 0;
	TRY("futex_requeue bad flags 2", syscall(NR_futex_requeue, rq, 0, 1, 1));
}

int main(void) {
	timeouts();
	wait_wake();
	requeue();
	wake_op();
	pi();
	robust();
	waitv();
	futex2();
	return 0;
}
