package auth

import "golang.org/x/sys/unix"

// CapabilitySet is a set of Linux capabilities, bit N standing for
// capability N (CAP_CHOWN is bit 0), as Linux's kernel_cap_t.
type CapabilitySet uint64

// LastCap is the highest capability kite knows (CAP_CHECKPOINT_RESTORE),
// shown in /proc/sys/kernel/cap_last_cap.
const LastCap = unix.CAP_LAST_CAP

// NGroupsMax is Linux's NGROUPS_MAX, the most supplementary groups a
// process may have (/proc/sys/kernel/ngroups_max).
const NGroupsMax = 65536

// AllCapabilities is every capability up to LastCap.
const AllCapabilities = CapabilitySet(1)<<(LastCap+1) - 1

// ValidCap reports whether cap names a capability (Linux's cap_valid).
func ValidCap(cap int) bool { return cap >= 0 && cap <= LastCap }

// CapabilitySetOf returns the set holding the given capabilities.
func CapabilitySetOf(caps ...int) CapabilitySet {
	var s CapabilitySet
	for _, c := range caps {
		s |= 1 << uint(c)
	}
	return s
}

// Has reports whether cap is in s.
func (s CapabilitySet) Has(cap int) bool { return ValidCap(cap) && s&(1<<uint(cap)) != 0 }

// SubsetOf reports whether every capability of s is in o.
func (s CapabilitySet) SubsetOf(o CapabilitySet) bool { return s&^o == 0 }

// fsCapabilities are the capabilities that follow the filesystem uid
// (Linux's CAP_FS_SET): changing fsuid away from 0 drops them from the
// effective set and back to 0 raises them from the permitted set.
var fsCapabilities = CapabilitySetOf(unix.CAP_CHOWN, unix.CAP_DAC_OVERRIDE, unix.CAP_DAC_READ_SEARCH,
	unix.CAP_FOWNER, unix.CAP_FSETID, unix.CAP_MKNOD, unix.CAP_LINUX_IMMUTABLE, unix.CAP_MAC_OVERRIDE)

// Secure bits (prctl PR_SET_SECUREBITS), each with its lock bit just above.
const (
	SecNoRoot                = 1 << 0
	SecNoRootLocked          = 1 << 1
	SecNoSetuidFixup         = 1 << 2
	SecNoSetuidFixupLocked   = 1 << 3
	SecKeepCaps              = 1 << 4
	SecKeepCapsLocked        = 1 << 5
	SecNoCapAmbientRaise     = 1 << 6
	SecNoCapAmbientRaiseLock = 1 << 7
	// Linux 6.14's bits for script interpreters, which the kernel only
	// stores: programs ask for them with prctl(PR_GET_SECUREBITS).
	SecExecRestrictFile          = 1 << 8
	SecExecRestrictFileLocked    = 1 << 9
	SecExecDenyInteractive       = 1 << 10
	SecExecDenyInteractiveLocked = 1 << 11

	secAllBits = SecNoRoot | SecNoSetuidFixup | SecKeepCaps | SecNoCapAmbientRaise |
		SecExecRestrictFile | SecExecDenyInteractive
	secAllLocks = secAllBits << 1
)

// HasCapabilityIn reports whether c has capability cap over the user
// namespace ns (Linux's cap_capable): its effective set holds cap and ns
// is its own namespace, or c's effective uid owns ns or one of ns's
// ancestors below c's namespace (the owner of a namespace has every
// capability in it).
func (c *Credentials) HasCapabilityIn(cap int, ns *UserNamespace) bool {
	own := c.UserNamespace
	for ns != nil {
		if ns == own {
			return c.EffectiveCaps.Has(cap)
		}
		if ns.level <= own.level {
			return false
		}
		if ns.parent == own && ns.owner == c.EffectiveUID {
			return true
		}
		ns = ns.parent
	}
	return false
}

// HasCapability reports whether c has cap over its own user namespace
// (Linux's ns_capable(current_user_ns(), cap)), the question for
// resources that belong to the caller's namespaces.
func (c *Credentials) HasCapability(cap int) bool {
	return c.HasCapabilityIn(cap, c.UserNamespace)
}

// HasGlobalCapability reports whether c has cap over the initial user
// namespace (Linux's capable(cap)): the question for resources of the
// whole machine (clocks, resource limits, locked memory).
func (c *Credentials) HasGlobalCapability(cap int) bool {
	return c.HasCapabilityIn(cap, c.UserNamespace.Root())
}

// CapableOverOwner reports whether c has cap over a file or object owned
// by uid and gid (Linux's capable_wrt_inode_uidgid): cap in c's user
// namespace, and both ids mapped there.
func (c *Credentials) CapableOverOwner(cap int, uid, gid uint32) bool {
	ns := c.UserNamespace
	if _, ok := ns.MapUIDFromKernel(uid); !ok {
		return false
	}
	if _, ok := ns.MapGIDFromKernel(gid); !ok {
		return false
	}
	return c.HasCapability(cap)
}

// The kinds of uid change FixSetUID knows.
const (
	SetIDFull = iota // setuid, setreuid, setresuid
	SetIDFS          // setfsuid
)

// FixSetUID adjusts the capability sets after a uid change from old to c,
// as Linux's cap_task_fix_setuid: leaving uid 0 from every one of real,
// effective and saved ids clears the permitted and effective sets (unless
// SECBIT_KEEP_CAPS) and the ambient set; the effective set follows the
// effective uid leaving or reaching 0; a filesystem uid change moves the
// filesystem capabilities.
func (c *Credentials) FixSetUID(old *Credentials, kind int) {
	if c.SecureBits&SecNoSetuidFixup != 0 {
		return
	}
	root, ok := c.UserNamespace.MapUIDToKernel(0)
	if !ok {
		root = NoID
	}
	if kind == SetIDFS {
		switch {
		case old.FSUID == root && c.FSUID != root:
			c.EffectiveCaps &^= fsCapabilities
		case old.FSUID != root && c.FSUID == root:
			c.EffectiveCaps |= c.PermittedCaps & fsCapabilities
		}
		return
	}
	wasRoot := old.RealUID == root || old.EffectiveUID == root || old.SavedUID == root
	isRoot := c.RealUID == root || c.EffectiveUID == root || c.SavedUID == root
	if wasRoot && !isRoot {
		if c.SecureBits&SecKeepCaps == 0 {
			c.PermittedCaps, c.EffectiveCaps = 0, 0
		}
		c.AmbientCaps = 0
	}
	if old.EffectiveUID == root && c.EffectiveUID != root {
		c.EffectiveCaps = 0
	}
	if old.EffectiveUID != root && c.EffectiveUID == root {
		c.EffectiveCaps = c.PermittedCaps
	}
}

// SetCaps is capset(2)'s rule: it changes c's effective, permitted and
// inheritable sets if the change is allowed, and trims the ambient set.
func (c *Credentials) SetCaps(eff, prm, inh CapabilitySet) error {
	if !c.HasCapability(unix.CAP_SETPCAP) && !inh.SubsetOf(c.InheritableCaps|c.PermittedCaps) {
		return unix.EPERM
	}
	if !inh.SubsetOf(c.InheritableCaps | c.BoundingCaps) {
		return unix.EPERM
	}
	if !prm.SubsetOf(c.PermittedCaps) || !eff.SubsetOf(prm) {
		return unix.EPERM
	}
	c.EffectiveCaps, c.PermittedCaps, c.InheritableCaps = eff, prm, inh
	c.AmbientCaps &= prm & inh
	return nil
}

// SetSecureBits is PR_SET_SECUREBITS's rule: locked bits cannot change or
// be unlocked, only known bits exist, and CAP_SETPCAP is needed.
func (c *Credentials) SetSecureBits(bits uint32) error {
	old := c.SecureBits
	if ((old&secAllLocks)>>1)&(old^bits) != 0 || old&secAllLocks&^bits != 0 ||
		bits&^(secAllBits|secAllLocks) != 0 || !c.HasCapability(unix.CAP_SETPCAP) {
		return unix.EPERM
	}
	c.SecureBits = bits
	return nil
}

// XattrCapability is the extended attribute holding a program file's
// capabilities (struct vfs_cap_data).
const XattrCapability = "security.capability"

// vfs_cap_data's magic_etc field.
const (
	vfsCapRevisionMask = 0xff000000
	vfsCapRevision1    = 0x01000000
	vfsCapRevision2    = 0x02000000
	vfsCapRevision3    = 0x03000000
	vfsCapEffective    = 0x000001
)

// FileCaps are a program file's capabilities.
type FileCaps struct {
	Permitted, Inheritable CapabilitySet
	Effective              bool
	RootID                 uint32 // v3: the root uid of the namespace they apply in
}

// ParseFileCaps decodes a security.capability value.
func ParseFileCaps(b []byte) (FileCaps, bool) {
	u32 := func(i int) uint32 {
		return uint32(b[i]) | uint32(b[i+1])<<8 | uint32(b[i+2])<<16 | uint32(b[i+3])<<24
	}
	if len(b) < 4 {
		return FileCaps{}, false
	}
	magic := u32(0)
	fc := FileCaps{Effective: magic&vfsCapEffective != 0}
	switch magic & vfsCapRevisionMask {
	case vfsCapRevision1:
		if len(b) != 12 {
			return FileCaps{}, false
		}
		fc.Permitted, fc.Inheritable = CapabilitySet(u32(4)), CapabilitySet(u32(8))
	case vfsCapRevision2, vfsCapRevision3:
		if len(b) != 20 && len(b) != 24 {
			return FileCaps{}, false
		}
		fc.Permitted = CapabilitySet(u32(4)) | CapabilitySet(u32(12))<<32
		fc.Inheritable = CapabilitySet(u32(8)) | CapabilitySet(u32(16))<<32
		if len(b) == 24 {
			fc.RootID = u32(20)
		}
	default:
		return FileCaps{}, false
	}
	fc.Permitted &= AllCapabilities
	fc.Inheritable &= AllCapabilities
	return fc, true
}

// ExecArgs is what execve tells auth about the program it starts.
type ExecArgs struct {
	// SetUID/SetGID with UID/GID: the file's set-user-id and set-group-id
	// bits (already ignored on a nosuid mount) and owner.
	SetUID, SetGID bool
	UID, GID       uint32
	// Caps are the file's capabilities, nil when it has none (or the mount
	// is nosuid).
	Caps *FileCaps
	// NoNewPrivs is the task's no_new_privs flag.
	NoNewPrivs bool
}

// Exec returns the credentials after execve of a program (Linux's
// bprm_fill_uid and cap_bprm_creds_from_file) and whether the exec is
// secure (AT_SECURE: ids changed or capabilities were gained).
func (c *Credentials) Exec(a ExecArgs) (*Credentials, bool, error) {
	n := c.Fork()
	if a.NoNewPrivs {
		// no_new_privs ignores the set-id bits (bprm_fill_uid).
		a.SetUID, a.SetGID = false, false
	}
	if a.SetUID {
		if _, ok := n.UserNamespace.MapUIDFromKernel(a.UID); ok {
			n.EffectiveUID = a.UID
		}
	}
	if a.SetGID {
		if _, ok := n.UserNamespace.MapGIDFromKernel(a.GID); ok {
			n.EffectiveGID = a.GID
		}
	}
	root, rootMapped := n.UserNamespace.MapUIDToKernel(0)
	effective, hasFcap := false, false
	n.PermittedCaps = 0
	if a.Caps != nil && (a.Caps.RootID == 0 || rootMapped && a.Caps.RootID == root) {
		hasFcap = true
		effective = a.Caps.Effective
		n.PermittedCaps = a.Caps.Permitted&c.BoundingCaps | a.Caps.Inheritable&c.InheritableCaps
		if effective && !a.Caps.Permitted.SubsetOf(n.PermittedCaps) {
			return nil, false, unix.EPERM
		}
	}
	// A set-uid-root program with file capabilities gets only those.
	suidRootWithCaps := hasFcap && n.EffectiveUID == root && n.RealUID != root
	if rootMapped && n.SecureBits&SecNoRoot == 0 && !suidRootWithCaps {
		if n.EffectiveUID == root || n.RealUID == root {
			n.PermittedCaps = c.BoundingCaps | c.InheritableCaps
		}
		if n.EffectiveUID == root {
			effective = true
		}
	}
	isSetID := n.EffectiveUID != c.RealUID || n.EffectiveGID != c.RealGID
	gained := !n.PermittedCaps.SubsetOf(c.PermittedCaps)
	if (isSetID || gained) && a.NoNewPrivs {
		n.EffectiveUID, n.EffectiveGID = n.RealUID, n.RealGID
		n.PermittedCaps &= c.PermittedCaps
	}
	n.SavedUID, n.FSUID = n.EffectiveUID, n.EffectiveUID
	n.SavedGID, n.FSGID = n.EffectiveGID, n.EffectiveGID
	if hasFcap || isSetID {
		n.AmbientCaps = 0
	}
	n.PermittedCaps |= n.AmbientCaps
	if effective {
		n.EffectiveCaps = n.PermittedCaps
	} else {
		n.EffectiveCaps = n.AmbientCaps
	}
	n.SecureBits &^= SecKeepCaps
	idChanged := n.EffectiveUID != c.EffectiveUID || !c.InGroup(n.EffectiveGID)
	secure := idChanged || (!rootMapped || n.RealUID != root) &&
		(effective || !n.PermittedCaps.SubsetOf(n.AmbientCaps))
	return n, secure, nil
}

// DumpabilityChanged reports whether an exec from old to c changed ids
// or gained capabilities, which makes the process not dumpable (Linux's
// is_dumpability_changed).
func (c *Credentials) DumpabilityChanged(old *Credentials) bool {
	return c.EffectiveUID != old.EffectiveUID || c.EffectiveGID != old.EffectiveGID ||
		c.FSUID != old.FSUID || c.FSGID != old.FSGID || !c.capsWithin(old)
}

// capsWithin reports whether c's permitted capabilities are within
// old's (Linux's cred_cap_issubset): in one namespace, a subset; across
// namespaces, c's namespace lies below one that old's effective uid owns
// directly under old's.
func (c *Credentials) capsWithin(old *Credentials) bool {
	if c.UserNamespace == old.UserNamespace {
		return c.PermittedCaps.SubsetOf(old.PermittedCaps)
	}
	for ns := c.UserNamespace; ns.parent != nil; ns = ns.parent {
		if ns.parent == old.UserNamespace && ns.owner == old.EffectiveUID {
			return true
		}
	}
	return false
}
