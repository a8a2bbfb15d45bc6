package bench

import (
	"fmt"
	"testing"
)

// mmC times one kind of single-page memory-management cycle, N times, and
// prints the nanoseconds per cycle:
//
//	map:      mmap one anonymous page, munmap it (never touched)
//	touch:    mmap one page, write it, munmap it (a fault and its frame)
//	protect:  mprotect a resident page read-only, then read-write again
//	unmap:    unmap a resident 64 MiB region page by page, in a scattered
//	          order (N is ignored: 16,384 pages; stress-ng's mmap stressor
//	          does this with 256 MiB)
const mmC = `
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
static double now(void) {
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}
int main(int argc, char **argv) {
	long n = atol(argv[2]);
	const long ps = 4096;
	char *q = mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	q[0] = 1;
	double t0 = now();
	switch (argv[1][0]) {
	case 'm':
		for (long i = 0; i < n; i++) {
			char *p = mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (p == MAP_FAILED || munmap(p, ps)) { perror("mmap/munmap"); return 1; }
		}
		break;
	case 't':
		for (long i = 0; i < n; i++) {
			char *p = mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (p == MAP_FAILED) { perror("mmap"); return 1; }
			p[0] = 1;
			if (munmap(p, ps)) { perror("munmap"); return 1; }
		}
		break;
	case 'p':
		for (long i = 0; i < n; i++) {
			if (mprotect(q, ps, PROT_READ) || mprotect(q, ps, PROT_READ | PROT_WRITE)) { perror("mprotect"); return 1; }
			q[0]++;
		}
		break;
	case 'u': {
		n = 16384;
		char *big = mmap(NULL, n * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		if (big == MAP_FAILED) { perror("mmap"); return 1; }
		memset(big, 1, n * ps);
		t0 = now();
		for (long i = 0; i < n; i++)
			if (munmap(big + (i * 7919 % n) * ps, ps)) { perror("munmap"); return 1; }
		break;
	}
	}
	printf("%.0f\n", (now() - t0) / n);
	return 0;
}
`

// BenchmarkMMapCycles times single-page mmap/munmap/mprotect cycles (see
// mmC) natively and under kite, and logs the ratio: each system call is a
// round trip to the ptrace stub, and each change to what the stub maps
// one more (an injected mmap or munmap).
func BenchmarkMMapCycles(b *testing.B) {
	bin := buildProg(b, "mmcycles", mmC)
	for _, c := range []struct{ name, kind string }{
		{"map-unmap", "m"}, {"touch", "t"}, {"mprotect", "p"}, {"unmap-pages", "u"},
	} {
		b.Run(c.name, func(b *testing.B) {
			compareHostKite(b, "ns/cycle", func(b *testing.B, underKite bool) float64 {
				ns := runTimed(b, underKite, bin, c.kind, fmt.Sprint(max(b.N, 1000)))
				b.ReportMetric(ns, "ns/cycle")
				return ns
			})
		})
	}
}
