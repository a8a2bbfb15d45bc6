package strace

import (
	"strings"
	"testing"
)

func TestExecLine(t *testing.T) {
	var b strings.Builder
	tr := New(&b)
	tr.Exec(1, "/bin/true", []string{"/bin/true", "a\tb", strings.Repeat("x", 40)}, 2)
	want := `[pid 1] execve("/bin/true", ["/bin/true", "a\tb", "` + strings.Repeat("x", 32) + `"...], /* 2 vars */) = 0` + "\n"
	if b.String() != want {
		t.Errorf("got  %q\nwant %q", b.String(), want)
	}
}
