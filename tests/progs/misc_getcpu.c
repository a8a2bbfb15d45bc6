/* getcpu reports a CPU of the thread's affinity mask: pinned to each
 * CPU in turn, the thread is reported there; the node is 0. */
#include "misc_common.h"
#include <sched.h>

int main(void) {
	setvbuf(stdout, NULL, _IONBF, 0);
	cpu_set_t all;
	CHECK("getaffinity", sched_getaffinity(0, sizeof all, &all));
	int n = CPU_COUNT(&all);
	for (int cpu = 0; cpu < CPU_SETSIZE && n > 0; cpu++) {
		if (!CPU_ISSET(cpu, &all)) continue;
		n--;
		cpu_set_t one;
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		CHECK("pin", sched_setaffinity(0, sizeof one, &one));
		unsigned c = 99, node = 99;
		CHECK("getcpu", syscall(SYS_getcpu, &c, &node, NULL));
		printf("pinned to %d: cpu %s, node %u\n", cpu, c == (unsigned)cpu ? "the same" : "another", node);
	}
	CHECK("restore", sched_setaffinity(0, sizeof all, &all));
	unsigned c = 99;
	CHECK("getcpu", syscall(SYS_getcpu, &c, NULL, NULL));
	printf("cpu in mask: %s\n", CPU_ISSET(c, &all) ? "yes" : "no");
	CHECK("getcpu cpu only", syscall(SYS_getcpu, &c, NULL, NULL));
	CHECK("getcpu bad cpu", syscall(SYS_getcpu, bad, NULL, NULL));
	CHECK("getcpu bad node", syscall(SYS_getcpu, NULL, bad, NULL));
	CHECK("sched_getcpu in mask", CPU_ISSET(sched_getcpu(), &all) != 0); /* CPU_ISSET gives the bit, not 1 */
	return 0;
}
