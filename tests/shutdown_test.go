package tests

import (
	"bytes"
	"os/exec"
	"testing"
)

// TestExitWithRunningDaemon: when the program kite runs exits while a
// process it started is still busy making system calls, kite ends that
// process before it releases the sandbox's memory, and exits with the
// program's status. Before, the daemon's next copy from its memory could
// touch the unmapped memory file and crash kite ("unexpected fault
// address", seen with a tmux server left running).
func TestExitWithRunningDaemon(t *testing.T) {
	t.Parallel()
	for i := 0; i < 6; i++ {
		// Eight yes processes write continuously, each write a copy from
		// its memory: the kite of before crashed in about half the runs.
		cmd := exec.Command(kiteBin, "run", "--", "/bin/sh", "-c", "for j in 1 2 3 4 5 6 7 8; do yes kite > /dev/null & done; exit 7")
		cmd.Env = testEnv
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		code := -1
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err == nil {
			code = 0
		}
		if code != 7 || stderr.Len() != 0 {
			t.Fatalf("run %d: exit status %d (want 7), stderr:\n%s", i, code, stderr.String())
		}
	}
}
