package ext4

import (
	"fmt"
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
// (its blocks are then reused) and replaces the FS's buffer with an
// empty one: a reader that loaded this one before reading the device and
// finds it flushed when it overlays it reads again (txReader), since
// the device read may predate the flush.
type dataBuf struct {
	// mu guards blocks and flushed: the writer holding FS.mu changes
	// them while readers (File reads without FS.mu) overlay the blocks.
	mu      sync.Mutex
	blocks  map[uint64][]byte
	flushed bool
}

// overlay copies the buffered blocks over the bytes p read at off; false
// if the buffer was flushed meanwhile (the caller reads again).
func (d *dataBuf) overlay(p []byte, off, bs int64) bool {
	if d == nil {
		return true
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.flushed {
		return false
	}
	if len(d.blocks) == 0 {
		return true
	}
	for done := int64(0); done < int64(len(p)); {
		pos := off + done
		in := pos % bs
		k := min(bs-in, int64(len(p))-done)
		if b, ok := d.blocks[uint64(pos/bs)]; ok {
			copy(p[done:done+k], b[in:])
		}
		done += k
	}
	return true
}

// buffered reports whether a write of n bytes waits in the buffer.
func (fs *FS) buffered(n int) bool {
	return fs.jw != nil && n < dataBufDirect && fs.data.Load() != nil
}

// bufferData puts a data write of p at byte offset off into the buffer.
// A block the write covers in part and the buffer lacks is read first.
//
// Preconditions: fs.mu is held for writing.
func (fs *FS) bufferData(p []byte, off int64) error {
	d := fs.data.Load()
	bs := int64(fs.blockSize)
	for done := int64(0); done < int64(len(p)); {
		pos := off + done
		blk := uint64(pos / bs)
		in := pos % bs
		k := min(bs-in, int64(len(p))-done)
		d.mu.Lock()
		b, ok := d.blocks[blk]
		d.mu.Unlock()
		if !ok {
			b = fs.newDataBlock()
			if k < bs {
				if _, err := fs.dev.ReadAt(b, int64(blk)*bs); err != nil {
					return fmt.Errorf("ext4: reading data block %d: %w", blk, err)
				}
			}
		}
		d.mu.Lock()
		copy(b[in:], p[done:done+k])
		if !ok {
			d.blocks[blk] = b
		}
		d.mu.Unlock()
		done += k
	}
	if len(d.blocks)*fs.blockSize >= dataBufMax {
		return fs.flushDataKeep(true)
	}
	return nil
}

// dataFreeMax is how many flushed blocks are kept for reuse.
const dataFreeMax = 512

// newDataBlock returns a block for the buffer: one a flush freed, or a
// new one (its contents are stale: the caller fills all of it).
func (fs *FS) newDataBlock() []byte {
	if n := len(fs.dataFree); n > 0 {
		b := fs.dataFree[n-1]
		fs.dataFree = fs.dataFree[:n-1]
		return b
	}
	return make([]byte, fs.blockSize)
}

// directData applies a write that goes straight to the device to the
// buffered blocks it touches, so that a later flush does not bring their
// old bytes back.
//
// Preconditions: fs.mu is held for writing.
func (fs *FS) directData(p []byte, off int64) {
	d := fs.data.Load()
	if d == nil {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.blocks) == 0 {
		return
	}
	bs := int64(fs.blockSize)
	for done := int64(0); done < int64(len(p)); {
		pos := off + done
		in := pos % bs
		k := min(bs-in, int64(len(p))-done)
		if b, ok := d.blocks[uint64(pos/bs)]; ok {
			copy(b[in:], p[done:done+k])
		}
		done += k
	}
}

// forgetData drops freed blocks from the buffer.
func (fs *FS) forgetData(start, n uint64) {
	d := fs.data.Load()
	if d == nil {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.blocks) == 0 {
		return
	}
	for b := start; b < start+n; b++ {
		delete(d.blocks, b)
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
// buffer filled up), so the blocks are kept for them rather than left to
// the collector.
func (fs *FS) flushDataKeep(keep bool) error {
	if !keep {
		fs.dataFree = nil
	}
	d := fs.data.Load()
	if d == nil || len(d.blocks) == 0 {
		return nil
	}
	blocks := make([]uint64, 0, len(d.blocks))
	for b := range d.blocks {
		blocks = append(blocks, b)
	}
	slices.Sort(blocks)
	bs := int64(fs.blockSize)
	var run []byte
	for i := 0; i < len(blocks); {
		j := i + 1
		for j < len(blocks) && blocks[j] == blocks[j-1]+1 && int64(j-i+1)*bs <= flushRun {
			j++
		}
		var out []byte
		if j == i+1 {
			out = d.blocks[blocks[i]]
		} else {
			if run == nil {
				run = make([]byte, 0, flushRun)
			}
			out = run[:0]
			for _, b := range blocks[i:j] {
				out = append(out, d.blocks[b]...)
			}
		}
		fs.dataDirty = true
		if _, err := fs.wdev.WriteAt(out, int64(blocks[i])*bs); err != nil {
			return fmt.Errorf("ext4: writing file data at block %d: %w", blocks[i], err)
		}
		i = j
	}
	fs.data.Store(&dataBuf{blocks: make(map[uint64][]byte, len(blocks))})
	d.mu.Lock()
	d.flushed = true
	if keep {
		for _, b := range d.blocks {
			if len(fs.dataFree) >= dataFreeMax {
				break
			}
			fs.dataFree = append(fs.dataFree, b)
		}
	}
	d.blocks = nil
	d.mu.Unlock()
	return nil
}
