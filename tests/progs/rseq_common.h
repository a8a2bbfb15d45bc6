/* Helpers shared by the rseq_* differential tests: struct rseq and struct
 * rseq_cs as Linux's uapi header lays them out (Debian 12's headers lack
 * node_id and mm_cid), the raw system call, and the calling thread's
 * registered area: glibc's (2.35 and later register one for every
 * thread) or, without one, an area of the test's own. */
#include "misc_common.h"
#include <sched.h>
#include <signal.h>
#include <stddef.h>

struct trseq {
	uint32_t cpu_id_start;
	uint32_t cpu_id;
	uint64_t rseq_cs;
	uint32_t flags;
	uint32_t node_id;
	uint32_t mm_cid;
} __attribute__((aligned(32)));

struct trseq_cs {
	uint32_t version;
	uint32_t flags;
	uint64_t start_ip;
	uint64_t post_commit_offset;
	uint64_t abort_ip;
} __attribute__((aligned(32)));

/* RSIG is the signature glibc registers with on x86 (RSEQ_SIG); the
 * abort handlers below are preceded by it. */
#define RSIG 0x53053053u
#define RSEQ_UNREGISTER 1

static long sys_rseq(void *area, uint32_t len, int flags, uint32_t sig) {
	return syscall(SYS_rseq, area, len, flags, sig);
}

#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 35)
#include <sys/rseq.h>
#define HAVE_LIBC_RSEQ 1
/* libc_area is glibc's area for the calling thread, NULL if glibc did
 * not register one. */
__attribute__((unused)) static struct trseq *libc_area(void) {
	if (__rseq_size == 0) return NULL;
	return (struct trseq *)((char *)__builtin_thread_pointer() + __rseq_offset);
}
#else
#define HAVE_LIBC_RSEQ 0
__attribute__((unused)) static struct trseq *libc_area(void) { return NULL; }
#endif

static __thread struct trseq own_area;

/* thread_area returns the calling thread's registered area: glibc's, or
 * its own registered now; NULL (with errno) if neither works. */
__attribute__((unused)) static struct trseq *thread_area(void) {
	struct trseq *a = libc_area();
	if (a) return a;
	if (sys_rseq(&own_area, sizeof own_area, 0, RSIG) < 0 && errno != EBUSY) return NULL;
	return &own_area;
}

/* area_len is the length thread_area's area was registered with:
 * glibc's is found by asking (only the registered length unregisters
 * or gives EBUSY). */
__attribute__((unused)) static uint32_t area_len(struct trseq *a) {
	for (uint32_t len = 32; len <= 1024; len++)
		if (sys_rseq(a, len, 0, RSIG) < 0 && errno == EBUSY) return len;
	return 0;
}

/* pin_first pins the calling thread to the first CPU of its mask and
 * returns it. */
__attribute__((unused)) static int pin_first(void) {
	cpu_set_t all, one;
	if (sched_getaffinity(0, sizeof all, &all) < 0) return -1;
	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		if (!CPU_ISSET(cpu, &all)) continue;
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		if (sched_setaffinity(0, sizeof one, &one) < 0) return -1;
		return cpu;
	}
	return -1;
}
