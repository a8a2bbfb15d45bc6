package kernel

import (
	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/auth"
	"github.com/kite-os/kite/net"
	"github.com/kite-os/kite/vfs"
)

// NetNamespace is a network namespace: its socket layer (the families
// with their own network stack, interfaces and ports).
type NetNamespace struct {
	nsCommon
	// Stack is the namespace's socket layer.
	Stack *net.Stack
}

// Kind implements Namespace.
func (*NetNamespace) Kind() string { return "net" }

// CloneFlag implements Namespace.
func (*NetNamespace) CloneFlag() int { return unix.CLONE_NEWNET }

// newNetNamespace makes a network namespace from Config.NewNetStack
// (EINVAL when the kernel was given none, as a kernel without
// CONFIG_NET_NS).
func (k *Kernel) newNetNamespace(owner *auth.UserNamespace) (*NetNamespace, error) {
	if k.newNetStack == nil {
		return nil, unix.EINVAL
	}
	s, err := k.newNetStack()
	if err != nil {
		return nil, unix.ENOMEM
	}
	s.SetNSResolver(netNSResolver{k})
	s.SetOwner(owner)
	n := &NetNamespace{nsCommon: nsCommon{inode: k.newNSInode(), owner: owner}, Stack: s}
	s.SetIdle(func() { k.netNamespaceIdle(n) })
	return n, nil
}

// netNamespaceIdle runs when n's stack has no user left (no task, open
// namespace file or socket): unless a bind mount of its namespace file
// keeps it (ip netns add), the namespace is dead and its stack is shut
// down, as Linux's cleanup_net.
func (k *Kernel) netNamespaceIdle(n *NetNamespace) {
	mounted := k.vfs.AnyMountRoot(func(in vfs.Inode) bool {
		ni, ok := in.(*nsInode)
		return ok && ni.ns == Namespace(n)
	})
	if !mounted {
		n.Stack.CloseIfUnused()
	}
}

// dropNewNetNamespace shuts down the namespace of a clone or unshare
// that failed after making it (nobody ever used it).
func dropNewNetNamespace(n, old *NetNamespace) {
	if n != nil && n != old {
		n.Stack.CloseIfUnused()
	}
}

// NetStack returns the socket layer of t's network namespace.
func (t *Task) NetStack() *net.Stack {
	if ns := t.Namespaces(); ns != nil && ns.Net != nil {
		return ns.Net.Stack
	}
	return t.k.net
}

// netNSResolver is the kernel's net.NSResolver: it finds the network
// namespaces that namespace files and processes name, for netlink's
// namespace ids.
type netNSResolver struct{ k *Kernel }

// StackOfFD implements net.NSResolver.
func (r netNSResolver) StackOfFD(ctx net.Context, fd int32) (*net.Stack, error) {
	t := r.k.TaskByID(ctx.ThreadID())
	if t == nil {
		return nil, unix.ESRCH
	}
	f, _, err := t.FDTable().Get(fd)
	if err != nil {
		return nil, unix.EBADF
	}
	defer f.DecRef(ctx)
	ns, ok := NamespaceOfFile(f)
	if n, isNet := ns.(*NetNamespace); ok && isNet {
		return n.Stack, nil
	}
	return nil, unix.EINVAL
}

// StackOfPID implements net.NSResolver.
func (r netNSResolver) StackOfPID(ctx net.Context, pid int32) (*net.Stack, error) {
	t := r.k.TaskByID(ctx.ThreadID())
	if t == nil || pid <= 0 {
		return nil, unix.ESRCH
	}
	g := t.PIDNamespace().Global(pid)
	o := r.k.TaskByID(g)
	if g == 0 || o == nil {
		return nil, unix.ESRCH
	}
	return o.NetStack(), nil
}
