package mm

import "golang.org/x/sys/unix"

// Usage is an address space's memory use in bytes, for /proc/PID/status,
// statm and getrusage, with Linux's definitions.
type Usage struct {
	Virtual  uint64 // VmSize: every mapping
	Resident uint64 // VmRSS: pages with a frame in this address space
	Shared   uint64 // RssShmem: resident pages of shared memory objects
	Locked   uint64 // VmLck: mlocked mappings
	Data     uint64 // VmData: private writable mappings other than stacks
	Stack    uint64 // VmStk: stacks (MAP_GROWSDOWN)
	Text     uint64 // VmExe: executable, non-writable mappings
}

// Usage returns the address space's memory use.
func (m *MemoryManager) Usage() Usage {
	m.mu.RLock()
	defer m.mu.RUnlock()
	var u Usage
	for v := m.vmas.head; v != nil; v = v.next {
		n := uint64(v.length())
		u.Virtual += n
		if v.locked {
			u.Locked += n
		}
		switch {
		case v.growsDown:
			u.Stack += n
		case v.prot&unix.PROT_WRITE != 0 && !v.shared:
			u.Data += n
		case v.prot&unix.PROT_EXEC != 0 && v.prot&unix.PROT_WRITE == 0:
			u.Text += n
		}
		var res uint64
		m.pt.forRange(v.start, v.end, func(uintptr, *pte) bool {
			res += pageSize
			return true
		})
		u.Resident += res
		if v.obj != nil {
			u.Shared += res
		}
	}
	return u
}
