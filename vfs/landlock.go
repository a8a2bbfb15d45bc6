package vfs

import (
	"iter"
	"reflect"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/auth/landlock"
)

// Landlock (landlock(7)): the VFS asks the caller's domain, at the points
// where Linux's security hooks do, whether the rules attached to a file
// and the directories above it grant what an operation needs. A caller
// without a domain costs a nil test. Rules are attached to inodes; the
// walk goes up through mounts to the root of the mount namespace, passing
// over the directories that mounts hide, and ignores chroot.
//
// The walks read Dentry.parent under renameMu, so they run before a
// directory's lock is taken (the verdict is returned at Linux's place in
// the order of errors) or, in rename, under renameMu held for writing.

// LandlockObject returns the key Landlock rules on the file at p are
// attached to (its inode), or nil for a file no rule may name: an
// anonymous or pseudo file (a pipe, a socket, an event file), as Linux's
// internal mounts.
func LandlockObject(p Path) any {
	if p.Mount == nil || p.Dentry == nil || p.Dentry.anon {
		return nil
	}
	return objectOf(p.Dentry)
}

// objectOf returns d's inode as a map key, or nil for an inode value that
// cannot be one.
func objectOf(d *Dentry) any {
	if t := reflect.TypeOf(d.inode); t == nil || !t.Comparable() {
		return nil
	}
	return d.inode
}

// landlockWalk yields the objects from p up to the root of its mount
// namespace: p's, then each parent's; at the root of a mount it goes on
// from the parent of the mount point (the directory the mount hides is
// skipped, as Linux does). With renameLocked the caller holds renameMu.
func (v *VirtualFilesystem) landlockWalk(p Path, renameLocked bool) iter.Seq[any] {
	return func(yield func(any) bool) {
		if !renameLocked {
			v.renameMu.RLock()
			defer v.renameMu.RUnlock()
		}
		for {
			if obj := objectOf(p.Dentry); obj != nil && !yield(obj) {
				return
			}
			for p.Dentry == p.Mount.root {
				v.mountMu.Lock()
				parent, point := p.Mount.parent, p.Mount.point
				v.mountMu.Unlock()
				if parent == nil {
					return
				}
				p = Path{Mount: parent, Dentry: point}
			}
			if p.Dentry.parent == nil {
				return // a disconnected directory: no further rules
			}
			p.Dentry = p.Dentry.parent
		}
	}
}

// landlockWalkMount yields the objects from directory d up to the root of
// mount m, inclusive.
//
// Preconditions: renameMu is held.
func landlockWalkMount(m *Mount, d *Dentry) iter.Seq[any] {
	return func(yield func(any) bool) {
		for ; d != nil; d = d.parent {
			if obj := objectOf(d); obj != nil && !yield(obj) {
				return
			}
			if d == m.root {
				return
			}
		}
	}
}

// landlockDenied returns the rights of access the caller's domain refuses
// on the file at p (0 without a domain, or for an anonymous file).
func (v *VirtualFilesystem) landlockDenied(ctx Context, p Path, access uint64, renameLocked bool) uint64 {
	dom := ctx.Credentials().Landlock.FS()
	if dom == nil || LandlockObject(p) == nil {
		return 0
	}
	return dom.Denied(access, v.landlockWalk(p, renameLocked))
}

// CheckLandlock returns EACCES when the caller's Landlock domain refuses
// a right of access on the file at p (execve asks for EXECUTE).
func (v *VirtualFilesystem) CheckLandlock(ctx Context, p Path, access uint64) error {
	if v.landlockDenied(ctx, p, access, false) != 0 {
		return unix.EACCES
	}
	return nil
}

// landlockOpenAccess returns the rights opening a file of type typ with
// flags needs (Linux's get_required_file_open_access), TRUNCATE for
// O_TRUNC of a regular file included.
func landlockOpenAccess(typ uint32, flags int) uint64 {
	if flags&unix.O_PATH != 0 {
		return 0
	}
	var access uint64
	acc := flags & unix.O_ACCMODE
	if acc == unix.O_RDONLY || acc == unix.O_RDWR {
		if typ == unix.S_IFDIR {
			return landlock.AccessFSReadDir
		}
		access |= landlock.AccessFSReadFile
	}
	if acc == unix.O_WRONLY || acc == unix.O_RDWR {
		access |= landlock.AccessFSWriteFile
	}
	if flags&unix.O_TRUNC != 0 && typ == unix.S_IFREG {
		access |= landlock.AccessFSTruncate
	}
	return access
}

// landlockOpen is Landlock's check of an open(2) of the file at p: EACCES
// when a right the open needs is refused. It also returns the rights the
// opened file may not use later (TRUNCATE for ftruncate, IOCTL_DEV for
// ioctl on a device), decided now as on Linux.
func (v *VirtualFilesystem) landlockOpen(ctx Context, p Path, flags int) (uint64, error) {
	if flags&unix.O_PATH != 0 || ctx.Credentials().Landlock.FS() == nil {
		return 0, nil
	}
	// An open needing no right (access mode 3) still has the rights its
	// file may use later decided now.
	need := landlockOpenAccess(p.Dentry.typ, flags)
	optional := landlock.AccessFSTruncate
	if p.Dentry.typ == unix.S_IFCHR || p.Dentry.typ == unix.S_IFBLK {
		optional |= landlock.AccessFSIoctlDev
	}
	denied := v.landlockDenied(ctx, p, need|optional, false)
	if denied&need != 0 {
		return 0, unix.EACCES
	}
	return denied, nil
}

// LandlockDenied reports whether the Landlock domain of the task that
// opened f refused it the right access when it did (ioctl asks for
// IOCTL_DEV); files opened without a domain may do anything.
func (f *File) LandlockDenied(access uint64) bool { return f.landlockDeny&access != 0 }

// landlockMakeAccess returns the right making a file of type typ needs.
func landlockMakeAccess(typ uint32) uint64 {
	switch typ {
	case unix.S_IFDIR:
		return landlock.AccessFSMakeDir
	case unix.S_IFLNK:
		return landlock.AccessFSMakeSym
	case unix.S_IFCHR:
		return landlock.AccessFSMakeChar
	case unix.S_IFBLK:
		return landlock.AccessFSMakeBlock
	case unix.S_IFIFO:
		return landlock.AccessFSMakeFifo
	case unix.S_IFSOCK:
		return landlock.AccessFSMakeSock
	}
	return landlock.AccessFSMakeReg
}

// landlockRemoveAccess returns the right removing d needs (0 for none).
func landlockRemoveAccess(d *Dentry) uint64 {
	switch {
	case d == nil:
		return 0
	case d.IsDir():
		return landlock.AccessFSRemoveDir
	}
	return landlock.AccessFSRemoveFile
}

// landlockMake returns EACCES when the caller may not make a file of
// type typ in the directory at dir.
func (v *VirtualFilesystem) landlockMake(ctx Context, dir Path, typ uint32) error {
	if v.landlockDenied(ctx, dir, landlockMakeAccess(typ), false) != 0 {
		return unix.EACCES
	}
	return nil
}

// landlockCreate returns the rights the caller's domain refuses to
// open(2) with O_CREAT and flags making a regular file in the directory
// at dir: making it, opening it with flags (a new file is not
// truncated), and TRUNCATE for the open file. A new file has no rules of
// its own, so its directory decides.
func (v *VirtualFilesystem) landlockCreate(ctx Context, dir Path, flags int) uint64 {
	if ctx.Credentials().Landlock.FS() == nil {
		return 0
	}
	access := landlock.AccessFSMakeReg | landlockOpenAccess(unix.S_IFREG, flags&^unix.O_TRUNC) | landlock.AccessFSTruncate
	return v.landlockDenied(ctx, dir, access, false)
}

// landlockCreated returns EACCES when denied (from landlockCreate) holds
// a right making (made false) or opening (made true) the file needs.
func landlockCreated(denied uint64, flags int, made bool) error {
	need := uint64(landlock.AccessFSMakeReg)
	if made {
		need = landlockOpenAccess(unix.S_IFREG, flags&^unix.O_TRUNC)
	}
	if denied&need != 0 {
		return unix.EACCES
	}
	return nil
}

// landlockRemove returns EACCES when the caller may not remove a
// directory (rmdir) or another file (unlink) from the directory at dir.
func (v *VirtualFilesystem) landlockRemove(ctx Context, dir Path, isDir bool) error {
	access := landlock.AccessFSRemoveFile
	if isDir {
		access = landlock.AccessFSRemoveDir
	}
	if v.landlockDenied(ctx, dir, access, false) != 0 {
		return unix.EACCES
	}
	return nil
}

// landlockLink is Landlock's check of link(2) of the file at old into
// the directory at dir.
func (v *VirtualFilesystem) landlockLink(ctx Context, old, dir Path) error {
	if ctx.Credentials().Landlock.FS() == nil || old.Mount != dir.Mount {
		return nil
	}
	v.renameMu.RLock()
	defer v.renameMu.RUnlock()
	return v.landlockReferExchange(ctx, dir.Mount, old.Dentry.parent, old.Dentry, dir.Dentry, nil, false, false)
}

// landlockRename is Landlock's check of rename(2) and renameat2(2).
//
// Preconditions: renameMu is held for writing.
func (v *VirtualFilesystem) landlockRename(ctx Context, m *Mount, odir, child, ndir, victim *Dentry, flags uint32) error {
	if ctx.Credentials().Landlock.FS() == nil {
		return nil
	}
	return v.landlockReferExchange(ctx, m, odir, child, ndir, victim, true, flags&RenameExchange != 0)
}

// landlockReferExchange is Landlock's check of a link or rename of child
// from directory odir to directory ndir of mount m, replacing (or, with
// exchange, exchanged with) victim (nil for none), removal asked for a
// rename only (Linux's current_check_refer_path).
//
// Preconditions: renameMu is held.
func (v *VirtualFilesystem) landlockReferExchange(ctx Context, m *Mount, odir, child, ndir, victim *Dentry, rename, exchange bool) error {
	dom := ctx.Credentials().Landlock.FS()
	if dom == nil || m == nil {
		return nil
	}
	var req1 uint64
	if exchange {
		req1 = landlockMakeAccess(victim.typ)
	}
	req2 := landlockMakeAccess(child.typ)
	if rename {
		req1 |= landlockRemoveAccess(child)
		req2 |= landlockRemoveAccess(victim)
	}
	if odir == ndir || odir == nil {
		// No reparenting: REFER is not needed.
		if dom.Denied(req1|req2, v.landlockWalk(Path{Mount: m, Dentry: ndir}, true)) != 0 {
			return unix.EACCES
		}
		return nil
	}
	c1 := &landlock.Child{Obj: objectOf(child), IsDir: child.IsDir()}
	var c2 *landlock.Child
	if exchange {
		c2 = &landlock.Child{Obj: objectOf(victim), IsDir: victim.IsDir()}
	}
	return dom.ReferDenied(req1, req2, landlockWalkMount(m, odir), landlockWalkMount(m, ndir),
		v.landlockWalk(m.Root(), true), c1, c2)
}
