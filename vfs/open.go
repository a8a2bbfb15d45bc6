package vfs

import (
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/auth"
)

// oTmpfileOnly is O_TMPFILE without the O_DIRECTORY bit it includes.
const oTmpfileOnly = unix.O_TMPFILE &^ unix.O_DIRECTORY

// OpenAt opens path, relative to start when it is not absolute, as
// open(2) with flags and mode (permission bits, before the umask) does.
// O_CLOEXEC is the caller's business (the fd flag).
func (v *VirtualFilesystem) OpenAt(ctx Context, fsc *FSContext, start Path, path string, flags int, mode uint32) (*File, error) {
	return v.OpenAt2(ctx, fsc, start, path, flags, mode, 0)
}

// OpenAt2 is OpenAt with openat2(2)'s RESOLVE_* restrictions in resolve
// (validated by the caller).
func (v *VirtualFilesystem) OpenAt2(ctx Context, fsc *FSContext, start Path, path string, flags int, mode uint32, resolve uint64) (*File, error) {
	return v.openAt2(ctx, fsc, start, path, flags, mode, resolve)
}

func (v *VirtualFilesystem) openAt2(ctx Context, fsc *FSContext, start Path, path string, flags int, mode uint32, resolve uint64) (*File, error) {
	if flags&oTmpfileOnly != 0 {
		acc := flags & unix.O_ACCMODE
		if flags&unix.O_CREAT != 0 || flags&unix.O_DIRECTORY == 0 || (acc != unix.O_WRONLY && acc != unix.O_RDWR) {
			return nil, unix.EINVAL
		}
		if resolve&ResolveCached != 0 {
			return nil, unix.EAGAIN
		}
		r := v.resolver(ctx, fsc)
		r.resolve = resolve
		if resolve&(ResolveBeneath|ResolveInRoot) != 0 {
			r.root = start
		}
		dir, err := r.walk(start, path, flags&unix.O_NOFOLLOW == 0)
		if err != nil {
			return nil, err
		}
		return v.openTmpfile(ctx, dir, flags|OLargefile, mode&0o7777, fsc.Umask())
	}
	if flags&(unix.O_CREAT|unix.O_DIRECTORY) == unix.O_CREAT|unix.O_DIRECTORY && flags&unix.O_PATH == 0 {
		// Linux 6.4 and later refuse the combination.
		return nil, unix.EINVAL
	}
	r := v.resolver(ctx, fsc)
	r.resolve = resolve
	if resolve&(ResolveBeneath|ResolveInRoot) != 0 {
		// The walk may not leave start: it is the root for "..", and
		// absolute names start there (IN_ROOT) or fail (BENEATH).
		r.root = start
	}
	if resolve&ResolveCached != 0 && flags&(unix.O_CREAT|unix.O_TRUNC|oTmpfileOnly) != 0 {
		return nil, unix.EAGAIN
	}
	if flags&unix.O_PATH != 0 {
		flags &= unix.O_PATH | unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_CLOEXEC
	} else {
		// 64-bit Linux opens every file with O_LARGEFILE (F_GETFL shows it).
		flags |= OLargefile
	}
	if flags&unix.O_CREAT != 0 {
		r.umask = fsc.Umask()
		return r.openCreate(start, path, flags, mode&0o7777)
	}
	p, err := r.walk(start, path, flags&unix.O_NOFOLLOW == 0)
	if err != nil {
		return nil, err
	}
	return v.openPath(ctx, p, flags)
}

// openCreate is OpenAt with O_CREAT.
func (r *resolver) openCreate(start Path, path string, flags int, mode uint32) (*File, error) {
	v, ctx := r.v, r.ctx
	pr, err := r.walkParent(start, path)
	if err != nil {
		return nil, err
	}
	if pr.kind != lastNorm || pr.trailing {
		return nil, unix.EISDIR
	}
	if len(pr.name) > NameMax {
		return nil, unix.ENAMETOOLONG
	}
	dir := pr.parent.Dentry
	llDeny := v.landlockCreate(ctx, pr.parent, flags)
	dir.mu.Lock()
	child, err := dir.lookupLocked(ctx, pr.name)
	if err == nil {
		dir.mu.Unlock()
		if flags&unix.O_EXCL != 0 {
			return nil, unix.EEXIST
		}
		cp := v.followMounts(Path{Mount: pr.parent.Mount, Dentry: child})
		if r.resolve&ResolveNoXdev != 0 && cp.Mount != pr.parent.Mount {
			return nil, unix.EXDEV
		}
		if child.IsSymlink() {
			if flags&unix.O_NOFOLLOW != 0 {
				return nil, unix.ELOOP
			}
			if _, ok := child.inode.(MagicLink); ok {
				p, err := r.followLink(pr.parent, cp)
				if err != nil {
					return nil, err
				}
				return v.openPath(ctx, p, flags)
			}
			if err := r.mayFollow(cp); err != nil {
				return nil, err
			}
			target, err := child.inode.Readlink(ctx)
			if err != nil {
				return nil, err
			}
			if target == "" {
				return nil, unix.ENOENT
			}
			return r.openCreate(pr.parent, target, flags, mode)
		}
		return v.openPath(ctx, cp, flags)
	}
	defer dir.mu.Unlock()
	if err != unix.ENOENT {
		return nil, err
	}
	if pr.parent.Mount.ReadOnly() {
		return nil, unix.EROFS
	}
	if err := landlockCreated(llDeny, flags, false); err != nil {
		return nil, err
	}
	if err := v.permission(ctx, dir, auth.MayWrite|auth.MayExec); err != nil {
		return nil, err
	}
	if dir.Dead() {
		return nil, unix.ENOENT
	}
	perm, ac := v.createMode(ctx, dir, mode, r.umask, false)
	ino, err := dir.inode.Create(ctx, pr.name, perm)
	if err != nil {
		return nil, err
	}
	v.inheritACL(ctx, ino, ac)
	nd, err := newDentry(ctx, dir.fs, dir, pr.name, ino)
	if err != nil {
		return nil, err
	}
	dir.addChild(pr.name, nd)
	v.notifyName(dir, InCreate, 0, pr.name, false)
	p := Path{Mount: pr.parent.Mount, Dentry: nd}
	if err := landlockCreated(llDeny, flags, true); err != nil {
		return nil, err
	}
	ops, err := ino.Open(ctx, flags)
	if err != nil {
		return nil, err
	}
	f := v.newFile(ctx, p, ops, flags)
	f.landlockDeny = llDeny
	v.notifyName(dir, InOpen, 0, pr.name, false)
	if accMode(flags)&auth.MayWrite != 0 && nd.typ == unix.S_IFREG {
		// A new file cannot be denied yet: this always succeeds.
		if v.getWriteAccess(ino) == nil {
			f.writer = true
		}
	}
	if flags&unix.O_ACCMODE == unix.O_RDONLY && nd.typ == unix.S_IFREG {
		// Counted as openPath counts a read-only open (leases).
		v.getReadAccess(ino)
		f.reader = true
	}
	return f, nil
}

// TmpfileCreator is implemented by directory inodes of file systems that
// support O_TMPFILE: CreateTmpfile makes a regular file with no name (link
// count 0) whose data goes when its last open file is closed, unless
// linkat gives it a name first.
type TmpfileCreator interface {
	CreateTmpfile(ctx Context, mode uint32) (Inode, error)
}

// openTmpfile is open(2) with O_TMPFILE in directory dir.
func (v *VirtualFilesystem) openTmpfile(ctx Context, dir Path, flags int, mode, umask uint32) (*File, error) {
	d := dir.Dentry
	if !d.IsDir() {
		return nil, unix.ENOTDIR
	}
	if dir.Mount.ReadOnly() {
		return nil, unix.EROFS
	}
	// Linux's vfs_tmpfile checks the permission before asking the file
	// system.
	if err := v.permission(ctx, d, auth.MayWrite|auth.MayExec); err != nil {
		return nil, err
	}
	tc, ok := d.inode.(TmpfileCreator)
	if !ok {
		return nil, unix.EOPNOTSUPP
	}
	if d.Dead() {
		return nil, unix.ENOENT
	}
	perm, ac := v.createMode(ctx, d, mode, umask, false)
	ino, err := tc.CreateTmpfile(ctx, perm)
	if err != nil {
		return nil, err
	}
	v.inheritACL(ctx, ino, ac)
	st, err := ino.Stat(ctx)
	if err != nil {
		return nil, err
	}
	// Linux names it "#ino" in its directory, and it is unlinked.
	nd := &Dentry{fs: d.fs, inode: ino, typ: unix.S_IFREG, parent: d, name: "#" + strconv.FormatUint(st.Ino, 10)}
	nd.dead.Store(true)
	// Without O_EXCL linkat may give it a name.
	nd.linkable = flags&unix.O_EXCL == 0
	llDeny, err := v.landlockOpen(ctx, Path{Mount: dir.Mount, Dentry: nd}, flags&^unix.O_DIRECTORY)
	if err != nil {
		return nil, err
	}
	ops, err := ino.Open(ctx, flags)
	if err != nil {
		return nil, err
	}
	f := v.newFile(ctx, Path{Mount: dir.Mount, Dentry: nd}, ops, flags&^(unix.O_DIRECTORY|oTmpfileOnly|unix.O_EXCL))
	f.landlockDeny = llDeny
	if v.getWriteAccess(ino) == nil {
		f.writer = true
	}
	return f, nil
}

// accMode returns the permissions open flags need.
func accMode(flags int) int {
	var want int
	switch flags & unix.O_ACCMODE {
	case unix.O_RDONLY:
		want = auth.MayRead
	case unix.O_WRONLY:
		want = auth.MayWrite
	default:
		want = auth.MayRead | auth.MayWrite
	}
	if flags&unix.O_TRUNC != 0 {
		want |= auth.MayWrite
	}
	return want
}

// OpenPath opens the file at p (already resolved) with open(2) flags,
// checking permissions as open does. O_CREAT only matters for EISDIR.
func (v *VirtualFilesystem) OpenPath(ctx Context, p Path, flags int) (*File, error) {
	return v.openPath(ctx, p, flags)
}

func (v *VirtualFilesystem) openPath(ctx Context, p Path, flags int) (*File, error) {
	d := p.Dentry
	if flags&unix.O_PATH != 0 {
		if flags&unix.O_DIRECTORY != 0 && !d.IsDir() {
			return nil, unix.ENOTDIR
		}
		return v.newFile(ctx, p, nil, flags&(unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW)), nil
	}
	if flags&unix.O_CREAT != 0 && d.IsDir() {
		return nil, unix.EISDIR
	}
	if flags&unix.O_DIRECTORY != 0 && !d.IsDir() {
		return nil, unix.ENOTDIR
	}
	want := accMode(flags)
	switch d.typ {
	case unix.S_IFLNK:
		return nil, unix.ELOOP
	case unix.S_IFDIR:
		if want&auth.MayWrite != 0 {
			return nil, unix.EISDIR
		}
	case unix.S_IFCHR, unix.S_IFBLK:
		if p.Mount.Flags()&MountNoDev != 0 {
			return nil, unix.EACCES
		}
		flags &^= unix.O_TRUNC
	case unix.S_IFIFO, unix.S_IFSOCK:
		flags &^= unix.O_TRUNC
	}
	if err := v.CheckPermission(ctx, p, want); err != nil {
		return nil, err
	}
	if attrFlags(d.inode)&FlagAppend != 0 {
		// An append-only file is written only at its end.
		if (flags&unix.O_ACCMODE != unix.O_RDONLY && flags&unix.O_APPEND == 0) || flags&unix.O_TRUNC != 0 {
			return nil, unix.EPERM
		}
	}
	if flags&unix.O_NOATIME != 0 {
		st, err := d.inode.Stat(ctx)
		if err != nil {
			return nil, err
		}
		if !isOwner(ctx, &st) {
			return nil, unix.EPERM
		}
	}
	llDeny, err := v.landlockOpen(ctx, p, flags)
	if err != nil {
		return nil, err
	}
	var ops FileOperations
	writer := d.typ == unix.S_IFREG && want&auth.MayWrite != 0
	if writer {
		if err := v.getWriteAccess(d.inode); err != nil {
			return nil, err
		}
	}
	reader := d.typ == unix.S_IFREG && flags&unix.O_ACCMODE == unix.O_RDONLY
	if reader {
		v.getReadAccess(d.inode)
	}
	if d.typ == unix.S_IFREG {
		if err := v.breakLease(ctx, d.inode, flags); err != nil {
			if writer {
				v.putWriteAccess(d.inode)
			}
			if reader {
				v.putReadAccess(d.inode)
			}
			return nil, err
		}
	}
	ro, reopen := d.inode.(Reopener)
	switch {
	case reopen && d.anon:
		ops, err = ro.Reopen(ctx, flags)
	case d.typ == unix.S_IFREG || d.typ == unix.S_IFDIR:
		ops, err = d.inode.Open(ctx, flags)
	case d.typ == unix.S_IFCHR || d.typ == unix.S_IFBLK:
		if di, ok := d.inode.(DeviceInode); ok {
			ops, err = di.OpenDevice(ctx, flags)
			break
		}
		var st Stat
		st, err = d.inode.Stat(ctx)
		if err == nil {
			if o := v.deviceOpener(d.typ, st.Rdev); o != nil {
				ops, err = o(ctx, st.Rdev, flags)
			} else {
				err = unix.ENXIO
			}
		}
	case d.typ == unix.S_IFIFO:
		v.regMu.RLock()
		o := v.fifoOpener
		v.regMu.RUnlock()
		if o == nil {
			err = unix.ENXIO
		} else {
			ops, err = o(ctx, d.inode, flags)
		}
	default:
		err = unix.ENXIO
	}
	if err != nil {
		if writer {
			v.putWriteAccess(d.inode)
		}
		if reader {
			v.putReadAccess(d.inode)
		}
		return nil, err
	}
	f := v.newFile(ctx, p, ops, flags)
	f.writer = writer
	f.reader = reader
	f.landlockDeny = llDeny
	v.notifyDentry(d, InOpen)
	if flags&unix.O_TRUNC != 0 && d.typ == unix.S_IFREG {
		now := v.NowTimespec()
		req := &SetStat{Mask: unix.STATX_SIZE | unix.STATX_MTIME, Size: 0, Mtime: now, Ctime: now}
		if err := d.inode.SetStat(ctx, req); err != nil {
			f.DecRef(ctx)
			return nil, err
		}
		v.truncated(d.inode, 0)
		v.notifyAttrChange(d, req)
	}
	return f, nil
}

// isOwner reports whether ctx owns the file st describes or has
// CAP_FOWNER over it.
func isOwner(ctx Context, st *Stat) bool {
	return ctx.Credentials().IsOwnerOrCapable(st.UID)
}

// statDentry returns d's attributes with the file system's device number.
func (v *VirtualFilesystem) statDentry(ctx Context, d *Dentry) (Stat, error) {
	st, err := d.inode.Stat(ctx)
	if err != nil {
		return Stat{}, err
	}
	st.Dev = d.fs.dev
	return st, nil
}

// StatPath returns the attributes of the file at p.
func (v *VirtualFilesystem) StatPath(ctx Context, p Path) (Stat, error) {
	return v.statDentry(ctx, p.Dentry)
}

// StatAt returns the attributes of the file at path (stat, lstat,
// newfstatat, statx); follow says whether a final symlink is followed.
func (v *VirtualFilesystem) StatAt(ctx Context, fsc *FSContext, start Path, path string, follow bool) (Stat, error) {
	p, err := v.GetPath(ctx, fsc, start, path, follow)
	if err != nil {
		return Stat{}, err
	}
	return v.statDentry(ctx, p.Dentry)
}

// ReadlinkAt returns the target of the symbolic link at path; EINVAL if
// it is not one.
func (v *VirtualFilesystem) ReadlinkAt(ctx Context, fsc *FSContext, start Path, path string) (string, error) {
	p, err := v.GetPath(ctx, fsc, start, path, false)
	if err != nil {
		return "", err
	}
	return v.Readlink(ctx, p)
}

// Readlink returns the target of the symbolic link at p.
func (v *VirtualFilesystem) Readlink(ctx Context, p Path) (string, error) {
	if !p.Dentry.IsSymlink() {
		return "", unix.EINVAL
	}
	return p.Dentry.inode.Readlink(ctx)
}

// Chdir checks that p may be a working directory and makes it fsc's.
func (v *VirtualFilesystem) Chdir(ctx Context, fsc *FSContext, p Path) error {
	if !p.Dentry.IsDir() {
		return unix.ENOTDIR
	}
	if err := v.permission(ctx, p.Dentry, auth.MayExec); err != nil {
		return err
	}
	fsc.SetCwd(p)
	return nil
}

// credsContext is a Context with other credentials (access(2) checks with
// the real uid and gid).
type credsContext struct {
	Context
	creds *auth.Credentials
}

func (c credsContext) Credentials() *auth.Credentials { return c.creds }

// AccessAt checks access to path as access(2)/faccessat2(2): mode is
// F_OK or R_OK|W_OK|X_OK; flags may hold AT_EACCESS (use the effective
// ids instead of the real ones) and AT_SYMLINK_NOFOLLOW.
func (v *VirtualFilesystem) AccessAt(ctx Context, fsc *FSContext, start Path, path string, mode uint32, flags int) error {
	if mode&^7 != 0 {
		return unix.EINVAL
	}
	if flags&unix.AT_EACCESS == 0 {
		if n := ctx.Credentials().AccessCredentials(); n != nil {
			ctx = credsContext{Context: ctx, creds: n}
		}
	}
	p, err := v.GetPath(ctx, fsc, start, path, flags&unix.AT_SYMLINK_NOFOLLOW == 0)
	if err != nil {
		return err
	}
	if mode == 0 {
		return nil
	}
	var want int
	if mode&unix.R_OK != 0 {
		want |= auth.MayRead
	}
	if mode&unix.W_OK != 0 {
		want |= auth.MayWrite
	}
	if mode&unix.X_OK != 0 {
		want |= auth.MayExec
	}
	if want&auth.MayWrite != 0 && p.Mount.ReadOnly() {
		switch p.Dentry.typ {
		case unix.S_IFREG, unix.S_IFDIR, unix.S_IFLNK:
			return unix.EROFS
		}
	}
	return v.permission(ctx, p.Dentry, want)
}

// Statfs answers statfs(2) for the file system at p.
func (v *VirtualFilesystem) Statfs(ctx Context, p Path) (Statfs, error) {
	s, err := p.Dentry.fs.fs.Statfs(ctx)
	if err != nil {
		return Statfs{}, err
	}
	fl := p.Mount.Flags()
	if fl&MountReadOnly != 0 {
		s.Flags |= unix.ST_RDONLY
	}
	if fl&MountNoSUID != 0 {
		s.Flags |= unix.ST_NOSUID
	}
	if fl&MountNoDev != 0 {
		s.Flags |= unix.ST_NODEV
	}
	if fl&MountNoExec != 0 {
		s.Flags |= unix.ST_NOEXEC
	}
	if fl&unix.MS_NOATIME != 0 {
		s.Flags |= unix.ST_NOATIME
	}
	if fl&unix.MS_NODIRATIME != 0 {
		s.Flags |= unix.ST_NODIRATIME
	}
	if fl&unix.MS_RELATIME != 0 {
		s.Flags |= unix.ST_RELATIME
	}
	return s, nil
}
