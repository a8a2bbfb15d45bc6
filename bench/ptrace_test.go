package bench

import (
	"fmt"
	"os"
	"testing"
)

// tracedC makes argv[1] getppid calls and prints the nanoseconds they
// took, so that strace's and kite's start-up are not counted.
const tracedC = `
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
int main(int argc, char **argv) {
	long n = atol(argv[1]);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < n; i++)
		syscall(SYS_getppid);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%ld\n", (t1.tv_sec - t0.tv_sec) * 1000000000L + (t1.tv_nsec - t0.tv_nsec));
	return 0;
}
`

// BenchmarkStraceSyscall is the cost of one system call traced by
// strace -f (writing to /dev/null): on the host, two ptrace stops and
// strace's requests at each; under kite, the same done by kite's own
// ptrace between two programs it runs.
func BenchmarkStraceSyscall(b *testing.B) {
	if _, err := os.Stat("/usr/bin/strace"); err != nil {
		b.Skip("strace is not installed")
	}
	bin := buildProg(b, "traced", tracedC)
	compareHostKite(b, "ns/call", func(b *testing.B, underKite bool) float64 {
		ns := runTimed(b, underKite, "/usr/bin/strace", "-f", "-o", "/dev/null", bin, fmt.Sprint(b.N))
		per := ns / float64(b.N)
		b.ReportMetric(per, "ns/call")
		return per
	})
}
