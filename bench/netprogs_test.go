package bench

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// nginxWrk starts nginx (one worker, as a daemon: it returns once it
// listens) on a free port of 127.0.0.1, loads a small file with wrk for 3
// seconds over 8 connections, stops nginx and prints wrk's requests per
// second.
const nginxWrk = `set -e
d=$(mktemp -d /tmp/kite-bench-nginx-XXXXXX)
echo hello > $d/index.txt
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > $d/nginx.conf <<CONF
worker_processes 1;
error_log $d/error.log crit;
pid $d/nginx.pid;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path $d;
  proxy_temp_path $d;
  fastcgi_temp_path $d;
  uwsgi_temp_path $d;
  scgi_temp_path $d;
  server { listen 127.0.0.1:$port; root $d; }
}
CONF
/usr/sbin/nginx -e $d/error.log -c $d/nginx.conf -p $d
wrk -t1 -c8 -d3s http://127.0.0.1:$port/index.txt > $d/wrk.out
kill $(cat $d/nginx.pid)
awk '/Requests\/sec/ {print $2}' $d/wrk.out
`

// redisBench starts redis-server on a free port of 127.0.0.1, waits for
// its PONG, runs redis-benchmark's SET and GET (20,000 requests, 8
// clients) and prints the two rates.
const redisBench = `set -e
d=$(mktemp -d /tmp/kite-bench-redis-XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
redis-server --bind 127.0.0.1 --port $port --dir $d --save '' --appendonly no --logfile $d/log &
until redis-cli -p $port ping 2>/dev/null | grep -q PONG; do :; done
redis-benchmark -p $port -c 8 -n 20000 -t set,get -q --csv > $d/out
redis-cli -p $port shutdown nosave >/dev/null 2>&1 || true
wait
tr -d '"' < $d/out | awk -F, '$1 == "SET" || $1 == "GET" {print $1, $2}'
`

// runScript runs script with sh on the host (mode "") or under kite run
// --net=MODE and returns its output.
func runScript(b *testing.B, mode, script string) string {
	b.Helper()
	argv := []string{"/bin/sh", "-c", script}
	if mode != "" {
		argv = append([]string{kiteBin, "run", "--net=" + mode, "--"}, argv...)
	}
	out, err := exec.Command(argv[0], argv[1:]...).Output()
	if err != nil {
		b.Fatalf("%v: %v\n%s", argv[:4], err, out)
	}
	return string(out)
}

func needProgs(b *testing.B, progs ...string) {
	for _, p := range progs {
		if _, err := exec.LookPath(p); err != nil {
			if _, err := os.Stat(p); err != nil {
				b.Skipf("%s is not installed (.ci/run installs it)", filepath.Base(p))
			}
		}
	}
}

// BenchmarkNginxWrk is nginx serving a small file to wrk over 127.0.0.1,
// both in one sandbox, in requests per second.
func BenchmarkNginxWrk(b *testing.B) {
	needProgs(b, "/usr/sbin/nginx", "wrk", "python3")
	compareNetModes(b, "requests/s", func(b *testing.B, mode string) float64 {
		var sum float64
		for i := 0; i < b.N; i++ {
			out := strings.TrimSpace(runScript(b, mode, nginxWrk))
			v, err := strconv.ParseFloat(out, 64)
			if err != nil {
				b.Fatalf("wrk printed %q", out)
			}
			sum += v
		}
		rps := sum / float64(b.N)
		b.ReportMetric(rps, "req/s")
		return rps
	})
}

// redisRates runs redisBench and returns its SET and GET rates.
func redisRates(b *testing.B, mode string) (set, get float64) {
	for _, line := range strings.Split(strings.TrimSpace(runScript(b, mode, redisBench)), "\n") {
		f := strings.Fields(line)
		if len(f) != 2 {
			b.Fatalf("redis-benchmark printed %q", line)
		}
		v, err := strconv.ParseFloat(f[1], 64)
		if err != nil {
			b.Fatalf("redis-benchmark printed %q", line)
		}
		if f[0] == "SET" {
			set = v
		} else {
			get = v
		}
	}
	if set == 0 || get == 0 {
		b.Fatal("redis-benchmark gave no SET or GET rate")
	}
	return set, get
}

// BenchmarkRedisBenchmark is redis-benchmark's SET and GET against
// redis-server over 127.0.0.1, both in one sandbox, in requests per
// second (the metric compared is GET; SET is reported beside it).
func BenchmarkRedisBenchmark(b *testing.B) {
	needProgs(b, "redis-server", "redis-benchmark", "redis-cli", "python3")
	compareNetModes(b, "GET requests/s", func(b *testing.B, mode string) float64 {
		var sets, gets float64
		for i := 0; i < b.N; i++ {
			s, g := redisRates(b, mode)
			sets += s
			gets += g
		}
		b.ReportMetric(sets/float64(b.N), "SET/s")
		b.ReportMetric(gets/float64(b.N), "GET/s")
		return gets / float64(b.N)
	})
}
