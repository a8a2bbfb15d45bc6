package mm

import (
	"bytes"
	"testing"

	"golang.org/x/sys/unix"
)

func fill(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = seed + byte(i/pageSize)
	}
	return b
}

func TestMRemapShrinkGrowInPlace(t *testing.T) {
	e := newEnv(t)
	m := e.newMM()
	defer m.Release()
	base := uintptr(0x10000000)
	mustMMap(t, m, fixedAnon(base, 4*pageSize, rw))
	if err := appWrite(m, base, fill(4*pageSize, 1)); err != nil {
		t.Fatal(err)
	}
	if a, err := m.MRemap(base, 4*pageSize, 2*pageSize, 0, 0); a != base || err != nil {
		t.Fatalf("shrink = %#x, %v", a, err)
	}
	if n := e.mf.FramesInUse(); n != 2 {
		t.Fatalf("shrink left %d frames", n)
	}
	if a, err := m.MRemap(base, 2*pageSize, 8*pageSize, 0, 0); a != base || err != nil {
		t.Fatalf("grow in place = %#x, %v", a, err)
	}
	got, err := appRead(m, base, 8*pageSize)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got[:2*pageSize], fill(2*pageSize, 1)) || !bytes.Equal(got[2*pageSize:], make([]byte, 6*pageSize)) {
		t.Fatal("contents after grow in place wrong")
	}
	// Blocked growth without MAYMOVE: ENOMEM.
	mustMMap(t, m, fixedAnon(base+9*pageSize, pageSize, unix.PROT_READ))
	if _, err := m.MRemap(base, 8*pageSize, 10*pageSize, 0, 0); err != unix.ENOMEM {
		t.Fatalf("blocked grow = %v", err)
	}
	if vs := m.VMAs(); len(vs) != 2 || vs[0].End != base+8*pageSize {
		t.Fatalf("VMAs %+v", vs)
	}
	checkConsistent(t, m)
}

func TestMRemapMove(t *testing.T) {
	e := newEnv(t)
	m := e.newMM()
	defer m.Release()
	base := uintptr(0x10000000)
	mustMMap(t, m, fixedAnon(base, 4*pageSize, rw))
	mustMMap(t, m, fixedAnon(base+4*pageSize, pageSize, unix.PROT_READ))
	data := fill(4*pageSize, 10)
	if err := appWrite(m, base, data); err != nil {
		t.Fatal(err)
	}
	frames := e.mf.FramesInUse()
	na, err := m.MRemap(base, 4*pageSize, 16*pageSize, unix.MREMAP_MAYMOVE, 0)
	if err != nil || na == base {
		t.Fatalf("move = %#x, %v", na, err)
	}
	if e.mf.FramesInUse() != frames {
		t.Fatal("move copied frames")
	}
	got, err := appRead(m, na, 16*pageSize)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got[:4*pageSize], data) || !bytes.Equal(got[4*pageSize:], make([]byte, 12*pageSize)) {
		t.Fatal("moved contents wrong")
	}
	_, err = appRead(m, base, 1)
	wantFault(t, err, int32(unix.SIGSEGV), SEGV_MAPERR)

	// MREMAP_FIXED replaces whatever is at the target.
	target := uintptr(0x20000000)
	mustMMap(t, m, fixedAnon(target, 2*pageSize, unix.PROT_READ))
	fa, err := m.MRemap(na, 2*pageSize, 2*pageSize, unix.MREMAP_MAYMOVE|unix.MREMAP_FIXED, target)
	if fa != target || err != nil {
		t.Fatalf("fixed move = %#x, %v", fa, err)
	}
	if got, _ := appRead(m, target, 2*pageSize); !bytes.Equal(got, data[:2*pageSize]) {
		t.Fatal("fixed move contents wrong")
	}
	if vs := m.VMAs(); vs[len(vs)-1].Prot != rw && vs[0].Start != target {
		t.Fatalf("VMAs %+v", vs)
	}
	checkConsistent(t, m)
}

func TestMRemapDontUnmap(t *testing.T) {
	e := newEnv(t)
	m := e.newMM()
	defer m.Release()
	addr := mustMMap(t, m, anon(2*pageSize, rw))
	if err := appWrite(m, addr, []byte("keep")); err != nil {
		t.Fatal(err)
	}
	na, err := m.MRemap(addr, 2*pageSize, 2*pageSize, unix.MREMAP_MAYMOVE|unix.MREMAP_DONTUNMAP, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := appRead(m, na, 4); string(got) != "keep" {
		t.Fatalf("moved %q", got)
	}
	if got, err := appRead(m, addr, 4); err != nil || !bytes.Equal(got, make([]byte, 4)) {
		t.Fatalf("old range after DONTUNMAP: %q, %v", got, err)
	}
	if _, err := m.MRemap(addr, 2*pageSize, 3*pageSize, unix.MREMAP_MAYMOVE|unix.MREMAP_DONTUNMAP, 0); err != unix.EINVAL {
		t.Fatalf("DONTUNMAP resize = %v", err)
	}
	checkConsistent(t, m)
}

func TestMRemapErrors(t *testing.T) {
	e := newEnv(t)
	m := e.newMM()
	defer m.Release()
	base := uintptr(0x10000000)
	mustMMap(t, m, fixedAnon(base, 2*pageSize, rw))
	mustMMap(t, m, fixedAnon(base+2*pageSize, 2*pageSize, unix.PROT_READ))
	tests := []struct {
		name                string
		old, oldLen, newLen uintptr
		flags               int
		newAddr             uintptr
		want                error
	}{
		{"bad flags", base, pageSize, pageSize, 0x80, 0, unix.EINVAL},
		{"fixed without maymove", base, pageSize, pageSize, unix.MREMAP_FIXED, 0x30000000, unix.EINVAL},
		{"unaligned", base + 1, pageSize, 2 * pageSize, unix.MREMAP_MAYMOVE, 0, unix.EINVAL},
		{"zero new length", base, pageSize, 0, unix.MREMAP_MAYMOVE, 0, unix.EINVAL},
		{"unmapped", 0x50000000, pageSize, 2 * pageSize, unix.MREMAP_MAYMOVE, 0, unix.EFAULT},
		{"across VMAs", base, 4 * pageSize, 5 * pageSize, unix.MREMAP_MAYMOVE, 0, unix.EFAULT},
		{"private with old_len 0", base, 0, pageSize, unix.MREMAP_MAYMOVE, 0, unix.EINVAL},
		{"fixed overlapping", base, 2 * pageSize, 2 * pageSize, unix.MREMAP_MAYMOVE | unix.MREMAP_FIXED, base + pageSize, unix.EINVAL},
		{"fixed unaligned", base, 2 * pageSize, 2 * pageSize, unix.MREMAP_MAYMOVE | unix.MREMAP_FIXED, 0x30000001, unix.EINVAL},
	}
	for _, tc := range tests {
		if _, err := m.MRemap(tc.old, tc.oldLen, tc.newLen, tc.flags, tc.newAddr); err != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
		}
	}
	// Even a no-op needs a mapping at the address (Linux 6.18).
	if _, err := m.MRemap(0x50000000, pageSize, pageSize, 0, 0); err != unix.EFAULT {
		t.Fatalf("same length on unmapped = %v", err)
	}
	if _, err := m.MRemap(0x50000000, 2*pageSize, pageSize, 0, 0); err != unix.EFAULT {
		t.Fatalf("shrink of unmapped = %v", err)
	}
	if a, err := m.MRemap(base, pageSize, pageSize, 0, 0); a != base || err != nil {
		t.Fatalf("same length = %#x, %v", a, err)
	}
	checkConsistent(t, m)
}

func TestMRemapSharedDuplicate(t *testing.T) {
	e := newEnv(t)
	m := e.newMM()
	addr := mustMMap(t, m, MMapOpts{Length: 2 * pageSize, Prot: rw, Flags: unix.MAP_SHARED | unix.MAP_ANONYMOUS})
	dup, err := m.MRemap(addr, 0, 2*pageSize, unix.MREMAP_MAYMOVE, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := appWrite(m, addr+pageSize, []byte("seen")); err != nil {
		t.Fatal(err)
	}
	if got, _ := appRead(m, dup+pageSize, 4); string(got) != "seen" {
		t.Fatalf("duplicate reads %q", got)
	}
	m.Release()
	if n := e.mf.FramesInUse(); n != 0 {
		t.Fatalf("%d frames leaked", n)
	}
}

func TestMAdvise(t *testing.T) {
	e := newEnv(t)
	m := e.newMM()
	defer m.Release()
	base := uintptr(0x10000000)
	mustMMap(t, m, fixedAnon(base, 4*pageSize, rw))
	if err := appWrite(m, base, fill(4*pageSize, 1)); err != nil {
		t.Fatal(err)
	}
	if err := m.MAdvise(base+pageSize, 2*pageSize, unix.MADV_DONTNEED); err != nil {
		t.Fatal(err)
	}
	got, _ := appRead(m, base, 4*pageSize)
	if got[0] != 1 || got[pageSize] != 0 || got[2*pageSize] != 0 || got[3*pageSize] != 4 {
		t.Fatal("MADV_DONTNEED did not zero exactly its pages")
	}
	// File mappings show the file again.
	content := fill(2*pageSize, 50)
	fa := mustMMap(t, m, MMapOpts{Length: 2 * pageSize, Prot: rw, Flags: unix.MAP_PRIVATE, File: newFile(content)})
	if err := appWrite(m, fa, []byte{0}); err != nil {
		t.Fatal(err)
	}
	if err := m.MAdvise(fa, 2*pageSize, unix.MADV_DONTNEED); err != nil {
		t.Fatal(err)
	}
	if got, _ := appRead(m, fa, 1); got[0] != 50 {
		t.Fatalf("file page after DONTNEED: %d", got[0])
	}
	if err := m.MAdvise(fa, pageSize, unix.MADV_FREE); err != unix.EINVAL {
		t.Fatalf("MADV_FREE on file mapping = %v", err)
	}
	// Shared anonymous memory keeps its contents.
	sa := mustMMap(t, m, MMapOpts{Length: pageSize, Prot: rw, Flags: unix.MAP_SHARED | unix.MAP_ANONYMOUS})
	if err := appWrite(m, sa, []byte{9}); err != nil {
		t.Fatal(err)
	}
	if err := m.MAdvise(sa, pageSize, unix.MADV_DONTNEED); err != nil {
		t.Fatal(err)
	}
	if got, _ := appRead(m, sa, 1); got[0] != 9 {
		t.Fatal("shared page lost by DONTNEED")
	}
	if err := m.MAdvise(sa, pageSize, unix.MADV_REMOVE); err != nil {
		t.Fatalf("MADV_REMOVE = %v", err)
	}
	if got, _ := appRead(m, sa, 1); got[0] != 0 {
		t.Fatal("MADV_REMOVE kept the shared page")
	}
	if err := m.MAdvise(fa, pageSize, unix.MADV_REMOVE); err != unix.EACCES {
		t.Fatalf("MADV_REMOVE on a private mapping = %v", err)
	}
	// Errors.
	for _, tc := range []struct {
		addr, length uintptr
		advice       int
		want         error
	}{
		{base, pageSize, 999, unix.EINVAL},
		{base + 1, pageSize, unix.MADV_DONTNEED, unix.EINVAL},
		{base, ^uintptr(0), unix.MADV_DONTNEED, unix.EINVAL},
		{base, 0, unix.MADV_DONTNEED, nil},
		{base, 8 * pageSize, unix.MADV_NORMAL, unix.ENOMEM},
		{base, pageSize, unix.MADV_HWPOISON, unix.EPERM},
		{base, pageSize, unix.MADV_WILLNEED, nil},
		{base, pageSize, unix.MADV_HUGEPAGE, nil},
		{sa, pageSize, unix.MADV_WIPEONFORK, unix.EINVAL},
	} {
		if err := m.MAdvise(tc.addr, tc.length, tc.advice); err != tc.want {
			t.Errorf("MAdvise(%#x, %#x, %d) = %v, want %v", tc.addr, tc.length, tc.advice, err, tc.want)
		}
	}
	// DONTNEED across a hole drops the mapped parts, then ENOMEM.
	if err := appWrite(m, base+3*pageSize, []byte{1}); err != nil {
		t.Fatal(err)
	}
	if err := m.MAdvise(base+3*pageSize, 3*pageSize, unix.MADV_DONTNEED); err != unix.ENOMEM {
		t.Fatalf("DONTNEED over hole = %v", err)
	}
	if got, _ := appRead(m, base+3*pageSize, 1); got[0] != 0 {
		t.Fatal("DONTNEED over hole skipped mapped part")
	}
	checkConsistent(t, m)
}

func TestMAdviseFork(t *testing.T) {
	e := newEnv(t)
	m := e.newMM()
	defer m.Release()
	base := uintptr(0x10000000)
	mustMMap(t, m, fixedAnon(base, 3*pageSize, rw))
	if err := appWrite(m, base, fill(3*pageSize, 1)); err != nil {
		t.Fatal(err)
	}
	if err := m.MAdvise(base, pageSize, unix.MADV_DONTFORK); err != nil {
		t.Fatal(err)
	}
	if err := m.MAdvise(base+pageSize, pageSize, unix.MADV_WIPEONFORK); err != nil {
		t.Fatal(err)
	}
	if n := len(m.VMAs()); n != 3 {
		t.Fatalf("flags did not split VMAs: %d", n)
	}
	c, err := m.Fork()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Release()
	_, err = appRead(c, base, 1)
	wantFault(t, err, int32(unix.SIGSEGV), SEGV_MAPERR)
	if got, _ := appRead(c, base+pageSize, 1); got[0] != 0 {
		t.Fatal("WIPEONFORK page not wiped")
	}
	if got, _ := appRead(c, base+2*pageSize, 1); got[0] != 3 {
		t.Fatal("ordinary page not inherited")
	}
	if err := m.MAdvise(base, 2*pageSize, unix.MADV_DOFORK); err != nil {
		t.Fatal(err)
	}
	if err := m.MAdvise(base, 2*pageSize, unix.MADV_KEEPONFORK); err != nil {
		t.Fatal(err)
	}
	if n := len(m.VMAs()); n != 1 {
		t.Fatalf("clearing flags did not merge VMAs: %d", n)
	}
}

func TestMAdvisePopulate(t *testing.T) {
	e := newEnv(t)
	m := e.newMM()
	defer m.Release()
	addr := mustMMap(t, m, anon(8*pageSize, unix.PROT_READ))
	if err := m.MAdvise(addr, 8*pageSize, unix.MADV_POPULATE_READ); err != nil {
		t.Fatal(err)
	}
	if n := e.mf.FramesInUse(); n != 8 {
		t.Fatalf("POPULATE_READ: %d frames", n)
	}
	if err := m.MAdvise(addr, 8*pageSize, unix.MADV_POPULATE_WRITE); err != unix.EINVAL {
		t.Fatalf("POPULATE_WRITE on read-only = %v", err)
	}
	if err := m.MAdvise(addr+8*pageSize, pageSize, unix.MADV_POPULATE_READ); err != unix.ENOMEM {
		t.Fatalf("POPULATE_READ on hole = %v", err)
	}
	checkConsistent(t, m)
}

func TestMSync(t *testing.T) {
	e := newEnv(t)
	m := e.newMM()
	defer m.Release()
	base := uintptr(0x10000000)
	mustMMap(t, m, fixedAnon(base, pageSize, rw))
	mustMMap(t, m, fixedAnon(base+2*pageSize, pageSize, rw))
	for _, tc := range []struct {
		addr, length uintptr
		flags        int
		want         error
	}{
		{base, pageSize, unix.MS_SYNC, nil},
		{base, pageSize, unix.MS_ASYNC | unix.MS_INVALIDATE, nil},
		{base, pageSize, unix.MS_SYNC | unix.MS_ASYNC, unix.EINVAL},
		{base, pageSize, 0x40, unix.EINVAL},
		{base + 1, pageSize, unix.MS_SYNC, unix.EINVAL},
		{base, 0, unix.MS_SYNC, nil},
		{base, 3 * pageSize, unix.MS_SYNC, unix.ENOMEM},
		{base, 3 * pageSize, unix.MS_ASYNC, unix.ENOMEM},
		{base + 4*pageSize, pageSize, unix.MS_ASYNC, unix.ENOMEM},
	} {
		if err := m.MSync(tc.addr, tc.length, tc.flags); err != tc.want {
			t.Errorf("MSync(%#x, %#x, %#x) = %v, want %v", tc.addr, tc.length, tc.flags, err, tc.want)
		}
	}
}

func TestMinCore(t *testing.T) {
	e := newEnv(t)
	m := e.newMM()
	defer m.Release()
	base := uintptr(0x10000000)
	mustMMap(t, m, fixedAnon(base, 40*pageSize, rw))
	if err := appWrite(m, base+20*pageSize, []byte{1}); err != nil {
		t.Fatal(err)
	}
	vec, err := m.MinCore(base, 40*pageSize-1)
	if err != nil || len(vec) != 40 {
		t.Fatalf("MinCore = %d bytes, %v", len(vec), err)
	}
	for i, b := range vec {
		want := byte(0)
		if i >= 16 && i < 32 { // the fault-around window
			want = 1
		}
		if b != want {
			t.Fatalf("page %d: %d, want %d", i, b, want)
		}
	}
	if _, err := m.MinCore(base+1, pageSize); err != unix.EINVAL {
		t.Fatalf("unaligned: %v", err)
	}
	if _, err := m.MinCore(base, 41*pageSize); err != unix.ENOMEM {
		t.Fatalf("hole: %v", err)
	}
	if vec, err := m.MinCore(base, 0); err != nil || len(vec) != 0 {
		t.Fatalf("empty: %v %v", vec, err)
	}
}

func TestMRemapMoveCompactsAndMaps(t *testing.T) {
	e := newEnv(t)
	m := e.newMM()
	defer m.Release()
	addr := mustMMap(t, m, anon(8*pageSize, rw))
	data := fill(8*pageSize, 1)
	if err := appWrite(m, addr, data); err != nil {
		t.Fatal(err)
	}
	// Scatter the frames of pages 2 and 5.
	if err := m.MAdvise(addr+2*pageSize, pageSize, unix.MADV_DONTNEED); err != nil {
		t.Fatal(err)
	}
	if err := m.MAdvise(addr+5*pageSize, pageSize, unix.MADV_DONTNEED); err != nil {
		t.Fatal(err)
	}
	other := mustMMap(t, m, anon(64*pageSize, rw))
	if err := appWrite(m, other, make([]byte, 64*pageSize)); err != nil {
		t.Fatal(err)
	}
	for _, i := range []uintptr{5, 2} {
		if err := appWrite(m, addr+i*pageSize, data[i*pageSize:(i+1)*pageSize]); err != nil {
			t.Fatal(err)
		}
	}
	maps0, _ := fas(m).calls()
	na, err := m.MRemap(addr, 8*pageSize, 8*pageSize, unix.MREMAP_MAYMOVE|unix.MREMAP_FIXED, 0x50000000)
	if err != nil || na != 0x50000000 {
		t.Fatalf("mremap = %#x, %v", na, err)
	}
	maps1, _ := fas(m).calls()
	if maps1-maps0 != 1 {
		t.Fatalf("moving made %d MapFile calls, want 1", maps1-maps0)
	}
	for i := uintptr(0); i < 8; i++ {
		if _, ok := fas(m).lookup(na + i*pageSize); !ok {
			t.Fatalf("moved page %d not mapped", i)
		}
	}
	if got, err := appRead(m, na, 8*pageSize); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("moved contents differ (%v)", err)
	}
	maps2, _ := fas(m).calls()
	if maps2 != maps1 {
		t.Fatal("reading the moved pages faulted")
	}
	if n := e.mf.FramesInUse(); n != 8+64 {
		t.Fatalf("FramesInUse = %d, want 72", n)
	}
	checkConsistent(t, m)
}

func TestMRemapFixedAcrossVMAs(t *testing.T) {
	e := newEnv(t)
	m := e.newMM()
	defer m.Release()
	base := uintptr(0x10000000)
	mustMMap(t, m, fixedAnon(base, 2*pageSize, rw))
	mustMMap(t, m, fixedAnon(base+2*pageSize, pageSize, unix.PROT_READ))
	mustMMap(t, m, fixedAnon(base+4*pageSize, pageSize, rw)) // after a gap
	if err := appWrite(m, base, []byte("first")); err != nil {
		t.Fatal(err)
	}
	if err := appWrite(m, base+4*pageSize, []byte("last")); err != nil {
		t.Fatal(err)
	}
	to := uintptr(0x20000000)
	if a, err := m.MRemap(base, 5*pageSize, 5*pageSize, unix.MREMAP_MAYMOVE|unix.MREMAP_FIXED, to); a != to || err != nil {
		t.Fatalf("fixed move across VMAs = %#x, %v", a, err)
	}
	vs := m.VMAs()
	if len(vs) != 3 || vs[0].Start != to || vs[1].Prot != unix.PROT_READ || vs[2].Start != to+4*pageSize {
		t.Fatalf("VMAs after the move: %+v", vs)
	}
	if got, _ := appRead(m, to+4*pageSize, 4); string(got) != "last" {
		t.Fatalf("moved page reads %q", got)
	}
	// Growing across VMAs, or DONTUNMAP across VMAs, is EFAULT.
	if _, err := m.MRemap(to, 3*pageSize, 4*pageSize, unix.MREMAP_MAYMOVE|unix.MREMAP_FIXED, 0x30000000); err != unix.EFAULT {
		t.Fatalf("fixed grow across VMAs = %v", err)
	}
	if _, err := m.MRemap(to, 3*pageSize, 3*pageSize, unix.MREMAP_MAYMOVE|unix.MREMAP_DONTUNMAP, 0); err != unix.EFAULT {
		t.Fatalf("DONTUNMAP across VMAs = %v", err)
	}
	checkConsistent(t, m)
}
