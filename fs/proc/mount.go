package proc

import (
	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/vfs"
)

// RegisterType makes "proc" mountable with mount(2) in v, showing the
// processes of src. Each mount is a new procfs instance (its own device
// number), as on Linux since 5.8. No mount options are supported yet
// (hidepid=, gid=, subset= give EINVAL).
func RegisterType(v *vfs.VirtualFilesystem, src Source) {
	v.RegisterFilesystemType("proc", func(ctx vfs.Context, _ string, _ uint32, data string) (vfs.Filesystem, error) {
		if data != "" {
			return nil, unix.EINVAL
		}
		return New(v, src.ForMount(ctx)), nil
	})
}
