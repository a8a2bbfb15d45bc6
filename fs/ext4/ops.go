package ext4

import (
	"strings"

	"golang.org/x/sys/unix"
)

// linkMax is EXT4_LINK_MAX: beyond it a directory's link count reads 1
// (dir_nlink) and a file cannot get more links.
const linkMax = 65000

func checkName(name string) error {
	switch {
	case name == "" || name == "." || name == "..":
		return unix.EINVAL
	case len(name) > maxNameLen:
		return unix.ENAMETOOLONG
	case strings.ContainsAny(name, "/\x00"):
		return unix.EINVAL
	}
	return nil
}

func modeFT(mode uint32) uint8 {
	switch mode & ModeFmt {
	case ModeReg:
		return FTRegFile
	case ModeDir:
		return FTDir
	case ModeChr:
		return FTChrdev
	case ModeBlk:
		return FTBlkdev
	case ModeFifo:
		return FTFifo
	case ModeSock:
		return FTSock
	case ModeLnk:
		return FTSymlink
	}
	return FTUnknown
}

// prepareCreate checks that name can be created in dir and returns dir's
// inode, taken for changing (its callers write it back with linkInto's
// writeInodeLast).
func (fs *FS) prepareCreate(dir uint32, name string) (*Inode, error) {
	if err := fs.writable(); err != nil {
		return nil, err
	}
	if err := checkName(name); err != nil {
		return nil, err
	}
	d, err := fs.takeInode(dir)
	if err != nil {
		return nil, err
	}
	switch {
	case !d.IsDir():
		err = unix.ENOTDIR
	case d.Nlink == 0:
		err = unix.ENOENT
	default:
		if ok, gap := fs.knownAbsent(dir, name); ok {
			// (For dxAdd, in this operation.)
			fs.createGap = createGap{gap: gap, dir: dir, name: name, seq: fs.opSeq}
			return d, nil
		}
		if _, err = fs.lookupIn(d, name, nil); err == nil {
			err = unix.EEXIST
		} else if err == unix.ENOENT {
			return d, nil
		}
	}
	fs.icache.put(d) // (unchanged)
	return nil, err
}

// newInode allocates and initializes an inode (links 0; the caller sets
// them and writes it).
func (fs *FS) newInode(din *Inode, mode, uid, gid uint32) (*Inode, error) {
	if !fs.sb.HasIncompat(IncompatExtents) {
		return nil, unsupported("creating files without the extent feature")
	}
	dirGroup := (din.Ino - 1) / fs.sb.InodesPerGroup
	ino, err := fs.allocInode(dirGroup, mode&ModeFmt == ModeDir)
	if err != nil {
		return nil, err
	}
	now := fs.now()
	in := newInodeDisk(fs.inodeSize)
	in.Ino, in.Mode, in.UID, in.GID = ino, mode, uid, gid
	in.Atime, in.Mtime, in.Ctime = now, now, now
	r := &in.raw
	r.Mode = uint16(mode)
	r.UIDLo, r.UIDHigh = uint16(uid), uint16(uid>>16)
	r.GIDLo, r.GIDHigh = uint16(gid), uint16(gid>>16)
	if fs.inodeSize > GoodOldInodeSize {
		r.ExtraIsize = uint16(min(ExtraIsize, fs.inodeSize-GoodOldInodeSize))
	}
	r.Atime, r.AtimeExtra = EncodeTime(now)
	r.Mtime, r.MtimeExtra = EncodeTime(now)
	r.Ctime, r.CtimeExtra = EncodeTime(now)
	r.Crtime, r.CrtimeExtra = EncodeTime(now)
	in.Crtime = now
	switch mode & ModeFmt {
	case ModeReg, ModeDir:
		in.Flags = FlagExtents
		r.Flags = FlagExtents
		ExtentHeader{Magic: ExtentMagic, Max: 4}.Encode(r.Block[:])
	}
	in.Flags |= inheritedFlags(din, mode)
	r.Flags = in.Flags
	return in, nil
}

// abandon gives back an inode (and its blocks) whose creation failed
// before it was linked.
func (fs *FS) abandon(in *Inode) {
	fs.freeInodeBlocks(in)
	fs.freeInode(in.Ino, in.IsDir())
}

// linkInto adds the entry for in to din; din and in are written.
func (fs *FS) linkInto(din *Inode, name string, in *Inode) error {
	if err := fs.addEntry(din, name, in.Ino, modeFT(in.Mode)); err != nil {
		return err
	}
	fs.touch(din, true, true)
	// (The callers are done with din and in once the name is added.)
	if err := fs.writeInodeLast(din); err != nil {
		return err
	}
	return fs.writeInodeLast(in)
}

func (in *Inode) setNlink(n uint32) {
	in.Nlink = n
	in.raw.LinksCount = uint16(n)
}

// Create makes a regular file and returns its inode number.
func (fs *FS) Create(dir uint32, name string, mode, uid, gid uint32) (uint32, error) {
	return fs.mknod(dir, name, ModeReg|mode&07777, uid, gid, 0, 0)
}

// Mknod makes a device node, FIFO or socket (mode holds the type bits)
// or a regular file.
func (fs *FS) Mknod(dir uint32, name string, mode, uid, gid, major, minor uint32) (uint32, error) {
	switch mode & ModeFmt {
	case ModeReg, ModeChr, ModeBlk, ModeFifo, ModeSock:
	default:
		return 0, unix.EINVAL
	}
	return fs.mknod(dir, name, mode, uid, gid, major, minor)
}

func (fs *FS) mknod(dir uint32, name string, mode, uid, gid, major, minor uint32) (_ uint32, err error) {
	fs.beginOp()
	defer fs.endOp(&err)
	din, err := fs.prepareCreate(dir, name)
	if err != nil {
		return 0, err
	}
	in, err := fs.newInode(din, mode, uid, gid)
	if err != nil {
		return 0, err
	}
	if t := mode & ModeFmt; t == ModeChr || t == ModeBlk {
		old, nw := EncodeDevice(major, minor)
		putLE32(in.raw.Block[0:], old)
		putLE32(in.raw.Block[4:], nw)
		in.RdevMajor, in.RdevMinor = major, minor
	}
	in.setNlink(1)
	if err := fs.linkInto(din, name, in); err != nil {
		fs.abandon(in)
		return 0, err
	}
	return in.Ino, nil
}

// CreateTmpfile makes a regular file without a name in directory dir
// (open(2)'s O_TMPFILE): it waits on the orphan list, as an unlinked open
// file does, until Link gives it a name or the Release of its last Hold
// deletes it (a crash leaves it to the next OpenRW or e2fsck).
func (fs *FS) CreateTmpfile(dir uint32, mode, uid, gid uint32) (_ uint32, err error) {
	fs.beginOp()
	defer fs.endOp(&err)
	din, err := fs.writableInode(dir)
	if err != nil {
		return 0, err
	}
	if !din.IsDir() {
		return 0, unix.ENOTDIR
	}
	if din.Nlink == 0 {
		return 0, unix.ENOENT
	}
	in, err := fs.newInode(din, ModeReg|mode&07777, uid, gid)
	if err != nil {
		return 0, err
	}
	in.setNlink(0)
	if err := fs.addOrphan(in); err != nil {
		fs.abandon(in)
		return 0, err
	}
	return in.Ino, nil
}

// Symlink makes a symbolic link to target.
func (fs *FS) Symlink(dir uint32, name, target string, uid, gid uint32) (_ uint32, err error) {
	fs.beginOp()
	defer fs.endOp(&err)
	if len(target) == 0 {
		return 0, unix.ENOENT
	}
	if len(target) >= fs.blockSize {
		return 0, unix.ENAMETOOLONG
	}
	din, err := fs.prepareCreate(dir, name)
	if err != nil {
		return 0, err
	}
	in, err := fs.newInode(din, ModeLnk|0o777, uid, gid)
	if err != nil {
		return 0, err
	}
	if len(target) < IBlockSize {
		copy(in.raw.Block[:], target)
	} else {
		in.Flags, in.raw.Flags = FlagExtents, FlagExtents
		ExtentHeader{Magic: ExtentMagic, Max: 4}.Encode(in.raw.Block[:])
		if _, err := fs.writeData(in, []byte(target), 0); err != nil {
			fs.abandon(in)
			return 0, err
		}
	}
	in.setSize(uint64(len(target)))
	in.setNlink(1)
	if err := fs.linkInto(din, name, in); err != nil {
		fs.abandon(in)
		return 0, err
	}
	return in.Ino, nil
}

// Mkdir makes a directory.
func (fs *FS) Mkdir(dir uint32, name string, mode, uid, gid uint32) (_ uint32, err error) {
	fs.beginOp()
	defer fs.endOp(&err)
	din, err := fs.prepareCreate(dir, name)
	if err != nil {
		return 0, err
	}
	in, err := fs.newInode(din, ModeDir|mode&07777, uid, gid)
	if err != nil {
		return 0, err
	}
	db, _, err := fs.appendDirBlock(in, nil)
	if err != nil {
		fs.abandon(in)
		return 0, err
	}
	clear(db.buf)
	PutDirent(db.buf, in.Ino, 12, fs.blockSize, ".", fs.direntFT(FTDir))
	PutDirent(db.buf[12:], din.Ino, fs.leafSpace()-12, fs.blockSize, "..", fs.direntFT(FTDir))
	if err := fs.putLeaf(in, db); err != nil {
		return 0, err
	}
	in.setNlink(2)
	if din.Nlink >= linkMax || din.Nlink == 1 {
		din.setNlink(1)
	} else {
		din.setNlink(din.Nlink + 1)
	}
	if err := fs.linkInto(din, name, in); err != nil {
		fs.abandon(in)
		return 0, err
	}
	return in.Ino, nil
}

// Link adds a hard link dir/name to inode ino.
func (fs *FS) Link(ino, dir uint32, name string) (err error) {
	fs.beginOp()
	defer fs.endOp(&err)
	din, err := fs.prepareCreate(dir, name)
	if err != nil {
		return err
	}
	in, err := fs.readInode(ino)
	if err != nil {
		return err
	}
	if in.IsDir() {
		return unix.EPERM
	}
	if in.Nlink == 0 {
		// An open file without links (O_TMPFILE; the VFS decides
		// which may be linked) leaves the orphan list.
		if fs.holds[ino] == 0 {
			return unix.ENOENT
		}
		if err := fs.removeOrphan(in); err != nil {
			return err
		}
		in.raw.Dtime = 0
	}
	if in.Nlink >= linkMax {
		return unix.EMLINK
	}
	in.setNlink(in.Nlink + 1)
	fs.touch(in, false, true)
	return fs.linkInto(din, name, in)
}

// dropLink decrements in's link count, deleting it at zero; in is
// written.
func (fs *FS) dropLink(in *Inode) error {
	if in.IsDir() {
		in.setNlink(0)
	} else if in.Nlink > 0 {
		in.setNlink(in.Nlink - 1)
	}
	fs.touch(in, false, true)
	if in.Nlink > 0 {
		return fs.writeInode(in)
	}
	if fs.holds[in.Ino] > 0 {
		// Still open: keep it on the orphan list until Release.
		return fs.addOrphan(in)
	}
	return fs.deleteInode(in)
}

// deleteInode frees an unlinked inode and its blocks; in is written.
func (fs *FS) deleteInode(in *Inode) error {
	if err := fs.freeInodeBlocks(in); err != nil {
		return err
	}
	in.raw.Dtime = uint32(fs.now().Sec)
	if err := fs.writeInode(in); err != nil {
		return err
	}
	return fs.freeInode(in.Ino, in.IsDir())
}

// Unlink removes the non-directory entry dir/name. An inode whose last
// link goes is freed at once, unless it is held (Hold), in which case it
// waits on the orphan list for its Release.
func (fs *FS) Unlink(dir uint32, name string) (err error) {
	fs.beginOp()
	defer fs.endOp(&err)
	din, in, err := fs.prepareRemove(dir, name)
	if err != nil {
		return err
	}
	if in.IsDir() {
		return unix.EISDIR
	}
	if _, err := fs.removeEntry(din, name); err != nil {
		return err
	}
	fs.touch(din, true, true)
	if err := fs.writeInode(din); err != nil {
		return err
	}
	return fs.dropLink(in)
}

func (fs *FS) prepareRemove(dir uint32, name string) (*Inode, *Inode, error) {
	if err := fs.writable(); err != nil {
		return nil, nil, err
	}
	if name == "." || name == ".." {
		return nil, nil, unix.EINVAL
	}
	din, err := fs.readInode(dir)
	if err != nil {
		return nil, nil, err
	}
	if !din.IsDir() {
		return nil, nil, unix.ENOTDIR
	}
	ino, err := fs.lookup(dir, name)
	if err != nil {
		return nil, nil, err
	}
	in, err := fs.readInode(ino)
	if err != nil {
		return nil, nil, err
	}
	return din, in, nil
}

func (fs *FS) dirEmpty(in *Inode) (bool, error) {
	ents, err := fs.readDir(in)
	if err != nil {
		return false, err
	}
	for _, e := range ents {
		if e.Name != "." && e.Name != ".." {
			return false, nil
		}
	}
	return true, nil
}

// Rmdir removes the empty directory dir/name.
func (fs *FS) Rmdir(dir uint32, name string) (err error) {
	fs.beginOp()
	defer fs.endOp(&err)
	din, in, err := fs.prepareRemove(dir, name)
	if err != nil {
		return err
	}
	if !in.IsDir() {
		return unix.ENOTDIR
	}
	if empty, err := fs.dirEmpty(in); err != nil {
		return err
	} else if !empty {
		return unix.ENOTEMPTY
	}
	if _, err := fs.removeEntry(din, name); err != nil {
		return err
	}
	if din.Nlink > 2 && din.Nlink < linkMax {
		din.setNlink(din.Nlink - 1)
	}
	fs.touch(din, true, true)
	if err := fs.writeInode(din); err != nil {
		return err
	}
	return fs.dropLink(in)
}

// Rename moves odir/oname to ndir/nname, replacing a compatible target.
func (fs *FS) Rename(odir uint32, oname string, ndir uint32, nname string) (err error) {
	fs.beginOp()
	defer fs.endOp(&err)
	if err := checkName(nname); err != nil {
		return err
	}
	odin, src, err := fs.prepareRemove(odir, oname)
	if err != nil {
		return err
	}
	ndin := odin
	if ndir != odir {
		if ndin, err = fs.readInode(ndir); err != nil {
			return err
		}
		if !ndin.IsDir() {
			return unix.ENOTDIR
		}
	}
	if src.IsDir() && odir != ndir {
		// A directory cannot move below itself.
		for cur := ndir; cur != RootIno; {
			if cur == src.Ino {
				return unix.EINVAL
			}
			parent, err := fs.lookup(cur, "..")
			if err != nil {
				return err
			}
			if parent == cur {
				break
			}
			cur = parent
		}
	}
	if tino, err := fs.lookup(ndir, nname); err == nil {
		if tino == src.Ino {
			return nil // both names are links to the same inode
		}
		tin, err := fs.readInode(tino)
		if err != nil {
			return err
		}
		switch {
		case src.IsDir() && !tin.IsDir():
			return unix.ENOTDIR
		case !src.IsDir() && tin.IsDir():
			return unix.EISDIR
		case tin.IsDir():
			if empty, err := fs.dirEmpty(tin); err != nil {
				return err
			} else if !empty {
				return unix.ENOTEMPTY
			}
		}
		// Repoint the target's entry: this needs no space, so the
		// rename cannot fail half-way for lack of it.
		if err := fs.setEntry(ndin, nname, src.Ino, modeFT(src.Mode)); err != nil {
			return err
		}
		if tin.IsDir() && ndin.Nlink > 2 && ndin.Nlink < linkMax {
			ndin.setNlink(ndin.Nlink - 1)
		}
		if err := fs.dropLink(tin); err != nil {
			return err
		}
	} else if err != unix.ENOENT {
		return err
	} else if err := fs.addEntry(ndin, nname, src.Ino, modeFT(src.Mode)); err != nil {
		return err
	}
	if odir == ndir {
		odin = ndin // one inode, one in-memory copy
	}
	if _, err := fs.removeEntry(odin, oname); err != nil {
		return err
	}
	if src.IsDir() && odir != ndir {
		if err := fs.setDotDot(src, ndir); err != nil {
			return err
		}
		if odin.Nlink > 2 && odin.Nlink < linkMax {
			odin.setNlink(odin.Nlink - 1)
		}
		if ndin.Nlink >= linkMax || ndin.Nlink == 1 {
			ndin.setNlink(1)
		} else {
			ndin.setNlink(ndin.Nlink + 1)
		}
	}
	fs.touch(src, false, true)
	fs.touch(odin, true, true)
	fs.touch(ndin, true, true)
	if err := fs.writeInode(src); err != nil {
		return err
	}
	if odir != ndir {
		if err := fs.writeInode(odin); err != nil {
			return err
		}
	}
	return fs.writeInode(ndin)
}

// Attr holds the attributes SetAttr changes; nil fields stay as they are.
type Attr struct {
	Mode         *uint32 // permission bits only
	UID, GID     *uint32
	Atime, Mtime *unix.Timespec
}

// SetAttr changes an inode's permissions, owner or times (ctime is set to
// now).
func (fs *FS) SetAttr(ino uint32, a Attr) (err error) {
	fs.beginOp()
	defer fs.endOp(&err)
	in, err := fs.writableInode(ino)
	if err != nil {
		return err
	}
	r := &in.raw
	if a.Mode != nil {
		in.Mode = in.Mode&ModeFmt | *a.Mode&07777
		r.Mode = uint16(in.Mode)
	}
	if a.UID != nil {
		in.UID = *a.UID
		r.UIDLo, r.UIDHigh = uint16(in.UID), uint16(in.UID>>16)
	}
	if a.GID != nil {
		in.GID = *a.GID
		r.GIDLo, r.GIDHigh = uint16(in.GID), uint16(in.GID>>16)
	}
	if a.Atime != nil {
		in.Atime = *a.Atime
		r.Atime, r.AtimeExtra = EncodeTime(in.Atime)
	}
	if a.Mtime != nil {
		in.Mtime = *a.Mtime
		r.Mtime, r.MtimeExtra = EncodeTime(in.Mtime)
	}
	fs.touch(in, false, true)
	return fs.writeInode(in)
}

// SetAtime sets an inode's access time alone (a read's: the change time
// stays), in a transaction of its own as Linux dirties the inode.
func (fs *FS) SetAtime(ino uint32, t unix.Timespec) (err error) {
	fs.beginOp()
	defer fs.endOp(&err)
	in, err := fs.writableInode(ino)
	if err != nil {
		return err
	}
	in.Atime = t
	in.raw.Atime, in.raw.AtimeExtra = EncodeTime(t)
	return fs.writeInode(in)
}

func putLE32(b []byte, v uint32) {
	b[0], b[1], b[2], b[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
}

// isAncestor reports whether directory anc is dir or one of its
// ancestors.
func (fs *FS) isAncestor(anc, dir uint32) (bool, error) {
	for cur, steps := dir, 0; ; steps++ {
		if cur == anc {
			return true, nil
		}
		if cur == RootIno || steps > 4096 {
			return false, nil
		}
		parent, err := fs.lookup(cur, "..")
		if err != nil {
			return false, err
		}
		cur = parent
	}
}

// Exchange swaps the entries dir1/name1 and dir2/name2 atomically
// (renameat2's RENAME_EXCHANGE).
func (fs *FS) Exchange(dir1 uint32, name1 string, dir2 uint32, name2 string) (err error) {
	fs.beginOp()
	defer fs.endOp(&err)
	d1, a, err := fs.prepareRemove(dir1, name1)
	if err != nil {
		return err
	}
	d2, b, err := fs.prepareRemove(dir2, name2)
	if err != nil {
		return err
	}
	if a.Ino == b.Ino {
		return nil
	}
	if dir1 == dir2 {
		d2 = d1
	} else {
		for _, c := range []struct {
			moved *Inode
			to    uint32
		}{{a, dir2}, {b, dir1}} {
			if c.moved.IsDir() {
				if under, err := fs.isAncestor(c.moved.Ino, c.to); err != nil {
					return err
				} else if under {
					return unix.EINVAL
				}
			}
		}
	}
	if err := fs.setEntry(d1, name1, b.Ino, modeFT(b.Mode)); err != nil {
		return err
	}
	if err := fs.setEntry(d2, name2, a.Ino, modeFT(a.Mode)); err != nil {
		return err
	}
	if dir1 != dir2 {
		if a.IsDir() {
			if err := fs.setDotDot(a, dir2); err != nil {
				return err
			}
		}
		if b.IsDir() {
			if err := fs.setDotDot(b, dir1); err != nil {
				return err
			}
		}
		adjust := func(d *Inode, delta int) {
			if d.Nlink == 1 || d.Nlink >= linkMax {
				return
			}
			d.setNlink(uint32(int(d.Nlink) + delta))
		}
		if a.IsDir() && !b.IsDir() {
			adjust(d1, -1)
			adjust(d2, +1)
		} else if b.IsDir() && !a.IsDir() {
			adjust(d2, -1)
			adjust(d1, +1)
		}
	}
	for _, in := range []*Inode{a, b} {
		fs.touch(in, false, true)
		if err := fs.writeInode(in); err != nil {
			return err
		}
	}
	fs.touch(d1, true, true)
	if err := fs.writeInode(d1); err != nil {
		return err
	}
	if dir1 != dir2 {
		fs.touch(d2, true, true)
		return fs.writeInode(d2)
	}
	return nil
}
