package tests

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestLibseccomp runs a program that builds and loads its filter with
// libseccomp (argument comparisons, masked equality, errno actions) on
// the host and under kite, and libseccomp's scmp_sys_resolver.
func TestLibseccomp(t *testing.T) {
	if _, err := os.Stat("/usr/include/seccomp.h"); err != nil {
		t.Skip("libseccomp-dev is not installed (.ci/run installs it)")
	}
	src, _ := filepath.Abs("ociprogs/libseccomp_prog.c")
	bin := filepath.Join(workDir, "libseccomp_prog")
	if out, err := exec.Command("gcc", "-O1", "-o", bin, src, "-lseccomp").CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, out)
	}
	compare(t, nil, bin)
	t.Run("scmp_sys_resolver", func(t *testing.T) {
		need(t, "/usr/bin/scmp_sys_resolver")
		compare(t, nil, "/usr/bin/scmp_sys_resolver", "-a", "x86_64", "getpid")
		compare(t, nil, "/usr/bin/scmp_sys_resolver", "-a", "x86_64", "39")
		compare(t, nil, "/usr/bin/scmp_sys_resolver", "no_such_call")
	})
}
