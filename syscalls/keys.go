package syscalls

import (
	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/arch"
	"github.com/kite-os/kite/auth"
	"github.com/kite-os/kite/kernel"
	"github.com/kite-os/kite/keys"
)

// add_key, request_key and keyctl over package keys.

// Special keyring ids (KEY_SPEC_*).
const (
	keySpecThread      = -1
	keySpecProcess     = -2
	keySpecSession     = -3
	keySpecUser        = -4
	keySpecUserSession = -5
	keySpecGroup       = -6
	keySpecReqkeyAuth  = -7
)

// keyctl commands.
const (
	keyctlGetKeyringID  = 0
	keyctlJoinSession   = 1
	keyctlUpdate        = 2
	keyctlRevoke        = 3
	keyctlChown         = 4
	keyctlSetperm       = 5
	keyctlDescribe      = 6
	keyctlClear         = 7
	keyctlLink          = 8
	keyctlUnlink        = 9
	keyctlSearch        = 10
	keyctlRead          = 11
	keyctlSetTimeout    = 15
	keyctlGetSecurity   = 17
	keyctlInvalidate    = 21
	keyctlGetPersistent = 22
)

// keyRef is a key with whether the caller possesses it.
type keyRef struct {
	k         *keys.Key
	possessed bool
}

// userKeyrings returns the caller's user and user-session keyrings.
func userKeyrings(t *kernel.Task) (*keys.Key, *keys.Key) {
	return t.Kernel().Keys().UserKeyrings(t.Credentials().RealUID)
}

// sessionOrUser is the keyring searched as the session keyring: the
// session keyring, or the user session keyring without one.
func sessionOrUser(t *kernel.Task) *keys.Key {
	if s := t.SessionKeyring(); s != nil {
		return s
	}
	_, us := userKeyrings(t)
	return us
}

// processKeyrings are the keyrings a task possesses, in search order.
func processKeyrings(t *kernel.Task) []*keys.Key {
	var out []*keys.Key
	if k := t.ThreadKeyring(false); k != nil {
		out = append(out, k)
	}
	if k := t.ProcessKeyring(false); k != nil {
		out = append(out, k)
	}
	return append(out, sessionOrUser(t))
}

// keyPermission is Linux's key_task_permission: the owner, group or
// other bits, plus the possessor bits when the caller possesses the key.
func keyPermission(t *kernel.Task, r keyRef, need uint32) error {
	c := t.Credentials()
	uid, gid := r.k.Owner()
	perm := r.k.Perm()
	var have uint32
	switch {
	case uid == c.FSUID:
		have = perm >> 16
	case gid != ^uint32(0) && perm&(keys.All<<8) != 0 && (gid == c.FSGID || c.InGroup(gid)):
		have = perm >> 8
	default:
		have = perm
	}
	if r.possessed {
		have |= perm >> 24
	}
	if have&need&keys.All != need {
		return unix.EACCES
	}
	return nil
}

// possesses reports whether k is one of t's keyrings or reachable from
// them through keyrings it may search.
func possesses(t *kernel.Task, k *keys.Key) bool {
	if k.Valid() == unix.ENOKEY || keyPermission(t, keyRef{k, true}, keys.Search) != nil {
		// Searches skip invalidated keys and keys the caller may
		// not search, so they are never found possessed.
		for _, ring := range processKeyrings(t) {
			if ring == k {
				return true
			}
		}
		return false
	}
	for _, ring := range processKeyrings(t) {
		if ring == k {
			return true
		}
		found := false
		keys.SearchFrom(ring, k.Type, k.Desc, func(x *keys.Key) bool {
			if found {
				return false
			}
			for _, l := range x.Links() {
				if l == k {
					found = true
				}
			}
			return !found && keyPermission(t, keyRef{x, true}, keys.Search) == nil
		})
		if found {
			return true
		}
	}
	return false
}

// lookupKey is Linux's lookup_user_key: a special id (made with create)
// or a serial; need is checked unless 0; the key must be valid unless
// partial.
func lookupKey(t *kernel.Task, id int32, create bool, need uint32, partial bool) (keyRef, error) {
	var r keyRef
	switch id {
	case keySpecThread:
		k := t.ThreadKeyring(create)
		if k == nil {
			return r, unix.ENOKEY
		}
		r = keyRef{k, true}
	case keySpecProcess:
		k := t.ProcessKeyring(create)
		if k == nil {
			return r, unix.ENOKEY
		}
		r = keyRef{k, true}
	case keySpecSession:
		if t.SessionKeyring() == nil {
			if create {
				t.SetSessionKeyring(t.NewSessionKeyring("_ses"))
			} else {
				_, us := userKeyrings(t)
				t.SetSessionKeyring(us)
			}
		}
		r = keyRef{t.SessionKeyring(), true}
	case keySpecUser:
		u, _ := userKeyrings(t)
		r = keyRef{u, true}
	case keySpecUserSession:
		_, us := userKeyrings(t)
		r = keyRef{us, true}
	case keySpecGroup:
		return r, unix.EINVAL
	case keySpecReqkeyAuth, -8:
		return r, unix.ENOKEY
	default:
		if id <= 0 {
			return r, unix.EINVAL
		}
		k, err := t.Kernel().Keys().Lookup(id)
		if err != nil {
			return r, err
		}
		if !t.Kernel().KeyAlive(k) {
			return r, unix.ENOKEY
		}
		r = keyRef{k, possesses(t, k)}
	}
	if !partial {
		if err := r.k.Valid(); err != nil {
			return r, err
		}
	}
	if need != 0 {
		if err := keyPermission(t, r, need); err != nil {
			return r, err
		}
	}
	return r, nil
}

// keyTypeFromUser reads a key type name: ".name" is EPERM, an unknown
// type ENODEV.
func keyTypeFromUser(t *kernel.Task, addr uintptr) (string, error) {
	typ, err := t.CopyInString(addr, 32)
	if err != nil {
		return "", err
	}
	if len(typ) > 0 && typ[0] == '.' {
		return "", unix.EPERM
	}
	return typ, nil
}

// knownKeyType reports whether kite has key type typ.
func knownKeyType(typ string) bool {
	return typ == "user" || typ == "logon" || typ == "keyring"
}

// defaultKeyPerm is the mask Linux gives a new key of typ.
func defaultKeyPerm(typ string) uint32 {
	p := uint32(keys.View|keys.Search|keys.Link|keys.SetAttr)<<24 | keys.View<<16
	if typ != "logon" {
		p |= keys.Read << 24
	}
	return p | keys.Write<<24
}

func addKey(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	plen := a[3]
	if plen > 1<<20-1 {
		return 0, unix.EINVAL
	}
	typ, err := keyTypeFromUser(t, a[0])
	if err != nil {
		return 0, err
	}
	var desc string
	if a[1] != 0 {
		if desc, err = t.CopyInString(a[1], keys.MaxDesc); err != nil {
			return 0, err
		}
		if desc != "" && desc[0] == '.' && typ == "keyring" {
			return 0, unix.EPERM
		}
	}
	var payload []byte
	if plen > 0 {
		payload = make([]byte, plen)
		if err := copyInFull(t, a[2], payload); err != nil {
			return 0, err
		}
	}
	ring, err := lookupKey(t, int32(a[4]), true, keys.Write, false)
	if err != nil {
		return 0, err
	}
	if !knownKeyType(typ) {
		return 0, unix.ENODEV
	}
	if !ring.k.IsKeyring() {
		return 0, unix.ENOTDIR
	}
	switch typ {
	case "keyring":
		if len(payload) != 0 {
			return 0, unix.EINVAL
		}
	default:
		if len(payload) == 0 || len(payload) > keys.MaxUserPayload {
			return 0, unix.EINVAL
		}
		if typ == "logon" {
			if i := indexByte(desc, ':'); i <= 0 {
				return 0, unix.EINVAL
			}
		}
	}
	if desc == "" {
		return 0, unix.EINVAL
	}
	if typ != "keyring" {
		if old := ring.k.Find(typ, desc); old != nil && old.Valid() == nil {
			if err := keyPermission(t, keyRef{old, ring.possessed}, keys.Write); err == nil {
				if err := old.Update(payload); err != nil {
					return 0, err
				}
				return uintptr(old.Serial), nil
			}
		}
	}
	c := t.Credentials()
	k := t.Kernel().Keys().New(typ, desc, c.FSUID, c.FSGID, defaultKeyPerm(typ), payload)
	if err := ring.k.LinkKey(k); err != nil {
		return 0, err
	}
	return uintptr(k.Serial), nil
}

func indexByte(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}

// searchProcessKeyrings looks for typ/desc in the caller's keyrings.
func searchProcessKeyrings(t *kernel.Task, typ, desc string) (*keys.Key, error) {
	var firstErr error
	for _, ring := range processKeyrings(t) {
		k, err := keys.SearchFrom(ring, typ, desc, func(x *keys.Key) bool {
			return keyPermission(t, keyRef{x, true}, keys.Search) == nil
		})
		if err == nil {
			if keyPermission(t, keyRef{k, true}, keys.Search) != nil {
				if firstErr == nil {
					firstErr = unix.EACCES
				}
				continue
			}
			return k, nil
		}
		if err != unix.ENOKEY && firstErr == nil {
			firstErr = err
		}
	}
	if firstErr != nil {
		return nil, firstErr
	}
	return nil, unix.ENOKEY
}

func requestKey(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	typ, err := keyTypeFromUser(t, a[0])
	if err != nil {
		return 0, err
	}
	desc, err := t.CopyInString(a[1], keys.MaxDesc)
	if err != nil {
		return 0, err
	}
	if a[2] != 0 {
		if _, err := t.CopyInString(a[2], 1<<20); err != nil {
			return 0, err
		}
	}
	var dest keyRef
	if a[3] != 0 {
		if dest, err = lookupKey(t, int32(a[3]), true, keys.Write, false); err != nil {
			return 0, err
		}
	}
	if !knownKeyType(typ) {
		return 0, unix.ENODEV
	}
	k, err := searchProcessKeyrings(t, typ, desc)
	if err != nil {
		// No key: kite runs no /sbin/request-key to make one.
		return 0, err
	}
	if dest.k != nil {
		if err := dest.k.LinkKey(k); err != nil {
			return 0, err
		}
	}
	return uintptr(k.Serial), nil
}

func keyctl(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	id := int32(a[1])
	switch int(int32(a[0])) {
	case keyctlGetKeyringID:
		r, err := lookupKey(t, id, a[2] != 0, 0, false)
		if err != nil {
			return 0, err
		}
		return uintptr(r.k.Serial), nil
	case keyctlJoinSession:
		return keyctlJoin(t, a[1])
	case keyctlUpdate:
		if a[3] > 1<<20-1 {
			return 0, unix.EINVAL
		}
		p := make([]byte, a[3])
		if len(p) > 0 {
			if err := copyInFull(t, a[2], p); err != nil {
				return 0, err
			}
		}
		r, err := lookupKey(t, id, true, keys.Write, false)
		if err != nil {
			return 0, err
		}
		if !r.k.IsKeyring() && (len(p) == 0 || len(p) > keys.MaxUserPayload) {
			return 0, unix.EINVAL
		}
		return 0, r.k.Update(p)
	case keyctlRevoke:
		r, err := lookupKey(t, id, false, keys.Write, false)
		if err == unix.EACCES {
			r, err = lookupKey(t, id, false, keys.SetAttr, false)
		}
		if err != nil {
			return 0, err
		}
		r.k.Revoke()
		return 0, nil
	case keyctlChown:
		return keyctlChownKey(t, id, uint32(a[2]), uint32(a[3]))
	case keyctlSetperm:
		perm := uint32(a[2])
		if perm&^(keys.All<<24|keys.All<<16|keys.All<<8|keys.All) != 0 {
			return 0, unix.EINVAL
		}
		r, err := lookupKey(t, id, true, keys.SetAttr, false)
		if err != nil {
			return 0, err
		}
		uid, _ := r.k.Owner()
		if uid != t.Credentials().FSUID && !t.Credentials().HasGlobalCapability(unix.CAP_SYS_ADMIN) {
			return 0, unix.EACCES
		}
		r.k.SetPerm(perm)
		return 0, nil
	case keyctlDescribe:
		r, err := lookupKey(t, id, false, keys.View, false)
		if err != nil {
			return 0, err
		}
		uid, gid := r.k.Owner()
		ns := t.Credentials().UserNamespace
		uid, gid = ns.UIDOf(uid), ns.GIDOf(gid)
		if gid == ^uint32(0) {
			gid = auth.OverflowID // INVALID_GID, as from_kgid_munged shows it
		}
		s := r.k.Describe(uid, gid) + "\x00"
		if a[2] != 0 && a[3] >= uintptr(len(s)) {
			if err := copyOutFull(t, a[2], []byte(s)); err != nil {
				return 0, err
			}
		}
		return uintptr(len(s)), nil
	case keyctlClear:
		r, err := lookupKey(t, id, true, keys.Write, false)
		if err != nil {
			return 0, err
		}
		return 0, r.k.Clear()
	case keyctlLink:
		r, err := lookupKey(t, id, true, keys.Link, false)
		if err != nil {
			return 0, err
		}
		ring, err := lookupKey(t, int32(a[2]), true, keys.Write, false)
		if err != nil {
			return 0, err
		}
		return 0, ring.k.LinkKey(r.k)
	case keyctlUnlink:
		ring, err := lookupKey(t, int32(a[2]), false, keys.Write, false)
		if err != nil {
			return 0, err
		}
		r, err := lookupKey(t, id, false, 0, true)
		if err != nil {
			return 0, err
		}
		return 0, ring.k.Unlink(r.k)
	case keyctlSearch:
		return keyctlSearchKey(t, a)
	case keyctlRead:
		r, err := lookupKey(t, id, false, 0, true)
		if err != nil {
			return 0, err
		}
		if err := keyPermission(t, r, keys.Read); err != nil {
			if !r.possessed {
				return 0, err
			}
			if err := keyPermission(t, r, keys.Search); err != nil {
				return 0, err
			}
		}
		if r.k.Type == "logon" {
			return 0, unix.EOPNOTSUPP
		}
		if err := r.k.Valid(); err != nil {
			return 0, err
		}
		if r.k.IsKeyring() && a[2] != 0 && a[3]%4 != 0 {
			return 0, unix.EINVAL
		}
		p := r.k.Payload()
		// The data is copied only when all of it fits.
		if a[2] != 0 && a[3] > 0 && uintptr(len(p)) <= a[3] {
			if err := copyOutFull(t, a[2], p); err != nil {
				return 0, err
			}
		}
		return uintptr(len(p)), nil
	case keyctlSetTimeout:
		r, err := lookupKey(t, id, true, keys.SetAttr, false)
		if err != nil {
			return 0, err
		}
		r.k.SetTimeout(uint32(a[2]))
		return 0, nil
	case keyctlGetSecurity:
		if _, err := lookupKey(t, id, false, keys.View, false); err != nil {
			return 0, err
		}
		// No security module labels keys: the context is "".
		if a[2] != 0 && a[3] > 0 {
			if err := copyOutFull(t, a[2], []byte{0}); err != nil {
				return 0, err
			}
		}
		return 1, nil
	case keyctlInvalidate:
		r, err := lookupKey(t, id, false, keys.Search, false)
		if err != nil {
			return 0, err
		}
		r.k.Invalidate()
		return 0, nil
	}
	return 0, unix.EOPNOTSUPP
}

// keyctlJoin is KEYCTL_JOIN_SESSION_KEYRING: a new anonymous session
// keyring, or the caller's keyring of that name (made if there is none).
func keyctlJoin(t *kernel.Task, nameAddr uintptr) (uintptr, error) {
	if nameAddr == 0 {
		k := t.NewSessionKeyring("_ses")
		t.SetSessionKeyring(k)
		return uintptr(k.Serial), nil
	}
	name, err := t.CopyInString(nameAddr, keys.MaxDesc)
	if err != nil {
		return 0, err
	}
	if name == "" {
		return 0, unix.EINVAL
	}
	if s := t.SessionKeyring(); s != nil && s.Desc == name {
		return uintptr(s.Serial), nil
	}
	if k := t.Kernel().Keys().FindKeyring(name, t.Credentials().FSUID); k != nil {
		if err := keyPermission(t, keyRef{k, false}, keys.Search); err != nil {
			return 0, err
		}
		t.SetSessionKeyring(k)
		return uintptr(k.Serial), nil
	}
	k := t.NewSessionKeyring(name)
	t.SetSessionKeyring(k)
	return uintptr(k.Serial), nil
}

// keyctlChownKey is KEYCTL_CHOWN: changing the owner needs
// CAP_SYS_ADMIN, the group membership of it (or the capability).
func keyctlChownKey(t *kernel.Task, id int32, uid, gid uint32) (uintptr, error) {
	if uid == ^uint32(0) && gid == ^uint32(0) {
		return 0, nil
	}
	r, err := lookupKey(t, id, true, keys.SetAttr, false)
	if err != nil {
		return 0, err
	}
	c := t.Credentials()
	admin := c.HasGlobalCapability(unix.CAP_SYS_ADMIN)
	ouid, ogid := r.k.Owner()
	kuid, kgid := ^uint32(0), ^uint32(0)
	var ok bool
	if uid != ^uint32(0) {
		if kuid, ok = c.UserNamespace.MapUIDToKernel(uid); !ok {
			return 0, unix.EINVAL
		}
	}
	if gid != ^uint32(0) {
		if kgid, ok = c.UserNamespace.MapGIDToKernel(gid); !ok {
			return 0, unix.EINVAL
		}
	}
	if !admin {
		if kuid != ^uint32(0) && kuid != ouid {
			return 0, unix.EACCES
		}
		if kgid != ^uint32(0) && (ouid != c.FSUID || kgid != ogid && !c.InGroup(kgid)) {
			return 0, unix.EACCES
		}
	}
	r.k.Chown(kuid, kgid)
	return 0, nil
}

// keyctlSearchKey is KEYCTL_SEARCH: a search from a keyring the caller
// may search, linking the result into a destination keyring if given.
func keyctlSearchKey(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	typ, err := keyTypeFromUser(t, a[2])
	if err != nil {
		return 0, err
	}
	desc, err := t.CopyInString(a[3], keys.MaxDesc)
	if err != nil {
		return 0, err
	}
	ring, err := lookupKey(t, int32(a[1]), false, keys.Search, false)
	if err != nil {
		return 0, err
	}
	var dest keyRef
	if a[4] != 0 {
		if dest, err = lookupKey(t, int32(a[4]), true, keys.Write, false); err != nil {
			return 0, err
		}
	}
	if !knownKeyType(typ) {
		return 0, unix.ENODEV
	}
	if !ring.k.IsKeyring() {
		return 0, unix.ENOTDIR
	}
	k, err := keys.SearchFrom(ring.k, typ, desc, func(x *keys.Key) bool {
		return keyPermission(t, keyRef{x, ring.possessed}, keys.Search) == nil
	})
	if err != nil {
		return 0, err
	}
	if err := keyPermission(t, keyRef{k, ring.possessed}, keys.Search); err != nil {
		return 0, err
	}
	if dest.k != nil {
		if err := keyPermission(t, keyRef{k, ring.possessed}, keys.Link); err != nil {
			return 0, err
		}
		if err := dest.k.LinkKey(k); err != nil {
			return 0, err
		}
	}
	return uintptr(k.Serial), nil
}
