package tests

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
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

// TestConsoleSigio runs consoleprogs/console_sigio with a stdin pipe that
// the test writes to only after the program says it is ready for each
// step, on the host and under kite (where stdin is kite's console over
// the pipe): O_ASYNC's signals must come for input that arrives after it
// is set and for the writer's close, and not for input already there.
func TestConsoleSigio(t *testing.T) {
	src, err := filepath.Abs("consoleprogs/console_sigio.c")
	if err != nil {
		t.Fatal(err)
	}
	steps := []string{"early\n", "late\n", "again\n", ""} // "": close
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
		for i, s := range steps {
			out.waitFor(t, fmt.Sprintf("ready %d\n", i+1))
			if s == "" {
				in.Close()
			} else if _, err := in.Write([]byte(s)); err != nil {
				t.Fatal(err)
			}
		}
		if err := cmd.Wait(); err != nil {
			t.Fatalf("%v: %v\n%s", argv, err, out.String())
		}
		return out.String()
	}
	sameOnHostAndKite(t, src, run)
}

// TestConsoleSigioOut runs consoleprogs/console_sigio_out with a stdout
// pipe that the test drains only after the program has filled it and
// said so on stderr, on the host and under kite: room appearing after a
// full write signals the O_ASYNC owner with POLL_OUT.
func TestConsoleSigioOut(t *testing.T) {
	src, err := filepath.Abs("consoleprogs/console_sigio_out.c")
	if err != nil {
		t.Fatal(err)
	}
	run := func(argv ...string) string {
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Env = testEnv
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		errBuf := &syncBuffer{}
		cmd.Stderr = errBuf
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer cmd.Process.Kill()
		errBuf.waitFor(t, "full\n")
		if _, err := io.Copy(io.Discard, out); err != nil {
			t.Fatal(err)
		}
		if err := cmd.Wait(); err != nil {
			t.Fatalf("%v: %v\n%s", argv, err, errBuf.String())
		}
		return errBuf.String()
	}
	sameOnHostAndKite(t, src, run)
}

// sameOnHostAndKite builds src in every variant and checks that run gives
// the same output for it on the host and under kite run.
func sameOnHostAndKite(t *testing.T, src string, run func(argv ...string) string) {
	for _, v := range variants {
		t.Run(v.Name, func(t *testing.T) {
			prog := buildC(t, src, v)
			host := run(prog)
			kite := run(kiteBin, "run", "--", prog)
			if host != kite {
				t.Errorf("host:\n%s\nkite:\n%s", host, kite)
			}
		})
	}
}

// TestConsoleFileSignals runs progs/stdio_signals (which the C program
// harness runs with a stdout pipe) with stdin and stdout as host regular
// files, on the host and under kite: while another process keeps
// signalling it, a write to the file and a read of the file never fail
// with EINTR, since a regular file never makes them wait.
func TestConsoleFileSignals(t *testing.T) {
	src, err := filepath.Abs("progs/stdio_signals.c")
	if err != nil {
		t.Fatal(err)
	}
	input := bytes.Repeat([]byte("0123456789abcde\n"), 1000)
	dir := t.TempDir()
	run := func(argv ...string) string {
		in, err := os.CreateTemp(dir, "in")
		if err != nil {
			t.Fatal(err)
		}
		defer in.Close()
		if _, err := in.Write(input); err != nil {
			t.Fatal(err)
		}
		if _, err := in.Seek(0, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		out, err := os.CreateTemp(dir, "out")
		if err != nil {
			t.Fatal(err)
		}
		defer out.Close()
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Env = testEnv
		errBuf := &syncBuffer{}
		cmd.Stdin, cmd.Stdout, cmd.Stderr = in, out, errBuf
		if err := cmd.Run(); err != nil {
			t.Fatalf("%v: %v\n%s", argv, err, errBuf.String())
		}
		b, err := os.ReadFile(out.Name())
		if err != nil {
			t.Fatal(err)
		}
		return string(b) + errBuf.String()
	}
	sameOnHostAndKite(t, src, run)
}

// TestConsoleFullWrite runs consoleprogs/console_full_write with stdout a
// pipe the test never reads, on the host and under kite (which keeps the
// host pipe blocking): a non-blocking write bigger than the free room is
// short and the next fails with EAGAIN, a blocking write into the full
// pipe fails with EINTR when a signal is caught, and SIGKILL of the
// program while it is blocked writing ends it (and kite).
func TestConsoleFullWrite(t *testing.T) {
	src, err := filepath.Abs("consoleprogs/console_full_write.c")
	if err != nil {
		t.Fatal(err)
	}
	run := func(argv ...string) string {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Env = testEnv
		errBuf := &syncBuffer{}
		cmd.Stdout, cmd.Stderr = w, errBuf
		err = cmd.Start()
		w.Close()
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err = <-done:
		case <-time.After(runTimeout):
			cmd.Process.Kill()
			<-done
			t.Fatalf("%v: still running after %v with its stdout pipe full:\n%s", argv, runTimeout, errBuf.String())
		}
		status := "exit 0"
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			ws := ee.Sys().(syscall.WaitStatus)
			if ws.Signaled() {
				status = "signal " + ws.Signal().String()
			} else {
				status = fmt.Sprintf("exit %d", ws.ExitStatus())
			}
		} else if err != nil {
			t.Fatal(err)
		}
		res := result{stderr: errBuf.String(), status: status}
		if argv[0] == kiteBin {
			res = underKite(res) // kite exits 128+N when signal N killed the program
		}
		return res.stderr + res.status + "\n"
	}
	sameOnHostAndKite(t, src, run)
}
