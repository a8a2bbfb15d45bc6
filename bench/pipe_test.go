package bench

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// pipeC moves argv[1] bytes from a child to its parent through a pipe in
// 64 KiB writes and reads, and prints the nanoseconds it took.
const pipeC = `
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
static char buf[65536];
int main(int argc, char **argv) {
	long total = atol(argv[1]);
	int p[2];
	if (pipe(p) < 0) return 1;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid_t c = fork();
	if (c == 0) {
		close(p[0]);
		for (long done = 0; done < total;) {
			long n = write(p[1], buf, total - done < (long)sizeof buf ? total - done : (long)sizeof buf);
			if (n <= 0) _exit(1);
			done += n;
		}
		_exit(0);
	}
	close(p[1]);
	long got = 0, n;
	while ((n = read(p[0], buf, sizeof buf)) > 0) got += n;
	int st;
	waitpid(c, &st, 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (got != total || st != 0) { fprintf(stderr, "moved %ld of %ld\n", got, total); return 1; }
	printf("%ld\n", (t1.tv_sec - t0.tv_sec) * 1000000000L + (t1.tv_nsec - t0.tv_nsec));
	return 0;
}
`

var (
	progMu sync.Mutex
	progs  = map[string]string{}
)

// buildProg compiles a C benchmark program once per run (static glibc).
func buildProg(b *testing.B, name, src string) string {
	b.Helper()
	progMu.Lock()
	defer progMu.Unlock()
	if bin, ok := progs[name]; ok {
		return bin
	}
	cfile := filepath.Join(workDir, name+".c")
	bin := filepath.Join(workDir, name)
	if err := os.WriteFile(cfile, []byte(src), 0o644); err != nil {
		b.Fatal(err)
	}
	if out, err := exec.Command("gcc", "-static", "-O2", "-pthread", "-o", bin, cfile).CombinedOutput(); err != nil {
		b.Fatalf("building %s: %v\n%s", name, err, out)
	}
	progs[name] = bin
	return bin
}

// runTimed runs bin with args natively or under kite and returns the
// nanoseconds the program measured itself (what it printed), so that
// kite's start-up is not counted.
func runTimed(b *testing.B, underKite bool, bin string, args ...string) float64 {
	b.Helper()
	argv := append([]string{bin}, args...)
	if underKite {
		argv = append([]string{kiteBin, "run", "--"}, argv...)
	}
	out, err := exec.Command(argv[0], argv[1:]...).Output()
	if err != nil {
		b.Fatalf("%v: %v\n%s", argv, err, out)
	}
	ns, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
	if err != nil {
		b.Fatalf("%v printed %q", argv, out)
	}
	return ns
}

// compareHostKite runs measure for the host and for kite as
// sub-benchmarks; measure reports its metric (unit, larger or smaller is
// better by the caller's reading) and returns it, and the ratio kite/host
// is logged.
func compareHostKite(b *testing.B, unit string, measure func(b *testing.B, underKite bool) float64) {
	var host, kite float64
	b.Run("host", func(b *testing.B) { host = measure(b, false) })
	b.Run("kite", func(b *testing.B) { kite = measure(b, true) })
	if host > 0 {
		b.Logf("%s: host %.1f, kite %.1f, kite/host %.2f", unit, host, kite, kite/host)
	}
}

// BenchmarkPipeThroughput moves 1 GiB through a pipe between two
// processes, on the host and under kite in alternating pairs (b.N of
// them), and reports MB/s and the host CPU time of the transfer as
// UnixStreamThroughput does.
func BenchmarkPipeThroughput(b *testing.B) {
	const size = 1 << 30
	bin := buildProg(b, "pipe", pipeC)
	host, kite := pairRuns(b, b.N, func(underKite bool) []float64 {
		ns, cpu := runTimedCPU(b, underKite, bin, fmt.Sprint(size))
		return []float64{float64(size) / 1e6 / (ns / 1e9), cpu / 1e6}
	})
	reportPairs(b, column(host, 0), column(kite, 0), []string{"MB/s"}, true)
	reportPairs(b, column(host, 1), column(kite, 1), []string{"CPU-ms"}, false)
}

// BenchmarkYesHeadWc is issue 4's shell pipeline, `yes | head -c
// 100000000 | wc -c` in busybox sh, wall time including kite's start-up;
// it fails if kite's count differs from the host's.
func BenchmarkYesHeadWc(b *testing.B) {
	const bb = "/bin/busybox"
	if _, err := os.Stat(bb); err != nil {
		b.Skip("busybox is not installed")
	}
	script := "yes | head -c 100000000 | wc -c"
	var hostOut string
	run := func(b *testing.B, underKite bool) string {
		argv := []string{bb, "sh", "-c", script}
		if underKite {
			argv = append([]string{kiteBin, "run", "--"}, argv...)
		}
		out, err := exec.Command(argv[0], argv[1:]...).Output()
		if err != nil {
			b.Fatalf("%v: %v\n%s", argv, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	b.Run("host", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			hostOut = run(b, false)
		}
	})
	b.Run("kite", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if got := run(b, true); got != hostOut {
				b.Fatalf("kite printed %q, the host %q", got, hostOut)
			}
		}
	})
}
