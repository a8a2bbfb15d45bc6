package mm

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"

	"golang.org/x/sys/unix"
)

func TestMemoryFileAllocFree(t *testing.T) {
	mf, err := NewMemoryFileSize(64 * pageSize)
	if err != nil {
		t.Fatal(err)
	}
	defer mf.Release()
	off, got, err := mf.allocRun(10)
	if err != nil || got != 10 || off != 0 {
		t.Fatalf("allocRun(10) = %#x, %d, %v", off, got, err)
	}
	copy(mf.frame(off+3*pageSize), "dirty")
	mf.decRef(off+2*pageSize, 3) // frees frames 2, 3, 4
	if n := mf.FramesInUse(); n != 7 {
		t.Fatalf("FramesInUse = %d, want 7", n)
	}
	// A run of 8 does not fit the hole: fresh frames above it.
	off8, got8, _ := mf.allocRun(8)
	if off8 != 10*pageSize || got8 != 8 {
		t.Fatalf("allocRun(8) = %#x, %d; want 0xa000, 8", off8, got8)
	}
	// A run of 3 does.
	off2, got2, _ := mf.allocRun(3)
	if off2 != 2*pageSize || got2 != 3 {
		t.Fatalf("allocRun into hole = %#x, %d; want 0x2000, 3", off2, got2)
	}
	if !bytes.Equal(mf.frame(3 * pageSize)[:5], make([]byte, 5)) {
		t.Fatal("reused frame not zeroed")
	}
	mf.incRef(off2, 1)
	if rc := mf.refCount(off2); rc != 2 {
		t.Fatalf("refCount = %d", rc)
	}
	// Exhaust the file.
	for {
		_, _, err := mf.allocRun(100)
		if err != nil {
			if err != unix.ENOMEM {
				t.Fatalf("exhaustion error %v", err)
			}
			break
		}
	}
	if n := mf.FramesInUse(); n != 64 {
		t.Fatalf("FramesInUse = %d, want 64", n)
	}
	// In a full file, freed frames are handed out as shorter runs, the
	// longest first.
	mf.decRef(5*pageSize, 1)
	mf.decRef(40*pageSize, 2)
	if off, got, err := mf.allocRun(16); off != 40*pageSize || got != 2 || err != nil {
		t.Fatalf("allocRun(16) in a full file = %#x, %d, %v", off, got, err)
	}
	if off, got, err := mf.allocRun(16); off != 5*pageSize || got != 1 || err != nil {
		t.Fatalf("allocRun(16) in a full file = %#x, %d, %v", off, got, err)
	}
}

func TestAnonymousFaultAround(t *testing.T) {
	e := newEnv(t)
	m := e.newMM()
	defer m.Release()
	addr := mustMMap(t, m, anon(64*pageSize, rw))
	if addr%pageSize != 0 || addr >= m.mmapBase || addr < m.mmapBase-64*pageSize-stackGuardGap {
		t.Fatalf("mmap address %#x not just below mmap base %#x", addr, m.mmapBase)
	}
	if got, _ := appRead(m, addr+5*pageSize+7, 3); !bytes.Equal(got, []byte{0, 0, 0}) {
		t.Fatalf("fresh anonymous memory reads %v", got)
	}
	maps, _ := fas(m).calls()
	if maps != 1 {
		t.Fatalf("fault made %d MapFile calls, want 1", maps)
	}
	// The whole aligned 16-page window is mapped.
	for i := uintptr(0); i < 64; i++ {
		_, ok := fas(m).lookup(addr + i*pageSize)
		inWindow := (addr+i*pageSize)&^(16*pageSize-1) == (addr+5*pageSize)&^(16*pageSize-1)
		if ok != inWindow {
			t.Fatalf("page %d mapped=%v, in window=%v", i, ok, inWindow)
		}
	}
	if err := appWrite(m, addr+100, []byte("hello")); err != nil {
		t.Fatal(err)
	}
	if got, _ := appRead(m, addr+100, 5); string(got) != "hello" {
		t.Fatalf("read back %q", got)
	}
	checkConsistent(t, m)
}

func TestVMAMergeSplit(t *testing.T) {
	e := newEnv(t)
	m := e.newMM()
	defer m.Release()
	base := uintptr(0x10000000)
	mustMMap(t, m, fixedAnon(base, 4*pageSize, rw))
	mustMMap(t, m, fixedAnon(base+4*pageSize, 4*pageSize, rw))
	if n := len(m.VMAs()); n != 1 {
		t.Fatalf("adjacent equal anonymous mappings: %d VMAs, want 1", n)
	}
	if err := m.MProtect(base+2*pageSize, 2*pageSize, unix.PROT_READ); err != nil {
		t.Fatal(err)
	}
	vs := m.VMAs()
	if len(vs) != 3 || vs[1].Start != base+2*pageSize || vs[1].End != base+4*pageSize || vs[1].Prot != unix.PROT_READ {
		t.Fatalf("after mprotect of the middle: %+v", vs)
	}
	if err := m.MProtect(base+2*pageSize, 2*pageSize, rw); err != nil {
		t.Fatal(err)
	}
	if n := len(m.VMAs()); n != 1 {
		t.Fatalf("after restoring protection: %d VMAs, want 1", n)
	}
	if err := m.MUnmap(base+pageSize, pageSize); err != nil {
		t.Fatal(err)
	}
	vs = m.VMAs()
	if len(vs) != 2 || vs[0].End != base+pageSize || vs[1].Start != base+2*pageSize || vs[1].End != base+8*pageSize {
		t.Fatalf("after munmap of the middle: %+v", vs)
	}
	// A different name does not merge.
	o := fixedAnon(base+pageSize, pageSize, rw)
	o.Name = "other"
	mustMMap(t, m, o)
	if n := len(m.VMAs()); n != 3 {
		t.Fatalf("differently named mapping merged: %d VMAs", n)
	}
	checkConsistent(t, m)
}

func TestMMapErrors(t *testing.T) {
	e := newEnv(t)
	m := e.newMM()
	defer m.Release()
	file := bytes.NewReader(make([]byte, 8192))
	base := uintptr(0x20000000)
	mustMMap(t, m, fixedAnon(base, pageSize, rw))
	tests := []struct {
		name string
		o    MMapOpts
		want error
	}{
		{"zero length", anon(0, rw), unix.EINVAL},
		{"unaligned offset", MMapOpts{Length: pageSize, Flags: unix.MAP_PRIVATE | unix.MAP_ANONYMOUS, Offset: 1}, unix.EINVAL},
		{"no type", MMapOpts{Length: pageSize, Flags: unix.MAP_ANONYMOUS}, unix.EINVAL},
		{"bad type", MMapOpts{Length: pageSize, Flags: 0xf | unix.MAP_ANONYMOUS}, unix.EINVAL},
		{"fixed unaligned", MMapOpts{Addr: base + 1, Length: pageSize, Flags: unix.MAP_PRIVATE | unix.MAP_ANONYMOUS | unix.MAP_FIXED}, unix.EINVAL},
		{"fixed noreplace over mapping", MMapOpts{Addr: base, Length: pageSize, Flags: unix.MAP_PRIVATE | unix.MAP_ANONYMOUS | unix.MAP_FIXED_NOREPLACE}, unix.EEXIST},
		{"fixed beyond end", fixedAnon(testMaxAddr-pageSize, 2*pageSize, rw), unix.ENOMEM},
		{"fixed below mmap_min_addr", fixedAnon(0x1000, pageSize, rw), unix.EPERM},
		{"huge length", anon(^uintptr(0)-10, rw), unix.ENOMEM},
		{"too long", anon(testMaxAddr, rw), unix.ENOMEM},
		{"offset overflow", MMapOpts{Length: 2 * pageSize, Flags: unix.MAP_PRIVATE, File: file, Offset: ^uint64(0) &^ pageMask}, unix.EOVERFLOW},
		{"shared growsdown", MMapOpts{Length: pageSize, Flags: unix.MAP_SHARED | unix.MAP_ANONYMOUS | unix.MAP_GROWSDOWN}, unix.EINVAL},
		{"file growsdown", MMapOpts{Length: pageSize, Flags: unix.MAP_PRIVATE | unix.MAP_GROWSDOWN, File: file}, unix.EINVAL},
		{"shared file", MMapOpts{Length: pageSize, Flags: unix.MAP_SHARED, File: file}, unix.ENODEV},
		{"shared validate unknown flag", MMapOpts{Length: pageSize, Flags: unix.MAP_SHARED_VALIDATE | 0x80000, File: file}, unix.EOPNOTSUPP},
		{"hugetlb", MMapOpts{Length: pageSize, Flags: unix.MAP_PRIVATE | unix.MAP_ANONYMOUS | unix.MAP_HUGETLB}, unix.ENOMEM},
	}
	for _, tc := range tests {
		if _, err := m.MMap(tc.o); err != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
		}
	}
	// MAP_FIXED_NOREPLACE on a free range works; a free hint is honoured;
	// a taken hint is not.
	o := MMapOpts{Addr: base + pageSize, Length: pageSize, Prot: rw, Flags: unix.MAP_PRIVATE | unix.MAP_ANONYMOUS | unix.MAP_FIXED_NOREPLACE}
	if a, err := m.MMap(o); err != nil || a != base+pageSize {
		t.Fatalf("MAP_FIXED_NOREPLACE on free range: %#x, %v", a, err)
	}
	o = anon(pageSize, rw)
	o.Addr = 0x30000000 + 5
	if a, err := m.MMap(o); err != nil || a != 0x30000000 {
		t.Fatalf("free hint: %#x, %v", a, err)
	}
	o.Addr = base
	if a, err := m.MMap(o); err != nil || a == base {
		t.Fatalf("taken hint: %#x, %v", a, err)
	}
	// MAP_SHARED|MAP_PRIVATE is MAP_SHARED_VALIDATE, which anonymous
	// mappings do not take.
	o = MMapOpts{Length: pageSize, Prot: rw, Flags: unix.MAP_SHARED | unix.MAP_PRIVATE | unix.MAP_ANONYMOUS}
	if _, err := m.MMap(o); err != unix.EINVAL {
		t.Fatalf("MAP_SHARED_VALIDATE anonymous: %v", err)
	}
	// MAP_DROPPABLE: anonymous only, wiped on fork.
	o = MMapOpts{Length: pageSize, Prot: rw, Flags: mapDroppable | unix.MAP_ANONYMOUS}
	d, err := m.MMap(o)
	if err != nil {
		t.Fatalf("MAP_DROPPABLE: %v", err)
	}
	if err := appWrite(m, d, []byte{5}); err != nil {
		t.Fatal(err)
	}
	c, err := m.Fork()
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := appRead(c, d, 1); got[0] != 0 {
		t.Fatal("MAP_DROPPABLE memory survived fork")
	}
	c.Release()
	if _, err := m.MMap(MMapOpts{Length: pageSize, Flags: mapDroppable, File: file}); err != unix.EINVAL {
		t.Fatalf("MAP_DROPPABLE file mapping: %v", err)
	}
	checkConsistent(t, m)
}

func TestMMapFixedReplaces(t *testing.T) {
	e := newEnv(t)
	m := e.newMM()
	defer m.Release()
	base := uintptr(0x10000000)
	mustMMap(t, m, fixedAnon(base, 8*pageSize, rw))
	if err := appWrite(m, base, bytes.Repeat([]byte{1}, 8*pageSize)); err != nil {
		t.Fatal(err)
	}
	mustMMap(t, m, fixedAnon(base+2*pageSize, 2*pageSize, unix.PROT_READ))
	got, err := appRead(m, base+pageSize, 3*pageSize)
	if err != nil {
		t.Fatal(err)
	}
	if got[0] != 1 || got[pageSize] != 0 || got[2*pageSize] != 0 {
		t.Fatalf("MAP_FIXED did not replace the old pages: %d %d %d", got[0], got[pageSize], got[2*pageSize])
	}
	checkConsistent(t, m)
}

func TestMUnmap(t *testing.T) {
	e := newEnv(t)
	m := e.newMM()
	defer m.Release()
	if err := m.MUnmap(0x10000000, pageSize); err != nil {
		t.Fatalf("munmap of unmapped range: %v", err)
	}
	for _, tc := range []struct{ addr, length uintptr }{{0x10000001, pageSize}, {0x10000000, 0}, {testMaxAddr, 2 * pageSize}} {
		if err := m.MUnmap(tc.addr, tc.length); err != unix.EINVAL {
			t.Errorf("MUnmap(%#x, %#x) = %v, want EINVAL", tc.addr, tc.length, err)
		}
	}
	addr := mustMMap(t, m, anon(32*pageSize, rw))
	if err := appWrite(m, addr, make([]byte, 32*pageSize)); err != nil {
		t.Fatal(err)
	}
	if n := e.mf.FramesInUse(); n != 32 {
		t.Fatalf("FramesInUse = %d, want 32", n)
	}
	if err := m.MUnmap(addr, 32*pageSize); err != nil {
		t.Fatal(err)
	}
	if n := e.mf.FramesInUse(); n != 0 {
		t.Fatalf("FramesInUse after munmap = %d", n)
	}
	_, err := appRead(m, addr, 1)
	wantFault(t, err, int32(unix.SIGSEGV), SEGV_MAPERR)
	checkConsistent(t, m)
}

func TestMProtect(t *testing.T) {
	e := newEnv(t)
	m := e.newMM()
	defer m.Release()
	base := uintptr(0x10000000)
	mustMMap(t, m, fixedAnon(base, 2*pageSize, rw))
	mustMMap(t, m, fixedAnon(base+3*pageSize, pageSize, rw))
	// Hole in the middle: the part before it changes, then ENOMEM.
	if err := m.MProtect(base, 4*pageSize, unix.PROT_READ); err != unix.ENOMEM {
		t.Fatalf("mprotect over a hole = %v, want ENOMEM", err)
	}
	if vs := m.VMAs(); vs[0].Prot != unix.PROT_READ || vs[1].Prot != rw {
		t.Fatalf("after failed mprotect: %+v", vs)
	}
	if err := m.MProtect(base+2*pageSize, pageSize, unix.PROT_READ); err != unix.ENOMEM {
		t.Fatalf("mprotect of unmapped = %v", err)
	}
	if err := m.MProtect(base+1, pageSize, unix.PROT_READ); err != unix.EINVAL {
		t.Fatalf("unaligned mprotect = %v", err)
	}
	if err := m.MProtect(base, pageSize, 0x100); err != unix.EINVAL {
		t.Fatalf("bad prot = %v", err)
	}
	if err := m.MProtect(base, 0, unix.PROT_READ); err != nil {
		t.Fatalf("zero length = %v", err)
	}
	// Writes to read-only memory fault with ACCERR.
	_, err := appRead(m, base, 1)
	if err != nil {
		t.Fatal(err)
	}
	wantFault(t, appWrite(m, base, []byte{1}), int32(unix.SIGSEGV), SEGV_ACCERR)
	// Upgrading makes them work; the platform mapping follows.
	if err := m.MProtect(base, 2*pageSize, rw); err != nil {
		t.Fatal(err)
	}
	if err := appWrite(m, base, []byte{1}); err != nil {
		t.Fatal(err)
	}
	checkConsistent(t, m)
	// PROT_NONE: access is ACCERR and the platform mapping is gone.
	if err := m.MProtect(base, pageSize, unix.PROT_NONE); err != nil {
		t.Fatal(err)
	}
	if _, ok := fas(m).lookup(base); ok {
		t.Fatal("PROT_NONE page still mapped")
	}
	_, err = appRead(m, base, 1)
	wantFault(t, err, int32(unix.SIGSEGV), SEGV_ACCERR)
	// Contents survive.
	if err := m.MProtect(base, pageSize, unix.PROT_READ); err != nil {
		t.Fatal(err)
	}
	if got, _ := appRead(m, base, 1); got[0] != 1 {
		t.Fatalf("contents lost across PROT_NONE: %v", got)
	}
	// Executing a non-executable page is ACCERR.
	_, err = appAccess(m, base, accExec)
	wantFault(t, err, int32(unix.SIGSEGV), SEGV_ACCERR)
	checkConsistent(t, m)
}

// fileOf is a File over a byte slice.
type fileOf struct {
	r     *bytes.Reader
	reads int
}

func newFile(b []byte) *fileOf { return &fileOf{r: bytes.NewReader(b)} }

func (f *fileOf) ReadAt(p []byte, off int64) (int, error) {
	f.reads++
	return f.r.ReadAt(p, off)
}

func TestPrivateFileMapping(t *testing.T) {
	e := newEnv(t)
	m := e.newMM()
	defer m.Release()
	content := make([]byte, 3*pageSize+100)
	for i := range content {
		content[i] = byte(i%251 + 1)
	}
	f := newFile(content)
	addr := mustMMap(t, m, MMapOpts{Length: 6 * pageSize, Prot: rw, Flags: unix.MAP_PRIVATE, File: f, Offset: pageSize, Name: "/lib/x"})
	got, err := appRead(m, addr, 2*pageSize+100)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, content[pageSize:]) {
		t.Fatal("file contents differ")
	}
	if f.reads != 1 {
		t.Fatalf("fault-around read the file %d times, want 1", f.reads)
	}
	// The rest of the last page is zero.
	if got, _ := appRead(m, addr+2*pageSize+100, pageSize-100); !bytes.Equal(got, make([]byte, pageSize-100)) {
		t.Fatal("tail of last file page not zero")
	}
	// Pages wholly past EOF are SIGBUS.
	_, err = appRead(m, addr+3*pageSize, 1)
	wantFault(t, err, int32(unix.SIGBUS), BUS_ADRERR)
	// Writes are private.
	if err := appWrite(m, addr, []byte("xyz")); err != nil {
		t.Fatal(err)
	}
	if content[pageSize] == 'x' {
		t.Fatal("private write reached the file")
	}
	vs := m.VMAs()
	if len(vs) != 1 || vs[0].Offset != pageSize || vs[0].Name != "/lib/x" || vs[0].File != File(f) {
		t.Fatalf("VMAs = %+v", vs)
	}
	checkConsistent(t, m)
}

func TestForkCopyOnWrite(t *testing.T) {
	e := newEnv(t)
	parent := e.newMM()
	addr := mustMMap(t, parent, anon(4*pageSize, rw))
	if err := appWrite(parent, addr, []byte("original")); err != nil {
		t.Fatal(err)
	}
	child, err := parent.Fork()
	if err != nil {
		t.Fatal(err)
	}
	checkConsistent(t, parent)
	if m, _ := fas(parent).lookup(addr); m.prot&unix.PROT_WRITE != 0 {
		t.Fatal("parent still maps a COW page writable")
	}
	frame := parent.pt.get(addr).frame
	if rc := e.mf.refCount(frame); rc != 2 {
		t.Fatalf("shared frame refcount %d, want 2", rc)
	}
	if got, _ := appRead(child, addr, 8); string(got) != "original" {
		t.Fatalf("child reads %q", got)
	}
	if err := appWrite(child, addr, []byte("child")); err != nil {
		t.Fatal(err)
	}
	if err := appWrite(parent, addr, []byte("parent")); err != nil {
		t.Fatal(err)
	}
	if got, _ := appRead(child, addr, 8); string(got) != "childnal" {
		t.Fatalf("child reads %q", got)
	}
	if got, _ := appRead(parent, addr, 8); string(got) != "parental" {
		t.Fatalf("parent reads %q", got)
	}
	if parent.pt.get(addr).frame == child.pt.get(addr).frame {
		t.Fatal("parent and child share a written frame")
	}
	checkConsistent(t, parent)
	checkConsistent(t, child)
	child.Release()
	parent.Release()
	if n := e.mf.FramesInUse(); n != 0 {
		t.Fatalf("%d frames leaked", n)
	}
}

func TestForkTakeOver(t *testing.T) {
	e := newEnv(t)
	parent := e.newMM()
	defer parent.Release()
	addr := mustMMap(t, parent, anon(16*pageSize, rw))
	if err := appWrite(parent, addr, make([]byte, 16*pageSize)); err != nil {
		t.Fatal(err)
	}
	child, err := parent.Fork()
	if err != nil {
		t.Fatal(err)
	}
	child.Release() // as after the child's execve
	before := parent.pt.get(addr).frame
	maps0, _ := fas(parent).calls()
	if err := appWrite(parent, addr, make([]byte, 16*pageSize)); err != nil {
		t.Fatal(err)
	}
	if parent.pt.get(addr).frame != before {
		t.Fatal("sole owner copied its page instead of taking it over")
	}
	maps1, _ := fas(parent).calls()
	if maps1-maps0 > 2 {
		t.Fatalf("writing 16 taken-over pages made %d MapFile calls", maps1-maps0)
	}
	if n := e.mf.FramesInUse(); n != 16 {
		t.Fatalf("FramesInUse = %d, want 16", n)
	}
	checkConsistent(t, parent)
}

func TestSharedAnonymousAcrossFork(t *testing.T) {
	e := newEnv(t)
	parent := e.newMM()
	addr := mustMMap(t, parent, MMapOpts{Length: 2 * pageSize, Prot: rw, Flags: unix.MAP_SHARED | unix.MAP_ANONYMOUS})
	if err := appWrite(parent, addr, []byte("before")); err != nil {
		t.Fatal(err)
	}
	child, err := parent.Fork()
	if err != nil {
		t.Fatal(err)
	}
	if err := appWrite(child, addr+pageSize, []byte("from child")); err != nil {
		t.Fatal(err)
	}
	if err := appWrite(parent, addr, []byte("after")); err != nil {
		t.Fatal(err)
	}
	if got, _ := appRead(parent, addr+pageSize, 10); string(got) != "from child" {
		t.Fatalf("parent reads %q", got)
	}
	if got, _ := appRead(child, addr, 6); string(got) != "aftere" {
		t.Fatalf("child reads %q", got)
	}
	if vs := child.VMAs(); !vs[0].Shared || vs[0].Name != "/dev/zero (deleted)" {
		t.Fatalf("child VMAs %+v", vs)
	}
	checkConsistent(t, parent)
	checkConsistent(t, child)
	parent.Release()
	if got, _ := appRead(child, addr, 6); string(got) != "aftere" {
		t.Fatalf("child reads %q after parent exit", got)
	}
	child.Release()
	if n := e.mf.FramesInUse(); n != 0 {
		t.Fatalf("%d frames leaked", n)
	}
}

func TestBrk(t *testing.T) {
	e := newEnv(t)
	m := e.newMM()
	defer m.Release()
	start := uintptr(0x600000)
	m.SetBrkStart(start)
	if got := m.Brk(0); got != start {
		t.Fatalf("brk(0) = %#x", got)
	}
	if got := m.Brk(start + 3*pageSize + 10); got != start+3*pageSize+10 {
		t.Fatalf("brk grow = %#x", got)
	}
	vs := m.VMAs()
	if len(vs) != 1 || vs[0].Start != start || vs[0].End != start+4*pageSize || vs[0].Name != "[heap]" || vs[0].Prot != rw {
		t.Fatalf("heap VMA %+v", vs)
	}
	if err := appWrite(m, start+3*pageSize, []byte{7}); err != nil {
		t.Fatal(err)
	}
	if got := m.Brk(start - pageSize); got != start+3*pageSize+10 {
		t.Fatalf("brk below start = %#x", got)
	}
	// Growing into another mapping (or within a page of it) fails.
	mustMMap(t, m, fixedAnon(start+10*pageSize, pageSize, rw))
	if got := m.Brk(start + 9*pageSize + 1); got != start+3*pageSize+10 {
		t.Fatalf("brk into mapping = %#x", got)
	}
	if got := m.Brk(start + 9*pageSize); got != start+9*pageSize {
		t.Fatalf("brk up to a page below mapping = %#x", got)
	}
	// Shrinking frees pages; growing again gives zeros.
	if got := m.Brk(start + pageSize); got != start+pageSize {
		t.Fatalf("brk shrink = %#x", got)
	}
	_, err := appRead(m, start+3*pageSize, 1)
	wantFault(t, err, int32(unix.SIGSEGV), SEGV_MAPERR)
	m.Brk(start + 4*pageSize)
	if got, _ := appRead(m, start+3*pageSize, 1); got[0] != 0 {
		t.Fatal("regrown heap not zero")
	}
	if got := m.Brk(start); got != start {
		t.Fatalf("brk to start = %#x", got)
	}
	if vs := m.VMAs(); len(vs) != 1 {
		t.Fatalf("heap left behind: %+v", vs)
	}
	checkConsistent(t, m)
}

func TestCopyInOut(t *testing.T) {
	e := newEnv(t)
	m := e.newMM()
	defer m.Release()
	base := uintptr(0x10000000)
	mustMMap(t, m, fixedAnon(base, 2*pageSize, rw))
	mustMMap(t, m, fixedAnon(base+3*pageSize, pageSize, rw))
	mustMMap(t, m, fixedAnon(base+4*pageSize, pageSize, unix.PROT_READ))
	data := bytes.Repeat([]byte("abcdefgh"), pageSize/8)
	if n, err := m.CopyOut(base+pageSize/2, data); n != len(data) || err != nil {
		t.Fatalf("CopyOut = %d, %v", n, err)
	}
	if got, _ := appRead(m, base+pageSize/2, len(data)); !bytes.Equal(got, data) {
		t.Fatal("app does not see kernel write")
	}
	buf := make([]byte, 3*pageSize)
	n, err := m.CopyIn(base+pageSize, buf)
	if n != pageSize || err != unix.EFAULT {
		t.Fatalf("CopyIn across hole = %d, %v; want %d, EFAULT", n, err, pageSize)
	}
	if !bytes.Equal(buf[:pageSize/2], data[pageSize/2:]) {
		t.Fatal("partial CopyIn data wrong")
	}
	n, err = m.CopyOut(base+pageSize+100, make([]byte, 2*pageSize))
	if n != pageSize-100 || err != unix.EFAULT {
		t.Fatalf("CopyOut across hole = %d, %v", n, err)
	}
	// Read-only memory: readable, not writable by the kernel either.
	if n, err := m.CopyIn(base+4*pageSize, buf[:10]); n != 10 || err != nil {
		t.Fatalf("CopyIn of read-only = %d, %v", n, err)
	}
	if n, err := m.CopyOut(base+4*pageSize-5, buf[:10]); n != 5 || err != unix.EFAULT {
		t.Fatalf("CopyOut into read-only = %d, %v", n, err)
	}
	if err := m.ZeroOut(base+pageSize/2, 16); err != nil {
		t.Fatal(err)
	}
	if got, _ := appRead(m, base+pageSize/2, 17); !bytes.Equal(got, append(make([]byte, 16), 'a')) {
		t.Fatalf("ZeroOut: %q", got)
	}
	if _, err := m.CopyIn(^uintptr(0)-3, buf[:10]); err != unix.EFAULT {
		t.Fatalf("CopyIn wrapping = %v", err)
	}
	if n, err := m.CopyIn(base, nil); n != 0 || err != nil {
		t.Fatalf("empty CopyIn = %d, %v", n, err)
	}
	checkConsistent(t, m)
}

func TestCopyInString(t *testing.T) {
	e := newEnv(t)
	m := e.newMM()
	defer m.Release()
	base := uintptr(0x10000000)
	mustMMap(t, m, fixedAnon(base, 2*pageSize, rw))
	// A string crossing a page boundary.
	s := "/usr/lib/" + strings.Repeat("x", 30)
	at := base + pageSize - 10
	if _, err := m.CopyOut(at, append([]byte(s), 0)); err != nil {
		t.Fatal(err)
	}
	if got, err := m.CopyInString(at, 4096); got != s || err != nil {
		t.Fatalf("CopyInString = %q, %v", got, err)
	}
	if _, err := m.CopyInString(at, 10); err != unix.ENAMETOOLONG {
		t.Fatalf("short maxLen: %v", err)
	}
	if got, err := m.CopyInString(at, len(s)+1); got != s || err != nil {
		t.Fatalf("exact maxLen: %q, %v", got, err)
	}
	// No NUL before the end of the mapping.
	if _, err := m.CopyOut(base+2*pageSize-4, []byte("abcd")); err != nil {
		t.Fatal(err)
	}
	if _, err := m.CopyInString(base+2*pageSize-4, 100); err != unix.EFAULT {
		t.Fatalf("unterminated at end of mapping: %v", err)
	}
}

func TestCopyOutBreaksCOW(t *testing.T) {
	e := newEnv(t)
	parent := e.newMM()
	defer parent.Release()
	addr := mustMMap(t, parent, anon(pageSize, rw))
	if err := appWrite(parent, addr, []byte("same")); err != nil {
		t.Fatal(err)
	}
	child, err := parent.Fork()
	if err != nil {
		t.Fatal(err)
	}
	defer child.Release()
	if _, err := appRead(child, addr, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := child.CopyOut(addr, []byte("diff")); err != nil {
		t.Fatal(err)
	}
	if got, _ := appRead(parent, addr, 4); string(got) != "same" {
		t.Fatalf("parent sees child's kernel write: %q", got)
	}
	if got, _ := appRead(child, addr, 4); string(got) != "diff" {
		t.Fatalf("child reads %q", got)
	}
	checkConsistent(t, child)
	checkConsistent(t, parent)
}

func TestStackGrowth(t *testing.T) {
	e := newEnv(t)
	m := e.newMM()
	defer m.Release()
	top := uintptr(0x7fff0000000)
	o := MMapOpts{Addr: top - 4*pageSize, Length: 4 * pageSize, Prot: rw, Flags: unix.MAP_PRIVATE | unix.MAP_ANONYMOUS | unix.MAP_FIXED | unix.MAP_GROWSDOWN, Name: "[stack]"}
	mustMMap(t, m, o)
	m.SetStackLimit(64 * pageSize)
	if err := appWrite(m, top-10*pageSize, []byte{1}); err != nil {
		t.Fatalf("stack growth by fault: %v", err)
	}
	if vs := m.VMAs(); vs[0].Start != top-10*pageSize || vs[0].Name != "[stack]" {
		t.Fatalf("stack VMA %+v", vs)
	}
	// Kernel writes grow it too.
	if _, err := m.CopyOut(top-20*pageSize, []byte{2}); err != nil {
		t.Fatalf("stack growth by CopyOut: %v", err)
	}
	// Beyond the limit: SIGSEGV.
	_, err := appRead(m, top-65*pageSize, 1)
	wantFault(t, err, int32(unix.SIGSEGV), SEGV_MAPERR)
	// A mapping within the guard gap stops growth.
	mustMMap(t, m, fixedAnon(top-40*pageSize-stackGuardGap, 10*pageSize, rw))
	_, err = appRead(m, top-31*pageSize, 1)
	wantFault(t, err, int32(unix.SIGSEGV), SEGV_MAPERR)
	if err := appWrite(m, top-30*pageSize+8, []byte{3}); err != nil {
		t.Fatalf("growth just outside the guard gap: %v", err)
	}
	// mmap keeps clear of the guard gap.
	checkConsistent(t, m)
}

func TestMapPopulate(t *testing.T) {
	e := newEnv(t)
	m := e.newMM()
	defer m.Release()
	o := anon(40*pageSize, rw)
	o.Flags |= unix.MAP_POPULATE
	addr := mustMMap(t, m, o)
	if n := e.mf.FramesInUse(); n != 40 {
		t.Fatalf("MAP_POPULATE: %d frames", n)
	}
	for i := uintptr(0); i < 40; i++ {
		if _, ok := fas(m).lookup(addr + i*pageSize); !ok {
			t.Fatalf("page %d not mapped", i)
		}
	}
	maps, _ := fas(m).calls()
	if maps != 1 {
		t.Fatalf("MAP_POPULATE made %d MapFile calls, want 1", maps)
	}
}

func TestStaleWriteFaultAfterCOWBreak(t *testing.T) {
	e := newEnv(t)
	parent := e.newMM()
	defer parent.Release()
	addr := mustMMap(t, parent, anon(pageSize, rw))
	if err := appWrite(parent, addr, []byte{1}); err != nil {
		t.Fatal(err)
	}
	child, err := parent.Fork()
	if err != nil {
		t.Fatal(err)
	}
	defer child.Release()
	if _, err := appRead(parent, addr, 1); err != nil {
		t.Fatal(err)
	}
	// Two threads write: both fault with ACCERR; the second fault
	// arrives after the first broke COW.
	if err := parent.HandleFault(addr, int32(unix.SIGSEGV), SEGV_ACCERR); err != nil {
		t.Fatal(err)
	}
	if err := parent.HandleFault(addr+8, int32(unix.SIGSEGV), SEGV_ACCERR); err != nil {
		t.Fatalf("stale fault delivered a signal: %v", err)
	}
	// Executing the page is still eventually SIGSEGV.
	_, err = appAccess(parent, addr, accExec)
	wantFault(t, err, int32(unix.SIGSEGV), SEGV_ACCERR)
}

func TestOtherFaultsPassThrough(t *testing.T) {
	e := newEnv(t)
	m := e.newMM()
	defer m.Release()
	err := m.HandleFault(0x1234, int32(unix.SIGBUS), 3)
	wantFault(t, err, int32(unix.SIGBUS), 3)
	err = m.HandleFault(0, int32(unix.SIGSEGV), 0x80)
	wantFault(t, err, int32(unix.SIGSEGV), 0x80)
}

func TestOutOfMemory(t *testing.T) {
	e := newEnvSize(t, 8*pageSize)
	m := e.newMM()
	defer m.Release()
	// One private writable mapping larger than memory is refused
	// (overcommit's heuristic), unless MAP_NORESERVE.
	if _, err := m.MMap(anon(32*pageSize, rw)); err != unix.ENOMEM {
		t.Fatalf("mapping more than memory = %v", err)
	}
	o := anon(32*pageSize, rw)
	o.Flags |= unix.MAP_NORESERVE
	addr := mustMMap(t, m, o)
	if err := appWrite(m, addr, make([]byte, 8*pageSize)); err != nil {
		t.Fatal(err)
	}
	err := appWrite(m, addr+8*pageSize, []byte{1})
	wantFault(t, err, int32(unix.SIGBUS), BUS_ADRERR)
	if fe, ok := err.(*FaultError); !ok || !fe.OOM {
		t.Fatalf("fault without memory = %#v, want OOM", err)
	}
	if n, err := m.CopyOut(addr+7*pageSize, make([]byte, 2*pageSize)); n != pageSize || err != unix.EFAULT {
		t.Fatalf("CopyOut without memory = %d, %v", n, err)
	}
	checkConsistent(t, m)
}

func TestMapFileFailure(t *testing.T) {
	e := newEnv(t)
	m := e.newMM()
	defer m.Release()
	addr := mustMMap(t, m, anon(pageSize, rw))
	fas(m).failMap = errors.New("stub died")
	err := m.HandleFault(addr, int32(unix.SIGSEGV), SEGV_MAPERR)
	wantFault(t, err, int32(unix.SIGBUS), BUS_ADRERR)
	fas(m).failMap = nil
	checkConsistent(t, m)
}

func TestConcurrentAccess(t *testing.T) {
	e := newEnv(t)
	m := e.newMM()
	defer m.Release()
	addr := mustMMap(t, m, anon(256*pageSize, rw))
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 64)
			for i := range 200 {
				a := addr + uintptr((g*97+i*13)%256)*pageSize
				if i%2 == 0 {
					if _, err := m.CopyOut(a, buf); err != nil {
						t.Error(err)
						return
					}
				} else if _, err := appRead(m, a, 8); err != nil {
					t.Error(err)
					return
				}
				if i%50 == 0 {
					m.MProtect(addr+uintptr(g)*pageSize, pageSize, rw)
				}
			}
		}()
	}
	wg.Wait()
	checkConsistent(t, m)
}

var _ io.ReaderAt = (*fileOf)(nil)

// refFile counts the references mm holds on it.
type refFile struct {
	fileOf
	refs int
}

func (f *refFile) IncMapRef() { f.refs++ }
func (f *refFile) DecMapRef() { f.refs-- }

func TestMappedFileRefs(t *testing.T) {
	e := newEnv(t)
	m := e.newMM()
	f := &refFile{fileOf: *newFile(make([]byte, 8*pageSize))}
	addr := mustMMap(t, m, MMapOpts{Length: 8 * pageSize, Prot: unix.PROT_READ, Flags: unix.MAP_PRIVATE, File: f})
	if f.refs != 1 {
		t.Fatalf("refs after mmap = %d", f.refs)
	}
	// PROT_EXEC, not PROT_WRITE: a private mapping made writable is
	// committed (VM_ACCOUNT) and then never merges with its neighbours.
	if err := m.MProtect(addr+2*pageSize, pageSize, unix.PROT_READ|unix.PROT_EXEC); err != nil {
		t.Fatal(err)
	}
	if f.refs != 3 {
		t.Fatalf("refs after split in three = %d", f.refs)
	}
	if err := m.MProtect(addr+2*pageSize, pageSize, unix.PROT_READ); err != nil {
		t.Fatal(err)
	}
	if f.refs != 1 {
		t.Fatalf("refs after merge = %d", f.refs)
	}
	c, err := m.Fork()
	if err != nil {
		t.Fatal(err)
	}
	if f.refs != 2 {
		t.Fatalf("refs after fork = %d", f.refs)
	}
	c.Release()
	if err := m.MUnmap(addr, pageSize); err != nil {
		t.Fatal(err)
	}
	m.Release()
	if f.refs != 0 {
		t.Fatalf("refs after release = %d", f.refs)
	}
}

func TestMap32Bit(t *testing.T) {
	e := newEnv(t)
	m := e.newMM()
	defer m.Release()
	o := anon(4*pageSize, rw)
	o.Flags |= unix.MAP_32BIT
	a := mustMMap(t, m, o)
	if a != 0x40000000 {
		t.Fatalf("first MAP_32BIT mapping at %#x", a)
	}
	b := mustMMap(t, m, o)
	if b != 0x40000000+4*pageSize {
		t.Fatalf("second MAP_32BIT mapping at %#x", b)
	}
	big := anon(1<<30, rw)
	big.Flags |= unix.MAP_32BIT
	if _, err := m.MMap(big); err != unix.ENOMEM {
		t.Fatalf("MAP_32BIT without room: %v", err)
	}
	checkConsistent(t, m)
}

func TestSetStackLimitPlacesMmapBase(t *testing.T) {
	e := newEnv(t)
	m := e.newMM()
	defer m.Release()
	if m.mmapBase != testMaxAddr-128<<20 {
		t.Fatalf("default mmap base %#x", m.mmapBase)
	}
	m.SetStackLimit(1 << 30)
	want := (testMaxAddr - (1<<30 + stackGuardGap)) &^ pageMask
	if m.mmapBase != want {
		t.Fatalf("mmap base with a 1 GiB stack limit %#x, want %#x", m.mmapBase, want)
	}
	m.SetStackLimit(RLimInfinity)
	if m.mmapBase != (testMaxAddr-testMaxAddr/6*5)&^pageMask {
		t.Fatalf("mmap base with unlimited stack %#x", m.mmapBase)
	}
	mustMMap(t, m, anon(pageSize, rw))
	base := m.mmapBase
	m.SetStackLimit(DefaultStackLimit)
	if m.mmapBase != base {
		t.Fatal("setrlimit after exec moved the mmap base")
	}
}

func TestUsage(t *testing.T) {
	e := newEnv(t)
	m := e.newMM()
	defer m.Release()
	a := mustMMap(t, m, anon(8*pageSize, rw))
	mustMMap(t, m, MMapOpts{Length: 2 * pageSize, Prot: rw, Flags: unix.MAP_SHARED | unix.MAP_ANONYMOUS, Addr: 0x30000000})
	mustMMap(t, m, MMapOpts{Length: 4 * pageSize, Prot: unix.PROT_READ | unix.PROT_EXEC, Flags: unix.MAP_PRIVATE, File: newFile(make([]byte, 4*pageSize))})
	mustMMap(t, m, MMapOpts{Addr: 0x7000000000, Length: 4 * pageSize, Prot: rw, Flags: unix.MAP_PRIVATE | unix.MAP_ANONYMOUS | unix.MAP_FIXED | unix.MAP_GROWSDOWN})
	if err := appWrite(m, a, []byte{1}); err != nil {
		t.Fatal(err)
	}
	if err := appWrite(m, 0x30000000, []byte{1}); err != nil {
		t.Fatal(err)
	}
	u := m.Usage()
	// Fault-around fills the anonymous window, but only the touched
	// page of the shared mapping.
	want := Usage{Virtual: 18 * pageSize, Resident: 9 * pageSize, Shared: 1 * pageSize, Data: 8 * pageSize, Stack: 4 * pageSize, Text: 4 * pageSize}
	if u != want {
		t.Fatalf("Usage = %+v, want %+v", u, want)
	}
}

func TestCopyForce(t *testing.T) {
	e := newEnv(t)
	parent := e.newMM()
	defer parent.Release()
	code := []byte{0x90, 0x90, 0xc3}
	addr := mustMMap(t, parent, MMapOpts{Length: pageSize, Prot: unix.PROT_READ | unix.PROT_EXEC, Flags: unix.MAP_PRIVATE, File: newFile(code)})
	none := mustMMap(t, parent, anon(pageSize, unix.PROT_NONE))
	shared := mustMMap(t, parent, MMapOpts{Length: pageSize, Prot: unix.PROT_READ, Flags: unix.MAP_SHARED | unix.MAP_ANONYMOUS})
	if _, err := appRead(parent, addr, 1); err != nil {
		t.Fatal(err)
	}
	child, err := parent.Fork()
	if err != nil {
		t.Fatal(err)
	}
	defer child.Release()
	// A debugger sets a breakpoint in the child's read-only code.
	if n, err := child.CopyOut(addr, []byte{0xcc}); n != 0 || err != unix.EFAULT {
		t.Fatalf("plain CopyOut into code = %d, %v", n, err)
	}
	if _, err := child.CopyOutForce(addr, []byte{0xcc}); err != nil {
		t.Fatal(err)
	}
	if got, _ := appRead(child, addr, 1); got[0] != 0xcc {
		t.Fatalf("child code reads %#x", got[0])
	}
	if got, _ := appRead(parent, addr, 1); got[0] != 0x90 {
		t.Fatalf("parent code changed to %#x", got[0])
	}
	// Still read-only for the application.
	wantFault(t, appWrite(child, addr, []byte{1}), int32(unix.SIGSEGV), SEGV_ACCERR)
	// PROT_NONE memory reads with force.
	buf := make([]byte, 4)
	if _, err := child.CopyIn(none, buf); err != unix.EFAULT {
		t.Fatalf("CopyIn of PROT_NONE = %v", err)
	}
	if n, err := child.CopyInForce(none, buf); n != 4 || err != nil {
		t.Fatalf("CopyInForce of PROT_NONE = %d, %v", n, err)
	}
	// Read-only shared memory is not writable even with force.
	if _, err := child.CopyOutForce(shared, buf); err != unix.EFAULT {
		t.Fatalf("CopyOutForce into read-only shared = %v", err)
	}
	checkConsistent(t, child)
	checkConsistent(t, parent)
}

func TestUseAfterRelease(t *testing.T) {
	e := newEnv(t)
	m := e.newMM()
	addr := mustMMap(t, m, anon(pageSize, rw))
	m.SetBrkStart(0x600000)
	m.Release()
	if _, err := m.MMap(anon(pageSize, rw)); err != unix.ENOMEM {
		t.Fatalf("MMap after Release = %v", err)
	}
	if got := m.Brk(0x700000); got != 0x600000 {
		t.Fatalf("Brk after Release = %#x", got)
	}
	if _, err := m.Fork(); err == nil {
		t.Fatal("Fork after Release succeeded")
	}
	err := m.HandleFault(addr, int32(unix.SIGSEGV), SEGV_MAPERR)
	wantFault(t, err, int32(unix.SIGSEGV), SEGV_MAPERR)
	if _, err := m.CopyIn(addr, make([]byte, 1)); err != unix.EFAULT {
		t.Fatalf("CopyIn after Release = %v", err)
	}
	m.Release()
	if n := e.mf.FramesInUse(); n != 0 {
		t.Fatalf("%d frames in use", n)
	}
}

func TestSharedMemoryObject(t *testing.T) {
	e := newEnv(t)
	a, b := e.newMM(), e.newMM()
	shm := NewSharedMemory(e.mf, 2*pageSize-100)
	if shm.Size() != 2*pageSize {
		t.Fatalf("Size = %d", shm.Size())
	}
	o := MMapOpts{Length: 3 * pageSize, Prot: rw, Flags: unix.MAP_SHARED, Shm: shm, Name: "/SYSV00000001 (deleted)"}
	pa := mustMMap(t, a, o)
	o.Offset = pageSize
	o.Length = pageSize
	pb := mustMMap(t, b, o)
	if n := shm.Mappings(); n != 2 {
		t.Fatalf("Mappings = %d", n)
	}
	if err := appWrite(a, pa+pageSize+8, []byte("shm")); err != nil {
		t.Fatal(err)
	}
	if got, _ := appRead(b, pb+8, 3); string(got) != "shm" {
		t.Fatalf("other mapping reads %q", got)
	}
	// Past the end of the object: SIGBUS.
	_, err := appRead(a, pa+2*pageSize, 1)
	wantFault(t, err, int32(unix.SIGBUS), BUS_ADRERR)
	if vs := a.VMAs(); vs[0].Shm != shm || vs[0].Name != "/SYSV00000001 (deleted)" {
		t.Fatalf("VMAs %+v", vs)
	}
	// A private mapping shares the object's pages until it writes them.
	pp, err := a.MMap(MMapOpts{Length: pageSize, Prot: rw, Flags: unix.MAP_PRIVATE, Shm: shm, Offset: pageSize})
	if err != nil {
		t.Fatalf("private mapping of shm = %v", err)
	}
	if got, _ := appRead(a, pp+8, 3); string(got) != "shm" {
		t.Fatalf("private mapping reads %q", got)
	}
	if err := appWrite(a, pp+8, []byte("own")); err != nil {
		t.Fatal(err)
	}
	if got, _ := appRead(b, pb+8, 3); string(got) != "shm" {
		t.Fatalf("private write reached the object: %q", got)
	}
	if err := a.MUnmap(pp, pageSize); err != nil {
		t.Fatal(err)
	}
	// Splitting a mapping counts as another attachment, as in Linux.
	if err := a.MProtect(pa, pageSize, unix.PROT_READ); err != nil {
		t.Fatal(err)
	}
	if n := shm.Mappings(); n != 3 {
		t.Fatalf("Mappings after split = %d", n)
	}
	a.Release()
	b.Release()
	if n := shm.Mappings(); n != 0 {
		t.Fatalf("Mappings after release = %d", n)
	}
	if shm.Resident() != pageSize { // fault-around never allocates an object's pages
		t.Fatalf("Resident = %d", shm.Resident())
	}
	shm.DecRef()
	if n := e.mf.FramesInUse(); n != 0 {
		t.Fatalf("%d frames leaked", n)
	}
}

func TestSharedMemoryFileOps(t *testing.T) {
	e := newEnv(t)
	a, b := e.newMM(), e.newMM()
	shm := NewSharedMemory(e.mf, 0)
	data := fill(3*pageSize, 1)
	if n, err := shm.WriteAt(data[:3*pageSize-10], 0); n != 3*pageSize-10 || err != nil {
		t.Fatalf("WriteAt = %d, %v", n, err)
	}
	if shm.Size() != 3*pageSize {
		t.Fatalf("Size after write = %d", shm.Size())
	}
	o := MMapOpts{Length: 3 * pageSize, Prot: rw, Flags: unix.MAP_SHARED, Shm: shm}
	pa, pb := mustMMap(t, a, o), mustMMap(t, b, o)
	if got, _ := appRead(b, pb+2*pageSize, 1); got[0] != 3 {
		t.Fatalf("mapping reads %d after WriteAt", got[0])
	}
	// Writes through a mapping reach ReadAt.
	if err := appWrite(a, pa+pageSize, []byte("mapped")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 6)
	if n := shm.ReadAt(buf, pageSize); n != 6 || string(buf) != "mapped" {
		t.Fatalf("ReadAt = %d %q", n, buf)
	}
	// Punch a hole in the middle page: both mappings read zeros.
	shm.Punch(pageSize, pageSize)
	if got, _ := appRead(b, pb+pageSize, 6); !bytes.Equal(got, make([]byte, 6)) {
		t.Fatalf("punched page reads %q", got)
	}
	if got, _ := appRead(a, pa, 1); got[0] != 1 {
		t.Fatal("punch removed the first page")
	}
	// Truncate into the first page: the tail is zeroed, later pages go.
	if err := appWrite(a, pa+2*pageSize, []byte{9}); err != nil {
		t.Fatal(err)
	}
	shm.SetSize(100)
	if got, _ := appRead(a, pa+99, 2); got[0] != 1 || got[1] != 0 {
		t.Fatalf("truncated page reads %v", got)
	}
	_, err := appRead(b, pb+2*pageSize, 1)
	wantFault(t, err, int32(unix.SIGBUS), BUS_ADRERR)
	if n := shm.ReadAt(buf, pageSize); n != 0 {
		t.Fatalf("ReadAt past the end = %d", n)
	}
	checkConsistent(t, a)
	checkConsistent(t, b)
	a.Release()
	b.Release()
	shm.DecRef()
	if n := e.mf.FramesInUse(); n != 0 {
		t.Fatalf("%d frames leaked", n)
	}
}

func TestSharedReadOnlyFileMapping(t *testing.T) {
	e := newEnv(t)
	m := e.newMM()
	defer m.Release()
	content := fill(2*pageSize, 10)
	f := newFile(content)
	o := MMapOpts{Length: 2 * pageSize, Prot: unix.PROT_READ, Flags: unix.MAP_SHARED, File: f, NoWrite: true, Name: "/data"}
	addr := mustMMap(t, m, o)
	if got, _ := appRead(m, addr+pageSize, 1); got[0] != 11 {
		t.Fatalf("shared file page reads %d", got[0])
	}
	if vs := m.VMAs(); !vs[0].Shared || vs[0].File != File(f) {
		t.Fatalf("VMAs %+v", vs)
	}
	wantFault(t, appWrite(m, addr, []byte{1}), int32(unix.SIGSEGV), SEGV_ACCERR)
	if err := m.MProtect(addr, pageSize, rw); err != unix.EACCES {
		t.Fatalf("mprotect(PROT_WRITE) of a read-only shared file mapping = %v", err)
	}
	if err := m.MProtect(addr, pageSize, unix.PROT_READ|unix.PROT_EXEC); err != nil {
		t.Fatal(err)
	}
	// Writable, or possibly writable later: no page cache yet.
	o.Prot = rw
	if _, err := m.MMap(o); err != unix.ENODEV {
		t.Fatalf("writable shared file mapping = %v", err)
	}
	o.Prot, o.NoWrite = unix.PROT_READ, false
	if _, err := m.MMap(o); err != unix.ENODEV {
		t.Fatalf("shared mapping of a writable file = %v", err)
	}
	// After MADV_DONTNEED the file is read again.
	content[0] = 99
	if err := m.MAdvise(addr, 2*pageSize, unix.MADV_DONTNEED); err != nil {
		t.Fatal(err)
	}
	if got, _ := appRead(m, addr, 1); got[0] != 99 {
		t.Fatalf("refaulted page reads %d", got[0])
	}
	// A child reads the file too.
	c, err := m.Fork()
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := appRead(c, addr+pageSize, 1); got[0] != 11 {
		t.Fatalf("child reads %d", got[0])
	}
	c.Release()
	checkConsistent(t, m)
}

func TestNeighbouringPagesGetNeighbouringFrames(t *testing.T) {
	e := newEnv(t)
	m := e.newMM()
	defer m.Release()
	pad := mustMMap(t, m, anon(64*pageSize, rw))
	addr := mustMMap(t, m, anon(64*pageSize, rw))
	// Frames 0-63 go to pad and are freed again, leaving room below the
	// frames of addr's first window.
	if err := m.MAdvise(pad, 64*pageSize, unix.MADV_POPULATE_WRITE); err != nil {
		t.Fatal(err)
	}
	if err := appWrite(m, addr+3*16*pageSize, []byte{1}); err != nil {
		t.Fatal(err)
	}
	if err := m.MUnmap(pad, 64*pageSize); err != nil {
		t.Fatal(err)
	}
	// Touch the rest backwards: each window goes right below the last.
	for i := 63; i >= 0; i-- {
		if err := appWrite(m, addr+uintptr(i)*pageSize, []byte{1}); err != nil {
			t.Fatal(err)
		}
	}
	first := m.pt.get(addr).frame
	for i := uintptr(0); i < 64; i++ {
		if f := m.pt.get(addr + i*pageSize).frame; f != first+uint64(i)*pageSize {
			t.Fatalf("page %d has frame %#x, want %#x", i, f, first+uint64(i)*pageSize)
		}
	}
}

func TestHostOutOfMappings(t *testing.T) {
	e := newEnv(t)
	m := e.newMM()
	defer m.Release()
	addr := mustMMap(t, m, anon(64*pageSize, rw))
	if err := appWrite(m, addr, make([]byte, 32*pageSize)); err != nil {
		t.Fatal(err)
	}
	fas(m).mu.Lock()
	fas(m).failOnce = unix.ENOMEM
	fas(m).mu.Unlock()
	if err := appWrite(m, addr+48*pageSize, []byte{1}); err != nil {
		t.Fatalf("fault after the host ran out of mappings: %v", err)
	}
	if _, ok := fas(m).lookup(addr); ok {
		t.Fatal("old mappings were not flushed")
	}
	checkConsistent(t, m)
	if got, _ := appRead(m, addr+48*pageSize, 1); got[0] != 1 {
		t.Fatal("contents lost")
	}
}

// TestSharedMemoryWritesRefused checks SetWritesRefused (an immutable ext4
// file's page cache): writes through shared mappings fault with SIGBUS,
// pages mapped writable before included, the kernel's writes are
// EFAULT, reads and private mappings go on, and clearing it lets writes
// through again.
func TestSharedMemoryWritesRefused(t *testing.T) {
	e := newEnv(t)
	a := e.newMM()
	shm := NewSharedMemory(e.mf, 2*pageSize)
	pa := mustMMap(t, a, MMapOpts{Length: 2 * pageSize, Prot: rw, Flags: unix.MAP_SHARED, Shm: shm})
	if err := appWrite(a, pa+8, []byte("one")); err != nil { // mapped writable now
		t.Fatal(err)
	}
	shm.SetWritesRefused(true)
	wantFault(t, appWrite(a, pa+8, []byte("two")), int32(unix.SIGBUS), BUS_ADRERR)
	wantFault(t, appWrite(a, pa+pageSize, []byte("two")), int32(unix.SIGBUS), BUS_ADRERR)
	if got, err := appRead(a, pa+8, 3); err != nil || string(got) != "one" {
		t.Fatalf("read after refusal: %q, %v", got, err)
	}
	if _, err := a.CopyOut(pa, []byte("k")); err != unix.EFAULT {
		t.Fatalf("kernel write into a refusing mapping: %v, want EFAULT", err)
	}
	if _, err := a.CopyOutForce(pa, []byte("k")); err != unix.EFAULT {
		t.Fatalf("forced write into a refusing mapping: %v, want EFAULT", err)
	}
	pp := mustMMap(t, a, MMapOpts{Length: pageSize, Prot: rw, Flags: unix.MAP_PRIVATE, Shm: shm})
	if err := appWrite(a, pp+8, []byte("own")); err != nil {
		t.Fatalf("private write: %v", err)
	}
	shm.SetWritesRefused(false)
	if err := appWrite(a, pa+8, []byte("two")); err != nil {
		t.Fatalf("write after the refusal ended: %v", err)
	}
	if got, _ := appRead(a, pa+8, 3); string(got) != "two" {
		t.Fatalf("reads %q", got)
	}
	a.Release()
	shm.DecRef()
}

// TestFaultAroundObjectHoles: a fault on a mapping of a memory object
// allocates the faulting page only, and maps the pages around it that the
// object already has, leaving its holes holes (Linux's filemap_map_pages).
func TestFaultAroundObjectHoles(t *testing.T) {
	e := newEnv(t)
	m := e.newMM()
	defer m.Release()
	shm := NewSharedMemory(e.mf, 16*pageSize)
	defer shm.DecRef()
	for _, idx := range []uint64{0, 3, 9} {
		if _, err := shm.WriteAt([]byte{byte('a' + idx)}, idx*pageSize); err != nil {
			t.Fatal(err)
		}
	}
	for _, flags := range []int{unix.MAP_SHARED, unix.MAP_PRIVATE} {
		a := mustMMap(t, m, MMapOpts{Length: 16 * pageSize, Prot: rw, Flags: flags, Shm: shm})
		if got, err := appRead(m, a+5*pageSize, 1); err != nil || got[0] != 0 {
			t.Fatalf("flags %#x: read of a hole = %v, %v", flags, got, err)
		}
		if n := shm.ResidentPages(); n != 4 {
			t.Fatalf("flags %#x: %d pages resident after one fault, want 4", flags, n)
		}
		for i := uintptr(0); i < 16; i++ {
			want := i == 0 || i == 3 || i == 5 || i == 9
			if got := m.pt.get(a+i*pageSize) != nil; got != want {
				t.Fatalf("flags %#x: page %d has a pte: %v, want %v", flags, i, got, want)
			}
		}
		if err := m.MUnmap(a, 16*pageSize); err != nil {
			t.Fatal(err)
		}
		shm.Punch(5*pageSize, pageSize)
	}
}

// TestRangeChecks: the range checks of madvise, mseal, mprotect and
// remap_file_pages, which share rangeEnd, keep their own errnos.
func TestRangeChecks(t *testing.T) {
	top := ^uintptr(0) &^ pageMask
	for _, c := range []struct {
		addr, length uintptr
		end          uintptr
		ok           bool
	}{
		{0x10000, 0, 0x10000, true},
		{0x10000, 1, 0x11000, true},
		{0x10000, pageSize, 0x11000, true},
		{0x10000, ^uintptr(0), 0, false},      // rounding overflows
		{top, pageSize, 0, false},             // wraps to 0
		{top - pageSize, pageSize, top, true}, // ends at the top page
	} {
		if end, ok := rangeEnd(c.addr, c.length); end != c.end || ok != c.ok {
			t.Errorf("rangeEnd(%#x, %#x) = %#x, %v; want %#x, %v", c.addr, c.length, end, ok, c.end, c.ok)
		}
	}
	if _, err := adviceRange(0x10001, pageSize); err != unix.EINVAL {
		t.Errorf("adviceRange unaligned = %v", err)
	}
	if _, err := adviceRange(top, 2*pageSize); err != unix.EINVAL {
		t.Errorf("adviceRange wrapping = %v", err)
	}
	if empty, err := checkMProtect(0x10000, 0, unix.PROT_READ); !empty || err != nil {
		t.Errorf("checkMProtect empty = %v, %v", empty, err)
	}
	if _, err := checkMProtect(top, 2*pageSize, unix.PROT_READ); err != unix.ENOMEM {
		t.Errorf("checkMProtect wrapping = %v", err)
	}
	e := newEnv(t)
	m := e.newMM()
	defer m.Release()
	if err := m.RemapFilePages(top, 2*pageSize, 0, 0, 0); err != unix.EINVAL {
		t.Errorf("RemapFilePages wrapping = %v", err)
	}
	if err := m.RemapFilePages(0x10000, pageSize-1, 0, 0, 0); err != unix.EINVAL {
		t.Errorf("RemapFilePages of less than a page = %v", err)
	}
}
