package ext4

// The orphan list keeps inodes that lost their last link while still
// open: the superblock's s_last_orphan names the first, and each orphan's
// i_dtime field names the next. Release frees an orphan when its last
// holder goes; OpenRW frees the orphans a crash left behind.

// Hold records that inode ino is open, so that unlinking its last name
// keeps it (on the orphan list) until the matching Release.
func (fs *FS) Hold(ino uint32) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.holds == nil {
		fs.holds = map[uint32]int{}
	}
	fs.holds[ino]++
}

// Release drops a Hold; an inode without links is deleted with its last
// holder.
func (fs *FS) Release(ino uint32) (err error) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.holds[ino] == 0 {
		return nil
	}
	if fs.holds[ino]--; fs.holds[ino] > 0 {
		return nil
	}
	delete(fs.holds, ino)
	if fs.wdev == nil {
		return nil
	}
	if in, err := fs.inode(ino); err != nil {
		return err
	} else if in.Nlink > 0 {
		return nil // linked: nothing to do (the common close)
	}
	fs.beginTx()
	defer fs.endTxInto(&err)
	in, err := fs.readInode(ino)
	if err != nil {
		return err
	}
	if in.Nlink > 0 {
		return nil
	}
	if err := fs.removeOrphan(in); err != nil {
		return err
	}
	return fs.deleteInode(in)
}

// addOrphan puts an unlinked inode at the head of the orphan list; in is
// written.
func (fs *FS) addOrphan(in *Inode) error {
	in.raw.Dtime = fs.sb.LastOrphan
	if err := fs.writeInode(in); err != nil {
		return err
	}
	fs.sb.LastOrphan = in.Ino
	return fs.writeSuper()
}

// removeOrphan unlinks in from the orphan list.
func (fs *FS) removeOrphan(in *Inode) error {
	next := in.raw.Dtime
	if fs.sb.LastOrphan == in.Ino {
		fs.sb.LastOrphan = next
		return fs.writeSuper()
	}
	for cur, steps := fs.sb.LastOrphan, uint32(0); cur != 0; steps++ {
		if steps > fs.sb.InodesCount {
			return corrupt("orphan list loops")
		}
		c, err := fs.readInode(cur)
		if err != nil {
			return err
		}
		if c.raw.Dtime == in.Ino {
			c.raw.Dtime = next
			return fs.writeInode(c)
		}
		cur = c.raw.Dtime
	}
	return corrupt("inode %d is not on the orphan list", in.Ino)
}

// processOrphans deletes the orphans left by a crash (or truncates the
// ones that still have links, whose truncation was interrupted: their
// size is already right, so they only leave the list).
func (fs *FS) processOrphans() (err error) {
	if fs.sb.LastOrphan == 0 {
		return nil
	}
	fs.beginTx()
	defer fs.endTxInto(&err)
	for steps := uint32(0); fs.sb.LastOrphan != 0; steps++ {
		if steps > fs.sb.InodesCount {
			return corrupt("orphan list loops")
		}
		in, err := fs.readInode(fs.sb.LastOrphan)
		if err != nil {
			return err
		}
		fs.sb.LastOrphan = in.raw.Dtime
		in.raw.Dtime = 0
		if in.Nlink == 0 {
			if err := fs.deleteInode(in); err != nil {
				return err
			}
		} else if in.Type() == ModeReg && in.Flags&FlagExtents != 0 {
			if err := fs.truncateBlocks(in, in.Size); err != nil {
				return err
			}
			if err := fs.writeInode(in); err != nil {
				return err
			}
		} else if err := fs.writeInode(in); err != nil {
			return err
		}
	}
	return fs.writeSuper()
}
