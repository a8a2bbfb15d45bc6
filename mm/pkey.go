package mm

import "golang.org/x/sys/unix"

// Memory protection keys, as Linux 6.18 on an x86 CPU without them (no
// PKU): an address space has one key slot, which the first pkey_alloc
// takes while failing to set the key's rights (EINVAL) and which no
// pkey_free gives back; later allocations find no free key (ENOSPC). No
// key is ever allocated, so pkey_free and pkey_mprotect with a key are
// EINVAL. The slot is copied at fork and fresh after execve.

// PkeyAlloc is pkey_alloc(2) once its arguments are checked.
func (m *MemoryManager) PkeyAlloc() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.pkeyTaken {
		return unix.ENOSPC
	}
	m.pkeyTaken = true
	return unix.EINVAL
}

// PkeyMProtect is pkey_mprotect(2): mprotect for pkey -1; with any other
// key, which cannot have been allocated, EINVAL once the arguments are
// checked as mprotect's.
func (m *MemoryManager) PkeyMProtect(addr, length uintptr, prot, pkey int) error {
	if pkey == -1 {
		return m.MProtect(addr, length, prot)
	}
	if empty, err := checkMProtect(addr, length, prot); empty || err != nil {
		return err
	}
	return unix.EINVAL
}
