/* rseq(2)'s CPU numbers: pinned to each CPU of its mask in turn, a
 * thread's cpu_id and cpu_id_start name that CPU, as getcpu(2) and
 * sched_getcpu() do (glibc reads sched_getcpu from the area when it
 * registered one); the same in a second thread with its own area; and
 * after another thread moves a sleeping thread to a CPU, the area says
 * so once it wakes. */
#include "rseq_common.h"
#include <pthread.h>

static unsigned ncpu;

static void check_pinned(const char *who) {
	struct trseq *a = thread_area();
	if (!a) { printf("%s: no rseq area: %s\n", who, errname(errno)); return; }
	cpu_set_t all;
	if (sched_getaffinity(0, sizeof all, &all) < 0) { printf("getaffinity failed\n"); return; }
	int n = CPU_COUNT(&all);
	for (int cpu = 0; cpu < CPU_SETSIZE && n > 0; cpu++) {
		if (!CPU_ISSET(cpu, &all)) continue;
		n--;
		cpu_set_t one;
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		if (sched_setaffinity(0, sizeof one, &one) < 0) { printf("pin failed\n"); return; }
		uint32_t id = a->cpu_id, start = a->cpu_id_start;
		unsigned c = 99;
		syscall(SYS_getcpu, &c, NULL, NULL);
		int s = sched_getcpu();
		printf("%s pinned to %d: cpu_id %s, cpu_id_start %s, getcpu %s, sched_getcpu %s, mm_cid below the CPU count %s\n",
			who, cpu, id == (uint32_t)cpu ? "the same" : "another",
			start == (uint32_t)cpu ? "the same" : "another",
			c == (unsigned)cpu ? "the same" : "another", s == cpu ? "the same" : "another",
			a->mm_cid < ncpu ? "yes" : "no");
	}
	if (sched_setaffinity(0, sizeof all, &all) < 0) { printf("restore failed\n"); return; }
	printf("%s unpinned: cpu_id in the mask %s\n", who, CPU_ISSET(a->cpu_id, &all) ? "yes" : "no");
}

static void *thread_main(void *arg) {
	(void)arg;
	check_pinned("thread");
	return NULL;
}

static int go[2], done[2];
static volatile long moved_tid;

/* moved waits for the main thread to move it to another CPU. */
static void *moved(void *arg) {
	(void)arg;
	struct trseq *a = thread_area();
	moved_tid = syscall(SYS_gettid);
	int cpu = -1;
	if (write(done[1], "r", 1) != 1) return NULL;
	if (read(go[0], &cpu, sizeof cpu) != sizeof cpu) return NULL;
	printf("moved while asleep: cpu_id %s, sched_getcpu %s\n",
		a && a->cpu_id == (uint32_t)cpu ? "the new CPU" : "another",
		sched_getcpu() == cpu ? "the new CPU" : "another");
	return NULL;
}

int main(void) {
	setvbuf(stdout, NULL, _IONBF, 0);
	ncpu = (unsigned)sysconf(_SC_NPROCESSORS_CONF);
	check_pinned("main");
	pthread_t th;
	if (pthread_create(&th, NULL, thread_main, NULL) != 0) { printf("pthread_create failed\n"); return 1; }
	pthread_join(th, NULL);

	/* Move a thread blocked in read to the last CPU of the mask (the
	 * first one where there is only one). */
	if (pipe(go) < 0 || pipe(done) < 0) { printf("pipe failed\n"); return 1; }
	cpu_set_t all, one;
	sched_getaffinity(0, sizeof all, &all);
	int last = -1;
	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, &all)) last = cpu;
	/* The thread starts on the first CPU. */
	cpu_set_t first;
	CPU_ZERO(&first);
	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, &all)) { CPU_SET(cpu, &first); break; }
	sched_setaffinity(0, sizeof first, &first);
	if (pthread_create(&th, NULL, moved, NULL) != 0) { printf("pthread_create failed\n"); return 1; }
	sched_setaffinity(0, sizeof all, &all);
	char c;
	if (read(done[0], &c, 1) != 1) { printf("handshake failed\n"); return 1; }
	CPU_ZERO(&one);
	CPU_SET(last, &one);
	if (sched_setaffinity(moved_tid, sizeof one, &one) < 0) { printf("move failed\n"); return 1; }
	if (write(go[1], &last, sizeof last) != sizeof last) { printf("handshake failed\n"); return 1; }
	pthread_join(th, NULL);
	return 0;
}
