package tests

import (
	"bufio"
	"fmt"
	stdnet "net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// compareNet runs argv on the host and under `kite run` with kiteFlags
// (a network mode) and fails t if they differ.
func compareNet(t *testing.T, kiteFlags []string, argv ...string) result {
	t.Helper()
	host := runCmd(t, nil, testEnv, argv...)
	kargv := append(append(append([]string{kiteBin, "run"}, kiteFlags...), "--"), argv...)
	kite := underKite(runCmd(t, nil, testEnv, kargv...))
	if host != kite {
		t.Errorf("%v differs between host and kite %v\n--- host:\n%s\n--- kite:\n%s", argv, kiteFlags, host, kite)
	}
	return host
}

// compareNetSettled is compareNet for argv that shows state of the
// host's network other programs may change meanwhile (a container
// engine's test adds and removes interfaces): it compares again, up to
// five times, while the two runs differ.
func compareNetSettled(t *testing.T, kiteFlags []string, argv ...string) {
	t.Helper()
	kargv := append(append(append([]string{kiteBin, "run"}, kiteFlags...), "--"), argv...)
	var host, kite result
	for range 5 {
		host = runCmd(t, nil, testEnv, argv...)
		kite = underKite(runCmd(t, nil, testEnv, kargv...))
		if host == kite {
			return
		}
	}
	t.Errorf("%v differs between host and kite %v\n--- host:\n%s\n--- kite:\n%s", argv, kiteFlags, host, kite)
}

// servePort matches http.server's first line, which names the port the
// kernel picked.
var servePort = regexp.MustCompile(`port (\d+)`)

// startHTTPServer starts argv, a python3 http.server bound to 127.0.0.1
// port 0 with unbuffered output, and returns its port once it has said it
// serves; the server is killed at the end of the test.
func startHTTPServer(t *testing.T, argv ...string) string {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = testEnv
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	m := servePort.FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("%v: no port in its first line %q (%v)", argv, line, err)
	}
	return m[1]
}

// webRoot makes a directory with index.txt for the HTTP tests.
func webRoot(t *testing.T) string {
	t.Helper()
	www := filepath.Join(workDir, "www-netmodes")
	if err := os.MkdirAll(www, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(www, "index.txt"), []byte("served by python\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return www
}

// TestHostNetwork runs programs under `kite run --net=host`: their
// INET sockets are host sockets kite drives, so they reach servers on the
// host's loopback and host programs reach theirs.
func TestHostNetwork(t *testing.T) {
	host := []string{"--net=host"}
	// The INET differential tests behave as on the host (their servers
	// bind 127.0.0.1 and ::1 at ports the host picks).
	// hostprogs are programs for the host network only.
	for _, name := range []string{"inet_tcp", "inet_stream", "inet_block", "inet_tstamp", "inet_sigio", "inet_oob", "inet_udp", "inet_udp_unspec", "inet_udp_unspec_rcvbuf", "inet_tcp_unspec", "inet_txstamp", "inet_timestamping", "inet_recverr", "inet_cmsg", "inet_send_cmsg", "inet_send_tos", "inet_send_ctl6", "inet_send_pktinfo", "inet_udp_segment", "inet_udp_segment_opt", "hostprogs/hostnet_oob", "hostprogs/hostnet_send_cmsg", "hostprogs/hostnet_procstats", "hostprogs/hostnet_inodes", "hostprogs/hostnet_ifaces", "hostprogs/hostnet_txstamp"} {
		dir := "progs"
		if d, n, ok := strings.Cut(name, "/"); ok {
			dir, name = d, n
		}
		t.Run(name, func(t *testing.T) {
			src, _ := filepath.Abs(filepath.Join(dir, name+".c"))
			for _, v := range variants {
				t.Run(v.Name, func(t *testing.T) {
					compareNet(t, host, buildC(t, src, v))
				})
			}
		})
	}
	t.Run("curl-to-host-server", func(t *testing.T) {
		need(t, "/usr/bin/python3", "/usr/bin/curl")
		www := webRoot(t)
		port := startHTTPServer(t, "/usr/bin/python3", "-u", "-m", "http.server", "--bind", "127.0.0.1", "--directory", www, "0")
		for _, url := range []string{"http://127.0.0.1:" + port + "/index.txt", "http://localhost:" + port + "/missing"} {
			compareNet(t, host, "/usr/bin/curl", "-sS", "-w", " %{http_code}\n", url)
		}
		// /etc/hosts and /etc/resolv.conf are the host's.
		compareNet(t, host, "/bin/cat", "/etc/hosts", "/etc/resolv.conf")
	})
	t.Run("iproute2-and-ss", func(t *testing.T) {
		// netlink shows the host's interfaces, addresses, routes and
		// INET sockets (a listener of this test's on the host).
		need(t, "/usr/sbin/ip", "/usr/bin/ss", "/bin/sh")
		ln, err := stdnet.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		port := strconv.Itoa(ln.Addr().(*stdnet.TCPAddr).Port)
		compareNetSettled(t, host, "/bin/sh", "-c", `ip -o link | cut -d" " -f2; ip -o addr | awk '{print $2, $3, $4}'; ip -4 route; ss -Htln "sport = :`+port+`"`)
		// ip -s link's counters (lo's RTM_GETLINK statistics) move:
		// only their headers and how many there are are compared.
		compareNetSettled(t, host, "/bin/sh", "-c", `ip -s -s link show lo | awk 'NR % 2 == 0 && NR >= 4 {n = 0; for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+$/) n++; print "counters", n; next} {print}'`)
		// Changes to the host's network are refused: bringing the
		// already-up lo up (harmless had it reached the host).
		r := underKite(runCmd(t, nil, testEnv, kiteBin, "run", "--net=host", "--", "/usr/sbin/ip", "link", "set", "lo", "up"))
		if r.status == "exit 0" || !strings.Contains(r.stderr, "Operation not permitted") {
			t.Errorf("ip link set lo up under --net=host: %s\nwant EPERM", r)
		}
	})
	t.Run("proc-net", func(t *testing.T) {
		// /proc/net/{tcp,udp,udp6} list the host's sockets: a
		// listener, a connection with 3 unread bytes and bound UDP
		// sockets of this test's (the sl column, a hash bucket for
		// UDP, is left out).
		need(t, "/bin/sh", "/usr/bin/awk")
		ln, err := stdnet.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		c, err := stdnet.Dial("tcp4", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		a, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		if _, err := c.Write([]byte("abc")); err != nil {
			t.Fatal(err)
		}
		u4, err := stdnet.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer u4.Close()
		u6, err := stdnet.ListenPacket("udp6", "[::1]:0")
		if err != nil {
			t.Skip("no IPv6 loopback:", err)
		}
		defer u6.Close()
		port := func(a stdnet.Addr) string {
			_, p, _ := stdnet.SplitHostPort(a.String())
			n, _ := strconv.Atoi(p)
			return strings.ToUpper(strconv.FormatInt(int64(n), 16))
		}
		pick := `awk 'NR == 1 || $2 ~ /:0*%s$/ {print $2, $3, $4, $5}' /proc/net/%s; `
		script := fmt.Sprintf(pick, port(ln.Addr()), "tcp") + fmt.Sprintf(pick, port(u4.LocalAddr()), "udp") +
			fmt.Sprintf(pick, port(u6.LocalAddr()), "udp6") + "head -1 /proc/net/tcp6 /proc/net/raw /proc/net/raw6 /proc/net/icmp /proc/net/icmp6"
		// The unread bytes must have arrived before either reads.
		for i := 0; i < 100; i++ {
			if r := runCmd(t, nil, testEnv, "/bin/sh", "-c", script); strings.Contains(r.stdout, ":00000003") {
				break
			}
		}
		compareNet(t, host, "/bin/sh", "-c", script)
		// The host's sockets, not the program's, show inode 0: their
		// host numbers could be those of kite's own files (the
		// program's own sockets show their kite numbers:
		// hostnet_inodes).
		ino := fmt.Sprintf(`awk '$2 ~ /:0*%s$/ && $3 ~ /:0000$/ {print $10}' /proc/net/tcp`, port(ln.Addr()))
		if r := runCmd(t, nil, testEnv, kiteBin, "run", "--net=host", "--", "/bin/sh", "-c", ino); r.stdout != "0\n" {
			t.Errorf("the inode of a listener on the host under kite: %s\nwant 0", r)
		}
	})
	t.Run("proc-net-counters", func(t *testing.T) {
		// /proc/net/{snmp,netstat,snmp6} are the host namespace's
		// counters: each counter kite shows lies between the host's
		// reads before and after (Tcp CurrEstab, a gauge, aside).
		need(t, "/bin/cat")
		files := []string{"/proc/net/snmp", "/proc/net/netstat", "/proc/net/snmp6"}
		read := func(text string) map[string]int64 {
			m := map[string]int64{}
			var names []string
			for _, line := range strings.Split(text, "\n") {
				f := strings.Fields(line)
				if len(f) == 2 && !strings.HasSuffix(f[0], ":") {
					// snmp6's "Name value".
					if v, err := strconv.ParseInt(f[1], 10, 64); err == nil {
						m[f[0]] = v
					}
					continue
				}
				if len(f) == 0 || !strings.HasSuffix(f[0], ":") {
					continue
				}
				if _, err := strconv.ParseInt(f[len(f)-1], 10, 64); err != nil || len(f) == 1 {
					names = f
					continue
				}
				for i := 1; i < len(f) && i < len(names); i++ {
					if v, err := strconv.ParseInt(f[i], 10, 64); err == nil {
						m[f[0]+names[i]] = v
					}
				}
			}
			return m
		}
		hostRead := func() map[string]int64 {
			var b []byte
			for _, f := range files {
				d, err := os.ReadFile(f)
				if err != nil {
					t.Skip(err)
				}
				b = append(b, d...)
			}
			return read(string(b))
		}
		before := hostRead()
		r := runCmd(t, nil, testEnv, append([]string{kiteBin, "run", "--net=host", "--", "/bin/cat"}, files...)...)
		after := hostRead()
		if r.status != "exit 0" {
			t.Fatalf("cat under kite: %s", r)
		}
		kite := read(r.stdout)
		for _, k := range []string{"Ip:InReceives", "Tcp:ActiveOpens", "Udp:OutDatagrams", "TcpExt:ListenOverflows", "IpExt:InOctets", "Ip6InReceives"} {
			if _, ok := kite[k]; !ok {
				t.Errorf("kite's files lack %s:\n%s", k, r.stdout)
			}
		}
		for k, v := range kite {
			if k == "Tcp:CurrEstab" {
				continue
			}
			lo, ok := before[k]
			if !ok {
				lo = 0 // an ICMP type first seen in between
			}
			hi, ok := after[k]
			if !ok {
				t.Errorf("%s: kite shows %d, the host does not have it", k, v)
			} else if v < lo || v > hi {
				t.Errorf("%s: kite shows %d, the host %d before and %d after", k, v, lo, hi)
			}
		}
		for k := range before {
			if _, ok := kite[k]; !ok {
				t.Errorf("%s: the host has it, kite does not", k)
			}
		}
	})
	t.Run("host-curl-to-server-inside", func(t *testing.T) {
		need(t, "/usr/bin/python3", "/usr/bin/curl")
		www := webRoot(t)
		port := startHTTPServer(t, kiteBin, "run", "--net=host", "--", "/usr/bin/python3", "-u", "-m", "http.server", "--bind", "127.0.0.1", "--directory", www, "0")
		r := runCmd(t, nil, testEnv, "/usr/bin/curl", "-sS", "http://127.0.0.1:"+port+"/index.txt")
		want, err := os.ReadFile(filepath.Join(www, "index.txt"))
		if err != nil {
			t.Fatal(err)
		}
		if r.status != "exit 0" || r.stdout != string(want) {
			t.Errorf("curl on the host from the server in kite: %s\nwant stdout %q", r, want)
		}
		if strings.TrimSpace(r.stderr) != "" {
			t.Errorf("curl's stderr: %s", r.stderr)
		}
	})
}

// freePort returns a port of 127.0.0.1 that nothing listened on a moment
// ago (for --publish, whose host port the caller names).
func freePort(t *testing.T, network string) string {
	t.Helper()
	var addr stdnet.Addr
	if network == "udp" {
		c, err := stdnet.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr = c.LocalAddr()
		c.Close()
	} else {
		l, err := stdnet.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr = l.Addr()
		l.Close()
	}
	_, port, _ := stdnet.SplitHostPort(addr.String())
	return port
}

// TestSandboxNetwork runs programs under `kite run --net=sandbox`: kite's
// own stack, whose connections through eth0 kite carries to the host
// (10.0.2.2 is the host's loopback), and --publish's host ports carried
// into the sandbox.
func TestSandboxNetwork(t *testing.T) {
	t.Run("curl-to-host-server", func(t *testing.T) {
		need(t, "/usr/bin/python3", "/usr/bin/curl")
		www := webRoot(t)
		port := startHTTPServer(t, "/usr/bin/python3", "-u", "-m", "http.server", "--bind", "127.0.0.1", "--directory", www, "0")
		for _, path := range []string{"/index.txt", "/missing"} {
			host := runCmd(t, nil, testEnv, "/usr/bin/curl", "-sS", "-w", " %{http_code}\n", "http://127.0.0.1:"+port+path)
			kite := runCmd(t, nil, testEnv, kiteBin, "run", "--net=sandbox", "--", "/usr/bin/curl", "-sS", "-w", " %{http_code}\n", "http://10.0.2.2:"+port+path)
			if host != kite {
				t.Errorf("curl %s: host (127.0.0.1) and kite --net=sandbox (10.0.2.2) differ\n--- host:\n%s\n--- kite:\n%s", path, host, kite)
			}
		}
		// A port nobody listens on is refused, as on the host.
		closed := freePort(t, "tcp")
		host := runCmd(t, nil, testEnv, "/usr/bin/curl", "-s", "-o", "/dev/null", "-w", "%{http_code}\n", "http://127.0.0.1:"+closed+"/")
		kite := runCmd(t, nil, testEnv, kiteBin, "run", "--net=sandbox", "--", "/usr/bin/curl", "-s", "-o", "/dev/null", "-w", "%{http_code}\n", "http://10.0.2.2:"+closed+"/")
		if host != kite {
			t.Errorf("curl to a closed port: host and kite differ\n--- host:\n%s\n--- kite:\n%s", host, kite)
		}
	})
	t.Run("udp-to-host", func(t *testing.T) {
		need(t, "/usr/bin/python3")
		pc, err := stdnet.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer pc.Close()
		go func() {
			buf := make([]byte, 1500)
			for {
				n, from, err := pc.ReadFrom(buf)
				if err != nil {
					return
				}
				pc.WriteTo([]byte(strings.ToUpper(string(buf[:n]))), from)
			}
		}()
		_, port, _ := stdnet.SplitHostPort(pc.LocalAddr().String())
		r := runCmd(t, nil, testEnv, kiteBin, "run", "--net=sandbox", "--", "/usr/bin/python3", "-c", `import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(b"datagram from the sandbox", ("10.0.2.2", `+port+`))
print(s.recvfrom(100)[0].decode())`)
		if r.status != "exit 0" || r.stdout != "DATAGRAM FROM THE SANDBOX\n" {
			t.Errorf("UDP to the host's echo server: %s", r)
		}
	})
	t.Run("publish", func(t *testing.T) {
		need(t, "/usr/bin/python3", "/usr/bin/curl")
		www := webRoot(t)
		hostPort := freePort(t, "tcp")
		startHTTPServer(t, kiteBin, "run", "--net=sandbox", "--publish", hostPort+":8080", "--", "/usr/bin/python3", "-u", "-m", "http.server", "--bind", "127.0.0.1", "--directory", www, "8080")
		r := runCmd(t, nil, testEnv, "/usr/bin/curl", "-sS", "http://127.0.0.1:"+hostPort+"/index.txt")
		want, err := os.ReadFile(filepath.Join(www, "index.txt"))
		if err != nil {
			t.Fatal(err)
		}
		if r.status != "exit 0" || r.stdout != string(want) || r.stderr != "" {
			t.Errorf("curl on the host through --publish %s:8080: %s\nwant stdout %q", hostPort, r, want)
		}
	})
	t.Run("publish-udp", func(t *testing.T) {
		need(t, "/usr/bin/python3")
		hostPort := freePort(t, "udp")
		cmd := exec.Command(kiteBin, "run", "--net=sandbox", "--publish", hostPort+":9000/udp", "--", "/usr/bin/python3", "-u", "-c", `import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 9000))
print("ready")
d, a = s.recvfrom(100)
s.sendto(d.upper(), a)`)
		cmd.Env = testEnv
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer cmd.Wait()
		defer cmd.Process.Signal(syscall.SIGTERM)
		if line, err := bufio.NewReader(out).ReadString('\n'); line != "ready\n" {
			t.Fatalf("the server in kite said %q (%v)", line, err)
		}
		c, err := stdnet.Dial("udp", "127.0.0.1:"+hostPort)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := c.Write([]byte("datagram from the host")); err != nil {
			t.Fatal(err)
		}
		c.SetReadDeadline(time.Now().Add(runTimeout))
		buf := make([]byte, 100)
		n, err := c.Read(buf)
		if err != nil || string(buf[:n]) != "DATAGRAM FROM THE HOST" {
			t.Errorf("reply through --publish %s:9000/udp: %q, %v", hostPort, buf[:n], err)
		}
	})
}

// TestNetNamespaceLeak makes and drops a thousand network namespaces
// (each with lo up, a TCP connection and an AF_UNIX socket) under kite
// and checks that kite's peak memory grows by far less than what their
// stacks would keep if dead namespaces were never shut down (about 70 KB
// each, 70 MB in all, before kite closed them), against a run that makes
// none.
func TestNetNamespaceLeak(t *testing.T) {
	src, _ := filepath.Abs("progs/ns_net_life.c")
	bin := buildC(t, src, variants[0])
	peak := func(n string) int64 {
		cmd := exec.Command(kiteBin, "run", "--", bin, n)
		cmd.Env = testEnv
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("kite run %s %s: %v\n%s", bin, n, err, out)
		}
		if want := n + " namespaces made and dropped: 1"; !strings.Contains(string(out), want) {
			t.Fatalf("kite run %s %s: no %q in\n%s", bin, n, want, out)
		}
		return cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss
	}
	base := peak("0")
	many := peak("1000")
	t.Logf("peak RSS: %d KB without namespaces, %d KB after 1000", base, many)
	if grow := many - base; grow > 40<<10 {
		t.Errorf("kite's peak RSS grew by %d KB over 1000 dropped namespaces", grow)
	}
}
