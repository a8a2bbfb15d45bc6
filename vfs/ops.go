package vfs

import (
	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/auth"
	"github.com/kite-os/kite/auth/landlock"
)

// createAt resolves path's parent directory and, with it locked and the
// last component free, calls mk to make the new inode, which it caches.
// It gives the errors of Linux's filename_create and may_create; typ is
// the type of the new file (S_IFDIR, S_IFREG...).
func (v *VirtualFilesystem) createAt(ctx Context, fsc *FSContext, start Path, path string, typ uint32, mk func(dir *Dentry, name string) (Inode, error)) error {
	_, err := v.createPathAt(ctx, fsc, start, path, typ, mk)
	return err
}

// createPathAt is createAt returning where the new inode is.
func (v *VirtualFilesystem) createPathAt(ctx Context, fsc *FSContext, start Path, path string, typ uint32, mk func(dir *Dentry, name string) (Inode, error)) (Path, error) {
	pr, err := v.resolver(ctx, fsc).walkParent(start, path)
	if err != nil {
		return Path{}, err
	}
	if pr.kind != lastNorm {
		return Path{}, unix.EEXIST
	}
	if len(pr.name) > NameMax {
		return Path{}, unix.ENAMETOOLONG
	}
	dir := pr.parent.Dentry
	llErr := v.landlockMake(ctx, pr.parent, typ)
	dir.mu.Lock()
	defer dir.mu.Unlock()
	if _, err := dir.lookupLocked(ctx, pr.name); err == nil {
		return Path{}, unix.EEXIST
	} else if err != unix.ENOENT {
		return Path{}, err
	}
	if pr.trailing && typ != unix.S_IFDIR {
		return Path{}, unix.ENOENT
	}
	if pr.parent.Mount.ReadOnly() {
		return Path{}, unix.EROFS
	}
	if llErr != nil {
		return Path{}, llErr
	}
	if err := v.permission(ctx, dir, auth.MayWrite|auth.MayExec); err != nil {
		return Path{}, err
	}
	if dir.Dead() {
		return Path{}, unix.ENOENT
	}
	ino, err := mk(dir, pr.name)
	if err != nil {
		return Path{}, err
	}
	nd, err := newDentry(ctx, dir.fs, dir, pr.name, ino)
	if err != nil {
		return Path{}, err
	}
	dir.addChild(pr.name, nd)
	v.notifyName(dir, InCreate, 0, pr.name, nd.IsDir())
	return Path{Mount: pr.parent.Mount, Dentry: nd}, nil
}

// MkdirAt makes a directory (mkdir(2)); mode is before the umask.
func (v *VirtualFilesystem) MkdirAt(ctx Context, fsc *FSContext, start Path, path string, mode uint32) error {
	umask := fsc.Umask()
	return v.createAt(ctx, fsc, start, path, unix.S_IFDIR, func(dir *Dentry, name string) (Inode, error) {
		m, ac := v.createMode(ctx, dir, mode&0o1777, umask, true)
		in, err := dir.inode.Mkdir(ctx, name, m)
		if err == nil {
			v.inheritACL(ctx, in, ac)
		}
		return in, err
	})
}

// MknodAt makes a file, device, FIFO or socket node (mknod(2)); mode holds
// the type and the permission bits before the umask.
func (v *VirtualFilesystem) MknodAt(ctx Context, fsc *FSContext, start Path, path string, mode uint32, rdev uint64) error {
	typ := mode & unix.S_IFMT
	switch typ {
	case 0, unix.S_IFREG, unix.S_IFIFO, unix.S_IFSOCK:
	case unix.S_IFCHR, unix.S_IFBLK:
		if !ctx.Credentials().HasGlobalCapability(unix.CAP_MKNOD) {
			return unix.EPERM
		}
	case unix.S_IFDIR:
		return unix.EPERM
	default:
		return unix.EINVAL
	}
	umask := fsc.Umask()
	return v.createAt(ctx, fsc, start, path, typ, func(dir *Dentry, name string) (Inode, error) {
		perm, ac := v.createMode(ctx, dir, mode&0o7777, umask, false)
		var in Inode
		var err error
		if typ == 0 || typ == unix.S_IFREG {
			in, err = dir.inode.Create(ctx, name, perm)
		} else {
			in, err = dir.inode.Mknod(ctx, name, typ|perm, rdev)
		}
		if err == nil {
			v.inheritACL(ctx, in, ac)
		}
		return in, err
	})
}

// SymlinkAt makes a symbolic link at path pointing to target (symlink(2)).
func (v *VirtualFilesystem) SymlinkAt(ctx Context, fsc *FSContext, target string, start Path, path string) error {
	if err := checkPathLen(target); err != nil {
		return err
	}
	return v.createAt(ctx, fsc, start, path, unix.S_IFLNK, func(dir *Dentry, name string) (Inode, error) {
		return dir.inode.Symlink(ctx, name, target)
	})
}

// LinkAt makes newPath a hard link to oldPath (linkat(2)); follow says
// whether a final symlink in oldPath is followed (AT_SYMLINK_FOLLOW).
func (v *VirtualFilesystem) LinkAt(ctx Context, fsc *FSContext, oldStart Path, oldPath string, newStart Path, newPath string, follow bool) error {
	old, err := v.GetPath(ctx, fsc, oldStart, oldPath, follow)
	if err != nil {
		return err
	}
	return v.LinkPath(ctx, fsc, old, newStart, newPath)
}

// LinkPath makes newPath a hard link to the file at old (linkat with
// AT_EMPTY_PATH).
func (v *VirtualFilesystem) LinkPath(ctx Context, fsc *FSContext, old Path, newStart Path, newPath string) error {
	pr, err := v.resolver(ctx, fsc).walkParent(newStart, newPath)
	if err != nil {
		return err
	}
	if pr.kind != lastNorm {
		return unix.EEXIST
	}
	if len(pr.name) > NameMax {
		return unix.ENAMETOOLONG
	}
	dir := pr.parent.Dentry
	llErr := v.landlockLink(ctx, old, pr.parent)
	dir.mu.Lock()
	defer dir.mu.Unlock()
	if _, err := dir.lookupLocked(ctx, pr.name); err == nil {
		return unix.EEXIST
	} else if err != unix.ENOENT {
		return err
	}
	if pr.trailing {
		return unix.ENOENT
	}
	if old.Mount != pr.parent.Mount {
		return unix.EXDEV
	}
	if pr.parent.Mount.ReadOnly() {
		return unix.EROFS
	}
	if err := v.mayLink(ctx, old.Dentry); err != nil {
		return err
	}
	if llErr != nil {
		return llErr
	}
	if err := v.permission(ctx, dir, auth.MayWrite|auth.MayExec); err != nil {
		return err
	}
	if old.Dentry.IsDir() {
		return unix.EPERM
	}
	if err := noChange(old.Dentry); err != nil {
		return err
	}
	if dir.Dead() {
		return unix.ENOENT
	}
	if old.Dentry.Dead() {
		st, err := old.Dentry.inode.Stat(ctx)
		if err != nil {
			return err
		}
		if st.Nlink == 0 && !old.Dentry.linkable {
			return unix.ENOENT
		}
	}
	if err := dir.inode.Link(ctx, pr.name, old.Dentry.inode); err != nil {
		return err
	}
	nd := &Dentry{fs: dir.fs, inode: old.Dentry.inode, typ: old.Dentry.typ, parent: dir, name: pr.name}
	dir.addChild(pr.name, nd)
	v.notifyInode(nd, InAttrib)
	v.notifyName(dir, InCreate, 0, pr.name, false)
	return nil
}

// mayLink applies Linux's protected_hardlinks rule (on by default): a
// user who does not own a file may link to it only if it is a regular,
// non-set-id file they may read and write.
func (v *VirtualFilesystem) mayLink(ctx Context, d *Dentry) error {
	st, err := d.inode.Stat(ctx)
	if err != nil {
		return err
	}
	if isOwner(ctx, &st) {
		return nil
	}
	if st.Type() != unix.S_IFREG || st.Mode&unix.S_ISUID != 0 ||
		st.Mode&(unix.S_ISGID|unix.S_IXGRP) == unix.S_ISGID|unix.S_IXGRP {
		return unix.EPERM
	}
	if v.permission(ctx, d, auth.MayRead|auth.MayWrite) != nil {
		return unix.EPERM
	}
	return nil
}

// mayDelete checks that ctx may remove child from dir (Linux's
// may_delete): write and search permission on dir, the sticky bit, and the
// file type.
func (v *VirtualFilesystem) mayDelete(ctx Context, dir, child *Dentry, isDir bool) error {
	if err := v.permission(ctx, dir, auth.MayWrite|auth.MayExec); err != nil {
		return err
	}
	if attrFlags(dir.inode)&FlagAppend != 0 {
		return unix.EPERM
	}
	dst, err := dir.inode.Stat(ctx)
	if err != nil {
		return err
	}
	if dst.Mode&unix.S_ISVTX != 0 {
		cst, err := child.inode.Stat(ctx)
		if err != nil {
			return err
		}
		if !isOwner(ctx, &cst) && ctx.Credentials().FSUID != dst.UID {
			return unix.EPERM
		}
	}
	if err := noChange(child); err != nil {
		return err
	}
	if isDir && !child.IsDir() {
		return unix.ENOTDIR
	}
	if !isDir && child.IsDir() {
		return unix.EISDIR
	}
	if dir.Dead() {
		return unix.ENOENT
	}
	return nil
}

// UnlinkAt removes a name that is not a directory (unlink(2)).
func (v *VirtualFilesystem) UnlinkAt(ctx Context, fsc *FSContext, start Path, path string) error {
	return v.removeAt(ctx, fsc, start, path, false)
}

// RmdirAt removes an empty directory (rmdir(2)).
func (v *VirtualFilesystem) RmdirAt(ctx Context, fsc *FSContext, start Path, path string) error {
	return v.removeAt(ctx, fsc, start, path, true)
}

func (v *VirtualFilesystem) removeAt(ctx Context, fsc *FSContext, start Path, path string, isDir bool) error {
	pr, err := v.resolver(ctx, fsc).walkParent(start, path)
	if err != nil {
		return err
	}
	switch {
	case pr.kind == lastNorm:
	case !isDir:
		return unix.EISDIR
	case pr.kind == lastRoot:
		return unix.EBUSY
	case pr.kind == lastDot:
		return unix.EINVAL
	default:
		return unix.ENOTEMPTY
	}
	if pr.parent.Mount.ReadOnly() {
		return unix.EROFS
	}
	if len(pr.name) > NameMax {
		return unix.ENAMETOOLONG
	}
	dir := pr.parent.Dentry
	llErr := v.landlockRemove(ctx, pr.parent, isDir)
	var gone []*fsState
	defer func() { v.notifyUnmounted(gone) }()
	dir.mu.Lock()
	defer dir.mu.Unlock()
	child, err := dir.lookupLocked(ctx, pr.name)
	if err != nil {
		return err
	}
	if pr.trailing && !isDir && !child.IsDir() {
		return unix.ENOTDIR
	}
	if llErr != nil {
		return llErr
	}
	if err := v.mayDelete(ctx, dir, child, isDir); err != nil {
		return err
	}
	if v.isLocalMountpoint(fsc, child) {
		return unix.EBUSY
	}
	if isDir {
		err = dir.inode.Rmdir(ctx, pr.name, child.inode)
	} else {
		err = dir.inode.Unlink(ctx, pr.name, child.inode)
	}
	if err != nil {
		return err
	}
	dir.removeChild(pr.name)
	child.dead.Store(true)
	gone = v.detachMountsOn(child)
	v.notifyRemoved(ctx, dir, pr.name, child)
	return nil
}

// Rename flags (renameat2(2)).
const (
	RenameNoReplace = 1 << 0
	RenameExchange  = 1 << 1
	RenameWhiteout  = 1 << 2
)

// RenameAt renames oldPath to newPath (renameat2(2)) with RenameNoReplace
// or RenameExchange.
func (v *VirtualFilesystem) RenameAt(ctx Context, fsc *FSContext, oldStart Path, oldPath string, newStart Path, newPath string, flags uint32) error {
	if flags&^(RenameNoReplace|RenameExchange|RenameWhiteout) != 0 {
		return unix.EINVAL
	}
	if flags&RenameNoReplace != 0 && flags&RenameExchange != 0 {
		return unix.EINVAL
	}
	if flags&RenameWhiteout != 0 {
		return unix.EINVAL
	}
	r := v.resolver(ctx, fsc)
	opr, err := r.walkParent(oldStart, oldPath)
	if err != nil {
		return err
	}
	npr, err := r.walkParent(newStart, newPath)
	if err != nil {
		return err
	}
	if opr.parent.Mount != npr.parent.Mount {
		return unix.EXDEV
	}
	if opr.kind != lastNorm {
		return unix.EBUSY
	}
	if npr.kind != lastNorm {
		if flags&RenameNoReplace != 0 {
			return unix.EEXIST
		}
		return unix.EBUSY
	}
	if opr.parent.Mount.ReadOnly() {
		return unix.EROFS
	}
	if len(opr.name) > NameMax || len(npr.name) > NameMax {
		return unix.ENAMETOOLONG
	}
	odir, ndir := opr.parent.Dentry, npr.parent.Dentry

	var gone []*fsState
	defer func() { v.notifyUnmounted(gone) }()
	v.renameMu.Lock()
	defer v.renameMu.Unlock()
	switch {
	case odir == ndir:
		odir.mu.Lock()
		defer odir.mu.Unlock()
	case odir.isAncestorOf(ndir):
		odir.mu.Lock()
		defer odir.mu.Unlock()
		ndir.mu.Lock()
		defer ndir.mu.Unlock()
	default:
		ndir.mu.Lock()
		defer ndir.mu.Unlock()
		odir.mu.Lock()
		defer odir.mu.Unlock()
	}

	child, err := odir.lookupLocked(ctx, opr.name)
	if err != nil {
		return err
	}
	if !child.IsDir() {
		if opr.trailing {
			return unix.ENOTDIR
		}
		if npr.trailing && flags&RenameExchange == 0 {
			return unix.ENOTDIR
		}
	}
	victim, err := ndir.lookupLocked(ctx, npr.name)
	if err != nil && err != unix.ENOENT {
		return err
	}
	if err != nil {
		victim = nil
	}
	if victim != nil && flags&RenameNoReplace != 0 {
		return unix.EEXIST
	}
	if flags&RenameExchange != 0 {
		if victim == nil {
			return unix.ENOENT
		}
		if !victim.IsDir() && npr.trailing {
			return unix.ENOTDIR
		}
	}
	// A directory may not move below itself; nor may the target be an
	// ancestor of the source.
	if child.isAncestorOf(ndir) {
		return unix.EINVAL
	}
	if victim != nil && victim.isAncestorOf(odir) {
		if flags&RenameExchange != 0 {
			return unix.EINVAL
		}
		return unix.ENOTEMPTY
	}
	if err := v.landlockRename(ctx, opr.parent.Mount, odir, child, ndir, victim, flags); err != nil {
		return err
	}
	if victim != nil && victim.inode == child.inode {
		return nil
	}
	if err := v.mayDelete(ctx, odir, child, child.IsDir()); err != nil {
		return err
	}
	if victim == nil {
		if err := v.permission(ctx, ndir, auth.MayWrite|auth.MayExec); err != nil {
			return err
		}
	} else {
		isDir := child.IsDir()
		if flags&RenameExchange != 0 {
			isDir = victim.IsDir()
		}
		if err := v.mayDelete(ctx, ndir, victim, isDir); err != nil {
			return err
		}
	}
	if odir != ndir {
		// Moving a directory rewrites its "..": write permission on it.
		if child.IsDir() {
			if err := v.permission(ctx, child, auth.MayWrite); err != nil {
				return err
			}
		}
		if flags&RenameExchange != 0 && victim.IsDir() {
			if err := v.permission(ctx, victim, auth.MayWrite); err != nil {
				return err
			}
		}
	}
	if v.isLocalMountpoint(fsc, child) || (victim != nil && v.isLocalMountpoint(fsc, victim)) {
		return unix.EBUSY
	}
	var replaced Inode
	if victim != nil {
		replaced = victim.inode
	}
	if err := odir.inode.Rename(ctx, opr.name, child.inode, ndir.inode, npr.name, replaced, flags); err != nil {
		return err
	}
	odir.removeChild(opr.name)
	if victim != nil {
		ndir.removeChild(npr.name)
	}
	child.parent, child.name = ndir, npr.name
	ndir.addChild(npr.name, child)
	if victim != nil {
		if flags&RenameExchange != 0 {
			victim.parent, victim.name = odir, opr.name
			odir.addChild(opr.name, victim)
		} else {
			victim.dead.Store(true)
			gone = v.detachMountsOn(victim)
		}
	}
	v.notifyRename(ctx, odir, opr.name, ndir, npr.name, child, victim, flags&RenameExchange != 0)
	return nil
}

// SetStatPath applies req to the file at p after the checks common to
// every attribute change (EROFS).
func (v *VirtualFilesystem) setStat(ctx Context, p Path, req *SetStat) error {
	if p.Mount.ReadOnly() {
		return unix.EROFS
	}
	req.Ctime = v.NowTimespec()
	if err := p.Dentry.inode.SetStat(ctx, req); err != nil {
		return err
	}
	if req.Mask&unix.STATX_SIZE != 0 {
		v.truncated(p.Dentry.inode, req.Size)
	}
	v.notifyAttrChange(p.Dentry, req)
	return nil
}

// Chmod changes the permission bits of the file at p (chmod(2)).
func (v *VirtualFilesystem) Chmod(ctx Context, p Path, mode uint32) error {
	st, err := p.Dentry.inode.Stat(ctx)
	if err != nil {
		return err
	}
	if p.Mount.ReadOnly() {
		return unix.EROFS
	}
	if err := noChange(p.Dentry); err != nil {
		return err
	}
	if !isOwner(ctx, &st) {
		return unix.EPERM
	}
	mode &= 0o7777
	if !ctx.Credentials().InGroupOrCapable(st.UID, st.GID) {
		mode &^= unix.S_ISGID
	}
	if err := v.setStat(ctx, p, &SetStat{Mask: unix.STATX_MODE, Mode: mode}); err != nil {
		return err
	}
	v.chmodACL(ctx, p.Dentry.inode, mode)
	return nil
}

// Chown changes the owner and group of the file at p (chown(2)); -1
// leaves one unchanged.
func (v *VirtualFilesystem) Chown(ctx Context, p Path, uid, gid int64) error {
	st, err := p.Dentry.inode.Stat(ctx)
	if err != nil {
		return err
	}
	if p.Mount.ReadOnly() {
		return unix.EROFS
	}
	if uid != -1 || gid != -1 {
		if err := noChange(p.Dentry); err != nil {
			return err
		}
	}
	c := ctx.Credentials()
	req := &SetStat{}
	if uid != -1 {
		if (uint32(uid) != st.UID || c.FSUID != st.UID) && !c.CapableOverOwner(unix.CAP_CHOWN, st.UID, st.GID) {
			return unix.EPERM
		}
		req.Mask |= unix.STATX_UID
		req.UID = uint32(uid)
	}
	if gid != -1 {
		if (c.FSUID != st.UID || (uint32(gid) != st.GID && !c.InGroup(uint32(gid)))) && !c.CapableOverOwner(unix.CAP_CHOWN, st.UID, st.GID) {
			return unix.EPERM
		}
		req.Mask |= unix.STATX_GID
		req.GID = uint32(gid)
	}
	// Even chown(-1, -1) drops the set-id bits (and updates ctime).
	if kill := setIDToDrop(c, &st, true); kill != 0 {
		req.Mask |= unix.STATX_MODE
		req.Mode = st.Mode & 0o7777 &^ kill
	}
	return v.setStat(ctx, p, req)
}

// Truncate changes the size of the file at p (truncate(2)), checking
// write permission.
func (v *VirtualFilesystem) Truncate(ctx Context, p Path, size int64) error {
	if size < 0 {
		return unix.EINVAL
	}
	switch p.Dentry.typ {
	case unix.S_IFDIR:
		return unix.EISDIR
	case unix.S_IFREG:
	default:
		return unix.EINVAL
	}
	if err := v.CheckPermission(ctx, p, auth.MayWrite); err != nil {
		return err
	}
	if attrFlags(p.Dentry.inode)&FlagAppend != 0 {
		return unix.EPERM
	}
	if err := v.CheckLandlock(ctx, p, landlock.AccessFSTruncate); err != nil {
		return err
	}
	if err := v.breakLease(ctx, p.Dentry.inode, unix.O_WRONLY); err != nil {
		return err
	}
	return v.truncate(ctx, p, size)
}

func (v *VirtualFilesystem) truncate(ctx Context, p Path, size int64) error {
	now := v.NowTimespec()
	req := &SetStat{Mask: unix.STATX_SIZE | unix.STATX_MTIME, Size: size, Mtime: now}
	if st, err := p.Dentry.inode.Stat(ctx); err == nil {
		if err := checkGrow(ctx, st.Size, size); err != nil {
			return err
		}
		if kill := setIDToDrop(ctx.Credentials(), &st, false); kill != 0 {
			req.Mask |= unix.STATX_MODE
			req.Mode = st.Mode & 0o7777 &^ kill
		}
	}
	return v.setStat(ctx, p, req)
}

// Ftruncate changes the size of an open file (ftruncate(2)).
func (v *VirtualFilesystem) Ftruncate(ctx Context, f *File, size int64) error {
	if f.IsPath() {
		return unix.EBADF
	}
	if size < 0 || !f.Writable() {
		return unix.EINVAL
	}
	if f.path.Dentry.typ != unix.S_IFREG {
		return unix.EINVAL
	}
	if attrFlags(f.path.Dentry.inode)&FlagAppend != 0 {
		return unix.EPERM
	}
	if f.landlockDeny&landlock.AccessFSTruncate != 0 {
		return unix.EACCES
	}
	return v.truncate(ctx, f.path, size)
}

// Special tv_nsec values of utimensat(2).
const (
	UtimeNow  = (1 << 30) - 1
	UtimeOmit = (1 << 30) - 2
)

// Utimes sets the access and modification times of the file at p
// (utimensat(2)); times nil means both now. Nsec may be UtimeNow or
// UtimeOmit.
func (v *VirtualFilesystem) Utimes(ctx Context, p Path, times *[2]unix.Timespec) error {
	now := v.NowTimespec()
	req := &SetStat{Mask: unix.STATX_ATIME | unix.STATX_MTIME, Atime: now, Mtime: now}
	explicit := false
	if times != nil {
		for i, t := range times {
			if t.Nsec != UtimeNow && t.Nsec != UtimeOmit && (t.Nsec < 0 || t.Nsec >= 1e9) {
				return unix.EINVAL
			}
			bit := uint32(unix.STATX_ATIME)
			if i == 1 {
				bit = unix.STATX_MTIME
			}
			switch t.Nsec {
			case UtimeOmit:
				req.Mask &^= bit
			case UtimeNow:
			default:
				explicit = true
				if i == 0 {
					req.Atime = t
				} else {
					req.Mtime = t
				}
			}
		}
		if req.Mask == 0 {
			return nil
		}
	}
	if p.Mount.ReadOnly() {
		return unix.EROFS
	}
	if fl := attrFlags(p.Dentry.inode); fl&FlagImmutable != 0 || (explicit && fl&FlagAppend != 0) {
		return unix.EPERM
	}
	st, err := p.Dentry.inode.Stat(ctx)
	if err != nil {
		return err
	}
	if !isOwner(ctx, &st) {
		if explicit {
			return unix.EPERM
		}
		if err := v.permission(ctx, p.Dentry, auth.MayWrite); err != nil {
			return err
		}
	}
	return v.setStat(ctx, p, req)
}

// setIDToDrop returns the set-id bits a write, truncate (chown false) or
// chown by c removes from the file st describes, as Linux's
// setattr_should_drop_suidgid: set-user-id always, set-group-id when
// group-executable or when c is outside the file's group without
// CAP_FSETID over it. A write or truncate by a holder of CAP_FSETID drops
// nothing; chown drops them whoever calls, but never from a directory.
func setIDToDrop(c *auth.Credentials, st *Stat, chown bool) uint32 {
	typ := st.Type()
	if typ == unix.S_IFDIR || !chown && typ != unix.S_IFREG {
		return 0
	}
	var kill uint32
	if st.Mode&unix.S_ISUID != 0 {
		kill |= unix.S_ISUID
	}
	if st.Mode&unix.S_ISGID != 0 && (st.Mode&unix.S_IXGRP != 0 || !c.InGroupOrCapable(st.UID, st.GID)) {
		kill |= unix.S_ISGID
	}
	if !chown && c.HasGlobalCapability(unix.CAP_FSETID) {
		return 0
	}
	return kill
}

// removePrivs drops the set-id bits of the regular file at d before ctx
// modifies its contents (Linux's file_remove_privs).
func (v *VirtualFilesystem) removePrivs(ctx Context, d *Dentry) error {
	if d.typ != unix.S_IFREG {
		return nil
	}
	st, err := d.inode.Stat(ctx)
	if err != nil || st.Mode&(unix.S_ISUID|unix.S_ISGID) == 0 {
		return err
	}
	kill := setIDToDrop(ctx.Credentials(), &st, false)
	if kill == 0 {
		return nil
	}
	return d.inode.SetStat(ctx, &SetStat{Mask: unix.STATX_MODE, Mode: st.Mode & 0o7777 &^ kill, Ctime: v.NowTimespec()})
}
