package vfs

import "golang.org/x/sys/unix"

// FileOperations is the behaviour of one open file description, returned
// by Inode.Open or given to NewAnonymousFile. The File calling it has
// checked the access mode (EBADF), keeps the offset and passes it in.
// Implementations embed FileDefaults so that methods added later get a
// correct default.
type FileOperations interface {
	// Release is called once, when the last reference to the File is
	// dropped.
	Release(ctx Context)
	// Read reads into dst from offset off (ignored by stream files). It
	// returns 0, nil at end of file.
	Read(ctx Context, f *File, dst []byte, off int64) (int, error)
	// Write writes src at offset off. Files with O_APPEND in f.Flags()
	// are written through Appender when the operations implement it.
	Write(ctx Context, f *File, src []byte, off int64) (int, error)
	// Seek returns the new offset for lseek(off, whence) given the
	// current offset cur. GenericSeek does it for files with a size.
	Seek(ctx Context, f *File, cur, off int64, whence int) (int64, error)
	// IterDirents calls emit for each directory entry from offset off
	// (>= 2; the VFS emits "." and ".." itself) until emit returns false
	// or the entries run out.
	IterDirents(ctx Context, f *File, off int64, emit func(Dirent) bool) error
	// Ioctl carries out ioctl(cmd, arg); io copies arg's memory.
	// FIOCLEX, FIONCLEX, FIONBIO and FIOASYNC never get here.
	Ioctl(ctx Context, f *File, io UserIO, cmd uint32, arg uintptr) (uintptr, error)
	// Sync writes the file's data (and metadata unless dataOnly) to
	// stable storage.
	Sync(ctx Context, f *File, dataOnly bool) error
}

// Appender is implemented by file operations that can write at the end of
// the file atomically (O_APPEND). Append returns the bytes written and the
// offset just after them.
type Appender interface {
	Append(ctx Context, f *File, src []byte) (n int, end int64, err error)
}

// Streamer is implemented by file operations of non-seekable files (pipes,
// sockets, terminals): pread/pwrite/lseek give ESPIPE and the File keeps
// no offset. Embed StreamFile to get it.
type Streamer interface {
	Stream() bool
}

// FileDefaults answers every FileOperations method the way Linux does for
// a file that does not support it. Embed it and override.
type FileDefaults struct{}

// Release implements FileOperations.Release.
func (FileDefaults) Release(Context) {}

// Read implements FileOperations.Read.
func (FileDefaults) Read(Context, *File, []byte, int64) (int, error) { return 0, unix.EINVAL }

// Write implements FileOperations.Write.
func (FileDefaults) Write(Context, *File, []byte, int64) (int, error) { return 0, unix.EINVAL }

// Seek implements FileOperations.Seek: lseek on a file without a size
// moves the offset relative to 0 only (SEEK_END is EINVAL).
func (FileDefaults) Seek(_ Context, _ *File, cur, off int64, whence int) (int64, error) {
	switch whence {
	case unix.SEEK_SET:
	case unix.SEEK_CUR:
		off += cur
	default:
		return 0, unix.EINVAL
	}
	if off < 0 {
		return 0, unix.EINVAL
	}
	return off, nil
}

// IterDirents implements FileOperations.IterDirents.
func (FileDefaults) IterDirents(Context, *File, int64, func(Dirent) bool) error {
	return unix.ENOTDIR
}

// Ioctl implements FileOperations.Ioctl.
func (FileDefaults) Ioctl(Context, *File, UserIO, uint32, uintptr) (uintptr, error) {
	return 0, unix.ENOTTY
}

// Sync implements FileOperations.Sync.
func (FileDefaults) Sync(Context, *File, bool) error { return unix.EINVAL }

// StreamFile is FileDefaults for a stream (Streamer): lseek fails with
// ESPIPE. Embed it instead of FileDefaults (it includes them).
type StreamFile struct{ FileDefaults }

// Stream implements Streamer.
func (StreamFile) Stream() bool { return true }

// Seek implements FileOperations.Seek.
func (StreamFile) Seek(Context, *File, int64, int64, int) (int64, error) { return 0, unix.ESPIPE }

// GenericSeek computes lseek's result for a file of the given size:
// SEEK_SET, SEEK_CUR, SEEK_END, and SEEK_DATA/SEEK_HOLE treating the whole
// file as data.
func GenericSeek(cur, size, off int64, whence int) (int64, error) {
	switch whence {
	case unix.SEEK_SET:
	case unix.SEEK_CUR:
		off += cur
	case unix.SEEK_END:
		off += size
	case unix.SEEK_DATA:
		if off < 0 || off >= size {
			return 0, unix.ENXIO
		}
	case unix.SEEK_HOLE:
		if off < 0 || off >= size {
			return 0, unix.ENXIO
		}
		off = size
	default:
		return 0, unix.EINVAL
	}
	if off < 0 {
		return 0, unix.EINVAL
	}
	return off, nil
}

// Generic ioctl commands (asm-generic/ioctls.h) that x/sys/unix lacks.
const (
	IoctlFIONREAD = 0x541B
	IoctlFIONBIO  = 0x5421
	IoctlFIONCLEX = 0x5450
	IoctlFIOCLEX  = 0x5451
	IoctlFIOASYNC = 0x5452
)

// Allocator is implemented by file operations that support fallocate(2).
// mode holds FALLOC_FL_* bits; the caller has checked the access mode and
// the range. Unsupported modes give EOPNOTSUPP.
type Allocator interface {
	Allocate(ctx Context, f *File, mode uint32, off, length int64) error
}

// Allocate carries out fallocate(2) on the file.
func (f *File) Allocate(ctx Context, mode uint32, off, length int64) error {
	if f.ops == nil {
		return unix.EBADF
	}
	if off < 0 || length <= 0 {
		return unix.EINVAL
	}
	const keepSize, punchHole, known = 0x01, 0x02, 0x7f
	if mode&^known != 0 || (mode&punchHole != 0 && mode&keepSize == 0) {
		return unix.EOPNOTSUPP
	}
	if !f.Writable() {
		return unix.EBADF
	}
	if fl := attrFlags(f.path.Dentry.inode); fl&FlagImmutable != 0 || (fl&FlagAppend != 0 && mode&^keepSize != 0) {
		return unix.EPERM
	}
	if off > 1<<63-1-length {
		return unix.EFBIG
	}
	switch f.path.Dentry.typ {
	case unix.S_IFREG:
	case unix.S_IFDIR:
		return unix.EISDIR
	case unix.S_IFIFO:
		return unix.ESPIPE
	default:
		return unix.ENODEV
	}
	a, ok := f.ops.(Allocator)
	if !ok {
		return unix.EOPNOTSUPP
	}
	// Allocating (or zeroing) past the end grows the file, within the
	// file size limit.
	const zeroRange = 0x10
	if mode == 0 || mode == zeroRange {
		if st, err := f.path.Dentry.inode.Stat(ctx); err == nil {
			if err := checkGrow(ctx, st.Size, off+length); err != nil {
				return err
			}
		}
	}
	return a.Allocate(ctx, f, mode, off, length)
}
