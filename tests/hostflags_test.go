package tests

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestLsattrHost runs lsattr on host files under kite: the root's
// directories (hostfs), a directory of /var/tmp (an overlay with the
// host's /var/tmp as its lower layer: kite run, and kite run --overlay),
// and a directory mounted with kite do --rw (hostfs, writable). The
// flags are the host's, so the output matches the host's lsattr.
func TestLsattrHost(t *testing.T) {
	need(t, "/usr/bin/chattr", "/usr/bin/lsattr", "/bin/sh")
	dir := filepath.Join(workDir, "lsattr-host")
	if err := os.MkdirAll(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"f", "g", "h"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("data\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range [][]string{{"+d", "f"}, {"+A", "g"}, {"+dA", "sub"}} {
		if out, err := exec.Command("chattr", c[0], filepath.Join(dir, c[1])).CombinedOutput(); err != nil {
			t.Skipf("chattr %s on the host: %v\n%s", c[0], err, out)
		}
	}
	// The root of an overlay is its upper directory, a tmpfs's with no
	// flags (as on Linux): / is compared only where it is the host's.
	script := "lsattr -d /usr /etc " + dir + " " + dir + "/sub; lsattr " + dir + "; echo $?"
	for _, c := range []struct {
		flags  []string
		script string
	}{
		{[]string{"run"}, "lsattr -d /; " + script},
		{[]string{"run", "--overlay"}, script},
		{[]string{"do", "--rw", dir}, script},
	} {
		host := runCmd(t, nil, testEnv, "/bin/sh", "-c", c.script)
		args := append(append([]string{kiteBin}, c.flags...), "--", "/bin/sh", "-c", c.script)
		kite := underKite(runCmd(t, nil, testEnv, args...))
		if kite != host {
			t.Errorf("kite %v differs\n--- host:\n%s\n--- kite:\n%s", c.flags, host, kite)
		}
	}
}
