package kernel

import (
	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/auth"
)

// The set*id calls follow Linux's rules with one simplification until
// capabilities exist: a task is privileged (CAP_SETUID, CAP_SETGID) when
// its effective uid is 0. Credentials are immutable: each change installs
// a modified copy. The uid and gid calls share one implementation over an
// idSet.

// noChange is the -1 that leaves an id unchanged.
const noChange = ^uint32(0)

// idSet points at the real, effective, saved and filesystem ids of one
// kind (user or group) in a Credentials.
type idSet struct{ real, eff, saved, fs *uint32 }

// IDKind selects user or group ids.
type IDKind int

// The two kinds of ids.
const (
	UserIDs IDKind = iota
	GroupIDs
)

func idsOf(c *auth.Credentials, k IDKind) idSet {
	if k == UserIDs {
		return idSet{&c.RealUID, &c.EffectiveUID, &c.SavedUID, &c.FSUID}
	}
	return idSet{&c.RealGID, &c.EffectiveGID, &c.SavedGID, &c.FSGID}
}

func (t *Task) installCreds(c *auth.Credentials) { t.creds.Store(c) }

// privilegedIDs reports CAP_SETUID/CAP_SETGID.
func (t *Task) privilegedIDs() bool { return t.Credentials().EffectiveUID == 0 }

// SetID is setuid(2) or setgid(2).
func (t *Task) SetID(k IDKind, id uint32) error {
	if id == noChange {
		return unix.EINVAL
	}
	c := t.Credentials().Fork()
	s := idsOf(c, k)
	switch {
	case t.privilegedIDs():
		*s.real, *s.eff, *s.saved, *s.fs = id, id, id, id
	case id == *s.real || id == *s.saved:
		*s.eff, *s.fs = id, id
	default:
		return unix.EPERM
	}
	t.installCreds(c)
	return nil
}

// SetRESID is setresuid(2) or setresgid(2); -1 leaves an id unchanged.
func (t *Task) SetRESID(k IDKind, r, e, sv uint32) error {
	c := t.Credentials().Fork()
	s := idsOf(c, k)
	if !t.privilegedIDs() {
		ok := func(id uint32) bool {
			return id == noChange || id == *s.real || id == *s.eff || id == *s.saved
		}
		if !ok(r) || !ok(e) || !ok(sv) {
			return unix.EPERM
		}
	}
	setIf(s.real, r)
	setIf(s.eff, e)
	setIf(s.saved, sv)
	*s.fs = *s.eff
	t.installCreds(c)
	return nil
}

// SetREID is setreuid(2) or setregid(2): the saved id becomes the new
// effective id when the real id is set or the effective one changes to
// something other than the old real id.
func (t *Task) SetREID(k IDKind, r, e uint32) error {
	c := t.Credentials().Fork()
	s := idsOf(c, k)
	oldReal, oldEff, oldSaved := *s.real, *s.eff, *s.saved
	if !t.privilegedIDs() {
		if r != noChange && r != oldReal && r != oldEff {
			return unix.EPERM
		}
		if e != noChange && e != oldReal && e != oldEff && e != oldSaved {
			return unix.EPERM
		}
	}
	setIf(s.real, r)
	setIf(s.eff, e)
	if r != noChange || (e != noChange && e != oldReal) {
		*s.saved = *s.eff
	}
	*s.fs = *s.eff
	t.installCreds(c)
	return nil
}

// SetFSID is setfsuid(2) or setfsgid(2): it returns the old filesystem id
// and changes it only when allowed (no error is ever reported).
func (t *Task) SetFSID(k IDKind, id uint32) uint32 {
	c := t.Credentials()
	s := idsOf(c, k)
	old := *s.fs
	if id == noChange {
		return old
	}
	if t.privilegedIDs() || id == *s.real || id == *s.eff || id == *s.saved || id == *s.fs {
		n := c.Fork()
		*idsOf(n, k).fs = id
		t.installCreds(n)
	}
	return old
}

// setIf stores v in *p unless v is -1.
func setIf(p *uint32, v uint32) {
	if v != noChange {
		*p = v
	}
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
