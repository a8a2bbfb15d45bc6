package kernel

import (
	"sync"

	"github.com/kite-os/kite/keys"
)

// keysState is the kernel's key registry, made on first use.
type keysState struct {
	once sync.Once
	reg  *keys.Registry
}

// Keys returns the kernel's key registry.
func (k *Kernel) Keys() *keys.Registry {
	k.keys.once.Do(func() { k.keys.reg = keys.NewRegistry() })
	return k.keys.reg
}

// Keyring perms Linux gives the keyrings it makes for a task.
const (
	threadKeyringPerm  = keys.All<<24 | keys.View<<16
	sessionKeyringPerm = keys.All<<24 | (keys.View|keys.Read)<<16
)

// ThreadKeyring returns the task's thread keyring, made if create is set
// (nil otherwise when it has none).
func (t *Task) ThreadKeyring(create bool) *keys.Key {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.misc.threadKeyring == nil && create {
		c := t.Credentials()
		t.misc.threadKeyring = t.k.Keys().New("keyring", "_tid", c.FSUID, c.FSGID, threadKeyringPerm, nil)
	}
	return t.misc.threadKeyring
}

// ProcessKeyring returns the process's keyring, made if create is set.
func (t *Task) ProcessKeyring(create bool) *keys.Key {
	c := t.Credentials()
	tg := t.tg
	tg.sigMu.Lock()
	defer tg.sigMu.Unlock()
	if tg.misc.processKeyring == nil && create {
		tg.misc.processKeyring = t.k.Keys().New("keyring", "_pid", c.FSUID, c.FSGID, threadKeyringPerm, nil)
	}
	return tg.misc.processKeyring
}

// SessionKeyring returns the task's session keyring (nil if it has none).
func (t *Task) SessionKeyring() *keys.Key {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.misc.sessionKeyring
}

// SetSessionKeyring installs k as the task's session keyring.
func (t *Task) SetSessionKeyring(k *keys.Key) {
	t.mu.Lock()
	t.misc.sessionKeyring = k
	t.mu.Unlock()
}

// NewSessionKeyring makes a session keyring named name for the task
// (KEYCTL_JOIN_SESSION_KEYRING's new keyring).
func (t *Task) NewSessionKeyring(name string) *keys.Key {
	c := t.Credentials()
	return t.k.Keys().New("keyring", name, c.FSUID, c.FSGID, sessionKeyringPerm, nil)
}

// KeyAlive reports whether key x is still reachable from a keyring some
// task holds or from a user's keyrings: Linux destroys a key when its
// last link goes (its garbage collector), so an unreachable key no
// longer exists.
func (k *Kernel) KeyAlive(x *keys.Key) bool {
	k.mu.Lock()
	tasks := make([]*Task, 0, len(k.tasks))
	for _, t := range k.tasks {
		tasks = append(tasks, t)
	}
	k.mu.Unlock()
	roots := k.Keys().UserRoots()
	for _, t := range tasks {
		t.mu.Lock()
		roots = append(roots, t.misc.threadKeyring, t.misc.sessionKeyring)
		t.mu.Unlock()
		t.tg.sigMu.Lock()
		roots = append(roots, t.tg.misc.processKeyring)
		t.tg.sigMu.Unlock()
	}
	seen := map[*keys.Key]bool{}
	var walk func(r *keys.Key) bool
	walk = func(r *keys.Key) bool {
		if r == nil || seen[r] {
			return false
		}
		seen[r] = true
		if r == x {
			return true
		}
		if !r.IsKeyring() {
			return false
		}
		for _, l := range r.Links() {
			if walk(l) {
				return true
			}
		}
		return false
	}
	for _, r := range roots {
		if walk(r) {
			return true
		}
	}
	return false
}
