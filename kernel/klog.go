package kernel

import (
	"fmt"
	"sync"
	"time"
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
}

// format is the record as syslog(2) reads it: "<level>[seconds] text\n",
// the seconds since boot with microseconds.
func (r *klogRecord) format() string {
	us := r.at.Microseconds()
	return fmt.Sprintf("<%d>[%5d.%06d] %s\n", r.level, us/1e6, us%1e6, r.text)
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
}

// Printk adds a message to the kernel log at level (LogErr...).
func (k *Kernel) Printk(level int, format string, args ...any) {
	l := &k.klog
	l.mu.Lock()
	defer l.mu.Unlock()
	r := klogRecord{seq: l.next, level: level, at: time.Since(k.bootTime), text: fmt.Sprintf(format, args...)}
	l.next++
	l.recs = append(l.recs, r)
	l.size += len(r.format())
	for l.size > KlogBufferLen && len(l.recs) > 1 {
		l.size -= len(l.recs[0].format())
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
		total += len(recs[i].format())
	}
	for len(recs) > 0 && total > n {
		total -= len(recs[0].format())
		recs = recs[1:]
	}
	out := make([]byte, 0, total)
	for i := range recs {
		out = append(out, recs[i].format()...)
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
	return len(l.unreadLocked())
}

// unreadLocked is the text SYSLOG_ACTION_READ has yet to read.
//
// Preconditions: l.mu is held.
func (l *klogState) unreadLocked() []byte {
	if l.readSeq < l.firstLocked() {
		l.readSeq, l.readOff = l.firstLocked(), 0
	}
	var out []byte
	for i, r := range l.fromLocked(l.readSeq) {
		s := r.format()
		if i == 0 {
			s = s[min(l.readOff, len(s)):]
		}
		out = append(out, s...)
	}
	return out
}

// KlogRead is SYSLOG_ACTION_READ: it waits until there are records
// SYSLOG_ACTION_READ has not read (ERESTARTSYS if t is interrupted
// first), then hands up to n bytes of them to consume, which returns how
// many it took; those are read.
func (k *Kernel) KlogRead(t *Task, n int, consume func([]byte) int) error {
	l := &k.klog
	for {
		l.mu.Lock()
		text := l.unreadLocked()
		if len(text) > 0 {
			took := consume(text[:min(n, len(text))])
			// Advance past what was taken.
			for took > 0 && l.readSeq < l.next {
				r := l.fromLocked(l.readSeq)[0]
				left := len(r.format()) - l.readOff
				if took < left {
					l.readOff += took
					break
				}
				took -= left
				l.readSeq, l.readOff = l.readSeq+1, 0
			}
			l.mu.Unlock()
			return nil
		}
		if l.more == nil {
			l.more = make(chan struct{})
		}
		more := l.more
		l.mu.Unlock()
		if err := t.BlockOn(more); err != nil {
			return err
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
