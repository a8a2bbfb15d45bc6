package ext4

import (
	"fmt"
	"io"
	"slices"
	"sync"
)

// File data written by small writes waits in memory, whole blocks by
// block number, until it is written in place in batches: when the
// buffer holds dataBufMax bytes, and before every journal commit (whose
// first barrier then covers it, which is what ordered mode asks), Sync
// and Close. A create and its small write thus cost no host system call
// each; neighbouring blocks (the data of files created one after another)
// go out in one write. Writes of dataBufDirect bytes or more go straight
// to the device, as before (the data is already in the program's pages:
// copying it into the buffer first would only add a copy). Reads of file
// data see the buffered blocks (txReader overlays them), and a block
// freed while buffered leaves the buffer (txForget).
//
// Only file systems with a journal buffer data: without one, metadata is
// written in place at once and data stays in step with it.

// dataBufMax is how much buffered data (in bytes) makes the writer
// flush the buffer.
const dataBufMax = 2 << 20

// dataBufDirect is the write size from which data goes straight to the
// device.
const dataBufDirect = 64 << 10

// dataBuf is buffered file data. A flush writes it, marks it flushed
// and replaces the FS's buffer with an empty one that reuses its arena: a
// reader that loaded this one before reading the device and finds it
// flushed when it overlays it reads again (txReader), since the device
// read may predate the flush.
type dataBuf struct {
	// mu guards slots, arena and flushed: the writer holding FS.mu
	// changes them while readers (File reads without FS.mu) overlay the
	// blocks.
	mu sync.Mutex
	// slots maps each buffered block's number to its slot in arena.
	slots map[uint64]int
	// arena holds the blocks, slot i at i*bs: the blocks of files
	// created one after another are neighbours on the device and in the
	// arena, and a flush writes them from it without joining them.
	arena   []byte
	flushed bool
	bs      int
}

func newDataBuf(bs int, arena []byte) *dataBuf {
	return &dataBuf{slots: map[uint64]int{}, arena: arena[:0], bs: bs}
}

// block returns buffered block blk.
//
// Preconditions: d.mu is held.
func (d *dataBuf) block(blk uint64) ([]byte, bool) {
	i, ok := d.slots[blk]
	if !ok {
		return nil, false
	}
	return d.arena[i*d.bs : (i+1)*d.bs], true
}

// add buffers block blk in a new slot and returns it (its bytes are
// stale: the caller fills all of it).
//
// Preconditions: d.mu is held.
func (d *dataBuf) add(blk uint64) []byte {
	i := len(d.arena) / d.bs
	if len(d.arena)+d.bs > cap(d.arena) {
		d.arena = slices.Grow(d.arena, max(dataBufMax+dataBufDirect, 2*cap(d.arena)))
	}
	d.arena = d.arena[:len(d.arena)+d.bs]
	d.slots[blk] = i
	return d.arena[i*d.bs : (i+1)*d.bs]
}

// overlay copies the buffered blocks over the bytes p read at off; false
// if the buffer was flushed meanwhile (the caller reads again).
func (d *dataBuf) overlay(p []byte, off int64) bool {
	if d == nil {
		return true
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.flushed {
		return false
	}
	if len(d.slots) > 0 {
		overlayBlocks(p, off, int64(d.bs), d.block)
	}
	return true
}

// overlayBlocks copies the blocks that get finds over the bytes p read
// at byte offset off.
func overlayBlocks(p []byte, off, bs int64, get func(blk uint64) ([]byte, bool)) {
	for done := int64(0); done < int64(len(p)); {
		pos := off + done
		in := pos % bs
		k := min(bs-in, int64(len(p))-done)
		if b, ok := get(uint64(pos / bs)); ok {
			copy(p[done:done+k], b[in:])
		}
		done += k
	}
}

// buffered reports whether a write of n bytes waits in the buffer.
func (fs *FS) buffered(n int) bool {
	return fs.jw != nil && n < dataBufDirect && fs.data.Load() != nil
}

// bufferData puts a data write of p at byte offset off into the buffer.
// A block the write covers in part and the buffer lacks is read first,
// unless fresh says that it was just allocated (its other bytes are
// zeros).
//
// Preconditions: fs.mu is held for writing.
func (fs *FS) bufferData(p []byte, off int64, fresh bool) error {
	d := fs.data.Load()
	bs := int64(fs.blockSize)
	for done := int64(0); done < int64(len(p)); {
		pos := off + done
		blk := uint64(pos / bs)
		in := pos % bs
		k := min(bs-in, int64(len(p))-done)
		d.mu.Lock()
		b, ok := d.block(blk)
		d.mu.Unlock()
		var old []byte
		if !ok && !fresh && k < bs {
			old = fs.blockBuf()
			if _, err := fs.dev.ReadAt(old, int64(blk)*bs); err != nil {
				fs.putBlockBuf(old)
				return fmt.Errorf("ext4: reading data block %d: %w", blk, err)
			}
		}
		d.mu.Lock()
		if !ok {
			b = d.add(blk)
			if old != nil {
				copy(b, old)
			} else if k < bs {
				clear(b)
			}
		}
		copy(b[in:], p[done:done+k])
		d.mu.Unlock()
		if old != nil {
			fs.putBlockBuf(old)
		}
		done += k
	}
	// (The arena, not the blocks still buffered: slots of blocks freed
	// meanwhile are reused only after the flush.)
	if len(d.arena) >= dataBufMax {
		return fs.flushDataKeep(true)
	}
	return nil
}

// directData applies a write that goes straight to the device to the
// buffered blocks it touches, so that a later flush does not bring their
// old bytes back.
//
// Preconditions: fs.mu is held for writing.
func (fs *FS) directData(p []byte, off int64) {
	d := fs.lockedData()
	if d == nil {
		return
	}
	defer d.mu.Unlock()
	bs := int64(fs.blockSize)
	for done := int64(0); done < int64(len(p)); {
		pos := off + done
		in := pos % bs
		k := min(bs-in, int64(len(p))-done)
		if b, ok := d.block(uint64(pos / bs)); ok {
			copy(b[in:], p[done:done+k])
		}
		done += k
	}
}

// lockedData returns the data buffer locked (d.mu), or nil if nothing
// is buffered.
func (fs *FS) lockedData() *dataBuf {
	d := fs.data.Load()
	if d == nil {
		return nil
	}
	d.mu.Lock()
	if len(d.slots) == 0 {
		d.mu.Unlock()
		return nil
	}
	return d
}

// forgetData drops freed blocks from the buffer.
func (fs *FS) forgetData(start, n uint64) {
	d := fs.lockedData()
	if d == nil {
		return
	}
	defer d.mu.Unlock()
	for b := start; b < start+n; b++ {
		delete(d.slots, b)
	}
}

// flushRun is the most bytes one device write of a flush carries.
const flushRun = 1 << 20

// flushData writes the buffered blocks in place, runs of neighbouring
// blocks in one device write each, and starts an empty buffer. A write
// error leaves the buffer as it was.
//
// Preconditions: fs.mu is held for writing.
func (fs *FS) flushData() error { return fs.flushDataKeep(false) }

// flushDataKeep is flushData; keep says that more writes are coming (the
// buffer filled up), so the new buffer reuses the arena rather than
// leaving it to the collector.
func (fs *FS) flushDataKeep(keep bool) error {
	d := fs.data.Load()
	if d == nil || len(d.arena) == 0 {
		return nil
	}
	blocks := make([]uint64, 0, len(d.slots))
	for b := range d.slots {
		blocks = append(blocks, b)
	}
	slices.Sort(blocks)
	if len(blocks) > 0 {
		fs.dataDirty = true
	}
	var joined []byte
	err := writeRuns(fs.wdev, blocks, int64(fs.blockSize), func(run []uint64) []byte {
		// The run straight from the arena when its slots are in order
		// too (written in the order of the blocks), else joined.
		first := d.slots[run[0]]
		for i, b := range run {
			if d.slots[b] != first+i {
				joined = joinBlocks(joined, run, d.block)
				return joined
			}
		}
		return d.arena[first*d.bs : (first+len(run))*d.bs]
	})
	if err != nil {
		return fmt.Errorf("ext4: writing file data: %w", err)
	}
	var arena []byte
	if keep {
		arena = d.arena
	}
	fs.data.Store(newDataBuf(fs.blockSize, arena))
	d.mu.Lock()
	d.flushed = true
	d.slots, d.arena = nil, nil
	d.mu.Unlock()
	return nil
}

// writeRuns writes blocks (sorted, of bs bytes) to w in place, each run
// of neighbouring blocks (at most flushRun bytes) in one write of the
// bytes data gives for it.
func writeRuns(w io.WriterAt, blocks []uint64, bs int64, data func(run []uint64) []byte) error {
	for i := 0; i < len(blocks); {
		j := i + 1
		for j < len(blocks) && blocks[j] == blocks[j-1]+1 && int64(j-i+1)*bs <= flushRun {
			j++
		}
		if _, err := w.WriteAt(data(blocks[i:j]), int64(blocks[i])*bs); err != nil {
			return fmt.Errorf("blocks %d-%d: %w", blocks[i], blocks[j-1], err)
		}
		i = j
	}
	return nil
}

// joinBlocks returns the blocks of run, from get, one after another in
// buf's memory (grown as needed).
func joinBlocks(buf []byte, run []uint64, get func(uint64) ([]byte, bool)) []byte {
	buf = buf[:0]
	if d, _ := get(run[0]); cap(buf) < len(run)*len(d) {
		buf = make([]byte, 0, max(len(run)*len(d), flushRun))
	}
	for _, b := range run {
		d, _ := get(b)
		buf = append(buf, d...)
	}
	return buf
}
