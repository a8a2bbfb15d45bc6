package strace

import (
	"bytes"
	"strconv"
	"strings"
)

// quote renders b as strace does by default: in double quotes, with \t \n
// \v \f \r \" \\ escaped, other printable ASCII as is, and everything else
// as octal escapes (one to three digits: three when the next byte is an
// octal digit, so the escape cannot swallow it).
func quote(b []byte) string {
	var s strings.Builder
	s.Grow(len(b) + 2)
	s.WriteByte('"')
	for i, c := range b {
		switch c {
		case '"':
			s.WriteString(`\"`)
		case '\\':
			s.WriteString(`\\`)
		case '\t':
			s.WriteString(`\t`)
		case '\n':
			s.WriteString(`\n`)
		case '\v':
			s.WriteString(`\v`)
		case '\f':
			s.WriteString(`\f`)
		case '\r':
			s.WriteString(`\r`)
		default:
			if c >= ' ' && c <= '~' {
				s.WriteByte(c)
				continue
			}
			s.WriteByte('\\')
			nextOctal := i+1 < len(b) && b[i+1] >= '0' && b[i+1] <= '7'
			o := strconv.FormatUint(uint64(c), 8)
			if nextOctal {
				o = strings.Repeat("0", 3-len(o)) + o
			}
			s.WriteString(o)
		}
	}
	s.WriteByte('"')
	return s.String()
}

// quoteHex renders b with every byte as a \x escape, as strace does for
// buffers of random bytes (getrandom).
func quoteHex(b []byte) string {
	const digits = "0123456789abcdef"
	var s strings.Builder
	s.WriteByte('"')
	for _, c := range b {
		s.WriteString(`\x`)
		s.WriteByte(digits[c>>4])
		s.WriteByte(digits[c&15])
	}
	s.WriteByte('"')
	return s.String()
}

// hex formats v as strace prints addresses and unknown values: 0 as "0",
// everything else as 0x....
func hex(v uint64) string {
	if v == 0 {
		return "0"
	}
	return "0x" + strconv.FormatUint(v, 16)
}

// ptr formats a pointer: NULL or 0x....
func ptr(v uintptr) string {
	if v == 0 {
		return "NULL"
	}
	return "0x" + strconv.FormatUint(uint64(v), 16)
}

func dec(v int64) string   { return strconv.FormatInt(v, 10) }
func udec(v uint64) string { return strconv.FormatUint(v, 10) }

// oct formats a file mode as strace does (C's %#03o): 0644, 007, 000.
func oct(v uint64) string {
	s := strconv.FormatUint(v, 8)
	if v != 0 {
		s = "0" + s
	}
	for len(s) < 3 {
		s = "0" + s
	}
	return s
}

// flag names one bit pattern of a flag word.
type flag struct {
	bits uint64
	name string
}

// flags renders v as NAME|NAME|0x..., taking the table's entries in order
// (so multi-bit entries listed first win), with zero rendered as zeroName
// (or "0" if empty).
func flags(v uint64, table []flag, zeroName string) string {
	if v == 0 {
		if zeroName != "" {
			return zeroName
		}
		return "0"
	}
	var parts []string
	for _, f := range table {
		if f.bits != 0 && v&f.bits == f.bits {
			parts = append(parts, f.name)
			v &^= f.bits
		}
	}
	if v != 0 {
		parts = append(parts, hex(v))
	}
	return strings.Join(parts, "|")
}

// value names v from a table of exact values, or formats it with def.
func value(v uint64, table []flag, def func(uint64) string) string {
	for _, f := range table {
		if f.bits == v {
			return f.name
		}
	}
	return def(v)
}

// cstring cuts b at its first NUL; ok says whether there was one.
func cstring(b []byte) (s []byte, ok bool) {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return b[:i], true
	}
	return b, false
}
