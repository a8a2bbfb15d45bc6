package auth

// Credentials are a task's identity, as Linux's struct cred. They are
// immutable once shared: change a copy made with Fork and install it.
type Credentials struct {
	RealUID, EffectiveUID, SavedUID, FSUID uint32
	RealGID, EffectiveGID, SavedGID, FSGID uint32
	Groups                                 []uint32
}

// New returns credentials with every uid set to uid and every gid set to gid.
func New(uid, gid uint32, groups []uint32) *Credentials {
	return &Credentials{
		RealUID: uid, EffectiveUID: uid, SavedUID: uid, FSUID: uid,
		RealGID: gid, EffectiveGID: gid, SavedGID: gid, FSGID: gid,
		Groups: append([]uint32(nil), groups...),
	}
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
// owner and group in the ways want asks (MayRead|MayWrite|MayExec), by the
// owner/group/other rules of generic_permission. uid 0 (with no
// capabilities model yet) may read and write anything, and execute a file
// if any execute bit is set or it is a directory.
func (c *Credentials) CheckPermission(mode, uid, gid uint32, isDir bool, want int) bool {
	if c.FSUID == 0 {
		if want&MayExec == 0 || isDir || mode&0o111 != 0 {
			return true
		}
		return false
	}
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
