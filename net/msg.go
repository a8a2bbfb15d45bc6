package net

import (
	"encoding/binary"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/vfs"
)

// Marshalling of struct msghdr and control messages (cmsghdr), in
// Linux's amd64 layout.

// MsghdrSize is sizeof(struct msghdr).
const MsghdrSize = 56

// Msghdr is a decoded struct msghdr.
type Msghdr struct {
	Name       uintptr
	NameLen    uint32
	Iov        uintptr
	IovLen     uint64
	Control    uintptr
	ControlLen uint64
	Flags      int32
}

// DecodeMsghdr decodes b (MsghdrSize bytes).
func DecodeMsghdr(b []byte) Msghdr {
	le := binary.LittleEndian
	return Msghdr{
		Name:       uintptr(le.Uint64(b)),
		NameLen:    le.Uint32(b[8:]),
		Iov:        uintptr(le.Uint64(b[16:])),
		IovLen:     le.Uint64(b[24:]),
		Control:    uintptr(le.Uint64(b[32:])),
		ControlLen: le.Uint64(b[40:]),
		Flags:      int32(le.Uint32(b[48:])),
	}
}

// Control message layout.
const (
	cmsgHdrLen = 16
	// ScmMaxFD is SCM_MAX_FD, the most files one SCM_RIGHTS carries.
	ScmMaxFD = 253
	ucredLen = 12
)

func cmsgAlign(n int) int { return (n + 7) &^ 7 }

// CmsgSpace is CMSG_SPACE(n).
func CmsgSpace(n int) int { return cmsgHdrLen + cmsgAlign(n) }

// CmsgLen is CMSG_LEN(n).
func CmsgLen(n int) int { return cmsgHdrLen + n }

// ParseControl decodes sendmsg's control buffer as __scm_send:
// SCM_RIGHTS takes a reference to each file of fdt it names (EBADF for a
// bad fd, EINVAL beyond ScmMaxFD), SCM_CREDENTIALS must name the caller
// (EPERM otherwise) unless it is privileged; malformed headers and other
// SOL_SOCKET types are EINVAL; other levels are skipped. allowRights is
// false for families that cannot pass files (EINVAL).
func ParseControl(ctx Context, fdt *vfs.FDTable, b []byte, allowRights bool) (Control, error) {
	var c Control
	le := binary.LittleEndian
	off := 0
	for len(b)-off >= cmsgHdrLen {
		clen := int(le.Uint64(b[off:]))
		level := int32(le.Uint32(b[off+8:]))
		typ := int32(le.Uint32(b[off+12:]))
		if clen < cmsgHdrLen || clen > len(b)-off {
			c.Release(ctx)
			return Control{}, unix.EINVAL
		}
		data := b[off+cmsgHdrLen : off+clen]
		if level == unix.SOL_SOCKET {
			switch typ {
			case unix.SCM_RIGHTS:
				if !allowRights {
					c.Release(ctx)
					return Control{}, unix.EINVAL
				}
				n := len(data) / 4
				c.RightsLimit = int(fdt.Limit())
				if n > ScmMaxFD || len(c.Rights)+n > ScmMaxFD {
					c.Release(ctx)
					return Control{}, unix.EINVAL
				}
				for i := 0; i < n; i++ {
					fd := int32(le.Uint32(data[4*i:]))
					f, _, err := fdt.Get(fd)
					if fd < 0 || err != nil {
						c.Release(ctx)
						return Control{}, unix.EBADF
					}
					c.Rights = append(c.Rights, f)
				}
			case unix.SCM_CREDENTIALS:
				if clen != CmsgLen(ucredLen) {
					c.Release(ctx)
					return Control{}, unix.EINVAL
				}
				cr := Creds{PID: int32(le.Uint32(data)), UID: le.Uint32(data[4:]), GID: le.Uint32(data[8:])}
				if err := checkCreds(ctx, cr); err != nil {
					c.Release(ctx)
					return Control{}, err
				}
				// Messages carry global pids; the receiver sees its own
				// namespace's number.
				cr.PID = ctx.GlobalPID(cr.PID)
				c.Creds = &cr
			default:
				c.Release(ctx)
				return Control{}, unix.EINVAL
			}
		} else {
			// Another level's message is the protocol's to read
			// (IP_TTL, IPV6_HOPLIMIT...); AF_UNIX ignores them.
			c.Proto = append(c.Proto, Cmsg{Level: level, Type: typ, Data: append([]byte(nil), data...)})
		}
		next := off + cmsgAlign(clen)
		if next+cmsgHdrLen > len(b) {
			break
		}
		off = next
	}
	return c, nil
}

// checkCreds applies scm_check_creds: the caller's own pid (or
// CAP_SYS_ADMIN), one of its uids (or CAP_SETUID), one of its gids (or
// CAP_SETGID).
func checkCreds(ctx Context, cr Creds) error {
	c := ctx.Credentials()
	self := ctx.PIDOf(ctx.ThreadGroupID())
	if cr.PID != self && !c.HasCapability(unix.CAP_SYS_ADMIN) {
		return unix.EPERM
	}
	if cr.UID != c.RealUID && cr.UID != c.EffectiveUID && cr.UID != c.SavedUID && !c.HasCapability(unix.CAP_SETUID) {
		return unix.EPERM
	}
	if cr.GID != c.RealGID && cr.GID != c.EffectiveGID && cr.GID != c.SavedGID && !c.HasCapability(unix.CAP_SETGID) {
		return unix.EPERM
	}
	if cr.PID != self && ctx.GlobalPID(cr.PID) <= 0 {
		return unix.ESRCH
	}
	return nil
}

// ControlOut is recvmsg's control data built by BuildControl.
type ControlOut struct {
	Buf []byte
	// Truncated is MSG_CTRUNC: something did not fit.
	Truncated bool
}

// putCmsg appends one control message as put_cmsg does into space bytes
// of room, truncating it (and reporting MSG_CTRUNC) when it does not
// fit.
func (o *ControlOut) putCmsg(space *int, level, typ int32, data []byte) {
	if *space < cmsgHdrLen {
		o.Truncated = true
		return
	}
	if *space < CmsgLen(len(data)) {
		o.Truncated = true
		data = data[:*space-cmsgHdrLen]
	}
	// The padding is cut where the room ends.
	used := min(CmsgSpace(len(data)), *space)
	o.Buf = AppendCmsg(o.Buf, level, typ, data)[:len(o.Buf)+used]
	*space -= used
}

// AppendCmsg appends one control message of level and typ carrying
// data to b: a struct cmsghdr, data and padding to CmsgSpace.
func AppendCmsg(b []byte, level, typ int32, data []byte) []byte {
	var h [cmsgHdrLen]byte
	binary.LittleEndian.PutUint64(h[:], uint64(CmsgLen(len(data))))
	binary.LittleEndian.PutUint32(h[8:], uint32(level))
	binary.LittleEndian.PutUint32(h[12:], uint32(typ))
	b = append(append(b, h[:]...), data...)
	var pad [8]byte
	return append(b, pad[:CmsgSpace(len(data))-CmsgLen(len(data))]...)
}

// BuildControl encodes c into at most space bytes as scm_recv, after the
// receive time (SO_TIMESTAMP) and the family's own messages:
// SCM_CREDENTIALS first, then SCM_RIGHTS with as many files as fit,
// installed in fdt (with FD_CLOEXEC when cloexec); files that do not fit
// or find no free fd are closed and MSG_CTRUNC reported. It consumes c's
// references.
func BuildControl(ctx Context, fdt *vfs.FDTable, c *Control, space int, cloexec bool) ControlOut {
	var o ControlOut
	if c.StampType != 0 {
		// __sock_recv_timestamp: a timeval, or a timespec for the NS
		// forms, before scm_recv's messages.
		b := make([]byte, 16)
		sub := int64(c.Stamp.Nanosecond())
		if c.StampType == unix.SO_TIMESTAMP || c.StampType == soTimestampNew {
			sub /= 1000
		}
		binary.LittleEndian.PutUint64(b, uint64(c.Stamp.Unix()))
		binary.LittleEndian.PutUint64(b[8:], uint64(sub))
		o.putCmsg(&space, unix.SOL_SOCKET, c.StampType, b)
	}
	if c.StampingType != 0 {
		// struct scm_timestamping: software, (deprecated), hardware.
		b := make([]byte, 48)
		binary.LittleEndian.PutUint64(b, uint64(c.Stamp.Unix()))
		binary.LittleEndian.PutUint64(b[8:], uint64(c.Stamp.Nanosecond()))
		o.putCmsg(&space, unix.SOL_SOCKET, c.StampingType, b)
	}
	for _, m := range c.Proto {
		o.putCmsg(&space, m.Level, m.Type, m.Data)
	}
	if c.Creds != nil {
		b := make([]byte, ucredLen)
		binary.LittleEndian.PutUint32(b, uint32(ctx.PIDOf(c.Creds.PID)))
		binary.LittleEndian.PutUint32(b[4:], c.Creds.UID)
		binary.LittleEndian.PutUint32(b[8:], c.Creds.GID)
		o.putCmsg(&space, unix.SOL_SOCKET, unix.SCM_CREDENTIALS, b)
	}
	if len(c.Rights) == 0 {
		return o
	}
	max := 0
	if space > cmsgHdrLen {
		max = (space - cmsgHdrLen) / 4
	}
	fl := 0
	if cloexec {
		fl = vfs.FDCloexec
	}
	var fds []byte
	n := 0
	for ; n < len(c.Rights) && n < max; n++ {
		fd, err := fdt.NewFD(0, c.Rights[n], fl)
		if err != nil {
			break
		}
		fds = binary.LittleEndian.AppendUint32(fds, uint32(fd))
	}
	if n > 0 {
		o.putCmsg(&space, unix.SOL_SOCKET, unix.SCM_RIGHTS, fds)
	}
	if n < len(c.Rights) {
		o.Truncated = true
	}
	c.Release(ctx)
	return o
}
