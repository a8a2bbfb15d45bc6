package loader

import (
	"bytes"
	"io"

	"golang.org/x/sys/unix"
)

// Interpreter scripts ("#!" lines), as Linux's binfmt_script reads them.

const (
	// scriptBufSize is BINPRM_BUF_SIZE: how much of a file execve reads
	// to recognise its format, and so the longest "#!" line it honours.
	scriptBufSize = 256

	// MaxInterpreterDepth is how many times execve may move on to a
	// script's interpreter (or an interpreter's interpreter) before it
	// fails with ELOOP, as in Linux's exec_binprm.
	MaxInterpreterDepth = 5
)

// Script is the "#!" line of an interpreter script.
type Script struct {
	// Interp is the interpreter's path.
	Interp string
	// Arg is the optional single argument: everything after the
	// interpreter name up to the end of the line, spaces included.
	Arg    string
	HasArg bool
}

// ParseScript reads the "#!" line of a script of size bytes. It returns
// nil and no error if the file does not start with "#!" (it is not a
// script), and ENOEXEC for a "#!" line without an interpreter or whose
// interpreter path does not fit in the first 256 bytes.
func ParseScript(r io.ReaderAt, size int64) (*Script, error) {
	n := min(size, scriptBufSize)
	if n < 2 {
		return nil, nil
	}
	buf := make([]byte, n)
	if err := readFull(r, buf, 0); err != nil {
		return nil, err
	}
	if buf[0] != '#' || buf[1] != '!' {
		return nil, nil
	}
	// Linux keeps the last byte of its buffer for a NUL.
	if len(buf) == scriptBufSize {
		buf = buf[:scriptBufSize-1]
	}
	line := buf[2:]
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	} else {
		// No end of line: the buffer must hold the whole interpreter
		// name, which a later space, tab or NUL proves.
		start := nextNonSpaceTab(line, 0)
		if start < 0 {
			return nil, noexec("empty #! line")
		}
		if nextTerminator(line, start) < 0 && len(buf) == scriptBufSize-1 {
			return nil, noexec("#! interpreter path too long")
		}
	}
	for len(line) > 0 && isSpaceTab(line[len(line)-1]) {
		line = line[:len(line)-1]
	}
	name := nextNonSpaceTab(line, 0)
	if name < 0 {
		return nil, noexec("no interpreter in #! line")
	}
	s := &Script{}
	sep := nextTerminator(line, name)
	if sep < 0 {
		s.Interp = string(line[name:])
		return s, nil
	}
	s.Interp = string(line[name:sep])
	if line[sep] != 0 {
		if arg := nextNonSpaceTab(line, sep); arg >= 0 {
			a := line[arg:]
			// The argument is a C string: a NUL ends it.
			if i := bytes.IndexByte(a, 0); i >= 0 {
				a = a[:i]
			}
			s.Arg, s.HasArg = string(a), true
		}
	}
	if s.Interp == "" {
		return nil, noexec("no interpreter in #! line")
	}
	return s, nil
}

// Argv returns the interpreter's argument list for running the script
// filename (the path execve was given, or the previous interpreter's)
// with argv: the interpreter, its argument if any, filename, and argv
// without its first element.
func (s *Script) Argv(filename string, argv []string) []string {
	out := []string{s.Interp}
	if s.HasArg {
		out = append(out, s.Arg)
	}
	out = append(out, filename)
	if len(argv) > 1 {
		out = append(out, argv[1:]...)
	}
	return out
}

func isSpaceTab(c byte) bool { return c == ' ' || c == '\t' }

// nextNonSpaceTab returns the index of the first byte at or after i that
// is not a space or tab, or -1.
func nextNonSpaceTab(b []byte, i int) int {
	for ; i < len(b); i++ {
		if !isSpaceTab(b[i]) {
			return i
		}
	}
	return -1
}

// nextTerminator returns the index of the first space, tab or NUL at or
// after i, or -1.
func nextTerminator(b []byte, i int) int {
	for ; i < len(b); i++ {
		if isSpaceTab(b[i]) || b[i] == 0 {
			return i
		}
	}
	return -1
}

// CheckInterpreterDepth returns ELOOP once depth (the number of
// interpreters execve has moved on to) exceeds MaxInterpreterDepth.
func CheckInterpreterDepth(depth int) error {
	if depth > MaxInterpreterDepth {
		return &Error{Errno: unix.ELOOP, Reason: "too many levels of #! interpreters"}
	}
	return nil
}
