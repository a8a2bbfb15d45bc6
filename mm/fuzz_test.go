package mm

import (
	"testing"

	"golang.org/x/sys/unix"
)

// FuzzMM applies random sequences of mapping operations and page accesses
// to an address space and checks its invariants after each: VMAs sorted,
// non-overlapping and page-aligned; every pte inside a VMA; the platform
// mappings matching the ptes; and no frame leaked once everything is
// released.
func FuzzMM(f *testing.F) {
	f.Add([]byte{0, 0, 4, 3, 1, 2, 2, 1, 2, 1, 1, 0, 3, 1, 8, 4})
	f.Add([]byte{0, 0, 16, 3, 7, 4, 0, 1, 4, 2, 8, 9, 1, 9, 5, 3, 6, 0, 2, 2})
	f.Add([]byte{10, 0, 8, 3, 7, 1, 0, 0, 8, 3, 0, 0, 0, 12, 8, 0, 7, 9, 1, 0})
	f.Fuzz(func(t *testing.T, ops []byte) {
		mf, err := NewMemoryFileSize(512 * pageSize)
		if err != nil {
			t.Fatal(err)
		}
		defer mf.Release()
		p := &fakePlatform{max: testMaxAddr}
		m, err := NewMemoryManager(mf, p)
		if err != nil {
			t.Fatal(err)
		}
		const base = uintptr(0x40000000)
		m.SetBrkStart(base + 40*pageSize)
		var children []*MemoryManager
		at := func(b byte) uintptr { return base + uintptr(b%48)*pageSize }
		prots := []int{unix.PROT_NONE, unix.PROT_READ, rw, rw | unix.PROT_EXEC}
		for len(ops) >= 4 {
			op, a, n, x := ops[0], ops[1], ops[2], ops[3]
			ops = ops[4:]
			addr, length := at(a), uintptr(n%16+1)*pageSize
			prot := prots[x%4]
			switch op % 14 {
			case 0:
				m.MMap(MMapOpts{Addr: addr, Length: length, Prot: prot, Flags: unix.MAP_PRIVATE | unix.MAP_ANONYMOUS | unix.MAP_FIXED})
			case 1:
				m.MMap(MMapOpts{Addr: addr, Length: length, Prot: prot, Flags: unix.MAP_SHARED | unix.MAP_ANONYMOUS})
			case 2:
				m.MUnmap(addr, length)
			case 3:
				m.MProtect(addr, length, prot)
			case 4:
				flags := []int{0, unix.MREMAP_MAYMOVE, unix.MREMAP_MAYMOVE | unix.MREMAP_FIXED, unix.MREMAP_MAYMOVE | unix.MREMAP_DONTUNMAP}[x%4]
				newLen := uintptr(x/4%16+1) * pageSize
				if flags&unix.MREMAP_DONTUNMAP != 0 {
					newLen = length
				}
				m.MRemap(addr, length, newLen, flags, at(x))
			case 5:
				m.MAdvise(addr, length, []int{unix.MADV_DONTNEED, unix.MADV_FREE, unix.MADV_DONTFORK, unix.MADV_WIPEONFORK}[x%4])
			case 6:
				m.Brk(base + 40*pageSize + uintptr(n%16)*pageSize + uintptr(x))
			case 7:
				appWrite(m, addr+uintptr(x), []byte{x})
			case 8:
				appRead(m, addr+uintptr(x), 1)
			case 9:
				if c, err := m.Fork(); err == nil {
					children = append(children, c)
				}
			case 10:
				m.MMap(MMapOpts{Addr: addr, Length: length, Prot: prot, Flags: unix.MAP_PRIVATE, File: newFile(make([]byte, int(x)*64)), Offset: uint64(n%4) * pageSize})
			case 11:
				if len(children) > 0 {
					c := children[int(x)%len(children)]
					appWrite(c, addr, []byte{x})
					checkConsistent(t, c)
				}
			case 12:
				m.CopyOut(addr+uintptr(x), make([]byte, int(n)*100))
			case 13:
				m.MMap(MMapOpts{Addr: addr, Length: length, Prot: prot, Flags: unix.MAP_PRIVATE | unix.MAP_ANONYMOUS | unix.MAP_POPULATE})
			}
			checkConsistent(t, m)
		}
		for _, c := range children {
			c.Release()
		}
		m.Release()
		if n := mf.FramesInUse(); n != 0 {
			t.Fatalf("%d frames leaked", n)
		}
	})
}
