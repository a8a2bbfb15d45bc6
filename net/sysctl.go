package net

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
