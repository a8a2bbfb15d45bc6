package vfs

import "golang.org/x/sys/unix"

// Write access and its denial, as Linux's i_writecount: a regular file
// open for writing cannot be executed, and a file being executed cannot be
// opened for writing (ETXTBSY either way). Per inode, a positive count is
// the number of writers and a negative one the number of deniers (program
// images).

// writeCounts returns the count map, made on first use.
//
// Preconditions: v.writeMu is held.
func (v *VirtualFilesystem) writeCountsLocked() map[Inode]int {
	if v.writeCounts == nil {
		v.writeCounts = make(map[Inode]int)
	}
	return v.writeCounts
}

// getWriteAccess registers a writer of ino; ETXTBSY if it is denied.
func (v *VirtualFilesystem) getWriteAccess(ino Inode) error {
	v.writeMu.Lock()
	defer v.writeMu.Unlock()
	m := v.writeCountsLocked()
	if m[ino] < 0 {
		return unix.ETXTBSY
	}
	m[ino]++
	return nil
}

// putWriteAccess drops a writer registered by getWriteAccess.
func (v *VirtualFilesystem) putWriteAccess(ino Inode) {
	v.adjustWriteCount(ino, -1)
}

func (v *VirtualFilesystem) adjustWriteCount(ino Inode, delta int) {
	v.writeMu.Lock()
	defer v.writeMu.Unlock()
	m := v.writeCountsLocked()
	if n := m[ino] + delta; n == 0 {
		delete(m, ino)
	} else {
		m[ino] = n
	}
}

// DenyWriteAccess forbids opening f's inode for writing until
// AllowWriteAccess (execve holds it for the program image's life). ETXTBSY
// if the inode is open for writing now.
func (v *VirtualFilesystem) DenyWriteAccess(f *File) error {
	return v.DenyWriteAccessInode(f.Inode())
}

// DenyWriteAccessInode is DenyWriteAccess by inode (fork gives the
// child's image its own denial).
func (v *VirtualFilesystem) DenyWriteAccessInode(ino Inode) error {
	v.writeMu.Lock()
	defer v.writeMu.Unlock()
	m := v.writeCountsLocked()
	if m[ino] > 0 {
		return unix.ETXTBSY
	}
	m[ino]--
	return nil
}

// AllowWriteAccess ends one DenyWriteAccess of ino.
func (v *VirtualFilesystem) AllowWriteAccess(ino Inode) {
	v.adjustWriteCount(ino, 1)
}
