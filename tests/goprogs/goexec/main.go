// Command goexec runs a static child program with os/exec and captures
// its output and exit status.
package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

func main() {
	out, err := exec.Command("/bin/busybox", "echo", "hello", "from", "child").Output()
	fmt.Printf("output %q err %v\n", out, err)
	cmd := exec.Command("/bin/busybox", "sh", "-c", "echo to-stderr >&2; exit 3")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	err = cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		fmt.Printf("exit code %d stderr %q\n", ee.ExitCode(), stderr.String())
	}
	cmd = exec.Command("/bin/busybox", "wc", "-c")
	cmd.Stdin = strings.NewReader(strings.Repeat("x", 100000))
	out, err = cmd.Output()
	fmt.Printf("wc %q %v\n", strings.TrimSpace(string(out)), err)
	_, err = exec.Command("/nonexistent/program").Output()
	fmt.Println("missing program error:", err != nil, errors.Is(err, os.ErrNotExist))
}
