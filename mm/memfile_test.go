package mm

import "testing"

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
