package mm

import "golang.org/x/sys/unix"

// Fork returns a copy-on-write copy of the address space for a child
// process: private pages are shared read-only between parent and child
// until one of them writes; shared mappings stay shared. VMAs marked
// MADV_DONTFORK are left out, and MADV_WIPEONFORK ones start empty in the
// child.
func (m *MemoryManager) Fork() (*MemoryManager, error) {
	as, err := m.p.NewAddressSpace()
	if err != nil {
		return nil, err
	}
	m.pinMu.Lock()
	defer m.pinMu.Unlock()
	m.mu.Lock()
	defer m.unlock()
	if m.released {
		as.Release()
		return nil, unix.EINVAL
	}
	c := &MemoryManager{
		mf:         m.mf,
		p:          m.p,
		as:         as,
		maxAddr:    m.maxAddr,
		pt:         newPageTable(),
		brkStart:   m.brkStart,
		brk:        m.brk,
		stackLimit: m.stackLimit,
		mmapBase:   m.mmapBase,
		memlock:    m.memlock,
		limits:     m.limits,
		pkeyTaken:  m.pkeyTaken,
	}
	c.vmas.owner = c
	c.guards = m.guards.clone()
	var firstErr error
	for v := m.vmas.head; v != nil; v = v.next {
		if v.dontFork || v.wipeOnFork {
			// Guard pages go with the pages: a wiped mapping starts
			// empty in the child.
			c.guards.update(v.start, v.end, false)
		}
		if v.dontFork {
			continue
		}
		nv := *v
		nv.locked, nv.lockOnFault = false, false // locks are not inherited
		// Nor userfaultfd registrations (no UFFD_FEATURE_EVENT_FORK).
		nv.uffd, nv.uffdMissing = nil, false
		nv.takeRefs(c)
		c.vmas.add(&nv)
		if v.shared || v.wipeOnFork {
			// Shared pages are found again through the object;
			// wiped ones start afresh.
			continue
		}
		hostMapped := false
		var run frameRun // frames to take a reference on, batched
		m.pt.forRange(v.start, v.end, func(addr uintptr, p *pte) bool {
			if run.n > 0 && run.off+run.n*pageSize == p.frame {
				run.n++
			} else {
				if run.n > 0 {
					m.mf.incRef(run.off, run.n)
				}
				run = frameRun{off: p.frame, n: 1}
			}
			p.cow = true
			c.pt.set(addr, pte{frame: p.frame, cow: true})
			if p.mapped && p.hostProt&unix.PROT_WRITE != 0 {
				hostMapped = true
			}
			return true
		})
		if run.n > 0 {
			m.mf.incRef(run.off, run.n)
		}
		if hostMapped {
			// The parent must no longer write these frames in place.
			if err := m.syncHostLocked(v, v.start, v.end, false); err != nil && firstErr == nil {
				firstErr = err
			}
		}
	}
	if firstErr != nil {
		c.Release()
		return nil, firstErr
	}
	return c, nil
}
