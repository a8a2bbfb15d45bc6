package ext4

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// aclValue encodes ACL entries (tag, perm, id) in the xattr format.
func aclValue(es ...[3]uint32) []byte {
	b := binary.LittleEndian.AppendUint32(nil, 2)
	for _, e := range es {
		b = binary.LittleEndian.AppendUint16(b, uint16(e[0]))
		b = binary.LittleEndian.AppendUint16(b, uint16(e[1]))
		b = binary.LittleEndian.AppendUint32(b, e[2])
	}
	return b
}

// TestVFSACL sets a default ACL on an ext4 directory through the VFS: a
// new file inherits it, access follows it, and after a remount the ACLs
// read back the same; e2fsck accepts the on-disk encoding and debugfs
// shows ext4's compact form.
func TestVFSACL(t *testing.T) {
	img := mkImage(t)
	tr := mountImage(t, img, true)
	v, fsc, cwd := tr.v, tr.fsc, tr.fsc.Cwd()
	if err := v.MkdirAt(vroot, fsc, cwd, "/d", 0o777); err != nil {
		t.Fatal(err)
	}
	const none = 0xffffffff
	dflt := aclValue([3]uint32{1, 7, none}, [3]uint32{2, 6, 1000}, [3]uint32{4, 5, none}, [3]uint32{0x10, 7, none}, [3]uint32{0x20, 0, none})
	if err := v.SetXattr(vroot, tr.path("/d"), "system.posix_acl_default", dflt, 0); err != nil {
		t.Fatal(err)
	}
	f, err := v.OpenAt(vroot, fsc, cwd, "/d/f", unix.O_WRONLY|unix.O_CREAT, 0o666)
	if err != nil {
		t.Fatal(err)
	}
	f.DecRef(vroot)
	want := aclValue([3]uint32{1, 6, none}, [3]uint32{2, 6, 1000}, [3]uint32{4, 5, none}, [3]uint32{0x10, 6, none}, [3]uint32{0x20, 0, none})
	check := func() {
		t.Helper()
		if st := tr.stat("/d/f"); st.Mode&0o777 != 0o660 {
			t.Errorf("mode %o, want 660", st.Mode&0o777)
		}
		got, err := v.GetXattr(vroot, tr.path("/d/f"), "system.posix_acl_access")
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("access ACL %x %v, want %x", got, err, want)
		}
		got, err = v.GetXattr(vroot, tr.path("/d"), "system.posix_acl_default")
		if err != nil || !bytes.Equal(got, dflt) {
			t.Errorf("default ACL %x %v, want %x", got, err, dflt)
		}
	}
	check()
	if f, err := v.OpenAt(vctx{uid: 1000}, fsc, cwd, "/d/f", unix.O_RDWR, 0); err != nil {
		t.Errorf("named user: %v", err)
	} else {
		f.DecRef(vroot)
	}
	if _, err := v.OpenAt(vctx{uid: 1001}, fsc, cwd, "/d/f", unix.O_RDONLY, 0); err != unix.EACCES {
		t.Errorf("other user: %v, want EACCES", err)
	}
	names, err := v.ListXattr(vroot, tr.path("/d"))
	if err != nil || strings.Join(names, ",") != "system.posix_acl_default" {
		t.Errorf("list %v %v", names, err)
	}
	tr.close()
	fsckClean(t, img)
	// ext4's encoding: version 1, short owner entry, the named user
	// with its id, short group, mask and other entries.
	const disk = "= 01 00 00 00 01 00 06 00 02 00 06 00 e8 03 00 00 04 00 05 00 10 00 06 00 20 00 00 00 "
	if out := run(t, "debugfs", "-R", "ea_list /d/f", img); !strings.Contains(out, "system.posix_acl_access (28) "+disk) {
		t.Errorf("debugfs ea_list: %s", out)
	}
	tr = mountImage(t, img, true)
	v, fsc, cwd = tr.v, tr.fsc, tr.fsc.Cwd()
	check()
	if err := v.RemoveXattr(vroot, tr.path("/d/f"), "system.posix_acl_access"); err != nil {
		t.Fatal(err)
	}
	if _, err := v.GetXattr(vroot, tr.path("/d/f"), "system.posix_acl_access"); err != unix.ENODATA {
		t.Errorf("after remove: %v", err)
	}
	tr.close()
	fsckClean(t, img)
}
