package vfs

import (
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// Directory notification (fcntl F_NOTIFY), as Linux's dnotify: a
// directory's open file asks for a signal when entries of the directory
// (or the directory itself) are accessed, modified, created, deleted,
// renamed or have their attributes changed. The signal is the file's
// F_SETSIG signal (with si_fd, si_code POLL_MSG) or SIGIO, sent to the
// file's owner, made the caller's process if it has none. Without
// DN_MULTISHOT a request ends at its first signal; a close of the
// descriptor by the process that asked ends it too. The events come from
// the same sources as inotify's (notify.go).

// DN_* bits of F_NOTIFY's argument.
const (
	DnAccess    = 0x1
	DnModify    = 0x2
	DnCreate    = 0x4
	DnDelete    = 0x8
	DnRename    = 0x10
	DnAttrib    = 0x20
	DnMultishot = 0x80000000
	dnEvents    = DnAccess | DnModify | DnCreate | DnDelete | DnRename | DnAttrib
)

// dnotifyRequest is one file's F_NOTIFY on a directory.
type dnotifyRequest struct {
	file  *File
	owner any // the fd table that asked (Linux's files_struct)
	fd    int32
	mask  uint32 // DN_* bits
}

// dnotifyWatch is the F_NOTIFY requests on one directory, a Watch of its
// inode.
type dnotifyWatch struct {
	v     *VirtualFilesystem
	inode Inode
	// reqs is guarded by v.dnotifyMu.
	reqs []*dnotifyRequest
}

// dnotifyState is the VFS's dnotify watches.
type dnotifyState struct {
	// byInode and enableLess1 (/proc/sys/fs/dir-notify-enable less
	// one: Linux keeps any int written, 0 turns F_NOTIFY off, the zero
	// value is its default 1) are guarded by VirtualFilesystem.dnotifyMu.
	byInode     map[Inode]*dnotifyWatch
	enableLess1 int64
	// n is len(byInode), changed under dnotifyMu and read without it.
	n atomic.Int32
}

// remove forgets the watch of in.
//
// Preconditions: VirtualFilesystem.dnotifyMu is held.
func (s *dnotifyState) remove(in Inode) {
	delete(s.byInode, in)
	s.n.Store(int32(len(s.byInode)))
}

// DirNotifyEnable returns /proc/sys/fs/dir-notify-enable.
func (v *VirtualFilesystem) DirNotifyEnable() int64 {
	v.dnotifyMu.Lock()
	defer v.dnotifyMu.Unlock()
	return v.dnotify.enableLess1 + 1
}

// SetDirNotifyEnable sets /proc/sys/fs/dir-notify-enable: while it is 0,
// F_NOTIFY is EINVAL.
func (v *VirtualFilesystem) SetDirNotifyEnable(n int64) {
	v.dnotifyMu.Lock()
	v.dnotify.enableLess1 = n - 1
	v.dnotifyMu.Unlock()
}

// dnEventBits returns the DN_* requests an inotify event satisfies, in
// the order Linux sends them: a rename reports FS_RENAME (DN_RENAME) to
// the old directory before MOVED_FROM (DN_DELETE).
func dnEventBits(mask uint32) []uint32 {
	var b uint32
	if mask&InAccess != 0 {
		b |= DnAccess
	}
	if mask&InModify != 0 {
		b |= DnModify
	}
	if mask&InAttrib != 0 {
		b |= DnAttrib
	}
	if mask&(InCreate|InMovedTo) != 0 {
		b |= DnCreate
	}
	if mask&InDelete != 0 {
		b |= DnDelete
	}
	if mask&InMovedFrom != 0 {
		return []uint32{DnRename, b | DnDelete}
	}
	if b == 0 {
		return nil
	}
	return []uint32{b}
}

// Event implements Watch: dnotify hears of the directory's entries and,
// as Linux's dnotify_handle_event, of the directory itself only for
// events marked ISDIR.
func (w *dnotifyWatch) Event(ev NotifyEvent) {
	if ev.Name == "" && ev.Mask&InIsdir == 0 {
		return
	}
	type signal struct {
		f  *File
		fd int32
	}
	var send []signal
	v := w.v
	emptied := false
	v.dnotifyMu.Lock()
	for _, bits := range dnEventBits(ev.Mask) {
		kept := w.reqs[:0]
		for _, r := range w.reqs {
			if r.mask&bits == 0 {
				kept = append(kept, r)
				continue
			}
			send = append(send, signal{r.file, r.fd})
			if r.mask&DnMultishot != 0 {
				kept = append(kept, r)
			}
		}
		w.reqs = kept
	}
	if len(w.reqs) == 0 && v.dnotify.byInode[w.inode] == w {
		v.dnotify.remove(w.inode)
		emptied = true
	}
	v.dnotifyMu.Unlock()
	if emptied {
		v.RemoveWatch(w.inode, w)
	}
	for _, s := range send {
		s.f.sendIO(s.fd, PollMsg, false)
	}
}

// SetDirNotify is fcntl(F_NOTIFY) through descriptor fd of table owner:
// mask's events are added to f's request (0 ends it). owner is the
// caller's process, made f's owner for the signal if it has none. EINVAL
// when dir-notify-enable is 0, ENOTDIR for a file that is not a
// directory.
func (v *VirtualFilesystem) SetDirNotify(f *File, table any, fd int32, mask uint32, owner FileOwner) error {
	v.dnotifyMu.Lock()
	defer v.dnotifyMu.Unlock()
	if v.dnotify.enableLess1 == -1 {
		return unix.EINVAL
	}
	d := f.path.Dentry
	if mask&^DnMultishot == 0 {
		v.dnotifyFlushLocked(f, table)
		return nil
	}
	if d == nil || !d.IsDir() {
		return unix.ENOTDIR
	}
	w := v.dnotify.byInode[d.inode]
	if w == nil {
		if v.dnotify.byInode == nil {
			v.dnotify.byInode = make(map[Inode]*dnotifyWatch)
		}
		w = &dnotifyWatch{v: v, inode: d.inode}
		v.dnotify.byInode[d.inode] = w
		v.dnotify.n.Store(int32(len(v.dnotify.byInode)))
		v.AddWatch(d, w)
	}
	found := false
	for _, r := range w.reqs {
		if r.file == f && r.owner == table {
			r.fd = fd
			r.mask |= mask
			found = true
		}
	}
	if !found {
		// Newest first, as Linux's list (the order of the signals).
		w.reqs = append([]*dnotifyRequest{{file: f, owner: table, fd: fd, mask: mask}}, w.reqs...)
	}
	if o := f.Owner(); o == nil {
		f.SetOwner(owner, true)
	} else if _, id := o.Who(); id == 0 {
		f.SetOwner(owner, true)
	}
	return nil
}

// dnotifyFlush ends the F_NOTIFY request of f made through table, as
// Linux's dnotify_flush at every close of a descriptor of a directory.
// Without any watch (the count covers every entry of byInode, those of
// deleted directories too, whose requests still hold their files) it
// takes no lock.
func (v *VirtualFilesystem) dnotifyFlush(f *File, table any) {
	if f.path.Dentry == nil || !f.path.Dentry.IsDir() || v.dnotify.n.Load() == 0 {
		return
	}
	v.dnotifyMu.Lock()
	defer v.dnotifyMu.Unlock()
	v.dnotifyFlushLocked(f, table)
}

// Preconditions: v.dnotifyMu is held.
func (v *VirtualFilesystem) dnotifyFlushLocked(f *File, table any) {
	if f.path.Dentry == nil || len(v.dnotify.byInode) == 0 {
		return
	}
	in := f.path.Dentry.inode
	w := v.dnotify.byInode[in]
	if w == nil {
		return
	}
	kept := w.reqs[:0]
	for _, r := range w.reqs {
		if r.file != f || r.owner != table {
			kept = append(kept, r)
		}
	}
	w.reqs = kept
	if len(w.reqs) == 0 {
		v.dnotify.remove(in)
		v.RemoveWatch(in, w)
	}
}
