package inet

import (
	"encoding/binary"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/auth"
	"github.com/kite-os/kite/net"
	"github.com/kite-os/kite/net/netlink"
	"github.com/kite-os/kite/vfs"
)

// ifreqLen is sizeof(struct ifreq): a 16-byte name and a 24-byte union.
const ifreqLen = 40

// ifLink is an interface as the interface ioctls and /proc/net/dev
// read it.
type ifLink struct {
	netlink.Link
	// ifmap is struct ifmap's bytes (SIOCGIFMAP), nil for zeroes.
	ifmap []byte
	// stats are struct rtnl_link_stats64's counters (/proc/net/dev),
	// nil when unknown.
	stats []uint64
}

// ifAddr4 is an IPv4 address of an interface as Linux's struct
// in_ifaddr has it.
type ifAddr4 struct {
	index int32
	// label is the address's name (the link's, or an alias such as
	// eth0:1).
	label string
	// local is the address, peer the other end's of a point-to-point
	// link (the address again otherwise), broadcast 0.0.0.0 when none.
	local, peer, broadcast [4]byte
	prefixLen              uint8
}

// ifView is a network's interfaces as the ioctls see them: links in
// index order, IPv4 addresses in each link's order.
type ifView struct {
	links []ifLink
	addrs []ifAddr4
}

// ifNetwork is what the interface ioctls act on.
type ifNetwork interface {
	// ifView reads the interfaces.
	ifView() (ifView, error)
	// setFlags is SIOCSIFFLAGS on link, once the caller's capability is
	// checked.
	setFlags(link *ifLink, flags uint16) error
}

// The interface ioctls (include/uapi/linux/sockios.h) kite knows.
const (
	siocGIFMap    = 0x8970
	siocSIFMap    = 0x8971
	siocGIFTxQLen = 0x8942
	siocSIFTxQLen = 0x8943
)

// ifSets are the interface ioctls that change an interface: they need
// CAP_NET_ADMIN over the network namespace's owner.
var ifSets = map[uint32]bool{
	unix.SIOCSIFFLAGS: true, unix.SIOCSIFADDR: true, unix.SIOCSIFDSTADDR: true,
	unix.SIOCSIFBRDADDR: true, unix.SIOCSIFNETMASK: true, unix.SIOCSIFMETRIC: true,
	unix.SIOCSIFMTU: true, unix.SIOCSIFNAME: true, unix.SIOCSIFHWADDR: true,
	unix.SIOCSIFSLAVE: true, unix.SIOCADDMULTI: true, unix.SIOCDELMULTI: true,
	unix.SIOCSIFHWBROADCAST: true, siocSIFMap: true, siocSIFTxQLen: true,
	unix.SIOCDIFADDR: true,
}

// inetOnly are the ioctls of IPv4 addresses, which only AF_INET sockets
// take (devinet_ioctl); other sockets' are ENOTTY. IPv6 sockets take
// SIOCSIFADDR, SIOCDIFADDR and SIOCSIFDSTADDR (addrconf).
var inetOnly = map[uint32]bool{
	unix.SIOCGIFADDR: true, unix.SIOCGIFBRDADDR: true, unix.SIOCGIFNETMASK: true,
	unix.SIOCGIFDSTADDR: true, unix.SIOCSIFBRDADDR: true, unix.SIOCSIFNETMASK: true,
	unix.SIOCSIFADDR: true, unix.SIOCSIFDSTADDR: true, unix.SIOCDIFADDR: true,
}

// deviceIoctl carries out the interface ioctls a socket of domain takes
// (net.DeviceIoctl) on network n: SIOCGIFNAME, SIOCGIFINDEX,
// SIOCGIFFLAGS, SIOCGIFMTU, SIOCGIFMETRIC, SIOCGIFTXQLEN, SIOCGIFMAP,
// SIOCGIFHWADDR and SIOCGIFCONF on any socket; SIOCGIFADDR,
// SIOCGIFNETMASK, SIOCGIFBRDADDR and SIOCGIFDSTADDR on AF_INET ones.
// Changes need CAP_NET_ADMIN over the user namespace owning the network
// namespace (admin says); SIOCSIFFLAGS is n's setFlags, other changes
// are not carried out (EOPNOTSUPP).
func deviceIoctl(ctx net.Context, n ifNetwork, domain int, io vfs.UserIO, cmd uint32, arg uintptr, admin func(*auth.Credentials) bool) (uintptr, error) {
	if inetOnly[cmd] && domain != unix.AF_INET &&
		!(domain == unix.AF_INET6 && (cmd == unix.SIOCSIFADDR || cmd == unix.SIOCDIFADDR || cmd == unix.SIOCSIFDSTADDR)) {
		return 0, unix.ENOTTY
	}
	if cmd == unix.SIOCGIFCONF {
		return 0, ifconf(n, io, arg)
	}
	req := make([]byte, ifreqLen)
	if _, err := io.CopyIn(arg, req); err != nil {
		return 0, unix.EFAULT
	}
	req[15] = 0
	switch cmd {
	case unix.SIOCGIFNAME, unix.SIOCGIFINDEX, unix.SIOCGIFFLAGS, unix.SIOCGIFMTU, unix.SIOCGIFMETRIC,
		siocGIFTxQLen, siocGIFMap, unix.SIOCGIFHWADDR,
		unix.SIOCGIFADDR, unix.SIOCGIFNETMASK, unix.SIOCGIFBRDADDR, unix.SIOCGIFDSTADDR:
	default:
		if !ifSets[cmd] {
			return 0, unix.ENOTTY
		}
		if !admin(ctx.Credentials()) {
			return 0, unix.EPERM
		}
		if cmd != unix.SIOCSIFFLAGS {
			return 0, unix.EOPNOTSUPP
		}
		v, err := n.ifView()
		if err != nil {
			return 0, err
		}
		return 0, n.setFlags(v.link(devName(req)), binary.LittleEndian.Uint16(req[16:]))
	}
	v, err := n.ifView()
	if err != nil {
		return 0, err
	}
	var link *ifLink
	if cmd == unix.SIOCGIFNAME {
		idx := int32(binary.LittleEndian.Uint32(req[16:]))
		for i := range v.links {
			if v.links[i].Index == idx {
				link = &v.links[i]
			}
		}
	} else {
		link = v.link(devName(req))
	}
	if link == nil {
		return 0, unix.ENODEV
	}
	u := req[16:]
	// The address ioctls look for the address by label and, if the
	// request carries an IPv4 address, by that too (devinet_ioctl).
	var want []byte
	if binary.LittleEndian.Uint16(u) == unix.AF_INET {
		want = append([]byte(nil), u[4:8]...)
	}
	clear(u)
	le := binary.LittleEndian
	switch cmd {
	case unix.SIOCGIFNAME:
		clear(req[:16])
		copy(req[:15], link.Name)
		le.PutUint32(u, uint32(link.Index))
	case unix.SIOCGIFINDEX:
		le.PutUint32(u, uint32(link.Index))
	case unix.SIOCGIFFLAGS:
		le.PutUint16(u, uint16(link.Flags))
	case unix.SIOCGIFMTU:
		le.PutUint32(u, link.MTU)
	case unix.SIOCGIFMETRIC:
		// Always 0 (dev_ifsioc_locked).
	case siocGIFTxQLen:
		le.PutUint32(u, link.TxQLen)
	case siocGIFMap:
		copy(u, link.ifmap)
	case unix.SIOCGIFHWADDR:
		le.PutUint16(u, link.Type)
		copy(u[2:16], link.HWAddr)
	default:
		a := v.addr(cstring(req[:16]), want)
		if a == nil {
			return 0, unix.EADDRNOTAVAIL
		}
		le.PutUint16(u, unix.AF_INET)
		switch cmd {
		case unix.SIOCGIFADDR:
			copy(u[4:8], a.local[:])
		case unix.SIOCGIFDSTADDR:
			copy(u[4:8], a.peer[:])
		case unix.SIOCGIFBRDADDR:
			copy(u[4:8], a.broadcast[:])
		case unix.SIOCGIFNETMASK:
			binary.BigEndian.PutUint32(u[4:], prefixMask(a.prefixLen))
		}
	}
	if _, err := io.CopyOut(arg, req); err != nil {
		return 0, unix.EFAULT
	}
	return 0, nil
}

// cstring is b up to its first NUL.
func cstring(b []byte) string {
	if i := strings.IndexByte(string(b), 0); i >= 0 {
		return string(b[:i])
	}
	return string(b)
}

// devName is the device an ifreq names: its name up to a colon (an
// alias label such as eth0:1 names eth0).
func devName(req []byte) string {
	name, _, _ := strings.Cut(cstring(req[:16]), ":")
	return name
}

// prefixMask is the IPv4 netmask of a prefix length.
func prefixMask(n uint8) uint32 {
	if n == 0 {
		return 0
	}
	return uint32(0xffffffff) << (32 - min(n, 32))
}

// link is the link named name, or nil.
func (v *ifView) link(name string) *ifLink {
	for i := range v.links {
		if v.links[i].Name == name {
			return &v.links[i]
		}
	}
	return nil
}

// addr is the IPv4 address labelled label (and, if want is not nil,
// with that local address: else the label's first), or nil.
func (v *ifView) addr(label string, want []byte) *ifAddr4 {
	if want != nil {
		for i := range v.addrs {
			if v.addrs[i].label == label && string(v.addrs[i].local[:]) == string(want) {
				return &v.addrs[i]
			}
		}
	}
	for i := range v.addrs {
		if v.addrs[i].label == label {
			return &v.addrs[i]
		}
	}
	return nil
}

// ifconf is SIOCGIFCONF: one ifreq per IPv4 address (its label and
// address), or the length needed when the buffer is NULL.
func ifconf(n ifNetwork, io vfs.UserIO, arg uintptr) error {
	hdr := make([]byte, 16)
	if _, err := io.CopyIn(arg, hdr); err != nil {
		return unix.EFAULT
	}
	v, err := n.ifView()
	if err != nil {
		return err
	}
	le := binary.LittleEndian
	room := int(int32(le.Uint32(hdr)))
	buf := uintptr(le.Uint64(hdr[8:]))
	var reqs []byte
	for _, a := range v.addrs {
		r := make([]byte, ifreqLen)
		copy(r[:15], a.label)
		le.PutUint16(r[16:], unix.AF_INET)
		copy(r[20:24], a.local[:])
		reqs = append(reqs, r...)
	}
	size := len(reqs)
	if buf != 0 {
		size = min(len(reqs), max(room, 0)/ifreqLen*ifreqLen)
		if size > 0 {
			if _, err := io.CopyOut(buf, reqs[:size]); err != nil {
				return unix.EFAULT
			}
		}
	}
	le.PutUint32(hdr, uint32(size))
	if _, err := io.CopyOut(arg, hdr[:4]); err != nil {
		return unix.EFAULT
	}
	return nil
}

// DeviceIoctl carries out the interface ioctls on the stack's
// interfaces (deviceIoctl).
func (st *Stack) DeviceIoctl(ctx net.Context, domain int, io vfs.UserIO, cmd uint32, arg uintptr, admin func(*auth.Credentials) bool) (uintptr, error) {
	return deviceIoctl(ctx, st, domain, io, cmd, arg, admin)
}

// ifView implements ifNetwork: the stack's links and IPv4 addresses.
func (st *Stack) ifView() (ifView, error) {
	var v ifView
	for _, l := range st.Links() {
		v.links = append(v.links, ifLink{Link: l})
	}
	for _, a := range st.Addrs() {
		if a.Family != unix.AF_INET || len(a.Addr) != 4 {
			continue
		}
		x := ifAddr4{index: a.Index, label: a.Label, prefixLen: a.PrefixLen}
		copy(x.local[:], a.Addr)
		x.peer = x.local
		v.addrs = append(v.addrs, x)
	}
	return v, nil
}

// setFlags implements ifNetwork (SIOCSIFFLAGS): only IFF_UP may change
// (the flags the kernel computes are ignored, as dev_change_flags
// does).
func (st *Stack) setFlags(link *ifLink, flags uint16) error {
	if link == nil {
		return unix.ENODEV
	}
	const computed = unix.IFF_RUNNING | unix.IFF_LOWER_UP | unix.IFF_DORMANT | unix.IFF_LOOPBACK | unix.IFF_BROADCAST | unix.IFF_MULTICAST | unix.IFF_POINTOPOINT
	if (uint32(flags)^link.Flags)&0xffff&^(computed|unix.IFF_UP) != 0 {
		return unix.EOPNOTSUPP
	}
	return st.SetLinkUp(link.Index, flags&unix.IFF_UP != 0)
}
