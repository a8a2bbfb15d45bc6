package unix

import (
	"bytes"
	"encoding/binary"

	"golang.org/x/sys/unix"
)

// sunPathOff is offsetof(struct sockaddr_un, sun_path); sockaddrUnLen
// is sizeof(struct sockaddr_un).
const (
	sunPathOff    = 2
	sockaddrUnLen = 110
)

// validateAddr checks a sockaddr_un as unix_validate_addr.
func validateAddr(b []byte) error {
	if len(b) <= sunPathOff || len(b) > sockaddrUnLen {
		return unix.EINVAL
	}
	if binary.LittleEndian.Uint16(b) != unix.AF_UNIX {
		return unix.EINVAL
	}
	return nil
}

// address is a bound or looked-up name: abstract names keep their
// leading NUL and every byte the caller gave; path names are the path up
// to the first NUL.
type address struct {
	abstract bool
	name     string
}

// parseAddr splits a validated sockaddr_un.
func parseAddr(b []byte) address {
	p := b[sunPathOff:]
	if p[0] == 0 {
		return address{abstract: true, name: string(p)}
	}
	if i := bytes.IndexByte(p, 0); i >= 0 {
		p = p[:i]
	}
	return address{name: string(p)}
}

// sockaddr encodes a as the sockaddr_un getsockname reports: a path name
// with its terminating NUL (as unix_mkname_bsd counts it), an abstract
// name as given.
func (a address) sockaddr() []byte {
	b := make([]byte, sunPathOff, sunPathOff+len(a.name)+1)
	binary.LittleEndian.PutUint16(b, unix.AF_UNIX)
	b = append(b, a.name...)
	if !a.abstract {
		b = append(b, 0)
	}
	return b
}

// unnamed is the address of an unbound socket: just the family.
func unnamed() []byte {
	b := make([]byte, sunPathOff)
	binary.LittleEndian.PutUint16(b, unix.AF_UNIX)
	return b
}
