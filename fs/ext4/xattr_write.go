package ext4

import (
	"encoding/binary"

	"golang.org/x/sys/unix"
)

// Flags of SetXattr (setxattr(2)'s XATTR_CREATE and XATTR_REPLACE).
const (
	XattrCreate  = 1
	XattrReplace = 2
)

// SetXattr sets attribute name of inode ino. The attributes go in the
// inode when they all fit there, else all in one xattr block. POSIX ACLs
// are set with SetACL, in ext4's own compact form.
func (fs *FS) SetXattr(ino uint32, name string, value []byte, flags int) (err error) {
	if isACLName(name) {
		return unix.EOPNOTSUPP
	}
	return fs.setXattr(ino, name, value, flags, false)
}

// SetACL sets (or with remove, removes) the POSIX ACL attribute name
// (system.posix_acl_access or _default) of inode ino; value is in ext4's
// on-disk ACL encoding (EncodeACL).
func (fs *FS) SetACL(ino uint32, name string, value []byte, flags int, remove bool) error {
	if !isACLName(name) {
		return unix.EOPNOTSUPP
	}
	return fs.setXattr(ino, name, value, flags, remove)
}

func isACLName(name string) bool {
	return name == "system.posix_acl_access" || name == "system.posix_acl_default"
}

func (fs *FS) setXattr(ino uint32, name string, value []byte, flags int, remove bool) (err error) {
	fs.beginOp()
	defer fs.endOp(&err)
	return fs.changeXattr(ino, name, value, flags, remove)
}

// RemoveXattr removes attribute name of inode ino (ENODATA if absent).
func (fs *FS) RemoveXattr(ino uint32, name string) (err error) {
	if isACLName(name) {
		return unix.EOPNOTSUPP
	}
	fs.beginOp()
	defer fs.endOp(&err)
	return fs.changeXattr(ino, name, nil, 0, true)
}

func (fs *FS) changeXattr(ino uint32, name string, value []byte, flags int, remove bool) error {
	if err := fs.writable(); err != nil {
		return err
	}
	if _, suffix, ok := SplitXattrName(name); !ok || name == "system.data" {
		return unix.EOPNOTSUPP
	} else if len(suffix) > 255 {
		return unix.ERANGE
	} else if suffix == "" && !isACLName(name) {
		return unix.EINVAL
	}
	in, err := fs.readInode(ino)
	if err != nil {
		return err
	}
	if in.Flags&FlagInlineData != 0 {
		return unsupported("xattrs of inline-data inode %d", ino)
	}
	a, err := fs.inodeXattrs(in)
	if err != nil {
		return err
	}
	b, err := fs.blockXattrs(in)
	if err != nil {
		return err
	}
	all := append(a, b...)
	found := -1
	for i, x := range all {
		if x.Name == name {
			found = i
		}
	}
	switch {
	case remove && found < 0:
		return unix.ENODATA
	case remove:
		all = append(all[:found], all[found+1:]...)
	case found >= 0 && flags&XattrCreate != 0:
		return unix.EEXIST
	case found < 0 && flags&XattrReplace != 0:
		return unix.ENODATA
	case found >= 0:
		all[found].Value = value
	default:
		all = append(all, Xattr{Name: name, Value: value})
	}
	return fs.storeXattrs(in, all)
}

// storeXattrs rewrites all of an inode's attributes and writes the inode.
func (fs *FS) storeXattrs(in *Inode, xs []Xattr) error {
	size, err := XattrsSize(xs)
	if err != nil {
		return err
	}
	extra := int(in.raw.ExtraIsize)
	inInode := fs.inodeSize > GoodOldInodeSize && size <= InodeXattrRoom(fs.inodeSize, extra)
	var blockXs []Xattr
	if inInode {
		if err := EncodeInodeXattrs(in.disk, extra, xs); err != nil {
			return err
		}
	} else {
		if err := EncodeInodeXattrs(in.disk, extra, nil); err != nil {
			return err
		}
		blockXs = xs
	}
	if len(blockXs) == 0 {
		if in.FileACL != 0 {
			if err := fs.releaseXattrBlock(in); err != nil {
				return err
			}
		}
	} else {
		blk, err := EncodeXattrBlock(fs.blockSize, blockXs)
		if err != nil {
			return err
		}
		target := in.FileACL
		if target != 0 {
			// Reuse our own block; a shared one is left to its other
			// owners.
			old := make([]byte, fs.blockSize)
			if err := fs.readBlock(target, old); err != nil {
				return err
			}
			if binary.LittleEndian.Uint32(old[4:]) != 1 {
				if err := fs.releaseXattrBlock(in); err != nil {
					return err
				}
				target = 0
			}
		}
		if target == 0 {
			goal := fs.groupStart((in.Ino - 1) / fs.sb.InodesPerGroup)
			if target, _, err = fs.allocBlocks(goal, 1); err != nil {
				return err
			}
			fs.addBlocks(in, 1)
			in.FileACL = target
			in.raw.FileACLLo, in.raw.FileACLHigh = uint32(target), uint16(target>>32)
		}
		if fs.csum {
			binary.LittleEndian.PutUint32(blk[xattrBlockCsumOff:], XattrBlockChecksum(blk, fs.csumSeed, target))
		}
		if err := fs.writeBlock(target, blk); err != nil {
			return err
		}
	}
	if !fs.sb.HasCompat(CompatExtAttr) {
		fs.sb.FeatureCompat |= CompatExtAttr
		if err := fs.writeSuper(); err != nil {
			return err
		}
	}
	fs.touch(in, false, true)
	return fs.writeInode(in)
}
