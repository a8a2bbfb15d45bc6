/* Shared helpers of the futex_*.c tests: raw futex calls and errno names.
 * The constants are spelled out because musl's headers lack linux/futex.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sched.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define F_WAIT 0
#define F_WAKE 1
#define F_FD 2
#define F_REQUEUE 3
#define F_CMP_REQUEUE 4
#define F_WAKE_OP 5
#define F_LOCK_PI 6
#define F_UNLOCK_PI 7
#define F_TRYLOCK_PI 8
#define F_WAIT_BITSET 9
#define F_WAKE_BITSET 10
#define F_WAIT_REQUEUE_PI 11
#define F_CMP_REQUEUE_PI 12
#define F_LOCK_PI2 13
#define F_PRIVATE 128
#define F_CLOCK_REALTIME 256

#define F_WAITERS 0x80000000u
#define F_OWNER_DIED 0x40000000u

#define F_OP(op, oparg, cmp, cmparg) \
	((((op) & 0xf) << 28) | (((cmp) & 0xf) << 24) | (((oparg) & 0xfff) << 12) | ((cmparg) & 0xfff))

#define NR_get_robust_list 274
#define NR_set_robust_list 273
#define NR_futex_waitv 449
#define NR_futex_wake 454
#define NR_futex_wait 455
#define NR_futex_requeue 456

#define F2_SIZE_U8 0x00
#define F2_SIZE_U32 0x02
#define F2_PRIVATE 128

struct waitv {
	uint64_t val;
	uint64_t uaddr;
	uint32_t flags;
	uint32_t reserved;
};

__attribute__((unused)) static long fx(volatile void *uaddr, int op, uint32_t val, const void *timeout_or_val2, volatile void *uaddr2,
	       uint32_t val3) {
	return syscall(SYS_futex, uaddr, op, val, timeout_or_val2, uaddr2, val3);
}

__attribute__((unused)) static const char *en(int e) {
	switch (e) {
	case 0: return "OK";
	case EAGAIN: return "EAGAIN";
	case EINVAL: return "EINVAL";
	case EFAULT: return "EFAULT";
	case ENOSYS: return "ENOSYS";
	case ETIMEDOUT: return "ETIMEDOUT";
	case EINTR: return "EINTR";
	case EPERM: return "EPERM";
	case ESRCH: return "ESRCH";
	case EDEADLK: return "EDEADLK";
	case EOWNERDEAD: return "EOWNERDEAD";
	case ENOTRECOVERABLE: return "ENOTRECOVERABLE";
	case EBUSY: return "EBUSY";
	}
	static char buf[32];
	snprintf(buf, sizeof buf, "errno%d", e);
	return buf;
}

/* TRY prints a call's result: its value when it succeeds, the errno name
 * when it fails. */
#define TRY(name, expr)                                                                          \
	do {                                                                                     \
		errno = 0;                                                                       \
		long r_ = (long)(expr);                                                          \
		if (r_ < 0)                                                                      \
			printf("%s = -1 %s\n", name, en(errno));                                \
		else                                                                             \
			printf("%s = %ld\n", name, r_);                                          \
		fflush(stdout);                                                                  \
	} while (0)

/* waiters returns the number of tasks blocked on the futex: requeueing a
 * futex to itself moves nobody and counts them. */
__attribute__((unused)) static long waiters(volatile uint32_t *w, int private) {
	return fx(w, F_REQUEUE | (private ? F_PRIVATE : 0), 0, (void *)(long)INT_MAX, w, 0);
}

/* wait_for_waiters spins (yielding) until n tasks block on w. */
__attribute__((unused)) static void wait_for_waiters(volatile uint32_t *w, int private, long n) {
	while (waiters(w, private) != n)
		sched_yield();
}
