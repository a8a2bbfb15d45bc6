package netlink

import (
	"encoding/binary"

	"golang.org/x/sys/unix"
)

// Messages walks the netlink messages at the start of b: it calls f
// with each message's offset and bytes (struct nlmsghdr included, as
// long as nlmsg_len says) in order, each next one at the 4-byte aligned
// end of the last. It stops at a header whose length is short of a
// header or runs past b, at a next message that would start past b, or
// when f returns false, and returns the offset where it stopped: that
// of the message f refused, else that after the last message (at most
// len(b)).
func Messages(b []byte, f func(off int, m []byte) bool) int {
	off := 0
	for len(b)-off >= unix.NLMSG_HDRLEN {
		l := int(binary.LittleEndian.Uint32(b[off:]))
		if l < unix.NLMSG_HDRLEN || l > len(b)-off {
			return off
		}
		if !f(off, b[off:off+l]) {
			return off
		}
		next := off + align4(l)
		if next > len(b) {
			return len(b)
		}
		off = next
	}
	return off
}
