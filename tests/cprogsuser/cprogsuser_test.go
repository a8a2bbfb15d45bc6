// Package cprogsuser runs every C program in tests/progs as an
// unprivileged user (uid 1000, gid 1000, no supplementary groups, no
// capabilities) on the host and under kite: the unprivileged side of
// every call the programs make. Under kite, kite runs as root and
// setpriv changes the program's credentials inside kite, so kite's own
// permission checks decide what the program may do, as Linux's do on
// the host. It is a test binary of its own so that it has go test's
// timeout to itself.
package cprogsuser

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/kite-os/kite/tests/internal/kitetest"
)

var h *kitetest.Harness

func TestMain(m *testing.M) {
	if runtime.GOARCH != "amd64" {
		fmt.Fprintln(os.Stderr, "kite's tests need amd64")
		os.Exit(1)
	}
	var cleanup func()
	var err error
	h, cleanup, err = kitetest.Setup("../../cmd/kite")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	cleanup()
	os.Exit(code)
}

// skipPrograms cannot run as an unprivileged user on the host; each
// entry says why. (Programs that need root to set up what they test, as
// the ns_* programs that make namespaces and then drop to uid 1000
// themselves, instead print "needs root" and check nothing more.)
var skipPrograms = map[string]string{}

// TestProgramsAsUser runs every C program in ../progs, in each variant,
// as uid 1000 on the host and under kite.
func TestProgramsAsUser(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to become uid 1000")
	}
	asUser := h.AsUser(t)
	srcs, err := filepath.Glob("../progs/*.c")
	if err != nil {
		t.Fatal(err)
	}
	if len(srcs) == 0 {
		t.Fatal("no test programs found in ../progs/")
	}
	for _, src := range srcs {
		src, _ := filepath.Abs(src)
		name := strings.TrimSuffix(filepath.Base(src), ".c")
		t.Run(name, func(t *testing.T) {
			if why := skipPrograms[name]; why != "" {
				t.Skip(why)
			}
			t.Parallel()
			defer kitetest.LockProgram(t, name)()
			for _, v := range kitetest.Variants {
				t.Run(v.Name, func(t *testing.T) {
					bin := h.BuildC(t, src, v)
					h.CompareRun(t, nil, kitetest.ProgramArgs(name), append(asUser, bin)...)
				})
			}
		})
	}
}
