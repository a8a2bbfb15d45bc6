package tests

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// busybox returns the path of a static busybox, skipping the test when it
// is missing.
func busybox(t *testing.T) string {
	t.Helper()
	const bb = "/bin/busybox"
	if _, err := os.Stat(bb); err != nil {
		t.Skip("busybox is not installed (apt-get install busybox-static)")
	}
	if out, err := exec.Command("file", "-L", bb).Output(); err == nil && !strings.Contains(string(out), "statically linked") && !strings.Contains(string(out), "static-pie") {
		t.Skipf("%s is not statically linked: %s", bb, out)
	}
	return bb
}

// bigFile makes a deterministic 10 MB file outside /tmp.
func bigFile(t *testing.T) string {
	t.Helper()
	p := filepath.Join(workDir, "big.bin")
	if _, err := os.Stat(p); err == nil {
		return p
	}
	b := make([]byte, 10<<20)
	x := uint32(2463534242)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
		if i%61 == 60 {
			b[i] = '\n'
		}
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestBusybox(t *testing.T) {
	bb := busybox(t)
	big := bigFile(t)
	cases := map[string][]string{
		"echo":        {bb, "echo", "hello", "kite"},
		"cat":         {bb, "cat", "/etc/os-release"},
		"ls-la-usr":   {bb, "ls", "-la", "/usr"},
		"wc":          {bb, "wc", big},
		"sha256sum":   {bb, "sha256sum", big},
		"find-doc-gz": {bb, "find", "/usr/share/doc", "-name", "*.gz"},
		"false":       {bb, "false"},
		"cat-missing": {bb, "cat", "/nonexistent/file"},
		"ls-dev":      {bb, "ls", "/dev/null", "/dev/zero"},
		"sh-exit":     {bb, "sh", "-c", "exit 7"},
	}
	for name, argv := range cases {
		t.Run(name, func(t *testing.T) { compare(t, nil, argv...) })
	}
}
