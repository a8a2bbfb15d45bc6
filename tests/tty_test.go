package tests

import "testing"

// TestTerminalPrograms runs programs that make pseudo-terminals, on the
// host and under kite: script(1) running a command on a new terminal,
// python's pty.fork and pty.spawn, a tmux server driven with send-keys and
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
	t.Run("python-pty-spawn", func(t *testing.T) {
		need(t, "/usr/bin/python3", "/bin/sh")
		// pty.spawn copies between its stdin/stdout and a new terminal
		// whose slave runs the command; stdin here is not a terminal.
		compare(t, nil, "/usr/bin/python3", "-c", `import os, pty
st = pty.spawn(["/bin/sh", "-c", "tty | sed 's/[0-9]*$/N/'; stty size; echo hi; exit 3"])
print("status", os.waitstatus_to_exitcode(st))`)
	})
	t.Run("tmux", func(t *testing.T) {
		need(t, "/usr/bin/tmux", "/bin/sh")
		// A tmux server inside kite (the host's tmux is not involved):
		// a new detached session, keys sent to it, its screen read back.
		compare(t, nil, "/bin/sh", "-c", `tmux -L inner -f /dev/null new-session -d -x 60 -y 10 'PS1="P$ " sh' || exit 1
i=0
until tmux -L inner capture-pane -p | grep -q '^P\$'; do i=$((i+1)); [ $i -gt 400 ] && break; sleep 0.05; done
tmux -L inner send-keys 'echo $((40+2)); tty' Enter
i=0
until [ "$(tmux -L inner capture-pane -p | grep -c '^P\$')" -ge 2 ]; do i=$((i+1)); [ $i -gt 400 ] && break; sleep 0.05; done
tmux -L inner capture-pane -p | grep -v '^$' | sed 's/[0-9]*$/N/'
tmux -L inner kill-server
# the server is not this shell's child: wait until it has gone (kite
# ending while a process is still exiting is issue material of its own)
i=0
while tmux -L inner ls >/dev/null 2>&1 || pgrep -x tmux >/dev/null 2>&1; do i=$((i+1)); [ $i -gt 400 ] && break; sleep 0.05; done
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
	t.Run("expect-bash-job-control", func(t *testing.T) {
		need(t, "/usr/bin/expect", "/bin/bash", "/usr/bin/env")
		// An interactive bash on expect's terminal: ^Z stops the
		// foreground job, jobs/bg/kill/wait manage it, ^C ends a
		// reading cat; what each step printed, echo included, is
		// compared (output the master has not read yet must survive
		// the ^Z and ^C flushes, as tty_flush checks byte by byte).
		compare(t, nil, "/usr/bin/expect", "-c", `set timeout 20
log_user 0
spawn env -i TERM=dumb PS1=P\$\  PATH=/usr/bin:/bin bash --norc --noprofile -i
proc show {label} {
	global expect_out
	puts "$label: [string map {"\r" "" "\n" "|"} $expect_out(buffer)]"
}
expect "P\$ "
send "sh -c 'echo \$((6*7)); exec sleep 30'\r"
expect "42"
send "\032"
expect "P\$ "
show "^Z"
send "jobs; bg; jobs\r"
expect "P\$ "
show "bg"
send "kill %1; wait %1; echo status \$?\r"
expect "P\$ "
show "kill"
send "sh -c 'echo \$((6*7)); exec cat'\r"
expect "42"
send "\003"
expect "P\$ "
show "^C"
send "echo \$?; exit 5\r"
expect eof
show "exit"
lassign [wait] pid spawnid os status
puts "status $status"
`)
	})
	t.Run("ps-tty", func(t *testing.T) {
		need(t, "/usr/bin/script", "/usr/bin/ps")
		compare(t, nil, "/usr/bin/script", "-qc",
			`ps -o tty=,stat=,comm= -p $$ | sed 's/[0-9][0-9]*/N/'`, "/dev/null")
	})
}

// TestRunTTYFlags checks kite run's -t/--tty and --no-tty without a
// terminal: -t gives the program a kite pseudo-terminal for its stdio
// (output through ONLCR, as docker run -t), --no-tty and the default
// keep kite's stdio, and the program's status passes out either way.
func TestRunTTYFlags(t *testing.T) {
	need(t, "/usr/bin/tty", "/bin/sh")
	for _, c := range []struct {
		flags  []string
		stdout string
		status string
	}{
		{[]string{"-t"}, "/dev/pts/0\r\n", "exit 0"},
		{[]string{"--tty"}, "/dev/pts/0\r\n", "exit 0"},
		{[]string{"--no-tty"}, "not a tty\n", "exit 1"},
		{nil, "not a tty\n", "exit 1"},
	} {
		argv := append(append([]string{kiteBin, "run"}, c.flags...), "--", "/usr/bin/tty")
		r := runCmd(t, nil, testEnv, argv...)
		if r.stdout != c.stdout || r.status != c.status {
			t.Errorf("kite run %v -- tty: %s", c.flags, r)
		}
	}
	r := runCmd(t, nil, testEnv, kiteBin, "run", "-t", "--", "/bin/sh", "-c", "exit 5")
	if r.status != "exit 5" {
		t.Errorf("kite run -t -- sh -c 'exit 5': %s", r)
	}
	r = runCmd(t, nil, testEnv, kiteBin, "run", "-t", "--no-tty", "--", "/bin/sh")
	if r.status != "exit 2" {
		t.Errorf("kite run -t --no-tty: %s", r)
	}
}
