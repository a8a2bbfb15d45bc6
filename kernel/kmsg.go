package kernel

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/vfs"
)

// /dev/kmsg (1:11): the kernel log, one record per read, as Linux's
// devkmsg. Each open file has its own position (a record's sequence
// number), starting at the oldest record kept.

// KmsgMajor and KmsgMinor are /dev/kmsg's device number.
const (
	KmsgMajor = 1
	KmsgMinor = 11
)

// RegisterKmsg installs /dev/kmsg's driver in v.
func (k *Kernel) RegisterKmsg(v *vfs.VirtualFilesystem) {
	v.RegisterDevice(unix.S_IFCHR, KmsgMajor, KmsgMinor, func(ctx vfs.Context, _ uint64, flags int) (vfs.FileOperations, error) {
		// Reading needs what SYSLOG_ACTION_READ_ALL needs (CAP_SYSLOG
		// with dmesg_restrict); writing needs nothing more than the
		// node's mode.
		if flags&unix.O_ACCMODE != unix.O_WRONLY && !ctx.Credentials().HasGlobalCapability(unix.CAP_SYSLOG) {
			return nil, unix.EPERM
		}
		l := &k.klog
		l.mu.Lock()
		defer l.mu.Unlock()
		return &kmsgFile{k: k, seq: l.firstLocked()}, nil
	})
}

// kmsgFile is an open /dev/kmsg.
type kmsgFile struct {
	vfs.FileDefaults
	k *Kernel
	// seq is the next record to read. Guarded by k.klog.mu.
	seq uint64
}

// kmsgRecord is r as /dev/kmsg reads it: "PRIO,SEQ,USEC,-;TEXT\n", the
// text's non-printable bytes and backslashes escaped as \xNN.
func kmsgRecord(r *klogRecord) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d,%d,%d,-;", r.facility<<3|r.level, r.seq, r.at.Microseconds())
	for i := 0; i < len(r.text); i++ {
		c := r.text[i]
		if c < ' ' || c >= 0x7f || c == '\\' {
			fmt.Fprintf(&b, "\\x%02x", c)
			continue
		}
		b.WriteByte(c)
	}
	b.WriteByte('\n')
	return b.String()
}

// Read implements vfs.FileOperations: the next record whole (EINVAL if
// dst cannot hold it, and it is read all the same, as Linux 6.x); EPIPE once if records were
// lost since the last read (the position moves to the oldest kept);
// with none, EAGAIN for O_NONBLOCK or a wait.
func (f *kmsgFile) Read(ctx vfs.Context, vf *vfs.File, dst []byte, _ int64) (int, error) {
	l := &f.k.klog
	for {
		l.mu.Lock()
		if first := l.firstLocked(); f.seq < first {
			f.seq = first
			l.mu.Unlock()
			return 0, unix.EPIPE
		}
		if f.seq < l.next {
			// The record is read even if it does not fit.
			text := kmsgRecord(&l.fromLocked(f.seq)[0])
			f.seq++
			l.mu.Unlock()
			if len(text) > len(dst) {
				return 0, unix.EINVAL
			}
			return copy(dst, text), nil
		}
		if vf.Flags()&unix.O_NONBLOCK != 0 {
			l.mu.Unlock()
			return 0, unix.EAGAIN
		}
		if l.more == nil {
			l.more = make(chan struct{})
		}
		more := l.more
		l.mu.Unlock()
		if err := ctx.BlockOn(more); err != nil {
			return 0, err
		}
	}
}

// Write implements vfs.FileOperations: the text is one record, at the
// level of a leading "<N>" (its facility too unless that is the
// kernel's), else at level 4 (default_message_loglevel) of facility 1
// (LOG_USER); a trailing newline is dropped.
func (f *kmsgFile) Write(_ vfs.Context, _ *vfs.File, src []byte, _ int64) (int, error) {
	text := string(src)
	level, facility := 4, 1
	if strings.HasPrefix(text, "<") {
		if end := strings.IndexByte(text, '>'); end > 1 {
			if u, err := strconv.ParseUint(text[1:end], 10, 32); err == nil {
				level = int(u & 7)
				if u>>3 != 0 {
					facility = int(u >> 3)
				}
				text = text[end+1:]
			}
		}
	}
	text = strings.TrimSuffix(text, "\n")
	l := &f.k.klog
	l.mu.Lock()
	l.printkLocked(facility, level, time.Since(f.k.bootTime), text)
	l.mu.Unlock()
	l.readers.Notify(unix.POLLIN | pollRdNorm)
	return len(src), nil
}

// Seek implements vfs.FileOperations: only offset 0, from SEEK_SET (the
// oldest record), SEEK_DATA (the first after the last
// SYSLOG_ACTION_CLEAR) or SEEK_END (after the newest); the file offset
// stays 0.
func (f *kmsgFile) Seek(_ vfs.Context, _ *vfs.File, _, off int64, whence int) (int64, error) {
	if off != 0 {
		return 0, unix.ESPIPE
	}
	l := &f.k.klog
	l.mu.Lock()
	defer l.mu.Unlock()
	switch whence {
	case unix.SEEK_SET:
		f.seq = l.firstLocked()
	case unix.SEEK_DATA:
		f.seq = max(l.clearSeq, l.firstLocked())
	case unix.SEEK_END:
		f.seq = l.next
	default:
		return 0, unix.EINVAL
	}
	return 0, nil
}

// Readiness implements vfs.Waitable: readable when a record is next,
// with POLLERR and POLLPRI too when records were lost.
func (f *kmsgFile) Readiness(mask uint32) uint32 {
	l := &f.k.klog
	l.mu.Lock()
	defer l.mu.Unlock()
	var ev uint32
	if f.seq < l.next {
		ev = unix.POLLIN | pollRdNorm
		if f.seq < l.firstLocked() {
			ev |= unix.POLLERR | unix.POLLPRI
		}
	}
	return ev & (mask | unix.POLLERR)
}

// EventRegister implements vfs.Waitable.
func (f *kmsgFile) EventRegister(e *vfs.WaitEntry) { f.k.klog.readers.EventRegister(e) }

// EventUnregister implements vfs.Waitable.
func (f *kmsgFile) EventUnregister(e *vfs.WaitEntry) { f.k.klog.readers.EventUnregister(e) }
