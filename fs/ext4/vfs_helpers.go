package ext4

import "golang.org/x/sys/unix"

// Append writes p at the end of regular file ino in one transaction
// (O_APPEND: no other write can come between reading the size and
// writing). It returns the bytes written and the offset after them.
func (fs *FS) Append(ino uint32, p []byte) (_ int, end int64, err error) {
	fs.beginOp()
	defer fs.endOp(&err)
	in, err := fs.writableInode(ino)
	if err != nil {
		return 0, 0, err
	}
	if err := fs.checkWritableFile(in); err != nil {
		return 0, 0, err
	}
	off := int64(in.Size)
	if len(p) == 0 {
		return 0, off, nil
	}
	if off+int64(len(p)) > maxFileBlocks*int64(fs.blockSize) {
		return 0, off, unix.EFBIG
	}
	n, werr := fs.writeData(in, p, off)
	if n > 0 {
		in.setSize(uint64(off) + uint64(n))
		fs.touch(in, true, true)
	}
	if err := fs.writeInode(in); err != nil {
		return 0, off, err
	}
	return n, off + int64(n), werr
}
