package arch

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// cOutput compiles and runs a C program and returns its standard output.
// It skips the test if gcc or the kernel's uapi headers are missing.
func cOutput(t *testing.T, src string) string {
	t.Helper()
	gcc, err := exec.LookPath("gcc")
	if err != nil {
		t.Skip("gcc not installed")
	}
	dir := t.TempDir()
	cfile := filepath.Join(dir, "p.c")
	bin := filepath.Join(dir, "p")
	if err := os.WriteFile(cfile, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(gcc, "-O1", "-o", bin, cfile).CombinedOutput(); err != nil {
		if bytes.Contains(out, []byte("No such file")) {
			t.Skipf("C headers missing: %s", out)
		}
		t.Fatalf("building the C probe: %v\n%s", err, out)
	}
	out, err := exec.Command(bin).Output()
	if err != nil {
		t.Fatalf("C probe: %v", err)
	}
	return string(out)
}

// cValues runs a C program (see cOutput) whose main prints lines of
// "name value" and returns them.
func cValues(t *testing.T, src string) map[string]int64 {
	t.Helper()
	m := map[string]int64{}
	sc := bufio.NewScanner(strings.NewReader(cOutput(t, src)))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 2 {
			t.Fatalf("bad probe line %q", sc.Text())
		}
		v, err := strconv.ParseInt(f[1], 0, 64)
		if err != nil {
			t.Fatalf("bad probe line %q: %v", sc.Text(), err)
		}
		m[f[0]] = v
	}
	return m
}

// checkValues compares want (Go's view) with what the C probe printed.
func checkValues(t *testing.T, got map[string]int64, want map[string]int64) {
	t.Helper()
	for name, w := range want {
		g, ok := got[name]
		if !ok {
			t.Errorf("%s: not printed by the C probe", name)
			continue
		}
		if g != w {
			t.Errorf("%s: C says %d, Go says %d", name, g, w)
		}
	}
}
