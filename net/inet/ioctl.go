package inet

import (
	"encoding/binary"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/auth"
	"github.com/kite-os/kite/net"
	"github.com/kite-os/kite/net/netlink"
	"github.com/kite-os/kite/vfs"
)

// ifreqLen is sizeof(struct ifreq): a 16-byte name and a 24-byte union.
const ifreqLen = 40

// DeviceIoctl carries out the interface ioctls every socket takes
// (net.DeviceIoctl): SIOCGIFNAME, SIOCGIFINDEX, SIOCGIFFLAGS, SIOCGIFMTU,
// SIOCGIFADDR, SIOCGIFNETMASK, SIOCGIFHWADDR and SIOCGIFCONF; SIOCSIFFLAGS
// brings a link up or down. Changes (SIOCSIF*) need CAP_NET_ADMIN over
// the user namespace owning the network namespace (admin says), and
// those other than SIOCSIFFLAGS are not carried out.
func (st *Stack) DeviceIoctl(ctx net.Context, io vfs.UserIO, cmd uint32, arg uintptr, admin func(*auth.Credentials) bool) (uintptr, error) {
	if cmd == unix.SIOCGIFCONF {
		return 0, st.ifconf(io, arg)
	}
	req := make([]byte, ifreqLen)
	if _, err := io.CopyIn(arg, req); err != nil {
		return 0, unix.EFAULT
	}
	links := st.Links()
	var link *netlink.Link
	if cmd == unix.SIOCGIFNAME {
		idx := int32(binary.LittleEndian.Uint32(req[16:]))
		for i := range links {
			if links[i].Index == idx {
				link = &links[i]
			}
		}
	} else {
		name := string(req[:16])
		for i, c := range req[:16] {
			if c == 0 {
				name = string(req[:i])
				break
			}
		}
		for i := range links {
			if links[i].Name == name {
				link = &links[i]
			}
		}
	}
	switch cmd {
	case unix.SIOCGIFNAME, unix.SIOCGIFINDEX, unix.SIOCGIFFLAGS, unix.SIOCGIFMTU,
		unix.SIOCGIFADDR, unix.SIOCGIFNETMASK, unix.SIOCGIFHWADDR:
	default:
		if cmd >= 0x8910 && cmd <= 0x8960 && cmd&0xf0 != 0 {
			if !admin(ctx.Credentials()) {
				return 0, unix.EPERM
			}
			if cmd == unix.SIOCSIFFLAGS {
				return 0, st.setFlags(link, binary.LittleEndian.Uint16(req[16:]))
			}
			return 0, unix.EOPNOTSUPP
		}
		return 0, unix.ENOTTY
	}
	if link == nil {
		return 0, unix.ENODEV
	}
	out := req
	u := out[16:]
	for i := range u {
		u[i] = 0
	}
	le := binary.LittleEndian
	switch cmd {
	case unix.SIOCGIFNAME:
		copy(out[:16], make([]byte, 16))
		copy(out[:15], link.Name)
		le.PutUint32(u, uint32(link.Index))
	case unix.SIOCGIFINDEX:
		le.PutUint32(u, uint32(link.Index))
	case unix.SIOCGIFFLAGS:
		le.PutUint16(u, uint16(link.Flags))
	case unix.SIOCGIFMTU:
		le.PutUint32(u, link.MTU)
	case unix.SIOCGIFHWADDR:
		le.PutUint16(u, link.Type)
		copy(u[2:], link.HWAddr)
	case unix.SIOCGIFADDR, unix.SIOCGIFNETMASK:
		a := st.firstV4(link.Index)
		if a == nil {
			return 0, unix.EADDRNOTAVAIL
		}
		le.PutUint16(u, unix.AF_INET)
		if cmd == unix.SIOCGIFADDR {
			copy(u[4:8], a.Addr)
		} else {
			m := uint32(0xffffffff) << (32 - a.PrefixLen)
			binary.BigEndian.PutUint32(u[4:], m)
		}
	}
	if _, err := io.CopyOut(arg, out); err != nil {
		return 0, unix.EFAULT
	}
	return 0, nil
}

// setFlags is SIOCSIFFLAGS: only IFF_UP may change (the flags the
// kernel computes are ignored, as dev_change_flags does).
func (st *Stack) setFlags(link *netlink.Link, flags uint16) error {
	if link == nil {
		return unix.ENODEV
	}
	const computed = unix.IFF_RUNNING | unix.IFF_LOWER_UP | unix.IFF_DORMANT | unix.IFF_LOOPBACK | unix.IFF_BROADCAST | unix.IFF_MULTICAST | unix.IFF_POINTOPOINT
	if (uint32(flags)^link.Flags)&0xffff&^(computed|unix.IFF_UP) != 0 {
		return unix.EOPNOTSUPP
	}
	return st.SetLinkUp(link.Index, flags&unix.IFF_UP != 0)
}

func (st *Stack) firstV4(idx int32) *netlink.Addr {
	for _, a := range st.Addrs() {
		if a.Family == unix.AF_INET && a.Index == idx {
			return &a
		}
	}
	return nil
}

// ifconf is SIOCGIFCONF: one ifreq per interface with an IPv4 address,
// or the length needed when the buffer is NULL.
func (st *Stack) ifconf(io vfs.UserIO, arg uintptr) error {
	hdr := make([]byte, 16)
	if _, err := io.CopyIn(arg, hdr); err != nil {
		return unix.EFAULT
	}
	le := binary.LittleEndian
	room := int(int32(le.Uint32(hdr)))
	buf := uintptr(le.Uint64(hdr[8:]))
	var reqs []byte
	links := st.Links()
	for _, a := range st.Addrs() {
		if a.Family != unix.AF_INET {
			continue
		}
		r := make([]byte, ifreqLen)
		for _, l := range links {
			if l.Index == a.Index {
				copy(r[:15], l.Name)
			}
		}
		le.PutUint16(r[16:], unix.AF_INET)
		copy(r[20:24], a.Addr)
		reqs = append(reqs, r...)
	}
	n := len(reqs)
	if buf != 0 {
		n = min(len(reqs), max(room, 0)/ifreqLen*ifreqLen)
		if n > 0 {
			if _, err := io.CopyOut(buf, reqs[:n]); err != nil {
				return unix.EFAULT
			}
		}
	}
	le.PutUint32(hdr, uint32(n))
	if _, err := io.CopyOut(arg, hdr[:4]); err != nil {
		return unix.EFAULT
	}
	return nil
}
