package tty

import (
	"encoding/binary"

	"golang.org/x/sys/unix"
)

// Sizes of struct termios (TCGETS) and struct termios2 (TCGETS2) as the
// kernel copies them.
const (
	termiosSize  = 36
	termios2Size = 44
)

// Control characters of a new terminal (Linux's INIT_C_CC): ^C ^\ DEL ^U
// ^D, VTIME 0, VMIN 1, ^Q ^S ^Z, ^R ^O ^W ^V.
var initCC = [19]uint8{
	unix.VINTR: 0o3, unix.VQUIT: 0o34, unix.VERASE: 0o177, unix.VKILL: 0o25,
	unix.VEOF: 0o4, unix.VTIME: 0, unix.VMIN: 1, unix.VSTART: 0o21,
	unix.VSTOP: 0o23, unix.VSUSP: 0o32, unix.VREPRINT: 0o22,
	unix.VDISCARD: 0o17, unix.VWERASE: 0o27, unix.VLNEXT: 0o26,
}

// slaveTermios is the settings of a new pseudo-terminal slave
// (tty_std_termios with the pty driver's c_cflag).
func slaveTermios() unix.Termios {
	return unix.Termios{
		Iflag:  unix.ICRNL | unix.IXON,
		Oflag:  unix.OPOST | unix.ONLCR,
		Cflag:  unix.B38400 | unix.CS8 | unix.CREAD,
		Lflag:  unix.ISIG | unix.ICANON | unix.ECHO | unix.ECHOE | unix.ECHOK | unix.ECHOCTL | unix.ECHOKE | unix.IEXTEN,
		Cc:     initCC,
		Ispeed: 38400,
		Ospeed: 38400,
	}
}

// encodeTermios lays t out as struct termios (size termiosSize) or
// struct termios2 (termios2Size).
func encodeTermios(t unix.Termios, size int) []byte {
	b := make([]byte, size)
	binary.LittleEndian.PutUint32(b[0:], t.Iflag)
	binary.LittleEndian.PutUint32(b[4:], t.Oflag)
	binary.LittleEndian.PutUint32(b[8:], t.Cflag)
	binary.LittleEndian.PutUint32(b[12:], t.Lflag)
	b[16] = t.Line
	copy(b[17:termiosSize], t.Cc[:])
	if size == termios2Size {
		binary.LittleEndian.PutUint32(b[36:], t.Ispeed)
		binary.LittleEndian.PutUint32(b[40:], t.Ospeed)
	}
	return b
}

// decodeTermios reads struct termios or termios2 (by len(b)); old keeps
// the speeds a struct termios does not carry.
func decodeTermios(b []byte, old unix.Termios) unix.Termios {
	var t unix.Termios
	t.Iflag = binary.LittleEndian.Uint32(b[0:])
	t.Oflag = binary.LittleEndian.Uint32(b[4:])
	t.Cflag = binary.LittleEndian.Uint32(b[8:])
	t.Lflag = binary.LittleEndian.Uint32(b[12:])
	t.Line = b[16]
	copy(t.Cc[:], b[17:termiosSize])
	t.Ispeed, t.Ospeed = old.Ispeed, old.Ospeed
	if len(b) >= termios2Size {
		t.Ispeed = binary.LittleEndian.Uint32(b[36:])
		t.Ospeed = binary.LittleEndian.Uint32(b[40:])
	} else if t.Cflag&unix.CBAUD != old.Cflag&unix.CBAUD {
		if s, ok := baudRates[t.Cflag&unix.CBAUD]; ok {
			t.Ispeed, t.Ospeed = s, s
		}
	}
	return t
}

// termioSize is the size of the old System V struct termio (TCGETA,
// TCSETA*): four 16-bit flag words, c_line, NCC (8) control characters
// and a byte of padding.
const termioSize = 18

// encodeTermio lays the low halves of t's flags, its line and its first
// 8 control characters out as struct termio.
func encodeTermio(t unix.Termios) []byte {
	b := make([]byte, termioSize)
	binary.LittleEndian.PutUint16(b[0:], uint16(t.Iflag))
	binary.LittleEndian.PutUint16(b[2:], uint16(t.Oflag))
	binary.LittleEndian.PutUint16(b[4:], uint16(t.Cflag))
	binary.LittleEndian.PutUint16(b[6:], uint16(t.Lflag))
	b[8] = t.Line
	copy(b[9:17], t.Cc[:8])
	return b
}

// decodeTermio applies struct termio b to old: the flags' low halves, the
// line and the first 8 control characters change, the rest stays (the
// speeds follow a changed CBAUD, as with struct termios).
func decodeTermio(b []byte, old unix.Termios) unix.Termios {
	t := old
	t.Iflag = old.Iflag&^0xffff | uint32(binary.LittleEndian.Uint16(b[0:]))
	t.Oflag = old.Oflag&^0xffff | uint32(binary.LittleEndian.Uint16(b[2:]))
	t.Cflag = old.Cflag&^0xffff | uint32(binary.LittleEndian.Uint16(b[4:]))
	t.Lflag = old.Lflag&^0xffff | uint32(binary.LittleEndian.Uint16(b[6:]))
	t.Line = b[8]
	copy(t.Cc[:8], b[9:17])
	return decodeTermios(encodeTermios(t, termiosSize), old)
}

// keepLocked returns t with what lock marks (TIOCSLCKTRMIOS: set flag
// bits, a non-zero line, control character or speed) taken from old, as
// Linux's unset_locked_termios does.
func keepLocked(t, old, lock unix.Termios) unix.Termios {
	t.Iflag = t.Iflag&^lock.Iflag | old.Iflag&lock.Iflag
	t.Oflag = t.Oflag&^lock.Oflag | old.Oflag&lock.Oflag
	t.Cflag = t.Cflag&^lock.Cflag | old.Cflag&lock.Cflag
	t.Lflag = t.Lflag&^lock.Lflag | old.Lflag&lock.Lflag
	if lock.Line != 0 {
		t.Line = old.Line
	}
	for i := range t.Cc {
		if lock.Cc[i] != 0 {
			t.Cc[i] = old.Cc[i]
		}
	}
	if lock.Ispeed != 0 {
		t.Ispeed = old.Ispeed
	}
	if lock.Ospeed != 0 {
		t.Ospeed = old.Ospeed
	}
	return t
}

// baudRates maps the common Bnnn codes to speeds.
var baudRates = map[uint32]uint32{
	unix.B0: 0, unix.B50: 50, unix.B75: 75, unix.B110: 110, unix.B134: 134,
	unix.B150: 150, unix.B200: 200, unix.B300: 300, unix.B600: 600,
	unix.B1200: 1200, unix.B1800: 1800, unix.B2400: 2400, unix.B4800: 4800,
	unix.B9600: 9600, unix.B19200: 19200, unix.B38400: 38400,
	unix.B57600: 57600, unix.B115200: 115200, unix.B230400: 230400,
	unix.B460800: 460800, unix.B500000: 500000, unix.B576000: 576000,
	unix.B921600: 921600, unix.B1000000: 1000000,
}

func encodeWinsize(w unix.Winsize) []byte {
	b := make([]byte, 8)
	binary.LittleEndian.PutUint16(b[0:], w.Row)
	binary.LittleEndian.PutUint16(b[2:], w.Col)
	binary.LittleEndian.PutUint16(b[4:], w.Xpixel)
	binary.LittleEndian.PutUint16(b[6:], w.Ypixel)
	return b
}

func decodeWinsize(b []byte) unix.Winsize {
	return unix.Winsize{
		Row:    binary.LittleEndian.Uint16(b[0:]),
		Col:    binary.LittleEndian.Uint16(b[2:]),
		Xpixel: binary.LittleEndian.Uint16(b[4:]),
		Ypixel: binary.LittleEndian.Uint16(b[6:]),
	}
}
