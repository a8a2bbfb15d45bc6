package tty

import (
	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/fs/dev"
	"github.com/kite-os/kite/vfs"
)

// StdioName says how to give the application one of kite's host stdio
// fds (wrapped by c) so that fstat, /proc/self/fd and ttyname(3) agree
// with what the application finds in /dev. It returns the name of the
// /dev entry to open for it, or "" when it should be an anonymous file:
//
//   - a terminal: "console" (5:1, which opens c's terminal once
//     RegisterDevices was given it);
//   - a host memory device (null, zero, full, random, urandom): that
//     device's name, so that kite's own driver of the same numbers serves
//     it;
//   - anything else (pipe, socket, regular file): "", to be made with
//     vfs.VirtualFilesystem.NewAnonymousFile(ctx, c.Name(),
//     NewConsoleInode(c), NewConsoleFile(c), flags).
func StdioName(c *Console) string {
	switch c.Kind() {
	case ConsoleTerminal:
		return "console"
	case ConsoleCharDev:
		st, err := c.Stat()
		if err != nil || unix.Major(st.Rdev) != dev.MemMajor {
			return ""
		}
		switch unix.Minor(st.Rdev) {
		case dev.NullMinor:
			return "null"
		case dev.ZeroMinor:
			return "zero"
		case dev.FullMinor:
			return "full"
		case dev.RandomMinor:
			return "random"
		case dev.URandomMinor:
			return "urandom"
		}
	}
	return ""
}

// OpenStdio makes the file the application gets for a host stdio fd
// wrapped by c: the /dev entry StdioName names, opened through the mount
// tree of fsc (so that fstat, /proc/self/fd and ttyname(3) agree with
// /dev), or an anonymous console file. flags are the open(2) flags the
// file gets (access mode and O_APPEND of the host fd). Register the
// devices (RegisterDevices, with the terminal) before calling it. ctx
// must be allowed to open /dev/console (mode 0600, root's).
func OpenStdio(ctx vfs.Context, v *vfs.VirtualFilesystem, fsc *vfs.FSContext, c *Console, flags int) (*vfs.File, error) {
	if name := StdioName(c); name != "" {
		f, err := v.OpenAt(ctx, fsc, fsc.Root(), "/dev/"+name, flags|unix.O_NOCTTY, 0)
		if err == nil {
			return f, nil
		}
		// /dev may not be kite's (a root without it): fall back.
	}
	return v.NewAnonymousFile(ctx, c.Name(), NewConsoleInode(c), NewConsoleFile(c), flags)
}
