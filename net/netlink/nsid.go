package netlink

import (
	"encoding/binary"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/net"
)

// Namespace ids (`ip netns list`, `ip netns set`, `ip netns list-id`):
// the ids this namespace gives other network namespaces, kept by the
// socket layer of the namespace (net.Stack) and found through the
// kernel's resolver, as Linux's rtnl_net_getid, rtnl_net_newid and
// rtnl_net_dumpid.

// nsidMsg is RTM_NEWNSID carrying id (struct rtgenmsg, NETNSA_NSID).
func nsidMsg(h hdr, port uint32, flags uint16, id int32) []byte {
	m := newMsg(unix.RTM_NEWNSID, flags, h.Seq, port, make([]byte, unix.SizeofRtGenmsg))
	m.u32(unix.NETNSA_NSID, uint32(id))
	return m.bytes()
}

// peerOf is the namespace a request names by NETNSA_FD or NETNSA_PID
// (EINVAL without either).
func (s *socket) peerOf(ctx net.Context, at map[uint16][]byte) (*net.Stack, unix.Errno) {
	st := s.fam.stack
	r := st.Resolver()
	if r == nil {
		return nil, unix.EOPNOTSUPP
	}
	var peer *net.Stack
	var err error
	switch {
	case len(at[unix.NETNSA_PID]) >= 4:
		peer, err = r.StackOfPID(ctx, int32(binary.LittleEndian.Uint32(at[unix.NETNSA_PID])))
	case len(at[unix.NETNSA_FD]) >= 4:
		peer, err = r.StackOfFD(ctx, int32(binary.LittleEndian.Uint32(at[unix.NETNSA_FD])))
	default:
		return nil, unix.EINVAL
	}
	if err != nil {
		return nil, errnoOr(err, unix.EINVAL)
	}
	return peer, 0
}

// genAttrs returns the attributes after a struct rtgenmsg: none when the
// payload ends within the struct's padding (Linux's nlmsg_parse finds
// none there either).
func genAttrs(payload []byte) map[uint16][]byte {
	if len(payload) < align4(unix.SizeofRtGenmsg) {
		return Attrs(nil)
	}
	return Attrs(payload[align4(unix.SizeofRtGenmsg):])
}

// getNSID is RTM_GETNSID: the id the caller's namespace gives the one
// named by NETNSA_FD, NETNSA_PID or NETNSA_NSID (-1 for none), or with
// NLM_F_DUMP every id it gives.
func (s *socket) getNSID(ctx net.Context, h hdr, payload []byte, port uint32, dump bool) ([]byte, unix.Errno) {
	st := s.fam.stack
	if st == nil {
		return nil, unix.EOPNOTSUPP
	}
	if dump {
		var out []byte
		for _, id := range st.PeerIDs() {
			out = append(out, nsidMsg(h, port, unix.NLM_F_MULTI, id)...)
		}
		return out, 0
	}
	if len(payload) < unix.SizeofRtGenmsg {
		return nil, unix.EINVAL
	}
	at := genAttrs(payload)
	if v := at[unix.NETNSA_NSID]; len(v) >= 4 && at[unix.NETNSA_PID] == nil && at[unix.NETNSA_FD] == nil {
		// Asking by id: the reply names it if it is given.
		id := int32(binary.LittleEndian.Uint32(v))
		for _, have := range st.PeerIDs() {
			if have == id {
				return nsidMsg(h, port, 0, id), 0
			}
		}
		return nil, unix.ENOENT
	}
	peer, e := s.peerOf(ctx, at)
	if e != 0 {
		return nil, e
	}
	return nsidMsg(h, port, 0, st.PeerID(peer)), 0
}

// newNSID is RTM_NEWNSID: the caller's namespace gives the one named by
// NETNSA_FD or NETNSA_PID the id NETNSA_NSID (EEXIST if it has one or
// the id is taken). Needs CAP_NET_ADMIN over the user namespace owning
// the caller's network namespace (rtnl_net_newid's
// netlink_ns_capable(net->user_ns)), not the caller's own.
func (s *socket) newNSID(ctx net.Context, payload []byte) unix.Errno {
	st := s.fam.stack
	if st == nil {
		return unix.EOPNOTSUPP
	}
	if !st.NetAdmin(ctx.Credentials()) {
		return unix.EPERM
	}
	if len(payload) < unix.SizeofRtGenmsg {
		return unix.EINVAL
	}
	at := genAttrs(payload)
	v := at[unix.NETNSA_NSID]
	if len(v) < 4 {
		return unix.EINVAL
	}
	peer, e := s.peerOf(ctx, at)
	if e != 0 {
		return e
	}
	if _, err := st.SetPeerID(peer, int32(binary.LittleEndian.Uint32(v))); err != nil {
		return unix.EEXIST
	}
	return 0
}

// netAdmin reports whether the caller may change the socket's network
// namespace: CAP_NET_ADMIN over the user namespace owning it (Linux's
// netlink_net_capable).
func (s *socket) netAdmin(ctx net.Context) bool {
	if st := s.fam.stack; st != nil {
		return st.NetAdmin(ctx.Credentials())
	}
	return ctx.Credentials().HasCapability(unix.CAP_NET_ADMIN)
}
