/* sysinfo: the fields' relations (free and shared within total,
 * mem_unit, procs at least 1) before and after touching memory; a bad
 * pointer. (How much free memory falls is not compared: on the host it
 * is the whole machine's, which other programs change.) */
#include "misc_common.h"
#include <sys/mman.h>
#include <sys/sysinfo.h>

int main(void) {
	setvbuf(stdout, NULL, _IONBF, 0);
	struct sysinfo a, b, c;
	CHECK("sysinfo", sysinfo(&a));
	printf("mem_unit %u, free <= total %d, shared <= total %d, procs >= 1 %d\n", a.mem_unit,
		a.freeram <= a.totalram, a.sharedram <= a.totalram, a.procs >= 1);
	size_t len = 64 << 20;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	for (size_t i = 0; i < len; i += 4096) p[i] = 1;
	sysinfo(&b);
	printf("after touching: free <= total %d\n", b.freeram <= b.totalram);
	munmap(p, len);
	sysinfo(&c);
	printf("after munmap: free <= total %d, total unchanged %d\n", c.freeram <= c.totalram, c.totalram == a.totalram);
	CHECK("bad pointer", sysinfo(bad));
	return 0;
}
