// Package cprogs runs every C program in tests/progs on the host and under
// kite (see package tests for the rules the programs follow). It is a
// test binary of its own so that it has go test's timeout to itself and
// runs beside package tests.
package cprogs

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

// serialPrograms must not run beside other programs: they observe
// host-wide state that another program changes (RLIMIT_NPROC counts
// every process of a uid on the host).
var serialPrograms = map[string]bool{
	"proc_nproc": true,
}

// TestPrograms runs every C program in ../progs on the host and under
// kite. Programs run in parallel with each other (go test's -parallel, by
// default the number of CPUs); a program's variants run one after the
// other, so a program may use fixed names for host-wide objects (files
// in /dev/shm, SysV keys, abstract sockets) that no other program uses.
// hostnet_* programs run under kite with --net=host (ProgramArgs).
func TestPrograms(t *testing.T) {
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
			if !serialPrograms[name] {
				t.Parallel()
			}
			defer kitetest.LockProgram(t, name)()
			for _, v := range kitetest.Variants {
				t.Run(v.Name, func(t *testing.T) {
					bin := h.BuildC(t, src, v)
					h.CompareRun(t, nil, kitetest.ProgramArgs(name), bin)
				})
			}
		})
	}
}
