/* The C library's rseq registration: the kernel announces rseq in the
 * aux vector (AT_RSEQ_FEATURE_SIZE, AT_RSEQ_ALIGN), glibc (2.35 and
 * later) registers an area in every thread's TCB at start-up and says so
 * in __rseq_size, __rseq_offset and __rseq_flags; the kernel holds that
 * registration (EBUSY) and keeps the area's cpu_id current. musl
 * registers none. */
#include "rseq_common.h"
#include <pthread.h>
#include <sys/auxv.h>

#ifndef AT_RSEQ_FEATURE_SIZE
#define AT_RSEQ_FEATURE_SIZE 27
#define AT_RSEQ_ALIGN 28
#endif

static void show(const char *who) {
	struct trseq *a = libc_area();
	if (!a) { printf("%s: libc registered no area\n", who); return; }
	printf("%s: area 32-byte aligned: %s\n", who, ((uintptr_t)a & 31) == 0 ? "yes" : "no");
	CHECK("  registered with the kernel (EBUSY)", sys_rseq(a, 32, 0, RSIG));
	printf("%s: cpu_id is sched_getcpu(): %s\n", who, (int)a->cpu_id == sched_getcpu() ? "yes" : "no");
}

static void *thread_main(void *arg) {
	(void)arg;
	pin_first();
	show("thread");
	return NULL;
}

int main(void) {
	setvbuf(stdout, NULL, _IONBF, 0);
	printf("AT_RSEQ_FEATURE_SIZE %lu, AT_RSEQ_ALIGN %lu\n", getauxval(AT_RSEQ_FEATURE_SIZE), getauxval(AT_RSEQ_ALIGN));
#if HAVE_LIBC_RSEQ
	printf("__rseq_size %u, __rseq_flags %u, __rseq_offset nonzero: %s\n", __rseq_size, __rseq_flags,
		__rseq_offset != 0 ? "yes" : "no");
#else
	printf("no libc rseq symbols\n");
#endif
	pin_first();
	show("main");
	pthread_t th;
	if (pthread_create(&th, NULL, thread_main, NULL) != 0) { printf("pthread_create failed\n"); return 1; }
	pthread_join(th, NULL);
	return 0;
}
