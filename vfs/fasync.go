package vfs

import (
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// Asynchronous I/O signals (O_ASYNC, F_SETOWN, F_SETSIG), as Linux's
// fasync lists and fown_struct: a file has an owner (a thread, process or
// process group that the kernel describes through FileOwner) and a
// signal; an object whose readiness changes (socket, pipe, terminal)
// keeps a FasyncList of the files that set O_ASYNC on it and calls Kill
// with a POLL_* reason where Linux calls kill_fasync.

// POLL_* reasons of an I/O signal's si_code.
const (
	PollIn  = 1
	PollOut = 2
	PollMsg = 3
	PollErr = 4
	PollPri = 5
	PollHup = 6
)

// FileOwner is who gets a file's I/O signals: the kernel implements it
// for a thread, a process or a process group.
type FileOwner interface {
	// SendIO sends an I/O signal for the file at fd: sig is F_SETSIG's
	// signal (with si_fd and si_band) or 0 for a plain SIGIO; reason is
	// a POLL_* code.
	SendIO(sig int, fd int32, reason int32)
	// SendURG sends SIGURG (out-of-band data arrived) and reports
	// whether the owner names anybody.
	SendURG() bool
	// Who returns the owner's kind (F_OWNER_TID, F_OWNER_PID or
	// F_OWNER_PGRP) and id (0: nobody).
	Who() (kind int, id int32)
	// Alive reports whether the id still names a live thread, process
	// or group (F_GETOWN reports 0 otherwise).
	Alive() bool
}

// fileAsync is a file's owner and signal, made at the first F_SETOWN or
// F_SETSIG.
type fileAsync struct {
	// mu guards the fields below.
	mu     sync.Mutex
	owner  FileOwner
	signum int
}

// asyncState returns f's owner record, making it if needed.
func (f *File) asyncState() *fileAsync {
	f.asyncMu.Lock()
	defer f.asyncMu.Unlock()
	if f.async == nil {
		f.async = &fileAsync{}
	}
	return f.async
}

// SetOwner sets (nil: clears) the owner F_SETOWN names; with force false
// only a file without an owner takes it (a terminal's O_ASYNC names its
// process group when nobody was named).
func (f *File) SetOwner(o FileOwner, force bool) {
	a := f.asyncState()
	a.mu.Lock()
	if force || a.owner == nil {
		a.owner = o
	}
	a.mu.Unlock()
}

// Owner returns the owner F_SETOWN set, or nil.
func (f *File) Owner() FileOwner {
	f.asyncMu.Lock()
	a := f.async
	f.asyncMu.Unlock()
	if a == nil {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.owner
}

// SetSig sets F_SETSIG's signal (0: SIGIO without si_fd).
func (f *File) SetSig(sig int) {
	a := f.asyncState()
	a.mu.Lock()
	a.signum = sig
	a.mu.Unlock()
}

// Sig returns F_GETSIG's signal.
func (f *File) Sig() int {
	f.asyncMu.Lock()
	a := f.async
	f.asyncMu.Unlock()
	if a == nil {
		return 0
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.signum
}

// sendIO signals f's owner, if any, as send_sigio.
func (f *File) sendIO(fd int32, reason int32, urg bool) {
	f.asyncMu.Lock()
	a := f.async
	f.asyncMu.Unlock()
	if a == nil {
		return
	}
	a.mu.Lock()
	o, sig := a.owner, a.signum
	a.mu.Unlock()
	if o == nil {
		return
	}
	// SIGURG through the fasync list only goes to owners that chose a
	// signal: SIGURG has its own path (SendURG).
	if urg && sig == 0 {
		return
	}
	o.SendIO(sig, fd, reason)
}

// SendURG sends SIGURG to f's owner (sk_send_sigurg's send_sigurg) and
// reports whether it has one.
func (f *File) SendURG() bool {
	o := f.Owner()
	if o == nil {
		return false
	}
	return o.SendURG()
}

// Fasyncer is implemented by file operations that send I/O signals:
// Fasync adds f (set through descriptor fd) to or removes it from their
// objects' FasyncLists when O_ASYNC changes.
type Fasyncer interface {
	Fasync(f *File, fd int32, on bool)
}

// SetStatusFlagsFD is fcntl(F_SETFL) and FIOASYNC through descriptor fd:
// a change of O_ASYNC registers the file with its operations' fasync
// lists (or removes it) first, as Linux's setfl.
func (f *File) SetStatusFlagsFD(flags int, fd int32) {
	if (flags^f.Flags())&unix.O_ASYNC != 0 {
		if fa, ok := f.ops.(Fasyncer); ok {
			fa.Fasync(f, fd, flags&unix.O_ASYNC != 0)
		}
	}
	f.SetStatusFlags(flags)
}

// releaseAsync takes a closing file with O_ASYNC off its fasync lists.
func (f *File) releaseAsync() {
	if f.Flags()&unix.O_ASYNC == 0 {
		return
	}
	if fa, ok := f.ops.(Fasyncer); ok {
		fa.Fasync(f, -1, false)
	}
}

// FasyncList is the files that asked for I/O signals from one object
// (Linux's fasync_struct list). The zero value is empty.
type FasyncList struct {
	// mu guards files.
	mu sync.Mutex
	// files maps each file to the descriptor it set O_ASYNC through
	// (si_fd).
	files map[*File]int32
	// n is len(files), read without mu so that the pipe and socket
	// data paths pay one atomic load when nobody asked for signals.
	n atomic.Int32
}

// Fasync adds (on) or removes f, as fasync_helper.
func (l *FasyncList) Fasync(f *File, fd int32, on bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !on {
		delete(l.files, f)
		l.n.Store(int32(len(l.files)))
		return
	}
	if l.files == nil {
		l.files = make(map[*File]int32)
	}
	l.files[f] = fd
	l.n.Store(int32(len(l.files)))
}

// Empty reports whether no file is on the list.
func (l *FasyncList) Empty() bool { return l.n.Load() == 0 }

type fasyncEntry struct {
	f  *File
	fd int32
}

func (l *FasyncList) snapshot() []fasyncEntry {
	if l.n.Load() == 0 {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.files) == 0 {
		return nil
	}
	out := make([]fasyncEntry, 0, len(l.files))
	for f, fd := range l.files {
		out = append(out, fasyncEntry{f, fd})
	}
	return out
}

// Kill signals the owners of the files on the list with reason (a POLL_*
// code), as kill_fasync(SIGIO).
func (l *FasyncList) Kill(reason int32) {
	for _, e := range l.snapshot() {
		if e.f.Flags()&unix.O_ASYNC != 0 {
			e.f.sendIO(e.fd, reason, false)
		}
	}
}

// KillURG is kill_fasync(SIGURG, POLL_PRI): only owners with an F_SETSIG
// signal hear of it.
func (l *FasyncList) KillURG() {
	for _, e := range l.snapshot() {
		if e.f.Flags()&unix.O_ASYNC != 0 {
			e.f.sendIO(e.fd, PollPri, true)
		}
	}
}
