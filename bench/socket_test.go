package bench

import (
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// unixStreamC moves argv[1] bytes from a child to its parent through an
// AF_UNIX stream socket pair in 64 KiB writes and reads and prints the
// nanoseconds it took.
const unixStreamC = `
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
static char buf[65536];
int main(int argc, char **argv) {
	long total = atol(argv[1]);
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) return 1;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid_t c = fork();
	if (c == 0) {
		close(sv[0]);
		for (long done = 0; done < total;) {
			long n = write(sv[1], buf, total - done < (long)sizeof buf ? total - done : (long)sizeof buf);
			if (n <= 0) _exit(1);
			done += n;
		}
		_exit(0);
	}
	close(sv[1]);
	long got = 0, n;
	while ((n = read(sv[0], buf, sizeof buf)) > 0) got += n;
	int st;
	waitpid(c, &st, 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (got != total || st != 0) { fprintf(stderr, "moved %ld of %ld\n", got, total); return 1; }
	printf("%ld\n", (t1.tv_sec - t0.tv_sec) * 1000000000L + (t1.tv_nsec - t0.tv_nsec));
	return 0;
}
`

// pingPongC bounces one byte argv[1] times between two processes over a
// socket pair and prints the nanoseconds of one round trip (0 for none).
const pingPongC = `
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
int main(int argc, char **argv) {
	long rounds = atol(argv[1]);
	int sv[2];
	char b = 'x';
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) return 1;
	pid_t c = fork();
	if (c == 0) {
		for (long i = 0; i < rounds; i++)
			if (read(sv[1], &b, 1) != 1 || write(sv[1], &b, 1) != 1) _exit(1);
		_exit(0);
	}
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < rounds; i++)
		if (write(sv[0], &b, 1) != 1 || read(sv[0], &b, 1) != 1) return 1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	int st;
	waitpid(c, &st, 0);
	printf("%ld\n", ((t1.tv_sec - t0.tv_sec) * 1000000000L + (t1.tv_nsec - t0.tv_nsec)) / (rounds > 0 ? rounds : 1));
	return st != 0;
}
`

// socketpairC creates and closes argv[1] socket pairs and prints the
// nanoseconds of one.
const socketpairC = `
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
int main(int argc, char **argv) {
	long n = atol(argv[1]);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < n; i++) {
		int sv[2];
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) return 1;
		close(sv[0]);
		close(sv[1]);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%ld\n", ((t1.tv_sec - t0.tv_sec) * 1000000000L + (t1.tv_nsec - t0.tv_nsec)) / n);
	return 0;
}
`

// BenchmarkUnixStreamThroughput moves 1 GiB through an AF_UNIX stream
// socket pair between two processes, on the host and under kite in
// alternating pairs (b.N of them: -benchtime 5x for five, as
// Create10kFiles), and reports each side's median MB/s and the median of
// the pairs' ratios; and the same for the host CPU time the transfer took
// (user and system time of the program, or of kite and its stubs, less
// that of a run moving nothing), which the machine's load moves far less
// than the wall time.
func BenchmarkUnixStreamThroughput(b *testing.B) {
	const size = 1 << 30
	bin := buildProg(b, "unixstream", unixStreamC)
	host, kite := pairRuns(b, b.N, func(underKite bool) []float64 {
		ns, cpu := runTimedCPU(b, underKite, bin, fmt.Sprint(size))
		return []float64{float64(size) / 1e6 / (ns / 1e9), cpu / 1e6}
	})
	reportPairs(b, column(host, 0), column(kite, 0), []string{"MB/s"}, true)
	reportPairs(b, column(host, 1), column(kite, 1), []string{"CPU-ms"}, false)
}

// BenchmarkUnixPingPong reports the round trip of one byte over a socket
// pair between two processes (20,000 of them per run), in alternating
// host and kite pairs as UnixStreamThroughput, and the host CPU time of
// one round trip.
func BenchmarkUnixPingPong(b *testing.B) {
	const rounds = 20000
	bin := buildProg(b, "unixpingpong", pingPongC)
	host, kite := pairRuns(b, b.N, func(underKite bool) []float64 {
		ns, cpu := runTimedCPU(b, underKite, bin, fmt.Sprint(rounds))
		return []float64{ns / 1e3, cpu / rounds / 1e3}
	})
	reportPairs(b, column(host, 0), column(kite, 0), []string{"µs/roundtrip"}, false)
	reportPairs(b, column(host, 1), column(kite, 1), []string{"CPU-µs/roundtrip"}, false)
}

// column returns column j of rows, as rows of one figure.
func column(rows [][]float64, j int) [][]float64 {
	out := make([][]float64, len(rows))
	for i, r := range rows {
		out[i] = []float64{r[j]}
	}
	return out
}

// runTimedCPU is runTimed that also returns the host CPU time (user and
// system, nanoseconds) of the run less that of a run with argument "0"
// (the program's start-up, and kite's): the run's own process and the
// descendants it waited for (kite's stubs, the program's child).
func runTimedCPU(b *testing.B, underKite bool, bin string, arg string) (ns, cpu float64) {
	b.Helper()
	run := func(arg string) (float64, float64) {
		argv := []string{bin, arg}
		if underKite {
			argv = append([]string{kiteBin, "run", "--"}, argv...)
		}
		cmd := exec.Command(argv[0], argv[1:]...)
		out, err := cmd.Output()
		if err != nil {
			b.Fatalf("%v: %v\n%s", argv, err, out)
		}
		t, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
		if err != nil {
			b.Fatalf("%v printed %q", argv, out)
		}
		st := cmd.ProcessState
		return t, float64((st.UserTime() + st.SystemTime()).Nanoseconds())
	}
	_, base := run("0")
	ns, cpu = run(arg)
	return ns, max(cpu-base, 0)
}

// BenchmarkSocketpair reports the cost of creating and closing a socket
// pair.
func BenchmarkSocketpair(b *testing.B) {
	bin := buildProg(b, "socketpair", socketpairC)
	compareHostKite(b, "µs/pair", func(b *testing.B, underKite bool) float64 {
		var ns float64
		for i := 0; i < b.N; i++ {
			ns += runTimed(b, underKite, bin, "20000")
		}
		us := ns / float64(b.N) / 1e3
		b.ReportMetric(us, "µs/pair")
		return us
	})
}

// redisBenchSh starts redis-server on a Unix socket in a new directory
// under /tmp, waits until redis-cli gets its PONG, runs redis-benchmark
// -s for SET and GET and stops the server. redis-benchmark -q prints
// "SET: N requests per second..." lines.
const redisBenchSh = `
set -e
dir=$(mktemp -d /tmp/kite-redis-XXXXXX)
redis-server --port 0 --unixsocket "$dir/r.sock" --save '' --appendonly no --dir "$dir" >/dev/null &
pid=$!
i=0
until redis-cli -s "$dir/r.sock" ping >/dev/null 2>&1; do
	i=$((i+1)); [ $i -lt 300 ] || { kill $pid; exit 1; }
	sleep 0.1
done
redis-benchmark -s "$dir/r.sock" -t set,get -n 20000 -c 10 -q
kill $pid
wait $pid || true
rm -rf "$dir"
`

// BenchmarkRedisUnix reports redis-benchmark -s's SET and GET requests
// per second with server and client both native or both under kite.
func BenchmarkRedisUnix(b *testing.B) {
	for _, p := range []string{"redis-server", "redis-cli", "redis-benchmark"} {
		if _, err := exec.LookPath(p); err != nil {
			b.Skipf("%s is not installed (apt-get install redis-server redis-tools)", p)
		}
	}
	for _, op := range []string{"SET", "GET"} {
		b.Run(op, func(b *testing.B) {
			compareHostKite(b, op+" requests/s", func(b *testing.B, underKite bool) float64 {
				var sum float64
				for i := 0; i < b.N; i++ {
					sum += redisOps(b, underKite, op)
				}
				ops := sum / float64(b.N)
				b.ReportMetric(ops, "requests/s")
				return ops
			})
		})
	}
}

// redisOps runs redisBenchSh natively or under kite and returns op's
// requests per second.
func redisOps(b *testing.B, underKite bool, op string) float64 {
	b.Helper()
	argv := []string{"/bin/sh", "-c", redisBenchSh}
	if underKite {
		argv = append([]string{kiteBin, "run", "--"}, argv...)
	}
	out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput()
	if err != nil {
		b.Fatalf("%v: %v\n%s", argv[:3], err, out)
	}
	// -q ends each report with a carriage return before the summary.
	for _, line := range strings.FieldsFunc(string(out), func(r rune) bool { return r == '\n' || r == '\r' }) {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), op+": "); ok {
			if f := strings.Fields(rest); len(f) > 1 && f[1] == "requests" {
				if v, err := strconv.ParseFloat(f[0], 64); err == nil {
					return v
				}
			}
		}
	}
	b.Fatalf("no %s result in redis-benchmark's output:\n%s", op, out)
	return 0
}
