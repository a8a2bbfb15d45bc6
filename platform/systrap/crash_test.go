package systrap

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestCrashHelper is the process TestCrashKillsStubs kills: it sets up a
// stub with a Context's thread in it, prints the stub's pid and blocks.
func TestCrashHelper(t *testing.T) {
	if os.Getenv("KITE_SYSTRAP_CRASH_HELPER") == "" {
		t.Skip("helper process only")
	}
	e := newEnv(t)
	e.loadCode(t, cat(insSyscall, insLoop))
	c := newCtx(t, e.p)
	r := startRegs(codeAddr)
	if _, _, err := c.Switch(e.as, &r); err != nil {
		t.Fatal(err)
	}
	fmt.Printf("stub %d\n", e.as.(*addressSpace).pid)
	go func() {
		// Run the loop so the stub is executing, not stopped, at the
		// crash.
		runtime.LockOSThread()
		select {}
	}()
	c.Switch(e.as, &r)
	select {}
}

func TestCrashKillsStubs(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashHelper$", "-test.count=1")
	cmd.Env = append(os.Environ(), "KITE_SYSTRAP_CRASH_HELPER=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer cmd.Process.Kill()
	sc := bufio.NewScanner(out)
	var pid int
	for sc.Scan() {
		if _, err := fmt.Sscanf(sc.Text(), "stub %d", &pid); err == nil {
			break
		}
	}
	if pid == 0 {
		t.Fatal("helper printed no stub pid")
	}
	time.Sleep(20 * time.Millisecond)
	if gone(pid) {
		t.Fatal("stub not running before the crash")
	}
	cmd.Process.Signal(unix.SIGKILL)
	for i := 0; i < 200 && !gone(pid); i++ {
		time.Sleep(10 * time.Millisecond)
	}
	if !gone(pid) {
		t.Fatalf("stub %d survived kite's death", pid)
	}
}
