package fat

import "golang.org/x/sys/unix"

// Helpers for the vfs adapter.

// SlotEntry is a directory entry with the slot of its 8.3 entry: a
// position that stays the same while other entries come and go (removed
// entries are marked free, never compacted).
type SlotEntry struct {
	DirEntry
	Slot int
}

// ReadDirSlots lists the directory at path, without "." and "..", with
// each entry's slot.
func (fs *FS) ReadDirSlots(path string) ([]SlotEntry, error) {
	fs.mu.RLock()
	defer fs.mu.RUnlock()
	d, err := fs.openDir(path)
	if err != nil {
		return nil, err
	}
	ents, err := fs.parseDir(d)
	if err != nil {
		return nil, err
	}
	var out []SlotEntry
	for _, e := range ents {
		if e.Name != "." && e.Name != ".." {
			out = append(out, SlotEntry{DirEntry: e.DirEntry, Slot: e.short})
		}
	}
	return out, nil
}

// Clusters is the number of data clusters.
func (fs *FS) Clusters() uint32 { return fs.clusters }

// ReadOnly reports whether the file system was opened without OpenRW.
func (fs *FS) ReadOnly() bool { return fs.wdev == nil }

// Append writes p at the end of the regular file at path, reading the
// size and writing under one lock (O_APPEND). It returns the bytes
// written and the offset after them.
func (fs *FS) Append(path string, p []byte) (int, int64, error) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	_, loc, err := fs.resolve(path)
	if err != nil {
		return 0, 0, err
	}
	if loc == nil || loc.IsDir() {
		return 0, 0, unix.EISDIR
	}
	off := int64(loc.Size)
	n, err := fs.writeAtLocked(path, p, off)
	return n, off + int64(n), err
}
