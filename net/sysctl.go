package net

import "golang.org/x/sys/unix"

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
	files := make(map[string]func() []byte)
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
// family takes it).
func (s *Stack) SetSysctl(name string, value []byte) error {
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
