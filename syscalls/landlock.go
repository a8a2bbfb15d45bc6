package syscalls

import (
	"encoding/binary"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/arch"
	"github.com/kite-os/kite/auth"
	"github.com/kite-os/kite/auth/landlock"
	"github.com/kite-os/kite/kernel"
	"github.com/kite-os/kite/net"
	"github.com/kite-os/kite/vfs"
)

// Landlock (landlock(7)): rulesets are anonymous files; a task's domain
// hangs on its credentials (package auth/landlock), and the VFS enforces
// it.

// landlock_create_ruleset flags and landlock_add_rule rule types.
const (
	landlockCreateRulesetVersion = 1 << 0
	landlockRulePathBeneath      = 1
	landlockRuleNetPort          = 2
)

// Sizes of struct landlock_ruleset_attr (handled_access_fs,
// handled_access_net, scoped; the smallest version has the first only)
// and of the packed struct landlock_path_beneath_attr.
const (
	landlockRulesetAttrSize    = 24
	landlockRulesetAttrMinSize = 8
	landlockPathBeneathSize    = 12
	landlockNetPortSize        = 16
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
	// Scopes (ABI 6) are not implemented: no bit of theirs is known.
	if fs&^landlock.MaskAccessFS != 0 || net&^landlock.MaskAccessNet != 0 || scoped != 0 {
		return 0, unix.EINVAL
	}
	rs, err := landlock.NewRuleset(fs, net)
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
	switch ruleType {
	case landlockRulePathBeneath:
		return 0, landlockAddPathRule(t, rs, addr)
	case landlockRuleNetPort:
		return 0, landlockAddNetRule(t, rs, addr)
	}
	return 0, unix.EINVAL
}

// landlockAddNetRule adds the rule of a struct landlock_net_port_attr at
// addr to rs.
func landlockAddNetRule(t *kernel.Task, rs *landlock.Ruleset, addr uintptr) error {
	var b [landlockNetPortSize]byte
	if err := copyInFull(t, addr, b[:]); err != nil {
		return err
	}
	access := binary.LittleEndian.Uint64(b[0:])
	port := binary.LittleEndian.Uint64(b[8:])
	if access == 0 {
		return unix.ENOMSG
	}
	if access&^rs.HandledNet() != 0 || port > 0xffff {
		return unix.EINVAL
	}
	rs.AddNetRule(uint16(port), access)
	return nil
}

// landlockAddPathRule adds the rule of a struct
// landlock_path_beneath_attr at addr to rs.
func landlockAddPathRule(t *kernel.Task, rs *landlock.Ruleset, addr uintptr) error {
	var b [landlockPathBeneathSize]byte
	if err := copyInFull(t, addr, b[:]); err != nil {
		return err
	}
	access := binary.LittleEndian.Uint64(b[0:])
	parentFD := int32(binary.LittleEndian.Uint32(b[8:]))
	if access == 0 {
		// A rule granting nothing would never change a decision.
		return unix.ENOMSG
	}
	if access&^rs.HandledFS() != 0 {
		return unix.EINVAL
	}
	pf, err := getFile(t, uintptr(parentFD))
	if err != nil {
		return err
	}
	defer pf.DecRef(t)
	obj := vfs.LandlockObject(pf.Path())
	if _, ruleset := pf.Ops().(*landlockRulesetOps); ruleset || obj == nil {
		// Rulesets, pipes, sockets and other files of no mount.
		return unix.EBADFD
	}
	if !pf.Dentry().IsDir() && access&^landlock.AccessFile != 0 {
		return unix.EINVAL
	}
	rs.AddRule(obj, access)
	return nil
}

func landlockRestrictSelf(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	fd, flags := a[0], uint32(a[1])
	// As for seccomp filters: without no_new_privs a restriction could
	// fool a set-user-ID program. Linux checks this before the flags.
	if !t.NoNewPrivs() && !t.Credentials().HasCapability(unix.CAP_SYS_ADMIN) {
		return 0, unix.EPERM
	}
	if flags != 0 {
		return 0, unix.EINVAL
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
// directory whose rules would then grant access to it. A domain of
// network rights alone does not forbid it.
func landlockMount(t *kernel.Task) error {
	if t.Credentials().Landlock.FS() != nil {
		return unix.EPERM
	}
	return nil
}

// landlockSocket is Landlock's check of bind(2) (access BIND_TCP) and
// connect(2) (CONNECT_TCP) of so to the address addr: a TCP socket of a
// task whose domain handles the right may use only the ports a rule
// grants it on (EACCES). It checks the address as far as it must to read
// the port, with Linux's errors.
func landlockSocket(t *kernel.Task, so net.Socket, addr []byte, access uint64) error {
	dom := t.Credentials().Landlock
	if dom == nil {
		return nil
	}
	family, typ, proto := so.Info()
	if (family != unix.AF_INET && family != unix.AF_INET6) || typ != unix.SOCK_STREAM ||
		(proto != 0 && proto != unix.IPPROTO_TCP) {
		return nil
	}
	if len(addr) < 2 {
		return unix.EINVAL
	}
	var port uint16
	switch af := binary.LittleEndian.Uint16(addr); af {
	case unix.AF_UNSPEC, unix.AF_INET:
		if len(addr) < unix.SizeofSockaddrInet4 {
			return unix.EINVAL
		}
		if af == unix.AF_UNSPEC {
			if access == landlock.AccessNetConnectTCP {
				return nil // a disconnection
			}
			// bind takes AF_UNSPEC as AF_INET with INADDR_ANY only.
			if family != unix.AF_INET {
				return unix.EINVAL
			}
			if binary.BigEndian.Uint32(addr[4:]) != 0 {
				return unix.EAFNOSUPPORT
			}
		} else if family != unix.AF_INET {
			return unix.EINVAL
		}
		port = binary.BigEndian.Uint16(addr[2:])
	case unix.AF_INET6:
		if len(addr) < sin6LenRFC2133 {
			return unix.EINVAL
		}
		if family != unix.AF_INET6 {
			return unix.EINVAL
		}
		port = binary.BigEndian.Uint16(addr[2:])
	default:
		return nil
	}
	if dom.NetDenied(access, port) {
		return unix.EACCES
	}
	return nil
}

// sin6LenRFC2133 is the size of a struct sockaddr_in6 without its
// sin6_scope_id, the least IPv6 address Linux takes.
const sin6LenRFC2133 = 24

// landlockIoctl is Landlock's check of ioctl(2) on f: a device file
// opened by a task whose domain refused it IOCTL_DEV takes only the
// commands that are no device's own (EACCES for the others).
func landlockIoctl(f *vfs.File, cmd uint32) error {
	if !f.LandlockDenied(landlock.AccessFSIoctlDev) || landlockAlwaysAllowedIoctl(cmd) {
		return nil
	}
	if typ := f.Dentry().Type(); typ != unix.S_IFCHR && typ != unix.S_IFBLK {
		return nil
	}
	return unix.EACCES
}

// landlockAlwaysAllowedIoctl reports whether cmd is one of the ioctls
// Landlock never restricts on devices: those that act on the file
// description (as fcntl does) or on the file system rather than the
// device, or that devices do not implement.
func landlockAlwaysAllowedIoctl(cmd uint32) bool {
	switch cmd {
	case vfs.IoctlFIOCLEX, vfs.IoctlFIONCLEX, vfs.IoctlFIONBIO, vfs.IoctlFIOASYNC,
		0x5460,                 // FIOQSIZE
		0xc0045877, 0xc0045878, // FIFREEZE, FITHAW
		0xc020660b, // FS_IOC_FIEMAP
		0x2,        // FIGETBSZ
		unix.FICLONE, unix.FICLONERANGE, unix.FIDEDUPERANGE,
		0x80111500, 0x80811501: // FS_IOC_GETFSUUID, FS_IOC_GETFSSYSFSPATH
		return true
	}
	return false
}
