package tests

import "testing"

// TestTerminalPrograms runs programs that make pseudo-terminals, on the
// host and under kite: script(1) running a command on a new terminal,
// python's pty.fork, a tmux server driven with send-keys and
// capture-pane, expect, and ps showing the terminal.
// None needs the runner to have a terminal.
func TestTerminalPrograms(t *testing.T) {
	t.Run("script", func(t *testing.T) {
		need(t, "/usr/bin/script", "/bin/sh", "/usr/bin/stty")
		compare(t, nil, "/usr/bin/script", "-qc",
			`tty | sed 's/[0-9]*$/N/'; stty -a; stty raw -echo; stty -g; echo done`, "/dev/null")
	})
	t.Run("python-pty", func(t *testing.T) {
		need(t, "/usr/bin/python3")
		compare(t, nil, "/usr/bin/python3", "-c", `import os, pty, sys
pid, fd = pty.fork()
if pid == 0:
    print("child isatty", os.isatty(0), os.isatty(1), os.getsid(0) == os.getpid())
    print("foreground", os.tcgetpgrp(0) == os.getpgrp())
    line = sys.stdin.readline()
    print("got", repr(line))
    sys.exit(7)
os.write(fd, b"typed text\n")
out = b""
while True:
    try:
        b = os.read(fd, 1024)
    except OSError:
        break
    if not b:
        break
    out += b
print(out.decode().replace("\r\n", "|"))
print("status", os.waitpid(pid, 0)[1] >> 8)`)
	})
	t.Run("tmux", func(t *testing.T) {
		need(t, "/usr/bin/tmux", "/bin/sh")
		// A tmux server inside kite (the host's tmux is not involved):
		// a new detached session, keys sent to it, its screen read back.
		compare(t, nil, "/bin/sh", "-c", `tmux -L inner -f /dev/null new-session -d -x 60 -y 10 'PS1="P$ " sh' || exit 1
tmux -L inner send-keys 'echo $((40+2)); tty' Enter
i=0
until tmux -L inner capture-pane -p | grep -q '^42$'; do i=$((i+1)); [ $i -gt 400 ] && break; sleep 0.05; done
tmux -L inner capture-pane -p | grep -v '^$' | sed 's/[0-9]*$/N/'
tmux -L inner kill-server
echo done`)
	})
	t.Run("expect", func(t *testing.T) {
		need(t, "/usr/bin/expect")
		compare(t, nil, "/usr/bin/expect", "-c", `spawn /bin/sh -c {printf "name? "; read n; echo "hello $n"; exit 3}
expect "name? "
send "kite\r"
expect -re {hello ([a-z]+)}
puts "matched $expect_out(1,string)"
expect eof
lassign [wait] pid spawnid os status
puts "status $status"`)
	})
	t.Run("ps-tty", func(t *testing.T) {
		need(t, "/usr/bin/script", "/usr/bin/ps")
		compare(t, nil, "/usr/bin/script", "-qc",
			`ps -o tty=,stat=,comm= -p $$ | sed 's/[0-9][0-9]*/N/'`, "/dev/null")
	})
}
