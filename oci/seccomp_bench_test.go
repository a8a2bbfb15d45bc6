package oci

import (
	"encoding/binary"
	"encoding/json"
	"os"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/bpf"
)

// BenchmarkDefaultProfile measures what podman's default seccomp profile
// (containers-common's seccomp.json, every rule included) costs per
// system call once compiled: the filter runs on every call.
func BenchmarkDefaultProfile(b *testing.B) {
	raw, err := os.ReadFile("/usr/share/containers/seccomp.json")
	if err != nil {
		b.Skip("containers-common's seccomp.json is not installed (apt-get install podman)")
	}
	var s Seccomp
	if err := json.Unmarshal(raw, &s); err != nil {
		b.Fatal(err)
	}
	prog, err := CompileSeccomp(&s)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(len(prog)), "insns")
	for _, c := range []struct {
		name string
		nr   uint32
	}{{"read", unix.SYS_READ}, {"getppid", unix.SYS_GETPPID}, {"clone", unix.SYS_CLONE}, {"unlisted", 335}} {
		b.Run(c.name, func(b *testing.B) {
			data := make([]byte, bpf.SeccompDataSize)
			binary.LittleEndian.PutUint32(data, c.nr)
			binary.LittleEndian.PutUint32(data[4:], unix.AUDIT_ARCH_X86_64)
			binary.LittleEndian.PutUint64(data[16:], uint64(unix.SIGCHLD))
			for i := 0; i < b.N; i++ {
				bpf.Run(prog, data, binary.LittleEndian)
			}
		})
	}
}
