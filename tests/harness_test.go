package tests

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// workDir holds the kite binary and the built test programs. It is outside
// /tmp because kite gives programs a private /tmp.
var workDir string

// kiteBin is the kite binary under test.
var kiteBin string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("/var/tmp", "kite-tests-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	workDir = dir
	kiteBin = filepath.Join(dir, "kite")
	out, err := exec.Command("go", "build", "-o", kiteBin, "../cmd/kite").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "building kite: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// result is what one run of a program produced.
type result struct {
	stdout, stderr string
	status         string // "exit N" or "signal NAME"
}

func (r result) String() string {
	return fmt.Sprintf("status: %s\nstdout:\n%s\nstderr:\n%s", r.status, r.stdout, r.stderr)
}

// runTimeout bounds every run.
const runTimeout = 2 * time.Minute

// runCmd runs argv with stdin from stdin (nil: /dev/null).
func runCmd(t *testing.T, stdin []byte, env []string, argv ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
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
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
		r.status = "exit 0"
	case errors.As(err, &ee):
		ws := ee.Sys().(syscall.WaitStatus)
		if ws.Signaled() {
			r.status = "signal " + ws.Signal().String()
		} else {
			r.status = fmt.Sprintf("exit %d", ws.ExitStatus())
		}
	default:
		t.Fatalf("running %v: %v", argv, err)
	}
	if ctx.Err() != nil {
		t.Fatalf("%v timed out after %v\n%s", argv, runTimeout, r)
	}
	return r
}

// testEnv is the environment both runs get.
var testEnv = []string{"PATH=/usr/local/bin:/usr/bin:/bin", "LC_ALL=C", "HOME=/root", "TERM=dumb"}

// underKite converts a kite run's result to what the host run should look
// like: kite exits with 128+N and names the signal on stderr when signal N
// killed the program.
func underKite(r result) result {
	var n int
	if _, err := fmt.Sscanf(r.status, "exit %d", &n); err == nil && n > 128 {
		lines := strings.SplitAfter(r.stderr, "\n")
		if len(lines) >= 2 {
			last := lines[len(lines)-2]
			if strings.HasPrefix(last, "kite: ") && strings.Contains(last, "killed by signal") {
				r.stderr = strings.Join(lines[:len(lines)-2], "")
				r.status = "signal " + syscall.Signal(n-128).String()
			}
		}
	}
	return r
}

// compare runs argv on the host and under kite and fails t if they differ.
func compare(t *testing.T, stdin []byte, argv ...string) result {
	t.Helper()
	host := runCmd(t, stdin, testEnv, argv...)
	kargv := append([]string{kiteBin, "run", "--"}, argv...)
	kite := underKite(runCmd(t, stdin, testEnv, kargv...))
	if host != kite {
		t.Errorf("%v differs between host and kite\n--- host:\n%s\n--- kite:\n%s", argv, host, kite)
	}
	return host
}

// variant is one way of building a C test program.
type variant struct {
	name string
	cc   []string
}

var variants = []variant{
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

// builds maps an output path to its *build.
var builds sync.Map

// buildC compiles src with v once per run, skipping the test when v's
// compiler is missing.
func buildC(t *testing.T, src string, v variant) string {
	t.Helper()
	if _, err := exec.LookPath(v.cc[0]); err != nil {
		t.Skipf("%s is not installed (apt-get install musl-tools)", v.cc[0])
	}
	base := strings.TrimSuffix(filepath.Base(src), ".c")
	out := filepath.Join(workDir, base+"."+v.name)
	e, _ := builds.LoadOrStore(out, &build{})
	b := e.(*build)
	b.once.Do(func() {
		args := append(append([]string{}, v.cc[1:]...), "-o", out, src)
		if msg, err := exec.Command(v.cc[0], args...).CombinedOutput(); err != nil {
			b.err = fmt.Errorf("%s %v: %v\n%s", v.cc[0], args, err, msg)
		}
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return out
}

// serialPrograms must not run beside other programs: they observe
// host-wide state that another program changes (RLIMIT_NPROC counts
// every process of a uid on the host).
var serialPrograms = map[string]bool{
	"proc_nproc": true,
}

// TestPrograms runs every C program in progs/ on the host and under kite.
// Programs run in parallel with each other (go test's -parallel, by
// default the number of CPUs); a program's variants run one after the
// other, so a program may use fixed names for host-wide objects (files
// in /dev/shm, SysV keys, abstract sockets) that no other program uses.
func TestPrograms(t *testing.T) {
	srcs, err := filepath.Glob("progs/*.c")
	if err != nil {
		t.Fatal(err)
	}
	if len(srcs) == 0 {
		t.Fatal("no test programs found in progs/")
	}
	for _, src := range srcs {
		src, _ := filepath.Abs(src)
		name := strings.TrimSuffix(filepath.Base(src), ".c")
		t.Run(name, func(t *testing.T) {
			if !serialPrograms[name] {
				t.Parallel()
			}
			for _, v := range variants {
				t.Run(v.name, func(t *testing.T) {
					bin := buildC(t, src, v)
					compare(t, nil, bin)
				})
			}
		})
	}
}

func init() {
	if runtime.GOARCH != "amd64" {
		panic("kite's tests need amd64")
	}
}
