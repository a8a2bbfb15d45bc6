package ext4

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sort"
	"sync/atomic"
)

// Metadata writes go through the journal: every write operation collects
// the metadata blocks it changes in a transaction (tx), then commits it to
// the jbd2 log, writes the blocks in place (checkpoint) and marks the log
// empty again. File data is written in place before the commit (ordered
// mode). A crash before the commit block loses the operation; after it,
// recovery on the next open replays it; either way e2fsck finds the image
// consistent.

// tx is one transaction's metadata blocks.
type tx struct {
	blocks map[uint64][]byte
}

// txReader serves the open transaction's blocks over the image, so that
// an operation reads what it has written.
type txReader struct {
	base io.ReaderAt
	bs   int64
	cur  *atomic.Pointer[tx]
}

func (r *txReader) ReadAt(p []byte, off int64) (int, error) {
	n, err := r.base.ReadAt(p, off)
	t := r.cur.Load()
	if t == nil || len(t.blocks) == 0 {
		return n, err
	}
	for done := int64(0); done < int64(n); {
		pos := off + done
		blk := uint64(pos / r.bs)
		in := pos % r.bs
		k := min(r.bs-in, int64(n)-done)
		if b, ok := t.blocks[blk]; ok {
			copy(p[done:done+k], b[in:])
		}
		done += k
	}
	return n, err
}

// journalWriter is the state for writing transactions.
type journalWriter struct {
	j        *journal
	seq      uint32
	csumSeed uint32 // crc32c of the journal UUID (csum v3)
	// crashAfterCommit is a test hook: stop after the commit block, as
	// if the machine died before the checkpoint.
	crashAfterCommit bool
}

var errSimulatedCrash = errors.New("ext4: simulated crash after journal commit")

// startJournal prepares journaled writes; without a usable internal
// journal, writes go straight to their place.
func (fs *FS) startJournal() error {
	fs.dev = &txReader{base: fs.dev, bs: int64(fs.blockSize), cur: &fs.tx}
	if !fs.sb.HasCompat(CompatHasJournal) || fs.sb.JournalInum == 0 {
		return nil
	}
	j, err := fs.openJournal()
	if err != nil {
		return err
	}
	if j.incompat&jbdIncompatCsumV2 != 0 || j.incompat&jbdIncompatAsync != 0 {
		return unsupported("writing to a journal with features %#x", j.incompat)
	}
	be := binary.BigEndian
	if be.Uint32(j.sb[0x1C:]) != 0 {
		return corrupt("journal not empty after recovery")
	}
	jw := &journalWriter{j: j, seq: be.Uint32(j.sb[0x18:])}
	if j.incompat&jbdIncompatCsumV3 != 0 {
		jw.csumSeed = crc32c(^uint32(0), j.sb[0x30:0x40])
	}
	fs.jw = jw
	return nil
}

// beginTx opens a transaction for a write operation.
func (fs *FS) beginTx() {
	if fs.jw != nil {
		fs.tx.Store(&tx{blocks: map[uint64][]byte{}})
	}
}

// endTx commits and checkpoints the operation's transaction. A failure
// leaves the file system read-only, as Linux does on a journal error.
func (fs *FS) endTx() error {
	t := fs.tx.Load()
	if t == nil {
		return nil
	}
	err := fs.commit(t)
	fs.tx.Store(nil)
	if err != nil {
		fs.wdev = nil
		fs.txErr = err
	}
	return err
}

// metaWrite writes metadata bytes at off (within the file system's
// blocks): into the transaction when one is open.
func (fs *FS) metaWrite(p []byte, off int64) error {
	bs := int64(fs.blockSize)
	for done := int64(0); done < int64(len(p)); {
		pos := off + done
		k := min(bs-pos%bs, int64(len(p))-done)
		fs.cache.update(uint64(pos/bs), int(pos%bs), p[done:done+k])
		done += k
	}
	t := fs.tx.Load()
	if t == nil {
		if _, err := fs.wdev.WriteAt(p, off); err != nil {
			return fmt.Errorf("ext4: writing metadata at %d: %w", off, err)
		}
		return nil
	}
	for done := int64(0); done < int64(len(p)); {
		pos := off + done
		blk := uint64(pos / bs)
		in := pos % bs
		k := min(bs-in, int64(len(p))-done)
		b, ok := t.blocks[blk]
		if !ok {
			b = make([]byte, bs)
			if _, err := fs.dev.ReadAt(b, int64(blk)*bs); err != nil {
				return fmt.Errorf("ext4: reading block %d: %w", blk, err)
			}
			t.blocks[blk] = b
		}
		copy(b[in:], p[done:done+k])
		done += k
	}
	return nil
}

// txForget drops freed blocks from the open transaction.
func (fs *FS) txForget(start, n uint64) {
	fs.cache.drop(start, n)
	if t := fs.tx.Load(); t != nil {
		for b := start; b < start+n; b++ {
			delete(t.blocks, b)
		}
	}
}

type syncer interface{ Sync() error }

func (fs *FS) syncDev() error {
	if fs.noSync {
		return nil
	}
	if s, ok := fs.wdev.(syncer); ok {
		return s.Sync()
	}
	return nil
}

// commit writes t to the log, checkpoints it and empties the log.
func (fs *FS) commit(t *tx) error {
	if len(t.blocks) == 0 {
		return nil
	}
	jw := fs.jw
	j := jw.j
	blocks := make([]uint64, 0, len(t.blocks))
	for b := range t.blocks {
		blocks = append(blocks, b)
	}
	sort.Slice(blocks, func(a, b int) bool { return blocks[a] < blocks[b] })
	csum := j.incompat&jbdIncompatCsumV3 != 0
	tail := 0
	if csum {
		tail = 4
	}
	perDesc := (j.bs - 12 - tail - 16) / j.tagBytes
	need := uint32(len(blocks)+(len(blocks)+perDesc-1)/perDesc) + 1
	if need > j.maxlen-j.first {
		// Too large for the log: write in place (not crash-safe).
		return fs.checkpoint(t, blocks)
	}
	be := binary.BigEndian
	pos := j.first
	logWrite := func(buf []byte) error {
		err := j.writeLog(pos, buf)
		pos++
		return err
	}
	// Data and metadata in place must not be reordered after the commit.
	if err := fs.syncDev(); err != nil {
		return err
	}
	for i := 0; i < len(blocks); i += perDesc {
		chunk := blocks[i:min(i+perDesc, len(blocks))]
		desc := make([]byte, j.bs)
		be.PutUint32(desc[0:], JournalMagic)
		be.PutUint32(desc[4:], jbdDescriptor)
		be.PutUint32(desc[8:], jw.seq)
		off := 12
		for k, b := range chunk {
			data := t.blocks[b]
			var flags uint32
			if be.Uint32(data) == JournalMagic {
				flags |= jbdFlagEscape
			}
			if k > 0 {
				flags |= jbdFlagSameUUID
			}
			if k == len(chunk)-1 {
				flags |= jbdFlagLastTag
			}
			tg := desc[off:]
			be.PutUint32(tg[0:], uint32(b))
			if csum {
				be.PutUint32(tg[4:], flags)
				be.PutUint32(tg[8:], uint32(b>>32))
				var s [4]byte
				be.PutUint32(s[:], jw.seq)
				c := crc32c(jw.csumSeed, s[:])
				be.PutUint32(tg[12:], crc32c(c, data))
			} else {
				be.PutUint16(tg[6:], uint16(flags))
				if j.incompat&jbdIncompat64Bit != 0 {
					be.PutUint32(tg[8:], uint32(b>>32))
				}
			}
			off += j.tagBytes
			if k == 0 {
				copy(desc[off:], j.sb[0x30:0x40])
				off += 16
			}
		}
		if csum {
			be.PutUint32(desc[j.bs-4:], crc32c(jw.csumSeed, desc))
		}
		if err := logWrite(desc); err != nil {
			return err
		}
		for _, b := range chunk {
			data := t.blocks[b]
			if be.Uint32(data) == JournalMagic {
				data = append([]byte(nil), data...)
				be.PutUint32(data, 0)
			}
			if err := logWrite(data); err != nil {
				return err
			}
		}
	}
	// Point the journal superblock at the log before the commit block
	// makes the transaction count.
	if err := jw.writeJSB(j.first); err != nil {
		return err
	}
	commit := make([]byte, j.bs)
	be.PutUint32(commit[0:], JournalMagic)
	be.PutUint32(commit[4:], jbdCommit)
	be.PutUint32(commit[8:], jw.seq)
	now := fs.now()
	be.PutUint64(commit[0x30:], uint64(now.Sec))
	be.PutUint32(commit[0x38:], uint32(now.Nsec))
	if csum {
		be.PutUint32(commit[0x10:], crc32c(jw.csumSeed, commit))
	}
	if err := fs.syncDev(); err != nil {
		return err
	}
	if err := logWrite(commit); err != nil {
		return err
	}
	if err := fs.syncDev(); err != nil {
		return err
	}
	if jw.crashAfterCommit {
		return errSimulatedCrash
	}
	if err := fs.checkpoint(t, blocks); err != nil {
		return err
	}
	jw.seq++
	return jw.writeJSB(0)
}

// checkpoint writes the transaction's blocks to their places.
func (fs *FS) checkpoint(t *tx, blocks []uint64) error {
	for _, b := range blocks {
		if _, err := fs.wdev.WriteAt(t.blocks[b], int64(b)*int64(fs.blockSize)); err != nil {
			return fmt.Errorf("ext4: checkpoint of block %d: %w", b, err)
		}
	}
	return fs.syncDev()
}

// writeJSB stores the log start (0: empty) and the next sequence.
func (jw *journalWriter) writeJSB(start uint32) error {
	be := binary.BigEndian
	be.PutUint32(jw.j.sb[0x18:], jw.seq)
	be.PutUint32(jw.j.sb[0x1C:], start)
	if jw.j.incompat&(jbdIncompatCsumV2|jbdIncompatCsumV3) != 0 {
		be.PutUint32(jw.j.sb[jbdSuperChecksumOff:], 0)
		be.PutUint32(jw.j.sb[jbdSuperChecksumOff:], crc32c(^uint32(0), jw.j.sb[:1024]))
	}
	return jw.j.writeLog(0, jw.j.sb)
}

// writeLog writes journal block n (straight to the device).
func (j *journal) writeLog(n uint32, buf []byte) error {
	i := sort.Search(len(j.exts), func(i int) bool {
		return uint64(j.exts[i].Block)+uint64(j.exts[i].Len) > uint64(n)
	})
	if i == len(j.exts) || j.exts[i].Block > n {
		return corrupt("journal block %d is not mapped", n)
	}
	e := j.exts[i]
	b := e.Start + uint64(n-e.Block)
	j.fs.cache.drop(b, 1)
	if _, err := j.fs.wdev.WriteAt(buf, int64(b)*int64(j.fs.blockSize)); err != nil {
		return fmt.Errorf("ext4: writing journal block %d: %w", n, err)
	}
	return nil
}

// Close ends a read-write session: the superblock's needs_recovery flag,
// set while the file system is open for writing, is cleared.
func (fs *FS) Close() error {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.wdev == nil || fs.jw == nil {
		return fs.txErr
	}
	fs.sb.FeatureIncompat &^= IncompatRecover
	fs.sb.SetChecksum()
	if _, err := fs.wdev.WriteAt(fs.sb.Encode(), SuperblockOffset); err != nil {
		return err
	}
	fs.cache.reset()
	err := fs.syncDev()
	fs.wdev = nil
	return err
}

// Sync flushes the image to stable storage (every operation is already
// committed and checkpointed; this is the barrier fsync(2) asks for, also
// with Options.NoSync).
func (fs *FS) Sync() error {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.wdev == nil {
		return fs.txErr
	}
	if s, ok := fs.wdev.(syncer); ok {
		return s.Sync()
	}
	return nil
}
