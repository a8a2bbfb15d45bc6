package auth

import (
	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/auth/landlock"
)

// Credentials are a task's identity, as Linux's struct cred. They are
// immutable once shared: change a copy made with Fork and install it.
// Ids are kernel ids (those of the initial user namespace); capabilities
// count in UserNamespace.
type Credentials struct {
	RealUID, EffectiveUID, SavedUID, FSUID uint32
	RealGID, EffectiveGID, SavedGID, FSGID uint32
	Groups                                 []uint32

	// The capability sets (Linux's cap_permitted, cap_effective,
	// cap_inheritable, cap_bset, cap_ambient) and securebits.
	PermittedCaps, EffectiveCaps, InheritableCaps CapabilitySet
	BoundingCaps, AmbientCaps                     CapabilitySet
	SecureBits                                    uint32

	// UserNamespace is the namespace the task lives in: the one its
	// capabilities count in and through which it sees ids.
	UserNamespace *UserNamespace

	// Landlock is the task's Landlock domain (landlock_restrict_self),
	// nil when it has none: a copy keeps it, so fork, clone and execve
	// inherit it, and only a restriction replaces it.
	Landlock *landlock.Domain
}

// New returns credentials with every uid set to uid and every gid set to
// gid in a new initial user namespace, with the capabilities a process
// of that user starts with on Linux: all of them for root, none otherwise.
func New(uid, gid uint32, groups []uint32) *Credentials {
	return NewIn(NewRootUserNamespace(1), uid, gid, groups)
}

// NewIn is New in the user namespace ns (ids are kernel ids).
func NewIn(ns *UserNamespace, uid, gid uint32, groups []uint32) *Credentials {
	c := &Credentials{
		RealUID: uid, EffectiveUID: uid, SavedUID: uid, FSUID: uid,
		RealGID: gid, EffectiveGID: gid, SavedGID: gid, FSGID: gid,
		Groups:        append([]uint32(nil), groups...),
		UserNamespace: ns,
		BoundingCaps:  AllCapabilities,
	}
	if root, ok := ns.MapUIDToKernel(0); ok && uid == root {
		c.PermittedCaps, c.EffectiveCaps = AllCapabilities, AllCapabilities
	}
	return c
}

// Fork returns a copy of c that may be changed.
func (c *Credentials) Fork() *Credentials {
	n := *c
	n.Groups = append([]uint32(nil), c.Groups...)
	return &n
}

// InGroup reports whether gid is c's filesystem gid or one of its
// supplementary groups.
func (c *Credentials) InGroup(gid uint32) bool {
	if gid == c.FSGID {
		return true
	}
	for _, g := range c.Groups {
		if g == gid {
			return true
		}
	}
	return false
}

// Access bits for CheckPermission, as in Linux's MAY_* values.
const (
	MayExec  = 1
	MayWrite = 2
	MayRead  = 4
)

// CheckPermission reports whether c may access a file with the given mode,
// owner and group in the ways want asks (MayRead|MayWrite|MayExec), by
// generic_permission's rules: the owner/group/other bits, then
// CAP_DAC_READ_SEARCH (read any file, search any directory) and
// CAP_DAC_OVERRIDE (anything, but execute only a directory or a file with
// some execute bit set) over the file's owner.
func (c *Credentials) CheckPermission(mode, uid, gid uint32, isDir bool, want int) bool {
	return c.CheckPermissionACL(mode, uid, gid, isDir, want, nil)
}

// CheckPermissionACL is CheckPermission for a file with a POSIX access
// ACL: byACL (when not nil) decides for a caller that is not the owner
// instead of the group and other bits; the capabilities override its
// refusal as they override the mode's.
func (c *Credentials) CheckPermissionACL(mode, uid, gid uint32, isDir bool, want int, byACL func(want int) bool) bool {
	want &= MayRead | MayWrite | MayExec
	if byACL != nil && c.FSUID != uid {
		if byACL(want) {
			return true
		}
	} else if c.checkModeBits(mode, uid, gid, want) {
		return true
	}
	if isDir {
		if want&MayWrite == 0 && c.CapableOverOwner(unix.CAP_DAC_READ_SEARCH, uid, gid) {
			return true
		}
		return c.CapableOverOwner(unix.CAP_DAC_OVERRIDE, uid, gid)
	}
	if want == MayRead && c.CapableOverOwner(unix.CAP_DAC_READ_SEARCH, uid, gid) {
		return true
	}
	if want&MayExec == 0 || mode&0o111 != 0 {
		return c.CapableOverOwner(unix.CAP_DAC_OVERRIDE, uid, gid)
	}
	return false
}

// checkModeBits is the owner/group/other part of CheckPermission.
func (c *Credentials) checkModeBits(mode, uid, gid uint32, want int) bool {
	var bits uint32
	switch {
	case c.FSUID == uid:
		bits = (mode >> 6) & 7
	case c.InGroup(gid):
		bits = (mode >> 3) & 7
	default:
		bits = mode & 7
	}
	return uint32(want)&^bits == 0
}

// IsOwnerOrCapable reports whether c owns a file or object owned by uid,
// or has CAP_FOWNER over it (Linux's inode_owner_or_capable).
func (c *Credentials) IsOwnerOrCapable(uid uint32) bool {
	if c.FSUID == uid {
		return true
	}
	if _, ok := c.UserNamespace.MapUIDFromKernel(uid); !ok {
		return false
	}
	return c.HasCapability(unix.CAP_FOWNER)
}

// InGroupOrCapable reports whether c is in group gid or has CAP_FSETID
// over a file owned by uid and gid (Linux's in_group_or_capable): the
// condition for keeping a set-group-id bit.
func (c *Credentials) InGroupOrCapable(uid, gid uint32) bool {
	return c.InGroup(gid) || c.CapableOverOwner(unix.CAP_FSETID, uid, gid)
}

// MayAccess is the credential part of Linux's ptrace_may_access: c may
// inspect (or trace) a process with credentials target when its ids
// (real ids with realIDs, else filesystem ids) equal all of target's
// real, effective and saved ids, or it has CAP_SYS_PTRACE over target's
// user namespace. The caller adds the same-process and dumpable rules.
func (c *Credentials) MayAccess(target *Credentials, realIDs bool) bool {
	uid, gid := c.FSUID, c.FSGID
	if realIDs {
		uid, gid = c.RealUID, c.RealGID
	}
	if uid == target.RealUID && uid == target.EffectiveUID && uid == target.SavedUID &&
		gid == target.RealGID && gid == target.EffectiveGID && gid == target.SavedGID {
		return true
	}
	return c.HasCapabilityIn(unix.CAP_SYS_PTRACE, target.UserNamespace)
}

// MayPrlimit is prlimit(2)'s rule for another process (Linux's
// check_prlimit_permission): c's real uid is target's real, effective
// and saved uid and c's real gid its three gids, or c has
// CAP_SYS_RESOURCE over target's user namespace. Reading the limits
// needs the same as changing them.
func (c *Credentials) MayPrlimit(target *Credentials) bool {
	uid, gid := c.RealUID, c.RealGID
	if uid == target.RealUID && uid == target.EffectiveUID && uid == target.SavedUID &&
		gid == target.RealGID && gid == target.EffectiveGID && gid == target.SavedGID {
		return true
	}
	return c.HasCapabilityIn(unix.CAP_SYS_RESOURCE, target.UserNamespace)
}

// MaySignal is kill(2)'s credential rule (Linux's kill_ok_by_cred): the
// sender's real or effective uid is the target's real or saved uid, or it
// has CAP_KILL over the target's user namespace.
func (c *Credentials) MaySignal(target *Credentials) bool {
	if c.RealUID == target.RealUID || c.RealUID == target.SavedUID ||
		c.EffectiveUID == target.RealUID || c.EffectiveUID == target.SavedUID {
		return true
	}
	return c.HasCapabilityIn(unix.CAP_KILL, target.UserNamespace)
}

// AccessCredentials returns the credentials access(2) checks with (Linux's
// access_override_creds), or nil when they are c itself: the real ids
// as filesystem ids and, unless SECBIT_NO_SETUID_FIXUP, the permitted
// capabilities for a real root and none for anyone else.
func (c *Credentials) AccessCredentials() *Credentials {
	n := c.Fork()
	n.FSUID, n.FSGID = c.RealUID, c.RealGID
	if c.SecureBits&SecNoSetuidFixup == 0 {
		if root, ok := c.UserNamespace.MapUIDToKernel(0); ok && c.RealUID == root {
			n.EffectiveCaps = c.PermittedCaps
		} else {
			n.EffectiveCaps = 0
		}
	}
	if n.FSUID == c.FSUID && n.FSGID == c.FSGID && n.EffectiveCaps == c.EffectiveCaps {
		return nil
	}
	return n
}
