package bench

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkDoTrue is the wall time of `kite do /bin/true` (the host's /
// under a memory layer, kite's /proc, /sys, /dev and /tmp, start-up and
// shutdown) against /bin/true itself.
func BenchmarkDoTrue(b *testing.B) {
	host := timeRuns(b, []string{"/bin/true"})
	kite := timeRuns(b, []string{kiteBin, "do", "--", "/bin/true"})
	b.ReportMetric(float64(kite)/float64(host), "kite/host")
	b.Logf("host %v, kite do %v per run, ratio %.1f", host, kite, float64(kite)/float64(host))
}

// BenchmarkPodmanTrue is the wall time of `podman run --rm IMAGE
// /bin/true` with kite as the runtime against runc (a busybox image built
// from the host's static busybox; skipped without podman, runc or
// busybox-static).
func BenchmarkPodmanTrue(b *testing.B) {
	for _, p := range []string{"podman", "/usr/sbin/runc", "/bin/busybox"} {
		if _, err := exec.LookPath(p); err != nil {
			b.Skipf("%s is not installed", p)
		}
	}
	const image = "localhost/kite-bench-busybox:latest"
	root := filepath.Join(workDir, "bench-rootfs")
	os.MkdirAll(filepath.Join(root, "bin"), 0o755)
	data, err := os.ReadFile("/bin/busybox")
	if err == nil {
		err = os.WriteFile(filepath.Join(root, "bin", "busybox"), data, 0o755)
	}
	if err != nil {
		b.Fatal(err)
	}
	os.Symlink("busybox", filepath.Join(root, "bin", "true"))
	tarball := filepath.Join(workDir, "bench-rootfs.tar")
	if out, err := exec.Command("tar", "-C", root, "-cf", tarball, ".").CombinedOutput(); err != nil {
		b.Fatalf("tar: %v\n%s", err, out)
	}
	if out, err := exec.Command("podman", "import", tarball, image).CombinedOutput(); err != nil {
		b.Fatalf("podman import: %v\n%s", err, out)
	}
	run := func(runtime string) []string {
		return []string{"podman", "--runtime", runtime, "run", "--rm", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024", image, "/bin/true"}
	}
	runc := timeRuns(b, run("/usr/sbin/runc"))
	kite := timeRuns(b, run(kiteBin))
	b.ReportMetric(float64(kite)/float64(runc), "kite/runc")
	b.Logf("runc %v, kite %v per podman run, ratio %.2f", runc, kite, float64(kite)/float64(runc))
}

// timeRuns runs argv b.N times (at least 3) and returns the mean wall
// time of one run.
func timeRuns(b *testing.B, argv []string) time.Duration {
	n := max(b.N, 3)
	start := time.Now()
	for i := 0; i < n; i++ {
		if out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput(); err != nil {
			b.Fatalf("%v: %v\n%s", argv, err, out)
		}
	}
	return time.Since(start) / time.Duration(n)
}
