package dev

import (
	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/vfs"
)

// RegisterType makes "devtmpfs" mountable with mount(2) in v. Every mount
// shows the same instance, as Linux's devtmpfs; pass the one cmd/kite
// mounts on /dev (nil makes a new one). It takes no options (EINVAL).
func RegisterType(v *vfs.VirtualFilesystem, fs *Filesystem) {
	if fs == nil {
		fs = New(v.Now())
	}
	v.RegisterFilesystemType("devtmpfs", func(_ vfs.Context, _ string, _ uint32, data string) (vfs.Filesystem, error) {
		if data != "" {
			return nil, unix.EINVAL
		}
		return fs, nil
	})
}
