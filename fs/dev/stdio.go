package dev

import (
	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/fs/hostfs"
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
//     hostfs.NewConsoleInode(c), hostfs.NewConsoleFile(c), flags).
func StdioName(c *hostfs.Console) string {
	switch c.Kind() {
	case hostfs.ConsoleTerminal:
		return "console"
	case hostfs.ConsoleCharDev:
		st, err := c.Stat()
		if err != nil || unix.Major(st.Rdev) != MemMajor {
			return ""
		}
		switch unix.Minor(st.Rdev) {
		case NullMinor:
			return "null"
		case ZeroMinor:
			return "zero"
		case FullMinor:
			return "full"
		case RandomMinor:
			return "random"
		case URandomMinor:
			return "urandom"
		}
	}
	return ""
}
