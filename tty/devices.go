package tty

import (
	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/fs/dev"
	"github.com/kite-os/kite/vfs"
)

// RegisterDevices installs the drivers of /dev/tty (5:0) and /dev/console
// (5:1) in v. console is the terminal kite's stdio is connected to; nil,
// or a console that is not a terminal, makes both fail to open with
// ENXIO.
func RegisterDevices(v *vfs.VirtualFilesystem, console *Console) {
	openConsole := func(vfs.Context, uint64, int) (vfs.FileOperations, error) {
		if console == nil || !console.IsTerminal() {
			return nil, unix.ENXIO
		}
		return NewConsoleFile(console), nil
	}
	v.RegisterDevice(unix.S_IFCHR, dev.TTYAuxMajor, dev.TTYMinor, openConsole)
	v.RegisterDevice(unix.S_IFCHR, dev.TTYAuxMajor, dev.ConsoleMinor, openConsole)
}
