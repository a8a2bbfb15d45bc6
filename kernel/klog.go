package kernel

import (
	"fmt"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/fs/proc"
	"github.com/kite-os/kite/vfs"
)

// Kernel log levels (KERN_*).
const (
	LogErr    = 3
	LogNotice = 5
	LogInfo   = 6
)

// KlogBufferLen is the size of the kernel log buffer syslog(2)'s
// SYSLOG_ACTION_SIZE_BUFFER reports (Linux's default of 2^17 bytes).
// The log keeps as many of the newest records as fit in it, formatted.
const KlogBufferLen = 1 << 17

// klogRecord is one message of the kernel log.
type klogRecord struct {
	seq   uint64
	level int
	at    time.Duration // since boot
	text  string
	// facility is the syslog facility (0 kernel, 1 user: written to
	// /dev/kmsg).
	facility int
	// line is the record as syslog(2) reads it, made once when it is
	// logged: "<level>[seconds] text\n", the seconds since boot with
	// microseconds.
	line string
}

func newKlogRecord(seq uint64, facility, level int, at time.Duration, text string) klogRecord {
	us := at.Microseconds()
	return klogRecord{seq: seq, level: level, facility: facility, at: at, text: text,
		line: fmt.Sprintf("<%d>[%5d.%06d] %s\n", facility<<3|level, us/1e6, us%1e6, text)}
}

// klogState is the kernel log: what kite itself has to say to the
// sandbox (its banner at boot, the OOM killer's kills), read by
// syslog(2) (dmesg).
type klogState struct {
	mu sync.Mutex
	// recs are the records kept, oldest first; size is their
	// formatted length; next is the sequence number of the next
	// record; readSeq and readOff are where SYSLOG_ACTION_READ goes on
	// (readOff bytes into record readSeq); clearSeq is where the
	// non-destructive reads start (SYSLOG_ACTION_CLEAR moves it).
	recs              []klogRecord
	size              int
	next              uint64
	readSeq, clearSeq uint64
	readOff           int
	// consoleLevel and savedLevel are the console log level and the
	// one SYSLOG_ACTION_CONSOLE_OFF saved (0: none saved).
	consoleLevel, savedLevel int
	// more is closed when a record is added.
	more chan struct{}
	// readers are /dev/kmsg's pollers, notified of each record.
	readers vfs.WaitQueue
}

// UTSVersion is uname's version field, which /proc/version and the
// boot banner show too.
func (k *Kernel) UTSVersion() string { return "#1 SMP kite " + k.version }

// banner is the first message of the log, /proc/version's line.
func (k *Kernel) banner() string { return proc.VersionLine(UTSRelease, k.UTSVersion()) }

// logBoot logs what the kernel has at boot: its banner, the CPUs and
// the memory the programs see.
func (k *Kernel) logBoot() {
	k.Printk(LogNotice, "%s", k.banner())
	k.Printk(LogInfo, "smp: Brought up 1 node, %d CPUs", k.NumCPU())
	k.Printk(LogInfo, "Memory: %dK total", k.totalMem>>10)
}

// Printk adds a message to the kernel log at level (LogErr...).
func (k *Kernel) Printk(level int, format string, args ...any) {
	l := &k.klog
	l.mu.Lock()
	l.printkLocked(0, level, time.Since(k.bootTime), fmt.Sprintf(format, args...))
	l.mu.Unlock()
	l.readers.Notify(unix.POLLIN | pollRdNorm)
}

// printkLocked adds a record.
//
// Preconditions: l.mu is held.
func (l *klogState) printkLocked(facility, level int, at time.Duration, text string) {
	r := newKlogRecord(l.next, facility, level, at, text)
	l.next++
	l.recs = append(l.recs, r)
	l.size += len(r.line)
	for l.size > KlogBufferLen && len(l.recs) > 1 {
		l.size -= len(l.recs[0].line)
		l.recs = l.recs[1:]
	}
	if l.more != nil {
		close(l.more)
		l.more = nil
	}
}

// firstLocked returns the sequence number of the oldest record kept.
//
// Preconditions: l.mu is held.
func (l *klogState) firstLocked() uint64 {
	if len(l.recs) == 0 {
		return l.next
	}
	return l.recs[0].seq
}

// fromLocked returns the records from sequence number seq on (from the
// oldest kept if seq is older).
//
// Preconditions: l.mu is held.
func (l *klogState) fromLocked(seq uint64) []klogRecord {
	first := l.firstLocked()
	if seq < first {
		seq = first
	}
	return l.recs[seq-first:]
}

// KlogReadAll is SYSLOG_ACTION_READ_ALL (and READ_CLEAR with clear): the
// newest whole records since the last clear that fit in n bytes, oldest
// first.
func (k *Kernel) KlogReadAll(n int, clear bool) []byte {
	l := &k.klog
	l.mu.Lock()
	defer l.mu.Unlock()
	recs := l.fromLocked(l.clearSeq)
	total := 0
	for i := range recs {
		total += len(recs[i].line)
	}
	for len(recs) > 0 && total > n {
		total -= len(recs[0].line)
		recs = recs[1:]
	}
	out := make([]byte, 0, total)
	for i := range recs {
		out = append(out, recs[i].line...)
	}
	if clear {
		l.clearSeq = l.next
	}
	return out
}

// KlogClear is SYSLOG_ACTION_CLEAR.
func (k *Kernel) KlogClear() {
	k.klog.mu.Lock()
	k.klog.clearSeq = k.klog.next
	k.klog.mu.Unlock()
}

// KlogUnread is SYSLOG_ACTION_SIZE_UNREAD: the bytes SYSLOG_ACTION_READ
// has yet to read.
func (k *Kernel) KlogUnread() int {
	l := &k.klog
	l.mu.Lock()
	defer l.mu.Unlock()
	l.skipLostLocked()
	n := 0
	for _, r := range l.fromLocked(l.readSeq) {
		n += len(r.line)
	}
	return n - l.readOff
}

// skipLostLocked moves SYSLOG_ACTION_READ's position past the records
// the buffer no longer keeps.
//
// Preconditions: l.mu is held.
func (l *klogState) skipLostLocked() {
	if l.readSeq < l.firstLocked() {
		l.readSeq, l.readOff = l.firstLocked(), 0
	}
}

// KlogRead is SYSLOG_ACTION_READ: it waits until there are records
// SYSLOG_ACTION_READ has not read (ERESTARTSYS if t is interrupted
// first), then takes up to n bytes of them, which are read from then on
// even if the caller fails to copy them out (as Linux's syslog_print).
func (k *Kernel) KlogRead(t *Task, n int) ([]byte, error) {
	l := &k.klog
	for {
		l.mu.Lock()
		l.skipLostLocked()
		var out []byte
		for _, r := range l.fromLocked(l.readSeq) {
			if len(out) == n {
				break
			}
			part := r.line[l.readOff:]
			if len(part) > n-len(out) {
				part = part[:n-len(out)]
				l.readOff += len(part)
			} else {
				l.readSeq, l.readOff = l.readSeq+1, 0
			}
			out = append(out, part...)
		}
		if len(out) > 0 {
			l.mu.Unlock()
			return out, nil
		}
		if l.more == nil {
			l.more = make(chan struct{})
		}
		more := l.more
		l.mu.Unlock()
		if err := t.BlockOn(more); err != nil {
			return nil, err
		}
	}
}

// KlogConsole is SYSLOG_ACTION_CONSOLE_OFF (level -1), CONSOLE_ON
// (level 0) and CONSOLE_LEVEL (level 1 to 8).
func (k *Kernel) KlogConsole(level int) {
	l := &k.klog
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case level < 0:
		if l.savedLevel == 0 {
			l.savedLevel = l.consoleLevel
		}
		l.consoleLevel = 1 // minimum_console_loglevel
	case level == 0:
		if l.savedLevel != 0 {
			l.consoleLevel, l.savedLevel = l.savedLevel, 0
		}
	default:
		l.consoleLevel = level
		l.savedLevel = 0
	}
}
