package tests

import (
	"fmt"
	"os"
	"runtime"
	"testing"

	"github.com/kite-os/kite/tests/internal/kitetest"
)

// workDir holds the kite binary and the built test programs. It is outside
// /tmp because kite gives programs a private /tmp.
var workDir string

// kiteBin is the kite binary under test.
var kiteBin string

// h is this test binary's harness (package kitetest, which package
// cprogs, the C programs' differential tests, shares).
var h *kitetest.Harness

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	var cleanup func()
	var err error
	h, cleanup, err = kitetest.Setup("../cmd/kite")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer cleanup()
	workDir, kiteBin = h.WorkDir, h.KiteBin
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

func fromHarness(r kitetest.Result) result { return result{r.Stdout, r.Stderr, r.Status} }

// runTimeout bounds every run.
const runTimeout = kitetest.RunTimeout

// runCmd runs argv with stdin from stdin (nil: /dev/null).
func runCmd(t *testing.T, stdin []byte, env []string, argv ...string) result {
	t.Helper()
	return fromHarness(kitetest.Run(t, stdin, env, argv...))
}

// testEnv is the environment both runs get.
var testEnv = kitetest.Env

// underKite converts a kite run's result to what the host run should look
// like (kitetest.UnderKite).
func underKite(r result) result {
	return fromHarness(kitetest.UnderKite(kitetest.Result{Stdout: r.stdout, Stderr: r.stderr, Status: r.status}))
}

// compare runs argv on the host and under kite and fails t if they differ.
func compare(t *testing.T, stdin []byte, argv ...string) result {
	t.Helper()
	return fromHarness(h.Compare(t, stdin, argv...))
}

// variant is one way of building a C test program.
type variant = kitetest.Variant

var variants = kitetest.Variants

// buildC compiles src with v once per run, skipping the test when v's
// compiler is missing.
func buildC(t *testing.T, src string, v variant) string {
	t.Helper()
	return h.BuildC(t, src, v)
}

func init() {
	if runtime.GOARCH != "amd64" {
		panic("kite's tests need amd64")
	}
}
