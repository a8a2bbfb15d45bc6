package bench

import (
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// clockC calls clock_gettime(CLOCK_MONOTONIC) (argv[1] "m"),
// gettimeofday ("g") or clock_gettime(CLOCK_REALTIME_COARSE) ("c")
// argv[2] times through the C library, and prints the nanoseconds it
// took.
const clockC = `
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>
int main(int argc, char **argv) {
	long n = atol(argv[2]);
	struct timespec t0, t1, ts;
	struct timeval tv;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	switch (argv[1][0]) {
	case 'm': for (long i = 0; i < n; i++) clock_gettime(CLOCK_MONOTONIC, &ts); break;
	case 'g': for (long i = 0; i < n; i++) gettimeofday(&tv, 0); break;
	case 'c': for (long i = 0; i < n; i++) clock_gettime(CLOCK_REALTIME_COARSE, &ts); break;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%ld\n", (t1.tv_sec - t0.tv_sec) * 1000000000L + (t1.tv_nsec - t0.tv_nsec));
	return 0;
}
`

// benchClock compares one time call on the host, under kite (through its
// vDSO) and under kite --vdso=false (a trapped system call each).
func benchClock(b *testing.B, kind string) {
	bin := buildProg(b, "clock", clockC)
	var host, kite, trapped float64
	b.Run("host", func(b *testing.B) {
		host = runTimed(b, false, bin, kind, fmt.Sprint(b.N)) / float64(b.N)
		b.ReportMetric(host, "ns/call")
	})
	b.Run("kite", func(b *testing.B) {
		kite = runTimed(b, true, bin, kind, fmt.Sprint(b.N)) / float64(b.N)
		b.ReportMetric(kite, "ns/call")
	})
	b.Run("kite-novdso", func(b *testing.B) {
		out, err := exec.Command(kiteBin, "run", "--vdso=false", "--", bin, kind, fmt.Sprint(b.N)).Output()
		if err != nil {
			b.Fatalf("kite --vdso=false: %v", err)
		}
		ns, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
		if err != nil {
			b.Fatalf("printed %q", out)
		}
		trapped = ns / float64(b.N)
		b.ReportMetric(trapped, "ns/call")
	})
	if host > 0 && kite > 0 {
		b.Logf("ns/call: host %.1f, kite %.1f (kite/host %.2f), kite --vdso=false %.1f (%.0fx the vDSO)", host, kite, kite/host, trapped, trapped/kite)
	}
}

// BenchmarkClockGettime is clock_gettime(CLOCK_MONOTONIC).
func BenchmarkClockGettime(b *testing.B) { benchClock(b, "m") }

// BenchmarkGettimeofday is gettimeofday.
func BenchmarkGettimeofday(b *testing.B) { benchClock(b, "g") }

// BenchmarkClockGettimeCoarse is clock_gettime(CLOCK_REALTIME_COARSE).
func BenchmarkClockGettimeCoarse(b *testing.B) { benchClock(b, "c") }
