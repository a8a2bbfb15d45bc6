package mm

import (
	"testing"

	"golang.org/x/sys/unix"
)

func TestMLock(t *testing.T) {
	e := newEnv(t)
	m := e.newMM()
	defer m.Release()
	base := uintptr(0x10000000)
	mustMMap(t, m, fixedAnon(base, 8*pageSize, rw))
	lim := MemlockLimit{Bytes: 4 * pageSize}
	if err := m.MLock(base, pageSize, 0, MemlockLimit{}); err != unix.EPERM {
		t.Fatalf("mlock without a limit = %v", err)
	}
	if err := m.MLock(base, pageSize, 2, lim); err != unix.EINVAL {
		t.Fatalf("mlock2 bad flags = %v", err)
	}
	if err := m.MLock(base, 5*pageSize, 0, lim); err != unix.ENOMEM {
		t.Fatalf("mlock over the limit = %v", err)
	}
	// The range grows by the offset of addr: 2 pages.
	if err := m.MLock(base+pageSize+100, pageSize, 0, lim); err != nil {
		t.Fatal(err)
	}
	if n := e.mf.FramesInUse(); n != 2 {
		t.Fatalf("mlock populated %d pages, want 2", n)
	}
	if vs := m.VMAs(); len(vs) != 3 || vs[1].Start != base+pageSize || vs[1].End != base+3*pageSize {
		t.Fatalf("VMAs after mlock: %+v", vs)
	}
	// Locking the locked pages again does not count them twice.
	if err := m.MLock(base, 4*pageSize, mlockOnFault, lim); err != nil {
		t.Fatalf("relock within the limit: %v", err)
	}
	if err := m.MLock(base+7*pageSize, 2*pageSize, 0, lim); err != unix.ENOMEM {
		t.Fatalf("mlock over a hole = %v", err)
	}
	if err := m.MAdvise(base+pageSize, pageSize, unix.MADV_DONTNEED); err != unix.EINVAL {
		t.Fatalf("MADV_DONTNEED on locked memory = %v", err)
	}
	if err := m.MAdvise(base+pageSize, pageSize, unix.MADV_DONTNEED_LOCKED); err != nil {
		t.Fatalf("MADV_DONTNEED_LOCKED = %v", err)
	}
	if err := m.MUnlock(base, 8*pageSize); err != nil {
		t.Fatal(err)
	}
	if vs := m.VMAs(); len(vs) != 1 {
		t.Fatalf("VMAs after munlock: %+v", vs)
	}
	if err := m.MUnlock(base, 9*pageSize); err != unix.ENOMEM {
		t.Fatalf("munlock over a hole = %v", err)
	}
	checkConsistent(t, m)
}

func TestMLockAll(t *testing.T) {
	e := newEnv(t)
	m := e.newMM()
	defer m.Release()
	base := uintptr(0x10000000)
	mustMMap(t, m, fixedAnon(base, 4*pageSize, rw))
	lim := MemlockLimit{Bytes: 16 * pageSize}
	for _, f := range []int{0, mclOnFault, 8} {
		if err := m.MLockAll(f, lim); err != unix.EINVAL {
			t.Errorf("mlockall(%d) = %v", f, err)
		}
	}
	if err := m.MLockAll(mclCurrent, MemlockLimit{Bytes: pageSize}); err != unix.ENOMEM {
		t.Fatalf("mlockall over the limit = %v", err)
	}
	if err := m.MLockAll(mclCurrent|mclFuture, lim); err != nil {
		t.Fatal(err)
	}
	if n := e.mf.FramesInUse(); n != 4 {
		t.Fatalf("MCL_CURRENT populated %d pages", n)
	}
	// Future mappings are locked and populated, within the limit.
	mustMMap(t, m, fixedAnon(base+4*pageSize, 4*pageSize, rw))
	if n := e.mf.FramesInUse(); n != 8 {
		t.Fatalf("MCL_FUTURE mapping populated to %d pages", n)
	}
	if vs := m.VMAs(); len(vs) != 1 {
		t.Fatalf("locked neighbours did not merge: %+v", vs)
	}
	if _, err := m.MMap(anon(16*pageSize, rw)); err != unix.EAGAIN {
		t.Fatalf("MCL_FUTURE mapping over the limit = %v", err)
	}
	m.SetBrkStart(0x20000000)
	if got := m.Brk(0x20000000 + 16*pageSize); got != 0x20000000 {
		t.Fatalf("locked brk over the limit = %#x", got)
	}
	// Children do not inherit locks.
	c, err := m.Fork()
	if err != nil {
		t.Fatal(err)
	}
	if c.lockedPagesLocked(0, c.maxAddr) != 0 || c.lockFuture {
		t.Fatal("child inherited memory locks")
	}
	c.Release()
	m.MUnlockAll()
	if m.lockedPagesLocked(0, m.maxAddr) != 0 || m.lockFuture {
		t.Fatal("munlockall left locks")
	}
	checkConsistent(t, m)
}
