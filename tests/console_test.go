package tests

import (
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestConsoleBlockingRead runs a program whose stdin is a pipe that stays
// empty for a while: its read blocks on kite's console until data comes,
// and a signal during the wait runs the shell's trap, as on the host.
func TestConsoleBlockingRead(t *testing.T) {
	bb := busybox(t)
	script := `trap 'echo trapped' USR1; (sleep 0.2; kill -USR1 $$) & read x; echo "got $x"; read y; echo "then $y"`
	run := func(argv ...string) string {
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Env = testEnv
		in, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		var out strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(500 * time.Millisecond)
		in.Write([]byte("one\n"))
		time.Sleep(100 * time.Millisecond)
		in.Write([]byte("two\n"))
		in.Close()
		if err := cmd.Wait(); err != nil {
			t.Fatalf("%v: %v\n%s", argv, err, out.String())
		}
		return out.String()
	}
	host := run(bb, "sh", "-c", script)
	kite := run(kiteBin, "run", "--", bb, "sh", "-c", script)
	if host != kite {
		t.Errorf("host:\n%s\nkite:\n%s", host, kite)
	}
}
