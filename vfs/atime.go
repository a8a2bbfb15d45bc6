package vfs

import "golang.org/x/sys/unix"

// Access times. A read or a directory listing updates the file's access
// time as Linux's touch_atime does: not with O_NOATIME, not on a noatime
// or read-only mount (nor for a directory on a nodiratime one), and on a
// relatime mount (the default) only if the access time is not after the
// modification or change time or is a day old. A read that fails does not
// update it; whether one of zero bytes does depends on the file system.

// AtimeSetter is implemented by inodes of file systems whose access times
// reads update (tmpfs): SetAtime sets the access time alone, without
// changing the change time.
type AtimeSetter interface {
	SetAtime(ctx Context, t unix.Timespec)
	// EmptyReadUpdatesAtime reports whether a read of zero bytes
	// updates the access time (tmpfs) or not (ext4).
	EmptyReadUpdatesAtime() bool
}

// atimeMountFlags are the MS_* atime flags a mount carries.
const atimeMountFlags = unix.MS_NOATIME | unix.MS_NODIRATIME | unix.MS_RELATIME

// mountAtimeFlags returns the atime flags of a mount made (or remounted,
// over old) with mount(2) flags: relatime unless noatime or strictatime
// is asked for; a remount that names none keeps old's (Linux's
// path_mount).
func mountAtimeFlags(flags, old uint32, remount bool) uint32 {
	if remount && flags&(unix.MS_NOATIME|unix.MS_NODIRATIME|unix.MS_RELATIME|unix.MS_STRICTATIME) == 0 {
		return old & atimeMountFlags
	}
	var a uint32
	if flags&unix.MS_NOATIME == 0 {
		a |= unix.MS_RELATIME
	}
	a |= flags & (unix.MS_NOATIME | unix.MS_NODIRATIME)
	if flags&unix.MS_STRICTATIME != 0 {
		a &^= unix.MS_RELATIME | unix.MS_NOATIME
	}
	return a
}

// relatimeDay is how old an access time relatime still updates.
const relatimeDay = 24 * 60 * 60

// accessed updates f's access time after a read of n bytes asked for (-1:
// a listing).
func (f *File) accessed(ctx Context, n int64) {
	if f.Flags()&unix.O_NOATIME != 0 || f.path.Dentry == nil {
		return
	}
	d := f.path.Dentry
	a, ok := d.inode.(AtimeSetter)
	if !ok || (n == 0 && !a.EmptyReadUpdatesAtime()) {
		return
	}
	fl := f.path.Mount.Flags()
	if fl&(unix.MS_NOATIME|MountReadOnly) != 0 {
		return
	}
	st, err := d.inode.Stat(ctx)
	if err != nil {
		return
	}
	switch st.Type() {
	case unix.S_IFDIR:
		if fl&unix.MS_NODIRATIME != 0 {
			return
		}
	case unix.S_IFREG:
	default:
		return
	}
	now := f.vfs.NowTimespec()
	if fl&unix.MS_RELATIME != 0 && !relatimeNeedsUpdate(&st, now) {
		return
	}
	if st.Atime == now {
		return
	}
	// FS_NOATIME_FL last: reading the flags takes the inode's lock,
	// which most reads need not (the mount or relatime skips them).
	if attrFlags(d.inode)&FlagNoatime != 0 {
		return
	}
	a.SetAtime(ctx, now)
}

// relatimeNeedsUpdate is Linux's relatime_need_update.
func relatimeNeedsUpdate(st *Stat, now unix.Timespec) bool {
	if !timespecBefore(st.Mtime, st.Atime) || !timespecBefore(st.Ctime, st.Atime) {
		return true
	}
	return now.Sec-st.Atime.Sec >= relatimeDay
}

// timespecBefore reports whether a is strictly before b.
func timespecBefore(a, b unix.Timespec) bool {
	return a.Sec < b.Sec || (a.Sec == b.Sec && a.Nsec < b.Nsec)
}
