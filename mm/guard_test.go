package mm

import (
	"testing"

	"golang.org/x/sys/unix"
)

// withGuardCap runs the test with maxGuardWords set to n.
func withGuardCap(t *testing.T, n uint64) {
	old := maxGuardWords
	maxGuardWords = n
	t.Cleanup(func() { maxGuardWords = old })
}

// alignedAnon maps a private anonymous region of pages pages whose
// start is aligned to 64 pages (a guard word) and returns that start.
func alignedAnon(t *testing.T, m *MemoryManager, pages uintptr) uintptr {
	t.Helper()
	a := mustMMap(t, m, anon((pages+64)*pageSize, rw))
	const span = 64 * pageSize
	return (a + span - 1) &^ (span - 1)
}

// TestGuardCapCountsNewWords: the cap on guard words counts only the
// words an install adds, so guarding pages again, or next to guards in
// the same word, costs nothing, while a page in a new word is refused
// once the cap is reached.
func TestGuardCapCountsNewWords(t *testing.T) {
	withGuardCap(t, 4)
	e := newEnv(t)
	m := e.newMM()
	defer m.Release()
	base := alignedAnon(t, m, 6*64)
	if err := m.MAdvise(base, 4*64*pageSize, madvGuardInstall); err != nil {
		t.Fatalf("install 4 words under a cap of 4: %v", err)
	}
	if err := m.MAdvise(base, 4*64*pageSize, madvGuardInstall); err != nil {
		t.Fatalf("install over the same guards: %v", err)
	}
	if err := m.MAdvise(base+64*pageSize, 3*pageSize, madvGuardInstall); err != nil {
		t.Fatalf("install inside guarded words: %v", err)
	}
	if err := m.MAdvise(base+4*64*pageSize, pageSize, madvGuardInstall); err != unix.ENOMEM {
		t.Fatalf("install in a fifth word = %v, want ENOMEM", err)
	}
	if got := len(m.guards.words); got != 4 {
		t.Fatalf("%d guard words, want 4", got)
	}
	// Removing a word's guards frees room for another.
	if err := m.MAdvise(base, 64*pageSize, madvGuardRemove); err != nil {
		t.Fatal(err)
	}
	if err := m.MAdvise(base+4*64*pageSize, pageSize, madvGuardInstall); err != nil {
		t.Fatalf("install after a removal: %v", err)
	}
}

// TestGuardCapMremap: guards moved by mremap count against the cap: a
// move to another alignment that would spread one word's guards over
// two fails with ENOMEM and changes nothing; one that fits moves them.
func TestGuardCapMremap(t *testing.T) {
	withGuardCap(t, 2)
	e := newEnv(t)
	m := e.newMM()
	defer m.Release()
	src := alignedAnon(t, m, 64)
	dst := alignedAnon(t, m, 3*64)
	other := alignedAnon(t, m, 64)
	// One word: the first and last pages of src's 64.
	for _, a := range []uintptr{src, src + 63*pageSize, other} {
		if err := m.MAdvise(a, pageSize, madvGuardInstall); err != nil {
			t.Fatal(err)
		}
	}
	if got := len(m.guards.words); got != 2 {
		t.Fatalf("%d guard words, want 2", got)
	}
	// Moved 32 pages off alignment, src's guards need two words.
	to := dst + 32*pageSize
	if _, err := m.MRemap(src, 64*pageSize, 64*pageSize, unix.MREMAP_MAYMOVE|unix.MREMAP_FIXED, to); err != unix.ENOMEM {
		t.Fatalf("misaligned move = %v, want ENOMEM", err)
	}
	if !m.guards.has(src) || !m.guards.has(src+63*pageSize) || m.guards.has(to) || len(m.guards.words) != 2 {
		t.Fatal("a refused move changed the guards")
	}
	if v := m.vmas.find(src); v == nil || v.end < src+64*pageSize {
		t.Fatal("a refused move unmapped the source")
	}
	// Aligned, they fit in one word again.
	to = dst + 64*pageSize
	if got, err := m.MRemap(src, 64*pageSize, 64*pageSize, unix.MREMAP_MAYMOVE|unix.MREMAP_FIXED, to); err != nil || got != to {
		t.Fatalf("aligned move = %#x, %v", got, err)
	}
	if m.guards.has(src) || !m.guards.has(to) || !m.guards.has(to+63*pageSize) || m.guards.has(to+pageSize) || len(m.guards.words) != 2 {
		t.Fatalf("guards after the move: %v", m.guards.pages(dst, dst+3*64*pageSize))
	}
	checkConsistent(t, m)
}
