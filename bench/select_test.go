package bench

import (
	"fmt"
	"testing"
)

// selectC calls select over 100 idle pipes and one readable pipe,
// argv[1] times, and prints the nanoseconds it took.
const selectC = `
#include <stdio.h>
#include <stdlib.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>
int main(int argc, char **argv) {
	long n = atol(argv[1]);
	int fds[101], maxfd = 0;
	for (int i = 0; i < 101; i++) {
		int p[2];
		if (pipe(p) < 0) return 1;
		fds[i] = p[0];
		if (p[0] > maxfd) maxfd = p[0];
		if (i == 100) write(p[1], "x", 1);
	}
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < n; i++) {
		fd_set r;
		FD_ZERO(&r);
		for (int j = 0; j < 101; j++) FD_SET(fds[j], &r);
		struct timeval tv = {1, 0};
		if (select(maxfd + 1, &r, 0, 0, &tv) != 1 || !FD_ISSET(fds[100], &r)) return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%ld\n", (t1.tv_sec - t0.tv_sec) * 1000000000L + (t1.tv_nsec - t0.tv_nsec));
	return 0;
}
`

// BenchmarkSelect101 is one select(2) over 100 idle fds and one ready.
func BenchmarkSelect101(b *testing.B) {
	bin := buildProg(b, "select", selectC)
	compareHostKite(b, "ns/select", func(b *testing.B, underKite bool) float64 {
		ns := runTimed(b, underKite, bin, fmt.Sprint(b.N))
		per := ns / float64(b.N)
		b.ReportMetric(per, "ns/select")
		return per
	})
}
