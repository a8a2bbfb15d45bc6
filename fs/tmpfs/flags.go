package tmpfs

import (
	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/vfs"
)

// Attribute flags, as Linux's shmem has them: immutable, append-only,
// no-dump and no-atime, the last two inherited from the directory a file
// is made in. The VFS enforces them (vfs/attrflags.go).
const (
	userFlags      = vfs.FlagImmutable | vfs.FlagAppend | vfs.FlagNodump | vfs.FlagNoatime
	inheritedFlags = vfs.FlagsInherited & userFlags // no-dump, no-atime
)

// AttrFlags implements vfs.AttrFlagsInode.
func (i *inode) AttrFlags() uint32 {
	i.mu.RLock()
	defer i.mu.RUnlock()
	return i.fsflags
}

// SetAttrFlags implements vfs.AttrFlagsInode: flags beyond the four
// tmpfs keeps are EOPNOTSUPP.
func (i *inode) SetAttrFlags(_ vfs.Context, flags uint32, ctime unix.Timespec) error {
	if flags&^userFlags != 0 {
		return unix.EOPNOTSUPP
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	i.fsflags = flags
	i.ctime = ctime
	return nil
}
