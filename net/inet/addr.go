package inet

import (
	"encoding/binary"

	"golang.org/x/sys/unix"
	"gvisor.dev/gvisor/pkg/tcpip"
)

// Socket address sizes: sizeof(struct sockaddr_in) and struct
// sockaddr_in6, and the shorter RFC 2133 sockaddr_in6 Linux still takes.
const (
	sockaddrInLen     = 16
	sockaddrIn6Len    = 28
	sockaddrIn6MinLen = 24
)

// addrFamily returns the sa_family of a raw address (EINVAL when too
// short to hold one).
func addrFamily(b []byte) (int, error) {
	if len(b) < 2 {
		return 0, unix.EINVAL
	}
	return int(binary.LittleEndian.Uint16(b)), nil
}

// decodeAddr decodes the address a socket of domain was given: sockaddr_in
// for AF_INET, sockaddr_in6 for AF_INET6 (an IPv4-mapped address stays
// mapped: tcpip unwraps it for dual-stack sockets). It checks the length
// (EINVAL) and family (EAFNOSUPPORT) as inet_bind and inet6_bind do; the
// callers handle AF_UNSPEC before.
func decodeAddr(domain int, b []byte) (tcpip.FullAddress, error) {
	fam, err := addrFamily(b)
	if err != nil {
		return tcpip.FullAddress{}, err
	}
	switch domain {
	case unix.AF_INET:
		if len(b) < sockaddrInLen {
			return tcpip.FullAddress{}, unix.EINVAL
		}
		if fam != unix.AF_INET {
			return tcpip.FullAddress{}, unix.EAFNOSUPPORT
		}
		a := tcpip.FullAddress{Port: binary.BigEndian.Uint16(b[2:]), Addr: tcpip.AddrFrom4Slice(b[4:8])}
		return anyIsEmpty(a), nil
	default:
		if len(b) < sockaddrIn6MinLen {
			return tcpip.FullAddress{}, unix.EINVAL
		}
		if fam != unix.AF_INET6 {
			return tcpip.FullAddress{}, unix.EAFNOSUPPORT
		}
		a := tcpip.FullAddress{Port: binary.BigEndian.Uint16(b[2:]), Addr: tcpip.AddrFrom16Slice(b[8:24])}
		if len(b) >= sockaddrIn6Len && isLinkLocal(a.Addr) {
			a.NIC = tcpip.NICID(binary.LittleEndian.Uint32(b[24:]))
		}
		return anyIsEmpty(a), nil
	}
}

// anyIsEmpty gives the any address (0.0.0.0, ::) as tcpip spells it:
// empty.
func anyIsEmpty(a tcpip.FullAddress) tcpip.FullAddress {
	if a.Addr.Unspecified() {
		a.Addr = tcpip.Address{}
	}
	return a
}

// isV4Mapped reports whether a is an IPv4-mapped IPv6 address.
func isV4Mapped(a tcpip.Address) bool {
	if a.Len() != 16 {
		return false
	}
	b := a.As16()
	for _, c := range b[:10] {
		if c != 0 {
			return false
		}
	}
	return b[10] == 0xff && b[11] == 0xff
}

func isLinkLocal(a tcpip.Address) bool {
	b := a.As16()
	return b[0] == 0xfe && b[1]&0xc0 == 0x80
}

// unspecified returns whether a is all zeros (or empty).
func unspecified(a tcpip.Address) bool { return a.Len() == 0 || a.Unspecified() }

// encodeAddr encodes a as a socket of domain reports it: AF_INET6
// sockets show IPv4 peers as IPv4-mapped addresses; an empty address is
// the domain's any address.
func encodeAddr(domain int, a tcpip.FullAddress) []byte {
	if domain == unix.AF_INET {
		b := make([]byte, sockaddrInLen)
		binary.LittleEndian.PutUint16(b, unix.AF_INET)
		binary.BigEndian.PutUint16(b[2:], a.Port)
		if a.Addr.Len() == 4 {
			v := a.Addr.As4()
			copy(b[4:], v[:])
		}
		return b
	}
	b := make([]byte, sockaddrIn6Len)
	binary.LittleEndian.PutUint16(b, unix.AF_INET6)
	binary.BigEndian.PutUint16(b[2:], a.Port)
	switch a.Addr.Len() {
	case 4:
		v := a.Addr.As4()
		b[18], b[19] = 0xff, 0xff
		copy(b[20:], v[:])
	case 16:
		v := a.Addr.As16()
		copy(b[8:], v[:])
		if isLinkLocal(a.Addr) {
			binary.LittleEndian.PutUint32(b[24:], uint32(a.NIC))
		}
	}
	return b
}
