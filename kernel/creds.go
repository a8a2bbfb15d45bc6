package kernel

import (
	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/auth"
)

// The set*id calls follow Linux's rules: a task with CAP_SETUID (for
// uids) or CAP_SETGID (for gids) over its user namespace may set any id
// that namespace maps; others may only move between their own ids. Ids
// arrive and leave in the caller's namespace and are stored as kernel
// ids. A uid change adjusts the capability sets (auth's FixSetUID).
// Credentials are immutable: each change installs a modified copy. The
// uid and gid calls share one implementation over an idSet.

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

// installCreds installs c. As Linux's commit_creds, a change of the
// effective or filesystem ids or a gain of permitted capabilities makes
// the process not dumpable (its /proc files then belong to root) and
// clears the parent-death signal.
func (t *Task) installCreds(c *auth.Credentials) {
	old := t.creds.Swap(c)
	if old != nil && c.DumpabilityChanged(old) {
		t.tg.SetDumpable(0)
		t.SetPdeathSignal(0)
	}
}

// privilegedIDs reports CAP_SETUID (uids) or CAP_SETGID (gids).
func (t *Task) privilegedIDs(k IDKind) bool {
	if k == UserIDs {
		return t.Credentials().HasCapability(unix.CAP_SETUID)
	}
	return t.Credentials().HasCapability(unix.CAP_SETGID)
}

// toKernelID maps an id of the caller's namespace to a kernel id; -1
// stays -1 and an unmapped id is EINVAL.
func toKernelID(c *auth.Credentials, k IDKind, id uint32) (uint32, error) {
	if id == noChange {
		return id, nil
	}
	var kid uint32
	var ok bool
	if k == UserIDs {
		kid, ok = c.UserNamespace.MapUIDToKernel(id)
	} else {
		kid, ok = c.UserNamespace.MapGIDToKernel(id)
	}
	if !ok {
		return 0, unix.EINVAL
	}
	return kid, nil
}

// installIDs installs c, fixing the capabilities after a uid change.
func (t *Task) installIDs(old, c *auth.Credentials, k IDKind, kind int) {
	if k == UserIDs {
		c.FixSetUID(old, kind)
		if c.RealUID != old.RealUID {
			t.flagNprocExceeded(c.RealUID)
		}
	}
	t.installCreds(c)
}

// flagNprocExceeded notes, as a change of the real uid to uid does on
// Linux (flag_nproc_exceeded), whether uid already has more tasks than
// RLIMIT_NPROC allows: set*uid does not fail for it (programs run as
// root seldom check), the next execve does if that is still so.
func (t *Task) flagNprocExceeded(uid uint32) {
	t.k.mu.Lock()
	n := t.k.countTasksLocked(uid)
	t.k.mu.Unlock()
	t.nprocExceeded.Store(uid != 0 && uint64(n) > t.tg.limits.Get(unix.RLIMIT_NPROC).Cur)
}

// checkNprocAtExec fails an execve with EAGAIN when a set*uid flagged the
// caller's user as over RLIMIT_NPROC and it still is; either way the
// flag is gone after.
func (t *Task) checkNprocAtExec() error {
	if !t.nprocExceeded.Load() {
		return nil
	}
	t.k.mu.Lock()
	n := t.k.countTasksLocked(t.Credentials().RealUID)
	t.k.mu.Unlock()
	if uint64(n) > t.tg.limits.Get(unix.RLIMIT_NPROC).Cur {
		return unix.EAGAIN
	}
	t.nprocExceeded.Store(false)
	return nil
}

// SetID is setuid(2) or setgid(2).
func (t *Task) SetID(k IDKind, id uint32) error {
	if id == noChange {
		return unix.EINVAL
	}
	old := t.Credentials()
	id, err := toKernelID(old, k, id)
	if err != nil {
		return err
	}
	c := old.Fork()
	s := idsOf(c, k)
	switch {
	case t.privilegedIDs(k):
		*s.real, *s.eff, *s.saved, *s.fs = id, id, id, id
	case id == *s.real || id == *s.saved:
		*s.eff, *s.fs = id, id
	default:
		return unix.EPERM
	}
	t.installIDs(old, c, k, auth.SetIDFull)
	return nil
}

// SetRESID is setresuid(2) or setresgid(2); -1 leaves an id unchanged.
func (t *Task) SetRESID(k IDKind, r, e, sv uint32) error {
	old := t.Credentials()
	var err error
	for _, p := range []*uint32{&r, &e, &sv} {
		if *p, err = toKernelID(old, k, *p); err != nil {
			return err
		}
	}
	c := old.Fork()
	s := idsOf(c, k)
	if !t.privilegedIDs(k) {
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
	t.installIDs(old, c, k, auth.SetIDFull)
	return nil
}

// SetREID is setreuid(2) or setregid(2): the saved id becomes the new
// effective id when the real id is set or the effective one changes to
// something other than the old real id.
func (t *Task) SetREID(k IDKind, r, e uint32) error {
	old := t.Credentials()
	var err error
	for _, p := range []*uint32{&r, &e} {
		if *p, err = toKernelID(old, k, *p); err != nil {
			return err
		}
	}
	c := old.Fork()
	s := idsOf(c, k)
	oldReal, oldEff, oldSaved := *s.real, *s.eff, *s.saved
	if !t.privilegedIDs(k) {
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
	t.installIDs(old, c, k, auth.SetIDFull)
	return nil
}

// SetFSID is setfsuid(2) or setfsgid(2): it returns the old filesystem id
// and changes it only when allowed (no error is ever reported).
func (t *Task) SetFSID(k IDKind, id uint32) uint32 {
	c := t.Credentials()
	s := idsOf(c, k)
	old := t.idOf(c, k, *s.fs)
	kid, err := toKernelID(c, k, id)
	if id == noChange || err != nil {
		return old
	}
	if t.privilegedIDs(k) || kid == *s.real || kid == *s.eff || kid == *s.saved || kid == *s.fs {
		n := c.Fork()
		*idsOf(n, k).fs = kid
		t.installIDs(c, n, k, auth.SetIDFS)
	}
	return old
}

// idOf is how the task sees kernel id kid of kind k.
func (t *Task) idOf(c *auth.Credentials, k IDKind, kid uint32) uint32 {
	if k == UserIDs {
		return c.UserNamespace.UIDOf(kid)
	}
	return c.UserNamespace.GIDOf(kid)
}

// setIf stores v in *p unless v is -1.
func setIf(p *uint32, v uint32) {
	if v != noChange {
		*p = v
	}
}

// SetGroups is setgroups(2).
func (t *Task) SetGroups(groups []uint32) error {
	old := t.Credentials()
	if !t.privilegedIDs(GroupIDs) || !old.UserNamespace.SetgroupsAllowed() {
		return unix.EPERM
	}
	kg := make([]uint32, len(groups))
	for i, g := range groups {
		var ok bool
		if kg[i], ok = old.UserNamespace.MapGIDToKernel(g); !ok {
			return unix.EINVAL
		}
	}
	c := old.Fork()
	c.Groups = kg
	t.installCreds(c)
	return nil
}

// ChangeCredentials applies change to a copy of the task's credentials
// and installs it unless change fails (capset, prctl's capability
// options). Only the task itself changes its credentials, so the copy
// cannot race with another change.
func (t *Task) ChangeCredentials(change func(*auth.Credentials) error) error {
	c := t.Credentials().Fork()
	if err := change(c); err != nil {
		return err
	}
	t.installCreds(c)
	return nil
}
