package vfs

import (
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// Dentry is one name of one file in the VFS's cache: a directory entry of
// a file system, with a link to its parent. Dentries are created by the
// VFS only.
type Dentry struct {
	fs    *fsState
	inode Inode
	typ   uint32 // S_IFMT bits of inode; they never change
	anon  bool   // made by NewAnonymousFile; not in any tree
	// linkable: an O_TMPFILE file opened without O_EXCL, which linkat
	// may give a name although its link count is 0.
	linkable bool

	// parent and name are guarded by the VFS's renameMu. The root dentry
	// of a file system has parent nil.
	parent *Dentry
	name   string

	// dead is set when the name is unlinked or the directory removed.
	dead atomic.Bool
	// mounts counts the mounts whose mount point this dentry is.
	mounts atomic.Int32

	// mu serializes lookups and changes in this directory.
	mu sync.Mutex
	// children caches this directory's looked-up entries. Guarded by mu.
	children map[string]*Dentry
	// pruneAt is the number of cached children at which the next
	// lookup of a Revalidator directory revalidates them all
	// (pruneStaleLocked). Guarded by mu.
	pruneAt int
}

// minPrune is the fewest cached children of a Revalidator directory worth
// a sweep for stale ones.
const minPrune = 64

func newDentry(ctx Context, fs *fsState, parent *Dentry, name string, ino Inode) (*Dentry, error) {
	st, err := ino.Stat(ctx)
	if err != nil {
		return nil, err
	}
	return &Dentry{fs: fs, inode: ino, typ: st.Mode & unix.S_IFMT, parent: parent, name: name}, nil
}

// Inode returns the inode d names.
func (d *Dentry) Inode() Inode { return d.inode }

// Type returns the S_IFMT bits of d's inode.
func (d *Dentry) Type() uint32 { return d.typ }

// IsDir reports whether d is a directory.
func (d *Dentry) IsDir() bool { return d.typ == unix.S_IFDIR }

// IsSymlink reports whether d is a symbolic link.
func (d *Dentry) IsSymlink() bool { return d.typ == unix.S_IFLNK }

// Filesystem returns the file system d belongs to.
func (d *Dentry) Filesystem() Filesystem { return d.fs.fs }

// Dead reports whether d's name was removed.
func (d *Dentry) Dead() bool { return d.dead.Load() }

// cachedChild returns d's cached child name, or nil.
//
// Preconditions: d.mu is held.
func (d *Dentry) cachedChild(name string) *Dentry {
	return d.children[name]
}

// addChild caches child under name.
//
// Preconditions: d.mu is held.
func (d *Dentry) addChild(name string, child *Dentry) {
	if d.children == nil {
		d.children = make(map[string]*Dentry)
	}
	d.children[name] = child
}

// removeChild drops name from d's cache.
//
// Preconditions: d.mu is held.
func (d *Dentry) removeChild(name string) {
	delete(d.children, name)
}

// lookupLocked returns the child called name, from the cache or the file
// system, or ENOENT.
//
// Preconditions: d.mu is held; d is a directory; name is a normal
// component.
func (d *Dentry) lookupLocked(ctx Context, name string) (*Dentry, error) {
	if c := d.cachedChild(name); c != nil {
		rv, ok := d.inode.(Revalidator)
		if !ok || c.mounts.Load() > 0 || rv.Revalidate(ctx, name, c.inode) {
			return c, nil
		}
		d.removeChild(name)
	}
	if d.dead.Load() {
		return nil, unix.ENOENT
	}
	ino, err := d.inode.Lookup(ctx, name)
	if err != nil {
		return nil, err
	}
	c, err := newDentry(ctx, d.fs, d, name, ino)
	if err != nil {
		return nil, err
	}
	d.pruneStaleLocked(ctx)
	d.addChild(name, c)
	return c, nil
}

// pruneStaleLocked drops the cached children of a Revalidator directory
// that are no longer valid, once there are twice as many as after the
// last sweep: entries that vanish behind the VFS's back (/proc's
// directories of processes gone, host files removed) are otherwise
// dropped only when their name is looked up again, and a stale /proc/PID
// keeps its process's kernel state reachable. The sweep costs one
// Revalidate per cached child, amortized over as many lookups.
//
// Preconditions: d.mu is held.
func (d *Dentry) pruneStaleLocked(ctx Context) {
	rv, ok := d.inode.(Revalidator)
	if !ok || len(d.children) < max(d.pruneAt, minPrune) {
		return
	}
	for name, c := range d.children {
		if c.mounts.Load() == 0 && !rv.Revalidate(ctx, name, c.inode) {
			delete(d.children, name)
		}
	}
	d.pruneAt = 2 * len(d.children)
}

// Invalidate drops name from d's cache of children, for file systems
// whose entries change behind the VFS's back (a host directory, /proc).
// A child with something mounted on it stays.
func (d *Dentry) Invalidate(name string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if c := d.children[name]; c != nil && c.mounts.Load() == 0 {
		delete(d.children, name)
	}
}

// isAncestorOf reports whether d is a or one of a's ancestors within
// one file system.
//
// Preconditions: the VFS's renameMu is held.
func (d *Dentry) isAncestorOf(a *Dentry) bool {
	for x := a; x != nil; x = x.parent {
		if x == d {
			return true
		}
	}
	return false
}
