package tests

import (
	"os"
	"path/filepath"
	"testing"
)

// TestNetPrograms runs network servers and clients from Debian's
// packages inside one kite sandbox (and the same script on the host):
// everything binds 127.0.0.1 or ::1 at ports the kernel picks or that
// the script finds free, and stops by itself.
func TestNetPrograms(t *testing.T) {
	www := filepath.Join(workDir, "www")
	if err := os.MkdirAll(www, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(www, "index.txt"), []byte("hello from the web root\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Run("python3-http-server", func(t *testing.T) {
		need(t, "/usr/bin/python3", "/usr/bin/curl")
		compare(t, nil, "/usr/bin/python3", "-c", `import http.server, threading, urllib.request, subprocess, os
os.chdir(`+"`"+www+"`"[:0]+`"`+www+`")
class H(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a): pass
for host in ["127.0.0.1", "::1"]:
    cls = http.server.ThreadingHTTPServer
    if ":" in host:
        class V6(http.server.ThreadingHTTPServer):
            import socket
            address_family = socket.AF_INET6
        cls = V6
    srv = cls((host, 0), H)
    port = srv.server_address[1]
    t = threading.Thread(target=srv.serve_forever); t.start()
    url = "http://%s:%d" % ("[::1]" if ":" in host else host, port)
    for path in ["/index.txt", "/missing"]:
        try:
            r = urllib.request.urlopen(url + path)
            print("urllib", r.status, r.read().decode().strip())
        except Exception as e:
            print("urllib error", e)
    out = subprocess.run(["/usr/bin/curl", "-sS", "-w", " %{http_code}", url + "/index.txt"], capture_output=True, text=True)
    print("curl", out.returncode, out.stdout.strip(), out.stderr.strip())
    srv.shutdown(); t.join(); srv.server_close()
print("done")`)
	})
	t.Run("busybox-ping", func(t *testing.T) {
		// Raw ICMP sockets (busybox ping as root); the times differ.
		need(t, "/bin/busybox", "/bin/sh")
		compare(t, nil, "/bin/sh", "-c", `busybox ping -c2 127.0.0.1 >/tmp/ping.out; echo status $?; sed 's/time=.*//; s/ = .*//' /tmp/ping.out`)
	})
	t.Run("ss", func(t *testing.T) {
		// ss asks NETLINK_SOCK_DIAG (inet_diag, unix_diag); its filters
		// keep to the script's own sockets, whose ports are replaced.
		need(t, "/usr/bin/python3", "/usr/bin/ss")
		compare(t, nil, "/usr/bin/python3", "-c", `import socket, subprocess
l4 = socket.socket(); l4.bind(("127.0.0.1", 0)); l4.listen(7)
l6 = socket.socket(socket.AF_INET6); l6.bind(("::1", 0)); l6.listen(3)
p4, p6 = l4.getsockname()[1], l6.getsockname()[1]
c = socket.create_connection(("127.0.0.1", p4)); a, _ = l4.accept()
eph = c.getsockname()[1]
c.send(b"12345")
u = socket.socket(socket.AF_UNIX); u.bind("\0kite-diag-test"); u.listen(4)
import re
names = {str(p4): "P4", str(p6): "P6", str(eph): "EPH"}
def ss(*args):
    r = subprocess.run(["ss", "-H"] + list(args), capture_output=True, text=True)
    print(args[0], r.returncode, r.stderr.strip())
    lines = []
    for line in r.stdout.splitlines():
        f = [re.sub(r":(\d+)$", lambda m: ":" + names.get(m.group(1), m.group(1)), w) for w in line.split()]
        if f[0] == "u_str":
            f[5] = "INODE"
        lines.append(" ".join(f))
    # The kernel's dump order is its hash tables'.
    print("\n".join(sorted(lines)))
ss("-tln", "sport = :%d or sport = :%d" % (p4, p6))
ss("-tan", "sport = :%d or dport = :%d" % (p4, p4))
ss("-xl", "src", "@kite-diag-test")`)
	})
	t.Run("proc-sys-net", func(t *testing.T) {
		// The values kite's stack uses that are Linux's defaults
		// (tcp_rmem, tcp_wmem and tcp_congestion_control are tcpip's
		// own and differ).
		need(t, "/bin/sh")
		compare(t, nil, "/bin/sh", "-c", `cd /proc/sys/net && for f in core/somaxconn ipv4/ip_local_port_range ipv4/ip_default_ttl ipv4/ping_group_range ipv4/tcp_sack ipv4/tcp_window_scaling ipv4/tcp_keepalive_time ipv4/tcp_keepalive_intvl ipv4/tcp_keepalive_probes ipv4/tcp_fin_timeout ipv4/tcp_syn_retries ipv4/tcp_moderate_rcvbuf; do printf '%s: ' $f; cat $f; done`)
	})
	t.Run("ping", func(t *testing.T) {
		// iputils ping as root (raw ICMP sockets) to 127.0.0.1 and
		// ::1; the round-trip times are dropped, and so is stderr:
		// kite lacks ICMP_FILTER, SO_ATTACH_FILTER and IPV6_CHECKSUM
		// on raw sockets, which ping warns about.
		need(t, "/bin/sh", "/usr/bin/ping")
		compare(t, nil, "/bin/sh", "-c", `for a in "127.0.0.1" "-6 ::1"; do o=$(ping -c1 -W 100 $a 2>/dev/null); echo "exit $?"; echo "$o" | sed -e 's/ time=.*//' -e 's/, time .*//' -e '/^rtt/d'; done`)
	})
	t.Run("node-http", func(t *testing.T) {
		// node's http server and its fetch (undici) over 127.0.0.1 and
		// ::1, with a 100 kB request body.
		need(t, "/usr/bin/node")
		compare(t, nil, "/usr/bin/node", "-e", `const http = require("http");
async function run(host) {
  const srv = http.createServer((req, res) => {
    let n = 0;
    req.on("data", (c) => { n += c.length; });
    req.on("end", () => { res.setHeader("content-type", "text/plain"); res.end("hello " + req.method + " " + req.url + " " + n + "\n"); });
  });
  await new Promise((ok) => srv.listen(0, host, ok));
  const base = "http://" + (host.includes(":") ? "[" + host + "]" : host) + ":" + srv.address().port;
  for (const path of ["/a", "/b?x=1"]) {
    const r = await fetch(base + path);
    console.log(host, r.status, r.headers.get("content-type"), JSON.stringify(await r.text()));
  }
  const r = await fetch(base + "/post", {method: "POST", body: "x".repeat(100000)});
  console.log(host, r.status, JSON.stringify(await r.text()));
  srv.closeAllConnections();
  await new Promise((ok) => srv.close(ok));
}
(async () => { await run("127.0.0.1"); await run("::1"); console.log("done"); })();`)
	})
	t.Run("iproute2", func(t *testing.T) {
		// Only lo: the host has other interfaces kite's sandbox does
		// not (--net=none).
		need(t, "/usr/sbin/ip", "/bin/sh")
		compare(t, nil, "/bin/sh", "-c", `ip addr show lo; ip link show lo; ip route show table local dev lo; ip -4 route show dev lo`)
	})
	t.Run("python3-asyncio", func(t *testing.T) {
		need(t, "/usr/bin/python3")
		compare(t, nil, "/usr/bin/python3", "-c", `import asyncio
async def handle(r, w):
    while data := await r.readline():
        w.write(data.upper())
        await w.drain()
    w.close()
async def main():
    for host in ["127.0.0.1", "::1"]:
        srv = await asyncio.start_server(handle, host, 0)
        port = srv.sockets[0].getsockname()[1]
        async def client(i):
            r, w = await asyncio.open_connection(host, port)
            out = []
            for j in range(50):
                w.write(b"line %d %d\n" % (i, j))
                await w.drain()
                out.append(await r.readline())
            w.write_eof()
            rest = await r.read()
            w.close()
            return len(out), out[-1], rest
        res = await asyncio.gather(*(client(i) for i in range(10)))
        print(host, res[0], res[9], all(n == 50 for n, _, _ in res))
        srv.close()
        await srv.wait_closed()
asyncio.run(main())`)
	})
	t.Run("nginx", func(t *testing.T) {
		need(t, "/usr/sbin/nginx", "/usr/bin/curl", "/bin/sh")
		compare(t, nil, "/bin/sh", "-c", `set -e
d=$(mktemp -d /tmp/kite-nginx-XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > $d/nginx.conf <<CONF
daemon off;
master_process off;
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
  server { listen 127.0.0.1:$port; root `+www+`; }
}
CONF
/usr/sbin/nginx -e $d/error.log -c $d/nginx.conf -p $d &
pid=$!
for i in $(seq 100); do curl -s -o /dev/null http://127.0.0.1:$port/ 2>/dev/null && break; sleep 0.05; done
curl -sS http://127.0.0.1:$port/index.txt
curl -sS -o /dev/null -w '%{http_code}\n' http://127.0.0.1:$port/missing
kill $pid; wait $pid || true
rm -rf $d
echo done`)
	})
	t.Run("redis", func(t *testing.T) {
		need(t, "/usr/bin/redis-server", "/usr/bin/redis-cli", "/bin/sh")
		compare(t, nil, "/bin/sh", "-c", `set -e
d=$(mktemp -d /tmp/kite-redis-XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
redis-server --bind 127.0.0.1 --port $port --dir $d --save '' --appendonly no --logfile $d/log &
pid=$!
for i in $(seq 100); do redis-cli -p $port ping 2>/dev/null | grep -q PONG && break; sleep 0.05; done
redis-cli -p $port set greeting kite
redis-cli -p $port get greeting
redis-cli -p $port incrby counter 41
redis-cli -p $port incr counter
redis-cli -p $port rpush l a b c
redis-cli -p $port lrange l 0 -1
redis-cli -p $port shutdown nosave || true
wait $pid || true
rm -rf $d
echo done`)
	})
}
