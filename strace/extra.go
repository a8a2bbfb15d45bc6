package strace

import (
	"time"

	"golang.org/x/sys/unix"
)

// Decoders for openat2, time and xattr flags.

var resolveFlags = []flag{
	{unix.RESOLVE_NO_XDEV, "RESOLVE_NO_XDEV"},
	{unix.RESOLVE_NO_MAGICLINKS, "RESOLVE_NO_MAGICLINKS"},
	{unix.RESOLVE_NO_SYMLINKS, "RESOLVE_NO_SYMLINKS"},
	{unix.RESOLVE_BENEATH, "RESOLVE_BENEATH"},
	{unix.RESOLVE_IN_ROOT, "RESOLVE_IN_ROOT"},
	{0x20, "RESOLVE_CACHED"},
}

// fOpenHow prints openat2's struct open_how: {flags=..., mode=..., resolve=...},
// the mode only when the flags create a file.
func fOpenHow(c *call, v uintptr) string {
	if c.arg(3) < 24 {
		return ptr(v)
	}
	b, ok := c.readBytes(v, 24)
	if !ok {
		return ptr(v)
	}
	fl := le.Uint64(b)
	s := "{flags=" + openFlagsString(fl)
	if fl&unix.O_CREAT != 0 || fl&unix.O_TMPFILE == unix.O_TMPFILE {
		s += ", mode=" + oct(le.Uint64(b[8:]))
	}
	return s + ", resolve=" + flags(le.Uint64(b[16:]), resolveFlags, "0") + "}"
}

// isoTime formats seconds since the epoch as strace does in comments.
func isoTime(t int64) string {
	return time.Unix(t, 0).Format("2006-01-02T15:04:05-0700")
}

// fOutTime prints time's result argument: [t /* date */].
func fOutTime(c *call, v uintptr) string {
	if v == 0 {
		return "NULL"
	}
	if c.failed {
		return ptr(v)
	}
	t, ok := c.readU64(v)
	if !ok {
		return ptr(v)
	}
	return "[" + dec(int64(t)) + " /* " + isoTime(int64(t)) + " */]"
}

func retTime(_ *call, v uintptr) string {
	return dec(int64(v)) + " (" + isoTime(int64(v)) + ")"
}

func fXattrFlags(_ *call, v uintptr) string {
	return flags(uint64(uint32(v)), []flag{{unix.XATTR_CREATE, "XATTR_CREATE"}, {unix.XATTR_REPLACE, "XATTR_REPLACE"}}, "0")
}

func fUffdFlags(_ *call, v uintptr) string {
	return flags(uint64(uint32(v)), []flag{{unix.O_NONBLOCK, "O_NONBLOCK"}, {unix.O_CLOEXEC, "O_CLOEXEC"}, {1, "UFFD_USER_MODE_ONLY"}}, "0")
}
