package vfs

import "golang.org/x/sys/unix"

// IOChunk is the size of the kernel buffer ReadTo and WriteFrom copy
// through, so that a large read or write never allocates the user's
// length at once.
const IOChunk = 64 << 10

// MaxRWCount is the most one read or write transfers (Linux's
// MAX_RW_COUNT).
const MaxRWCount = 0x7ffff000

// StreamReader is implemented by stream file operations that carry out a
// whole read(2) themselves, copying straight from their buffers to sink
// (pipes: one read returns everything buffered, up to n, not one chunk).
// n is at most MaxRWCount and not zero. It returns the bytes sink took,
// or an error if none.
type StreamReader interface {
	ReadToSink(ctx Context, f *File, n int64, sink func([]byte) (int, error)) (int64, error)
}

// StreamWriter is StreamReader's counterpart for write(2): source fills
// the buffer it is given (fewer bytes and an error when the user memory
// faults).
type StreamWriter interface {
	WriteFromSource(ctx Context, f *File, n int64, source func([]byte) (int, error)) (int64, error)
}

// readTo is ReadTo without the event it reports.
func (f *File) readTo(ctx Context, n int64, off int64, sink func([]byte) (int, error)) (int64, error) {
	if err := f.checkRead(); err != nil {
		return 0, err
	}
	if off >= 0 && f.stream {
		return 0, unix.ESPIPE
	}
	if n > MaxRWCount {
		n = MaxRWCount
	}
	if n == 0 {
		return 0, nil
	}
	if sr, ok := f.ops.(StreamReader); ok && f.stream {
		return sr.ReadToSink(ctx, f, n, sink)
	}
	pos := off
	if !f.stream && off < 0 {
		f.posMu.Lock()
		defer f.posMu.Unlock()
		pos = f.offset
	}
	buf := make([]byte, min(n, IOChunk))
	var total int64
	for total < n {
		chunk := buf[:min(n-total, int64(len(buf)))]
		m, err := f.readOps(ctx, chunk, pos)
		if m > 0 {
			took, serr := sink(chunk[:m])
			total += int64(took)
			pos += int64(took)
			if !f.stream && off < 0 {
				f.offset = pos
			}
			if serr != nil {
				if total == 0 {
					return 0, serr
				}
				return total, nil
			}
		}
		if err != nil {
			if total == 0 {
				return 0, err
			}
			return total, nil
		}
		if m < len(chunk) || f.stream {
			break
		}
	}
	return total, nil
}

// writeFrom is WriteFrom without the event it reports.
func (f *File) writeFrom(ctx Context, n int64, off int64, source func([]byte) (int, error)) (int64, error) {
	if err := f.checkWrite(); err != nil {
		return 0, err
	}
	if off >= 0 && f.stream {
		return 0, unix.ESPIPE
	}
	if n > MaxRWCount {
		n = MaxRWCount
	}
	if n == 0 {
		return 0, nil
	}
	if sw, ok := f.ops.(StreamWriter); ok && f.stream {
		return sw.WriteFromSource(ctx, f, n, source)
	}
	if err := f.removePrivs(ctx); err != nil {
		return 0, err
	}
	useOffset := !f.stream && off < 0
	pos := off
	if useOffset {
		f.posMu.Lock()
		defer f.posMu.Unlock()
		pos = f.offset
	}
	app, _ := f.ops.(Appender)
	appending := app != nil && !f.stream && f.Flags()&unix.O_APPEND != 0
	buf := make([]byte, min(n, IOChunk))
	var total int64
	for total < n {
		filled, serr := source(buf[:min(n-total, int64(len(buf)))])
		var w int
		var err error
		if filled > 0 {
			if appending {
				var end int64
				w, end, err = f.writeOps(ctx, buf[:filled], 0, app)
				if w > 0 || err == nil {
					pos = end
				}
			} else {
				w, _, err = f.writeOps(ctx, buf[:filled], pos, nil)
				pos += int64(w)
			}
			total += int64(w)
			if useOffset {
				f.offset = pos
			}
		}
		if err == nil && serr != nil && total == 0 {
			err = serr
		}
		if err != nil {
			if total == 0 {
				return 0, err
			}
			return total, nil
		}
		if serr != nil || w < filled || filled == 0 {
			break
		}
	}
	return total, nil
}
