package proc

import (
	"sort"
	"strconv"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/vfs"
)

// Lock order: rootInode.mu, then fdDir.mu.

// Filesystem is one procfs instance. Make it with New.
type Filesystem struct {
	v       *vfs.VirtualFilesystem
	src     Source
	nextIno atomic.Uint64
	root    *rootInode
}

// New returns a procfs showing the processes of src, naming files through
// v (the VFS the kernel's files belong to).
func New(v *vfs.VirtualFilesystem, src Source) *Filesystem {
	fs := &Filesystem{v: v, src: src}
	fs.root = &rootInode{base: fs.newBase(), fsys: fs, pids: make(map[int32]*pidDir)}
	fs.root.self = &selfLink{base: fs.newBase(), fsys: fs}
	fs.root.files = fs.systemFiles()
	for n := range fs.root.files {
		fs.root.names = append(fs.root.names, n)
	}
	sort.Strings(fs.root.names)
	return fs
}

// Name implements vfs.Filesystem.
func (fs *Filesystem) Name() string { return "proc" }

// Root implements vfs.Filesystem.
func (fs *Filesystem) Root(vfs.Context) (vfs.Inode, error) { return fs.root, nil }

// Statfs implements vfs.Filesystem.
func (fs *Filesystem) Statfs(vfs.Context) (vfs.Statfs, error) {
	return vfs.Statfs{Type: unix.PROC_SUPER_MAGIC, Bsize: 4096, Frsize: 4096, NameLen: vfs.NameMax}, nil
}

// base is what every procfs inode has: a number and a creation time.
type base struct {
	vfs.InodeDefaults
	ino  uint64
	time unix.Timespec
}

func (fs *Filesystem) newBase() base {
	return base{ino: fs.nextIno.Add(1), time: fs.v.NowTimespec()}
}

func (b *base) stat(mode, uid, gid uint32, nlink uint64) vfs.Stat {
	return vfs.Stat{
		Ino: b.ino, Mode: mode, UID: uid, GID: gid, Nlink: nlink,
		Blksize: 4096, Atime: b.time, Mtime: b.time, Ctime: b.time,
	}
}

// owner returns the uid and gid that own a process's entries.
func owner(p Process) (uint32, uint32) {
	c := p.Credentials()
	if c == nil {
		return 0, 0
	}
	if d, ok := p.(interface{ IsDumpable() bool }); ok && !d.IsDumpable() {
		return 0, 0
	}
	return c.EffectiveUID, c.EffectiveGID
}

// mayInspect reports whether ctx may read p's links (Linux's
// ptrace_may_access with PTRACE_MODE_READ_FSCREDS, without the dumpable
// rule): the caller's filesystem ids are all of p's ids, or it has
// CAP_SYS_PTRACE over p's user namespace.
func mayInspect(ctx vfs.Context, p Process) bool {
	c := p.Credentials()
	return c != nil && ctx.Credentials().MayAccess(c, false)
}

// readerRoot returns the root directory of the calling process, from
// which link paths are named (zero Path if the caller is not a process).
func (fs *Filesystem) readerRoot(ctx vfs.Context) vfs.Path {
	fsc := ctx.FSContext()
	if fsc == nil {
		return vfs.Path{}
	}
	return fsc.Root()
}

// parsePID parses a decimal process or fd number as Linux's name_to_int:
// digits only, no sign, no leading zero.
func parsePID(name string) (int32, bool) {
	if name == "" || len(name) > 10 || (len(name) > 1 && name[0] == '0') {
		return 0, false
	}
	for _, c := range name {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(name, 10, 32)
	if err != nil {
		return 0, false
	}
	return int32(n), true
}

// dirFileBase is the file of a procfs directory; the embedding type
// lists it.
type dirFileBase struct{ vfs.FileDefaults }

// Read implements vfs.FileOperations.
func (dirFileBase) Read(vfs.Context, *vfs.File, []byte, int64) (int, error) {
	return 0, unix.EISDIR
}

// Seek implements vfs.FileOperations: Linux's generic_file_llseek on a
// directory of size 0 (SEEK_END is relative to 0).
func (dirFileBase) Seek(_ vfs.Context, _ *vfs.File, cur, off int64, whence int) (int64, error) {
	return vfs.GenericSeek(cur, 0, off, whence)
}

// rootInode is /proc.
type rootInode struct {
	base
	fsys *Filesystem
	self *selfLink
	// files are the entries other than self and the pids (meminfo,
	// mounts, sys, ...), listed in the order of names; fixed.
	files map[string]vfs.Inode
	names []string

	// mu guards pids.
	mu sync.Mutex
	// pids caches the directory of each process looked up.
	pids map[int32]*pidDir
}

// Stat implements vfs.Inode.
func (r *rootInode) Stat(vfs.Context) (vfs.Stat, error) {
	return r.stat(unix.S_IFDIR|0o555, 0, 0, 2), nil
}

// pidDir returns the directory of process p with pid pid, reusing the
// cached one if it is p's.
func (r *rootInode) pidDir(fs *Filesystem, pid int32, p Process) *pidDir {
	r.mu.Lock()
	defer r.mu.Unlock()
	if d := r.pids[pid]; d != nil && d.proc == p {
		return d
	}
	d := newPIDDir(fs, pid, p)
	r.pids[pid] = d
	return d
}

// Lookup implements vfs.Inode.
func (r *rootInode) Lookup(ctx vfs.Context, name string) (vfs.Inode, error) {
	if name == "self" {
		return r.self, nil
	}
	if f, ok := r.files[name]; ok {
		return f, nil
	}
	pid, ok := parsePID(name)
	if !ok {
		return nil, unix.ENOENT
	}
	fs := r.fsys
	p := fs.src.Process(ctx, pid)
	if p == nil {
		return nil, unix.ENOENT
	}
	return r.pidDir(fs, pid, p), nil
}

// Revalidate implements vfs.Revalidator: a process directory stays only
// while its process lives.
func (r *rootInode) Revalidate(ctx vfs.Context, name string, child vfs.Inode) bool {
	d, ok := child.(*pidDir)
	if !ok {
		return true
	}
	if r.fsys.src.Process(ctx, d.pid) == d.proc {
		return true
	}
	// Forget the dead process's directory so the cache does not grow.
	r.mu.Lock()
	if r.pids[d.pid] == d {
		delete(r.pids, d.pid)
	}
	r.mu.Unlock()
	return false
}

// Open implements vfs.Inode.
func (r *rootInode) Open(vfs.Context, int) (vfs.FileOperations, error) {
	return &rootFile{r: r}, nil
}

// rootFile lists /proc: "self" at offset 2, the other files from offset
// 3, then process p at offset p+3+len(files).
type rootFile struct {
	dirFileBase
	r *rootInode
}

// IterDirents implements vfs.FileOperations.
func (f *rootFile) IterDirents(ctx vfs.Context, _ *vfs.File, off int64, emit func(vfs.Dirent) bool) error {
	fs := f.r.fsys
	if off <= 2 {
		if !emit(vfs.Dirent{Name: "self", Ino: f.r.self.ino, Type: unix.DT_LNK, NextOff: 3}) {
			return nil
		}
	}
	for k := max(off-3, 0); k < int64(len(f.r.names)); k++ {
		name := f.r.names[k]
		st, err := f.r.files[name].Stat(ctx)
		if err != nil {
			return err
		}
		if !emit(vfs.Dirent{Name: name, Ino: st.Ino, Type: vfs.DirentType(st.Mode), NextOff: k + 4}) {
			return nil
		}
	}
	pidBase := 3 + int64(len(f.r.names))
	for _, pid := range fs.src.Processes(ctx) {
		if int64(pid)+pidBase < off {
			continue
		}
		p := fs.src.Process(ctx, pid)
		if p == nil {
			continue
		}
		d := f.r.pidDir(fs, pid, p)
		if !emit(vfs.Dirent{Name: strconv.Itoa(int(pid)), Ino: d.ino, Type: unix.DT_DIR, NextOff: int64(pid) + pidBase + 1}) {
			return nil
		}
	}
	return nil
}

// selfLink is /proc/self: a symlink to the caller's pid.
type selfLink struct {
	base
	fsys *Filesystem
}

// Stat implements vfs.Inode.
func (l *selfLink) Stat(vfs.Context) (vfs.Stat, error) {
	return l.stat(unix.S_IFLNK|0o777, 0, 0, 1), nil
}

// Readlink implements vfs.Inode.
func (l *selfLink) Readlink(ctx vfs.Context) (string, error) {
	tgid, _ := l.fsys.src.Self(ctx)
	if tgid == 0 {
		return "", unix.ENOENT
	}
	return strconv.Itoa(int(tgid)), nil
}

// pidDir is /proc/PID.
type pidDir struct {
	base
	fsys  *Filesystem
	pid   int32
	proc  Process
	names []string // sorted; fixed
	kids  map[string]vfs.Inode
}

func newPIDDir(fs *Filesystem, pid int32, p Process) *pidDir {
	d := &pidDir{base: fs.newBase(), fsys: fs, pid: pid, proc: p}
	d.kids = map[string]vfs.Inode{
		"exe":  &procLink{base: fs.newBase(), fsys: fs, proc: p, which: linkExe},
		"cwd":  &procLink{base: fs.newBase(), fsys: fs, proc: p, which: linkCwd},
		"root": &procLink{base: fs.newBase(), fsys: fs, proc: p, which: linkRoot},
		"fd":   &fdDir{base: fs.newBase(), fsys: fs, proc: p, links: make(map[int32]*fdLink)},
	}
	fs.processFiles(p, d.kids)
	for n := range d.kids {
		d.names = append(d.names, n)
	}
	sort.Strings(d.names)
	return d
}

// Stat implements vfs.Inode.
func (d *pidDir) Stat(vfs.Context) (vfs.Stat, error) {
	uid, gid := owner(d.proc)
	return d.stat(unix.S_IFDIR|0o555, uid, gid, 3), nil
}

// Lookup implements vfs.Inode.
func (d *pidDir) Lookup(_ vfs.Context, name string) (vfs.Inode, error) {
	if k, ok := d.kids[name]; ok {
		return k, nil
	}
	return nil, unix.ENOENT
}

// Open implements vfs.Inode.
func (d *pidDir) Open(vfs.Context, int) (vfs.FileOperations, error) {
	return &pidDirFile{d: d}, nil
}

// DirProcess returns the process whose /proc/PID directory f is open
// on, or nil if f is not one (pidfd_send_signal takes such a directory
// as a pidfd).
func DirProcess(f *vfs.File) Process {
	if d, ok := f.Ops().(*pidDirFile); ok {
		return d.d.proc
	}
	return nil
}

// pidDirFile lists /proc/PID: entry k of the sorted names at offset 2+k.
type pidDirFile struct {
	dirFileBase
	d *pidDir
}

// IterDirents implements vfs.FileOperations.
func (f *pidDirFile) IterDirents(ctx vfs.Context, _ *vfs.File, off int64, emit func(vfs.Dirent) bool) error {
	for k := off - 2; k >= 0 && k < int64(len(f.d.names)); k++ {
		name := f.d.names[k]
		st, err := f.d.kids[name].Stat(ctx)
		if err != nil {
			return err
		}
		if !emit(vfs.Dirent{Name: name, Ino: st.Ino, Type: vfs.DirentType(st.Mode), NextOff: k + 3}) {
			return nil
		}
	}
	return nil
}

// Which target a procLink shows.
const (
	linkExe = iota
	linkCwd
	linkRoot
)

// procLink is /proc/PID/exe, cwd or root: a magic link to a location of
// the process.
type procLink struct {
	base
	fsys  *Filesystem
	proc  Process
	which int
}

// Stat implements vfs.Inode.
func (l *procLink) Stat(vfs.Context) (vfs.Stat, error) {
	uid, gid := owner(l.proc)
	return l.stat(unix.S_IFLNK|0o777, uid, gid, 1), nil
}

func (l *procLink) target(ctx vfs.Context) (vfs.Path, error) {
	if !mayInspect(ctx, l.proc) {
		return vfs.Path{}, unix.EACCES
	}
	var p vfs.Path
	switch l.which {
	case linkExe:
		// A process that has exited (a zombie) has no image any more:
		// its file-system context is released with it.
		if l.proc.FSContext() == nil {
			return vfs.Path{}, unix.ENOENT
		}
		p = l.proc.Executable()
	case linkCwd, linkRoot:
		fsc := l.proc.FSContext()
		if fsc == nil {
			return vfs.Path{}, unix.ENOENT
		}
		if l.which == linkCwd {
			p = fsc.Cwd()
		} else {
			p = fsc.Root()
		}
	}
	if !p.Ok() {
		return vfs.Path{}, unix.ENOENT
	}
	return p, nil
}

// GetLink implements vfs.MagicLink.
func (l *procLink) GetLink(ctx vfs.Context) (vfs.Path, error) { return l.target(ctx) }

// Readlink implements vfs.Inode.
func (l *procLink) Readlink(ctx vfs.Context) (string, error) {
	p, err := l.target(ctx)
	if err != nil {
		return "", err
	}
	return l.fsys.v.PathName(l.fsys.readerRoot(ctx), p), nil
}

// fdDir is /proc/PID/fd.
type fdDir struct {
	base
	fsys *Filesystem
	proc Process

	// mu guards links.
	mu sync.Mutex
	// links caches the link of each fd looked up. A link resolves its fd
	// each time it is used, so it stays right when the fd is reused.
	links map[int32]*fdLink
}

// Stat implements vfs.Inode.
func (d *fdDir) Stat(vfs.Context) (vfs.Stat, error) {
	uid, gid := owner(d.proc)
	return d.stat(unix.S_IFDIR|0o500, uid, gid, 2), nil
}

func (d *fdDir) link(fd int32) *fdLink {
	d.mu.Lock()
	defer d.mu.Unlock()
	l := d.links[fd]
	if l == nil {
		l = &fdLink{base: d.fsys.newBase(), fsys: d.fsys, proc: d.proc, fd: fd}
		d.links[fd] = l
	}
	return l
}

// isOpen reports whether fd is open in the process.
func (d *fdDir) isOpen(ctx vfs.Context, fd int32) bool { return fdIsOpen(ctx, d.proc, fd) }

// fdIsOpen reports whether fd is open in process p.
func fdIsOpen(ctx vfs.Context, p Process, fd int32) bool {
	t := p.FDTable()
	if t == nil {
		return false
	}
	f, _, err := t.Get(fd)
	if err != nil {
		return false
	}
	f.DecRef(ctx)
	return true
}

// Lookup implements vfs.Inode.
func (d *fdDir) Lookup(ctx vfs.Context, name string) (vfs.Inode, error) {
	fd, ok := parsePID(name)
	if !ok || !d.isOpen(ctx, fd) {
		return nil, unix.ENOENT
	}
	return d.link(fd), nil
}

// Revalidate implements vfs.Revalidator: an fd's entry lasts while the fd
// is open.
func (d *fdDir) Revalidate(ctx vfs.Context, name string, child vfs.Inode) bool {
	l, ok := child.(*fdLink)
	return ok && d.isOpen(ctx, l.fd)
}

// Open implements vfs.Inode.
func (d *fdDir) Open(vfs.Context, int) (vfs.FileOperations, error) {
	return &fdDirFile{d: d}, nil
}

// fdDirFile lists /proc/PID/fd: fd N at offset N+2.
type fdDirFile struct {
	dirFileBase
	d *fdDir
}

// IterDirents implements vfs.FileOperations.
func (f *fdDirFile) IterDirents(ctx vfs.Context, _ *vfs.File, off int64, emit func(vfs.Dirent) bool) error {
	emitFDs(f.d.proc.FDTable(), off, emit, func(fd int32) vfs.Dirent {
		return vfs.Dirent{Ino: f.d.link(fd).ino, Type: unix.DT_LNK}
	})
	return nil
}

// emitFDs lists the open fds of t from offset off (fd N at offset N+2),
// with the inode and type entry gives each.
func emitFDs(t *vfs.FDTable, off int64, emit func(vfs.Dirent) bool, entry func(fd int32) vfs.Dirent) {
	if t == nil {
		return
	}
	for _, fd := range t.FDs() {
		if int64(fd)+2 < off {
			continue
		}
		d := entry(fd)
		d.Name, d.NextOff = strconv.Itoa(int(fd)), int64(fd)+3
		if !emit(d) {
			return
		}
	}
}

// fdLink is /proc/PID/fd/N: a magic link to the file open at fd N.
type fdLink struct {
	base
	fsys *Filesystem
	proc Process
	fd   int32
}

// file returns the open file at the link's fd, with a reference.
func (l *fdLink) file(ctx vfs.Context) (*vfs.File, error) {
	if !mayInspect(ctx, l.proc) {
		return nil, unix.EACCES
	}
	t := l.proc.FDTable()
	if t == nil {
		return nil, unix.ENOENT
	}
	f, _, err := t.Get(l.fd)
	if err != nil {
		return nil, unix.ENOENT
	}
	return f, nil
}

// Stat implements vfs.Inode: the permission bits say how the file is
// open, as Linux shows (lr-x, l-wx, lrwx).
func (l *fdLink) Stat(ctx vfs.Context) (vfs.Stat, error) {
	uid, gid := owner(l.proc)
	mode := uint32(unix.S_IFLNK)
	if t := l.proc.FDTable(); t != nil {
		if f, _, err := t.Get(l.fd); err == nil {
			if f.Readable() {
				mode |= 0o500
			}
			if f.Writable() {
				mode |= 0o300
			}
			f.DecRef(ctx)
		}
	}
	st := l.stat(mode, uid, gid, 1)
	st.Size = 64
	return st, nil
}

// GetLink implements vfs.MagicLink.
func (l *fdLink) GetLink(ctx vfs.Context) (vfs.Path, error) {
	f, err := l.file(ctx)
	if err != nil {
		return vfs.Path{}, err
	}
	defer f.DecRef(ctx)
	return f.Path(), nil
}

// Readlink implements vfs.Inode.
func (l *fdLink) Readlink(ctx vfs.Context) (string, error) {
	f, err := l.file(ctx)
	if err != nil {
		return "", err
	}
	defer f.DecRef(ctx)
	return l.fsys.v.PathName(l.fsys.readerRoot(ctx), f.Path()), nil
}

// Files cannot be created in procfs directories: Linux answers EACCES for
// a directory without a create operation.

// Create implements vfs.Inode.
func (r *rootInode) Create(vfs.Context, string, uint32) (vfs.Inode, error) { return nil, unix.EACCES }

// Create implements vfs.Inode.
func (d *pidDir) Create(vfs.Context, string, uint32) (vfs.Inode, error) { return nil, unix.EACCES }

// Create implements vfs.Inode.
func (d *fdDir) Create(vfs.Context, string, uint32) (vfs.Inode, error) { return nil, unix.EACCES }
