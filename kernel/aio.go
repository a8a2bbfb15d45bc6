package kernel

import (
	"sync"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/ipc/aio"
	"github.com/kite-os/kite/mm"
)

// aioState is the kernel's AIO bookkeeping: the contexts of each address
// space (Linux's mm->ioctx_table) and the count of events reserved by
// all of them (fs.aio-nr).
type aioState struct {
	mu sync.Mutex
	// tables maps an address space to its contexts, indexed by the
	// ring's id; destroyed slots are nil. Guarded by mu.
	tables map[*mm.MemoryManager][]*aio.Context
	// nr is the sum of the contexts' MaxReqs. Guarded by mu.
	nr uint64
}

// releaseMM destroys the contexts of an address space that is going
// away (Linux's exit_aio).
func (s *aioState) releaseMM(m *mm.MemoryManager) {
	s.mu.Lock()
	ctxs := s.tables[m]
	delete(s.tables, m)
	for _, c := range ctxs {
		if c != nil {
			s.nr -= uint64(c.MaxReqs)
		}
	}
	s.mu.Unlock()
	for _, c := range ctxs {
		if c != nil {
			c.Kill()
		}
	}
}

// AIOSetup makes an AIO context for io_setup(nr) and maps its ring into
// the task's address space; it returns the context id.
func (t *Task) AIOSetup(nr uint32) (uintptr, error) {
	size, slots, err := aio.RingSize(nr, t.k.NumCPU())
	if err != nil {
		return 0, err
	}
	if uint64(nr) > aio.MaxEvents {
		return 0, unix.EAGAIN
	}
	s := &t.k.aio
	m := t.MemoryManager()
	s.mu.Lock()
	if s.nr+uint64(nr) > aio.MaxEvents {
		s.mu.Unlock()
		return 0, unix.EAGAIN
	}
	s.nr += uint64(nr)
	s.mu.Unlock()
	c := aio.NewContext(t.k.mf, size, slots, nr)
	addr, err := m.MMap(mm.MMapOpts{
		Length: size, Prot: unix.PROT_READ | unix.PROT_WRITE, Flags: unix.MAP_SHARED,
		Shm: c.Ring, Name: "/[aio] (deleted)",
	})
	if err != nil {
		s.mu.Lock()
		s.nr -= uint64(nr)
		s.mu.Unlock()
		c.Kill()
		return 0, err
	}
	s.mu.Lock()
	if s.tables == nil {
		s.tables = map[*mm.MemoryManager][]*aio.Context{}
	}
	tbl := s.tables[m]
	idx := len(tbl)
	for i, x := range tbl {
		if x == nil {
			idx = i
			break
		}
	}
	if idx == len(tbl) {
		tbl = append(tbl, nil)
	}
	tbl[idx] = c
	s.tables[m] = tbl
	s.mu.Unlock()
	if err := c.Init(addr, uint32(idx)); err != nil {
		t.AIODestroy(addr)
		return 0, err
	}
	return addr, nil
}

// AIOContext returns the task's address space's context id; EINVAL if
// there is none.
func (t *Task) AIOContext(id uintptr) (*aio.Context, error) {
	s := &t.k.aio
	m := t.MemoryManager()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.tables[m] {
		if c != nil && c.ID == id {
			return c, nil
		}
	}
	return nil, unix.EINVAL
}

// AIODestroy destroys context id (io_destroy): pending polls are
// cancelled and the ring is unmapped.
func (t *Task) AIODestroy(id uintptr) error {
	s := &t.k.aio
	m := t.MemoryManager()
	s.mu.Lock()
	var c *aio.Context
	tbl := s.tables[m]
	for i, x := range tbl {
		if x != nil && x.ID == id {
			c = x
			tbl[i] = nil
			s.nr -= uint64(x.MaxReqs)
			break
		}
	}
	s.mu.Unlock()
	if c == nil {
		return unix.EINVAL
	}
	c.Kill()
	m.MUnmap(c.ID, c.MapSize)
	return nil
}
