package ext4

import (
	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/vfs"
)

// Inode flags users see and change (FS_IOC_GETFLAGS, FS_IOC_SETFLAGS),
// as Linux's ext4 has them.
const (
	FlagUnrm        = 0x2
	FlagCompr       = 0x4
	FlagSync        = 0x8
	FlagNodump      = 0x40
	FlagNocompr     = 0x400
	FlagJournalData = 0x4000
	FlagNotail      = 0x8000
	FlagDirsync     = 0x10000
	FlagTopdir      = 0x20000
	FlagEOFBlocks   = 0x400000
	FlagDax         = 0x01000000
	FlagProjInherit = 0x20000000
	FlagCasefold    = 0x40000000

	flUserVisible    = 0x715BDFFF // EXT4_FL_USER_VISIBLE
	flUserModifiable = 0x614BC0FF // EXT4_FL_USER_MODIFIABLE
	// flUnsupported are modifiable flags whose behaviour kite's ext4
	// lacks (synchronous writes, data journaling, DAX, project quotas,
	// case folding): changing one is EOPNOTSUPP. The others Linux's
	// ext4 only stores (SECRM, UNRM, COMPR, NODUMP, NOTAIL, TOPDIR,
	// EOFBLOCKS) or the VFS enforces (IMMUTABLE, APPEND, NOATIME).
	flUnsupported = FlagSync | FlagJournalData | FlagDirsync | FlagDax | FlagProjInherit | FlagCasefold
)

// maskFlags is Linux's ext4_mask_flags: directories take every flag,
// regular files all but the directory ones, other files only no-dump and
// no-atime.
func maskFlags(mode, flags uint32) uint32 {
	switch mode & ModeFmt {
	case ModeDir:
		return flags
	case ModeReg:
		return flags &^ (FlagDirsync | FlagTopdir | FlagCasefold)
	}
	return flags & (FlagNodump | FlagNoatime)
}

// flInherited are the flags a new inode takes from its directory
// (Linux's EXT4_FL_INHERITED, less those kite's ext4 lacks).
const flInherited = vfs.FlagsInherited &^ flUnsupported

// inheritedFlags returns the flags a new inode of the given mode made in
// directory dir starts with besides its own.
func inheritedFlags(dir *Inode, mode uint32) uint32 {
	return maskFlags(mode, dir.Flags&flInherited)
}

// setStatAllowed is ext4_setattr's first check: an immutable inode's
// attributes do not change at all (not even a chown to -1, -1, nor a
// truncate through a descriptor opened before), an append-only one's
// mode, owner and explicit times neither.
func (i vfsInode) setStatAllowed(s *vfs.SetStat) error {
	fl := i.AttrFlags()
	if fl&FlagImmutable != 0 {
		return unix.EPERM
	}
	if fl&FlagAppend != 0 && s.Mask&(unix.STATX_MODE|unix.STATX_UID|unix.STATX_GID) != 0 {
		return unix.EPERM
	}
	return nil
}

// AttrFlags implements vfs.AttrFlagsInode.
func (i vfsInode) AttrFlags() uint32 {
	var fl uint32
	i.fs().withInode(i.ino, func(in *Inode) { fl = in.Flags & flUserVisible })
	return fl
}

// SetAttrFlags implements vfs.AttrFlagsInode with Linux's
// ext4_fileattr_set rules.
func (i vfsInode) SetAttrFlags(ctx vfs.Context, flags uint32, _ unix.Timespec) error {
	return errno(i.fs().SetFlags(i.ino, flags, ctx.Credentials().HasGlobalCapability(unix.CAP_SYS_RESOURCE)))
}

// SetFlags changes an inode's user-modifiable flags as FS_IOC_SETFLAGS
// does: EOPNOTSUPP for flags users may not see, flags the file's type
// cannot have, and those kite lacks; EPERM for changing anything but
// the immutable flag of an immutable file, or data journaling without
// CAP_SYS_RESOURCE (sysResource). Flags users may not change are kept.
// The extents flag cannot be changed (Linux migrates the file's block
// map; kite does not).
func (fs *FS) SetFlags(ino uint32, flags uint32, sysResource bool) (err error) {
	if flags&^flUserVisible != 0 {
		return unix.EOPNOTSUPP
	}
	flags &= flUserModifiable
	fs.beginOp()
	defer fs.endOp(&err)
	in, err := fs.writableInode(ino)
	if err != nil {
		return err
	}
	if maskFlags(in.Mode, flags) != flags {
		return unix.EOPNOTSUPP
	}
	old := in.Flags
	if old&FlagImmutable != 0 && flags&FlagImmutable != 0 && old&^FlagImmutable != flags&^FlagImmutable {
		return unix.EPERM
	}
	if (flags^old)&FlagJournalData != 0 && !sysResource {
		return unix.EPERM
	}
	if (flags^old)&(flUnsupported|FlagExtents) != 0 {
		return unix.EOPNOTSUPP
	}
	in.Flags = flags | old&^flUserModifiable
	in.raw.Flags = flags | in.raw.Flags&^flUserModifiable
	fs.touch(in, false, true)
	return fs.writeInode(in)
}
