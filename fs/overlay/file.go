package overlay

import (
	"sort"
	"strings"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/vfs"
)

// regularFile is an open overlay regular file: the operations of the
// layer file it shows. A file opened on the lower layer moves to the
// upper copy once the file is copied up, as Linux's overlayfs does, so
// every description sees the current data.
type regularFile struct {
	vfs.FileDefaults
	o     *inode
	flags int

	// mu is held for reading while real is used and for writing while it
	// is replaced.
	mu      sync.RWMutex
	real    vfs.FileOperations
	onUpper bool
}

// openReal opens the file's current layer file.
func (f *regularFile) openReal(ctx vfs.Context) error {
	u := f.o.upperInode()
	ino := u
	if ino == nil {
		ino = f.o.lowers[0].ino
	}
	ops, err := ino.Open(ctx, f.flags)
	if err != nil {
		return err
	}
	f.real, f.onUpper = ops, u != nil
	return nil
}

// ops returns the layer file's operations with f.mu held for reading;
// the caller calls done.
func (f *regularFile) ops(ctx vfs.Context) (vfs.FileOperations, func(), error) {
	f.mu.RLock()
	if f.onUpper || f.o.upperInode() == nil {
		return f.real, f.mu.RUnlock, nil
	}
	f.mu.RUnlock()
	f.mu.Lock()
	if !f.onUpper {
		old := f.real
		if err := f.openReal(ctx); err != nil {
			f.mu.Unlock()
			return nil, nil, err
		}
		old.Release(ctx)
	}
	f.mu.Unlock()
	f.mu.RLock()
	return f.real, f.mu.RUnlock, nil
}

// Release implements vfs.FileOperations.
func (f *regularFile) Release(ctx vfs.Context) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.real.Release(ctx)
}

// Read implements vfs.FileOperations.
func (f *regularFile) Read(ctx vfs.Context, vf *vfs.File, dst []byte, off int64) (int, error) {
	r, done, err := f.ops(ctx)
	if err != nil {
		return 0, err
	}
	defer done()
	return r.Read(ctx, vf, dst, off)
}

// Write implements vfs.FileOperations.
func (f *regularFile) Write(ctx vfs.Context, vf *vfs.File, src []byte, off int64) (int, error) {
	r, done, err := f.ops(ctx)
	if err != nil {
		return 0, err
	}
	defer done()
	return r.Write(ctx, vf, src, off)
}

// Append implements vfs.Appender.
func (f *regularFile) Append(ctx vfs.Context, vf *vfs.File, src []byte) (int, int64, error) {
	r, done, err := f.ops(ctx)
	if err != nil {
		return 0, 0, err
	}
	defer done()
	if a, ok := r.(vfs.Appender); ok {
		return a.Append(ctx, vf, src)
	}
	st, err := f.o.real().Stat(ctx)
	if err != nil {
		return 0, 0, err
	}
	n, err := r.Write(ctx, vf, src, st.Size)
	return n, st.Size + int64(n), err
}

// Seek implements vfs.FileOperations.
func (f *regularFile) Seek(ctx vfs.Context, vf *vfs.File, cur, off int64, whence int) (int64, error) {
	r, done, err := f.ops(ctx)
	if err != nil {
		return 0, err
	}
	defer done()
	return r.Seek(ctx, vf, cur, off, whence)
}

// Ioctl implements vfs.FileOperations.
func (f *regularFile) Ioctl(ctx vfs.Context, vf *vfs.File, io vfs.UserIO, cmd uint32, arg uintptr) (uintptr, error) {
	r, done, err := f.ops(ctx)
	if err != nil {
		return 0, err
	}
	defer done()
	return r.Ioctl(ctx, vf, io, cmd, arg)
}

// Sync implements vfs.FileOperations.
func (f *regularFile) Sync(ctx vfs.Context, vf *vfs.File, dataOnly bool) error {
	r, done, err := f.ops(ctx)
	if err != nil {
		return err
	}
	defer done()
	return r.Sync(ctx, vf, dataOnly)
}

// Allocate implements vfs.Allocator.
func (f *regularFile) Allocate(ctx vfs.Context, vf *vfs.File, mode uint32, off, length int64) error {
	r, done, err := f.ops(ctx)
	if err != nil {
		return err
	}
	defer done()
	a, ok := r.(vfs.Allocator)
	if !ok {
		return unix.EOPNOTSUPP
	}
	return a.Allocate(ctx, vf, mode, off, length)
}

// RefuseWrite implements vfs.WriteRefuser: the layer file's refusal of
// a write through a descriptor opened before (an ext4 upper file made
// immutable since), none where the layer makes none.
func (f *regularFile) RefuseWrite() error {
	f.mu.RLock()
	defer f.mu.RUnlock()
	if r, ok := f.real.(vfs.WriteRefuser); ok {
		return r.RefuseWrite()
	}
	return nil
}

// MappablePages implements vfs.Mappable: the pages of the layer file this
// description shows, if it has any.
func (f *regularFile) MappablePages() vfs.Pages {
	f.mu.RLock()
	defer f.mu.RUnlock()
	if m, ok := f.real.(vfs.Mappable); ok {
		return m.MappablePages()
	}
	return nil
}

// dirFile is an open overlay directory. The merged listing is taken when
// a listing starts (offset 2) and served from that snapshot: entry k is at
// offset 2+k.
type dirFile struct {
	vfs.FileDefaults
	o *inode

	// mu guards ents.
	mu   sync.Mutex
	ents []vfs.Dirent
}

// IterDirents implements vfs.FileOperations.
func (d *dirFile) IterDirents(ctx vfs.Context, _ *vfs.File, off int64, emit func(vfs.Dirent) bool) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.ents == nil || off <= 2 {
		ents, err := d.o.listMerged(ctx)
		if err != nil {
			return err
		}
		if ents == nil {
			ents = []vfs.Dirent{}
		}
		d.ents = ents
	}
	for k := off - 2; k >= 0 && k < int64(len(d.ents)); k++ {
		e := d.ents[k]
		e.NextOff = k + 3
		if !emit(e) {
			return nil
		}
	}
	return nil
}

// Read implements vfs.FileOperations.
func (d *dirFile) Read(vfs.Context, *vfs.File, []byte, int64) (int, error) {
	return 0, unix.EISDIR
}

// Sync implements vfs.FileOperations.
func (d *dirFile) Sync(vfs.Context, *vfs.File, bool) error { return nil }

// listMerged returns the entries directory o shows: the upper layer's
// without whiteouts, then each lower layer's that no layer above named.
func (o *inode) listMerged(ctx vfs.Context) ([]vfs.Dirent, error) {
	fs := o.fs
	seen := make(map[string]bool)
	var out []vfs.Dirent
	layers := o.lowers
	if u := o.upperInode(); u != nil {
		layers = append([]layerInode{{0, u}}, layers...)
	}
	for _, l := range layers {
		var ents []vfs.Dirent
		err := iterLayerDir(ctx, l.ino, func(e vfs.Dirent) bool {
			if !seen[e.Name] {
				ents = append(ents, e)
			}
			return true
		})
		if err != nil {
			return nil, err
		}
		fs.mu.Lock()
		for n := range fs.whiteouts[l.ino] {
			seen[n] = true
		}
		fs.mu.Unlock()
		for _, e := range ents {
			if seen[e.Name] {
				continue
			}
			seen[e.Name] = true
			if e.Type == unix.DT_CHR || e.Type == unix.DT_UNKNOWN {
				c, err := l.ino.Lookup(ctx, e.Name)
				if err == unix.ENOENT {
					continue
				}
				if err != nil {
					return nil, err
				}
				if wh, err := fs.isWhiteout(ctx, l.ino, e.Name, c); err != nil {
					return nil, err
				} else if wh {
					continue
				}
			}
			e.Ino = fs.direntIno(l.layer, e.Ino)
			out = append(out, e)
		}
		if fs.isOpaque(ctx, l.ino) {
			break
		}
	}
	return out, nil
}

// direntIno returns the inode number a listing shows for inode number ino
// of layer, matching what Stat reports.
func (fs *Filesystem) direntIno(layer int, ino uint64) uint64 {
	if layer != 0 {
		return layerIno(layer, ino)
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if n, ok := fs.upperIno[ino]; ok {
		return n
	}
	return ino
}

// GetXattr implements vfs.XattrInode.
func (o *inode) GetXattr(ctx vfs.Context, name string) ([]byte, error) {
	if strings.HasPrefix(name, xattrPrefix) {
		return nil, unix.EOPNOTSUPP
	}
	x, ok := o.real().(vfs.XattrInode)
	if !ok {
		return nil, unix.ENODATA
	}
	return x.GetXattr(ctx, name)
}

// ListXattr implements vfs.XattrInode.
func (o *inode) ListXattr(ctx vfs.Context) ([]string, error) {
	x, ok := o.real().(vfs.XattrInode)
	if !ok {
		return nil, nil
	}
	names, err := x.ListXattr(ctx)
	if err != nil {
		return nil, err
	}
	out := names[:0:0]
	for _, n := range names {
		if !strings.HasPrefix(n, xattrPrefix) {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out, nil
}

// SetXattr implements vfs.XattrInode: the file is copied up first.
func (o *inode) SetXattr(ctx vfs.Context, name string, value []byte, flags int) error {
	if strings.HasPrefix(name, xattrPrefix) {
		return unix.EOPNOTSUPP
	}
	u, err := o.fs.copyUp(ctx, o)
	if err != nil {
		return err
	}
	x, ok := u.(vfs.XattrInode)
	if !ok {
		return unix.EOPNOTSUPP
	}
	return x.SetXattr(ctx, name, value, flags)
}

// RemoveXattr implements vfs.XattrInode: the file is copied up first.
func (o *inode) RemoveXattr(ctx vfs.Context, name string) error {
	if strings.HasPrefix(name, xattrPrefix) {
		return unix.EOPNOTSUPP
	}
	if _, err := o.GetXattr(ctx, name); err != nil {
		return err
	}
	u, err := o.fs.copyUp(ctx, o)
	if err != nil {
		return err
	}
	x, ok := u.(vfs.XattrInode)
	if !ok {
		return unix.EOPNOTSUPP
	}
	return x.RemoveXattr(ctx, name)
}

// POSIXACL implements vfs.ACLInode: an overlay keeps ACLs when the layer
// holding the file does, or when it can copy the file up to its upper
// layer.
func (o *inode) POSIXACL() bool {
	if a, ok := o.real().(vfs.ACLInode); ok && a.POSIXACL() {
		return true
	}
	return o.fs.upper != nil
}
