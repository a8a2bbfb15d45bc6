package bench

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// loopC is a program that makes n system calls of one kind.
const loopC = `
#include <fcntl.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(int argc, char **argv) {
	long n = atol(argv[2]);
	char buf[64];
	static char big[65536];
	int fd = open("/dev/zero", O_RDONLY);
	int null = open("/dev/null", O_WRONLY);
	switch (argv[1][0]) {
	case 'g': for (long i = 0; i < n; i++) syscall(SYS_getppid); break;
	case 'r': for (long i = 0; i < n; i++) read(fd, buf, sizeof buf); break;
	case 'w': for (long i = 0; i < n; i++) write(null, big, sizeof big); break;
	case 'z': for (long i = 0; i < n; i++) read(fd, big, sizeof big); break;
	case 'f': for (long i = 0; i < n; i++) { pid_t c = fork(); if (c == 0) _exit(0); waitpid(c, 0, 0); } break;
	}
	return 0;
}
`

var workDir, kiteBin, loopBin string

func TestMain(m *testing.M) {
	flag.Parse()
	if f := flag.Lookup("test.bench"); f == nil || f.Value.String() == "" {
		// Only benchmarks live here: do not build anything for go test.
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("/var/tmp", "kite-bench-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	workDir = dir
	kiteBin = filepath.Join(dir, "kite")
	loopBin = filepath.Join(dir, "loop")
	src := filepath.Join(dir, "loop.c")
	os.WriteFile(src, []byte(loopC), 0o644)
	// $KITE_BIN names a kite binary to measure instead of building one.
	build := exec.Command("go", "build", "-o", kiteBin, "../cmd/kite")
	if bin := os.Getenv("KITE_BIN"); bin != "" {
		build = exec.Command("cp", bin, kiteBin)
	}
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building kite: %v\n%s", err, out)
		os.Exit(1)
	}
	if out, err := exec.Command("gcc", "-static", "-O2", "-o", loopBin, src).CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building the loop: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// runLoop runs the loop program with kind and b.N under kite or natively.
func runLoop(b *testing.B, underKite bool, kind string) {
	argv := []string{loopBin, kind, fmt.Sprint(b.N)}
	if underKite {
		argv = append([]string{kiteBin, "run", "--"}, argv...)
	}
	b.ResetTimer()
	if out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput(); err != nil {
		b.Fatalf("%v: %v\n%s", argv, err, out)
	}
}

// BenchmarkGetppid is the cost of the cheapest system call: a round trip
// into the kernel and back.
func BenchmarkGetppid(b *testing.B) {
	b.Run("host", func(b *testing.B) { runLoop(b, false, "g") })
	b.Run("kite", func(b *testing.B) { runLoop(b, true, "g") })
}

// BenchmarkReadDevZero adds a copy-out of 64 bytes.
func BenchmarkReadDevZero(b *testing.B) {
	b.Run("host", func(b *testing.B) { runLoop(b, false, "r") })
	b.Run("kite", func(b *testing.B) { runLoop(b, true, "r") })
}

// BenchmarkWriteDevNull64K writes 64 KiB to /dev/null: Linux does not
// look at the bytes, so neither should a kernel copy or allocate.
func BenchmarkWriteDevNull64K(b *testing.B) {
	b.Run("host", func(b *testing.B) { runLoop(b, false, "w") })
	b.Run("kite", func(b *testing.B) { runLoop(b, true, "w") })
}

// BenchmarkReadDevZero64K reads 64 KiB from /dev/zero: clearing the
// program's pages in place.
func BenchmarkReadDevZero64K(b *testing.B) {
	b.Run("host", func(b *testing.B) { runLoop(b, false, "z") })
	b.Run("kite", func(b *testing.B) { runLoop(b, true, "z") })
}

// BenchmarkForkWait is fork, exit and wait: address-space copy, a new
// stub process, and reaping.
func BenchmarkForkWait(b *testing.B) {
	b.Run("host", func(b *testing.B) { runLoop(b, false, "f") })
	b.Run("kite", func(b *testing.B) { runLoop(b, true, "f") })
}
