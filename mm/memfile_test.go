package mm

import (
	"bytes"
	"sync/atomic"
	"testing"
)

// TestDirtyFrames checks the batching of hole punches: freed frames keep
// their memory (dirty) until maxDirtyPages pile up, a dirty frame handed
// out again reads as zeros, and punching takes every dirty frame.
func TestDirtyFrames(t *testing.T) {
	mf, err := NewMemoryFileSize(4 * maxDirtyPages * pageSize)
	if err != nil {
		t.Fatal(err)
	}
	defer mf.Release()
	const n = 64
	off, got, err := mf.allocRun(n)
	if err != nil || got != n {
		t.Fatalf("allocRun: %v, %d", err, got)
	}
	for i := uint64(0); i < n; i++ {
		mf.frame(off + i*pageSize)[100] = 0xAB
	}
	// Free every other frame: they stay dirty.
	for i := uint64(0); i < n; i += 2 {
		mf.decRef(off+i*pageSize, 1)
	}
	if mf.nDirty != n/2 {
		t.Fatalf("nDirty = %d, want %d", mf.nDirty, n/2)
	}
	// Reuse them one by one: each must read as zeros.
	for i := 0; i < n/2; i++ {
		f, _, err := mf.allocRun(1)
		if err != nil {
			t.Fatal(err)
		}
		if b := mf.frame(f); !isZeroPage(b) {
			t.Fatalf("reused dirty frame %#x is not zeroed", f)
		}
	}
	if mf.nDirty != 0 {
		t.Fatalf("nDirty = %d after reusing every dirty frame", mf.nDirty)
	}
	// Free more than the pool holds: everything dirty is punched.
	big, got, err := mf.allocRun(maxDirtyPages + 8)
	if err != nil || got != maxDirtyPages+8 {
		t.Fatalf("allocRun(big): %v, %d", err, got)
	}
	for i := uint64(0); i < got; i++ {
		mf.frame(big + i*pageSize)[0] = 1
	}
	for i := uint64(0); i < got; i++ {
		mf.decRef(big+i*pageSize, 1)
		if mf.nDirty > maxDirtyPages {
			t.Fatalf("nDirty = %d, above the limit", mf.nDirty)
		}
	}
	mf.Flush()
	if mf.nDirty != 0 {
		t.Fatalf("nDirty = %d after Flush", mf.nDirty)
	}
	// Punched frames read as zeros, and a run over them is clean.
	f, got, err := mf.allocRun(maxDirtyPages)
	if err != nil {
		t.Fatal(err)
	}
	for i := uint64(0); i < got; i++ {
		if !isZeroPage(mf.frame(f + i*pageSize)) {
			t.Fatalf("frame %#x not zero after the punch", f+i*pageSize)
		}
	}
}

func isZeroPage(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// TestFrameTable checks the chunked page-to-frame table against a map.
func TestFrameTable(t *testing.T) {
	var acct atomic.Int64
	ft := newFrameTable(&acct)
	want := map[uint64]uint64{}
	for i := uint64(0); i < 3000; i++ {
		idx := (i * 7919) % 5000
		ft.set(idx, idx*pageSize+pageSize)
		want[idx] = idx*pageSize + pageSize
	}
	if ft.len() != uint64(len(want)) {
		t.Fatalf("len %d, want %d", ft.len(), len(want))
	}
	for idx := uint64(0); idx < 5000; idx++ {
		f, ok := ft.get(idx)
		if wf, wok := want[idx]; ok != wok || f != wf {
			t.Fatalf("get(%d) = %d, %v; want %d, %v", idx, f, ok, wf, wok)
		}
	}
	if n := ft.count(100, 4100); n != uint64(countIn(want, 100, 4100)) {
		t.Fatalf("count = %d, want %d", n, countIn(want, 100, 4100))
	}
	last := uint64(0)
	ft.forRange(700, 2300, true, func(idx, f uint64) {
		if idx < 700 || idx >= 2300 || idx < last || f != want[idx] {
			t.Fatalf("forRange gave %d -> %d out of order or range", idx, f)
		}
		last = idx
		delete(want, idx)
	})
	if ft.len() != uint64(len(want)) || ft.count(0, 1<<40) != uint64(len(want)) {
		t.Fatalf("after removing: len %d, want %d", ft.len(), len(want))
	}
	if acct.Load() != int64(ft.len()) {
		t.Fatalf("accounted %d pages, table has %d", acct.Load(), ft.len())
	}
	if got := ft.all(); uint64(len(got)) != ft.len() {
		t.Fatalf("all() has %d frames, want %d", len(got), ft.len())
	}
}

func countIn(m map[uint64]uint64, from, to uint64) int {
	n := 0
	for idx := range m {
		if idx >= from && idx < to {
			n++
		}
	}
	return n
}

// TestWarmFrames checks which frames readAt and writeAt copy through
// kite's mapping: a dirty frame the allocator zeroed there is warm, a
// fresh or punched one is not, and both ways copy the same bytes.
func TestWarmFrames(t *testing.T) {
	mf, err := NewMemoryFileSize(4 * maxDirtyPages * pageSize)
	if err != nil {
		t.Fatal(err)
	}
	defer mf.Release()
	const n = 8
	off, got, err := mf.allocRun(n)
	if err != nil || got != n {
		t.Fatalf("allocRun: %v, %d", err, got)
	}
	if mf.isWarm(off, n*pageSize) {
		t.Fatal("fresh frames are warm")
	}
	data := make([]byte, n*pageSize)
	for i := range data {
		data[i] = byte(i * 7)
	}
	mf.writeAt(data[100:], off+100)
	mf.decRef(off, n) // dirty now
	again, got, err := mf.allocRun(n)
	if err != nil || got != n || again != off {
		t.Fatalf("allocRun again: %v, %d frames at %#x, want %#x", err, got, again, off)
	}
	if !mf.isWarm(off, n*pageSize) || !mf.isWarm(off+pageSize+5, 10) {
		t.Fatal("zeroed dirty frames are not warm")
	}
	back := make([]byte, n*pageSize)
	mf.readAt(back, off)
	if !isZeroPage(back) {
		t.Fatal("reused frames do not read as zeros")
	}
	mf.writeAt(data[1:n*pageSize-1], off+1)
	mf.readAt(back[1:n*pageSize-1], off+1)
	if string(back[1:n*pageSize-1]) != string(data[1:n*pageSize-1]) {
		t.Fatal("a copy through warm frames differs")
	}
	// One cold frame makes the range cold.
	other, _, err := mf.allocRun(1)
	if err != nil {
		t.Fatal(err)
	}
	if mf.isWarm(other, pageSize) {
		t.Fatal("a never-used frame is warm")
	}
	mf.decRef(off, n)
	mf.Flush()
	punched, got, err := mf.allocRun(n)
	if err != nil || got != n || punched != off {
		t.Fatalf("allocRun after punch: %v, %d frames at %#x", err, got, punched)
	}
	if mf.isWarm(off, pageSize) {
		t.Fatal("a punched frame is still warm")
	}
}

// TestWarmWhileAllocating reads the warm bits of held frames while other
// goroutines allocate, free and punch their neighbours (the same bitmap
// words): isWarm takes no lock, so under -race this checks it races with
// nothing, and that a held frame's warmth never changes under it.
func TestWarmWhileAllocating(t *testing.T) {
	mf, err := NewMemoryFileSize(4 * maxDirtyPages * pageSize)
	if err != nil {
		t.Fatal(err)
	}
	defer mf.Release()
	// A warm run: allocated, freed (dirty), allocated again (zeroed
	// through the mapping).
	warm, _, err := mf.allocRun(4)
	if err != nil {
		t.Fatal(err)
	}
	mf.decRef(warm, 4)
	if again, got, err := mf.allocRun(4); err != nil || again != warm || got != 4 {
		t.Fatalf("allocRun again: %v, %d at %#x", err, got, again)
	}
	cold, _, err := mf.allocRun(4)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 200; i++ {
			off, got, err := mf.allocRun(3)
			if err != nil {
				t.Error(err)
				return
			}
			mf.decRef(off, got)
			if i%50 == 0 {
				mf.Flush()
			}
		}
	}()
	buf := make([]byte, 2*pageSize)
	for {
		select {
		case <-done:
			return
		default:
		}
		if !mf.isWarm(warm, 4*pageSize) || mf.isWarm(cold, pageSize) {
			t.Fatal("a held frame's warmth changed")
		}
		mf.readAt(buf, warm+pageSize)
	}
}

// TestSingleBufferNoAllocs: a copy to or from cold frames with a single
// buffer is one pread or pwrite without an iovec array, and reading or
// writing a shared memory object with one buffer allocates nothing.
func TestSingleBufferNoAllocs(t *testing.T) {
	mf, err := NewMemoryFileSize(64 * pageSize)
	if err != nil {
		t.Fatal(err)
	}
	defer mf.Release()
	off, _, err := mf.allocRun(4)
	if err != nil {
		t.Fatal(err)
	}
	if mf.isWarm(off, 4*pageSize) {
		t.Fatal("fresh frames are warm")
	}
	buf := make([]byte, 3*pageSize)
	for i := range buf {
		buf[i] = byte(i)
	}
	if n := testing.AllocsPerRun(20, func() { mf.writeAt(buf, off+10) }); n != 0 {
		t.Errorf("writeAt of cold frames: %v allocations", n)
	}
	back := make([]byte, len(buf))
	if n := testing.AllocsPerRun(20, func() { mf.readAt(back, off+10) }); n != 0 {
		t.Errorf("readAt of cold frames: %v allocations", n)
	}
	if !bytes.Equal(back, buf) {
		t.Fatal("readAt read other bytes than writeAt wrote")
	}
	o := NewSharedMemory(mf, 0)
	defer o.DecRef()
	if _, err := o.WriteAt(buf, 100); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(20, func() { o.WriteAt(buf, 100) }); n != 0 {
		t.Errorf("SharedMemory.WriteAt: %v allocations", n)
	}
	if n := testing.AllocsPerRun(20, func() { o.ReadAt(back, 100) }); n != 0 {
		t.Errorf("SharedMemory.ReadAt: %v allocations", n)
	}
	if !bytes.Equal(back, buf) {
		t.Fatal("ReadAt read other bytes than WriteAt wrote")
	}
}

// TestHintPassesFullStretch: once nothing is free from the hint to the
// high-water mark, a scan moves the hint there, so that allocating frame
// after frame does not walk the used frames again each time (it did:
// allocation was quadratic once a hole below the mark had been refilled).
func TestHintPassesFullStretch(t *testing.T) {
	mf, err := NewMemoryFileSize(1 << 30)
	if err != nil {
		t.Fatal(err)
	}
	defer mf.Release()
	off, got, err := mf.allocRun(1000)
	if err != nil || got != 1000 {
		t.Fatalf("allocRun: %v, %d", err, got)
	}
	mf.decRef(off+10*pageSize, 1) // a hole low down
	mf.mu.Lock()
	if mf.hint > 10 {
		mf.hint = 10
	}
	mf.mu.Unlock()
	if f, _, err := mf.allocRun(1); err != nil || f != off+10*pageSize {
		t.Fatalf("allocRun(1) = %#x, %v; want the hole %#x", f, err, off+10*pageSize)
	}
	if _, _, err := mf.allocRun(1); err != nil {
		t.Fatal(err)
	}
	mf.mu.Lock()
	hint, high := mf.hint, mf.high
	mf.mu.Unlock()
	if hint != high {
		t.Fatalf("hint %d, high %d: the used stretch below high would be scanned again", hint, high)
	}
}
