package mm

import "golang.org/x/sys/unix"

// Policy is a NUMA memory policy as mbind sets it on a range (Linux's
// struct mempolicy): a mode with its flags and the node mask given.
// kite has one node, so a policy changes where nothing is placed; it is
// kept so that get_mempolicy(MPOL_F_ADDR) reports it. The zero Policy is
// the default.
type Policy struct {
	Mode  int
	Nodes uint64
}

// SetPolicy gives the pages of [start, end) policy p (mbind). start is
// page-aligned and end > start. A hole in the range is EFAULT, as Linux
// reports it, and nothing changes.
func (m *MemoryManager) SetPolicy(start, end uintptr, p Policy) error {
	end, ok := pageRoundUp(end)
	if !ok {
		return unix.EINVAL
	}
	m.mu.Lock()
	defer m.unlock()
	if v := m.vmas.find(start); v == nil || m.coveredEndLocked(start, end) < end {
		return unix.EFAULT
	}
	m.changeLocked(start, end, func(v *vma) { v.policy = p })
	return nil
}

// PolicyAt returns the policy of the VMA containing addr; EFAULT if
// addr is not mapped.
func (m *MemoryManager) PolicyAt(addr uintptr) (Policy, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	v := m.vmas.find(addr)
	if v == nil {
		return Policy{}, unix.EFAULT
	}
	return v.policy, nil
}

// PoliciesIn returns the policies of the VMAs that intersect
// [start, end) (holes are skipped).
func (m *MemoryManager) PoliciesIn(start, end uintptr) []Policy {
	m.mu.RLock()
	defer m.mu.RUnlock()
	var out []Policy
	for v := m.vmas.lowerBound(start); v != nil && v.start < end; v = v.next {
		out = append(out, v.policy)
	}
	return out
}

// PagePresent reports whether the page at addr has a frame mapped
// (move_pages' status); EFAULT if addr is not in a VMA.
func (m *MemoryManager) PagePresent(addr uintptr) (bool, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.vmas.find(addr) == nil {
		return false, unix.EFAULT
	}
	return m.pt.get(pageDown(addr)) != nil, nil
}
