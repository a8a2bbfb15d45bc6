package loader

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/mm"
	"github.com/kite-os/kite/platform"
)

// fakePlatform gives mm address spaces that accept every mapping; the
// tests look at mm's VMAs and read memory back through mm.
type fakePlatform struct{ max uintptr }

func (p fakePlatform) Name() string            { return "fake" }
func (p fakePlatform) MaxUserAddress() uintptr { return p.max }
func (p fakePlatform) NewAddressSpace() (platform.AddressSpace, error) {
	return fakeAS{}, nil
}
func (p fakePlatform) NewContext() (platform.Context, error) {
	return nil, errors.New("fake platform runs no code")
}

type fakeAS struct{}

func (fakeAS) MapFile(addr uintptr, off uint64, length uintptr, prot int) error { return nil }
func (fakeAS) Unmap(addr, length uintptr) error                                 { return nil }
func (fakeAS) Release()                                                         {}

func newMM(t *testing.T, max uintptr) *mm.MemoryManager {
	t.Helper()
	mf, err := mm.NewMemoryFileSize(64 << 20)
	if err != nil {
		t.Fatal(err)
	}
	m, err := mm.NewMemoryManager(mf, fakePlatform{max: max})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		m.Release()
		mf.Release()
	})
	return m
}

// fixedRandom returns the same 16 bytes every time.
type fixedRandom struct{}

func (fixedRandom) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(0xc0 + i)
	}
	return len(p), nil
}

func testArgs() LoadArgs {
	return LoadArgs{
		Argv:       []string{"prog", "arg1"},
		Envv:       []string{"A=1"},
		ExecFn:     "/bin/prog",
		MaxAddress: TaskSize,
		UID:        1000, EUID: 1001, GID: 100, EGID: 101,
		HWCap: 0x178bfbff, HWCap2: 2, MinSigStkSz: 3632,
		Random: fixedRandom{},
	}
}

func vmaAt(t *testing.T, m *mm.MemoryManager, addr uintptr) mm.VMAInfo {
	t.Helper()
	for _, v := range m.VMAs() {
		if v.Start <= addr && addr < v.End {
			return v
		}
	}
	t.Fatalf("no VMA at %#x", addr)
	return mm.VMAInfo{}
}

func readMem(t *testing.T, m *mm.MemoryManager, addr uintptr, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := m.CopyIn(addr, b); err != nil {
		t.Fatalf("CopyIn(%#x, %d): %v", addr, n, err)
	}
	return b
}

// checkSegments checks that every segment's file part reads back as the
// file's bytes, that the rest of the segment reads as zeros and that its
// VMAs carry exactly its protection.
func checkSegments(t *testing.T, m *mm.MemoryManager, img *Image, file []byte) {
	t.Helper()
	for _, s := range img.ELF.Loads {
		base := img.Bias + uintptr(s.Vaddr)
		if got := readMem(t, m, base, int(s.Filesz)); !bytes.Equal(got, file[s.Offset:s.Offset+s.Filesz]) {
			t.Errorf("segment at %#x: file part differs", base)
		}
		// With a bss, the bss and the rest of its last page read as
		// zeros (without one, Linux leaves the file's bytes there).
		tail := int(pageUp(uint64(base)+s.Memsz) - uint64(base) - s.Filesz)
		if got := readMem(t, m, base+uintptr(s.Filesz), tail); s.Memsz > s.Filesz && !bytes.Equal(got, make([]byte, tail)) {
			t.Errorf("segment at %#x: bss not zero", base)
		}
		for a := uint64(base) &^ (PageSize - 1); a < uint64(base)+s.Memsz; a += PageSize {
			if v := vmaAt(t, m, uintptr(a)); v.Prot != s.Prot {
				t.Errorf("page %#x: prot %#x, want %#x", a, v.Prot, s.Prot)
			}
		}
	}
}

// checkStack reads the initial stack back from memory and checks the
// auxv against the image.
func checkStack(t *testing.T, m *mm.MemoryManager, img *Image, a LoadArgs) {
	t.Helper()
	if img.StackPointer%16 != 0 {
		t.Fatalf("sp %#x not aligned", img.StackPointer)
	}
	data := readMem(t, m, img.StackPointer, int(img.StackTop-img.StackPointer))
	ps := parseStack(t, &Stack{Data: data, SP: img.StackPointer, Top: img.StackTop})
	if strings.Join(ps.argv, " ") != strings.Join(a.Argv, " ") || strings.Join(ps.envv, " ") != strings.Join(a.Envv, " ") {
		t.Fatalf("argv %q envv %q", ps.argv, ps.envv)
	}
	want := map[uint64]uint64{
		AT_PHDR:        uint64(img.PhdrAddr),
		AT_PHENT:       56,
		AT_PHNUM:       uint64(img.ELF.Phnum),
		AT_PAGESZ:      PageSize,
		AT_CLKTCK:      100,
		AT_BASE:        uint64(img.InterpBias),
		AT_FLAGS:       0,
		AT_ENTRY:       uint64(img.Bias) + img.ELF.Entry,
		AT_UID:         1000,
		AT_EUID:        1001,
		AT_GID:         100,
		AT_EGID:        101,
		AT_SECURE:      0,
		AT_HWCAP:       0x178bfbff,
		AT_HWCAP2:      2,
		AT_MINSIGSTKSZ: 3632,
	}
	var order []uint64
	for _, e := range ps.auxv {
		order = append(order, e.Type)
		if w, ok := want[e.Type]; ok && e.Val != w {
			t.Errorf("auxv type %d = %#x, want %#x", e.Type, e.Val, w)
		}
	}
	wantOrder := []uint64{AT_MINSIGSTKSZ, AT_HWCAP, AT_PAGESZ, AT_CLKTCK, AT_PHDR, AT_PHENT, AT_PHNUM,
		AT_BASE, AT_FLAGS, AT_ENTRY, AT_UID, AT_EUID, AT_GID, AT_EGID, AT_SECURE, AT_RANDOM, AT_HWCAP2,
		AT_EXECFN, AT_PLATFORM, AT_NULL}
	if len(order) != len(wantOrder) {
		t.Fatalf("auxv types %v, want %v", order, wantOrder)
	}
	for i := range order {
		if order[i] != wantOrder[i] {
			t.Fatalf("auxv types %v, want %v", order, wantOrder)
		}
	}
	rnd, _ := auxVal(ps.auxv, AT_RANDOM)
	if got := readMem(t, m, uintptr(rnd), 16); got[0] != 0xc0 || got[15] != 0xcf {
		t.Errorf("AT_RANDOM bytes %x", got)
	}
	fn, _ := auxVal(ps.auxv, AT_EXECFN)
	if got := readMem(t, m, uintptr(fn), len(a.ExecFn)+1); string(got) != a.ExecFn+"\x00" {
		t.Errorf("AT_EXECFN %q", got)
	}
	plat, _ := auxVal(ps.auxv, AT_PLATFORM)
	if got := readMem(t, m, uintptr(plat), 7); string(got) != "x86_64\x00" {
		t.Errorf("AT_PLATFORM %q", got)
	}
	// Program headers are where AT_PHDR says.
	ph := readMem(t, m, img.PhdrAddr, phdrSize)
	if typ := binary.LittleEndian.Uint32(ph); typ == 0 {
		t.Errorf("AT_PHDR points at %x", ph)
	}
	v := vmaAt(t, m, img.StackPointer)
	if v.Name != "[stack]" || v.End != img.StackTop || v.Start != img.StackBottom {
		t.Errorf("stack VMA %+v, image %#x-%#x", v, img.StackBottom, img.StackTop)
	}
	wantProt := unix.PROT_READ | unix.PROT_WRITE
	if img.ExecStack {
		wantProt |= unix.PROT_EXEC
	}
	if v.Prot != wantProt {
		t.Errorf("stack prot %#x, want %#x", v.Prot, wantProt)
	}
}

func TestLoadStatic(t *testing.T) {
	file := readTestdata(t, "static")
	m := newMM(t, TaskSize)
	a := testArgs()
	img, err := Load(m, bytes.NewReader(file), int64(len(file)), a)
	if err != nil {
		t.Fatal(err)
	}
	if img.Bias != 0 || img.Entry != uintptr(img.ELF.Entry) || img.PhdrAddr != 0x400040 {
		t.Fatalf("image %+v", img)
	}
	if img.BrkStart != 0x408000 {
		t.Errorf("brk start %#x, want 0x408000", img.BrkStart)
	}
	if start, cur := m.BrkStart(); start != img.BrkStart || cur != img.BrkStart {
		t.Errorf("mm brk %#x %#x", start, cur)
	}
	if img.StackTop != TaskSize || img.StackTop-img.StackBottom < stackExpand {
		t.Errorf("stack %#x-%#x", img.StackBottom, img.StackTop)
	}
	checkSegments(t, m, img, file)
	checkStack(t, m, img, a)
	// The data segment's last file page holds more of the file after
	// p_filesz (section headers): it must read as zeros.
	if !bytes.Contains(file[0x6110:0x6590], []byte{'.'}) {
		t.Fatal("test file changed: expected section names after the data segment")
	}
}

func TestLoadStaticPIE(t *testing.T) {
	file := readTestdata(t, "static-pie")
	m := newMM(t, TaskSize)
	a := testArgs()
	img, err := Load(m, bytes.NewReader(file), int64(len(file)), a)
	if err != nil {
		t.Fatal(err)
	}
	// As on Linux 6: placed by mmap below the stack, with the heap at
	// ELF_ET_DYN_BASE.
	if img.Bias%PageSize != 0 || img.Bias < 0x7ff000000000 || img.Bias+0x10000 > img.StackBottom {
		t.Fatalf("bias %#x, stack at %#x", img.Bias, img.StackBottom)
	}
	if img.BrkStart != 0x555555555000 {
		t.Errorf("brk start %#x, want 0x555555555000", img.BrkStart)
	}
	if img.Entry != img.Bias+uintptr(img.ELF.Entry) || img.PhdrAddr != img.Bias+0x40 {
		t.Fatalf("entry %#x phdr %#x", img.Entry, img.PhdrAddr)
	}
	checkSegments(t, m, img, file)
	checkStack(t, m, img, a)
}

func TestLoadStaticPIEBelowStub(t *testing.T) {
	file := readTestdata(t, "static-pie")
	a := testArgs()
	a.MaxAddress = 0x7ffffffef000 // the ptrace platform's limit
	img, err := Load(newMM(t, a.MaxAddress), bytes.NewReader(file), int64(len(file)), a)
	if err != nil {
		t.Fatal(err)
	}
	if img.BrkStart != 0x555555555000 {
		t.Errorf("brk start %#x, want 0x555555555000", img.BrkStart)
	}
}

func TestLoadStaticPIEWithGap(t *testing.T) {
	phs := []phdr{
		{typ: ptLoad, flags: pfR | pfX, off: 0, vaddr: 0, filesz: 0x200, memsz: 0x200, align: pageAln},
		{typ: ptLoad, flags: pfR | pfW, off: 0x1000, vaddr: 0x5000, filesz: 0x100, memsz: 0x100, align: pageAln},
	}
	file := mkELF(elf.ET_DYN, 0x100, phs, 0x1100)
	m := newMM(t, TaskSize)
	img, err := Load(m, bytes.NewReader(file), int64(len(file)), testArgs())
	if err != nil {
		t.Fatal(err)
	}
	checkSegments(t, m, img, file)
	for _, v := range m.VMAs() {
		if v.End > img.Bias+0x1000 && v.Start < img.Bias+0x5000 {
			t.Errorf("the gap between segments is mapped: %+v", v)
		}
	}
}

func TestLoadBigBSSAndExecStack(t *testing.T) {
	phs := []phdr{
		// A read-only, executable segment with a bss: its tail must be
		// zeroed though the segment is not writable.
		{typ: ptLoad, flags: pfR | pfX, off: 0, vaddr: 0x400000, filesz: 0x1800, memsz: 0x1900, align: pageAln},
		// Data with a bss spanning three more pages.
		{typ: ptLoad, flags: pfR | pfW, off: 0x1800, vaddr: 0x402800, filesz: 0x100, memsz: 0x3000, align: pageAln},
		{typ: uint32(elf.PT_GNU_STACK), flags: pfR | pfW | pfX},
	}
	file := mkELF(elf.ET_EXEC, 0x400100, phs, 0x3000)
	for i := 0x100; i < len(file); i++ {
		file[i] = 0xaa // non-zero beyond every p_filesz
	}
	m := newMM(t, TaskSize)
	a := testArgs()
	img, err := Load(m, bytes.NewReader(file), int64(len(file)), a)
	if err != nil {
		t.Fatal(err)
	}
	checkSegments(t, m, img, file)
	if v := vmaAt(t, m, 0x404000); v.File != nil || v.Prot != unix.PROT_READ|unix.PROT_WRITE {
		t.Errorf("bss pages: %+v", v)
	}
	if v := vmaAt(t, m, 0x402000); v.File == nil || v.Offset != 0x1000 {
		t.Errorf("data file page: %+v", v)
	}
	if img.BrkStart != 0x406000 {
		t.Errorf("brk start %#x", img.BrkStart)
	}
	if !img.ExecStack {
		t.Error("PT_GNU_STACK PF_X ignored")
	}
	checkStack(t, m, img, a)
}

func TestLoadInterpreter(t *testing.T) {
	exe := readTestdata(t, "dynamic")
	interpFile := readTestdata(t, "static-pie") // any ET_DYN will do
	m := newMM(t, 0x7ffffffef000)
	a := testArgs()
	a.MaxAddress = 0x7ffffffef000
	released := 0
	a.OpenInterpreter = func(path string) (mm.File, int64, func(), error) {
		if path != "/lib/ld-musl-x86_64.so.1" {
			t.Errorf("interpreter %q", path)
		}
		return bytes.NewReader(interpFile), int64(len(interpFile)), func() { released++ }, nil
	}
	img, err := Load(m, bytes.NewReader(exe), int64(len(exe)), a)
	if err != nil {
		t.Fatal(err)
	}
	if released != 1 {
		t.Errorf("release called %d times", released)
	}
	if img.Interp == nil || img.Bias != 0x555555554000 {
		t.Fatalf("image %+v", img)
	}
	ib := img.InterpBias
	if ib == 0 || ib%PageSize != 0 || ib+0x10000 > img.StackBottom || ib < img.BrkStart {
		t.Fatalf("interpreter at %#x (brk %#x, stack %#x)", ib, img.BrkStart, img.StackBottom)
	}
	if img.Entry != ib+uintptr(img.Interp.Entry) {
		t.Errorf("entry %#x, want the interpreter's %#x", img.Entry, ib+uintptr(img.Interp.Entry))
	}
	checkSegments(t, m, img, exe)
	checkSegments(t, m, &Image{ELF: img.Interp, Bias: ib}, interpFile)
	checkStack(t, m, img, a)
	// The span between the interpreter's segments that no segment
	// covers must not stay reserved.
	for _, v := range m.VMAs() {
		if v.Start >= ib && v.Start < ib+0x10000 && v.Prot == unix.PROT_NONE {
			t.Errorf("leftover reservation %+v", v)
		}
	}

	// A missing interpreter is execve's ENOENT; a broken one ELIBBAD.
	a.OpenInterpreter = func(string) (mm.File, int64, func(), error) { return nil, 0, nil, unix.ENOENT }
	if _, err := Load(newMM(t, TaskSize), bytes.NewReader(exe), int64(len(exe)), a); !errors.Is(err, unix.ENOENT) {
		t.Errorf("missing interpreter: %v", err)
	}
	a.OpenInterpreter = func(string) (mm.File, int64, func(), error) {
		return bytes.NewReader(exe[:100]), 100, func() { released++ }, nil
	}
	if _, err := Load(newMM(t, TaskSize), bytes.NewReader(exe), int64(len(exe)), a); !errors.Is(err, unix.ELIBBAD) {
		t.Errorf("truncated interpreter: %v", err)
	}
	if released != 2 {
		t.Errorf("release not called on failure")
	}
}

func TestLoadRSeqAuxv(t *testing.T) {
	file := readTestdata(t, "static")
	a := testArgs()
	a.RSeqFeatureSize, a.RSeqAlign = 28, 32
	img, err := Load(newMM(t, TaskSize), bytes.NewReader(file), int64(len(file)), a)
	if err != nil {
		t.Fatal(err)
	}
	aux := img.Stack.Auxv
	n := len(aux)
	if n < 3 || aux[n-3] != (AuxEntry{AT_RSEQ_FEATURE_SIZE, 28}) || aux[n-2] != (AuxEntry{AT_RSEQ_ALIGN, 32}) || aux[n-4].Type != AT_PLATFORM {
		t.Errorf("auxv tail %v", aux[n-4:])
	}
}

// MapVDSO runs once the image is mapped, and AT_SYSINFO_EHDR, first in
// the auxiliary vector, is the address it returns.
func TestLoadVDSOAuxv(t *testing.T) {
	file := readTestdata(t, "static")
	a := testArgs()
	m := newMM(t, TaskSize)
	var vdso uintptr
	a.MapVDSO = func(got *mm.MemoryManager) (uintptr, error) {
		if got != m {
			t.Errorf("MapVDSO got another address space")
		}
		addr, err := got.MMap(mm.MMapOpts{Length: PageSize, Prot: unix.PROT_READ | unix.PROT_EXEC, Flags: unix.MAP_PRIVATE | unix.MAP_ANONYMOUS, Name: "[vdso]"})
		vdso = addr
		return addr, err
	}
	img, err := Load(m, bytes.NewReader(file), int64(len(file)), a)
	if err != nil {
		t.Fatal(err)
	}
	if aux := img.Stack.Auxv; vdso == 0 || img.VDSO != vdso || aux[0] != (AuxEntry{AT_SYSINFO_EHDR, uint64(vdso)}) || aux[1].Type != AT_MINSIGSTKSZ {
		t.Errorf("vdso %#x, image's %#x, auxv %v", vdso, img.VDSO, img.Stack.Auxv[:2])
	}
	data := readMem(t, m, img.StackPointer, int(img.StackTop-img.StackPointer))
	ps := parseStack(t, &Stack{Data: data, SP: img.StackPointer, Top: img.StackTop})
	if v, ok := auxVal(ps.auxv, AT_SYSINFO_EHDR); !ok || v != uint64(vdso) {
		t.Errorf("stack's AT_SYSINFO_EHDR %#x %v", v, ok)
	}
	a.MapVDSO = func(*mm.MemoryManager) (uintptr, error) { return 0, unix.ENOMEM }
	if _, err := Load(newMM(t, TaskSize), bytes.NewReader(file), int64(len(file)), a); !errors.Is(err, unix.ENOMEM) {
		t.Errorf("failing MapVDSO: %v", err)
	}
}

func TestLoadRefuses(t *testing.T) {
	dyn := readTestdata(t, "dynamic")
	m := newMM(t, TaskSize)
	_, err := Load(m, bytes.NewReader(dyn), int64(len(dyn)), testArgs())
	var le *Error
	if !errors.As(err, &le) || le.Errno != unix.ENOEXEC || !strings.Contains(le.Reason, "/lib/ld-musl-x86_64.so.1") {
		t.Errorf("dynamic: %v", err)
	}

	st := readTestdata(t, "static")
	a := testArgs()
	a.Argv = []string{strings.Repeat("x", MaxArgStrlen)}
	if _, err := Load(newMM(t, TaskSize), bytes.NewReader(st), int64(len(st)), a); !errors.Is(err, unix.E2BIG) {
		t.Errorf("huge argv: %v", err)
	}

	// An address space too small for the image below the stack.
	if _, err := Load(newMM(t, 0x410000), bytes.NewReader(st), int64(len(st)), testArgs()); !errors.Is(err, unix.ENOMEM) {
		t.Errorf("tiny address space: %v", err)
	}
	a = testArgs()
	a.MaxAddress = 0x410000
	if _, err := Load(newMM(t, 0x410000), bytes.NewReader(st), int64(len(st)), a); !errors.Is(err, unix.ENOMEM) {
		t.Errorf("tiny address space: %v", err)
	}

	if _, err := Load(newMM(t, TaskSize), bytes.NewReader(st[:100]), 100, testArgs()); !errors.Is(err, unix.ENOEXEC) {
		t.Errorf("truncated: %v", err)
	}
}

func TestStackSize(t *testing.T) {
	for _, c := range []struct{ n, limit, want uint64 }{
		{100, 8 << 20, PageSize + stackExpand},
		{100, 64 << 10, 64 << 10},
		{200 << 10, 64 << 10, 200 << 10},
	} {
		if got := stackSize(c.n, c.limit); got != c.want {
			t.Errorf("stackSize(%d, %d) = %d, want %d", c.n, c.limit, got, c.want)
		}
	}
}

func TestLoadBias(t *testing.T) {
	e := &ELF{Type: elf.ET_DYN, MaxAlign: 0x200000, Loads: []Segment{{Vaddr: 0}}}
	if got := loadBias(e, TaskSize); got != 0x555555400000 {
		t.Errorf("2 MiB aligned bias %#x", got)
	}
	e.Loads[0].Vaddr = 0x10000
	e.MaxAlign = PageSize
	if got := loadBias(e, TaskSize); got != 0x555555544000 {
		t.Errorf("bias with first vaddr 0x10000: %#x", got)
	}
	// A platform that keeps the top of the address space (the ptrace
	// stub) does not move the bias...
	e.Loads[0].Vaddr = 0
	if got := loadBias(e, 0x7ffffffef000); got != 0x555555554000 {
		t.Errorf("bias below the ptrace stub: %#x", got)
	}
	// ...unless the address space is much smaller.
	if got := loadBias(e, 0x40000000); got != 0x2aaaa000 {
		t.Errorf("bias in a 1 GiB address space: %#x", got)
	}
}
