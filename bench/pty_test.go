package bench

import (
	"fmt"
	"testing"
)

// ptyC moves argv[1] bytes through a pseudo-terminal: a child writes
// them to the slave (raw mode, so every byte passes unchanged) in 64 KiB
// writes, as cat of a file to the terminal would, and the parent reads
// them from the master; it prints the nanoseconds it took.
const ptyC = `
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
static char buf[65536];
int main(int argc, char **argv) {
	long total = atol(argv[1]);
	int m = posix_openpt(O_RDWR | O_NOCTTY);
	if (m < 0 || grantpt(m) < 0 || unlockpt(m) < 0) return 1;
	int s = open(ptsname(m), O_RDWR | O_NOCTTY);
	if (s < 0) return 1;
	struct termios t;
	tcgetattr(s, &t);
	cfmakeraw(&t);
	tcsetattr(s, TCSANOW, &t);
	memset(buf, 'x', sizeof buf);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid_t c = fork();
	if (c == 0) {
		close(m);
		for (long done = 0; done < total;) {
			long n = write(s, buf, total - done < (long)sizeof buf ? total - done : (long)sizeof buf);
			if (n <= 0) _exit(1);
			done += n;
		}
		_exit(0);
	}
	close(s);
	long got = 0, n;
	while (got < total && (n = read(m, buf, sizeof buf)) > 0) got += n;
	int st;
	waitpid(c, &st, 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (got != total || st != 0) { fprintf(stderr, "moved %ld of %ld\n", got, total); return 1; }
	printf("%ld\n", (t1.tv_sec - t0.tv_sec) * 1000000000L + (t1.tv_nsec - t0.tv_nsec));
	return 0;
}
`

// BenchmarkPTYThroughput moves 100 MiB from a slave to its master and
// reports MB/s.
func BenchmarkPTYThroughput(b *testing.B) {
	const size = 100 << 20
	bin := buildProg(b, "pty", ptyC)
	compareHostKite(b, "MB/s", func(b *testing.B, underKite bool) float64 {
		var ns float64
		for i := 0; i < b.N; i++ {
			ns += runTimed(b, underKite, bin, fmt.Sprint(size))
		}
		mbps := float64(size) * float64(b.N) / 1e6 / (ns / 1e9)
		b.ReportMetric(mbps, "MB/s")
		return mbps
	})
}
