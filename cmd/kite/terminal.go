package main

import (
	"os"
	"os/signal"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/tty"
	"github.com/kite-os/kite/vfs"
)

// hostTerminal connects the terminal kite was started from to a kite
// pseudo-terminal, as a terminal emulator or sshd does: the host
// terminal is put in raw mode, what the user types is written to the
// master (so kite's own line discipline turns ^C, ^Z and ^\ into signals
// for kite's foreground process group), what the program writes to the
// slave is copied to kite's stdout, and the host's window size follows
// SIGWINCH. The slave is the program's controlling terminal.
type hostTerminal struct {
	in, out *tty.Console // host stdin and stdout (out may be in)
	master  *vfs.File
	term    *tty.Terminal
	// slaveFDs says which of the program's stdio fds get the slave.
	slaveFDs [3]bool

	restoreOnce sync.Once
	restoreRaw  func()
	outDone     chan struct{}
	stopWinch   func()
}

// ttyMode is --tty's and --no-tty's choice.
type ttyMode int

const (
	ttyAuto  ttyMode = iota // when stdin is a terminal
	ttyForce                // -t/--tty
	ttyOff                  // --no-tty
)

// newHostTerminal makes the pseudo-terminal for consoles (kite's stdio)
// in pts, or returns nil when mode and the stdio say not to.
func newHostTerminal(ctx vfs.Context, pts *tty.Devpts, consoles []*tty.Console, mode ttyMode) (*hostTerminal, error) {
	stdinTerm := consoles[0] != nil && consoles[0].IsTerminal()
	if mode == ttyOff || (mode == ttyAuto && !stdinTerm) {
		return nil, nil
	}
	h := &hostTerminal{in: consoles[0], out: consoles[1], outDone: make(chan struct{})}
	if h.out == nil {
		h.out = consoles[0]
	}
	master, term, err := pts.NewPair(ctx)
	if err != nil {
		return nil, err
	}
	h.master, h.term = master, term
	// stdin always; stdout and stderr when they are the terminal too, or
	// always when forced (docker run -t merges them).
	h.slaveFDs[0] = true
	for fd := 1; fd <= 2; fd++ {
		c := consoles[fd]
		h.slaveFDs[fd] = mode == ttyForce || (c != nil && c.IsTerminal())
	}
	h.syncWinsize()
	return h, nil
}

// syncWinsize copies the host terminal's window size to the kite
// terminal (a change sends SIGWINCH to the foreground group).
func (h *hostTerminal) syncWinsize() {
	for _, c := range []*tty.Console{h.in, h.out} {
		if c == nil {
			continue
		}
		if w, err := c.Winsize(); err == nil {
			h.term.SetWinsize(w)
			return
		}
	}
}

// start puts the host terminal in raw mode and starts copying.
func (h *hostTerminal) start() {
	if h.in != nil && h.in.IsTerminal() {
		if restore, err := h.in.MakeRaw(); err == nil {
			h.restoreRaw = restore
		}
	}
	ctx := vfs.KernelContext{}
	go func() {
		defer close(h.outDone)
		buf := make([]byte, 32<<10)
		for {
			n, err := h.master.Read(ctx, buf)
			if n > 0 && h.out != nil {
				if _, werr := h.out.Write(buf[:n], false, nil); werr != nil {
					return
				}
			}
			if err != nil {
				return
			}
		}
	}()
	if h.in != nil {
		go func() {
			buf := make([]byte, 4096)
			for {
				n, err := h.in.Read(buf, false, nil)
				if n > 0 {
					if _, werr := h.master.Write(ctx, buf[:n]); werr != nil {
						return
					}
				}
				if err != nil || n == 0 {
					return
				}
			}
		}()
	}
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, unix.SIGWINCH)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			case <-ch:
				h.syncWinsize()
			}
		}
	}()
	h.stopWinch = func() {
		signal.Stop(ch)
		close(done)
	}
}

// finish copies what the program wrote before it ended (until every
// slave is closed, or a short wait for a straggler that keeps one open)
// and restores the host terminal.
func (h *hostTerminal) finish() {
	select {
	case <-h.outDone:
	case <-time.After(500 * time.Millisecond):
	}
	h.restore()
}

// restore puts the host terminal back as it was; kite calls it on every
// way out of boot.
func (h *hostTerminal) restore() {
	h.restoreOnce.Do(func() {
		if h.stopWinch != nil {
			h.stopWinch()
		}
		if h.restoreRaw != nil {
			h.restoreRaw()
		}
	})
}

// foreground is the kite terminal's foreground process group.
func (h *hostTerminal) foreground() int32 {
	pg, _ := h.term.Foreground()
	return pg
}

// terminal is the kite terminal (nil for a nil hostTerminal).
func (h *hostTerminal) terminal() *tty.Terminal {
	if h == nil {
		return nil
	}
	return h.term
}
