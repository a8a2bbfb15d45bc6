package ext4

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// Metadata writes go through the journal, as jbd2 does it: write
// operations change metadata blocks in the running transaction (tx), in
// memory, and the transaction is committed to the jbd2 log as a whole
// (commitRunning): when it has been running for the commit interval (5
// seconds, jbd2's default), on Sync (fsync, fdatasync, sync, syncfs), at
// Close, and before an operation starts when it holds a quarter of the log
// (jbd2's largest transaction). A commit freezes the running transaction
// under FS.mu and writes it without the lock, as jbd2's commit thread
// does: operations meanwhile go on in a new running transaction, reads see
// the frozen one's blocks until its checkpoint is written, and the blocks
// it freed stay unused until it is committed. One commit runs at a time,
// in the order transactions were frozen. Each commit writes the log blocks, a
// device barrier (the image file's fsync), the commit block and a second
// barrier; then it writes the blocks in place (checkpoint) without a
// barrier: the next commit's first barrier makes them durable, and only
// then does the journal superblock let the log start after them. File
// data is written in place before the commit (ordered mode). A crash
// loses the running transaction; a committed one is replayed by the next
// open (or e2fsck); either way the image is consistent.
//
// A block freed while the last committed transaction (which recovery may
// still replay) holds a copy of it is revoked in the running one, so that
// a replay cannot overwrite what the block holds after its reuse as file
// data. A transaction that cannot fit the log even alone is refused: the
// commit fails, nothing of it is written, and the file system becomes
// read-only (as Linux aborts its journal).

// defaultCommitInterval is jbd2's JBD2_DEFAULT_MAX_COMMIT_AGE.
const defaultCommitInterval = 5 * time.Second

// tx is one transaction's metadata blocks.
type tx struct {
	// mu guards blocks and revoke: the writer holding FS.mu changes them
	// while readers (holding FS.mu for reading, or a File read without
	// it) look blocks up.
	mu sync.Mutex
	// blocks is the new contents of each block the transaction changed.
	blocks map[uint64][]byte
	// revoke is the blocks freed in this transaction that the live
	// committed transaction logged.
	revoke map[uint64]struct{}
}

func newTx() *tx {
	return &tx{blocks: map[uint64][]byte{}, revoke: map[uint64]struct{}{}}
}

// txReader serves the running transaction's blocks over the image, so
// that reads see what the transaction has written.
type txReader struct {
	base io.ReaderAt
	bs   int64
	// cur is the running transaction; frozen the one being committed,
	// whose blocks may not be in place yet.
	cur, frozen *atomic.Pointer[tx]
	// data is the buffered file data.
	data *atomic.Pointer[dataBuf]
	// afterRead is a test hook, called between a read of the image
	// and the overlays.
	afterRead func()
}

func (r *txReader) ReadAt(p []byte, off int64) (int, error) {
	// The transactions first: a frozen one still there after the read
	// of the image may have written its blocks in place meanwhile, but
	// one gone before it had.
	frozen, cur, data := r.frozen.Load(), r.cur.Load(), r.data.Load()
	n, err := r.base.ReadAt(p, off)
	if r.afterRead != nil {
		r.afterRead()
	}
	for !data.overlay(p[:n], off) {
		// The buffered data was flushed (and its blocks reused)
		// meanwhile: the device has it now.
		frozen, cur, data = r.frozen.Load(), r.cur.Load(), r.data.Load()
		n, err = r.base.ReadAt(p, off)
	}
	r.overlay(frozen, p[:n], off)
	r.overlay(cur, p[:n], off)
	return n, err
}

// overlay copies t's blocks over the bytes p read at off.
func (r *txReader) overlay(t *tx, p []byte, off int64) {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.blocks) > 0 {
		overlayBlocks(p, off, r.bs, t.block)
	}
}

// block returns t's copy of block b.
//
// Preconditions: t.mu is held, or t is frozen.
func (t *tx) block(b uint64) ([]byte, bool) {
	d, ok := t.blocks[b]
	return d, ok
}

// journalWriter is the state for writing transactions.
type journalWriter struct {
	j        *journal
	seq      uint32 // sequence of the running transaction
	csumSeed uint32 // crc32c of the journal UUID (csum v3)
	// head is the log block where the next transaction starts.
	head uint32
	// live is the last committed transaction, which the log still
	// holds (its checkpoint may not be durable yet): its log blocks
	// from liveStart (liveLen of them) and the blocks it logged. live
	// is guarded by FS.mu; the rest belongs to the commit in progress
	// (FS.committing), or to FS.mu's holder when there is none.
	live      map[uint64]struct{}
	liveStart uint32
	liveLen   uint32
	// crashAfterCommit is a test hook: stop after the commit block, as
	// if the machine died before the checkpoint.
	crashAfterCommit bool
	// keepLogStart is a test hook: once the log is not empty, the
	// journal superblock is not updated by commits, as if the writes
	// were lost, so that recovery replays every transaction since.
	keepLogStart bool
	// committed is a test hook, called after each commit.
	committed func()
	// run is where a commit joins neighbouring blocks for one device
	// write (flushRun bytes, kept: a new buffer's first touch of its
	// pages costs more than the copy). It belongs to the commit in
	// progress.
	run []byte
}

// runBuf returns the commit's empty run buffer.
func (jw *journalWriter) runBuf() []byte {
	if jw.run == nil {
		jw.run = make([]byte, 0, flushRun)
	}
	return jw.run[:0]
}

// capacity is the number of log blocks transactions can use.
func (jw *journalWriter) capacity() uint32 { return jw.j.maxlen - jw.j.first }

var errSimulatedCrash = errors.New("ext4: simulated crash after journal commit")

// startJournal prepares journaled writes; without a usable internal
// journal, writes go straight to their place.
func (fs *FS) startJournal() error {
	fs.dev = &txReader{base: fs.dev, bs: int64(fs.blockSize), cur: &fs.tx, frozen: &fs.frozen, data: &fs.data}
	fs.commitDone = sync.NewCond(&fs.mu)
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
	jw := &journalWriter{j: j, seq: be.Uint32(j.sb[0x18:]), head: j.first}
	if j.incompat&jbdIncompatCsumV3 != 0 {
		jw.csumSeed = crc32c(^uint32(0), j.sb[0x30:0x40])
	}
	fs.jw = jw
	fs.data.Store(newDataBuf(fs.blockSize, nil))
	return nil
}

// beginTx joins the running transaction (starting one if needed) for a
// write operation. A transaction holding a quarter of the log is
// committed first, as jbd2 bounds a transaction's size.
func (fs *FS) beginTx() {
	fs.opSeq++
	if fs.jw == nil || fs.txErr != nil || fs.wdev == nil {
		return
	}
	if t := fs.tx.Load(); t != nil {
		if uint32(len(t.blocks)+len(t.revoke)) < fs.jw.capacity()/4 {
			return
		}
		if fs.commitRunning() != nil {
			return // the operation fails on writable()
		}
		if fs.tx.Load() != nil {
			// Operations that ran while the commit had the lock
			// released started one: join it.
			return
		}
	}
	t := newTx()
	fs.tx.Store(t)
	interval := fs.commitInterval
	if interval == 0 {
		interval = defaultCommitInterval
	}
	fs.commitTimer = time.AfterFunc(interval, func() { fs.timedCommit(t) })
}

// endTx ends a write operation's part in the running transaction, which
// stays open for the next operations; it reports a journal error that
// made the file system read-only meanwhile.
func (fs *FS) endTx() error {
	if fs.txErr != nil {
		return fmt.Errorf("ext4: journal error: %w", fs.txErr)
	}
	return nil
}

// endTxInto is endTx for a deferred call: the journal error goes to
// *err unless the operation failed already.
func (fs *FS) endTxInto(err *error) {
	if cerr := fs.endTx(); *err == nil {
		*err = cerr
	}
}

// beginOp starts a write operation: fs.mu taken for writing, the running
// transaction joined. Operations end with a deferred endOp(&err).
func (fs *FS) beginOp() {
	fs.mu.Lock()
	fs.beginTx()
}

// endOp ends an operation beginOp started, reporting a journal error
// into *err (see endTx).
func (fs *FS) endOp(err *error) {
	fs.endTxInto(err)
	fs.mu.Unlock()
}

// writableInode returns inode ino for a write operation to change: EROFS
// (or the journal's error) when the file system takes no writes.
//
// Preconditions: fs.mu is held for writing.
func (fs *FS) writableInode(ino uint32) (*Inode, error) {
	if err := fs.writable(); err != nil {
		return nil, err
	}
	return fs.readInode(ino)
}

// timedCommit commits transaction t when the commit interval has passed
// and it is still running.
func (fs *FS) timedCommit(t *tx) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.tx.Load() == t && fs.wdev != nil {
		fs.commitRunning()
	}
}

// commitRunning commits the running transaction, after the commit in
// progress if there is one. The log writes and barriers run with mu
// released (operations go on meanwhile, in a new running transaction):
// callers call it where they hold no state read under mu. A failure
// leaves the file system read-only, as Linux does on a journal error.
//
// Preconditions: fs.mu is held for writing; it is released and taken
// again.
func (fs *FS) commitRunning() error {
	for fs.committing && fs.txErr == nil {
		fs.commitDone.Wait()
	}
	t := fs.tx.Load()
	if t == nil || fs.txErr != nil {
		return fs.txErr
	}
	if fs.commitTimer != nil {
		fs.commitTimer.Stop()
		fs.commitTimer = nil
	}
	// Ordered mode: the data the transaction's metadata points at goes
	// in place first (the commit's first barrier covers it).
	if err := fs.flushData(); err != nil {
		fs.wdev = nil
		fs.txErr = err
		return err
	}
	if err := fs.flushGroupDescs(); err != nil {
		fs.wdev = nil
		fs.txErr = err
		return err
	}
	if fs.sbDirty {
		if err := fs.flushSuper(); err != nil {
			fs.wdev = nil
			fs.txErr = err
			return err
		}
	}
	if len(t.blocks) == 0 && len(t.revoke) == 0 {
		fs.tx.Store(nil)
		fs.pendingFree = nil
		return nil
	}
	// Freeze t: reads find its blocks as fs.frozen until they are in
	// place, the blocks it freed wait in frozenFree, and the commit's
	// first barrier covers the data written so far.
	fs.committing = true
	fs.frozen.Store(t)
	fs.tx.Store(nil)
	fs.frozenFree, fs.pendingFree = fs.pendingFree, nil
	fs.dataDirty = false
	fs.mu.Unlock()
	blocks, err := fs.commit(t)
	fs.mu.Lock()
	fs.committing = false
	fs.commitDone.Broadcast()
	if err != nil {
		// The transaction stays visible to reads (fs.frozen): the
		// image no longer takes writes.
		fs.wdev = nil
		fs.txErr = err
		return err
	}
	fs.jw.live = make(map[uint64]struct{}, len(blocks))
	for _, b := range blocks {
		fs.jw.live[b] = struct{}{}
	}
	fs.frozen.Store(nil)
	fs.frozenFree = nil
	return nil
}

// metaWrite writes metadata bytes at off (within the file system's
// blocks): into the transaction when one is open.
func (fs *FS) metaWrite(p []byte, off int64) error { return fs.metaWriteChecked(p, off, false) }

// metaWriteChecked is metaWrite; checked says that p is whole directory
// blocks that pass checkDirBlock (their writer computed the checksums).
func (fs *FS) metaWriteChecked(p []byte, off int64, checked bool) error {
	bs := int64(fs.blockSize)
	for done := int64(0); done < int64(len(p)); {
		pos := off + done
		k := min(bs-pos%bs, int64(len(p))-done)
		fs.cache.update(uint64(pos/bs), int(pos%bs), p[done:done+k], checked)
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
		t.mu.Lock()
		b, ok := t.blocks[blk]
		if ok {
			// The common case: the transaction has the block.
			copy(b[in:], p[done:done+k])
			t.mu.Unlock()
			done += k
			continue
		}
		t.mu.Unlock()
		uncached := false
		if !ok {
			// The block's current contents: the cache's copy (which
			// has this write already) or the device's.
			b = make([]byte, bs)
			if !fs.cache.get(blk, b) {
				uncached = true
				// (A write of the whole block needs nothing of it.)
				if k < bs {
					if _, err := fs.dev.ReadAt(b, int64(blk)*bs); err != nil {
						return fmt.Errorf("ext4: reading block %d: %w", blk, err)
					}
				}
			}
		}
		t.mu.Lock()
		copy(b[in:], p[done:done+k])
		if !ok {
			t.blocks[blk] = b
			// Logged again: a replay must write it.
			delete(t.revoke, blk)
		}
		t.mu.Unlock()
		if uncached {
			// Read once: the next reads (a new inode's table block is
			// read right after its first write) find it cached.
			fs.cache.put(blk, b)
		}
		done += k
	}
	return nil
}

// txForget drops freed blocks from the running transaction, and revokes
// those that the live committed transaction logged.
func (fs *FS) txForget(start, n uint64) {
	fs.cache.drop(start, n)
	fs.forgetData(start, n)
	t := fs.tx.Load()
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	frozen := fs.frozen.Load()
	for b := start; b < start+n; b++ {
		delete(t.blocks, b)
		if _, ok := fs.jw.live[b]; ok || frozen.has(b) {
			// A replay of the committed (or committing) transaction
			// must not bring the block's old contents back.
			t.revoke[b] = struct{}{}
		}
	}
}

// eachBlock calls f with each block t (which may be nil) holds.
func (t *tx) eachBlock(f func(b uint64)) {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for b := range t.blocks {
		f(b)
	}
}

// has reports whether t (which may be nil) holds block b.
func (t *tx) has(b uint64) bool {
	if t == nil {
		return false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	_, ok := t.blocks[b]
	return ok
}

type syncer interface{ Sync() error }

// syncDev is a device barrier (the image file's fsync). Callers holding
// FS.mu clear dataDirty.
func (fs *FS) syncDev() error {
	if fs.noSync {
		return nil
	}
	if s, ok := fs.wdev.(syncer); ok {
		return s.Sync()
	}
	return nil
}

// commit writes t, frozen, to the log (after the live transaction), then
// in place, and returns the blocks it logged.
//
// Preconditions: fs.committing was set by the caller (so that no other
// commit runs); FS.mu is not held.
func (fs *FS) commit(t *tx) ([]uint64, error) {
	jw := fs.jw
	j := jw.j
	blocks := make([]uint64, 0, len(t.blocks))
	for b := range t.blocks {
		blocks = append(blocks, b)
	}
	sort.Slice(blocks, func(a, b int) bool { return blocks[a] < blocks[b] })
	revokes := make([]uint64, 0, len(t.revoke))
	for b := range t.revoke {
		revokes = append(revokes, b)
	}
	sort.Slice(revokes, func(a, b int) bool { return revokes[a] < revokes[b] })
	csum := j.incompat&jbdIncompatCsumV3 != 0
	tail := 0
	if csum {
		tail = 4
	}
	recSize := 4
	if j.incompat&jbdIncompat64Bit != 0 {
		recSize = 8
	}
	perDesc := (j.bs - 12 - tail - 16) / j.tagBytes
	perRevoke := (j.bs - 16 - tail) / recSize
	need := uint32(len(blocks)+(len(blocks)+perDesc-1)/perDesc+(len(revokes)+perRevoke-1)/perRevoke) + 1
	if need > jw.capacity() {
		return nil, fmt.Errorf("ext4: a transaction of %d log blocks does not fit the %d-block journal: %w", need, jw.capacity(), unix.ENOSPC)
	}
	if jw.liveLen > 0 && need > jw.capacity()-jw.liveLen {
		// No room after the live transaction: make its checkpoint
		// durable and empty the log first.
		if err := fs.syncDev(); err != nil {
			return nil, err
		}
		if err := jw.writeJSB(0, jw.seq); err != nil {
			return nil, err
		}
		if err := fs.syncDev(); err != nil {
			return nil, err
		}
		jw.liveLen = 0 // (live, under FS.mu, is replaced after this commit)
	}
	be := binary.BigEndian
	start := jw.head
	pos := start
	// Log blocks that follow each other on the device go out in one
	// write (flushLog, before each barrier).
	bs := int64(fs.blockSize)
	pend := jw.runBuf()
	var pendAt int64
	flushLog := func() error {
		if len(pend) == 0 {
			return nil
		}
		_, err := fs.wdev.WriteAt(pend, pendAt)
		pend = pend[:0]
		if err != nil {
			return fmt.Errorf("ext4: writing the journal at %d: %w", pendAt, err)
		}
		return nil
	}
	logWrite := func(buf []byte) error {
		b, err := j.logBlock(pos)
		if err != nil {
			return err
		}
		pos = j.next(pos)
		fs.cache.drop(b, 1)
		at := int64(b) * bs
		if len(pend) > 0 && (pendAt+int64(len(pend)) != at || len(pend)+len(buf) > flushRun) {
			if err := flushLog(); err != nil {
				return err
			}
		}
		if len(pend) == 0 {
			pendAt = at
		}
		pend = append(pend, buf...)
		return nil
	}
	for i := 0; i < len(revokes); i += perRevoke {
		chunk := revokes[i:min(i+perRevoke, len(revokes))]
		rb := make([]byte, j.bs)
		be.PutUint32(rb[0:], JournalMagic)
		be.PutUint32(rb[4:], jbdRevoke)
		be.PutUint32(rb[8:], jw.seq)
		off := 16
		for _, b := range chunk {
			if recSize == 8 {
				be.PutUint64(rb[off:], b)
			} else {
				be.PutUint32(rb[off:], uint32(b))
			}
			off += recSize
		}
		be.PutUint32(rb[12:], uint32(off))
		if csum {
			be.PutUint32(rb[j.bs-4:], crc32c(jw.csumSeed, rb))
		}
		if err := logWrite(rb); err != nil {
			return nil, err
		}
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
			return nil, err
		}
		for _, b := range chunk {
			data := t.blocks[b]
			if be.Uint32(data) == JournalMagic {
				data = append([]byte(nil), data...)
				be.PutUint32(data, 0)
			}
			if err := logWrite(data); err != nil {
				return nil, err
			}
		}
	}
	if err := flushLog(); err != nil {
		return nil, err
	}
	// Barrier: file data, the log blocks and the live transaction's
	// checkpoint are on stable storage before the commit block.
	if err := fs.syncDev(); err != nil {
		return nil, err
	}
	// The live transaction is checkpointed: the log starts with this
	// one. (If the superblock reaches the disk and the commit block
	// does not, recovery finds nothing committed, which is right.)
	if !jw.keepLogStart || binary.BigEndian.Uint32(j.sb[0x1C:]) == 0 {
		if err := jw.writeJSB(start, jw.seq); err != nil {
			return nil, err
		}
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
	if err := logWrite(commit); err != nil {
		return nil, err
	}
	if err := flushLog(); err != nil {
		return nil, err
	}
	if err := fs.syncDev(); err != nil {
		return nil, err
	}
	if jw.crashAfterCommit {
		return nil, errSimulatedCrash
	}
	if err := fs.checkpoint(t, blocks); err != nil {
		return nil, err
	}
	jw.liveStart, jw.liveLen = start, need
	jw.head = pos
	jw.seq++
	if jw.committed != nil {
		jw.committed()
	}
	return blocks, nil
}

// checkpoint writes the transaction's blocks (sorted) to their places,
// made durable by the next barrier: runs of neighbouring blocks (inode
// tables, bitmaps) in one device write each.
func (fs *FS) checkpoint(t *tx, blocks []uint64) error {
	joined := fs.jw.runBuf()
	err := writeRuns(fs.wdev, blocks, int64(fs.blockSize), func(run []uint64) []byte {
		if len(run) == 1 {
			return t.blocks[run[0]]
		}
		joined = joinBlocks(joined, run, t.block)
		return joined
	})
	if err != nil {
		return fmt.Errorf("ext4: checkpoint of %w", err)
	}
	return nil
}

// writeJSB stores the log start (0: empty) and the sequence of the
// transaction there (or of the next one).
func (jw *journalWriter) writeJSB(start, seq uint32) error {
	be := binary.BigEndian
	be.PutUint32(jw.j.sb[0x18:], seq)
	be.PutUint32(jw.j.sb[0x1C:], start)
	if jw.j.incompat&(jbdIncompatCsumV2|jbdIncompatCsumV3) != 0 {
		be.PutUint32(jw.j.sb[jbdSuperChecksumOff:], 0)
		be.PutUint32(jw.j.sb[jbdSuperChecksumOff:], crc32c(^uint32(0), jw.j.sb[:1024]))
	}
	return jw.j.writeLog(0, jw.j.sb)
}

// logBlock returns the device block of journal block n.
func (j *journal) logBlock(n uint32) (uint64, error) {
	i := sort.Search(len(j.exts), func(i int) bool {
		return uint64(j.exts[i].Block)+uint64(j.exts[i].Len) > uint64(n)
	})
	if i == len(j.exts) || j.exts[i].Block > n {
		return 0, corrupt("journal block %d is not mapped", n)
	}
	e := j.exts[i]
	return e.Start + uint64(n-e.Block), nil
}

// writeLog writes journal block n (straight to the device).
func (j *journal) writeLog(n uint32, buf []byte) error {
	b, err := j.logBlock(n)
	if err != nil {
		return err
	}
	j.fs.cache.drop(b, 1)
	if _, err := j.fs.wdev.WriteAt(buf, int64(b)*int64(j.fs.blockSize)); err != nil {
		return fmt.Errorf("ext4: writing journal block %d: %w", n, err)
	}
	return nil
}

// Close ends a read-write session: the running transaction is committed
// and checkpointed, the log emptied, and the superblock's needs_recovery
// flag, set while the file system is open for writing, cleared.
func (fs *FS) Close() error {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.wdev == nil || fs.jw == nil {
		return fs.txErr
	}
	// Operations that ran while a commit had the lock released joined a
	// new transaction: commit until none is left.
	for fs.tx.Load() != nil || fs.committing {
		if err := fs.commitRunning(); err != nil {
			return err
		}
	}
	if err := fs.flushData(); err != nil {
		return err
	}
	if err := fs.syncDev(); err != nil {
		return err
	}
	fs.dataDirty = false
	if err := fs.jw.writeJSB(0, fs.jw.seq); err != nil {
		return err
	}
	fs.jw.live, fs.jw.liveLen = nil, 0
	fs.sb.FeatureIncompat &^= IncompatRecover
	fs.sb.SetChecksum()
	if _, err := fs.wdev.WriteAt(fs.sb.Encode(), SuperblockOffset); err != nil {
		return err
	}
	fs.cache.reset()
	fs.forgetExtents(0)
	fs.blockHint, fs.inodeHint = nil, nil
	err := fs.syncDev()
	fs.dataDirty = false
	fs.wdev = nil
	return err
}

// Sync commits the running transaction and flushes the image to stable
// storage: fsync(2), fdatasync(2), sync(2) and syncfs(2). With
// Options.NoSync the commit is made but the device is not flushed.
func (fs *FS) Sync() error {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.wdev == nil {
		return fs.txErr
	}
	if err := fs.flushData(); err != nil {
		return err
	}
	t := fs.tx.Load()
	commits := t != nil && (len(t.blocks) > 0 || len(t.revoke) > 0 || fs.sbDirty || len(fs.gdPending) > 0)
	dataDirty := fs.dataDirty
	if err := fs.commitRunning(); err != nil {
		return err
	}
	if commits || !dataDirty {
		return nil // a commit has its barriers
	}
	if fs.wdev == nil {
		return fs.txErr
	}
	fs.dataDirty = false
	if err := fs.syncDev(); err != nil {
		fs.dataDirty = true
		return err
	}
	return nil
}
