package vfs

import (
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// File-system events (fsnotify): the VFS reports what it does to inodes
// (open, read, write, close, create, unlink, rename, attribute changes)
// to the watches registered on them, so that every file system produces
// inotify events. The watches themselves (masks, queues) belong to package
// ipc; the VFS keeps only, per inode, the list of watches and the count of
// open files (an unlinked inode is deleted, DELETE_SELF, when its last
// open file goes).

// Event bits, as Linux's IN_* (which x/sys/unix also names).
const (
	InAccess       = unix.IN_ACCESS
	InModify       = unix.IN_MODIFY
	InAttrib       = unix.IN_ATTRIB
	InCloseWrite   = unix.IN_CLOSE_WRITE
	InCloseNowrite = unix.IN_CLOSE_NOWRITE
	InOpen         = unix.IN_OPEN
	InMovedFrom    = unix.IN_MOVED_FROM
	InMovedTo      = unix.IN_MOVED_TO
	InCreate       = unix.IN_CREATE
	InDelete       = unix.IN_DELETE
	InDeleteSelf   = unix.IN_DELETE_SELF
	InMoveSelf     = unix.IN_MOVE_SELF
	InUnmount      = unix.IN_UNMOUNT
	InIgnored      = unix.IN_IGNORED
	InIsdir        = unix.IN_ISDIR
)

// NotifyEvent is one event for one watch.
type NotifyEvent struct {
	Mask   uint32
	Cookie uint32
	// Name is the child's name for an event a directory watch sees about
	// one of its entries, empty for an event about the watched inode.
	Name string
	// Unlinked: the child the event is about has no name any more (for
	// IN_EXCL_UNLINK).
	Unlinked bool
}

// Watch receives the events of one inode. Event must not block or call
// back into the VFS's notify functions other than RemoveWatch. InIgnored
// is sent after the VFS dropped the watch because its inode was deleted.
type Watch interface {
	Event(ev NotifyEvent)
}

// notifyState is the VFS's watch lists.
type notifyState struct {
	// n counts watches, read without mu to skip all work when zero.
	n atomic.Int32
	// cookie numbers renames (the MOVED_FROM/MOVED_TO pair).
	cookie atomic.Uint32

	// mu guards watches, targets, opens and doomed. It is a leaf:
	// watches are called without it.
	mu      sync.Mutex
	watches map[Inode][]Watch
	// targets is a dentry of each watched inode, for the file system it
	// belongs to (IN_UNMOUNT) and whether it is a directory.
	targets map[Inode]*Dentry
	opens   map[Inode]int
	// doomed are unlinked inodes (no links left) still open: they are
	// deleted when their last file closes.
	doomed map[Inode]bool
}

// AddWatch adds w to the watches of d's inode.
func (v *VirtualFilesystem) AddWatch(d *Dentry, w Watch) {
	s := &v.notify
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.watches == nil {
		s.watches = make(map[Inode][]Watch)
		s.targets = make(map[Inode]*Dentry)
	}
	s.watches[d.inode] = append(s.watches[d.inode], w)
	if s.targets[d.inode] == nil {
		s.targets[d.inode] = d
	}
	s.n.Add(1)
}

// RemoveWatch removes w from inode's watches, if it is there.
func (v *VirtualFilesystem) RemoveWatch(inode Inode, w Watch) {
	s := &v.notify
	s.mu.Lock()
	defer s.mu.Unlock()
	ws := s.watches[inode]
	for i, x := range ws {
		if x == w {
			ws = append(ws[:i:i], ws[i+1:]...)
			s.n.Add(-1)
			break
		}
	}
	if len(ws) == 0 {
		delete(s.watches, inode)
		delete(s.targets, inode)
	} else {
		s.watches[inode] = ws
	}
}

// watchesOf returns a copy of inode's watches.
func (s *notifyState) watchesOf(inode Inode) []Watch {
	if s.n.Load() == 0 {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ws := s.watches[inode]
	if len(ws) == 0 {
		return nil
	}
	return append([]Watch(nil), ws...)
}

// send delivers ev to inode's watches.
func (s *notifyState) send(inode Inode, ev NotifyEvent) {
	for _, w := range s.watchesOf(inode) {
		w.Event(ev)
	}
}

// notifyName reports an event about entry name of directory dir to dir's
// watches (create, delete, moves).
func (v *VirtualFilesystem) notifyName(dir *Dentry, mask, cookie uint32, name string, isDir bool) {
	if isDir {
		mask |= InIsdir
	}
	v.notify.send(dir.inode, NotifyEvent{Mask: mask, Cookie: cookie, Name: name})
}

// notifyInode reports an event about d's inode itself to its watches.
//
// Linux sets no ISDIR on a directory's MOVE_SELF or DELETE_SELF.
func (v *VirtualFilesystem) notifyInode(d *Dentry, mask uint32) {
	v.notify.send(d.inode, NotifyEvent{Mask: mask})
}

// notifyDentry reports an event about d to its parent directory's
// watches, with d's name, then to the watches of d's inode, as Linux's
// fsnotify_parent.
//
// Preconditions: no Dentry.mu and not renameMu are held.
func (v *VirtualFilesystem) notifyDentry(d *Dentry, mask uint32) {
	if v == nil || d == nil || d.anon || v.notify.n.Load() == 0 {
		return
	}
	if d.IsDir() {
		mask |= InIsdir
	}
	v.renameMu.RLock()
	parent, name := d.parent, d.name
	v.renameMu.RUnlock()
	if parent != nil {
		v.notify.send(parent.inode, NotifyEvent{Mask: mask, Name: name, Unlinked: d.Dead()})
	}
	v.notify.send(d.inode, NotifyEvent{Mask: mask})
}

// NotifyFile reports mask (InAccess, InModify...) for an open file, for
// callers outside the VFS that move data themselves (splice, sendfile).
func (v *VirtualFilesystem) NotifyFile(f *File, mask uint32) {
	v.notifyDentry(f.path.Dentry, mask)
}

// notifyOpened counts an open file of a file-system inode.
func (v *VirtualFilesystem) notifyOpened(p Path) {
	if p.Dentry == nil || p.Dentry.anon {
		return
	}
	s := &v.notify
	s.mu.Lock()
	if s.opens == nil {
		s.opens = make(map[Inode]int)
	}
	s.opens[p.Dentry.inode]++
	s.mu.Unlock()
}

// notifyReleased reports the close of f's last reference and, if its
// inode was unlinked and this was its last open file, the inode's
// deletion.
func (v *VirtualFilesystem) notifyReleased(f *File) {
	d := f.path.Dentry
	if d == nil || d.anon {
		return
	}
	if f.ops != nil {
		mask := uint32(InCloseNowrite)
		if f.Writable() {
			mask = InCloseWrite
		}
		v.notifyDentry(d, mask)
	}
	s := &v.notify
	s.mu.Lock()
	s.opens[d.inode]--
	gone := false
	if s.opens[d.inode] <= 0 {
		delete(s.opens, d.inode)
		gone = s.doomed[d.inode]
		delete(s.doomed, d.inode)
	}
	s.mu.Unlock()
	if gone {
		v.notifyDeleted(d)
	}
}

// notifyRemoved reports the unlink or rmdir of name, d, from dir: ATTRIB
// on a file (its link count changed), then, if no link is left and it is
// not open, its deletion (DELETE_SELF, IGNORED), then DELETE on dir, in
// Linux's order; an open inode is deleted at its last close.
func (v *VirtualFilesystem) notifyRemoved(ctx Context, dir *Dentry, name string, d *Dentry) {
	if v.notify.n.Load() == 0 {
		// Nobody watches: nothing to report, now or later.
		return
	}
	if !d.IsDir() {
		v.notifyInode(d, InAttrib)
	}
	v.notifyUnlinked(ctx, d)
	v.notifyName(dir, InDelete, 0, name, d.IsDir())
}

// notifyRename reports a rename of oldName in odir (child) to newName in
// ndir (replacing victim, or exchanging with it), as Linux's
// fsnotify_move.
func (v *VirtualFilesystem) notifyRename(ctx Context, odir *Dentry, oldName string, ndir *Dentry, newName string, child, victim *Dentry, exchange bool) {
	if v.notify.n.Load() == 0 {
		return
	}
	move := func(from *Dentry, fromName string, to *Dentry, toName string, d, target *Dentry) {
		c := v.nextCookie()
		v.notifyName(from, InMovedFrom, c, fromName, d.IsDir())
		v.notifyName(to, InMovedTo, c, toName, d.IsDir())
		if target != nil && !target.IsDir() {
			v.notifyInode(target, InAttrib)
		}
		v.notifyInode(d, InMoveSelf)
	}
	if exchange {
		move(odir, oldName, ndir, newName, child, nil)
		move(ndir, newName, odir, oldName, victim, nil)
		return
	}
	move(odir, oldName, ndir, newName, child, victim)
	if victim != nil {
		v.notifyUnlinked(ctx, victim)
	}
}

// notifyUnlinked reports the deletion of d's inode, whose name was
// removed, if it has no link left: now, or at its last close if it is
// open.
func (v *VirtualFilesystem) notifyUnlinked(ctx Context, d *Dentry) {
	if v.notify.n.Load() == 0 {
		return
	}
	if !d.IsDir() {
		st, err := d.inode.Stat(ctx)
		if err == nil && st.Nlink > 0 {
			return
		}
	}
	s := &v.notify
	s.mu.Lock()
	open := s.opens[d.inode] > 0
	if open {
		if s.doomed == nil {
			s.doomed = make(map[Inode]bool)
		}
		s.doomed[d.inode] = true
	}
	s.mu.Unlock()
	if !open {
		v.notifyDeleted(d)
	}
}

// notifyDeleted reports that d's inode is gone (DELETE_SELF), drops its
// watches and tells each (IGNORED).
func (v *VirtualFilesystem) notifyDeleted(d *Dentry) {
	s := &v.notify
	s.mu.Lock()
	ws := s.watches[d.inode]
	delete(s.watches, d.inode)
	delete(s.targets, d.inode)
	s.n.Add(-int32(len(ws)))
	s.mu.Unlock()
	for _, w := range ws {
		w.Event(NotifyEvent{Mask: InDeleteSelf})
	}
	for _, w := range ws {
		w.Event(NotifyEvent{Mask: InIgnored})
	}
}

// detachedLocked records that a mount of fs was detached: if fs is
// mounted nowhere any more when the unmount finishes, its watches hear
// IN_UNMOUNT (see unmountedLocked).
//
// Preconditions: v.mountMu is held.
func (v *VirtualFilesystem) detachedLocked(fs *fsState) {
	if v.notify.n.Load() == 0 {
		return
	}
	if v.detached == nil {
		v.detached = make(map[*fsState]bool)
	}
	v.detached[fs] = true
}

// unmountedLocked returns the file systems recorded by detachedLocked
// that no mount shows any more: Linux's superblock shutdown, after which
// every watch on their inodes hears IN_UNMOUNT and IN_IGNORED
// (notifyUnmounted). A file system stays mounted while a mount of it is
// attached in some tree or is the root of a namespace that has mounts.
// Unlike Linux, a lazily unmounted file system counts as gone when
// detached though files of it are still open.
//
// Preconditions: v.mountMu is held.
func (v *VirtualFilesystem) unmountedLocked() []*fsState {
	if len(v.detached) == 0 {
		return nil
	}
	inUse := make(map[*fsState]bool)
	for _, m := range v.mounts {
		inUse[m.fs] = true
		if m.ns != nil && m.ns.root != nil {
			inUse[m.ns.root.fs] = true
		}
	}
	var gone []*fsState
	for fs := range v.detached {
		if !inUse[fs] {
			gone = append(gone, fs)
		}
	}
	v.detached = nil
	return gone
}

// notifyUnmounted sends IN_UNMOUNT then IN_IGNORED to every watch of an
// inode of the file systems gone, and drops the watches, as Linux's
// fsnotify_unmount_inodes.
//
// Preconditions: v.mountMu is not held.
func (v *VirtualFilesystem) notifyUnmounted(gone []*fsState) {
	if len(gone) == 0 {
		return
	}
	s := &v.notify
	type target struct {
		d  *Dentry
		ws []Watch
	}
	var ts []target
	s.mu.Lock()
	for inode, d := range s.targets {
		for _, fs := range gone {
			if d.fs != fs {
				continue
			}
			ws := s.watches[inode]
			ts = append(ts, target{d, ws})
			delete(s.watches, inode)
			delete(s.targets, inode)
			s.n.Add(-int32(len(ws)))
			break
		}
	}
	s.mu.Unlock()
	for _, t := range ts {
		mask := uint32(InUnmount)
		if t.d.IsDir() {
			mask |= InIsdir
		}
		for _, w := range t.ws {
			w.Event(NotifyEvent{Mask: mask})
			w.Event(NotifyEvent{Mask: InIgnored})
		}
	}
}

// nextCookie returns a new rename cookie.
func (v *VirtualFilesystem) nextCookie() uint32 {
	return v.notify.cookie.Add(1)
}

// notifyAttrChange reports a change of attributes made through req, as
// Linux's fsnotify_change.
func (v *VirtualFilesystem) notifyAttrChange(d *Dentry, req *SetStat) {
	var mask uint32
	m := req.Mask
	if m&(unix.STATX_UID|unix.STATX_GID|unix.STATX_MODE) != 0 {
		mask |= InAttrib
	}
	if m&unix.STATX_SIZE != 0 {
		mask |= InModify
	}
	switch {
	case m&unix.STATX_ATIME != 0 && m&unix.STATX_MTIME != 0:
		mask |= InAttrib
	case m&unix.STATX_ATIME != 0:
		mask |= InAccess
	case m&unix.STATX_MTIME != 0:
		mask |= InModify
	}
	if mask != 0 {
		v.notifyDentry(d, mask)
	}
}

// The I/O entry points report IN_ACCESS and IN_MODIFY when they moved
// data (Linux's fsnotify_access and fsnotify_modify).

// Read reads at the file offset and advances it (read(2)).
func (f *File) Read(ctx Context, dst []byte) (int, error) {
	n, err := f.read(ctx, dst)
	if n > 0 {
		f.vfs.notifyDentry(f.path.Dentry, InAccess)
	}
	if n > 0 || err == nil {
		f.accessed(ctx, int64(len(dst)))
	}
	return n, err
}

// Pread reads at offset off without using the file offset (pread64(2)).
func (f *File) Pread(ctx Context, dst []byte, off int64) (int, error) {
	n, err := f.pread(ctx, dst, off)
	if n > 0 {
		f.vfs.notifyDentry(f.path.Dentry, InAccess)
	}
	if n > 0 || err == nil {
		f.accessed(ctx, int64(len(dst)))
	}
	return n, err
}

// Write writes at the file offset, or at the end for O_APPEND, and
// advances the offset (write(2)).
func (f *File) Write(ctx Context, src []byte) (int, error) {
	n, err := f.write(ctx, src)
	if n > 0 {
		f.vfs.notifyDentry(f.path.Dentry, InModify)
	}
	return n, err
}

// Pwrite writes at offset off (pwrite64(2)). As on Linux, a file opened
// with O_APPEND is appended to whatever off says.
func (f *File) Pwrite(ctx Context, src []byte, off int64) (int, error) {
	n, err := f.pwrite(ctx, src, off)
	if n > 0 {
		f.vfs.notifyDentry(f.path.Dentry, InModify)
	}
	return n, err
}

// ReadTo reads up to n bytes and passes them to sink in chunks of at most
// IOChunk bytes; sink copies them out and returns how many it took (fewer,
// with an error, when the destination faults). With off < 0 it reads at
// the file offset and advances it by what sink took (read, readv); with
// off >= 0 it reads there (pread). Stream files are read once, so a
// reader never blocks after getting data. It returns the bytes delivered,
// or the first error if none were.
func (f *File) ReadTo(ctx Context, n int64, off int64, sink func([]byte) (int, error)) (int64, error) {
	m, err := f.readTo(ctx, n, off, sink, nil)
	if m > 0 {
		f.vfs.notifyDentry(f.path.Dentry, InAccess)
	}
	if m > 0 || err == nil {
		f.accessed(ctx, n)
	}
	return m, err
}

// WriteFrom writes up to n bytes that source supplies in chunks of at most
// IOChunk bytes (source fills its argument and returns how much it filled,
// with an error when the user memory faults). off < 0 writes at the file
// offset (or the end with O_APPEND) and advances it; off >= 0 writes there
// (pwrite). It returns the bytes written, or the first error if none were.
func (f *File) WriteFrom(ctx Context, n int64, off int64, source func([]byte) (int, error)) (int64, error) {
	return f.WriteFromAppend(ctx, n, off, source, AppendAsOpened)
}

// WriteFromAppend is WriteFrom with the write's O_APPEND given by mode
// (an aio write's RWF_APPEND or RWF_NOAPPEND).
func (f *File) WriteFromAppend(ctx Context, n int64, off int64, source func([]byte) (int, error), mode AppendMode) (int64, error) {
	m, err := f.writeFrom(ctx, n, off, source, nil, mode)
	if m > 0 {
		f.vfs.notifyDentry(f.path.Dentry, InModify)
	}
	return m, err
}

// Getdents calls emit for the directory entries from the file offset,
// "." and ".." first, and advances the offset past each entry emit
// accepts (getdents64(2)); it reports IN_ACCESS on the directory.
func (f *File) Getdents(ctx Context, emit func(Dirent) bool) error {
	err := f.getdents(ctx, emit)
	if err == nil {
		f.vfs.notifyDentry(f.path.Dentry, InAccess)
		f.accessed(ctx, -1)
	}
	return err
}
