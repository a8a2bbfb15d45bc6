package tests

import (
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestStressNG runs stress-ng's timer, mmap and link stressors under kite
// for 5 s each: every run must end on time (kite once deadlocked in the
// timer stressor) and report work done.
func TestStressNG(t *testing.T) {
	if _, err := exec.LookPath("stress-ng"); err != nil {
		t.Skip("stress-ng is not installed (apt-get install stress-ng)")
	}
	for _, c := range []struct {
		name string
		args []string
	}{
		{"timer", []string{"--timer", "1"}},
		// One 256 MiB operation is some 800,000 system calls and
		// faults, each a round trip to the ptrace stub: 16 MiB keeps
		// an operation within the 5 s on a loaded machine.
		{"mmap", []string{"--mmap", "1", "--mmap-bytes", "16M"}},
		{"link", []string{"--link", "1"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			argv := append([]string{kiteBin, "run", "--", "stress-ng"}, c.args...)
			argv = append(argv, "-t", "5s", "--metrics-brief", "--temp-path", "/tmp")
			start := time.Now()
			r := runCmd(t, nil, testEnv, argv...)
			took := time.Since(start)
			if r.status != "exit 0" {
				t.Fatalf("stress-ng %s under kite:\n%s", c.name, r)
			}
			if took > 30*time.Second {
				t.Errorf("stress-ng %s -t 5s took %v under kite", c.name, took)
			}
			ops, ok := bogoOps(r.stdout+r.stderr, c.name)
			if !ok || ops == 0 {
				t.Errorf("stress-ng %s did no work under kite (bogo ops %d, found %v):\n%s", c.name, ops, ok, r)
			}
		})
	}
}

// bogoOps finds a stressor's bogo-ops count in stress-ng's metrics: the
// number after the stressor's name on a metrics line.
func bogoOps(out, name string) (int, bool) {
	for _, line := range strings.Split(out, "\n") {
		if !strings.Contains(line, "metrc:") && !strings.Contains(line, "info:") {
			continue
		}
		f := strings.Fields(line)
		for i := 0; i+1 < len(f); i++ {
			if f[i] == name {
				if n, err := strconv.Atoi(f[i+1]); err == nil {
					return n, true
				}
			}
		}
	}
	return 0, false
}
