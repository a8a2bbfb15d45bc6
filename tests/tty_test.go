package tests

import "testing"

// TestTerminalPrograms runs programs that make pseudo-terminals, on the
// host and under kite: script(1) running a command on a new terminal,
// python's pty.fork, and ps showing the terminal and foreground group.
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
	t.Run("ps-tty", func(t *testing.T) {
		need(t, "/usr/bin/script", "/usr/bin/ps")
		compare(t, nil, "/usr/bin/script", "-qc",
			`ps -o tty=,stat=,comm= -p $$ | sed 's/[0-9][0-9]*/N/'`, "/dev/null")
	})
}
