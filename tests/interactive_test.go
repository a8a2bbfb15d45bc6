package tests

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// tmuxSession is a shell under kite in a detached tmux session on the
// host: a real terminal that the test types into and reads back, so
// that kite's host-terminal wiring (raw mode, kite's pseudo-terminal,
// job control) is exercised as a user at a terminal would.
type tmuxSession struct {
	t      *testing.T
	socket string
	dir    string
}

// interactiveWait bounds each wait for the screen to show something.
const interactiveWait = 30 * time.Second

func startTmux(t *testing.T, name string, argv ...string) *tmuxSession {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed (.ci/run installs it)")
	}
	dir := t.TempDir()
	s := &tmuxSession{t: t, socket: fmt.Sprintf("kite-test-%d-%s-%d", os.Getpid(), name, time.Now().UnixNano()), dir: dir}
	status := filepath.Join(dir, "status")
	sttyOut := filepath.Join(dir, "stty")
	// When kite exits, its status and the host terminal's settings are
	// written down; the pane stays (remain-on-exit) for the last look.
	cmd := fmt.Sprintf("env PS1='PROMPT$ ' ENV= %s run -- %s; echo $? > %s; stty -a > %s",
		kiteBin, strings.Join(argv, " "), status, sttyOut)
	s.tmux("-f", "/dev/null", "new-session", "-d", "-x", "100", "-y", "30", "sh", "-c", cmd)
	t.Cleanup(func() { exec.Command("tmux", "-L", s.socket, "kill-server").Run() })
	s.tmux("set-option", "-g", "remain-on-exit", "on")
	return s
}

func (s *tmuxSession) tmux(args ...string) string {
	s.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-L", s.socket}, args...)...).CombinedOutput()
	if err != nil {
		s.t.Fatalf("tmux %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func (s *tmuxSession) screen() string {
	return s.tmux("capture-pane", "-p", "-S", "-200")
}

// send types keys (tmux key names, such as Enter or C-c).
func (s *tmuxSession) send(keys ...string) {
	s.t.Helper()
	s.tmux(append([]string{"send-keys"}, keys...)...)
}

// line types text and Enter.
func (s *tmuxSession) line(text string) {
	s.t.Helper()
	s.send("-l", text)
	s.send("Enter")
}

// waitFor waits until the screen matches re n times or more.
func (s *tmuxSession) waitFor(re string, n int) {
	s.t.Helper()
	rx := regexp.MustCompile(re)
	deadline := time.Now().Add(interactiveWait)
	for {
		scr := s.screen()
		if len(rx.FindAllString(scr, -1)) >= n {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("the screen never showed %q (%d times):\n%s", re, n, scr)
		}
		time.Sleep(20 * time.Millisecond) // polling the screen, not synchronising
	}
}

// interrupt types ^C and waits for the shell's next prompt.
func (s *tmuxSession) interrupt() { s.keyThenPrompt("C-c") }

// keyThenPrompt types key and waits for the shell's next prompt.
func (s *tmuxSession) keyThenPrompt(key string) {
	s.t.Helper()
	n := strings.Count(s.screen(), "PROMPT$")
	s.send(key)
	s.waitFor(`PROMPT\$`, n+1)
}

// waitGone waits up to d for the screen to stop matching re.
func (s *tmuxSession) waitGone(re string, d time.Duration) bool {
	s.t.Helper()
	rx := regexp.MustCompile(re)
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if !rx.MatchString(s.screen()) {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

// exitStatus waits for kite to end and returns its status and the host
// terminal's settings after it.
func (s *tmuxSession) exitStatus() (string, string) {
	s.t.Helper()
	deadline := time.Now().Add(interactiveWait)
	for {
		b, err := os.ReadFile(filepath.Join(s.dir, "stty"))
		if err == nil && len(b) > 0 {
			st, _ := os.ReadFile(filepath.Join(s.dir, "status"))
			return strings.TrimSpace(string(st)), string(b)
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("kite did not exit:\n%s", s.screen())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestInteractiveShells drives bash, dash and busybox sh under kite
// through a real terminal: a command, ^C on sleep (status 130), ^Z,
// jobs and fg, less and vim, the exit status passed out, and the host terminal
// sane again afterwards.
func TestInteractiveShells(t *testing.T) {
	shells := []struct {
		name string
		argv []string
	}{
		{"bash", []string{"/bin/bash", "--norc", "--noprofile", "-i"}},
		{"dash", []string{"/bin/dash", "-i"}},
		{"busybox", []string{"/bin/busybox", "sh", "-i"}},
	}
	for _, sh := range shells {
		t.Run(sh.name, func(t *testing.T) {
			if _, err := os.Stat(sh.argv[0]); err != nil {
				t.Skipf("%s is not installed", sh.argv[0])
			}
			s := startTmux(t, sh.name, sh.argv...)
			s.waitFor(`PROMPT\$`, 1)
			// Each step ends with a marker line the shell prints once the
			// step is over: the typed command shows "echo mark-N", the
			// output a line of its own.
			step := 0
			mark := func() {
				step++
				s.line(fmt.Sprintf("echo mark-%d", step))
				// Typed ahead of the prompt, the output follows it.
				s.waitFor(fmt.Sprintf(`(?m)^(PROMPT\$ )?mark-%d$`, step), 1)
			}
			s.line("echo hello from $((6*7)); tty")
			s.waitFor(`(?m)^hello from 42\n/dev/pts/\d+$`, 1)
			mark()

			// The jobs say they started once their shell has been given
			// the terminal (a forked job takes it before it runs), so
			// ^C and ^Z reach them and not the interactive shell.
			s.line(`sh -c 'echo started-1; exec sleep 30'`)
			s.waitFor(`(?m)^started-1$`, 1)
			s.interrupt()
			s.line("echo status=$?")
			s.waitFor(`(?m)^status=130$`, 1)

			s.line(`sh -c 'trap "echo continued" CONT; echo started-2; while :; do sleep 1; done'`)
			s.waitFor(`(?m)^started-2$`, 1)
			s.keyThenPrompt("C-z")
			s.waitFor(`Stopped`, 1)
			s.line("jobs")
			s.waitFor(`Stopped`, 2)
			mark()
			s.line("fg")
			s.waitFor(`(?m)^continued$`, 1)
			s.interrupt()
			s.line("echo fg-status=$?")
			s.waitFor(`(?m)^fg-status=130$`, 1)
			mark()

			if _, err := os.Stat("/usr/bin/ps"); err == nil && sh.name == "bash" {
				// ps shows the terminal and the foreground job's "+"
				// (with N or < when the tests run under a nice value,
				// which kite's processes inherit as Linux's do).
				s.line("/usr/bin/ps -o tty,stat,comm")
				s.waitFor(`(?m)^pts/\d+\s+S[N<]?s\s+bash\npts/\d+\s+R[N<]?\+\s+ps$`, 1)
				mark()
			}
			if _, err := os.Stat("/usr/bin/less"); err == nil {
				s.line("less /etc/passwd")
				s.waitFor(`root:x:0:0`, 1)
				s.send("q")
				mark()
			}
			if _, err := os.Stat("/usr/bin/vim"); err == nil {
				s.line("vim -u NONE -i NONE -N -n /etc/hostname")
				s.waitFor(`"/etc/hostname"`, 1)
				// vim drops what is typed while it starts up (as on
				// Linux): type the quit again until it has gone.
				for i := 0; i < 10; i++ {
					s.send("Escape")
					s.send("-l", ":q!")
					s.send("Enter")
					if s.waitGone(`"/etc/hostname"`, 2*time.Second) {
						break
					}
				}
				mark()
			}
			s.line("exit 7")
			status, stty := s.exitStatus()
			if status != "7" {
				t.Errorf("kite's status %q, want 7\n%s", status, s.screen())
			}
			for _, flag := range []string{"icanon", "echo", "isig", "icrnl", "opost"} {
				if strings.Contains(stty, "-"+flag+" ") || !strings.Contains(stty, flag) {
					t.Errorf("host terminal not restored (%s):\n%s", flag, stty)
				}
			}
		})
	}
}
