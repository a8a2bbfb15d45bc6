package tty

import (
	"sync"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/vfs"
)

// I/O signals (O_ASYNC) from the console.
//
// A console file with O_ASYNC joins the console's readers' list if it was
// opened for reading and its writers' list if for writing. The host tells
// kite of input only through readiness, so the readers' list keeps a
// waiter on the console (console_watch.go) while it is not empty, and its
// owners get SIGIO (POLL_IN) when the console becomes readable: input
// that arrives while no unread input was known, or input still there
// after a read by kite. As Linux, input already waiting when O_ASYNC is
// set signals nothing (Linux signals a pipe's, a socket's or a
// terminal's readers when input arrives, not for what is already
// there); the end of input (the host writer gone: POLLHUP) signals
// POLL_IN once, as Linux's pipe_release does. Unlike Linux's pipe,
// which signals once per host write, more input arriving while some is
// still unread signals nothing more, and a read that leaves input behind
// signals again (kite cannot tell old bytes from new ones; it never
// misses an arrival).
//
// The writers get SIGIO (POLL_OUT) when the console becomes writable
// after a write found it full (a partial or refused write), as a
// terminal's n_tty_write_wakeup, which waits for TTY_DO_WRITE_WAKEUP;
// a Linux pipe signals its writers at every read of its reader, which
// kite, not being told of the host reader's reads, does not.

// consoleAsync is a console's O_ASYNC state.
type consoleAsync struct {
	readers, writers vfs.FasyncList

	// mu guards the fields below; it is a leaf (never held while
	// calling into the watcher or sending signals).
	mu sync.Mutex
	// inEntry is the readers' waiter while the readers' list is not
	// empty; outEntry the writers' while a write found no room.
	inEntry, outEntry *vfs.WaitEntry
	// inputSeen is set while the input the host reports was present when
	// O_ASYNC was set or has been signalled, and no read has happened
	// since; hupSeen once the end of input was.
	inputSeen, hupSeen bool
	// nospace is set when a write found the console full.
	nospace bool
}

// Fasync implements vfs.Fasyncer for console streams.
func (s *consoleStream) Fasync(f *vfs.File, fd int32, on bool) {
	s.c.fasync(f, fd, on)
}

var _ vfs.Fasyncer = (*consoleStream)(nil)

// fasync adds f to or removes it from the console's lists.
func (c *Console) fasync(f *vfs.File, fd int32, on bool) {
	a := &c.async
	if !on || f.Readable() {
		a.readers.Fasync(f, fd, on)
	}
	if !on || f.Writable() {
		a.writers.Fasync(f, fd, on)
	}
	a.mu.Lock()
	var add, drop *vfs.WaitEntry
	if !a.readers.Empty() && a.inEntry == nil {
		// Input already there is not news: only what the host reports
		// after this look is signalled.
		r := c.Readiness(unix.POLLIN)
		a.inputSeen = r&unix.POLLIN != 0
		a.hupSeen = r&(unix.POLLHUP|unix.POLLERR) != 0
		a.inEntry = &vfs.WaitEntry{Mask: unix.POLLIN, Callback: c.inputEvent}
		add = a.inEntry
	} else if a.readers.Empty() && a.inEntry != nil {
		drop, a.inEntry = a.inEntry, nil
	}
	var dropOut *vfs.WaitEntry
	if a.writers.Empty() && a.outEntry != nil {
		dropOut, a.outEntry = a.outEntry, nil
	}
	a.mu.Unlock()
	if add != nil {
		c.EventRegister(add)
	}
	if drop != nil {
		c.EventUnregister(drop)
	}
	if dropOut != nil {
		c.EventUnregister(dropOut)
	}
}

// inputEvent is the readers' waiter callback.
func (c *Console) inputEvent(ev uint32) {
	a := &c.async
	a.mu.Lock()
	signal := false
	if ev&unix.POLLIN != 0 && !a.inputSeen {
		a.inputSeen, signal = true, true
	}
	if ev&(unix.POLLHUP|unix.POLLERR) != 0 && !a.hupSeen {
		a.hupSeen, signal = true, true
	}
	a.mu.Unlock()
	if signal {
		a.readers.Kill(vfs.PollIn)
	}
}

// readDone notes a read of the console: input the host reports from now
// on is news.
func (c *Console) readDone() {
	a := &c.async
	if a.readers.Empty() {
		return
	}
	a.mu.Lock()
	a.inputSeen = false
	a.mu.Unlock()
}

// writeFull notes that a write found the console full: its writers are
// signalled when it has room again.
func (c *Console) writeFull() {
	a := &c.async
	if a.writers.Empty() {
		return
	}
	a.mu.Lock()
	a.nospace = true
	var add *vfs.WaitEntry
	if a.outEntry == nil {
		a.outEntry = &vfs.WaitEntry{Mask: unix.POLLOUT, Callback: c.outputEvent}
		add = a.outEntry
	}
	a.mu.Unlock()
	if add != nil {
		c.EventRegister(add)
	}
}

// outputEvent is the writers' waiter callback: room (or an error, which
// makes a write return at once) after a full console.
func (c *Console) outputEvent(ev uint32) {
	a := &c.async
	a.mu.Lock()
	if ev&(unix.POLLOUT|unix.POLLERR|unix.POLLHUP) == 0 || !a.nospace {
		a.mu.Unlock()
		return
	}
	a.nospace = false
	e := a.outEntry
	a.outEntry = nil
	a.mu.Unlock()
	if e != nil {
		c.EventUnregister(e)
	}
	a.writers.Kill(vfs.PollOut)
}

// ConsoleTerminalOf returns the console behind f if it is a host terminal
// (nil for any other file), for O_ASYNC's choice of owner.
func ConsoleTerminalOf(f *vfs.File) *Console {
	if s, ok := f.Ops().(*consoleStream); ok && s.c.IsTerminal() {
		return s.c
	}
	return nil
}
