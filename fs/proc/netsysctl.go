package proc

import (
	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/vfs"
)

// netSysctlFile is a file of /proc/sys/net. As Linux's
// net_ctl_set_ownership, it belongs to root of the user namespace that
// owns the reader's network namespace; as net_ctl_permissions and
// test_perm, a caller with CAP_NET_ADMIN over that user namespace gets
// the owner's access bits, and otherwise the kernel's root user gets
// them, root's group the group bits and everyone else the others'.
type netSysctlFile struct {
	*dataFile
	w NetSysctlOwner
}

// netSysctlInode is d as a file of the reader's network namespace, or a
// sysctl of root's when w is nil (a tree of files of the whole kernel,
// whose mode holds for root too).
func netSysctlInode(d *dataFile, w NetSysctlOwner) vfs.Inode {
	if w == nil {
		return &sysctlFile{d}
	}
	return &netSysctlFile{dataFile: d, w: w}
}

// Stat implements vfs.Inode.
func (f *netSysctlFile) Stat(ctx vfs.Context) (vfs.Stat, error) {
	uid, gid := f.w.NetSysctlOwner(ctx)
	return f.stat(unix.S_IFREG|f.mode, uid, gid, 1), nil
}

// Permission implements vfs.PermissionChecker.
func (f *netSysctlFile) Permission(ctx vfs.Context, want int) error {
	c := ctx.Credentials()
	return sysctlPermission(c, f.mode, f.w.NetAdmin(ctx) || c.EffectiveUID == 0, 0, want)
}
