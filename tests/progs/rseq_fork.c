/* rseq(2) across fork, vfork and execve: a forked child keeps its
 * parent's registration (same area, length and signature: EBUSY) and
 * the kernel keeps its copy of the area current; a vfork child, sharing
 * the address space, starts without one (and its unregistration's
 * writes to the shared area are undone when the parent wakes); execve drops it, so the new
 * image can register (glibc does at start-up: __rseq_size is set). */
#include "rseq_common.h"

static volatile long vfork_result = 1234, vfork_errno;

int main(int argc, char **argv) {
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc > 1 && strcmp(argv[1], "exec") == 0) {
		if (HAVE_LIBC_RSEQ) {
			printf("exec: libc registered: %s\n", libc_area() ? "yes" : "no");
			return 0;
		}
		static struct trseq fresh;
		CHECK("exec: register", sys_rseq(&fresh, 32, 0, RSIG));
		return 0;
	}
	struct trseq *a = thread_area();
	if (!a) { printf("no rseq area: %s\n", errname(errno)); return 1; }
	uint32_t len = area_len(a);
	printf("registered length found: %s\n", len >= 32 ? "yes" : "no");
	int cpu = pin_first();
	printf("pinned: %s\n", cpu >= 0 ? "yes" : "no");

	pid_t pid = fork();
	if (pid == 0) {
		CHECK("child: register the same", sys_rseq(a, len, 0, RSIG));
		CHECK("child: other signature", sys_rseq(a, len, 0, RSIG + 1));
		printf("child: cpu_id %s\n", a->cpu_id == (uint32_t)cpu ? "the pinned CPU" : "another");
		CHECK("child: unregister", sys_rseq(a, len, RSEQ_UNREGISTER, RSIG));
		printf("child: cpu_id after %d\n", (int)a->cpu_id);
		_exit(0);
	}
	waitchild("fork child", pid);
	printf("parent: cpu_id %s\n", a->cpu_id == (uint32_t)cpu ? "the pinned CPU" : "another");
	CHECK("parent: still registered", sys_rseq(a, len, 0, RSIG));

	/* The vfork child registers the (shared) area itself and
	 * unregisters it; the parent's registration is untouched. */
	pid = vfork();
	if (pid == 0) {
		vfork_result = syscall(SYS_rseq, a, len, 0, RSIG);
		vfork_errno = vfork_result < 0 ? errno : 0;
		if (vfork_result == 0) syscall(SYS_rseq, a, len, RSEQ_UNREGISTER, RSIG);
		_exit(0);
	}
	waitchild("vfork child", pid);
	printf("vfork child registered: %ld %s\n", vfork_result, errname(vfork_errno));
	CHECK("parent after vfork: still registered", sys_rseq(a, len, 0, RSIG));
	/* The child's unregistration wrote cpu_id -1 into the shared area;
	 * the parent slept meanwhile, and the kernel rewrote it before the
	 * parent ran again. */
	printf("parent after vfork: cpu_id %s\n", a->cpu_id == (uint32_t)cpu ? "the pinned CPU" : "another");

	pid = fork();
	if (pid == 0) {
		execl("/proc/self/exe", argv[0], "exec", (char *)NULL);
		printf("execl failed: %s\n", errname(errno));
		_exit(1);
	}
	waitchild("exec child", pid);
	return 0;
}
