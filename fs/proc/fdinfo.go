package proc

import (
	"sync"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/vfs"
)

// fdInfoDir is /proc/PID/fdinfo: one file per open fd with its offset,
// flags, mount id and inode number.
type fdInfoDir struct {
	base
	fsys *Filesystem
	proc Process

	// mu guards files.
	mu sync.Mutex
	// files caches the file of each fd looked up; each read looks the fd
	// up again.
	files map[int32]*dataFile
}

// Stat implements vfs.Inode.
func (d *fdInfoDir) Stat(vfs.Context) (vfs.Stat, error) {
	uid, gid := owner(d.proc)
	return d.stat(unix.S_IFDIR|0o500, uid, gid, 2), nil
}

func (d *fdInfoDir) file(fd int32) *dataFile {
	d.mu.Lock()
	defer d.mu.Unlock()
	if f := d.files[fd]; f != nil {
		return f
	}
	f := d.fsys.newData(d.proc, 0o400, func(ctx vfs.Context) ([]byte, error) {
		return d.fsys.fdInfo(ctx, d.proc, fd)
	})
	d.files[fd] = f
	return f
}

// fdInfo makes the text of fdinfo/fd.
func (fs *Filesystem) fdInfo(ctx vfs.Context, p Process, fd int32) ([]byte, error) {
	if !mayInspect(ctx, p) {
		return nil, unix.EACCES
	}
	t := p.FDTable()
	if t == nil {
		return nil, unix.ENOENT
	}
	f, fdFlags, err := t.Get(fd)
	if err != nil {
		return nil, unix.ENOENT
	}
	defer f.DecRef(ctx)
	flags := f.Flags()
	if fdFlags&unix.FD_CLOEXEC != 0 {
		flags |= unix.O_CLOEXEC
	}
	var ino, mntID uint64
	if st, err := f.Stat(ctx); err == nil {
		ino = st.Ino
	}
	if path := f.Path(); path.Ok() && path.Mount != nil {
		mntID = path.Mount.ID()
	}
	return formatFDInfo(f.Offset(), flags, mntID, ino), nil
}

// isOpen reports whether fd is open in the process.
func (d *fdInfoDir) isOpen(ctx vfs.Context, fd int32) bool { return fdIsOpen(ctx, d.proc, fd) }

// Lookup implements vfs.Inode.
func (d *fdInfoDir) Lookup(ctx vfs.Context, name string) (vfs.Inode, error) {
	fd, ok := parsePID(name)
	if !ok || !d.isOpen(ctx, fd) {
		return nil, unix.ENOENT
	}
	return d.file(fd), nil
}

// Revalidate implements vfs.Revalidator: an fd's entry lasts while the fd
// is open.
func (d *fdInfoDir) Revalidate(ctx vfs.Context, name string, _ vfs.Inode) bool {
	fd, ok := parsePID(name)
	return ok && d.isOpen(ctx, fd)
}

// Create implements vfs.Inode.
func (d *fdInfoDir) Create(vfs.Context, string, uint32) (vfs.Inode, error) { return nil, unix.EACCES }

// Open implements vfs.Inode.
func (d *fdInfoDir) Open(vfs.Context, int) (vfs.FileOperations, error) {
	return &fdInfoDirFile{d: d}, nil
}

// fdInfoDirFile lists /proc/PID/fdinfo: fd N at offset N+2.
type fdInfoDirFile struct {
	dirFileBase
	d *fdInfoDir
}

// IterDirents implements vfs.FileOperations.
func (f *fdInfoDirFile) IterDirents(_ vfs.Context, _ *vfs.File, off int64, emit func(vfs.Dirent) bool) error {
	emitFDs(f.d.proc.FDTable(), off, emit, func(fd int32) vfs.Dirent {
		return vfs.Dirent{Ino: f.d.file(fd).ino, Type: unix.DT_REG}
	})
	return nil
}
