/* PTRACE_GET_RSEQ_CONFIGURATION: a tracer reads a stopped tracee's rseq
 * registration (the area's address, its length, the signature, flags 0)
 * as struct ptrace_rseq_configuration; the return value is the
 * structure's size whatever the size asked, and only the bytes asked
 * are written. A tracee without a registration shows zeros. */
#include "rseq_common.h"
#include <sys/ptrace.h>

#ifndef PTRACE_GET_RSEQ_CONFIGURATION
#define PTRACE_GET_RSEQ_CONFIGURATION 0x420f
#endif

struct conf {
	uint64_t rseq_abi_pointer;
	uint32_t rseq_abi_size;
	uint32_t signature;
	uint32_t flags;
	uint32_t pad;
};

static void show(pid_t pid, struct trseq *mine, uint32_t len) {
	struct conf c;
	memset(&c, 0xee, sizeof c);
	CHECK("get configuration", ptrace(PTRACE_GET_RSEQ_CONFIGURATION, pid, (void *)sizeof c, &c));
	printf("  pointer %s, size %s, signature %#x, flags %u, pad %#x\n",
		c.rseq_abi_pointer == (uint64_t)(uintptr_t)mine ? "the area" : c.rseq_abi_pointer == 0 ? "0" : "another",
		c.rseq_abi_size == len ? "the length" : c.rseq_abi_size == 0 ? "0" : "another",
		c.signature, c.flags, c.pad);
	memset(&c, 0xee, sizeof c);
	CHECK("get 8 bytes", ptrace(PTRACE_GET_RSEQ_CONFIGURATION, pid, (void *)8, &c));
	printf("  size untouched: %s\n", c.rseq_abi_size == 0xeeeeeeee ? "yes" : "no");
	CHECK("get to a bad address", ptrace(PTRACE_GET_RSEQ_CONFIGURATION, pid, (void *)sizeof c, bad));
}

int main(void) {
	setvbuf(stdout, NULL, _IONBF, 0);
	struct trseq *a = thread_area();
	if (!a) { printf("no rseq area: %s\n", errname(errno)); return 1; }
	uint32_t len = area_len(a);
	for (int unregister = 0; unregister < 2; unregister++) {
		pid_t pid = fork();
		if (pid == 0) {
			if (unregister) sys_rseq(a, len, RSEQ_UNREGISTER, RSIG);
			ptrace(PTRACE_TRACEME, 0, NULL, NULL);
			raise(SIGSTOP);
			_exit(0);
		}
		int st;
		if (waitpid(pid, &st, 0) != pid || !WIFSTOPPED(st)) { printf("no stop\n"); return 1; }
		printf("%s tracee:\n", unregister ? "unregistered" : "registered");
		show(pid, a, len);
		ptrace(PTRACE_CONT, pid, NULL, NULL);
		waitchild("tracee", pid);
	}
	return 0;
}
