package mm

import (
	"bytes"
	"testing"
)

// splitViews cuts b into views of the given lengths (the rest in a last
// one), as Pin hands a program buffer over.
func splitViews(b []byte, lens ...int) [][]byte {
	var v [][]byte
	for _, n := range lens {
		v = append(v, b[:n])
		b = b[n:]
	}
	return append(v, b)
}

// ReadAtv and WriteAtv move data between an object and several buffers
// as ReadAt and WriteAt do with one: across holes, runs of frames that
// do not follow each other, page boundaries inside a buffer, empty
// buffers, and the object's end; with frames cold in kite's mapping
// (pwritev, preadv) and warm (reused from the dirty pool).
func TestSharedMemoryVectored(t *testing.T) {
	e := newEnv(t)
	for round := 0; round < 2; round++ {
		shm := NewSharedMemory(e.mf, 0)
		want := make([]byte, 12*pageSize)
		// Pages 0-1 and 6-8 written alone (separate runs of frames),
		// the rest holes; then one vectored write over pages 3-9.
		for _, w := range []struct{ off, n int }{{100, 2*pageSize - 100}, {6 * pageSize, 3 * pageSize}} {
			copy(want[w.off:], fill(w.n, byte(w.off)))
			if n, err := shm.WriteAt(want[w.off:w.off+w.n], uint64(w.off)); n != w.n || err != nil {
				t.Fatalf("WriteAt = %d, %v", n, err)
			}
		}
		src := fill(6*pageSize+7, 77)
		off := 3*pageSize + 5
		copy(want[off:], src)
		n, err := shm.WriteAtv(splitViews(src, 10, 0, pageSize, 3*pageSize-3), uint64(off))
		if n != len(src) || err != nil {
			t.Fatalf("WriteAtv = %d, %v", n, err)
		}
		size := off + len(src)
		if shm.Size() != uint64(size+pageMask)&^pageMask {
			t.Fatalf("size %d after WriteAtv ending at %d", shm.Size(), size)
		}
		got := make([]byte, 12*pageSize)
		for i := range got {
			got[i] = 0xee
		}
		// From byte 1 on, into buffers of odd lengths: up to the
		// object's (page-rounded) size, the rest untouched.
		n = shm.ReadAtv(splitViews(got[1:], 3, 0, pageSize+1, 2*pageSize, 5), 1)
		end := int(shm.Size())
		if n != end-1 {
			t.Fatalf("ReadAtv = %d, want %d", n, end-1)
		}
		if !bytes.Equal(got[1:end], want[1:end]) {
			t.Fatal("ReadAtv read other data than written")
		}
		if got[0] != 0xee || got[end] != 0xee {
			t.Fatal("ReadAtv wrote outside what it read")
		}
		if n := shm.ReadAtv(splitViews(got, 1), uint64(end)); n != 0 {
			t.Fatalf("ReadAtv at the end = %d", n)
		}
		// Holes stayed holes: pages 2 (never written) and 10 on.
		if shm.HasPage(2) || shm.HasPage(10) {
			t.Fatal("a read gave a hole a frame")
		}
		// The first round's frames are cold (written with pwritev);
		// freed, they stay in the dirty pool, and the second round's
		// come back from it zeroed through kite's mapping: warm.
		f, _ := shm.frames.get(0)
		if w := e.mf.isWarm(f, pageSize); w != (round == 1) {
			t.Fatalf("round %d: frame warm %v", round, w)
		}
		shm.DecRef()
	}
	if n := e.mf.FramesInUse(); n != 0 {
		t.Fatalf("%d frames leaked", n)
	}
}
