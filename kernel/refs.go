package kernel

import (
	"sync/atomic"

	"github.com/kite-os/kite/mm"
	"github.com/kite-os/kite/vfs"
)

// fdTableRef is an fd table shared by the tasks cloned with CLONE_FILES.
type fdTableRef struct {
	t    *vfs.FDTable
	refs atomic.Int32
}

func newFDTableRef(t *vfs.FDTable) *fdTableRef {
	r := &fdTableRef{t: t}
	r.refs.Store(1)
	return r
}

func (r *fdTableRef) incRef() { r.refs.Add(1) }

// decRef drops a reference; the last one closes every file.
func (r *fdTableRef) decRef(ctx vfs.Context) {
	if r.refs.Add(-1) == 0 {
		r.t.RemoveAll(ctx)
	}
}

// fsContextRef is a root/cwd/umask shared by tasks cloned with CLONE_FS.
type fsContextRef struct {
	c    *vfs.FSContext
	refs atomic.Int32
}

func newFSContextRef(c *vfs.FSContext) *fsContextRef {
	r := &fsContextRef{c: c}
	r.refs.Store(1)
	return r
}

func (r *fsContextRef) incRef() { r.refs.Add(1) }

func (r *fsContextRef) decRef() { r.refs.Add(-1) }

// mmUsers counts the tasks using each address space (CLONE_VM); the last
// user releases it.
//
// Preconditions for both: k.mu is not held (Release may be slow).
func (k *Kernel) mmGet(m *mm.MemoryManager) {
	k.mmMu.Lock()
	k.mmUsers[m]++
	k.mmMu.Unlock()
}

func (k *Kernel) mmPut(m *mm.MemoryManager) {
	k.mmMu.Lock()
	k.mmUsers[m]--
	last := k.mmUsers[m] <= 0
	if last {
		delete(k.mmUsers, m)
	}
	k.mmMu.Unlock()
	if last {
		k.aio.releaseMM(m)
		m.Release()
	}
}
