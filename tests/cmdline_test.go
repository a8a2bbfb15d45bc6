package tests

import (
	"os/exec"
	"testing"
)

// TestNiceInherited checks that the program starts with the nice value
// kite was started with, as a child of the shell would.
func TestNiceInherited(t *testing.T) {
	niceBin, err := exec.LookPath("nice")
	if err != nil {
		t.Skip("nice is not installed (coreutils)")
	}
	host := runCmd(t, nil, testEnv, niceBin, "-n", "5", niceBin)
	kite := underKite(runCmd(t, nil, testEnv, niceBin, "-n", "5", kiteBin, "run", "--", niceBin))
	if host != kite {
		t.Errorf("nice -n 5 nice differs between host and kite\n--- host:\n%s\n--- kite:\n%s", host, kite)
	}
}
