package image

import (
	"fmt"
	"strconv"
	"strings"
)

// ParseSize parses a size such as "512M", "2G", "1048576" or "64KiB"
// (binary units: K, M, G, T with optional "iB" or "B").
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	t = strings.TrimSuffix(strings.TrimSuffix(t, "B"), "i")
	mult := int64(1)
	if t != "" {
		switch t[len(t)-1] {
		case 'k', 'K':
			mult = 1 << 10
		case 'm', 'M':
			mult = 1 << 20
		case 'g', 'G':
			mult = 1 << 30
		case 't', 'T':
			mult = 1 << 40
		}
		if mult != 1 {
			t = t[:len(t)-1]
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n <= 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("bad size %q (want a number with an optional K, M, G or T suffix)", s)
	}
	return n * mult, nil
}

// ParseUUID parses the 36-character textual form of a UUID.
func ParseUUID(s string) ([16]byte, error) {
	var u [16]byte
	h := strings.ReplaceAll(s, "-", "")
	if len(s) != 36 || len(h) != 32 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return u, fmt.Errorf("bad UUID %q", s)
	}
	for i := 0; i < 16; i++ {
		v, err := strconv.ParseUint(h[2*i:2*i+2], 16, 8)
		if err != nil {
			return u, fmt.Errorf("bad UUID %q", s)
		}
		u[i] = byte(v)
	}
	return u, nil
}

// ParseOwner parses "UID:GID".
func ParseOwner(s string) ([2]uint32, error) {
	a, b, ok := strings.Cut(s, ":")
	u, err1 := strconv.ParseUint(a, 10, 32)
	g, err2 := strconv.ParseUint(b, 10, 32)
	if !ok || err1 != nil || err2 != nil {
		return [2]uint32{}, fmt.Errorf("bad owner %q (want UID:GID)", s)
	}
	return [2]uint32{uint32(u), uint32(g)}, nil
}
