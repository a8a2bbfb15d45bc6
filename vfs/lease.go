package vfs

import (
	"time"

	"golang.org/x/sys/unix"
)

// File leases (fcntl F_SETLEASE, F_GETLEASE), as Linux's: an open file
// description of a regular file may hold a read lease (when nobody has
// the file open for writing) or a write lease (when nobody else has it
// open at all). An open that conflicts with a lease (for writing: any
// lease; for reading: a write lease), and truncate(2), break it: the
// holder gets SIGIO (or its F_SETSIG signal, with si_fd) and the opener
// waits until the holder gives the lease up (F_UNLCK) or downgrades it
// to what the opener needs, or until /proc/sys/fs/lease-break-time
// seconds pass, when the kernel does so itself. An O_NONBLOCK opener
// gets EWOULDBLOCK instead of waiting (after the signal).

// lease is one file description's lease on an inode.
type lease struct {
	file *File
	fd   int32 // the descriptor of the last F_SETLEASE (si_fd)
	typ  int   // unix.F_RDLCK or unix.F_WRLCK
	// A break in progress: the lease must go (unlockPending) or become
	// a read lease (downgradePending) by the time given (zero: no
	// limit), else the kernel does it.
	unlockPending, downgradePending bool
	unlockAt, downgradeAt           time.Time
}

// target is what the lease is being broken to (F_GETLEASE reports it).
func (l *lease) target() int {
	switch {
	case l.unlockPending:
		return unix.F_UNLCK
	case l.downgradePending:
		return unix.F_RDLCK
	}
	return l.typ
}

// An inode's leases are part of its lock state (inodeLocks.leases, under
// VirtualFilesystem.locksMu), whose changed channel wakes the openers
// waiting for a break as it wakes blocked lockers.

// leaseState is the VFS's lease settings and count.
type leaseState struct {
	// n counts the inodes with leases (guarded by locksMu); leaseN is
	// its copy read without the lock, so that opens pay one atomic
	// load when there are none.
	n int32
	// breakTime is /proc/sys/fs/lease-break-time (seconds; <= 0: an
	// opener waits for as long as the holder keeps the lease) and
	// enableLess1 is leases-enable less one (Linux keeps any int
	// written; 0 turns new leases off; the zero value is its default
	// 1); both guarded by locksMu.
	breakTime   int64
	enableLess1 int64
}

// leasesOf returns in's lock state if it has leases, else nil.
//
// Preconditions: v.locksMu is held.
func (v *VirtualFilesystem) leasesOf(in Inode) *inodeLocks {
	if s := v.locks[in]; s != nil && len(s.leases) > 0 {
		return s
	}
	return nil
}

// LeaseBreakTime returns /proc/sys/fs/lease-break-time.
func (v *VirtualFilesystem) LeaseBreakTime() int64 {
	v.locksMu.Lock()
	defer v.locksMu.Unlock()
	return v.lease.breakTime
}

// SetLeaseBreakTime sets /proc/sys/fs/lease-break-time.
func (v *VirtualFilesystem) SetLeaseBreakTime(s int64) {
	v.locksMu.Lock()
	v.lease.breakTime = s
	v.locksMu.Unlock()
}

// LeasesEnable returns /proc/sys/fs/leases-enable.
func (v *VirtualFilesystem) LeasesEnable() int64 {
	v.locksMu.Lock()
	defer v.locksMu.Unlock()
	return v.lease.enableLess1 + 1
}

// SetLeasesEnable sets /proc/sys/fs/leases-enable: while it is 0, new
// leases are EINVAL (held ones stay).
func (v *VirtualFilesystem) SetLeasesEnable(n int64) {
	v.locksMu.Lock()
	v.lease.enableLess1 = n - 1
	v.locksMu.Unlock()
}

// removeLocked takes l off in's leases, as lease_modify(F_UNLCK): the
// file's owner and signal are cleared too.
//
// Preconditions: v.locksMu is held.
func (v *VirtualFilesystem) removeLeaseLocked(in Inode, s *inodeLocks, l *lease) {
	for i, x := range s.leases {
		if x == l {
			s.leases = append(s.leases[:i], s.leases[i+1:]...)
			break
		}
	}
	s.wake()
	if len(s.leases) == 0 {
		v.lease.n--
		v.leaseN.Store(v.lease.n)
		v.dropIfEmpty(in, s)
	}
	l.file.SetOwner(nil, true)
	l.file.SetSig(0)
}

// timeOutLeasesLocked does what the holders of in's leases did not in
// time: a downgrade, a removal.
//
// Preconditions: v.locksMu is held.
func (v *VirtualFilesystem) timeOutLeasesLocked(in Inode, s *inodeLocks, now time.Time) {
	for _, l := range append([]*lease(nil), s.leases...) {
		if l.downgradePending && !l.downgradeAt.IsZero() && !now.Before(l.downgradeAt) {
			l.typ, l.downgradePending = unix.F_RDLCK, false
			s.wake()
		}
		if l.unlockPending && !l.unlockAt.IsZero() && !now.Before(l.unlockAt) {
			v.removeLeaseLocked(in, s, l)
		}
	}
}

// leaseConflicts reports whether l stands in the way of an open for
// writing (write) or reading.
func leaseConflicts(l *lease, write bool) bool { return write || l.typ == unix.F_WRLCK }

// breakLease breaks the leases on in that conflict with an open with
// flags (or a truncate: O_WRONLY) and waits for them to go, as Linux's
// __break_lease. EWOULDBLOCK for O_NONBLOCK; a signal ends the wait
// (ERESTARTSYS from ctx).
func (v *VirtualFilesystem) breakLease(ctx Context, in Inode, flags int) error {
	if v.leaseN.Load() == 0 {
		return nil
	}
	write := flags&unix.O_ACCMODE != unix.O_RDONLY
	v.locksMu.Lock()
	s := v.leasesOf(in)
	if s == nil {
		v.locksMu.Unlock()
		return nil
	}
	now := time.Now()
	v.timeOutLeasesLocked(in, s, now)
	var breakAt time.Time
	if v.lease.breakTime > 0 {
		breakAt = now.Add(time.Duration(v.lease.breakTime) * time.Second)
	}
	var signal []*lease
	for _, l := range s.leases {
		if !leaseConflicts(l, write) {
			continue
		}
		if write {
			if l.unlockPending {
				continue
			}
			l.unlockPending, l.unlockAt = true, breakAt
		} else {
			if l.unlockPending || l.downgradePending {
				continue
			}
			l.downgradePending, l.downgradeAt = true, breakAt
		}
		signal = append(signal, &lease{file: l.file, fd: l.fd})
	}
	v.locksMu.Unlock()
	for _, l := range signal {
		l.file.sendIO(l.fd, PollMsg, false)
	}
	for {
		v.locksMu.Lock()
		s = v.leasesOf(in)
		if s == nil {
			v.locksMu.Unlock()
			return nil
		}
		now = time.Now()
		v.timeOutLeasesLocked(in, s, now)
		var deadline time.Time
		conflict := false
		for _, l := range s.leases {
			if !leaseConflicts(l, write) {
				continue
			}
			conflict = true
			at := l.unlockAt
			if !write {
				at = l.downgradeAt
			}
			if !at.IsZero() && (deadline.IsZero() || at.Before(deadline)) {
				deadline = at
			}
		}
		ch := s.changed
		v.locksMu.Unlock()
		if !conflict {
			return nil
		}
		if flags&unix.O_NONBLOCK != 0 {
			return unix.EWOULDBLOCK
		}
		var err error
		if deadline.IsZero() {
			err = ctx.BlockOn(ch)
		} else {
			err = ctx.BlockOnTimeout(ch, deadline)
		}
		if err != nil && err != unix.ETIMEDOUT {
			return err
		}
	}
}

// SetLease is fcntl(F_SETLEASE) through descriptor fd: typ is F_RDLCK,
// F_WRLCK or F_UNLCK. owner is the caller's process, made f's owner for
// the break signal if it has none. EINVAL for another type or a file
// that is not regular, EACCES unless the caller owns the file or has
// CAP_LEASE, EAGAIN when the file is open in a way the lease forbids or
// another lease stands in the way (or, for F_UNLCK, when f holds none).
func (v *VirtualFilesystem) SetLease(ctx Context, f *File, fd int32, typ int, owner FileOwner) error {
	switch typ {
	case unix.F_RDLCK, unix.F_WRLCK, unix.F_UNLCK:
	default:
		return unix.EINVAL
	}
	d := f.path.Dentry
	st, err := d.inode.Stat(ctx)
	if err != nil {
		return err
	}
	c := ctx.Credentials()
	if c.FSUID != st.UID && !c.HasGlobalCapability(unix.CAP_LEASE) {
		return unix.EACCES
	}
	if d.typ != unix.S_IFREG {
		return unix.EINVAL
	}
	in := d.inode
	v.locksMu.Lock()
	defer v.locksMu.Unlock()
	s := v.leasesOf(in)
	if s != nil {
		v.timeOutLeasesLocked(in, s, time.Now())
		s = v.leasesOf(in)
	}
	var mine *lease
	if s != nil {
		for _, l := range s.leases {
			if l.file == f {
				mine = l
			}
		}
	}
	if typ == unix.F_UNLCK {
		if mine == nil {
			return unix.EAGAIN
		}
		v.removeLeaseLocked(in, s, mine)
		return nil
	}
	if err := v.checkConflictingOpen(f, typ); err != nil {
		return err
	}
	if s != nil {
		for _, l := range s.leases {
			if l == mine {
				continue
			}
			if typ == unix.F_WRLCK || l.unlockPending {
				return unix.EAGAIN
			}
		}
	}
	if mine != nil {
		mine.typ = typ
		if typ == unix.F_RDLCK {
			mine.downgradePending = false
		}
		s.wake()
	} else {
		if v.lease.enableLess1 == -1 {
			return unix.EINVAL
		}
		if s == nil {
			s = v.locksOf(in)
			v.lease.n++
			v.leaseN.Store(v.lease.n)
		}
		mine = &lease{file: f, typ: typ}
		s.leases = append(s.leases, mine)
	}
	mine.fd = fd
	if o := f.Owner(); o == nil {
		f.SetOwner(owner, true)
	} else if _, id := o.Who(); id == 0 {
		f.SetOwner(owner, true)
	}
	return nil
}

// checkConflictingOpen is Linux's check_conflicting_open: a read lease
// needs the file open for writing by nobody (f included), a write lease
// open by nobody but f.
//
// Preconditions: v.locksMu is held.
func (v *VirtualFilesystem) checkConflictingOpen(f *File, typ int) error {
	in := f.path.Dentry.inode
	v.writeMu.Lock()
	w, r := v.writeCountsLocked()[in], v.readCounts[in]
	v.writeMu.Unlock()
	if typ == unix.F_RDLCK {
		if w > 0 {
			return unix.EAGAIN
		}
		return nil
	}
	selfW, selfR := 0, 0
	if f.writer {
		selfW = 1
	} else if f.reader {
		selfR = 1
	}
	if w != selfW || r != selfR {
		return unix.EAGAIN
	}
	return nil
}

// GetLease is fcntl(F_GETLEASE): the type of f's lease, or what a break
// in progress makes it; F_UNLCK without one.
func (v *VirtualFilesystem) GetLease(f *File) int {
	if v.leaseN.Load() == 0 || f.path.Dentry == nil {
		return unix.F_UNLCK
	}
	in := f.path.Dentry.inode
	v.locksMu.Lock()
	defer v.locksMu.Unlock()
	s := v.leasesOf(in)
	if s == nil {
		return unix.F_UNLCK
	}
	v.timeOutLeasesLocked(in, s, time.Now())
	for _, l := range s.leases {
		if l.file == f {
			return l.target()
		}
	}
	return unix.F_UNLCK
}

// releaseLeases drops the lease of a file at its last close.
func (v *VirtualFilesystem) releaseLeases(f *File) {
	if v.leaseN.Load() == 0 || f.path.Dentry == nil {
		return
	}
	in := f.path.Dentry.inode
	v.locksMu.Lock()
	defer v.locksMu.Unlock()
	s := v.leasesOf(in)
	if s == nil {
		return
	}
	for _, l := range s.leases {
		if l.file == f {
			v.removeLeaseLocked(in, s, l)
			return
		}
	}
}

// getReadAccess counts a read-only open of a regular file (Linux's
// i_readcount, which write leases look at).
func (v *VirtualFilesystem) getReadAccess(in Inode) {
	v.writeMu.Lock()
	if v.readCounts == nil {
		v.readCounts = make(map[Inode]int)
	}
	v.readCounts[in]++
	v.writeMu.Unlock()
}

// putReadAccess drops a count of getReadAccess.
func (v *VirtualFilesystem) putReadAccess(in Inode) {
	v.writeMu.Lock()
	if n := v.readCounts[in] - 1; n <= 0 {
		delete(v.readCounts, in)
	} else {
		v.readCounts[in] = n
	}
	v.writeMu.Unlock()
}
