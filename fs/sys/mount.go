package sys

import (
	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/vfs"
)

// RegisterType makes "sysfs" mountable with mount(2) in v. Every mount
// shows the same instance (one device number), as Linux's sysfs within one
// network namespace. It takes no options (EINVAL).
func RegisterType(v *vfs.VirtualFilesystem, o Options) {
	fs := New(v.Now(), o)
	v.RegisterFilesystemType("sysfs", func(_ vfs.Context, _ string, _ uint32, data string) (vfs.Filesystem, error) {
		if data != "" {
			return nil, unix.EINVAL
		}
		return fs, nil
	})
}
