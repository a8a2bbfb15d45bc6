package bench

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// BenchmarkTmpfsRSS writes a 1 GiB file to kite's /tmp (its pages live in
// kite's memory file), deletes it, and reports kite's resident memory on
// the host (VmRSS, which counts the memory file's pages kite maps) before,
// with the file, and after deleting it: the goal is to be back within
// 20 MiB of where it started. The program and kite synchronise through
// lines on stdin and stdout, so each measurement is taken at a known point.
func BenchmarkTmpfsRSS(b *testing.B) {
	script := `echo start
read line
dd if=/dev/zero of=/tmp/big bs=1M count=1024 2>/dev/null
echo written
read line
rm /tmp/big
echo removed
read line`
	for i := 0; i < b.N; i++ {
		cmd := exec.Command(kiteBin, "run", "--", "/bin/sh", "-c", script)
		stdin, err := cmd.StdinPipe()
		if err != nil {
			b.Fatal(err)
		}
		out, err := cmd.StdoutPipe()
		if err != nil {
			b.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		lines := bufio.NewScanner(out)
		var rss [3]float64
		for k, want := range []string{"start", "written", "removed"} {
			if !lines.Scan() || lines.Text() != want {
				b.Fatalf("waiting for %q: got %q, %v", want, lines.Text(), lines.Err())
			}
			rss[k] = vmRSSMiB(b, cmd.Process.Pid)
			fmt.Fprintln(stdin, "go")
		}
		stdin.Close()
		if err := cmd.Wait(); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(rss[0], "start-MiB")
		b.ReportMetric(rss[1], "written-MiB")
		b.ReportMetric(rss[2], "removed-MiB")
		b.ReportMetric(rss[2]-rss[0], "kept-MiB")
	}
}

// vmRSSMiB returns a host process's VmRSS in MiB.
func vmRSSMiB(b *testing.B, pid int) float64 {
	s, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(s), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 64)
			if err != nil {
				b.Fatal(err)
			}
			return kb / 1024
		}
	}
	b.Fatal("no VmRSS")
	return 0
}
