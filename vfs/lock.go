package vfs

import (
	"math"

	"golang.org/x/sys/unix"
)

// File locks: flock(2) locks, owned by an open file description, and
// record locks (fcntl F_SETLK), owned by a process (POSIX locks) or by an
// open file description (OFD locks). They are advisory and kept by the VFS
// per inode, so every file system has them.

// LockOwner identifies who holds a record lock: a process (PID set, File
// nil) or an open file description (File set).
type LockOwner struct {
	PID  int32
	File *File
}

// RecordLock is one byte-range lock; End is exclusive, math.MaxInt64 for
// "to end of file and beyond".
type RecordLock struct {
	Owner      LockOwner
	Write      bool
	Start, End int64
}

// inodeLocks is the lock state of one inode: its locks and its leases
// (lease.go).
type inodeLocks struct {
	flocks map[*File]bool // true: exclusive
	posix  []RecordLock
	leases []*lease
	// changed is closed (and replaced) whenever a lock goes away or a
	// lease changes or goes, waking lockers and the openers waiting for
	// a lease break to try again.
	changed chan struct{}
}

func (l *inodeLocks) wake() {
	close(l.changed)
	l.changed = make(chan struct{})
}

func (l *inodeLocks) empty() bool {
	return len(l.flocks) == 0 && len(l.posix) == 0 && len(l.leases) == 0
}

// locksOf returns the lock state of ino, creating it.
//
// Preconditions: v.locksMu is held.
func (v *VirtualFilesystem) locksOf(ino Inode) *inodeLocks {
	if v.locks == nil {
		v.locks = make(map[Inode]*inodeLocks)
	}
	l := v.locks[ino]
	if l == nil {
		l = &inodeLocks{flocks: make(map[*File]bool), changed: make(chan struct{})}
		v.locks[ino] = l
	}
	return l
}

// dropIfEmpty forgets an inode's lock state when nothing is locked or
// leased.
//
// Preconditions: v.locksMu is held.
func (v *VirtualFilesystem) dropIfEmpty(ino Inode, l *inodeLocks) {
	if l.empty() {
		delete(v.locks, ino)
	}
}

// wait blocks until ch is closed or ctx is interrupted.
func wait(ctx Context, ch <-chan struct{}) error { return ctx.BlockOn(ch) }

// Flock carries out flock(2) for f: op is LOCK_SH, LOCK_EX or LOCK_UN,
// with LOCK_NB not to wait (EWOULDBLOCK).
func (f *File) Flock(ctx Context, op int) error {
	if f.ops == nil {
		return unix.EBADF
	}
	nb := op&unix.LOCK_NB != 0
	op &^= unix.LOCK_NB
	v, ino := f.vfs, f.path.Dentry.inode
	if op == unix.LOCK_UN {
		v.locksMu.Lock()
		defer v.locksMu.Unlock()
		l := v.locksOf(ino)
		if _, ok := l.flocks[f]; ok {
			delete(l.flocks, f)
			l.wake()
		}
		v.dropIfEmpty(ino, l)
		return nil
	}
	if op != unix.LOCK_SH && op != unix.LOCK_EX {
		return unix.EINVAL
	}
	excl := op == unix.LOCK_EX
	for {
		v.locksMu.Lock()
		l := v.locksOf(ino)
		if cur, ok := l.flocks[f]; ok {
			if cur == excl {
				v.locksMu.Unlock()
				return nil
			}
			// Conversion drops the old lock first, as Linux does.
			delete(l.flocks, f)
			l.wake()
		}
		conflict := false
		for other, oexcl := range l.flocks {
			if other != f && (excl || oexcl) {
				conflict = true
				break
			}
		}
		if !conflict {
			l.flocks[f] = excl
			v.locksMu.Unlock()
			return nil
		}
		ch := l.changed
		v.dropIfEmpty(ino, l)
		v.locksMu.Unlock()
		if nb {
			return unix.EWOULDBLOCK
		}
		if err := wait(ctx, ch); err != nil {
			return err
		}
	}
}

func overlaps(a, b *RecordLock) bool { return a.Start < b.End && b.Start < a.End }

// conflictLocked returns a lock of another owner that conflicts with want.
//
// Preconditions: v.locksMu is held.
func (l *inodeLocks) conflictLocked(want *RecordLock) *RecordLock {
	for i := range l.posix {
		h := &l.posix[i]
		if h.Owner != want.Owner && overlaps(h, want) && (h.Write || want.Write) {
			return h
		}
	}
	return nil
}

// TestLock returns a lock that would block want (F_GETLK), or nil.
func (v *VirtualFilesystem) TestLock(ino Inode, want RecordLock) *RecordLock {
	v.locksMu.Lock()
	defer v.locksMu.Unlock()
	l := v.locks[ino]
	if l == nil {
		return nil
	}
	if c := l.conflictLocked(&want); c != nil {
		cp := *c
		return &cp
	}
	return nil
}

// SetLock acquires want on ino (F_SETLK, F_SETLKW), or with unlock set
// releases the range for want.Owner. With block unset a conflict gives
// EAGAIN; with it set the call waits, interruptibly.
func (v *VirtualFilesystem) SetLock(ctx Context, ino Inode, want RecordLock, unlock, block bool) error {
	for {
		v.locksMu.Lock()
		l := v.locksOf(ino)
		if unlock {
			if l.removeRangeLocked(want.Owner, want.Start, want.End) {
				l.wake()
			}
			v.dropIfEmpty(ino, l)
			v.locksMu.Unlock()
			return nil
		}
		if l.conflictLocked(&want) == nil {
			changed := l.removeRangeLocked(want.Owner, want.Start, want.End)
			l.posix = append(l.posix, want)
			l.coalesceLocked(want.Owner)
			if changed {
				// A write lock turned into a read lock may unblock
				// readers.
				l.wake()
			}
			v.locksMu.Unlock()
			return nil
		}
		ch := l.changed
		v.locksMu.Unlock()
		if !block {
			return unix.EAGAIN
		}
		if err := wait(ctx, ch); err != nil {
			return err
		}
	}
}

// removeRangeLocked removes owner's locks on [start, end), splitting
// locks that stick out. It reports whether anything changed.
//
// Preconditions: v.locksMu is held.
func (l *inodeLocks) removeRangeLocked(owner LockOwner, start, end int64) bool {
	changed := false
	var out []RecordLock
	for _, h := range l.posix {
		if h.Owner != owner || h.End <= start || end <= h.Start {
			out = append(out, h)
			continue
		}
		changed = true
		if h.Start < start {
			left := h
			left.End = start
			out = append(out, left)
		}
		if end < h.End {
			right := h
			right.Start = end
			out = append(out, right)
		}
	}
	l.posix = out
	return changed
}

// coalesceLocked merges owner's touching locks of the same kind, as Linux
// does, so that F_GETLK reports the same ranges.
//
// Preconditions: v.locksMu is held.
func (l *inodeLocks) coalesceLocked(owner LockOwner) {
	for merged := true; merged; {
		merged = false
		for i := 0; i < len(l.posix) && !merged; i++ {
			for j := i + 1; j < len(l.posix); j++ {
				a, b := &l.posix[i], &l.posix[j]
				if a.Owner != owner || b.Owner != owner || a.Write != b.Write {
					continue
				}
				if a.Start <= b.End && b.Start <= a.End {
					a.Start = min(a.Start, b.Start)
					a.End = max(a.End, b.End)
					l.posix = append(l.posix[:j], l.posix[j+1:]...)
					merged = true
					break
				}
			}
		}
	}
}

// ReleaseOwnerLocks drops every record lock owner holds on ino (a process
// closing any fd of the file drops its POSIX locks on it).
func (v *VirtualFilesystem) ReleaseOwnerLocks(ino Inode, owner LockOwner) {
	v.locksMu.Lock()
	defer v.locksMu.Unlock()
	l := v.locks[ino]
	if l == nil {
		return
	}
	if l.removeRangeLocked(owner, 0, math.MaxInt64) {
		l.wake()
	}
	v.dropIfEmpty(ino, l)
}

// releaseFileLocks drops the flock and OFD locks of a file description
// being released.
func (v *VirtualFilesystem) releaseFileLocks(f *File) {
	ino := f.path.Dentry.inode
	v.locksMu.Lock()
	defer v.locksMu.Unlock()
	l := v.locks[ino]
	if l == nil {
		return
	}
	changed := false
	if _, ok := l.flocks[f]; ok {
		delete(l.flocks, f)
		changed = true
	}
	if l.removeRangeLocked(LockOwner{File: f}, 0, math.MaxInt64) {
		changed = true
	}
	if changed {
		l.wake()
	}
	v.dropIfEmpty(ino, l)
}

// processOwner returns the POSIX lock owner for ctx: its thread group.
func processOwner(ctx Context) LockOwner {
	return LockOwner{PID: ctx.ThreadGroupID()}
}

// ProcessLockOwner returns the owner of POSIX locks taken by ctx.
func ProcessLockOwner(ctx Context) LockOwner { return processOwner(ctx) }
