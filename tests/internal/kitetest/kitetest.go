// Package kitetest is the harness the differential test packages share:
// it builds kite once per test binary, runs a program on the host and
// under `kite run` with the same environment, and builds the C test
// programs in each of their variants. The tests live in package tests
// (real programs, engines, terminals...) and package tests/cprogs (the C
// programs in tests/progs), so that each test binary gets go test's
// timeout of its own and the two run side by side.
package kitetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Harness is one test binary's kite and work directory.
type Harness struct {
	// WorkDir holds the kite binary and the built test programs. It is
	// outside /tmp because kite gives programs a private /tmp.
	WorkDir string
	// KiteBin is the kite binary under test.
	KiteBin string

	// builds maps an output path to its *build.
	builds sync.Map
}

// Setup makes a work directory under /var/tmp and builds kite from the
// package directory cmdKite (relative to the test's directory) into it.
// The returned function removes the directory.
func Setup(cmdKite string) (*Harness, func(), error) {
	dir, err := os.MkdirTemp("/var/tmp", "kite-tests-")
	if err != nil {
		return nil, nil, err
	}
	h := &Harness{WorkDir: dir, KiteBin: filepath.Join(dir, "kite")}
	cleanup := func() { os.RemoveAll(dir) }
	out, err := exec.Command("go", "build", "-o", h.KiteBin, cmdKite).CombinedOutput()
	if err != nil {
		cleanup()
		return nil, nil, fmt.Errorf("building kite: %v\n%s", err, out)
	}
	return h, cleanup, nil
}

// Result is what one run of a program produced.
type Result struct {
	Stdout, Stderr string
	Status         string // "exit N" or "signal NAME"
}

func (r Result) String() string {
	return fmt.Sprintf("status: %s\nstdout:\n%s\nstderr:\n%s", r.Status, r.Stdout, r.Stderr)
}

// RunTimeout bounds every run.
const RunTimeout = 2 * time.Minute

// Env is the environment both runs get. KITE_PLATFORM, if the tests run
// with it, is passed on so that kite runs use that platform.
var Env = withPlatform([]string{"PATH=/usr/local/bin:/usr/bin:/bin", "LC_ALL=C", "HOME=/root", "TERM=dumb"})

func withPlatform(env []string) []string {
	if p := os.Getenv("KITE_PLATFORM"); p != "" {
		env = append(env, "KITE_PLATFORM="+p)
	}
	return env
}

// Run runs argv with stdin from stdin (nil: /dev/null) and env.
func Run(t *testing.T, stdin []byte, env []string, argv ...string) Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), RunTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = env
	// A session of its own: what the program sees (its session, a
	// controlling terminal or none) does not depend on how the tests
	// were started.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := Result{Stdout: stdout.String(), Stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
		r.Status = "exit 0"
	case errors.As(err, &ee):
		ws := ee.Sys().(syscall.WaitStatus)
		if ws.Signaled() {
			r.Status = "signal " + ws.Signal().String()
		} else {
			r.Status = fmt.Sprintf("exit %d", ws.ExitStatus())
		}
	default:
		t.Fatalf("running %v: %v", argv, err)
	}
	if ctx.Err() != nil {
		t.Fatalf("%v timed out after %v\n%s", argv, RunTimeout, r)
	}
	return r
}

// UnderKite converts a kite run's result to what the host run should look
// like: kite exits with 128+N and names the signal on stderr when signal N
// killed the program.
func UnderKite(r Result) Result {
	var n int
	if _, err := fmt.Sscanf(r.Status, "exit %d", &n); err == nil && n > 128 {
		lines := strings.SplitAfter(r.Stderr, "\n")
		if len(lines) >= 2 {
			last := lines[len(lines)-2]
			if strings.HasPrefix(last, "kite: ") && strings.Contains(last, "killed by signal") {
				r.Stderr = strings.Join(lines[:len(lines)-2], "")
				r.Status = "signal " + syscall.Signal(n-128).String()
			}
		}
	}
	return r
}

// Compare runs argv on the host and under kite and fails t if they
// differ; it returns the host's result.
func (h *Harness) Compare(t *testing.T, stdin []byte, argv ...string) Result {
	t.Helper()
	return h.CompareRun(t, stdin, nil, argv...)
}

// CompareRun is Compare with kiteArgs given to kite run.
func (h *Harness) CompareRun(t *testing.T, stdin []byte, kiteArgs []string, argv ...string) Result {
	t.Helper()
	host := Run(t, stdin, Env, argv...)
	kargv := append(append(append([]string{h.KiteBin, "run"}, kiteArgs...), "--"), argv...)
	kite := UnderKite(Run(t, stdin, Env, kargv...))
	if host != kite {
		t.Errorf("%v differs between host and kite\n--- host:\n%s\n--- kite:\n%s", argv, host, kite)
	}
	return host
}

// ProgramArgs are the kite run flags the C program name of tests/progs
// runs with: hostnet_* programs test the host network (--net=host),
// rseq_* programs need rseq(2) offered (--rseq).
func ProgramArgs(name string) []string {
	if strings.HasPrefix(name, "hostnet_") {
		return []string{"--net=host"}
	}
	if strings.HasPrefix(name, "rseq_") {
		// rseq(2) is offered only on request (kite run --rseq).
		return []string{"--rseq"}
	}
	return nil
}

// Variant is one way of building a C test program.
type Variant struct {
	Name string
	CC   []string
}

// Variants are the builds of every C test program.
var Variants = []Variant{
	{"static", []string{"gcc", "-static", "-O1"}},
	{"static-pie", []string{"gcc", "-static-pie", "-fPIE", "-O1"}},
	{"musl", []string{"musl-gcc", "-static", "-O1"}},
}

// build is one binary of the run: built once, by whichever test needs it
// first, while tests needing other binaries build theirs.
type build struct {
	once sync.Once
	err  error
}

// BuildC compiles src with v once per test binary, skipping the test when
// v's compiler is missing.
func (h *Harness) BuildC(t *testing.T, src string, v Variant) string {
	t.Helper()
	if _, err := exec.LookPath(v.CC[0]); err != nil {
		t.Skipf("%s is not installed (apt-get install musl-tools)", v.CC[0])
	}
	base := strings.TrimSuffix(filepath.Base(src), ".c")
	out := filepath.Join(h.WorkDir, base+"."+v.Name)
	e, _ := h.builds.LoadOrStore(out, &build{})
	b := e.(*build)
	b.once.Do(func() {
		args := append(append([]string{}, v.CC[1:]...), "-o", out, src)
		if msg, err := exec.Command(v.CC[0], args...).CombinedOutput(); err != nil {
			b.err = fmt.Errorf("%s %v: %v\n%s", v.CC[0], args, err, msg)
		}
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return out
}

// User is the unprivileged user AsUser runs programs as: uid and gid
// 1000, no supplementary groups.
const User = 1000

// AsUser returns the command prefix that runs a program as uid and gid
// User with no supplementary groups and no capabilities (setpriv, which
// under kite runs inside kite, so that kite's credential calls and
// permission checks are what the program meets). It makes the work
// directory, where the programs are built, searchable by that user, and
// skips t when setpriv is missing.
func (h *Harness) AsUser(t *testing.T) []string {
	t.Helper()
	const setpriv = "/usr/bin/setpriv"
	if _, err := os.Stat(setpriv); err != nil {
		t.Skipf("%s is not installed (apt-get install util-linux)", setpriv)
	}
	if err := os.Chmod(h.WorkDir, 0o755); err != nil {
		t.Fatal(err)
	}
	id := fmt.Sprint(User)
	return []string{setpriv, "--reuid", id, "--regid", id, "--clear-groups"}
}

// LockProgram serialises the host runs of the C program name across
// test binaries (the C programs run as root in package tests/cprogs and
// as a user in tests/cprogsuser, and go test runs packages side by side):
// a program may use fixed names for host-wide objects (files in /tmp and
// /dev/shm, SysV keys, abstract sockets). It returns the unlock.
func LockProgram(t *testing.T, name string) func() {
	t.Helper()
	const dir = "/var/tmp/kite-tests-locks"
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(filepath.Join(dir, name), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		t.Fatal(err)
	}
	return func() { f.Close() }
}
