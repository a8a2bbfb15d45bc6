package tty

import (
	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/fs/dev"
	"github.com/kite-os/kite/vfs"
)

// RegisterDevices installs the drivers of /dev/tty (5:0) and /dev/console
// (5:1) in v. console is the terminal kite's stdio is connected to; nil,
// or a console that is not a terminal, makes both fail to open with
// ENXIO. /dev/tty opens the caller's controlling terminal, found through
// sessions (nil: none has one).
func RegisterDevices(v *vfs.VirtualFilesystem, console *Console, sessions Sessions) {
	openConsole := func(vfs.Context, uint64, int) (vfs.FileOperations, error) {
		if console == nil || !console.IsTerminal() {
			return nil, unix.ENXIO
		}
		return NewConsoleFile(console), nil
	}
	openTTY := func(ctx vfs.Context, rdev uint64, flags int) (vfs.FileOperations, error) {
		// The caller's controlling terminal; without one, kite's own
		// terminal when its stdio is one (the console is nobody's
		// controlling terminal in kite's sessions).
		if p := processOf(sessions, ctx); p != nil {
			if t := p.ControllingTerminal(); t != nil {
				return t.pts.openSlave(ctx, t, flags|unix.O_NOCTTY)
			}
		}
		return openConsole(ctx, rdev, flags)
	}
	v.RegisterDevice(unix.S_IFCHR, dev.TTYAuxMajor, dev.TTYMinor, openTTY)
	v.RegisterDevice(unix.S_IFCHR, dev.TTYAuxMajor, dev.ConsoleMinor, openConsole)
}
