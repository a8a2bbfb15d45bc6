package tests

import (
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is an output buffer that the test reads while the program
// writes to it.
type syncBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitFor waits until b holds s, for at most the run timeout.
func (b *syncBuffer) waitFor(t *testing.T, s string) {
	t.Helper()
	deadline := time.Now().Add(runTimeout)
	for !strings.Contains(b.String(), s) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q in the output after %v:\n%s", s, runTimeout, b.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestConsoleBlockingRead runs a program whose stdin is a pipe that stays
// empty until the program has shown it is waiting: its read blocks on
// kite's console until data comes, and a signal during the wait runs the
// shell's trap, as on the host. Each line is written once the output
// shows the step before it, so a slow machine only makes the test slower.
func TestConsoleBlockingRead(t *testing.T) {
	bb := busybox(t)
	// The signal comes 0.2 s in, usually while the first read waits:
	// the interrupted read fails and is retried, so the output is the
	// same if a slow machine delivers the signal before the read.
	script := `trap 'echo trapped' USR1; (sleep 0.2; kill -USR1 $$) & n=0; until read x || [ $n -ge 3 ]; do n=$((n+1)); done; echo "got $x"; read y; echo "then $y"`
	run := func(argv ...string) string {
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Env = testEnv
		in, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		out := &syncBuffer{}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer cmd.Process.Kill()
		out.waitFor(t, "trapped")
		in.Write([]byte("one\n"))
		out.waitFor(t, "got one")
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
