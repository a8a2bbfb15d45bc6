package ext4

import (
	"io"
	"sort"

	"golang.org/x/sys/unix"
)

// File reads the contents of one inode. It holds the inode's block map,
// read once when the file is opened, so repeated reads do not walk the
// extent tree again.
type File struct {
	fs      *FS
	in      *Inode
	extents []Extent // logical order; nil for inline data
	inline  []byte   // contents for inline-data inodes
}

// OpenFile returns a reader for inode ino (any type whose contents are
// data: regular files, directories, slow symlinks).
//
// The File holds the block map as it was when opened: reopen it after
// the inode is written.
func (fs *FS) OpenFile(ino uint32) (*File, error) {
	fs.mu.RLock()
	defer fs.mu.RUnlock()
	in, err := fs.readInode(ino)
	if err != nil {
		return nil, err
	}
	return fs.openInode(in)
}

func (fs *FS) openInode(in *Inode) (*File, error) {
	f := &File{}
	if err := fs.openInodeInto(in, f); err != nil {
		return nil, err
	}
	return f, nil
}

// openInodeInto is openInode into f (which may live on the caller's
// stack).
func (fs *FS) openInodeInto(in *Inode, f *File) error {
	*f = File{fs: fs, in: in}
	switch {
	case in.Flags&FlagInlineData != 0:
		if !fs.sb.HasIncompat(IncompatInlineData) {
			return corrupt("inode %d has inline data without the feature", in.Ino)
		}
		d, err := fs.inlineData(in)
		if err != nil {
			return err
		}
		if uint64(len(d)) < in.Size {
			return corrupt("inode %d: inline data shorter than size %d", in.Ino, in.Size)
		}
		f.inline = d[:in.Size]
	case in.Flags&FlagExtents != 0:
		ex, err := fs.sharedExtents(in)
		if err != nil {
			return err
		}
		f.extents = ex
	default:
		switch in.Type() {
		case ModeChr, ModeBlk, ModeFifo, ModeSock:
			return nil // no data blocks
		}
		ex, err := fs.blockMapExtents(in)
		if err != nil {
			return err
		}
		f.extents = ex
	}
	return nil
}

// Inode returns the inode the file reads.
func (f *File) Inode() *Inode { return f.in }

// Size is the file size in bytes.
func (f *File) Size() int64 { return int64(f.in.Size) }

// Extents returns the file's leaf extents (nil for inline data).
func (f *File) Extents() []Extent { return append([]Extent(nil), f.extents...) }

// ReadAt reads len(p) bytes at off; holes and uninitialized extents read
// as zeros. It returns io.EOF at end of file, like io.ReaderAt.
func (f *File) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, unix.EINVAL
	}
	size := int64(f.in.Size)
	if off >= size {
		return 0, io.EOF
	}
	want := len(p)
	if int64(want) > size-off {
		p = p[:size-off]
	}
	if f.inline != nil || f.in.Flags&FlagInlineData != 0 {
		n := copy(p, f.inline[off:])
		if n < want {
			return n, io.EOF
		}
		return n, nil
	}
	bs := int64(f.fs.blockSize)
	done := 0
	for done < len(p) {
		pos := off + int64(done)
		lblk := uint64(pos / bs)
		inBlk := pos % bs
		// Find the extent containing lblk, or the next one after it.
		i := sort.Search(len(f.extents), func(i int) bool {
			e := f.extents[i]
			return uint64(e.Block)+uint64(e.Len) > lblk
		})
		var n int64
		if i < len(f.extents) && uint64(f.extents[i].Block) <= lblk {
			e := f.extents[i]
			// Bytes available in this extent from pos.
			avail := (int64(e.Block)+int64(e.Len))*bs - pos
			n = min(avail, int64(len(p)-done))
			if e.Uninit {
				clear(p[done : done+int(n)])
			} else {
				phys := int64(e.Start+(lblk-uint64(e.Block)))*bs + inBlk
				if _, err := f.fs.dev.ReadAt(p[done:done+int(n)], phys); err != nil {
					return done, corrupt("inode %d: reading data block: %v", f.in.Ino, err)
				}
			}
		} else {
			// A hole up to the next extent (or end of file).
			holeEnd := size
			if i < len(f.extents) {
				holeEnd = min(size, int64(f.extents[i].Block)*bs)
			}
			n = min(holeEnd-pos, int64(len(p)-done))
			clear(p[done : done+int(n)])
		}
		done += int(n)
	}
	if done < want {
		return done, io.EOF
	}
	return done, nil
}

// ReadAll returns the whole contents.
func (f *File) ReadAll() ([]byte, error) {
	if f.in.Size > 1<<31 {
		return nil, unix.EFBIG
	}
	buf := make([]byte, f.in.Size)
	if _, err := f.ReadAt(buf, 0); err != nil && err != io.EOF {
		return nil, err
	}
	return buf, nil
}

// Readlink returns the target of symlink ino.
func (fs *FS) Readlink(ino uint32) (string, error) {
	fs.mu.RLock()
	defer fs.mu.RUnlock()
	return fs.readlink(ino)
}

func (fs *FS) readlink(ino uint32) (string, error) {
	in, err := fs.inode(ino)
	if err != nil {
		return "", err
	}
	if in.Type() != ModeLnk {
		return "", unix.EINVAL
	}
	if in.Size == 0 || in.Size > uint64(fs.blockSize) {
		return "", corrupt("symlink inode %d has size %d", ino, in.Size)
	}
	if fs.isFastSymlink(in) {
		if in.Size >= IBlockSize {
			return "", corrupt("fast symlink inode %d has size %d", ino, in.Size)
		}
		return string(in.raw.Block[:in.Size]), nil
	}
	f, err := fs.openInode(in)
	if err != nil {
		return "", err
	}
	buf, err := f.ReadAll()
	if err != nil {
		return "", err
	}
	return string(buf), nil
}

// isFastSymlink follows Linux's ext4_inode_is_fast_symlink: the target is
// in i_block when the inode owns no data blocks (an xattr block aside).
func (fs *FS) isFastSymlink(in *Inode) bool {
	if in.Flags&FlagInlineData != 0 {
		return false
	}
	if in.Flags&FlagEAInode != 0 {
		return in.Size < IBlockSize
	}
	var eaBlocks uint64
	if in.FileACL != 0 {
		eaBlocks = uint64(fs.blockSize / 512)
	}
	return in.Blocks-eaBlocks == 0
}

// ReadAt reads from inode ino at off with the current block map (unlike a
// File, which keeps the map it was opened with).
func (fs *FS) ReadAt(ino uint32, p []byte, off int64) (int, error) {
	fs.mu.RLock()
	defer fs.mu.RUnlock()
	in, err := fs.inode(ino)
	if err != nil {
		return 0, err
	}
	if in.IsDir() {
		return 0, unix.EISDIR
	}
	f, err := fs.openInode(in)
	if err != nil {
		return 0, err
	}
	return f.ReadAt(p, off)
}

// readFileBlock reads logical block lblk of a block-mapped file through
// the metadata cache (for directories): a hole reads as zeros.
func (fs *FS) readFileBlock(f *File, lblk uint64, buf []byte) error {
	phys, ok := f.physBlock(lblk)
	if !ok {
		clear(buf)
		return nil
	}
	return fs.readBlock(phys, buf)
}

// physBlock maps logical block lblk of f; false for a hole or an
// unwritten extent.
func (f *File) physBlock(lblk uint64) (uint64, bool) {
	i := sort.Search(len(f.extents), func(i int) bool {
		return uint64(f.extents[i].Block)+uint64(f.extents[i].Len) > lblk
	})
	if i == len(f.extents) || uint64(f.extents[i].Block) > lblk || f.extents[i].Uninit {
		return 0, false
	}
	e := f.extents[i]
	return e.Start + (lblk - uint64(e.Block)), true
}
