package ext4

import (
	"encoding/binary"
	"fmt"
	"io"
	"sort"
)

// jbd2 on-disk format (big-endian), as far as recovery needs it.
const (
	jbdDescriptor = 1
	jbdCommit     = 2
	jbdSuperV1    = 3
	jbdSuperV2    = 4
	jbdRevoke     = 5

	jbdFlagEscape   = 1
	jbdFlagSameUUID = 2
	jbdFlagLastTag  = 8

	jbdIncompatRevoke  = 0x1
	jbdIncompat64Bit   = 0x2
	jbdIncompatAsync   = 0x4
	jbdIncompatCsumV2  = 0x8
	jbdIncompatCsumV3  = 0x10
	jbdIncompatFastCmt = 0x20
	jbdKnownIncompat   = jbdIncompatRevoke | jbdIncompat64Bit | jbdIncompatAsync | jbdIncompatCsumV2 | jbdIncompatCsumV3

	jbdSuperChecksumOff = 0xFC
)

// journal is the internal journal, read through the journal inode.
type journal struct {
	fs       *FS
	exts     []Extent
	sb       []byte // journal superblock (one fs block)
	bs       int
	maxlen   uint32
	first    uint32
	incompat uint32
	tagBytes int
}

func (fs *FS) openJournal() (*journal, error) {
	if fs.sb.JournalInum == 0 {
		return nil, unsupported("needs_recovery without an internal journal (external journal devices are not supported)")
	}
	in, err := fs.readInode(fs.sb.JournalInum)
	if err != nil {
		return nil, err
	}
	f, err := fs.openInode(in)
	if err != nil {
		return nil, err
	}
	j := &journal{fs: fs, exts: f.extents, bs: fs.blockSize}
	j.sb = make([]byte, fs.blockSize)
	if err := j.readLog(0, j.sb); err != nil {
		return nil, err
	}
	be := binary.BigEndian
	if be.Uint32(j.sb) != JournalMagic {
		return nil, corrupt("journal superblock magic %#x", be.Uint32(j.sb))
	}
	switch be.Uint32(j.sb[4:]) {
	case jbdSuperV1:
	case jbdSuperV2:
		j.incompat = be.Uint32(j.sb[0x28:])
	default:
		return nil, corrupt("journal superblock type %d", be.Uint32(j.sb[4:]))
	}
	if bad := j.incompat &^ jbdKnownIncompat; bad != 0 {
		return nil, unsupported("journal features %#x", bad)
	}
	if int(be.Uint32(j.sb[0xC:])) != fs.blockSize {
		return nil, corrupt("journal block size %d", be.Uint32(j.sb[0xC:]))
	}
	j.maxlen, j.first = be.Uint32(j.sb[0x10:]), be.Uint32(j.sb[0x14:])
	if j.first == 0 || j.first >= j.maxlen || uint64(j.maxlen)*uint64(fs.blockSize) > in.Size {
		return nil, corrupt("journal geometry first %d maxlen %d", j.first, j.maxlen)
	}
	switch {
	case j.incompat&jbdIncompatCsumV3 != 0:
		j.tagBytes = 16
	default:
		j.tagBytes = 12
		if j.incompat&jbdIncompatCsumV2 != 0 {
			j.tagBytes += 2
		}
		if j.incompat&jbdIncompat64Bit == 0 {
			j.tagBytes -= 4
		}
	}
	return j, nil
}

// readLog reads journal block n.
func (j *journal) readLog(n uint32, buf []byte) error {
	i := sort.Search(len(j.exts), func(i int) bool {
		return uint64(j.exts[i].Block)+uint64(j.exts[i].Len) > uint64(n)
	})
	if i == len(j.exts) || j.exts[i].Block > n {
		return corrupt("journal block %d is not mapped", n)
	}
	e := j.exts[i]
	return j.fs.readBlock(e.Start+uint64(n-e.Block), buf)
}

func (j *journal) next(n uint32) uint32 {
	n++
	if n >= j.maxlen {
		n = j.first
	}
	return n
}

// tag is one descriptor entry: the file system block that the following
// log block belongs at.
type tag struct {
	block  uint64
	escape bool
}

func (j *journal) parseTags(b []byte) ([]tag, error) {
	be := binary.BigEndian
	end := len(b)
	if j.incompat&(jbdIncompatCsumV2|jbdIncompatCsumV3) != 0 {
		end -= 4 // jbd2_journal_block_tail
	}
	var tags []tag
	for off := 12; off+j.tagBytes <= end; {
		t := b[off:]
		var flags uint32
		blk := uint64(be.Uint32(t))
		if j.incompat&jbdIncompatCsumV3 != 0 {
			flags = be.Uint32(t[4:])
			if j.incompat&jbdIncompat64Bit != 0 {
				blk |= uint64(be.Uint32(t[8:])) << 32
			}
		} else {
			flags = uint32(be.Uint16(t[6:]))
			if j.incompat&jbdIncompat64Bit != 0 {
				blk |= uint64(be.Uint32(t[8:])) << 32
			}
		}
		tags = append(tags, tag{block: blk, escape: flags&jbdFlagEscape != 0})
		off += j.tagBytes
		if flags&jbdFlagSameUUID == 0 {
			off += 16
		}
		if flags&jbdFlagLastTag != 0 {
			return tags, nil
		}
	}
	return tags, nil
}

// recover replays the committed transactions of the log: write(block,
// data) receives each file system block to restore, in log order, with
// revoked blocks left out. It returns the next transaction sequence.
func (j *journal) recover(write func(blk uint64, data []byte) error) (uint32, error) {
	be := binary.BigEndian
	start, seq := be.Uint32(j.sb[0x1C:]), be.Uint32(j.sb[0x18:])
	if start == 0 {
		return seq, nil // clean
	}
	if start < j.first || start >= j.maxlen {
		return 0, corrupt("journal start %d", start)
	}
	buf := make([]byte, j.bs)
	// Pass 1: find the committed transactions and their revoke records.
	type txn struct {
		seq  uint32
		tags []tag
		logs []uint32 // log block of each tag's data
	}
	var txns []txn
	revoked := map[uint64]uint32{} // block -> last revoking sequence
	pos := start
	cur := txn{seq: seq}
	for steps := uint32(0); steps < j.maxlen; steps++ {
		if err := j.readLog(pos, buf); err != nil {
			return 0, err
		}
		if be.Uint32(buf) != JournalMagic || be.Uint32(buf[8:]) != cur.seq {
			break
		}
		switch be.Uint32(buf[4:]) {
		case jbdDescriptor:
			tags, err := j.parseTags(buf)
			if err != nil {
				return 0, err
			}
			for _, t := range tags {
				pos = j.next(pos)
				cur.tags = append(cur.tags, t)
				cur.logs = append(cur.logs, pos)
			}
		case jbdCommit:
			txns = append(txns, cur)
			cur = txn{seq: cur.seq + 1}
		case jbdRevoke:
			n := int(be.Uint32(buf[12:]))
			size := 4
			if j.incompat&jbdIncompat64Bit != 0 {
				size = 8
			}
			if n > j.bs {
				return 0, corrupt("journal revoke block count %d", n)
			}
			for off := 16; off+size <= n; off += size {
				var blk uint64
				if size == 8 {
					blk = be.Uint64(buf[off:])
				} else {
					blk = uint64(be.Uint32(buf[off:]))
				}
				if s, ok := revoked[blk]; !ok || int32(cur.seq-s) > 0 {
					revoked[blk] = cur.seq
				}
			}
		default:
			steps = j.maxlen // unknown block type: end of log
			continue
		}
		pos = j.next(pos)
	}
	// Revoke records of an uncommitted transaction do not count.
	for blk, s := range revoked {
		if len(txns) == 0 || int32(s-txns[len(txns)-1].seq) > 0 {
			delete(revoked, blk)
		}
	}
	// Pass 2: replay.
	for _, t := range txns {
		for i, tg := range t.tags {
			if s, ok := revoked[tg.block]; ok && int32(s-t.seq) >= 0 {
				continue
			}
			if err := j.readLog(t.logs[i], buf); err != nil {
				return 0, err
			}
			if tg.escape {
				be.PutUint32(buf, JournalMagic)
			}
			if tg.block >= j.fs.blocks {
				return 0, corrupt("journal replays block %d beyond the end", tg.block)
			}
			if err := write(tg.block, buf); err != nil {
				return 0, err
			}
		}
	}
	next := seq
	if len(txns) > 0 {
		next = txns[len(txns)-1].seq + 1
	}
	return next, nil
}

// markClean records an empty log in the journal superblock.
func (j *journal) markClean(nextSeq uint32) error {
	be := binary.BigEndian
	be.PutUint32(j.sb[0x18:], nextSeq)
	be.PutUint32(j.sb[0x1C:], 0)
	if j.incompat&(jbdIncompatCsumV2|jbdIncompatCsumV3) != 0 {
		be.PutUint32(j.sb[jbdSuperChecksumOff:], 0)
		be.PutUint32(j.sb[jbdSuperChecksumOff:], crc32c(^uint32(0), j.sb[:1024]))
	}
	i := sort.Search(len(j.exts), func(i int) bool { return uint64(j.exts[i].Block)+uint64(j.exts[i].Len) > 0 })
	if i == len(j.exts) || j.exts[i].Block != 0 {
		return corrupt("journal superblock is not mapped")
	}
	return j.fs.writeBlock(j.exts[i].Start, j.sb)
}

// overlay serves replayed journal blocks over a read-only image.
type overlay struct {
	base   io.ReaderAt
	bs     int64
	blocks map[uint64][]byte
}

func (o *overlay) ReadAt(p []byte, off int64) (int, error) {
	n, err := o.base.ReadAt(p, off)
	overlayBlocks(p[:n], off, o.bs, func(b uint64) ([]byte, bool) {
		d, ok := o.blocks[b]
		return d, ok
	})
	return n, err
}

// replayJournal recovers the journal of a file system that needs it: into
// the image itself when writable, else into an in-memory overlay that
// reads then see.
func (fs *FS) replayJournal() error {
	j, err := fs.openJournal()
	if err != nil {
		return fmt.Errorf("ext4: journal recovery: %w", err)
	}
	if fs.wdev == nil {
		ov := &overlay{base: fs.dev, bs: int64(fs.blockSize), blocks: map[uint64][]byte{}}
		if _, err := j.recover(func(blk uint64, data []byte) error {
			ov.blocks[blk] = append([]byte(nil), data...)
			return nil
		}); err != nil {
			return err
		}
		fs.dev = ov
	} else {
		next, err := j.recover(func(blk uint64, data []byte) error { return fs.writeBlock(blk, data) })
		if err != nil {
			return err
		}
		if err := j.markClean(next); err != nil {
			return err
		}
	}
	// The replay may have rewritten the superblock, the group
	// descriptors and any block read so far.
	fs.cache.reset()
	fs.forgetExtents(0)
	fs.blockHint, fs.inodeHint = nil, nil
	buf := make([]byte, SuperblockSize)
	if _, err := fs.dev.ReadAt(buf, SuperblockOffset); err != nil {
		return err
	}
	sb, err := DecodeSuperblock(buf)
	if err != nil {
		return err
	}
	if sb.Magic != SuperMagic {
		return corrupt("superblock lost its magic in journal replay")
	}
	sb.FeatureIncompat &^= IncompatRecover
	fs.sb = sb
	if fs.wdev != nil {
		if err := fs.writeSuper(); err != nil {
			return err
		}
	}
	return fs.readGroupDescs()
}
