/* rseq(2) registration: Linux's checks of length, alignment, flags and
 * signature in their order (EINVAL, EPERM, EBUSY, EFAULT), the CPU
 * numbers written at registration and reset at unregistration, the
 * lengths Linux accepts (32, or at least the feature size aligned to 32),
 * a stale rseq_cs cleared at registration (which reads the area: EFAULT
 * when it is unmapped), and a read-only area, whose registration succeeds
 * and kills with SIGSEGV when the kernel first writes it. glibc's own
 * registration of the main thread is removed first. */
#include "rseq_common.h"
#include <sys/mman.h>

static char buf[256] __attribute__((aligned(64)));

int main(void) {
	setvbuf(stdout, NULL, _IONBF, 0);
	struct trseq *lib = libc_area();
	printf("libc registered: %s\n", lib ? "yes" : "no");
	if (lib) {
		uint32_t len = area_len(lib);
		printf("libc length found: %s\n", len >= 32 ? "yes" : "no");
		CHECK("unregister libc's, wrong signature", sys_rseq(lib, len, RSEQ_UNREGISTER, RSIG + 1));
		CHECK("unregister libc's", sys_rseq(lib, len, RSEQ_UNREGISTER, RSIG));
		printf("libc's cpu_id after: %d\n", (int)lib->cpu_id);
	}
	struct trseq *a = (struct trseq *)buf;
	CHECK("unregister unregistered", sys_rseq(a, 32, RSEQ_UNREGISTER, RSIG));
	CHECK("misaligned 8", sys_rseq(buf + 8, 32, 0, RSIG));
	CHECK("misaligned 16, len 64", sys_rseq(buf + 16, 64, 0, RSIG));
	CHECK("len 0", sys_rseq(a, 0, 0, RSIG));
	CHECK("len 20", sys_rseq(a, 20, 0, RSIG));
	CHECK("len 28", sys_rseq(a, 28, 0, RSIG));
	CHECK("len 31", sys_rseq(a, 31, 0, RSIG));
	CHECK("flags 2", sys_rseq(a, 32, 2, RSIG));
	CHECK("flags -1", sys_rseq(a, 32, -1, RSIG));
	CHECK("kernel address", sys_rseq((void *)0xffff800000000000UL, 32, 0, RSIG));
	CHECK("NULL", sys_rseq(NULL, 32, 0, RSIG));

	memset(buf, 0x5a, sizeof buf);
	CHECK("register", sys_rseq(a, 32, 0, RSIG));
	unsigned cpu = 99, node = 99;
	syscall(SYS_getcpu, &cpu, &node, NULL);
	printf("cpu_id set: %s\n", a->cpu_id == a->cpu_id_start && (int)a->cpu_id >= 0 ? "yes" : "no");
	printf("node_id is getcpu's: %s\n", a->node_id == node ? "yes" : "no");
	printf("mm_cid below the CPU count: %s\n", a->mm_cid < (unsigned)sysconf(_SC_NPROCESSORS_CONF) ? "yes" : "no");
	printf("stale rseq_cs cleared: %s\n", a->rseq_cs == 0 ? "yes" : "no");
	printf("flags untouched: %s\n", a->flags == 0x5a5a5a5a ? "yes" : "no");
	a->rseq_cs = 0;
	a->flags = 0;
	CHECK("again", sys_rseq(a, 32, 0, RSIG));
	CHECK("again, other signature", sys_rseq(a, 32, 0, RSIG + 1));
	CHECK("again, other length", sys_rseq(a, 64, 0, RSIG));
	CHECK("again, other length and signature", sys_rseq(a, 64, 0, RSIG + 1));
	CHECK("again, other address", sys_rseq(buf + 32, 32, 0, RSIG));
	CHECK("again, misaligned", sys_rseq(buf + 8, 32, 0, RSIG));
	CHECK("unregister, other address", sys_rseq(buf + 32, 32, RSEQ_UNREGISTER, RSIG));
	CHECK("unregister, other length", sys_rseq(a, 64, RSEQ_UNREGISTER, RSIG));
	CHECK("unregister, other signature", sys_rseq(a, 32, RSEQ_UNREGISTER, RSIG + 1));
	CHECK("unregister, more flags", sys_rseq(a, 32, RSEQ_UNREGISTER | 2, RSIG));
	CHECK("unregister", sys_rseq(a, 32, RSEQ_UNREGISTER, RSIG));
	printf("after: cpu_id_start %u cpu_id %d node_id %u mm_cid %u\n",
		a->cpu_id_start, (int)a->cpu_id, a->node_id, a->mm_cid);
	CHECK("unregister again", sys_rseq(a, 32, RSEQ_UNREGISTER, RSIG));

	static const uint32_t lens[] = {33, 64, 100, 256};
	for (unsigned i = 0; i < sizeof lens / sizeof lens[0]; i++) {
		char label[64];
		snprintf(label, sizeof label, "register len %u", lens[i]);
		CHECK(label, sys_rseq(a, lens[i], 0, RSIG));
		snprintf(label, sizeof label, "unregister len %u", lens[i]);
		CHECK(label, sys_rseq(a, lens[i], RSEQ_UNREGISTER, RSIG));
	}
	CHECK("register at offset 32, len 64", sys_rseq(buf + 32, 64, 0, RSIG));
	CHECK("unregister it", sys_rseq(buf + 32, 64, RSEQ_UNREGISTER, RSIG));

	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) { printf("mmap failed\n"); return 1; }
	munmap(p, 4096);
	CHECK("unmapped area", sys_rseq(p, 32, 0, RSIG));
	/* An area the kernel cannot write: the registration succeeds and
	 * the thread gets SIGSEGV before it runs again. */
	p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) { printf("mmap failed\n"); return 1; }
	pid_t pid = fork();
	if (pid == 0) {
		long r = sys_rseq(p, 32, 0, RSIG);
		printf("child survived the read-only registration: %ld\n", r);
		_exit(0);
	}
	waitchild("read-only area", pid);
	return 0;
}
