/* getrusage beyond CPU times: ru_maxrss grows with memory touched,
 * minor faults count pages first touched, voluntary context switches
 * count sleeps; RUSAGE_THREAD and RUSAGE_CHILDREN (a reaped child's
 * peak and faults); the errors. Only relations are printed: the
 * numbers themselves differ between kernels. */
#include "misc_common.h"
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>

int main(void) {
	setvbuf(stdout, NULL, _IONBF, 0);
	struct rusage a, b;
	CHECK("getrusage self", getrusage(RUSAGE_SELF, &a));
	size_t len = 32 << 20;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	for (size_t i = 0; i < len; i += 4096) p[i] = 1;
	CHECK("getrusage after touching 32 MiB", getrusage(RUSAGE_SELF, &b));
	/* (Not the growth: Linux's count starts from the peak of the
	 * address space exec replaced. Nor 32 MiB: the host may reclaim
	 * touched pages before its high-water mark is next updated, and
	 * then reports less.) */
	printf("maxrss at least 1 MiB: %s\n", b.ru_maxrss >= 1024 ? "yes" : "no");
	printf("maxrss below 1 GiB: %s\n", b.ru_maxrss < 1024 * 1024 ? "yes" : "no");
	printf("minor faults grew: %s\n", b.ru_minflt > a.ru_minflt ? "yes" : "no");
	munmap(p, len);
	struct rusage c;
	getrusage(RUSAGE_SELF, &c);
	printf("maxrss kept after munmap: %s\n", c.ru_maxrss >= b.ru_maxrss ? "yes" : "no");

	struct timespec ts = {0, 1000000};
	for (int i = 0; i < 5; i++) nanosleep(&ts, NULL);
	struct rusage d;
	getrusage(RUSAGE_SELF, &d);
	printf("voluntary switches grew by 5 or more: %s\n", d.ru_nvcsw - c.ru_nvcsw >= 5 ? "yes" : "no");
	struct rusage th;
	CHECK("getrusage thread", getrusage(RUSAGE_THREAD, &th));
	printf("thread faults at most the process's: %s\n", th.ru_minflt <= d.ru_minflt ? "yes" : "no");

	struct rusage ch0, ch1;
	getrusage(RUSAGE_CHILDREN, &ch0);
	printf("no children yet: maxrss %ld minflt %ld\n", ch0.ru_maxrss, ch0.ru_minflt);
	pid_t pid = fork();
	if (pid == 0) {
		size_t n = 48 << 20;
		char *q = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		for (size_t i = 0; i < n; i += 4096) q[i] = 1;
		_exit(0);
	}
	waitchild("child", pid);
	getrusage(RUSAGE_CHILDREN, &ch1);
	printf("children maxrss at least 40 MiB: %s\n", ch1.ru_maxrss >= 40 * 1024 ? "yes" : "no");
	printf("children faults counted: %s\n", ch1.ru_minflt > 40 * 1024 / 4 / 16 ? "yes" : "no");
	CHECK("bad who", getrusage(5, &a));
	CHECK("bad pointer", getrusage(RUSAGE_SELF, bad));
	return 0;
}
