package tests

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
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
	for _, name := range []string{"inet_tcp", "inet_stream", "inet_block"} {
		t.Run(name, func(t *testing.T) {
			src, _ := filepath.Abs(filepath.Join("progs", name+".c"))
			for _, v := range variants {
				t.Run(v.name, func(t *testing.T) {
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
