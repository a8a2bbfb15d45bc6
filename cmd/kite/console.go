package main

import (
	"fmt"
	"net"
	"os"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/oci"
)

// attachConsoleSocket gives a container a terminal as runc does for
// --console-socket: it opens a host pseudo-terminal, sends its master to
// the engine over the AF_UNIX socket at path (SCM_RIGHTS), and makes the
// slave kite's own stdin, stdout and stderr, so that kite's terminal
// handling relays it to the container's terminal.
func attachConsoleSocket(path string, size *oci.Box) error {
	slave, err := consoleForSocket(path, size)
	if err != nil {
		return err
	}
	defer slave.Close()
	for fd := 0; fd < 3; fd++ {
		if err := unix.Dup2(int(slave.Fd()), fd); err != nil {
			return fmt.Errorf("console: %w", err)
		}
	}
	return nil
}

// consoleForSocket opens a host pseudo-terminal of the given size, sends
// its master over the AF_UNIX socket at path (SCM_RIGHTS) as runc does,
// and returns the slave.
func consoleForSocket(path string, size *oci.Box) (*os.File, error) {
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("console: %w", err)
	}
	defer master.Close()
	mfd := int(master.Fd())
	if err := unix.IoctlSetPointerInt(mfd, unix.TIOCSPTLCK, 0); err != nil {
		return nil, fmt.Errorf("console: unlockpt: %w", err)
	}
	n, err := unix.IoctlGetInt(mfd, unix.TIOCGPTN)
	if err != nil {
		return nil, fmt.Errorf("console: ptsname: %w", err)
	}
	slave, err := os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("console: %w", err)
	}
	if size != nil {
		unix.IoctlSetWinsize(int(slave.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: uint16(size.Height), Col: uint16(size.Width)})
	}
	conn, err := net.Dial("unix", path)
	if err != nil {
		slave.Close()
		return nil, fmt.Errorf("console socket: %w", err)
	}
	defer conn.Close()
	uc, ok := conn.(*net.UnixConn)
	if !ok {
		slave.Close()
		return nil, fmt.Errorf("console socket %s is not an AF_UNIX socket", path)
	}
	if _, _, err := uc.WriteMsgUnix([]byte("/dev/ptmx"), unix.UnixRights(mfd), nil); err != nil {
		slave.Close()
		return nil, fmt.Errorf("console socket: %w", err)
	}
	return slave, nil
}
