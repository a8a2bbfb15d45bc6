package mm

import (
	"testing"

	"golang.org/x/sys/unix"
)

func TestMSeal(t *testing.T) {
	e := newEnv(t)
	m := e.newMM()
	defer m.Release()
	addr := mustMMap(t, m, anon(4*pageSize, unix.PROT_READ|unix.PROT_WRITE))
	if err := m.MSeal(addr+pageSize, 2*pageSize, 0); err != nil {
		t.Fatal(err)
	}
	if n := len(m.VMAs()); n != 3 {
		t.Fatalf("sealing the middle gave %d VMAs, want 3", n)
	}
	if err := m.MUnmap(addr, 4*pageSize); err != unix.EPERM {
		t.Fatalf("MUnmap over a sealed VMA = %v", err)
	}
	if err := m.MProtect(addr, 2*pageSize, unix.PROT_READ); err != unix.EPERM {
		t.Fatalf("MProtect over a sealed VMA = %v", err)
	}
	if vs := m.VMAs(); vs[0].Prot != unix.PROT_READ || vs[1].Prot != unix.PROT_READ|unix.PROT_WRITE {
		t.Fatalf("MProtect changed %#x and %#x, want only the VMA before the sealed one", vs[0].Prot, vs[1].Prot)
	}
	if _, err := m.MRemap(addr+pageSize, pageSize, 2*pageSize, unix.MREMAP_MAYMOVE, 0); err != unix.EPERM {
		t.Fatalf("MRemap of a sealed VMA = %v", err)
	}
	if _, err := m.MMap(MMapOpts{Addr: addr, Length: 4 * pageSize, Prot: unix.PROT_READ, Flags: unix.MAP_PRIVATE | unix.MAP_ANONYMOUS | unix.MAP_FIXED}); err != unix.EPERM {
		t.Fatalf("MAP_FIXED over a sealed VMA = %v", err)
	}
	if err := m.MSeal(addr+3*pageSize, 2*pageSize, 0); err != unix.ENOMEM {
		t.Fatalf("MSeal past the mapping = %v", err)
	}
	if err := m.MProtect(addr, pageSize, unix.PROT_READ|unix.PROT_WRITE); err != nil {
		t.Fatal(err)
	}
	if err := m.MSeal(addr, 4*pageSize, 0); err != nil {
		t.Fatal(err)
	}
	if n := len(m.VMAs()); n != 1 {
		t.Fatalf("sealing everything left %d VMAs, want 1", n)
	}
}
