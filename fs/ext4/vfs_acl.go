package ext4

import (
	"encoding/binary"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/vfs"
)

// POSIX ACLs: the VFS hands ACLs in the xattr format (version 2, 8-byte
// entries); ext4 stores them in its compact form (version 1, 4-byte
// entries for the owner, owning group, mask and other, 8-byte ones with
// an id for named users and groups).

const (
	ext4ACLVersion  = 1
	xattrACLVersion = 2
	aclTagUser      = 0x02
	aclTagGroup     = 0x08
	aclUndefinedID  = 0xffffffff
)

// EncodeACL converts an ACL from the xattr format to ext4's.
func EncodeACL(x []byte) ([]byte, error) {
	if len(x) < 4 || (len(x)-4)%8 != 0 || binary.LittleEndian.Uint32(x) != xattrACLVersion {
		return nil, unix.EINVAL
	}
	out := binary.LittleEndian.AppendUint32(nil, ext4ACLVersion)
	for off := 4; off < len(x); off += 8 {
		tag := binary.LittleEndian.Uint16(x[off:])
		out = append(out, x[off:off+4]...)
		if tag == aclTagUser || tag == aclTagGroup {
			out = append(out, x[off+4:off+8]...)
		}
	}
	return out, nil
}

// DecodeACL converts an ACL from ext4's format to the xattr format.
func DecodeACL(e []byte) ([]byte, error) {
	if len(e) < 4 || binary.LittleEndian.Uint32(e) != ext4ACLVersion {
		return nil, unix.EIO
	}
	out := binary.LittleEndian.AppendUint32(nil, xattrACLVersion)
	for off := 4; off < len(e); {
		if off+4 > len(e) {
			return nil, unix.EIO
		}
		tag := binary.LittleEndian.Uint16(e[off:])
		out = append(out, e[off:off+4]...)
		off += 4
		if tag == aclTagUser || tag == aclTagGroup {
			if off+4 > len(e) {
				return nil, unix.EIO
			}
			out = append(out, e[off:off+4]...)
			off += 4
		} else {
			out = binary.LittleEndian.AppendUint32(out, aclUndefinedID)
		}
	}
	return out, nil
}

// POSIXACL implements vfs.ACLInode: ext4 keeps POSIX ACLs.
func (i vfsInode) POSIXACL() bool { return true }

// getACL returns ACL attribute name of the inode in the xattr format.
func (i vfsInode) getACL(name string) ([]byte, error) {
	xs, err := i.fs().Xattrs(i.ino)
	if err != nil {
		return nil, errno(err)
	}
	for _, x := range xs {
		if x.Name == name {
			return DecodeACL(x.Value)
		}
	}
	return nil, unix.ENODATA
}

// setACL sets or removes ACL attribute name, given in the xattr format.
func (i vfsInode) setACL(name string, value []byte, flags int, remove bool) error {
	var e []byte
	if !remove {
		var err error
		if e, err = EncodeACL(value); err != nil {
			return err
		}
	}
	return errno(i.fs().SetACL(i.ino, name, e, flags, remove))
}

var _ vfs.ACLInode = vfsInode{}
