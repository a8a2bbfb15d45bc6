package net

import (
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// DefaultSomaxconn is net.core.somaxconn's initial value.
const DefaultSomaxconn = 4096

// Somaxconn is the namespace's net.core.somaxconn: listen(2) clamps
// its backlog to it, whatever the family.
func (s *Stack) Somaxconn() int { return int(s.somaxconn.Load()) }

// ParseSysctlInts reads up to n integers written to a /proc/sys file
// as Linux's proc_dointvec does: separated by white space, in C's
// notations (strtoul base 0: 0x1f, 017), more than n ignored; none at
// all, or one that is not a number, is EINVAL.
func ParseSysctlInts(value []byte, n int) ([]int64, error) {
	fields := strings.Fields(string(value))
	if len(fields) == 0 {
		return nil, unix.EINVAL
	}
	var v []int64
	for i := 0; i < len(fields) && i < n; i++ {
		x, err := strconv.ParseInt(fields[i], 0, 64)
		if err != nil || strings.ContainsAny(fields[i], "_oObB") || x != int64(int32(x)) {
			return nil, unix.EINVAL
		}
		v = append(v, x)
	}
	return v, nil
}

// Sysctler is implemented by families that show files under
// /proc/sys/net: names relative to it ("core/somaxconn",
// "ipv4/ip_local_port_range"), each generated when read.
type Sysctler interface {
	Sysctls() map[string]func() []byte
}

// Sysctls returns the /proc/sys/net files of every family.
func (s *Stack) Sysctls() map[string]func() []byte {
	s.mu.RLock()
	defer s.mu.RUnlock()
	files := map[string]func() []byte{
		"core/somaxconn": func() []byte { return fmt.Appendf(nil, "%d\n", s.Somaxconn()) },
	}
	for _, f := range s.families {
		if p, ok := f.(Sysctler); ok {
			for name, gen := range p.Sysctls() {
				files[name] = gen
			}
		}
	}
	return files
}

// SysctlWriter is implemented by families some of whose /proc/sys/net
// files take writes.
type SysctlWriter interface {
	// SysctlWritable reports whether name takes writes.
	SysctlWritable(name string) bool
	// SetSysctl carries out a write of value to name (EINVAL for a
	// value Linux refuses).
	SetSysctl(name string, value []byte) error
}

// SysctlWritable reports whether a family takes writes to name.
func (s *Stack) SysctlWritable(name string) bool {
	if name == "core/somaxconn" {
		return true
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, f := range s.families {
		if w, ok := f.(SysctlWriter); ok && w.SysctlWritable(name) {
			return true
		}
	}
	return false
}

// SetSysctl writes value to the /proc/sys/net file name (EIO if no
// family takes it). core/somaxconn is the layer's own.
func (s *Stack) SetSysctl(name string, value []byte) error {
	if name == "core/somaxconn" {
		// proc_dointvec_minmax with a minimum of 0.
		v, err := ParseSysctlInts(value, 1)
		if err != nil || v[0] < 0 {
			return unix.EINVAL
		}
		s.somaxconn.Store(int32(v[0]))
		return nil
	}
	s.mu.RLock()
	var w SysctlWriter
	for _, f := range s.families {
		if fw, ok := f.(SysctlWriter); ok && fw.SysctlWritable(name) {
			w = fw
			break
		}
	}
	s.mu.RUnlock()
	if w == nil {
		return unix.EIO
	}
	return w.SetSysctl(name, value)
}
