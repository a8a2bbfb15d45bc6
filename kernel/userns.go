package kernel

import (
	"github.com/kite-os/kite/auth"
)

// Namespace inode numbers: the initial namespaces have Linux's fixed
// numbers (PROC_*_INIT_INO) and new ones count up from nsInodeFirst.
const (
	initIPCNSInode    = 0xEFFFFFFF
	initUTSNSInode    = 0xEFFFFFFE
	initUserNSInode   = 0xEFFFFFFD
	initPIDNSInode    = 0xEFFFFFFC
	initCgroupNSInode = 0xEFFFFFFB
	initTimeNSInode   = 0xEFFFFFFA
	nsInodeFirst      = 0xF0000000
)

// newNSInode returns an unused namespace inode number.
func (k *Kernel) newNSInode() uint64 { return k.nsInodes.Add(1) }

// RootUserNamespace returns the kernel's initial user namespace.
func (k *Kernel) RootUserNamespace() *auth.UserNamespace { return k.userNS }

// inInitialUserNamespace returns c placed in the kernel's initial user
// namespace (the first process lives there whatever namespace value the
// caller built its credentials with).
func (k *Kernel) inInitialUserNamespace(c *auth.Credentials) *auth.Credentials {
	if c.UserNamespace == k.userNS {
		return c
	}
	n := c.Fork()
	n.UserNamespace = k.userNS
	return n
}

// UserNamespace returns the task's user namespace.
func (t *Task) UserNamespace() *auth.UserNamespace { return t.Credentials().UserNamespace }

// MountNamespaceOwner returns the user namespace that owns the task's
// mount namespace: the one whose CAP_SYS_ADMIN mount(2) asks for.
func (t *Task) MountNamespaceOwner() *auth.UserNamespace {
	if ns := t.Namespaces(); ns != nil {
		return ns.Mount.owner
	}
	return t.k.userNS
}

// UID returns how the task sees kernel uid kuid (the overflow uid when its
// namespace does not map it).
func (t *Task) UID(kuid uint32) uint32 { return t.UserNamespace().UIDOf(kuid) }

// GID returns how the task sees kernel gid kgid.
func (t *Task) GID(kgid uint32) uint32 { return t.UserNamespace().GIDOf(kgid) }
