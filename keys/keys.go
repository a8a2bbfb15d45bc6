package keys

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// Permission bits (KEY_POS_*, KEY_USR_*, KEY_GRP_*, KEY_OTH_* are these
// shifted by 24, 16, 8 and 0).
const (
	View    = 0x01
	Read    = 0x02
	Write   = 0x04
	Search  = 0x08
	Link    = 0x10
	SetAttr = 0x20
	All     = 0x3f
)

// Payload limits of the "user" type and of descriptions.
const (
	MaxUserPayload = 32767
	MaxDesc        = 4096
)

// Key is one key or keyring.
type Key struct {
	Serial int32
	Type   string // "user", "logon" or "keyring"
	Desc   string

	mu sync.Mutex
	// The fields below are guarded by mu.
	uid, gid uint32
	perm     uint32
	payload  []byte
	links    []*Key
	revoked  bool
	invalid  bool
	expiry   time.Time
}

// IsKeyring reports whether k is a keyring.
func (k *Key) IsKeyring() bool { return k.Type == "keyring" }

// Owner returns the key's uid and gid.
func (k *Key) Owner() (uint32, uint32) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.uid, k.gid
}

// Perm returns the permission mask.
func (k *Key) Perm() uint32 {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.perm
}

// SetPerm replaces the permission mask.
func (k *Key) SetPerm(p uint32) {
	k.mu.Lock()
	k.perm = p
	k.mu.Unlock()
}

// Chown changes the owner; ^0 leaves a field alone.
func (k *Key) Chown(uid, gid uint32) {
	k.mu.Lock()
	if uid != ^uint32(0) {
		k.uid = uid
	}
	if gid != ^uint32(0) {
		k.gid = gid
	}
	k.mu.Unlock()
}

// Valid returns nil, or the error using the key gives: EKEYREVOKED,
// EKEYEXPIRED, or ENOKEY once invalidated.
func (k *Key) Valid() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.validLocked()
}

func (k *Key) validLocked() error {
	switch {
	case k.invalid:
		return unix.ENOKEY
	case k.revoked:
		return unix.EKEYREVOKED
	case !k.expiry.IsZero() && !time.Now().Before(k.expiry):
		return unix.EKEYEXPIRED
	}
	return nil
}

// Revoke marks the key revoked.
func (k *Key) Revoke() {
	k.mu.Lock()
	k.revoked = true
	k.mu.Unlock()
}

// Invalidate marks the key gone (KEYCTL_INVALIDATE).
func (k *Key) Invalidate() {
	k.mu.Lock()
	k.invalid = true
	k.mu.Unlock()
}

// SetTimeout sets the expiry sec seconds from now (0: never).
func (k *Key) SetTimeout(sec uint32) {
	k.mu.Lock()
	if sec == 0 {
		k.expiry = time.Time{}
	} else {
		k.expiry = time.Now().Add(time.Duration(sec) * time.Second)
	}
	k.mu.Unlock()
}

// Describe returns KEYCTL_DESCRIBE's text with the owner ids as the
// caller sees them.
func (k *Key) Describe(uid, gid uint32) string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return fmt.Sprintf("%s;%d;%d;%08x;%s", k.Type, int32(uid), int32(gid), k.perm, k.Desc)
}

// Payload returns what KEYCTL_READ reads: a user key's data, or a
// keyring's serials (4 bytes each).
func (k *Key) Payload() []byte {
	k.mu.Lock()
	defer k.mu.Unlock()
	if !k.IsKeyring() {
		return append([]byte(nil), k.payload...)
	}
	var out []byte
	for _, l := range k.links {
		if l.Valid() == unix.ENOKEY {
			continue
		}
		out = binary.LittleEndian.AppendUint32(out, uint32(l.Serial))
	}
	return out
}

// Update replaces a user key's payload (KEYCTL_UPDATE, add_key of an
// existing key).
func (k *Key) Update(p []byte) error {
	if k.IsKeyring() {
		return unix.EOPNOTSUPP
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.validLocked(); err != nil {
		return err
	}
	k.payload = append([]byte(nil), p...)
	return nil
}

// Links returns a keyring's links.
func (k *Key) Links() []*Key {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]*Key(nil), k.links...)
}

// LinkKey links x into keyring k, displacing a key of the same type and
// description. EDEADLK if it would make a cycle.
func (k *Key) LinkKey(x *Key) error {
	if !k.IsKeyring() {
		return unix.ENOTDIR
	}
	if x.IsKeyring() && (x == k || reaches(x, k, 0)) {
		return unix.EDEADLK
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	for i, l := range k.links {
		if l == x {
			return nil
		}
		if l.Type == x.Type && l.Desc == x.Desc {
			k.links[i] = x
			return nil
		}
	}
	k.links = append(k.links, x)
	return nil
}

// reaches reports whether keyring from links to target, directly or not.
func reaches(from, target *Key, depth int) bool {
	if depth > 8 {
		return true
	}
	for _, l := range from.Links() {
		if l == target || l.IsKeyring() && reaches(l, target, depth+1) {
			return true
		}
	}
	return false
}

// Unlink removes x from keyring k; ENOENT if it is not there.
func (k *Key) Unlink(x *Key) error {
	if !k.IsKeyring() {
		return unix.ENOTDIR
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	for i, l := range k.links {
		if l == x {
			k.links = append(k.links[:i], k.links[i+1:]...)
			return nil
		}
	}
	return unix.ENOENT
}

// Clear removes every link of keyring k.
func (k *Key) Clear() error {
	if !k.IsKeyring() {
		return unix.ENOTDIR
	}
	k.mu.Lock()
	k.links = nil
	k.mu.Unlock()
	return nil
}

// Find returns the key of type typ and description desc linked from k.
func (k *Key) Find(typ, desc string) *Key {
	for _, l := range k.Links() {
		if l.Type == typ && l.Desc == desc {
			return l
		}
	}
	return nil
}

// Registry is a kernel's keys by serial number, and its users' keyrings.
type Registry struct {
	mu sync.Mutex
	// keys maps serials to keys. Guarded by mu.
	keys map[int32]*Key
	// userKeyrings and userSession are the _uid.N and _uid_ses.N
	// keyrings by uid. Guarded by mu.
	userKeyrings, userSession map[uint32]*Key
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{keys: map[int32]*Key{}, userKeyrings: map[uint32]*Key{}, userSession: map[uint32]*Key{}}
}

// New makes a key with a fresh serial number, as Linux's random serials.
func (r *Registry) New(typ, desc string, uid, gid, perm uint32, payload []byte) *Key {
	k := &Key{Type: typ, Desc: desc, uid: uid, gid: gid, perm: perm, payload: append([]byte(nil), payload...)}
	r.mu.Lock()
	defer r.mu.Unlock()
	for {
		var b [4]byte
		rand.Read(b[:])
		s := int32(binary.LittleEndian.Uint32(b[:]) & 0x7fffffff)
		if s < 3 || r.keys[s] != nil {
			continue
		}
		k.Serial = s
		r.keys[s] = k
		return k
	}
}

// Lookup returns the key with serial s; ENOKEY if there is none.
func (r *Registry) Lookup(s int32) (*Key, error) {
	r.mu.Lock()
	k := r.keys[s]
	r.mu.Unlock()
	if k == nil || k.Valid() == unix.ENOKEY {
		return nil, unix.ENOKEY
	}
	return k, nil
}

// UserKeyrings returns uid's user keyring and user session keyring,
// made on first use (the session one links the user one).
func (r *Registry) UserKeyrings(uid uint32) (user, session *Key) {
	r.mu.Lock()
	user, session = r.userKeyrings[uid], r.userSession[uid]
	r.mu.Unlock()
	if user != nil {
		return user, session
	}
	const perm = All<<24 | All<<16
	u := r.New("keyring", fmt.Sprintf("_uid.%d", uid), uid, ^uint32(0), perm, nil)
	s := r.New("keyring", fmt.Sprintf("_uid_ses.%d", uid), uid, ^uint32(0), perm, nil)
	s.LinkKey(u)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.userKeyrings[uid] == nil {
		r.userKeyrings[uid], r.userSession[uid] = u, s
	}
	return r.userKeyrings[uid], r.userSession[uid]
}

// SearchFrom looks for a key of type typ and description desc in keyring
// from and the keyrings it links, depth first as Linux's
// keyring_search: a key it meets must be valid; canSearch says whether a
// keyring may be searched.
func SearchFrom(from *Key, typ, desc string, canSearch func(*Key) bool) (*Key, error) {
	seen := map[*Key]bool{}
	var walk func(k *Key, depth int) *Key
	var firstErr error
	walk = func(k *Key, depth int) *Key {
		if seen[k] || depth > 6 || !canSearch(k) {
			return nil
		}
		seen[k] = true
		links := k.Links()
		for _, l := range links {
			if l.Type == typ && l.Desc == desc {
				if err := l.Valid(); err != nil {
					if firstErr == nil {
						firstErr = err
					}
					continue
				}
				return l
			}
		}
		for _, l := range links {
			if l.IsKeyring() && l.Valid() == nil {
				if x := walk(l, depth+1); x != nil {
					return x
				}
			}
		}
		return nil
	}
	if x := walk(from, 0); x != nil {
		return x, nil
	}
	if firstErr != nil {
		return nil, firstErr
	}
	return nil, unix.ENOKEY
}

// FindKeyring returns a valid keyring named desc owned by uid, if any
// (KEYCTL_JOIN_SESSION_KEYRING joins it).
func (r *Registry) FindKeyring(desc string, uid uint32) *Key {
	r.mu.Lock()
	var found []*Key
	for _, k := range r.keys {
		if k.IsKeyring() && k.Desc == desc {
			found = append(found, k)
		}
	}
	r.mu.Unlock()
	for _, k := range found {
		if u, _ := k.Owner(); u == uid && k.Valid() == nil {
			return k
		}
	}
	return nil
}

// UserRoots returns every user keyring and user session keyring.
func (r *Registry) UserRoots() []*Key {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*Key
	for _, k := range r.userKeyrings {
		out = append(out, k)
	}
	for _, k := range r.userSession {
		out = append(out, k)
	}
	return out
}
