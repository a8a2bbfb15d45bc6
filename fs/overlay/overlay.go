package overlay

import (
	"sync"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/vfs"
)

// overlayfsMagic is OVERLAYFS_SUPER_MAGIC from linux/magic.h.
const overlayfsMagic = 0x794c7630

// Names of the extended attributes overlayfs keeps for itself.
const (
	xattrPrefix = "trusted.overlay."
	xattrOpaque = "trusted.overlay.opaque"
)

// layerShift is where a lower layer's index goes in the inode numbers the
// overlay reports for its files.
const layerShift = 48

// Filesystem is one overlay: an upper layer stacked on lower layers.
type Filesystem struct {
	v *vfs.VirtualFilesystem
	// upper is nil for a read-only overlay.
	upper  vfs.Filesystem
	lowers []vfs.Filesystem
	root   *inode

	// copyMu serializes copy-ups and changes of the namespace, so that a
	// file is copied up once and a whiteout never races a creation.
	copyMu sync.Mutex
	// orphans counts the copy-ups of removed files (for their temporary
	// names). Guarded by copyMu.
	orphans int

	// mu guards the maps below.
	mu sync.Mutex
	// byUpper and byLower map a layer's inode to the overlay inode that
	// shows it (byLower by the topmost lower inode), so the VFS gets the
	// same Inode for the same file.
	byUpper map[vfs.Inode]*inode
	byLower map[vfs.Inode]*inode
	// upperIno maps the upper inode number of a copied-up file to the
	// number the overlay reports for it (for directory listings).
	upperIno map[uint64]uint64
	// whiteouts and opaque are the internal markers used when the upper
	// file system cannot make device nodes or keep extended attributes:
	// whiteouts by upper directory and name, opaque by upper directory.
	whiteouts map[vfs.Inode]map[string]bool
	opaque    map[vfs.Inode]bool
}

// Layer is one layer of an overlay: a directory of a file system (its
// root, or any directory for mount(2)'s lowerdir= and upperdir=).
type Layer struct {
	FS  vfs.Filesystem
	Dir vfs.Inode
}

// RootLayer returns the layer that is the whole of fs.
func RootLayer(ctx vfs.Context, fs vfs.Filesystem) (Layer, error) {
	root, err := fs.Root(ctx)
	if err != nil {
		return Layer{}, err
	}
	return Layer{FS: fs, Dir: root}, nil
}

// New returns an overlay of the file system upper (writable) on the file
// systems lower (top first; at least one). If upper's root directory is
// empty, it takes the mode, owner and times of the top lower layer's
// root, so that the overlay's root looks like the tree it covers.
func New(ctx vfs.Context, v *vfs.VirtualFilesystem, lower []vfs.Filesystem, upper vfs.Filesystem) (*Filesystem, error) {
	if upper == nil {
		return nil, unix.EINVAL
	}
	var ls []Layer
	for _, l := range lower {
		layer, err := RootLayer(ctx, l)
		if err != nil {
			return nil, err
		}
		ls = append(ls, layer)
	}
	ul, err := RootLayer(ctx, upper)
	if err != nil {
		return nil, err
	}
	return NewLayers(ctx, v, ls, &ul, true)
}

// NewLayers returns an overlay of upper on lower (top first; at least
// one). Without upper the overlay is read-only (EROFS). With rootAttrs
// and an empty upper directory, the upper directory takes the attributes
// of the top lower one first.
func NewLayers(ctx vfs.Context, v *vfs.VirtualFilesystem, lower []Layer, upper *Layer, rootAttrs bool) (*Filesystem, error) {
	if len(lower) == 0 || len(lower) > 200 {
		return nil, unix.EINVAL
	}
	fs := &Filesystem{
		v:         v,
		byUpper:   make(map[vfs.Inode]*inode),
		byLower:   make(map[vfs.Inode]*inode),
		upperIno:  make(map[uint64]uint64),
		whiteouts: make(map[vfs.Inode]map[string]bool),
		opaque:    make(map[vfs.Inode]bool),
	}
	var lowers []layerInode
	for k, l := range lower {
		st, err := l.Dir.Stat(ctx)
		if err != nil {
			return nil, err
		}
		if st.Type() != unix.S_IFDIR {
			return nil, unix.ENOTDIR
		}
		lowers = append(lowers, layerInode{layer: k + 1, ino: l.Dir})
		fs.lowers = append(fs.lowers, l.FS)
	}
	if upper == nil {
		st, err := lowers[0].ino.Stat(ctx)
		if err != nil {
			return nil, err
		}
		fs.root = &inode{fs: fs, ino: layerIno(1, st.Ino), typ: unix.S_IFDIR, lowers: lowers}
		fs.byLower[lowers[0].ino] = fs.root
		return fs, nil
	}
	fs.upper = upper.FS
	ur := upper.Dir
	ust, err := ur.Stat(ctx)
	if err != nil {
		return nil, err
	}
	if ust.Type() != unix.S_IFDIR {
		return nil, unix.ENOTDIR
	}
	if empty, err := dirEmpty(ctx, ur); err != nil {
		return nil, err
	} else if empty && rootAttrs {
		st, err := lowers[0].ino.Stat(ctx)
		if err != nil {
			return nil, err
		}
		err = ur.SetStat(ctx, &vfs.SetStat{
			Mask: unix.STATX_MODE | unix.STATX_UID | unix.STATX_GID | unix.STATX_ATIME | unix.STATX_MTIME,
			Mode: st.Mode & 0o7777, UID: st.UID, GID: st.GID, Atime: st.Atime, Mtime: st.Mtime,
			Ctime: v.NowTimespec(),
		})
		if err != nil {
			return nil, err
		}
	}
	fs.root = &inode{fs: fs, ino: ust.Ino, typ: unix.S_IFDIR, upper: ur, lowers: lowers}
	fs.byUpper[ur] = fs.root
	return fs, nil
}

// Name implements vfs.Filesystem.
func (*Filesystem) Name() string { return "overlay" }

// Root implements vfs.Filesystem.
func (fs *Filesystem) Root(vfs.Context) (vfs.Inode, error) { return fs.root, nil }

// Statfs implements vfs.Filesystem: the upper layer's numbers (the top
// lower layer's for a read-only overlay).
func (fs *Filesystem) Statfs(ctx vfs.Context) (vfs.Statfs, error) {
	top := fs.upper
	if top == nil {
		top = fs.lowers[0]
	}
	s, err := top.Statfs(ctx)
	if err != nil {
		return vfs.Statfs{}, err
	}
	s.Type = overlayfsMagic
	return s, nil
}

// layerInode is an inode of one layer (0 is the upper layer, k the k-th
// lower one counting from 1).
type layerInode struct {
	layer int
	ino   vfs.Inode
}

// layerIno returns the inode number the overlay reports for inode number
// ino of layer.
func layerIno(layer int, ino uint64) uint64 {
	return ino ^ uint64(layer)<<layerShift
}

// inodeFor returns the overlay inode showing upper (may be nil) over
// lowers (directories only have more than one), making it if needed.
// parent and name are where it was found.
func (fs *Filesystem) inodeFor(ctx vfs.Context, parent *inode, name string, upper vfs.Inode, lowers []layerInode) (*inode, error) {
	fs.mu.Lock()
	var o *inode
	if upper != nil {
		o = fs.byUpper[upper]
	}
	if o == nil && upper == nil && len(lowers) > 0 {
		o = fs.byLower[lowers[0].ino]
	}
	fs.mu.Unlock()
	if o != nil {
		o.mu.Lock()
		if o.upper == nil {
			// Remember the latest name of a lower file, to copy it up there.
			o.parent, o.name = parent, name
		}
		o.mu.Unlock()
		return o, nil
	}
	real := upper
	layer := 0
	if real == nil {
		real, layer = lowers[0].ino, lowers[0].layer
	}
	st, err := real.Stat(ctx)
	if err != nil {
		return nil, err
	}
	n := &inode{fs: fs, typ: st.Type(), upper: upper, parent: parent, name: name}
	if n.typ == unix.S_IFDIR {
		n.lowers = lowers
	} else if upper == nil {
		n.lowers = lowers[:1]
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if upper != nil {
		n.ino = st.Ino
		if ino, ok := fs.upperIno[st.Ino]; ok {
			n.ino = ino
		}
		if o := fs.byUpper[upper]; o != nil {
			return o, nil
		}
		fs.byUpper[upper] = n
	} else {
		n.ino = layerIno(layer, st.Ino)
		if o := fs.byLower[lowers[0].ino]; o != nil {
			return o, nil
		}
		fs.byLower[lowers[0].ino] = n
	}
	return n, nil
}

// isWhiteout reports whether name in the layer directory dir (holding
// child, or nil if dir has no such entry) is a whiteout.
func (fs *Filesystem) isWhiteout(ctx vfs.Context, dir vfs.Inode, name string, child vfs.Inode) (bool, error) {
	fs.mu.Lock()
	wh := fs.whiteouts[dir][name]
	fs.mu.Unlock()
	if wh || child == nil {
		return wh, nil
	}
	st, err := child.Stat(ctx)
	if err != nil {
		return false, err
	}
	return st.Type() == unix.S_IFCHR && st.Rdev == 0, nil
}

// isOpaque reports whether the layer directory dir hides the layers below.
func (fs *Filesystem) isOpaque(ctx vfs.Context, dir vfs.Inode) bool {
	fs.mu.Lock()
	op := fs.opaque[dir]
	fs.mu.Unlock()
	if op {
		return true
	}
	x, ok := dir.(vfs.XattrInode)
	if !ok {
		return false
	}
	val, err := x.GetXattr(ctx, xattrOpaque)
	return err == nil && string(val) == "y"
}

// setOpaque marks the upper directory dir opaque.
func (fs *Filesystem) setOpaque(ctx vfs.Context, dir vfs.Inode) error {
	if x, ok := dir.(vfs.XattrInode); ok {
		err := x.SetXattr(ctx, xattrOpaque, []byte("y"), 0)
		if err == nil {
			return nil
		}
		if err != unix.EOPNOTSUPP && err != unix.EPERM {
			return err
		}
	}
	fs.mu.Lock()
	fs.opaque[dir] = true
	fs.mu.Unlock()
	return nil
}

// makeWhiteout puts a whiteout at name in the upper directory dir, where
// name is free.
func (fs *Filesystem) makeWhiteout(ctx vfs.Context, dir vfs.Inode, name string) error {
	_, err := dir.Mknod(ctx, name, unix.S_IFCHR, 0)
	switch err {
	case nil:
		return nil
	case unix.EPERM, unix.EOPNOTSUPP, unix.EINVAL:
	default:
		return err
	}
	fs.mu.Lock()
	m := fs.whiteouts[dir]
	if m == nil {
		m = make(map[string]bool)
		fs.whiteouts[dir] = m
	}
	m[name] = true
	fs.mu.Unlock()
	return nil
}

// clearWhiteout removes a whiteout at name in the upper directory dir, if
// there is one. It reports whether there was.
func (fs *Filesystem) clearWhiteout(ctx vfs.Context, dir vfs.Inode, name string) (bool, error) {
	fs.mu.Lock()
	if fs.whiteouts[dir][name] {
		delete(fs.whiteouts[dir], name)
		fs.mu.Unlock()
		return true, nil
	}
	fs.mu.Unlock()
	c, err := dir.Lookup(ctx, name)
	if err == unix.ENOENT {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	wh, err := fs.isWhiteout(ctx, dir, name, c)
	if err != nil || !wh {
		return false, err
	}
	return true, dir.Unlink(ctx, name, c)
}

// dirEmpty reports whether the layer directory dir has no entries.
func dirEmpty(ctx vfs.Context, dir vfs.Inode) (bool, error) {
	empty := true
	err := iterLayerDir(ctx, dir, func(vfs.Dirent) bool {
		empty = false
		return false
	})
	return empty, err
}

// iterLayerDir lists the layer directory dir.
func iterLayerDir(ctx vfs.Context, dir vfs.Inode, emit func(vfs.Dirent) bool) error {
	ops, err := dir.Open(ctx, unix.O_RDONLY|unix.O_DIRECTORY)
	if err != nil {
		return err
	}
	defer ops.Release(ctx)
	return ops.IterDirents(ctx, nil, 2, emit)
}
