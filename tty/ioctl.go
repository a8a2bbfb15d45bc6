package tty

import (
	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/vfs"
)

// checkChange is Linux's __tty_check_change: a process of a background
// group using its controlling terminal gets sig (SIGTTIN or SIGTTOU) sent
// to its group and the call restarts after it, unless it ignores or
// blocks sig (then a read fails with EIO and a write goes ahead) or its
// group is orphaned (EIO).
func (t *Terminal) checkChange(ctx vfs.Context, sig unix.Signal) error {
	p := processOf(t.sessions, ctx)
	if p == nil || p.ControllingTerminal() != t {
		return nil
	}
	t.mu.Lock()
	fg := t.pgrp
	t.mu.Unlock()
	pg := p.ProcessGroupID()
	if fg == 0 || pg == fg {
		return nil
	}
	if p.SignalBlockedOrIgnored(int(sig)) {
		if sig == unix.SIGTTIN {
			return unix.EIO
		}
		return nil
	}
	if p.InOrphanedProcessGroup() {
		return unix.EIO
	}
	t.sessions.SignalProcessGroup(pg, int(sig))
	return errRestartSys
}

// checkJobRead is the job-control check of a slave read.
func (t *Terminal) checkJobRead(ctx vfs.Context) error {
	return t.checkChange(ctx, unix.SIGTTIN)
}

// checkJobWrite is the job-control check of a slave write (TOSTOP).
func (t *Terminal) checkJobWrite(ctx vfs.Context) error {
	t.mu.Lock()
	tostop := t.ld.lflag(unix.TOSTOP)
	t.mu.Unlock()
	if !tostop {
		return nil
	}
	return t.checkChange(ctx, unix.SIGTTOU)
}

// ioctl carries out the terminal ioctls that act on the slave, from
// either side (master set for the master's file).
func (t *Terminal) ioctl(ctx vfs.Context, f *vfs.File, io vfs.UserIO, cmd uint32, arg uintptr, master bool) (uintptr, error) {
	p := processOf(t.sessions, ctx)
	isCtty := p != nil && p.ControllingTerminal() == t
	switch cmd {
	case unix.TCGETS, unix.TCGETS2:
		size := termiosSize
		if cmd == unix.TCGETS2 {
			size = termios2Size
		}
		t.mu.Lock()
		tm := t.ld.termios
		t.mu.Unlock()
		_, err := io.CopyOut(arg, encodeTermios(tm, size))
		return 0, err
	case unix.TCGETA:
		t.mu.Lock()
		tm := t.ld.termios
		t.mu.Unlock()
		_, err := io.CopyOut(arg, encodeTermio(tm))
		return 0, err
	case unix.TIOCGLCKTRMIOS:
		t.mu.Lock()
		tm := t.lockedTermios
		t.mu.Unlock()
		_, err := io.CopyOut(arg, encodeTermios(tm, termiosSize))
		return 0, err
	case unix.TIOCSLCKTRMIOS:
		if p == nil || !p.HasCapSysAdmin() {
			return 0, unix.EPERM
		}
		b := make([]byte, termiosSize)
		if _, err := io.CopyIn(arg, b); err != nil {
			return 0, err
		}
		// struct termios carries no speeds: those of the lock stay
		// unset.
		lock := decodeTermios(b, unix.Termios{})
		lock.Ispeed, lock.Ospeed = 0, 0
		t.mu.Lock()
		t.lockedTermios = lock
		t.mu.Unlock()
		return 0, nil
	case unix.TCSETS, unix.TCSETSW, unix.TCSETSF, unix.TCSETS2, unix.TCSETSW2, unix.TCSETSF2,
		unix.TCSETA, unix.TCSETAW, unix.TCSETAF:
		size := termiosSize
		switch cmd {
		case unix.TCSETS2, unix.TCSETSW2, unix.TCSETSF2:
			size = termios2Size
		case unix.TCSETA, unix.TCSETAW, unix.TCSETAF:
			size = termioSize
		}
		if err := t.checkChange(ctx, unix.SIGTTOU); err != nil {
			return 0, err
		}
		b := make([]byte, size)
		if _, err := io.CopyIn(arg, b); err != nil {
			return 0, err
		}
		t.mu.Lock()
		if cmd == unix.TCSETSF || cmd == unix.TCSETSF2 || cmd == unix.TCSETAF {
			t.ld.flushInput()
		}
		old := t.ld.termios
		nt := decodeTermios
		if size == termioSize {
			nt = decodeTermio
		}
		t.ld.setTermios(keepLocked(nt(b, old), old, t.lockedTermios))
		pd := t.takePending(allEv, allEv)
		t.mu.Unlock()
		pd.run(t)
		return 0, nil
	case unix.TIOCGWINSZ:
		t.mu.Lock()
		w := t.winsize
		t.mu.Unlock()
		_, err := io.CopyOut(arg, encodeWinsize(w))
		return 0, err
	case unix.TIOCSWINSZ:
		b := make([]byte, 8)
		if _, err := io.CopyIn(arg, b); err != nil {
			return 0, err
		}
		t.SetWinsize(decodeWinsize(b))
		return 0, nil
	case unix.TIOCGPGRP:
		if !master && !isCtty {
			return 0, unix.ENOTTY
		}
		t.mu.Lock()
		pg := t.pgrp
		t.mu.Unlock()
		// Ids are kernel-wide; the caller sees its PID namespace's.
		return 0, putU32(io, arg, uint32(ctx.PIDOf(pg)))
	case unix.TIOCGSID:
		if !master && !isCtty {
			return 0, unix.ENOTTY
		}
		t.mu.Lock()
		sid := t.session
		t.mu.Unlock()
		if sid == 0 {
			return 0, unix.ENOTTY
		}
		return 0, putU32(io, arg, uint32(ctx.PIDOf(sid)))
	case unix.TIOCSPGRP:
		if err := t.checkChange(ctx, unix.SIGTTOU); err != nil {
			if err == unix.EIO {
				return 0, unix.ENOTTY
			}
			return 0, err
		}
		t.mu.Lock()
		sid := t.session
		t.mu.Unlock()
		if !isCtty || sid != p.SessionID() {
			return 0, unix.ENOTTY
		}
		v, err := getU32(io, arg)
		if err != nil {
			return 0, err
		}
		pg := int32(v)
		if pg < 0 {
			return 0, unix.EINVAL
		}
		pg = ctx.GlobalPID(pg)
		s := int32(0)
		if pg > 0 {
			s = t.sessions.ProcessGroupSession(pg)
		}
		if s == 0 {
			return 0, unix.ESRCH
		}
		if s != sid {
			return 0, unix.EPERM
		}
		t.mu.Lock()
		t.pgrp = pg
		t.mu.Unlock()
		return 0, nil
	case unix.TIOCSCTTY:
		return 0, t.setControlling(p, f, int(arg))
	case unix.TIOCNOTTY:
		if !isCtty {
			return 0, unix.ENOTTY
		}
		if p.IsSessionLeader() {
			t.disassociate(t.sessions, false)
			return 0, nil
		}
		p.SetControllingTerminal(nil)
		return 0, nil
	case unix.TIOCINQ: // FIONREAD
		t.mu.Lock()
		n := t.ld.inputAvailable()
		if master {
			n = len(t.ld.out)
		}
		t.mu.Unlock()
		return 0, putU32(io, arg, uint32(n))
	case unix.TIOCOUTQ:
		t.mu.Lock()
		n := len(t.ld.out)
		if master {
			n = 0
		}
		t.mu.Unlock()
		return 0, putU32(io, arg, uint32(n))
	case unix.TCFLSH:
		if !master {
			if err := t.checkChange(ctx, unix.SIGTTOU); err != nil {
				return 0, err
			}
		}
		in, out := false, false
		switch arg {
		case unix.TCIFLUSH:
			in = true
		case unix.TCOFLUSH:
			out = true
		case unix.TCIOFLUSH:
			in, out = true, true
		default:
			return 0, unix.EINVAL
		}
		t.mu.Lock()
		switch {
		case master:
			// The master's input is the slave's output: its TCIFLUSH
			// drops what it has not read. Its output is the slave's
			// input, which the slave's line discipline has already
			// taken (Linux's TCOFLUSH discards only bytes still in
			// flight): nothing to drop.
			if in {
				t.ld.dropOutput()
			}
		default:
			if in {
				t.ld.flushInput()
			}
			if out {
				t.ld.flushOutput()
			}
		}
		pd := t.takePending(allEv, allEv)
		t.mu.Unlock()
		pd.run(t)
		return 0, nil
	case unix.TCXONC:
		if !master {
			if err := t.checkChange(ctx, unix.SIGTTOU); err != nil {
				return 0, err
			}
		}
		t.mu.Lock()
		switch arg {
		case unix.TCOOFF:
			t.ld.stop()
		case unix.TCOON:
			t.ld.start()
		case unix.TCIOFF:
			if c := t.ld.cc(unix.VSTOP); c != 0 {
				t.ld.out = append(t.ld.out, c)
			}
		case unix.TCION:
			if c := t.ld.cc(unix.VSTART); c != 0 {
				t.ld.out = append(t.ld.out, c)
			}
		default:
			t.mu.Unlock()
			return 0, unix.EINVAL
		}
		pd := t.takePending(allEv, allEv)
		t.mu.Unlock()
		pd.run(t)
		return 0, nil
	case unix.TCSBRK, unix.TCSBRKP:
		// tcdrain and tcsendbreak: a pseudo-terminal has nothing to
		// drain to and no line to break.
		return 0, nil
	case unix.TIOCSTI:
		// Refused as Linux refuses it without CONFIG_LEGACY_TIOCSTI.
		return 0, unix.EIO
	case unix.TIOCEXCL, unix.TIOCNXCL:
		t.mu.Lock()
		t.exclusive = cmd == unix.TIOCEXCL
		t.mu.Unlock()
		return 0, nil
	case unix.TIOCGEXCL:
		t.mu.Lock()
		v := t.exclusive
		t.mu.Unlock()
		return 0, putU32(io, arg, b2u(v))
	case unix.TIOCGETD:
		return 0, putU32(io, arg, 0) // N_TTY
	case unix.TIOCSETD:
		v, err := getU32(io, arg)
		if err != nil {
			return 0, err
		}
		if v != 0 {
			return 0, unix.EINVAL
		}
		return 0, nil
	}
	return 0, unix.ENOTTY
}

// SetWinsize sets the window size; a change sends SIGWINCH to the
// foreground process group.
func (t *Terminal) SetWinsize(w unix.Winsize) {
	t.mu.Lock()
	changed := t.winsize != w
	t.winsize = w
	pgrp, sessions := t.pgrp, t.sessions
	t.mu.Unlock()
	if changed && sessions != nil && pgrp > 0 {
		sessions.SignalProcessGroup(pgrp, int(unix.SIGWINCH))
	}
}

// setControlling is TIOCSCTTY: a session leader without a controlling
// terminal acquires t; t held by another session is stolen only with
// arg 1 and CAP_SYS_ADMIN.
func (t *Terminal) setControlling(p Process, f *vfs.File, arg int) error {
	if p == nil {
		return unix.EPERM
	}
	t.mu.Lock()
	sid := t.session
	t.mu.Unlock()
	if p.IsSessionLeader() && sid == p.SessionID() {
		return nil
	}
	if !p.IsSessionLeader() || p.ControllingTerminal() != nil {
		return unix.EPERM
	}
	if sid != 0 {
		if arg != 1 || !p.HasCapSysAdmin() {
			return unix.EPERM
		}
		t.sessions.DetachTerminal(sid, t)
	}
	if !f.Readable() && !p.HasCapSysAdmin() {
		return unix.EPERM
	}
	t.mu.Lock()
	t.session = p.SessionID()
	t.pgrp = p.ProcessGroupID()
	t.mu.Unlock()
	p.SetControllingTerminal(t)
	return nil
}

// disassociate is disassociate_ctty for the session holding t: its
// foreground group gets SIGHUP (and SIGCONT unless the leader is
// exiting), and no process of the session keeps t.
func (t *Terminal) disassociate(sessions Sessions, exiting bool) {
	t.mu.Lock()
	sid, pgrp := t.session, t.pgrp
	t.session, t.pgrp = 0, 0
	t.mu.Unlock()
	if sid == 0 {
		return
	}
	if pgrp > 0 {
		sessions.SignalProcessGroup(pgrp, int(unix.SIGHUP))
		if !exiting {
			sessions.SignalProcessGroup(pgrp, int(unix.SIGCONT))
		}
	}
	sessions.DetachTerminal(sid, t)
}

// SessionLeaderExited is called when the leader of the session holding t
// exits (Linux's disassociate_ctty(1) for a pseudo-terminal).
func (t *Terminal) SessionLeaderExited(sessions Sessions) {
	t.disassociate(sessions, true)
}

// Detached clears t's session after the kernel detached it from session
// sid (for example when sid's last process went away).
func (t *Terminal) Detached(sid int32) {
	t.mu.Lock()
	if t.session == sid {
		t.session, t.pgrp = 0, 0
	}
	t.mu.Unlock()
}
