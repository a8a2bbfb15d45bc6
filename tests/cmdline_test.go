package tests

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestNiceInherited checks that the program starts with the nice value
// kite was started with, as a child of the shell would.
func TestNiceInherited(t *testing.T) {
	niceBin, err := exec.LookPath("nice")
	if err != nil {
		t.Skip("nice is not installed (coreutils)")
	}
	host := runCmd(t, nil, testEnv, niceBin, "-n", "5", niceBin)
	kite := underKite(runCmd(t, nil, testEnv, niceBin, "-n", "5", kiteBin, "run", "--", niceBin))
	if host != kite {
		t.Errorf("nice -n 5 nice differs between host and kite\n--- host:\n%s\n--- kite:\n%s", host, kite)
	}
}

// TestProgramInPath checks that a PROGRAM without a slash is looked up in
// $PATH of the program's environment, as a shell does.
func TestProgramInPath(t *testing.T) {
	compare(t, nil, "ls", "-d", "/")
	r := runCmd(t, nil, testEnv, kiteBin, "run", "--", "kite-no-such-program")
	if r.status != "exit 127" || !strings.Contains(r.stderr, "kite-no-such-program: command not found") {
		t.Errorf("a missing program: want exit 127 and 'command not found', got\n%s", r)
	}
	// The lookup uses the program's $PATH, not kite's.
	r = runCmd(t, nil, []string{"PATH=/kite-nowhere"}, kiteBin, "run", "--", "ls", "/")
	if r.status != "exit 127" {
		t.Errorf("ls with PATH=/kite-nowhere: want exit 127, got\n%s", r)
	}
}

// TestRootfsErrors checks that a bad --rootfs is reported as a problem
// with the root, naming it, not as an error about the program.
func TestRootfsErrors(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.ext4")
	data := bytes.Repeat([]byte("not an image "), 10000)
	if err := os.WriteFile(garbage, data, 0o644); err != nil {
		t.Fatal(err)
	}
	bare := filepath.Join(dir, "bare")
	if err := os.MkdirAll(filepath.Join(bare, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		root, want string
	}{
		{filepath.Join(dir, "missing"), "no such file or directory"},
		{garbage, "not an ext2/3/4 file system"},
		{bare, "has no directory /dev"},
	} {
		r := runCmd(t, nil, testEnv, kiteBin, "run", "--rootfs", c.root, "--", "/bin/sh", "-c", "true")
		if r.status == "exit 0" || !strings.Contains(r.stderr, c.root) || !strings.Contains(r.stderr, c.want) || strings.Contains(r.stderr, "/bin/sh") {
			t.Errorf("--rootfs %s: want a failure naming the root and saying %q, got\n%s", c.root, c.want, r)
		}
	}
}

// termIgnorer handles SIGTERM and SIGINT without ending, in two
// processes.
const termIgnorer = `#include <signal.h>
#include <string.h>
#include <unistd.h>
static void on_term(int s) { (void)s; write(1, "got it\n", 7); }
int main(void) {
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, 0);
	sigaction(SIGINT, &sa, 0);
	pid_t c = fork();
	if (c == 0) {
		for (;;) pause(); /* the child only waits */
	}
	write(1, "ready\n", 6);
	for (;;) pause();
}
`

// TestHostSignalsEndSandbox checks that kite ends the sandbox, leaving no
// stub process behind, when the host sends a second SIGTERM (or, with no
// terminal, SIGINT) to a program that handles the first and goes on.
func TestHostSignalsEndSandbox(t *testing.T) {
	src := filepath.Join(t.TempDir(), "term_ignorer.c")
	if err := os.WriteFile(src, []byte(termIgnorer), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := buildC(t, src, variants[0])
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(unix.SignalName(sig), func(t *testing.T) { testEndSandbox(t, bin, sig) })
	}
}

func testEndSandbox(t *testing.T, bin string, sig syscall.Signal) {
	// kite must end within deliverTimeout of the second signal.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, kiteBin, "run", "--", bin)
	cmd.Env = testEnv
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(out)
	expect := func(want string) {
		t.Helper()
		for lines.Scan() {
			if lines.Text() == want {
				return
			}
		}
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("kite's program never printed %q; stderr:\n%s", want, stderr.String())
	}
	expect("ready")
	stubs := childPIDs(cmd.Process.Pid)
	if len(stubs) < 2 {
		t.Errorf("want at least two stub processes under kite, found %v", stubs)
	}
	cmd.Process.Signal(sig)
	expect("got it") // the program took it and goes on
	cmd.Process.Signal(sig)
	go io.Copy(io.Discard, out)
	err = cmd.Wait()
	if ctx.Err() != nil {
		t.Fatalf("kite did not end after two %v; stderr:\n%s", sig, stderr.String())
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 128+int(sig) || !strings.Contains(stderr.String(), "ending the sandbox") {
		t.Errorf("kite after two %v: %v, stderr:\n%s", sig, err, stderr.String())
	}
	// The stubs die with kite (PDEATHSIG): wait, bounded, for each to go.
	for _, pid := range stubs {
		fd, err := unix.PidfdOpen(pid, 0)
		if err != nil {
			continue // already gone
		}
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		n, _ := unix.Poll(fds, 10000)
		unix.Close(fd)
		if n != 1 {
			t.Errorf("stub process %d is still running 10 s after kite ended", pid)
		}
	}
}

// childPIDs lists the children of every thread of process pid.
func childPIDs(pid int) []int {
	var pids []int
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	for _, f := range tasks {
		b, _ := os.ReadFile(f)
		for _, w := range strings.Fields(string(b)) {
			if n, err := strconv.Atoi(w); err == nil {
				pids = append(pids, n)
			}
		}
	}
	return pids
}

// TestReopenPipes checks that opening a pipe again through /dev/stdin,
// /dev/fd/N or /proc/self/fd/N reads the same pipe, for kite's own pipes
// (bash's process substitution) and for kite's stdin when it is a host
// pipe.
func TestReopenPipes(t *testing.T) {
	compare(t, []byte("from the host pipe\n"), "/bin/cat", "/dev/stdin")
	compare(t, []byte("through proc\n"), "/bin/cat", "/proc/self/fd/0")
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash is not installed")
	}
	compare(t, nil, bash, "-c", `diff <(printf 'a\nb\n') <(printf 'a\nc\n'); echo "diff: $?"
echo x | cat /dev/stdin
echo y | cat /dev/fd/0
cat <(echo process substitution)`)
}
