package kernel

import (
	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/auth"
)

// The set*id calls follow Linux's rules with one simplification until
// capabilities exist: a task is privileged (CAP_SETUID, CAP_SETGID) when
// its effective uid is 0. Credentials are immutable: each change installs
// a modified copy.

// noChange is the -1 that leaves an id unchanged.
const noChange = ^uint32(0)

func (t *Task) installCreds(c *auth.Credentials) { t.creds.Store(c) }

// privilegedIDs reports CAP_SETUID/CAP_SETGID.
func (t *Task) privilegedIDs() bool { return t.Credentials().EffectiveUID == 0 }

// SetUID is setuid(2).
func (t *Task) SetUID(uid uint32) error {
	if uid == noChange {
		return unix.EINVAL
	}
	c := t.Credentials().Fork()
	if t.privilegedIDs() {
		c.RealUID, c.EffectiveUID, c.SavedUID, c.FSUID = uid, uid, uid, uid
	} else if uid == c.RealUID || uid == c.SavedUID {
		c.EffectiveUID, c.FSUID = uid, uid
	} else {
		return unix.EPERM
	}
	t.installCreds(c)
	return nil
}

// SetGID is setgid(2).
func (t *Task) SetGID(gid uint32) error {
	if gid == noChange {
		return unix.EINVAL
	}
	c := t.Credentials().Fork()
	if t.privilegedIDs() {
		c.RealGID, c.EffectiveGID, c.SavedGID, c.FSGID = gid, gid, gid, gid
	} else if gid == c.RealGID || gid == c.SavedGID {
		c.EffectiveGID, c.FSGID = gid, gid
	} else {
		return unix.EPERM
	}
	t.installCreds(c)
	return nil
}

// SetRESUID is setresuid(2); -1 leaves an id unchanged.
func (t *Task) SetRESUID(r, e, s uint32) error {
	c := t.Credentials().Fork()
	if !t.privilegedIDs() {
		ok := func(id uint32) bool {
			return id == noChange || id == c.RealUID || id == c.EffectiveUID || id == c.SavedUID
		}
		if !ok(r) || !ok(e) || !ok(s) {
			return unix.EPERM
		}
	}
	if r != noChange {
		c.RealUID = r
	}
	if e != noChange {
		c.EffectiveUID = e
	}
	if s != noChange {
		c.SavedUID = s
	}
	c.FSUID = c.EffectiveUID
	t.installCreds(c)
	return nil
}

// SetRESGID is setresgid(2).
func (t *Task) SetRESGID(r, e, s uint32) error {
	c := t.Credentials().Fork()
	if !t.privilegedIDs() {
		ok := func(id uint32) bool {
			return id == noChange || id == c.RealGID || id == c.EffectiveGID || id == c.SavedGID
		}
		if !ok(r) || !ok(e) || !ok(s) {
			return unix.EPERM
		}
	}
	if r != noChange {
		c.RealGID = r
	}
	if e != noChange {
		c.EffectiveGID = e
	}
	if s != noChange {
		c.SavedGID = s
	}
	c.FSGID = c.EffectiveGID
	t.installCreds(c)
	return nil
}

// SetREUID is setreuid(2): the saved uid becomes the new effective uid
// when the real uid is set or the effective one changes to something
// other than the old real uid.
func (t *Task) SetREUID(r, e uint32) error {
	old := t.Credentials()
	c := old.Fork()
	if !t.privilegedIDs() {
		if r != noChange && r != old.RealUID && r != old.EffectiveUID {
			return unix.EPERM
		}
		if e != noChange && e != old.RealUID && e != old.EffectiveUID && e != old.SavedUID {
			return unix.EPERM
		}
	}
	if r != noChange {
		c.RealUID = r
	}
	if e != noChange {
		c.EffectiveUID = e
	}
	if r != noChange || (e != noChange && e != old.RealUID) {
		c.SavedUID = c.EffectiveUID
	}
	c.FSUID = c.EffectiveUID
	t.installCreds(c)
	return nil
}

// SetREGID is setregid(2).
func (t *Task) SetREGID(r, e uint32) error {
	old := t.Credentials()
	c := old.Fork()
	if !t.privilegedIDs() {
		if r != noChange && r != old.RealGID && r != old.EffectiveGID {
			return unix.EPERM
		}
		if e != noChange && e != old.RealGID && e != old.EffectiveGID && e != old.SavedGID {
			return unix.EPERM
		}
	}
	if r != noChange {
		c.RealGID = r
	}
	if e != noChange {
		c.EffectiveGID = e
	}
	if r != noChange || (e != noChange && e != old.RealGID) {
		c.SavedGID = c.EffectiveGID
	}
	c.FSGID = c.EffectiveGID
	t.installCreds(c)
	return nil
}

// SetFSUID is setfsuid(2): it returns the old fsuid and changes it only
// when allowed (no error is ever reported).
func (t *Task) SetFSUID(uid uint32) uint32 {
	c := t.Credentials()
	old := c.FSUID
	if uid == noChange {
		return old
	}
	if t.privilegedIDs() || uid == c.RealUID || uid == c.EffectiveUID || uid == c.SavedUID || uid == c.FSUID {
		n := c.Fork()
		n.FSUID = uid
		t.installCreds(n)
	}
	return old
}

// SetFSGID is setfsgid(2).
func (t *Task) SetFSGID(gid uint32) uint32 {
	c := t.Credentials()
	old := c.FSGID
	if gid == noChange {
		return old
	}
	if t.privilegedIDs() || gid == c.RealGID || gid == c.EffectiveGID || gid == c.SavedGID || gid == c.FSGID {
		n := c.Fork()
		n.FSGID = gid
		t.installCreds(n)
	}
	return old
}

// SetGroups is setgroups(2).
func (t *Task) SetGroups(groups []uint32) error {
	if !t.privilegedIDs() {
		return unix.EPERM
	}
	c := t.Credentials().Fork()
	c.Groups = append([]uint32(nil), groups...)
	t.installCreds(c)
	return nil
}
