package syscalls

import (
	"encoding/binary"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/arch"
	"github.com/kite-os/kite/auth"
	"github.com/kite-os/kite/auth/landlock"
	"github.com/kite-os/kite/kernel"
	"github.com/kite-os/kite/vfs"
)

// Landlock (landlock(7)): rulesets are anonymous files; a task's domain
// hangs on its credentials (package auth/landlock), and the VFS enforces
// it.

// landlock_create_ruleset flags and landlock_add_rule rule types.
const (
	landlockCreateRulesetVersion = 1 << 0
	landlockRulePathBeneath      = 1
)

// Sizes of struct landlock_ruleset_attr (handled_access_fs,
// handled_access_net, scoped; the smallest version has the first only)
// and of the packed struct landlock_path_beneath_attr.
const (
	landlockRulesetAttrSize    = 24
	landlockRulesetAttrMinSize = 8
	landlockPathBeneathSize    = 12
)

// landlockRulesetOps is an open ruleset ("anon_inode:[landlock-ruleset]"):
// read and write fail with EINVAL, as FileDefaults does.
type landlockRulesetOps struct {
	vfs.FileDefaults
	rs *landlock.Ruleset
}

// landlockRulesetInode answers fstat of a ruleset as anon_inodefs does.
type landlockRulesetInode struct {
	vfs.InodeDefaults
}

// Stat implements vfs.Inode.
func (landlockRulesetInode) Stat(vfs.Context) (vfs.Stat, error) {
	return vfs.Stat{Mode: 0o600, Nlink: 1, Blksize: 4096}, nil
}

func landlockCreateRuleset(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	addr, size, flags := a[0], a[1], uint32(a[2])
	if flags != 0 {
		if addr != 0 || size != 0 || flags != landlockCreateRulesetVersion {
			return 0, unix.EINVAL
		}
		return landlock.ABIVersion, nil
	}
	if addr == 0 {
		return 0, unix.EFAULT
	}
	if size < landlockRulesetAttrMinSize {
		return 0, unix.EINVAL
	}
	if size > 4096 { // a page
		return 0, unix.E2BIG
	}
	b, err := copyInStruct(t, addr, landlockRulesetAttrSize, int(size))
	if err != nil {
		return 0, err
	}
	fs := binary.LittleEndian.Uint64(b[0:])
	net := binary.LittleEndian.Uint64(b[8:])
	scoped := binary.LittleEndian.Uint64(b[16:])
	// Network rights and scopes (ABI 4 and 6) are not implemented: no
	// bit of theirs is known.
	if fs&^landlock.MaskAccessFS != 0 || net != 0 || scoped != 0 {
		return 0, unix.EINVAL
	}
	rs, err := landlock.NewRuleset(fs)
	if err != nil {
		return 0, err
	}
	f, err := t.Kernel().VFS().NewAnonymousFile(t, "anon_inode:[landlock-ruleset]", landlockRulesetInode{}, &landlockRulesetOps{rs: rs}, unix.O_RDWR)
	if err != nil {
		return 0, err
	}
	return installFile(t, f, true)
}

// landlockRulesetFile returns the ruleset open at fd with a reference to
// its file that the caller drops: EBADF for no file (or an O_PATH one), EBADFD for a file
// that is not a ruleset, EPERM for one not open for writing (write) or
// reading.
func landlockRulesetFile(t *kernel.Task, fd uintptr, write bool) (*landlock.Ruleset, *vfs.File, error) {
	f, err := getFile(t, uintptr(int32(fd)))
	if err != nil {
		return nil, nil, err
	}
	ops, ok := f.Ops().(*landlockRulesetOps)
	switch {
	case f.IsPath():
		err = unix.EBADF // as for any fd the kernel takes without O_PATH
	case !ok:
		err = unix.EBADFD
	case write && !f.Writable(), !write && !f.Readable():
		err = unix.EPERM
	}
	if err != nil {
		f.DecRef(t)
		return nil, nil, err
	}
	return ops.rs, f, nil
}

func landlockAddRule(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	fd, ruleType, addr, flags := a[0], int(int32(a[1])), a[2], uint32(a[3])
	if flags != 0 {
		return 0, unix.EINVAL
	}
	rs, rf, err := landlockRulesetFile(t, fd, true)
	if err != nil {
		return 0, err
	}
	defer rf.DecRef(t)
	if ruleType != landlockRulePathBeneath {
		return 0, unix.EINVAL
	}
	var b [landlockPathBeneathSize]byte
	if err := copyInFull(t, addr, b[:]); err != nil {
		return 0, err
	}
	access := binary.LittleEndian.Uint64(b[0:])
	parentFD := int32(binary.LittleEndian.Uint32(b[8:]))
	if access == 0 {
		// A rule granting nothing would never change a decision.
		return 0, unix.ENOMSG
	}
	if access&^rs.HandledFS() != 0 {
		return 0, unix.EINVAL
	}
	pf, err := getFile(t, uintptr(parentFD))
	if err != nil {
		return 0, err
	}
	defer pf.DecRef(t)
	obj := vfs.LandlockObject(pf.Path())
	if _, ruleset := pf.Ops().(*landlockRulesetOps); ruleset || obj == nil {
		// Rulesets, pipes, sockets and other files of no mount.
		return 0, unix.EBADFD
	}
	if !pf.Dentry().IsDir() && access&^landlock.AccessFile != 0 {
		return 0, unix.EINVAL
	}
	rs.AddRule(obj, access)
	return 0, nil
}

func landlockRestrictSelf(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	fd, flags := a[0], uint32(a[1])
	if flags != 0 {
		return 0, unix.EINVAL
	}
	// As for seccomp filters: without no_new_privs a restriction could
	// fool a set-user-ID program.
	if !t.NoNewPrivs() && !t.Credentials().HasCapability(unix.CAP_SYS_ADMIN) {
		return 0, unix.EPERM
	}
	rs, rf, err := landlockRulesetFile(t, fd, false)
	if err != nil {
		return 0, err
	}
	defer rf.DecRef(t)
	return 0, t.ChangeCredentials(func(c *auth.Credentials) error {
		dom, err := c.Landlock.Merge(rs)
		if err != nil {
			return err
		}
		c.Landlock = dom
		return nil
	})
}

// landlockMount is Landlock's rule for mount(2), umount2(2) and
// pivot_root(2): a task with a domain restricting the file system may
// not change its mounts (EPERM), as a mount could place a file beneath a
// directory whose rules would then grant access to it. Every domain of
// ABI 3 restricts the file system.
func landlockMount(t *kernel.Task) error {
	if t.Credentials().Landlock != nil {
		return unix.EPERM
	}
	return nil
}
