package net

import (
	"sort"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/auth"
)

// NSResolver finds the network namespace, as its socket layer, that a
// descriptor (a namespace file) or a process names: the kernel's
// knowledge, which netlink's RTM_GETNSID and RTM_NEWNSID need.
type NSResolver interface {
	// StackOfFD is the namespace of the caller's descriptor fd: EBADF
	// if fd is not open, EINVAL if it is not a network namespace file.
	StackOfFD(ctx Context, fd int32) (*Stack, error)
	// StackOfPID is the namespace of the caller's process pid (ESRCH).
	StackOfPID(ctx Context, pid int32) (*Stack, error)
}

// SetNSResolver installs the kernel's resolver.
func (s *Stack) SetNSResolver(r NSResolver) {
	s.nsMu.Lock()
	s.resolver = r
	s.nsMu.Unlock()
}

// Resolver returns the kernel's resolver (nil in a stack without one).
func (s *Stack) Resolver() NSResolver {
	s.nsMu.Lock()
	defer s.nsMu.Unlock()
	return s.resolver
}

// SetOwner records the user namespace that owns the stack's network
// namespace (the kernel's, when it makes the namespace).
func (s *Stack) SetOwner(ns *auth.UserNamespace) {
	s.nsMu.Lock()
	s.owner = ns
	s.nsMu.Unlock()
}

// NetAdmin reports whether c has CAP_NET_ADMIN over the user namespace
// owning the stack's network namespace (Linux's
// ns_capable(net->user_ns, CAP_NET_ADMIN)): what changing the
// namespace's interfaces, addresses and ids needs. A stack without a
// recorded owner asks c's own namespace.
func (s *Stack) NetAdmin(c *auth.Credentials) bool {
	s.nsMu.Lock()
	owner := s.owner
	s.nsMu.Unlock()
	if owner == nil {
		return c.HasCapability(unix.CAP_NET_ADMIN)
	}
	return c.HasCapabilityIn(unix.CAP_NET_ADMIN, owner)
}

// PeerID is the id s gives the namespace peer (Linux's peernet2id), -1
// when it gives none.
func (s *Stack) PeerID(peer *Stack) int32 {
	s.nsMu.Lock()
	defer s.nsMu.Unlock()
	if id, ok := s.nsids[peer]; ok && !peer.Closed() {
		return id
	}
	return -1
}

// SetPeerID gives peer the id id (the lowest free one when id is
// negative), as RTM_NEWNSID: EEXIST if peer has one or id is taken.
func (s *Stack) SetPeerID(peer *Stack, id int32) (int32, error) {
	s.nsMu.Lock()
	defer s.nsMu.Unlock()
	used := make(map[int32]bool)
	for p, i := range s.nsids {
		if p.Closed() {
			delete(s.nsids, p)
			continue
		}
		used[i] = true
	}
	if _, ok := s.nsids[peer]; ok {
		return 0, unix.EEXIST
	}
	if id >= 0 && used[id] {
		return 0, unix.EEXIST
	}
	if id < 0 {
		for id = 0; used[id]; id++ {
		}
	}
	if s.nsids == nil {
		s.nsids = make(map[*Stack]int32)
	}
	s.nsids[peer] = id
	return id, nil
}

// PeerIDs are the ids s gives, in order (RTM_GETNSID's dump).
func (s *Stack) PeerIDs() []int32 {
	s.nsMu.Lock()
	defer s.nsMu.Unlock()
	var ids []int32
	for p, id := range s.nsids {
		if !p.Closed() {
			ids = append(ids, id)
		}
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}
