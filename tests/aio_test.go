package tests

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestLibaio builds a libaio program (libaio-dev) dynamically and
// statically and runs it on the host and under kite: its reads, writes,
// syncs, eventfd notifications and polls go through the AIO ring that
// libaio reads in user space.
func TestLibaio(t *testing.T) {
	if _, err := os.Stat("/usr/include/libaio.h"); err != nil {
		t.Skip("libaio-dev is not installed (apt-get install libaio-dev)")
	}
	src, _ := filepath.Abs("aioprogs/libaio_rw.c")
	for _, v := range []struct{ name, flag string }{{"dynamic", "-O1"}, {"static", "-static"}} {
		t.Run(v.name, func(t *testing.T) {
			out := filepath.Join(workDir, "libaio_rw."+v.name)
			if msg, err := exec.Command("gcc", v.flag, "-o", out, src, "-laio").CombinedOutput(); err != nil {
				t.Fatalf("gcc: %v\n%s", err, msg)
			}
			compare(t, nil, out)
		})
	}
}
