package tty

import (
	"golang.org/x/sys/unix"
)

// The N_TTY line discipline of a pseudo-terminal slave, after Linux's
// drivers/tty/n_tty.c: input written to the master is processed here
// (input flags, signal characters, canonical editing, echo) into the
// slave's read queue; output written to the slave (and echoes) goes
// through output processing (OPOST) into the queue the master reads.
//
// Every method here runs with Terminal.mu held and records what must
// happen once it is released (signals, wake-ups) in the Terminal's
// pending fields.

// Buffer sizes.
const (
	// lineMax is N_TTY_BUF_SIZE-1: a canonical line takes at most this
	// many characters; more are dropped (only a line end gets in).
	lineMax = 4095
	// inputMax bounds unread non-canonical input: a master write waits
	// for the slave to read below it.
	inputMax = 65536
	// outputMax bounds output the master has not read: a slave write
	// waits for room.
	outputMax = 65536
)

// Packet-mode status bits (TIOCPKT_*).
const (
	pktFlushRead  = 1
	pktFlushWrite = 2
	pktStop       = 4
	pktStart      = 8
	pktNoStop     = 16
	pktDoStop     = 32
)

// ldisc is the line discipline state of a Terminal.
type ldisc struct {
	termios unix.Termios

	// in is the input the slave may read. In canonical mode ends holds
	// the offsets in in where committed lines end (a line ended by VEOF
	// has no terminator in in); the slave reads only up to ends[0].
	in   []byte
	ends []int
	// line is the canonical line being edited, not yet readable.
	line []byte
	// lnext is set after VLNEXT: the next character is taken literally.
	lnext bool
	// column is the output column (for tab expansion and erasing tabs);
	// canonColumn is the column where the line being edited started.
	column, canonColumn int

	// out is the processed output the master reads.
	out []byte
	// stopped is set by VSTOP (IXON) until VSTART: slave output waits.
	stopped bool
	// pktStatus is the packet-mode status the master has not read.
	pktStatus uint8

	// signals are the signals to send to the foreground process group
	// once the lock is dropped.
	signals []int
}

func (l *ldisc) iflag(f uint32) bool { return l.termios.Iflag&f != 0 }
func (l *ldisc) oflag(f uint32) bool { return l.termios.Oflag&f != 0 }
func (l *ldisc) lflag(f uint32) bool { return l.termios.Lflag&f != 0 }
func (l *ldisc) cc(i int) byte       { return l.termios.Cc[i] }

// isCC reports whether c is control character i (a disabled, NUL, entry
// matches nothing).
func (l *ldisc) isCC(c byte, i int) bool {
	v := l.termios.Cc[i]
	return v != 0 && c == v
}

func (l *ldisc) canonical() bool { return l.lflag(unix.ICANON) }

// receive processes input bytes written to the master. It returns how
// many it took: all of them, except in non-canonical mode when the read
// queue is full.
func (l *ldisc) receive(b []byte) int {
	for i, c := range b {
		if !l.canonical() && len(l.in) >= inputMax {
			return i
		}
		l.receiveChar(c)
	}
	return len(b)
}

func (l *ldisc) receiveChar(c byte) {
	if l.iflag(unix.ISTRIP) {
		c &= 0x7f
	}
	if l.iflag(unix.IUCLC) && l.lflag(unix.IEXTEN) && c >= 'A' && c <= 'Z' {
		c += 'a' - 'A'
	}
	if l.lnext {
		l.lnext = false
		l.echoChar(c)
		l.put(c)
		return
	}
	if l.iflag(unix.IXON) {
		switch {
		case l.isCC(c, unix.VSTOP):
			l.stop()
			return
		case l.isCC(c, unix.VSTART):
			l.start()
			return
		}
		if l.stopped && l.iflag(unix.IXANY) {
			l.start()
		}
	}
	if l.lflag(unix.ISIG) {
		sig := 0
		switch {
		case l.isCC(c, unix.VINTR):
			sig = int(unix.SIGINT)
		case l.isCC(c, unix.VQUIT):
			sig = int(unix.SIGQUIT)
		case l.isCC(c, unix.VSUSP):
			sig = int(unix.SIGTSTP)
		}
		if sig != 0 {
			l.signal(sig, c)
			return
		}
	}
	switch c {
	case '\r':
		if l.iflag(unix.IGNCR) {
			return
		}
		if l.iflag(unix.ICRNL) {
			c = '\n'
		}
	case '\n':
		if l.iflag(unix.INLCR) {
			c = '\r'
		}
	}
	if l.canonical() && l.canonChar(c) {
		return
	}
	l.echoChar(c)
	l.put(c)
}

// signal handles a signal character: flush unless NOFLSH, echo it,
// and send sig to the foreground group.
func (l *ldisc) signal(sig int, c byte) {
	if !l.lflag(unix.NOFLSH) {
		l.flushInput()
		l.flushOutput()
	}
	if l.iflag(unix.IXON) {
		l.start()
	}
	l.echoChar(c)
	l.signals = append(l.signals, sig)
}

// canonChar handles the editing characters of canonical mode; it
// reports whether c was one.
func (l *ldisc) canonChar(c byte) bool {
	ext := l.lflag(unix.IEXTEN)
	switch {
	case l.isCC(c, unix.VERASE), l.isCC(c, unix.VKILL), ext && l.isCC(c, unix.VWERASE):
		l.erase(c)
		return true
	case ext && l.isCC(c, unix.VLNEXT):
		l.lnext = true
		if l.lflag(unix.ECHO) {
			if l.lflag(unix.ECHOCTL) {
				l.echoRaw([]byte("^\b"))
			}
		}
		return true
	case ext && l.isCC(c, unix.VREPRINT) && l.lflag(unix.ECHO):
		l.echoChar(c)
		l.echoOut([]byte{'\n'})
		l.canonColumn = l.column
		for _, x := range l.line {
			l.echoChar(x)
		}
		return true
	case c == '\n':
		if l.lflag(unix.ECHO) || l.lflag(unix.ECHONL) {
			l.echoOut([]byte{'\n'})
		}
		l.commit(c, true)
		return true
	case l.isCC(c, unix.VEOF):
		l.commit(c, false)
		return true
	case l.isCC(c, unix.VEOL), ext && l.isCC(c, unix.VEOL2):
		l.echoChar(c)
		l.commit(c, true)
		return true
	}
	if len(l.line) >= lineMax {
		return true // dropped: the line is full
	}
	return false
}

// commit ends the line being edited (with c kept when keep is set) and
// makes it readable.
func (l *ldisc) commit(c byte, keep bool) {
	if keep {
		l.line = append(l.line, c)
	}
	l.in = append(l.in, l.line...)
	l.ends = append(l.ends, len(l.in))
	l.line = l.line[:0]
	l.canonColumn = l.column
}

// put adds a character that is not special: to the line being edited,
// or to the read queue.
func (l *ldisc) put(c byte) {
	if l.canonical() {
		if len(l.line) < lineMax {
			l.line = append(l.line, c)
		}
		return
	}
	l.in = append(l.in, c)
}

// isCntrl is iscntrl(3) in the C locale.
func isCntrl(c byte) bool { return c < 0x20 || c == 0x7f }

// echoChar echoes c when ECHO is set: a control character as ^X with
// ECHOCTL (tab and newline as themselves), others through OPOST.
func (l *ldisc) echoChar(c byte) {
	if !l.lflag(unix.ECHO) {
		return
	}
	if isCntrl(c) && c != '\t' && c != '\n' && l.lflag(unix.ECHOCTL) {
		l.echoRaw([]byte{'^', c ^ 0o100})
		return
	}
	l.echoOut([]byte{c})
}

// echoOut writes echo bytes with output processing.
func (l *ldisc) echoOut(b []byte) { l.output(b) }

// echoRaw writes echo bytes that each take one column (^X), without
// output processing.
func (l *ldisc) echoRaw(b []byte) {
	for _, c := range b {
		if c == '\b' {
			if l.column > 0 {
				l.column--
			}
		} else {
			l.column++
		}
	}
	l.out = append(l.out, b...)
}

// erase carries out VERASE, VWERASE or VKILL on the line being edited.
func (l *ldisc) erase(c byte) {
	if len(l.line) == 0 {
		return
	}
	echo := l.lflag(unix.ECHO)
	kill := l.isCC(c, unix.VKILL)
	werase := !kill && l.lflag(unix.IEXTEN) && l.isCC(c, unix.VWERASE) && !l.isCC(c, unix.VERASE)
	if kill {
		if !echo {
			l.line = l.line[:0]
			return
		}
		if !l.lflag(unix.ECHOK) || !l.lflag(unix.ECHOKE) || !l.lflag(unix.ECHOE) {
			l.line = l.line[:0]
			l.echoChar(c)
			if l.lflag(unix.ECHOK) {
				l.echoOut([]byte{'\n'})
			}
			return
		}
	}
	seenAlnum := false
	for len(l.line) > 0 {
		n := len(l.line) - 1
		if l.iflag(unix.IUTF8) {
			for n > 0 && l.line[n]&0xc0 == 0x80 {
				n--
			}
		}
		x := l.line[n]
		if werase {
			if isAlnum(x) || x == '_' {
				seenAlnum = true
			} else if seenAlnum {
				break
			}
		}
		l.line = l.line[:n]
		if echo {
			switch {
			case !kill && !werase && !l.lflag(unix.ECHOE):
				l.echoChar(c)
			case x == '\t':
				l.eraseTab()
			default:
				if isCntrl(x) && l.lflag(unix.ECHOCTL) {
					l.echoRaw([]byte("\b \b"))
				}
				if !isCntrl(x) || l.lflag(unix.ECHOCTL) {
					l.echoRaw([]byte("\b \b"))
				}
			}
		}
		if !kill && !werase {
			break
		}
	}
}

// eraseTab backs the cursor over a tab just removed from the line: to
// the column the rest of the line reaches.
func (l *ldisc) eraseTab() {
	col := l.canonColumn
	for _, x := range l.line {
		switch {
		case x == '\t':
			col = (col | 7) + 1
		case isCntrl(x):
			if l.lflag(unix.ECHOCTL) {
				col += 2
			}
		case x&0xc0 == 0x80 && l.iflag(unix.IUTF8):
		default:
			col++
		}
	}
	for l.column > col {
		l.echoRaw([]byte{'\b'})
	}
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// output appends b to the master's queue with output processing.
func (l *ldisc) output(b []byte) {
	if !l.oflag(unix.OPOST) {
		l.out = append(l.out, b...)
		return
	}
	for _, c := range b {
		switch c {
		case '\n':
			if l.oflag(unix.ONLRET) {
				l.column = 0
			}
			if l.oflag(unix.ONLCR) {
				l.column = 0
				l.out = append(l.out, '\r', '\n')
				continue
			}
		case '\r':
			if l.oflag(unix.ONOCR) && l.column == 0 {
				continue
			}
			if l.oflag(unix.OCRNL) {
				c = '\n'
				if l.oflag(unix.ONLRET) {
					l.column = 0
				}
				break
			}
			l.column = 0
		case '\t':
			spaces := 8 - l.column%8
			if l.termios.Oflag&unix.TABDLY == unix.XTABS {
				l.column += spaces
				for ; spaces > 0; spaces-- {
					l.out = append(l.out, ' ')
				}
				continue
			}
			l.column += spaces
		case '\b':
			if l.column > 0 {
				l.column--
			}
		default:
			if !isCntrl(c) {
				if l.oflag(unix.OLCUC) && c >= 'a' && c <= 'z' {
					c -= 'a' - 'A'
				}
				if !(l.iflag(unix.IUTF8) && c&0xc0 == 0x80) {
					l.column++
				}
			}
		}
		l.out = append(l.out, c)
	}
}

func (l *ldisc) stop() {
	if !l.stopped {
		l.stopped = true
		l.pktStatus = l.pktStatus&^pktStart | pktStop
	}
}

func (l *ldisc) start() {
	if l.stopped {
		l.stopped = false
		l.pktStatus = l.pktStatus&^pktStop | pktStart
	}
}

// flushInput drops unread input (TCIFLUSH, a signal character).
func (l *ldisc) flushInput() {
	l.in, l.ends, l.line = nil, nil, l.line[:0]
	l.lnext = false
	l.pktStatus |= pktFlushRead
}

// flushOutput is a flush of the slave's output (its TCOFLUSH, a
// signal character without NOFLSH). Linux discards only the bytes still
// on their way to the master's line discipline; what the slave wrote
// before (a shell's echo, a command's output) stays for the master to
// read, so nothing is dropped here. Packet mode reports the flush.
func (l *ldisc) flushOutput() {
	l.pktStatus |= pktFlushWrite
}

// dropOutput drops output the master has not read (the master's
// TCIFLUSH).
func (l *ldisc) dropOutput() {
	l.out = nil
}

// readable reports whether a slave read would return data now: a
// committed line in canonical mode, else at least min bytes (poll asks
// for VMIN when VTIME is 0, as input_available_p).
func (l *ldisc) readable(poll bool) bool {
	if l.canonical() {
		return len(l.ends) > 0
	}
	want := 1
	if poll && l.cc(unix.VTIME) == 0 && l.cc(unix.VMIN) > 1 {
		want = int(l.cc(unix.VMIN))
	}
	return len(l.in) >= want
}

// read takes input for the slave into dst: in canonical mode up to the
// end of the first committed line, else what is there. got reports
// whether anything was taken: a canonical line ended by VEOF with
// nothing before it reads as 0 bytes (end of file).
func (l *ldisc) read(dst []byte) (n int, got bool) {
	if l.canonical() {
		if len(l.ends) == 0 {
			return 0, false
		}
		n = copy(dst, l.in[:l.ends[0]])
		l.in = l.in[n:]
		for i := range l.ends {
			l.ends[i] -= n
		}
		if l.ends[0] == 0 {
			l.ends = l.ends[1:]
		}
		return n, true
	}
	n = copy(dst, l.in)
	l.in = l.in[n:]
	return n, n > 0
}

// setTermios changes the settings, moving input between the canonical
// line and the read queue as n_tty_set_termios does.
func (l *ldisc) setTermios(t unix.Termios) {
	old := l.termios
	l.termios = t
	wasCanon, canon := old.Lflag&unix.ICANON != 0, t.Lflag&unix.ICANON != 0
	switch {
	case wasCanon && !canon:
		l.in = append(l.in, l.line...)
		l.line = l.line[:0]
		l.ends = nil
		l.lnext = false
	case !wasCanon && canon && len(l.in) > 0:
		l.ends = []int{len(l.in)}
	}
	if old.Iflag&unix.IXON != 0 && t.Iflag&unix.IXON == 0 {
		l.start()
	}
	oldStop := old.Iflag&unix.IXON != 0 && old.Cc[unix.VSTART] == 0o21 && old.Cc[unix.VSTOP] == 0o23
	newStop := t.Iflag&unix.IXON != 0 && t.Cc[unix.VSTART] == 0o21 && t.Cc[unix.VSTOP] == 0o23
	if oldStop != newStop {
		l.pktStatus &^= pktDoStop | pktNoStop
		if newStop {
			l.pktStatus |= pktDoStop
		} else {
			l.pktStatus |= pktNoStop
		}
	}
}

// inputAvailable answers FIONREAD on the slave.
func (l *ldisc) inputAvailable() int {
	if l.canonical() {
		if len(l.ends) == 0 {
			return 0
		}
		return l.ends[len(l.ends)-1]
	}
	return len(l.in)
}
