package tty

import (
	"encoding/binary"
	"fmt"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/vfs"
)

// Device numbers of pseudo-terminal slaves (UNIX98_PTY_SLAVE_MAJOR): the
// index's high bits go to the next majors.
const (
	ptsMajor    = 136
	ptmxMajor   = 5
	ptmxMinor   = 2
	maxPTYs     = 4096
	minorsPerMj = 256
)

// Terminal is a pseudo-terminal pair: the slave with its line discipline
// and job-control state, and the master that drives it.
type Terminal struct {
	index int
	pts   *Devpts

	// masterQ and slaveQ are the wait queues of the two sides.
	masterQ, slaveQ vfs.WaitQueue
	// masterAsync and slaveAsync are the files of each side with
	// O_ASYNC: input that becomes readable signals them POLL_IN.
	masterAsync, slaveAsync vfs.FasyncList

	// mu guards the fields below.
	mu      sync.Mutex
	ld      ldisc
	winsize unix.Winsize
	// locked is TIOCSPTLCK's lock: the slave cannot be opened while set.
	locked bool
	// lockedTermios is TIOCSLCKTRMIOS's mask: what it marks, a
	// TCSETS* does not change.
	lockedTermios unix.Termios
	// slaveOpens counts open slave files; slaveOpened is set once one was.
	slaveOpens  int
	slaveOpened bool
	// masterClosed is set when the master is released: the slave is hung
	// up.
	masterClosed bool
	// packet is TIOCPKT mode on the master.
	packet bool
	// exclusive is TIOCEXCL: new opens of the slave fail with EBUSY
	// without CAP_SYS_ADMIN.
	exclusive bool
	// masterExclusive is TIOCEXCL set on the master.
	masterExclusive bool
	// session and pgrp are the session this is the controlling terminal
	// of (0: none) and its foreground process group.
	session, pgrp int32
	// sessions is the kernel's job-control state (nil: none, in tests).
	// Fixed at creation.
	sessions Sessions
	// slaveUID and slaveGID own the slave node; slaveMode its permissions.
	slaveUID, slaveGID, slaveMode uint32
	// times of the slave node.
	atime, mtime, ctime unix.Timespec
}

// Index is the pseudo-terminal's number (the N of /dev/pts/N).
func (t *Terminal) Index() int { return t.index }

// Rdev is the slave's device number.
func (t *Terminal) Rdev() uint64 {
	return unix.Mkdev(uint32(ptsMajor+t.index/minorsPerMj), uint32(t.index%minorsPerMj))
}

// Foreground returns the foreground process group (0: none) and the
// session of the terminal, for /proc/PID/stat.
func (t *Terminal) Foreground() (pgrp, session int32) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.pgrp, t.session
}

// Name is the slave's path, as ttyname shows it.
func (t *Terminal) Name() string { return fmt.Sprintf("/dev/pts/%d", t.index) }

// pending is what a Terminal operation must do once t.mu is dropped.
type pending struct {
	master, slave uint32 // events to notify
	signals       []int  // to the foreground group
	pgrp          int32
	sessions      Sessions

	// masterIO and slaveIO count the POLL_IN signals for O_ASYNC
	// files of each side (n_tty's kill_fasync).
	masterIO, slaveIO int
}

// takePending collects the wake-ups and signals of the last operation.
//
// Preconditions: t.mu is held.
func (t *Terminal) takePending(master, slave uint32) pending {
	p := pending{master: master, slave: slave, signals: t.ld.signals, pgrp: t.pgrp, sessions: t.sessions}
	t.ld.signals = nil
	return p
}

func (p pending) run(t *Terminal) {
	if p.sessions != nil && p.pgrp > 0 {
		for _, sig := range p.signals {
			p.sessions.SignalProcessGroup(p.pgrp, sig)
		}
	}
	if p.master != 0 {
		t.masterQ.Notify(p.master)
	}
	if p.slave != 0 {
		t.slaveQ.Notify(p.slave)
	}
	for range p.slaveIO {
		t.slaveAsync.Kill(vfs.PollIn)
	}
	for range p.masterIO {
		t.masterAsync.Kill(vfs.PollIn)
	}
}

const (
	readEv  = unix.POLLIN | vfs.PollRdNorm
	writeEv = unix.POLLOUT | vfs.PollWrNorm
	allEv   = readEv | writeEv | unix.POLLPRI | unix.POLLHUP | unix.POLLERR
)

// wait sleeps until q may have events (re-checked by the caller with
// ready under t.mu), the deadline passes (zero: none) or ctx is
// interrupted.
func (t *Terminal) wait(ctx vfs.Context, q *vfs.WaitQueue, events uint32, ready func() bool, deadline time.Time) error {
	ch := make(chan struct{}, 1)
	e := vfs.NewChannelEntry(events|unix.POLLHUP|unix.POLLERR, ch)
	q.EventRegister(e)
	defer q.EventUnregister(e)
	t.mu.Lock()
	ok := ready()
	t.mu.Unlock()
	if ok {
		return nil
	}
	if !deadline.IsZero() {
		return ctx.BlockOnTimeout(ch, deadline)
	}
	return ctx.BlockOn(ch)
}

// --- master side ---

// masterFile is an open /dev/ptmx.
type masterFile struct {
	vfs.StreamFile
	t *Terminal
}

// Release implements vfs.FileOperations: the slave is hung up.
func (m *masterFile) Release(vfs.Context) {
	t := m.t
	t.mu.Lock()
	t.masterClosed = true
	sid, pgrp, sessions := t.session, t.pgrp, t.sessions
	t.session, t.pgrp = 0, 0
	t.mu.Unlock()
	t.pts.remove(t)
	if sessions != nil && sid != 0 {
		// tty_vhangup: the session leader gets SIGHUP and SIGCONT and the
		// session loses its terminal.
		sessions.DetachTerminal(sid, t)
		sessions.SignalSessionLeader(sid, int(unix.SIGHUP))
		sessions.SignalSessionLeader(sid, int(unix.SIGCONT))
		_ = pgrp
	}
	t.slaveQ.Notify(allEv)
}

// Read implements vfs.FileOperations: the slave's output.
func (m *masterFile) Read(ctx vfs.Context, f *vfs.File, dst []byte, _ int64) (int, error) {
	t := m.t
	if len(dst) == 0 {
		return 0, nil
	}
	for {
		t.mu.Lock()
		if t.packet && t.ld.pktStatus != 0 {
			dst[0] = t.ld.pktStatus
			t.ld.pktStatus = 0
			t.mu.Unlock()
			return 1, nil
		}
		if len(t.ld.out) > 0 {
			off := 0
			if t.packet {
				dst[0] = 0
				off = 1
			}
			n := copy(dst[off:], t.ld.out)
			t.ld.out = t.ld.out[n:]
			if len(t.ld.out) == 0 {
				t.ld.out = nil
			}
			p := t.takePending(0, writeEv)
			t.mu.Unlock()
			p.run(t)
			return n + off, nil
		}
		hup := t.slaveOpened && t.slaveOpens == 0
		t.mu.Unlock()
		if hup {
			return 0, unix.EIO
		}
		if f.Flags()&unix.O_NONBLOCK != 0 {
			return 0, unix.EAGAIN
		}
		if err := t.wait(ctx, &t.masterQ, readEv, m.readyLocked, time.Time{}); err != nil {
			return 0, err
		}
	}
}

func (m *masterFile) readyLocked() bool {
	t := m.t
	return len(t.ld.out) > 0 || (t.packet && t.ld.pktStatus != 0) || (t.slaveOpened && t.slaveOpens == 0)
}

// Write implements vfs.FileOperations: input for the slave's line
// discipline.
func (m *masterFile) Write(ctx vfs.Context, f *vfs.File, src []byte, _ int64) (int, error) {
	t := m.t
	done := 0
	for {
		t.mu.Lock()
		lines := len(t.ld.ends)
		n := t.ld.receive(src[done:])
		done += n
		p := t.takePending(readEv|unix.POLLPRI, readEv)
		// n_tty signals O_ASYNC readers once per line committed,
		// or without ICANON once per input that leaves data.
		if t.ld.canonical() {
			p.slaveIO = max(len(t.ld.ends)-lines, 0)
		} else if n > 0 && len(t.ld.in) > 0 {
			p.slaveIO = 1
		}
		t.mu.Unlock()
		p.run(t)
		if done == len(src) {
			return done, nil
		}
		if f.Flags()&unix.O_NONBLOCK != 0 {
			if done > 0 {
				return done, nil
			}
			return 0, unix.EAGAIN
		}
		if err := t.wait(ctx, &t.masterQ, writeEv, func() bool { return len(t.ld.in) < inputMax }, time.Time{}); err != nil {
			if done > 0 {
				return done, nil
			}
			return 0, err
		}
	}
}

// Readiness implements vfs.Waitable.
func (m *masterFile) Readiness(mask uint32) uint32 {
	t := m.t
	t.mu.Lock()
	defer t.mu.Unlock()
	var r uint32
	if len(t.ld.out) > 0 {
		r |= readEv
	}
	if t.packet && t.ld.pktStatus != 0 {
		r |= readEv | unix.POLLPRI
	}
	if t.slaveOpened && t.slaveOpens == 0 {
		r |= readEv | unix.POLLHUP
	}
	if t.ld.canonical() || len(t.ld.in) < inputMax {
		r |= writeEv
	}
	return r & (mask | unix.POLLHUP | unix.POLLERR)
}

// EventRegister implements vfs.Waitable.
func (m *masterFile) EventRegister(e *vfs.WaitEntry) { m.t.masterQ.EventRegister(e) }

// EventUnregister implements vfs.Waitable.
func (m *masterFile) EventUnregister(e *vfs.WaitEntry) { m.t.masterQ.EventUnregister(e) }

// Sync implements vfs.FileOperations: fsync on a terminal is EINVAL.
func (m *masterFile) Sync(vfs.Context, *vfs.File, bool) error { return unix.EINVAL }

// Ioctl implements vfs.FileOperations.
func (m *masterFile) Ioctl(ctx vfs.Context, f *vfs.File, io vfs.UserIO, cmd uint32, arg uintptr) (uintptr, error) {
	t := m.t
	switch cmd {
	case unix.TIOCGPTN:
		return 0, putU32(io, arg, uint32(t.index))
	case unix.TIOCSPTLCK:
		v, err := getU32(io, arg)
		if err != nil {
			return 0, err
		}
		t.mu.Lock()
		t.locked = v != 0
		t.mu.Unlock()
		return 0, nil
	case unix.TIOCGPTLCK:
		t.mu.Lock()
		v := t.locked
		t.mu.Unlock()
		return 0, putU32(io, arg, b2u(v))
	case unix.TIOCPKT:
		v, err := getU32(io, arg)
		if err != nil {
			return 0, err
		}
		t.mu.Lock()
		if v != 0 && !t.packet {
			t.ld.pktStatus = 0
		}
		t.packet = v != 0
		t.mu.Unlock()
		return 0, nil
	case unix.TIOCGPKT:
		t.mu.Lock()
		v := t.packet
		t.mu.Unlock()
		return 0, putU32(io, arg, b2u(v))
	case unix.TIOCGPTPEER:
		return 0, unix.ENOSYS // answered by the syscall layer (OpenPeer)
	case unix.TIOCSWINSZ, unix.TIOCGWINSZ, unix.TIOCGPGRP, unix.TIOCGSID,
		unix.TIOCSCTTY, unix.TIOCNOTTY, unix.TIOCSPGRP, unix.TIOCINQ, unix.TIOCOUTQ, unix.TCFLSH:
		return t.ioctl(ctx, f, io, cmd, arg, true)
	case unix.TCGETS, unix.TCGETS2, unix.TCSETS, unix.TCSETSW, unix.TCSETSF, unix.TCSETS2, unix.TCSETSW2, unix.TCSETSF2,
		unix.TCGETA, unix.TCSETA, unix.TCSETAW, unix.TCSETAF, unix.TIOCGLCKTRMIOS, unix.TIOCSLCKTRMIOS:
		// The settings ioctls act on the slave (tty_mode_ioctl).
		return t.ioctl(ctx, f, io, cmd, arg, true)
	case unix.TIOCEXCL, unix.TIOCNXCL:
		// The master's own flag: it only guards opens of the master,
		// and ptmx opens make new masters.
		t.mu.Lock()
		t.masterExclusive = cmd == unix.TIOCEXCL
		t.mu.Unlock()
		return 0, nil
	case unix.TIOCGEXCL:
		t.mu.Lock()
		v := t.masterExclusive
		t.mu.Unlock()
		return 0, putU32(io, arg, b2u(v))
	case unix.TCSBRK, unix.TCXONC, unix.TIOCSTI, unix.TIOCGETD, unix.TIOCSETD:
		return t.ioctl(ctx, f, io, cmd, arg, true)
	}
	return 0, unix.ENOTTY
}

// OpenPeer opens the slave of the master file f for TIOCGPTPEER (flags
// are the open(2) flags asked for): /dev/pts/N resolved in fsc when it is
// this terminal's node, so that ttyname(3) finds it, else an anonymous
// file; ENOTTY if f is not a master.
func OpenPeer(ctx vfs.Context, fsc *vfs.FSContext, f *vfs.File, flags int) (*vfs.File, error) {
	m, ok := f.Ops().(*masterFile)
	if !ok {
		if _, slave := f.Ops().(*slaveFile); slave {
			return nil, unix.EIO // ptm_open_peer on a slave
		}
		return nil, unix.ENOTTY
	}
	t := m.t
	if pf, err := t.pts.vfs.OpenAt(ctx, fsc, fsc.Root(), t.Name(), flags, 0); err == nil {
		if TerminalOf(pf) == t {
			return pf, nil
		}
		pf.DecRef(ctx)
	}
	return t.pts.openSlaveFile(ctx, t, flags)
}

func b2u(b bool) uint32 {
	if b {
		return 1
	}
	return 0
}

func getU32(io vfs.UserIO, addr uintptr) (uint32, error) {
	var b [4]byte
	if _, err := io.CopyIn(addr, b[:]); err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint32(b[:]), nil
}

func putU32(io vfs.UserIO, addr uintptr, v uint32) error {
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], v)
	_, err := io.CopyOut(addr, b[:])
	return err
}

// --- slave side ---

// slaveFile is an open /dev/pts/N (or /dev/tty naming it).
type slaveFile struct {
	vfs.StreamFile
	t *Terminal
}

// Release implements vfs.FileOperations.
func (s *slaveFile) Release(vfs.Context) {
	t := s.t
	t.mu.Lock()
	t.slaveOpens--
	last := t.slaveOpens == 0
	t.mu.Unlock()
	if last {
		t.masterQ.Notify(readEv | unix.POLLHUP)
	}
}

// hungUp reports whether the master is gone.
func (t *Terminal) hungUp() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.masterClosed
}

// Read implements vfs.FileOperations.
func (s *slaveFile) Read(ctx vfs.Context, f *vfs.File, dst []byte, _ int64) (int, error) {
	t := s.t
	if err := t.checkJobRead(ctx); err != nil {
		return 0, err
	}
	if len(dst) == 0 {
		return 0, nil
	}
	t.mu.Lock()
	vmin, vtime := int(t.ld.cc(unix.VMIN)), time.Duration(t.ld.cc(unix.VTIME))*100*time.Millisecond
	canon := t.ld.canonical()
	t.mu.Unlock()
	minimum := 1
	var deadline time.Time
	interByte := time.Duration(0)
	if !canon {
		if vmin > 0 {
			minimum = vmin
			interByte = vtime
		} else if vtime > 0 {
			deadline = time.Now().Add(vtime)
		} else {
			minimum = 0
		}
	}
	done := 0
	for {
		t.mu.Lock()
		if t.masterClosed {
			t.mu.Unlock()
			return done, nil
		}
		n, got := t.ld.read(dst[done:])
		done += n
		p := t.takePending(writeEv, 0)
		canonNow := t.ld.canonical()
		t.mu.Unlock()
		if got {
			p.run(t)
		}
		if canonNow {
			if got || done > 0 {
				return done, nil
			}
		} else {
			if done >= minimum || done == len(dst) {
				return done, nil
			}
			if n > 0 && interByte > 0 {
				deadline = time.Now().Add(interByte)
			}
		}
		if minimum == 0 && !canonNow {
			return done, nil
		}
		if f.Flags()&unix.O_NONBLOCK != 0 {
			if done > 0 {
				return done, nil
			}
			return 0, unix.EAGAIN
		}
		err := t.wait(ctx, &t.slaveQ, readEv, func() bool { return t.masterClosed || t.ld.readable(false) }, deadline)
		if err == unix.ETIMEDOUT {
			return done, nil
		}
		if err != nil {
			if done > 0 {
				return done, nil
			}
			return 0, err
		}
	}
}

// Write implements vfs.FileOperations: output through OPOST to the
// master.
func (s *slaveFile) Write(ctx vfs.Context, f *vfs.File, src []byte, _ int64) (int, error) {
	t := s.t
	if err := t.checkJobWrite(ctx); err != nil {
		return 0, err
	}
	done := 0
	for {
		t.mu.Lock()
		if t.masterClosed {
			t.mu.Unlock()
			if done > 0 {
				return done, nil
			}
			return 0, unix.EIO
		}
		wrote := false
		if !t.ld.stopped && len(t.ld.out) < outputMax {
			n := min(len(src)-done, outputMax-len(t.ld.out))
			t.ld.output(src[done : done+n])
			done += n
			wrote = n > 0
		}
		p := t.takePending(readEv, 0)
		if wrote && len(t.ld.out) > 0 {
			// The master's side reads raw: one signal per write.
			p.masterIO = 1
		}
		t.mu.Unlock()
		p.run(t)
		if done == len(src) {
			return done, nil
		}
		if f.Flags()&unix.O_NONBLOCK != 0 {
			if done > 0 {
				return done, nil
			}
			return 0, unix.EAGAIN
		}
		if err := t.wait(ctx, &t.slaveQ, writeEv, func() bool {
			return t.masterClosed || (!t.ld.stopped && len(t.ld.out) < outputMax)
		}, time.Time{}); err != nil {
			if done > 0 {
				return done, nil
			}
			return 0, err
		}
	}
}

// Readiness implements vfs.Waitable.
func (s *slaveFile) Readiness(mask uint32) uint32 {
	t := s.t
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.masterClosed {
		return (readEv | writeEv | unix.POLLHUP | unix.POLLERR) & (mask | unix.POLLHUP | unix.POLLERR)
	}
	var r uint32
	if t.ld.readable(true) {
		r |= readEv
	}
	if !t.ld.stopped && len(t.ld.out) < outputMax {
		r |= writeEv
	}
	return r & (mask | unix.POLLHUP | unix.POLLERR)
}

// EventRegister implements vfs.Waitable.
func (s *slaveFile) EventRegister(e *vfs.WaitEntry) { s.t.slaveQ.EventRegister(e) }

// EventUnregister implements vfs.Waitable.
func (s *slaveFile) EventUnregister(e *vfs.WaitEntry) { s.t.slaveQ.EventUnregister(e) }

// Sync implements vfs.FileOperations.
func (s *slaveFile) Sync(vfs.Context, *vfs.File, bool) error { return unix.EINVAL }

// Ioctl implements vfs.FileOperations.
func (s *slaveFile) Ioctl(ctx vfs.Context, f *vfs.File, io vfs.UserIO, cmd uint32, arg uintptr) (uintptr, error) {
	if s.t.hungUp() {
		if cmd == unix.TIOCSPGRP {
			return 0, unix.ENOTTY
		}
		return 0, unix.EIO
	}
	return s.t.ioctl(ctx, f, io, cmd, arg, false)
}

// Fasync implements vfs.Fasyncer.
func (m *masterFile) Fasync(f *vfs.File, fd int32, on bool) { m.t.masterAsync.Fasync(f, fd, on) }

// Fasync implements vfs.Fasyncer.
func (s *slaveFile) Fasync(f *vfs.File, fd int32, on bool) { s.t.slaveAsync.Fasync(f, fd, on) }

// IsSlave reports whether f is a slave side (else a master).
func IsSlave(f *vfs.File) bool {
	_, ok := f.Ops().(*slaveFile)
	return ok
}

// TerminalOf returns the terminal behind an open slave or master file
// (nil for any other file).
func TerminalOf(f *vfs.File) *Terminal {
	switch o := f.Ops().(type) {
	case *slaveFile:
		return o.t
	case *masterFile:
		return o.t
	}
	return nil
}
