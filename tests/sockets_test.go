package tests

import "testing"

// TestUnixSocketPrograms runs real programs that talk over AF_UNIX
// sockets on the host and under kite.
func TestUnixSocketPrograms(t *testing.T) {
	t.Run("python3-sockets", func(t *testing.T) {
		need(t, "/usr/bin/python3")
		compare(t, nil, "/usr/bin/python3", "-c", `import socket, asyncio, os, socketserver, threading, tempfile
a, b = socket.socketpair()
a.sendall(b"ping")
print(b.recv(10))
b.close(); print(a.recv(10)); a.close()
async def main():
    p = await asyncio.create_subprocess_exec("/bin/echo", "from child", stdout=asyncio.subprocess.PIPE)
    out, _ = await p.communicate()
    print(out, p.returncode)
asyncio.run(main())
class H(socketserver.StreamRequestHandler):
    def handle(self):
        self.wfile.write(self.rfile.readline().upper())
d = tempfile.mkdtemp(dir="/tmp")
path = os.path.join(d, "s")
srv = socketserver.ThreadingUnixStreamServer(path, H)
t = threading.Thread(target=srv.serve_forever); t.start()
for i in range(3):
    c = socket.socket(socket.AF_UNIX); c.connect(path); c.sendall(b"hello %d\n" % i)
    print(c.makefile().readline().strip()); c.close()
srv.shutdown(); srv.server_close(); t.join(); os.unlink(path); os.rmdir(d)
print("done")`)
	})
	t.Run("node-child_process", func(t *testing.T) {
		need(t, "/usr/bin/node")
		compare(t, nil, "/usr/bin/node", "-e", `const cp = require("child_process");
console.log(cp.execSync("echo hi from execSync").toString().trim());
const p = cp.spawn("/bin/sh", ["-c", "echo spawned; echo err >&2; exit 3"]);
let o = "";
p.stdout.on("data", d => o += d);
p.stderr.on("data", d => o += "E:" + d);
p.on("close", c => console.log(o.trim().split("\n").join("|"), c));`)
	})
	t.Run("socat", func(t *testing.T) {
		need(t, "/usr/bin/socat", "/bin/sh")
		// The listener forks a child per connection; the loop waits
		// for the socket to appear before the clients connect.
		compare(t, nil, "/bin/sh", "-c", `d=$(mktemp -d /tmp/kite-socat-XXXXXX)
socat UNIX-LISTEN:$d/s,fork EXEC:'tr a-z A-Z' &
pid=$!
i=0; while [ ! -S $d/s ] && [ $i -lt 400 ]; do i=$((i+1)); sleep 0.01; done
echo first client | socat - UNIX-CONNECT:$d/s
echo second client | socat - UNIX-CONNECT:$d/s
kill $pid; wait $pid 2>/dev/null
rm -rf $d`)
	})
	t.Run("redis", func(t *testing.T) {
		need(t, "/usr/bin/redis-server", "/usr/bin/redis-cli", "/usr/bin/redis-benchmark", "/bin/sh")
		compare(t, nil, "/bin/sh", "-c", `d=$(mktemp -d /tmp/kite-redis-XXXXXX)
redis-server --port 0 --unixsocket $d/r.sock --save '' --appendonly no --daemonize no --logfile $d/log --dir $d &
pid=$!
i=0; until redis-cli -s $d/r.sock ping >/dev/null 2>&1 || [ $i -ge 400 ]; do i=$((i+1)); sleep 0.01; done
redis-cli -s $d/r.sock set k hello
redis-cli -s $d/r.sock get k
redis-cli -s $d/r.sock incrby n 41
redis-cli -s $d/r.sock incr n
redis-benchmark -s $d/r.sock -n 2000 -q -t set,get | tr '\r' '\n' | grep -c 'requests per second'
redis-cli -s $d/r.sock shutdown nosave 2>/dev/null
wait $pid
echo server exited $?
rm -rf $d`)
	})
}

// TestUnixSocketOnOverlay binds a path-name socket in an overlay root
// (kite run --overlay: the host's root with a memory layer on top) and
// compares with the same script on the host.
func TestUnixSocketOnOverlay(t *testing.T) {
	need(t, "/usr/bin/python3")
	script := `import os, socket, stat
p = "/var/tmp/kite-ovsock-%d" % os.getpid()
s = socket.socket(socket.AF_UNIX); s.bind(p); s.listen(1)
print(stat.S_ISSOCK(os.stat(p).st_mode))
c = socket.socket(socket.AF_UNIX); c.connect(p)
a, _ = s.accept(); c.sendall(b"over the overlay"); print(a.recv(64))
try:
    socket.socket(socket.AF_UNIX).bind(p)
except OSError as e:
    print(e.errno == 98)
os.unlink(p)`
	host := runCmd(t, nil, testEnv, "/usr/bin/python3", "-c", script)
	kite := underKite(runCmd(t, nil, testEnv, kiteBin, "run", "--rootfs", "/", "--overlay", "--", "/usr/bin/python3", "-c", script))
	if host != kite {
		t.Errorf("differs\n--- host:\n%s\n--- kite:\n%s", host, kite)
	}
}
