package tests

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestGoPrograms builds each program in goprogs/ with CGO_ENABLED=0 and
// compares its runs on the host and under kite.
func TestGoPrograms(t *testing.T) {
	dirs, err := filepath.Glob("goprogs/*/main.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range dirs {
		dir := filepath.Dir(m)
		name := filepath.Base(dir)
		t.Run(name, func(t *testing.T) {
			bin := filepath.Join(workDir, "go-"+name)
			cmd := exec.Command("go", "build", "-o", bin, "./"+dir)
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("building %s: %v\n%s", name, err, out)
			}
			compare(t, nil, bin)
		})
	}
}
