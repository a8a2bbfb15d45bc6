package mm

import (
	"errors"
	"testing"

	"golang.org/x/sys/unix"
)

// mpage is the model's view of one page of the arena.
type mpage struct {
	prot int
	val  byte // the byte at offset 0
}

// FuzzModel runs random mapping operations on a MemoryManager and on a
// simple per-page model of Linux's semantics side by side, and compares
// what the application would see: which pages are mapped, with what
// protection, and their contents (including across Fork, mremap moves and
// MADV_DONTNEED).
func FuzzModel(f *testing.F) {
	f.Add([]byte{0, 0, 8, 2, 3, 1, 0, 7, 1, 0, 2, 0, 4, 2, 3, 0x21, 5, 1, 1, 0, 6, 0, 0, 0})
	f.Add([]byte{0, 4, 8, 2, 3, 5, 0, 9, 6, 4, 0, 0, 4, 4, 3, 0x61, 3, 2, 1, 1, 2, 6, 1, 0})
	f.Fuzz(runModel)
}

func runModel(t *testing.T, ops []byte) {
	{
		mf, err := NewMemoryFileSize(1024 * pageSize)
		if err != nil {
			t.Fatal(err)
		}
		defer mf.Release()
		m, err := NewMemoryManager(mf, &fakePlatform{max: testMaxAddr})
		if err != nil {
			t.Fatal(err)
		}
		defer m.Release()
		const base = uintptr(0x40000000)
		const arena = 48
		model := map[uintptr]*mpage{}
		page := func(b byte) uintptr { return base + uintptr(b%arena)*pageSize }
		prots := []int{unix.PROT_NONE, unix.PROT_READ, rw, rw | unix.PROT_EXEC}
		for step := 0; len(ops) >= 4; step++ {
			op, a, n, x := ops[0], ops[1], ops[2], ops[3]
			ops = ops[4:]
			addr, npages := page(a), uintptr(n%8+1)
			if addr+npages*pageSize > base+arena*pageSize {
				npages = (base + arena*pageSize - addr) / pageSize
			}
			length := npages * pageSize
			prot := prots[x%4]
			switch op % 8 {
			case 0: // mmap MAP_FIXED
				if _, err := m.MMap(fixedAnon(addr, length, prot)); err != nil {
					t.Fatalf("step %d: mmap: %v", step, err)
				}
				for i := uintptr(0); i < npages; i++ {
					model[addr+i*pageSize] = &mpage{prot: prot}
				}
			case 1: // munmap
				if err := m.MUnmap(addr, length); err != nil {
					t.Fatalf("step %d: munmap: %v", step, err)
				}
				for i := uintptr(0); i < npages; i++ {
					delete(model, addr+i*pageSize)
				}
			case 2: // mprotect
				err := m.MProtect(addr, length, prot)
				var want error
				for i := uintptr(0); i < npages; i++ {
					p := model[addr+i*pageSize]
					if p == nil {
						want = unix.ENOMEM
						break
					}
					p.prot = prot
				}
				if err != want {
					t.Fatalf("step %d: mprotect = %v, want %v", step, err, want)
				}
			case 3: // write one byte
				p := model[addr]
				err := appWrite(m, addr, []byte{x})
				checkAccess(t, step, "write", err, p, p != nil && p.prot&unix.PROT_WRITE != 0)
				if err == nil {
					p.val = x
				}
			case 4: // read and compare
				p := model[addr]
				got, err := appRead(m, addr, 1)
				checkAccess(t, step, "read", err, p, p != nil && p.prot != 0)
				if err == nil && got[0] != p.val {
					t.Fatalf("step %d: page %#x reads %d, model %d", step, addr, got[0], p.val)
				}
			case 5: // fork; the child writes everywhere; the parent must not see it
				c, err := m.Fork()
				if err != nil {
					t.Fatal(err)
				}
				for a, p := range model {
					if p.prot&unix.PROT_WRITE != 0 {
						if err := appWrite(c, a, []byte{p.val + 1}); err != nil {
							t.Fatalf("step %d: child write: %v", step, err)
						}
					}
				}
				checkConsistent(t, c)
				c.Release()
			case 6: // MADV_DONTNEED
				err := m.MAdvise(addr, length, unix.MADV_DONTNEED)
				var want error
				for i := uintptr(0); i < npages; i++ {
					if p := model[addr+i*pageSize]; p != nil {
						p.val = 0
					} else {
						want = unix.ENOMEM
					}
				}
				if err != want {
					t.Fatalf("step %d: madvise = %v, want %v", step, err, want)
				}
			case 7: // mremap MREMAP_FIXED within the arena
				to := page(x)
				newPages := uintptr(x/arena%4 + 1)
				if to+newPages*pageSize > base+arena*pageSize {
					newPages = (base + arena*pageSize - to) / pageSize
				}
				newLen := newPages * pageSize
				overlap := addr < to+newLen && to < addr+length
				srcLen := min(length, newLen)
				oneVMA := false
				for _, v := range m.VMAs() {
					if v.Start <= addr && addr+srcLen <= v.End {
						oneVMA = true
					}
				}
				got, err := m.MRemap(addr, length, newLen, unix.MREMAP_MAYMOVE|unix.MREMAP_FIXED, to)
				switch {
				case overlap:
					if err != unix.EINVAL {
						t.Fatalf("step %d: overlapping mremap = %v", step, err)
					}
					continue
				case model[addr] == nil:
					if err != unix.EFAULT {
						t.Fatalf("step %d: mremap of unmapped source = %v", step, err)
					}
					continue
				}
				// The target is unmapped, then (when shrinking) the
				// tail of the source, before the source is checked.
				for i := uintptr(0); i < newPages; i++ {
					delete(model, to+i*pageSize)
				}
				if newLen == length {
					// A move without resizing may span VMAs and
					// gaps.
					if err != nil || got != to {
						t.Fatalf("step %d: same-length fixed move = %#x, %v", step, got, err)
					}
					moved := map[uintptr]*mpage{}
					for i := uintptr(0); i < npages; i++ {
						if p := model[addr+i*pageSize]; p != nil {
							moved[to+i*pageSize] = p
						}
						delete(model, addr+i*pageSize)
					}
					for a, p := range moved {
						model[a] = p
					}
					break
				}
				if newLen < length {
					for i := newPages; i < npages; i++ {
						delete(model, addr+i*pageSize)
					}
				}
				if err != nil {
					if oneVMA || !errors.Is(err, unix.EFAULT) {
						t.Fatalf("step %d: mremap = %v (one VMA: %v)", step, err, oneVMA)
					}
					continue
				}
				if got != to {
					t.Fatalf("step %d: mremap moved to %#x, want %#x", step, got, to)
				}
				moved := map[uintptr]*mpage{}
				first := model[addr]
				for i := uintptr(0); i < newPages; i++ {
					if i < npages {
						moved[to+i*pageSize] = model[addr+i*pageSize]
					} else {
						moved[to+i*pageSize] = &mpage{prot: first.prot}
					}
				}
				for i := uintptr(0); i < min(npages, newPages); i++ {
					delete(model, addr+i*pageSize)
				}
				for i := uintptr(0); i < newPages; i++ {
					model[to+i*pageSize] = moved[to+i*pageSize]
				}
			}
			checkConsistent(t, m)
			// Mapped pages and protections agree with the model.
			for i := uintptr(0); i < arena; i++ {
				a := base + i*pageSize
				v := m.VMAs()
				var vp = -1
				for _, vi := range v {
					if vi.Start <= a && a < vi.End {
						vp = vi.Prot
					}
				}
				p := model[a]
				if (p == nil) != (vp == -1) || (p != nil && p.prot != vp) {
					t.Fatalf("step %d: page %#x: mm prot %d, model %+v", step, a, vp, p)
				}
			}
		}
	}
}

func checkAccess(t *testing.T, step int, what string, err error, p *mpage, ok bool) {
	t.Helper()
	if ok {
		if err != nil {
			t.Fatalf("step %d: %s: %v", step, what, err)
		}
		return
	}
	var fe *FaultError
	if !errors.As(err, &fe) || fe.Signo != int32(unix.SIGSEGV) {
		t.Fatalf("step %d: %s of inaccessible page: %v", step, what, err)
	}
	want := int32(SEGV_ACCERR)
	if p == nil {
		want = SEGV_MAPERR
	}
	if fe.Code != want {
		t.Fatalf("step %d: %s fault code %d, want %d", step, what, fe.Code, want)
	}
}
