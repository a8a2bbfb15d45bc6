package tests

import (
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
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

// TestBwrapSeccomp runs bubblewrap with every namespace unshared (bwrap
// sets up the new network namespace's lo through netlink) and a seccomp
// filter passed as --seccomp FD (mkdir and mkdirat fail with EPERM), on
// the host and under kite: the pid namespace's view (ps), the hostname,
// the Seccomp lines of /proc/self/status and the filter's effect must
// match.
func TestBwrapSeccomp(t *testing.T) {
	need(t, "/usr/bin/bwrap", "/bin/bash", "/bin/ps")
	// ld nr; mkdir -> ERRNO(EPERM); mkdirat -> ERRNO(EPERM); allow.
	prog := [][4]uint32{{0x20, 0, 0, 0}, {0x15, 0, 1, 83}, {0x06, 0, 0, 0x00050001},
		{0x15, 0, 1, 258}, {0x06, 0, 0, 0x00050001}, {0x06, 0, 0, 0x7fff0000}}
	var bpf []byte
	for _, in := range prog {
		bpf = binary.LittleEndian.AppendUint16(bpf, uint16(in[0]))
		bpf = append(bpf, byte(in[1]), byte(in[2]))
		bpf = binary.LittleEndian.AppendUint32(bpf, in[3])
	}
	filter := filepath.Join(workDir, "bwrap-filter.bpf")
	if err := os.WriteFile(filter, bpf, 0o644); err != nil {
		t.Fatal(err)
	}
	script := `bwrap --ro-bind / / --dev /dev --proc /proc --tmpfs /tmp --unshare-all --hostname bw --seccomp 10 ` +
		`sh -c 'echo pid $$; ps -o pid,comm | head -5; hostname; grep -E "^(NSpid|Seccomp|NoNewPrivs)" /proc/self/status; ` +
		`mkdir /tmp/x 2>&1; echo mkdir=$?; touch /tmp/y && ls /tmp' 10< ` + filter
	r := compare(t, nil, "/bin/bash", "-c", script)
	if !strings.Contains(r.stdout, "Seccomp:\t2") || !strings.Contains(r.stdout, "mkdir=1") {
		t.Errorf("the filter did not apply on the host either:\n%s", r)
	}
}
