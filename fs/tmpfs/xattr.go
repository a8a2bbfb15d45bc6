package tmpfs

import (
	"sort"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/vfs"
)

// GetXattr implements vfs.XattrInode.
func (i *inode) GetXattr(_ vfs.Context, name string) ([]byte, error) {
	i.mu.RLock()
	defer i.mu.RUnlock()
	v, ok := i.xattrs[name]
	if !ok {
		return nil, unix.ENODATA
	}
	return append([]byte(nil), v...), nil
}

// SetXattr implements vfs.XattrInode.
func (i *inode) SetXattr(_ vfs.Context, name string, value []byte, flags int) error {
	i.mu.Lock()
	defer i.mu.Unlock()
	_, exists := i.xattrs[name]
	if flags&vfs.XattrCreate != 0 && exists {
		return unix.EEXIST
	}
	if flags&vfs.XattrReplace != 0 && !exists {
		return unix.ENODATA
	}
	if i.xattrs == nil {
		i.xattrs = make(map[string][]byte)
	}
	i.xattrs[name] = append([]byte(nil), value...)
	i.ctime = i.fs.v.NowTimespec()
	return nil
}

// ListXattr implements vfs.XattrInode.
func (i *inode) ListXattr(vfs.Context) ([]string, error) {
	i.mu.RLock()
	defer i.mu.RUnlock()
	names := make([]string, 0, len(i.xattrs))
	for n := range i.xattrs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names, nil
}

// RemoveXattr implements vfs.XattrInode.
func (i *inode) RemoveXattr(_ vfs.Context, name string) error {
	i.mu.Lock()
	defer i.mu.Unlock()
	if _, ok := i.xattrs[name]; !ok {
		return unix.ENODATA
	}
	delete(i.xattrs, name)
	i.ctime = i.fs.v.NowTimespec()
	return nil
}

// POSIXACL implements vfs.ACLInode: tmpfs keeps POSIX ACLs.
func (i *inode) POSIXACL() bool { return true }
