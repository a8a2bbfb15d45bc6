package bench

import (
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// tcpC measures TCP over 127.0.0.1 between two processes: mode "t" moves
// argv[2] bytes in 64 KiB writes from a child to its parent and prints
// the nanoseconds it took; mode "r" makes argv[2] 1-byte round trips (the
// parent sends a byte, the child echoes it; TCP_NODELAY) and prints the
// nanoseconds per round trip.
const tcpC = `
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
static char buf[65536];
static long now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1000000000L + t.tv_nsec; }
int main(int argc, char **argv) {
	char mode = argv[1][0];
	long total = atol(argv[2]);
	int l = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof a;
	if (bind(l, (struct sockaddr *)&a, al) < 0 || listen(l, 1) < 0 || getsockname(l, (struct sockaddr *)&a, &al) < 0) return 1;
	pid_t c = fork();
	if (c == 0) {
		int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
		if (connect(s, (struct sockaddr *)&a, al) < 0) _exit(1);
		setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		if (mode == 't') {
			for (long done = 0; done < total;) {
				long n = write(s, buf, total - done < (long)sizeof buf ? total - done : (long)sizeof buf);
				if (n <= 0) _exit(1);
				done += n;
			}
		} else {
			for (long i = 0; i < total; i++)
				if (read(s, buf, 1) != 1 || write(s, buf, 1) != 1) _exit(1);
		}
		_exit(0);
	}
	int s = accept(l, NULL, NULL), one = 1;
	setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	long t0 = now(), got = 0, n;
	if (mode == 't') {
		while ((n = read(s, buf, sizeof buf)) > 0) got += n;
	} else {
		for (long i = 0; i < total; i++, got++)
			if (write(s, buf, 1) != 1 || read(s, buf, 1) != 1) break;
	}
	long t1 = now();
	int st;
	close(s);
	waitpid(c, &st, 0);
	if (got != total || st != 0) { fprintf(stderr, "moved %ld of %ld\n", got, total); return 1; }
	printf("%ld\n", mode == 't' ? t1 - t0 : (t1 - t0) / total);
	return 0;
}
`

// netModes are kite's --net modes the TCP benchmarks run in. In
// "sandbox" mode loopback traffic stays in kite's stack as in "none";
// in "host" mode every socket is a host socket kite drives.
var netModes = []string{"none", "host", "sandbox"}

// runTimedNet is runTimed under `kite run --net=MODE` (mode "" is the
// host).
func runTimedNet(b *testing.B, mode string, bin string, args ...string) float64 {
	b.Helper()
	argv := append([]string{bin}, args...)
	if mode != "" {
		argv = append([]string{kiteBin, "run", "--net=" + mode, "--"}, argv...)
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

// compareNetModes runs measure on the host and under kite in each of
// netModes as sub-benchmarks and logs each ratio kite/host.
func compareNetModes(b *testing.B, unit string, measure func(b *testing.B, mode string) float64) {
	var host float64
	b.Run("host", func(b *testing.B) { host = measure(b, "") })
	for _, m := range netModes {
		var kite float64
		b.Run("kite-"+m, func(b *testing.B) { kite = measure(b, m) })
		if host > 0 {
			b.Logf("%s: host %.1f, kite --net=%s %.1f, kite/host %.2f", unit, host, m, kite, kite/host)
		}
	}
}

// runTimedNetCPU is runTimedNet that also returns the host CPU time
// (user and system, nanoseconds) of the run less that of a run moving
// nothing ("t 0": start-up and the connection): the run's own process
// and the descendants it waited for (kite's stubs, the program's child).
func runTimedNetCPU(b *testing.B, mode string, bin string, args ...string) (ns, cpu float64) {
	b.Helper()
	run := func(args ...string) (float64, float64) {
		argv := append([]string{bin}, args...)
		if mode != "" {
			argv = append([]string{kiteBin, "run", "--net=" + mode, "--"}, argv...)
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
	_, base := run("t", "0")
	ns, cpu = run(args...)
	return ns, max(cpu-base, 0)
}

// BenchmarkTCPThroughput moves 1 GiB over TCP on 127.0.0.1 between two
// processes and reports MB/s: b.N rounds (-benchtime 5x for five) of a
// host run and one under kite in each network mode, in an order that
// rotates from round to round, and for each mode the medians and the
// median of its ratios to the host run of the same round; and the same
// for the host CPU time of the transfer (CPU-ms, see runTimedNetCPU),
// which the machine's load moves far less than the wall time.
func BenchmarkTCPThroughput(b *testing.B) {
	const size = 1 << 30
	bin := buildProg(b, "tcp", tcpC)
	netRounds(b, []string{"MB/s", "CPU-ms"}, []bool{true, false}, func(mode string) []float64 {
		ns, cpu := runTimedNetCPU(b, mode, bin, "t", fmt.Sprint(size))
		return []float64{float64(size) / 1e6 / (ns / 1e9), cpu / 1e6}
	})
}

// BenchmarkTCPRoundTrip is the latency of a 1-byte request and its 1-byte
// answer over TCP on 127.0.0.1 (TCP_NODELAY), in microseconds, and the
// host CPU time of one round trip, in rounds as TCPThroughput.
func BenchmarkTCPRoundTrip(b *testing.B) {
	const trips = 20000
	bin := buildProg(b, "tcp", tcpC)
	netRounds(b, []string{"µs/trip", "CPU-µs/trip"}, []bool{false, false}, func(mode string) []float64 {
		ns, cpu := runTimedNetCPU(b, mode, bin, "r", fmt.Sprint(trips))
		return []float64{ns / 1000, cpu / trips / 1000}
	})
}

// netRounds runs measure b.N times on the host (mode "") and in each of
// netModes, one round of all four at a time, starting each round one
// place further along the list (the host's own figures swing within
// minutes on the shared machines, so only runs close in time compare),
// and reports each of measure's figures (units[i], higherBetter[i]) for
// each mode against the host as reportPairs does.
func netRounds(b *testing.B, units []string, higherBetter []bool, measure func(mode string) []float64) {
	sides := append([]string{""}, netModes...)
	got := make(map[string][][]float64)
	for i := 0; i < b.N; i++ {
		for j := range sides {
			m := sides[(i+j)%len(sides)]
			got[m] = append(got[m], measure(m))
		}
	}
	for _, m := range netModes {
		for k, unit := range units {
			reportPairs(b, column(got[""], k), column(got[m], k), []string{unit + "-" + m}, higherBetter[k])
		}
	}
}
