package mm

import (
	"sync/atomic"
	"testing"

	"golang.org/x/sys/unix"
)

// A special mapping (the vDSO's data page) is private, reads what the
// kernel stores through Words, and can be made writable neither by
// mprotect nor by ptrace's forced writes.
func TestSpecialMapping(t *testing.T) {
	e := newEnv(t)
	m := e.newMM()
	obj := NewSharedMemory(e.mf, pageSize)
	w, err := obj.Words(0)
	if err != nil {
		t.Fatal(err)
	}
	atomic.StoreUint64(&w[3], 0x1122334455667788)
	p := mustMMap(t, m, MMapOpts{Length: pageSize, Prot: unix.PROT_READ, Flags: unix.MAP_PRIVATE, Shm: obj, Name: "[vvar]", NoWrite: true, Special: true})
	got, err := appRead(m, p+24, 8)
	if err != nil || got[0] != 0x88 || got[7] != 0x11 {
		t.Fatalf("read %x, %v", got, err)
	}
	atomic.StoreUint64(&w[3], 7)
	if got, _ := appRead(m, p+24, 1); got[0] != 7 {
		t.Fatalf("the mapping does not see the kernel's store: %x", got)
	}
	if err := m.MProtect(p, pageSize, unix.PROT_READ|unix.PROT_WRITE); err != unix.EACCES {
		t.Fatalf("mprotect(PROT_WRITE) = %v, want EACCES", err)
	}
	if _, err := m.CopyOutForce(p, []byte{1}); err == nil {
		t.Fatal("a forced write to a special mapping succeeded")
	}
	if vs := m.VMAs(); vs[0].Shared || vs[0].Name != "[vvar]" {
		t.Fatalf("VMAs %+v", vs)
	}
	c, err := m.Fork()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Release()
	atomic.StoreUint64(&w[3], 9)
	if got, _ := appRead(c, p+24, 1); got[0] != 9 {
		t.Fatalf("the forked mapping does not see the kernel's store: %x", got)
	}
	if _, err := obj.Words(1); err != unix.EFAULT {
		t.Fatalf("Words past the end = %v", err)
	}
}
