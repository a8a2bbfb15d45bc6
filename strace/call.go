package strace

import (
	"bytes"
	"encoding/binary"
	"strings"

	"github.com/kite-os/kite/arch"
)

// call is one system call being printed, at entry or at exit.
type call struct {
	t       *Tracer
	mem     Memory
	args    arch.SyscallArgs
	exiting bool
	ret     uintptr // valid when exiting
	failed  bool    // exiting with an error
}

// skip, returned by an argument formatter, leaves the argument out (as
// strace leaves out open's mode without O_CREAT).
const skip = "\x00skip"

// arg describes how to print one argument.
type arg struct {
	reg  int    // which argument register holds it
	name string // "name=" printed before the value, if set
	// out arguments are results, printed at exit; every argument from
	// the first out one on is printed at exit.
	out bool
	// outWhen, if set, decides out for the call at hand (an argument
	// that is a result for some operations only).
	outWhen func(c *call) bool
	// glue arguments follow the previous one without ", " (clone3's
	// " => {parent_tid=[...]}").
	glue bool
	f    func(c *call, v uintptr) string
}

// formatArgs writes the arguments, separated by ", ". It reports whether
// it wrote any.
func (c *call) formatArgs(b *strings.Builder, args []arg, printed bool) bool {
	for _, a := range args {
		s := a.f(c, c.args[a.reg])
		if s == skip {
			continue
		}
		if printed && !a.glue {
			b.WriteString(", ")
		}
		printed = true
		b.WriteString(a.name)
		b.WriteString(s)
	}
	return printed
}

// arg returns argument register i.
func (c *call) arg(i int) uintptr { return c.args[i] }

// strSize is the -s limit.
func (c *call) strSize() int { return c.t.strSize }

// maxRead bounds what a decoder reads in one piece, whatever sizes the
// traced program passes.
const maxRead = 1 << 20

// readBytes reads n bytes at addr; ok is false if any is unreadable.
func (c *call) readBytes(addr uintptr, n int) ([]byte, bool) {
	if n < 0 || n > maxRead {
		return nil, false
	}
	b := make([]byte, n)
	got, err := c.mem.CopyIn(addr, b)
	if err != nil || got != n {
		return nil, false
	}
	return b, true
}

func (c *call) readU64(addr uintptr) (uint64, bool) {
	b, ok := c.readBytes(addr, 8)
	if !ok {
		return 0, false
	}
	return binary.LittleEndian.Uint64(b), true
}

func (c *call) readU32(addr uintptr) (uint32, bool) {
	b, ok := c.readBytes(addr, 4)
	if !ok {
		return 0, false
	}
	return binary.LittleEndian.Uint32(b), true
}

// path prints a NUL-terminated path in full (strace does not abbreviate
// paths below PATH_MAX), NULL, or the address if it cannot be read.
func (c *call) path(addr uintptr) string {
	return c.cstr(addr, 4096)
}

// str prints a NUL-terminated string abbreviated to the -s limit.
func (c *call) str(addr uintptr) string {
	return c.cstr(addr, c.strSize())
}

// cstr prints the NUL-terminated string at addr, cut to n bytes with
// "..." after the quotes if it is longer. Memory implementations differ
// on what CopyInString returns for a string that is too long, so that
// case reads the first n bytes directly.
func (c *call) cstr(addr uintptr, n int) string {
	if addr == 0 {
		return "NULL"
	}
	// One byte more than n tells a string of exactly n bytes from a
	// longer one, whether or not Memory counts the NUL.
	s, err := c.mem.CopyInString(addr, n+1)
	if err == nil {
		if len(s) > n {
			return quote([]byte(s[:n])) + "..."
		}
		return quote([]byte(s))
	}
	b := make([]byte, n)
	got, _ := c.mem.CopyIn(addr, b)
	b = b[:got]
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return quote(b[:i])
	}
	if got == n {
		return quote(b) + "..."
	}
	return ptr(addr)
}

// buf prints n bytes at addr as a quoted string abbreviated to the -s
// limit.
func (c *call) buf(addr uintptr, n uint64) string {
	if addr == 0 && n != 0 {
		return "NULL"
	}
	want := n
	if want > uint64(c.strSize()) {
		want = uint64(c.strSize())
	}
	b, ok := c.readBytes(addr, int(want))
	if !ok {
		return ptr(addr)
	}
	s := quote(b)
	if want < n {
		s += "..."
	}
	return s
}

// Argument formatters shared by many system calls.

func fHex(_ *call, v uintptr) string  { return hex(uint64(v)) }
func fPtr(_ *call, v uintptr) string  { return ptr(v) }
func fInt(_ *call, v uintptr) string  { return dec(int64(int32(v))) }
func fLong(_ *call, v uintptr) string { return dec(int64(v)) }
func fUint(_ *call, v uintptr) string { return udec(uint64(uint32(v))) }
func fUlong(_ *call, v uintptr) string {
	return udec(uint64(v))
}
func fOct(_ *call, v uintptr) string     { return oct(uint64(uint32(v))) }
func fPath(c *call, v uintptr) string    { return c.path(v) }
func fStr(c *call, v uintptr) string     { return c.str(v) }
func fFd(_ *call, v uintptr) string      { return dec(int64(int32(v))) }
func fSigName(_ *call, v uintptr) string { return signalName(int(int32(v))) }

// fDirfd prints a directory fd argument of the *at calls.
func fDirfd(_ *call, v uintptr) string {
	if int32(v) == -100 {
		return "AT_FDCWD"
	}
	return dec(int64(int32(v)))
}

// fBufIn prints a buffer the call reads (write's): its length is in
// argument register lenReg.
func fBufIn(lenReg int) func(c *call, v uintptr) string {
	return func(c *call, v uintptr) string { return c.buf(v, uint64(c.arg(lenReg))) }
}

// fBufOut prints a buffer the call fills (read's): at exit, the return
// value says how many bytes are valid.
func fBufOut(c *call, v uintptr) string {
	if c.failed {
		return ptr(v)
	}
	return c.buf(v, uint64(c.ret))
}

// fOutStr prints a NUL-terminated string the call writes (getcwd's).
func fOutStr(c *call, v uintptr) string {
	if c.failed {
		return ptr(v)
	}
	return c.str(v)
}

// fOutInt prints a pointer to an int the call fills, as [n].
func fOutInt(c *call, v uintptr) string {
	if v == 0 {
		return "NULL"
	}
	if c.failed {
		return ptr(v)
	}
	x, ok := c.readU32(v)
	if !ok {
		return ptr(v)
	}
	return "[" + dec(int64(int32(x))) + "]"
}

// fOutU64Hex prints a pointer to a 64-bit value the call fills, as [0x..].
func fOutU64Hex(c *call, v uintptr) string {
	if v == 0 {
		return "NULL"
	}
	if c.failed {
		return ptr(v)
	}
	x, ok := c.readU64(v)
	if !ok {
		return ptr(v)
	}
	return "[" + hex(x) + "]"
}

// in and out build argument descriptions.
func in(reg int, f func(*call, uintptr) string) arg { return arg{reg: reg, f: f} }
func out(reg int, f func(*call, uintptr) string) arg {
	return arg{reg: reg, f: f, out: true}
}
func named(name string, a arg) arg { a.name = name + "="; return a }

// outIf makes a an out argument for the calls where when says so.
func outIf(when func(*call) bool, a arg) arg { a.outWhen = when; return a }

// isOut reports whether a is printed at exit in call c.
func (a arg) isOut(c *call) bool {
	if a.outWhen != nil {
		return a.outWhen(c)
	}
	return a.out
}
