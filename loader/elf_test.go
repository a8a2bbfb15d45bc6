package loader

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

type phdr struct {
	typ, flags                       uint32
	off, vaddr, filesz, memsz, align uint64
}

// mkELF builds a synthetic executable: the ELF header, the program headers
// right after it, and zeros up to size bytes.
func mkELF(typ elf.Type, entry uint64, phs []phdr, size int) []byte {
	need := ehdrSize + phdrSize*len(phs)
	if size < need {
		size = need
	}
	b := make([]byte, size)
	copy(b, elf.ELFMAG)
	b[elf.EI_CLASS] = byte(elf.ELFCLASS64)
	b[elf.EI_DATA] = byte(elf.ELFDATA2LSB)
	b[elf.EI_VERSION] = byte(elf.EV_CURRENT)
	le := binary.LittleEndian
	le.PutUint16(b[16:], uint16(typ))
	le.PutUint16(b[18:], uint16(elf.EM_X86_64))
	le.PutUint32(b[20:], 1)
	le.PutUint64(b[24:], entry)
	le.PutUint64(b[32:], ehdrSize)
	le.PutUint16(b[52:], ehdrSize)
	le.PutUint16(b[54:], phdrSize)
	le.PutUint16(b[56:], uint16(len(phs)))
	for i, p := range phs {
		o := b[ehdrSize+i*phdrSize:]
		le.PutUint32(o[0:], p.typ)
		le.PutUint32(o[4:], p.flags)
		le.PutUint64(o[8:], p.off)
		le.PutUint64(o[16:], p.vaddr)
		le.PutUint64(o[24:], p.vaddr)
		le.PutUint64(o[32:], p.filesz)
		le.PutUint64(o[40:], p.memsz)
		le.PutUint64(o[48:], p.align)
	}
	return b
}

const (
	ptLoad  = uint32(elf.PT_LOAD)
	pfR     = uint32(elf.PF_R)
	pfW     = uint32(elf.PF_W)
	pfX     = uint32(elf.PF_X)
	pageAln = PageSize
)

// goodPhdrs is a plausible static executable: text and data+bss.
func goodPhdrs() []phdr {
	return []phdr{
		{typ: ptLoad, flags: pfR | pfX, off: 0, vaddr: 0x400000, filesz: 0x1800, memsz: 0x1800, align: pageAln},
		{typ: ptLoad, flags: pfR | pfW, off: 0x1800, vaddr: 0x402800, filesz: 0x100, memsz: 0x3000, align: pageAln},
		{typ: uint32(elf.PT_GNU_STACK), flags: pfR | pfW},
	}
}

func parseBytes(b []byte) (*ELF, error) { return Parse(bytes.NewReader(b), int64(len(b))) }

func isENOEXEC(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Errno == unix.ENOEXEC && errors.Is(err, unix.ENOEXEC)
}

func TestParseSynthetic(t *testing.T) {
	e, err := parseBytes(mkELF(elf.ET_EXEC, 0x400100, goodPhdrs(), 0x2000))
	if err != nil {
		t.Fatal(err)
	}
	if e.Type != elf.ET_EXEC || e.Entry != 0x400100 || len(e.Loads) != 2 || e.ExecStack || e.Interp != "" {
		t.Fatalf("bad parse: %+v", e)
	}
	want := Segment{Vaddr: 0x402800, Memsz: 0x3000, Offset: 0x1800, Filesz: 0x100, Prot: unix.PROT_READ | unix.PROT_WRITE, Align: pageAln}
	if e.Loads[1] != want {
		t.Fatalf("segment 1 = %+v, want %+v", e.Loads[1], want)
	}
	if e.Loads[0].Prot != unix.PROT_READ|unix.PROT_EXEC {
		t.Fatalf("segment 0 prot = %#x", e.Loads[0].Prot)
	}
	if e.PhdrVaddr != 0x400040 {
		t.Fatalf("PhdrVaddr = %#x, want 0x400040", e.PhdrVaddr)
	}
}

func TestParseExecStackAndInterp(t *testing.T) {
	phs := goodPhdrs()
	phs[2].flags |= pfX
	interp := "/lib/ld.so\x00"
	phs = append(phs, phdr{typ: uint32(elf.PT_INTERP), off: 0x1000, filesz: uint64(len(interp)), memsz: uint64(len(interp))})
	b := mkELF(elf.ET_DYN, 0x100, phs, 0x2000)
	copy(b[0x1000:], interp)
	e, err := parseBytes(b)
	if err != nil {
		t.Fatal(err)
	}
	if !e.ExecStack || e.Interp != "/lib/ld.so" || !e.IsPIE() {
		t.Fatalf("bad parse: %+v", e)
	}
}

func TestParseRejects(t *testing.T) {
	type mod func(b []byte, phs []phdr) ([]byte, []phdr)
	le := binary.LittleEndian
	hdr := func(f func(b []byte)) mod {
		return func(b []byte, phs []phdr) ([]byte, []phdr) { f(b); return b, phs }
	}
	ph := func(f func(phs []phdr)) mod {
		return func(b []byte, phs []phdr) ([]byte, []phdr) { f(phs); return b, phs }
	}
	cases := map[string]mod{
		"bad magic":       hdr(func(b []byte) { b[1] = 'X' }),
		"32-bit":          hdr(func(b []byte) { b[elf.EI_CLASS] = byte(elf.ELFCLASS32) }),
		"big-endian":      hdr(func(b []byte) { b[elf.EI_DATA] = byte(elf.ELFDATA2MSB) }),
		"aarch64":         hdr(func(b []byte) { le.PutUint16(b[18:], uint16(elf.EM_AARCH64)) }),
		"ET_REL":          hdr(func(b []byte) { le.PutUint16(b[16:], uint16(elf.ET_REL)) }),
		"ET_CORE":         hdr(func(b []byte) { le.PutUint16(b[16:], uint16(elf.ET_CORE)) }),
		"phentsize":       hdr(func(b []byte) { le.PutUint16(b[54:], 32) }),
		"phnum 0":         hdr(func(b []byte) { le.PutUint16(b[56:], 0) }),
		"phnum huge":      hdr(func(b []byte) { le.PutUint16(b[56:], 0xffff) }),
		"phdrs past EOF":  hdr(func(b []byte) { le.PutUint64(b[32:], 0x1900-100) }),
		"phoff past EOF":  hdr(func(b []byte) { le.PutUint64(b[32:], 1<<62) }),
		"phoff wraps":     hdr(func(b []byte) { le.PutUint64(b[32:], ^uint64(0)-10) }),
		"entry too high":  hdr(func(b []byte) { le.PutUint64(b[24:], TaskSize) }),
		"no PT_LOAD":      ph(func(p []phdr) { p[0].typ, p[1].typ = 0, 0 }),
		"filesz>memsz":    ph(func(p []phdr) { p[1].filesz = p[1].memsz + 1 }),
		"unsorted":        ph(func(p []phdr) { p[0], p[1] = p[1], p[0] }),
		"overlap":         ph(func(p []phdr) { p[1].vaddr, p[1].off = 0x401000, 0x1000 }),
		"incongruent":     ph(func(p []phdr) { p[1].off = 0x1700 }),
		"past EOF":        ph(func(p []phdr) { p[1].filesz = 0x1000 }),
		"offset past EOF": ph(func(p []phdr) { p[1].off, p[1].vaddr = 1<<40+0x800, 0x402800 }),
		"vaddr too high":  ph(func(p []phdr) { p[1].vaddr = TaskSize + 0x800 }),
		"memsz too big":   ph(func(p []phdr) { p[1].memsz = TaskSize }),
		"vaddr wraps":     ph(func(p []phdr) { p[1].vaddr, p[1].memsz = ^uint64(0)-0x7ff, 0x1000 }),
		"interp too long": ph(func(p []phdr) { p[2] = phdr{typ: uint32(elf.PT_INTERP), off: 0, filesz: PathMax + 1} }),
		"interp too short": ph(func(p []phdr) {
			p[2] = phdr{typ: uint32(elf.PT_INTERP), off: 0, filesz: 1}
		}),
		"interp no NUL": ph(func(p []phdr) { p[2] = phdr{typ: uint32(elf.PT_INTERP), off: 1, filesz: 4} }),
		"interp past EOF": ph(func(p []phdr) {
			p[2] = phdr{typ: uint32(elf.PT_INTERP), off: 0x1ffe, filesz: 8}
		}),
		"truncated header": func(b []byte, phs []phdr) ([]byte, []phdr) { return b[:40], phs },
		"truncated phdrs":  func(b []byte, phs []phdr) ([]byte, []phdr) { return b[:ehdrSize+phdrSize], phs },
	}
	for name, m := range cases {
		t.Run(name, func(t *testing.T) {
			phs := goodPhdrs()
			b := mkELF(elf.ET_EXEC, 0x400100, phs, 0x1900)
			b, phs2 := m(b, phs)
			if len(b) == 0x1900 {
				// re-encode the (possibly modified) program headers
				// into the (possibly modified) header.
				nb := mkELF(elf.ET_EXEC, 0x400100, phs2, 0x1900)
				copy(nb[:ehdrSize], b[:ehdrSize])
				b = nb
			}
			e, err := parseBytes(b)
			t.Log(err)
			if !isENOEXEC(err) {
				t.Fatalf("Parse = %+v, %v; want ENOEXEC", e, err)
			}
		})
	}
}

func TestParseSkipsEmptyLoad(t *testing.T) {
	phs := goodPhdrs()
	phs = append(phs, phdr{typ: ptLoad, flags: pfR, vaddr: 0x1000})
	e, err := parseBytes(mkELF(elf.ET_EXEC, 0x400100, phs, 0x2000))
	if err != nil || len(e.Loads) != 2 {
		t.Fatalf("Parse = %+v, %v", e, err)
	}
}

func TestParsePIEAlign(t *testing.T) {
	phs := []phdr{{typ: ptLoad, flags: pfR | pfX, filesz: 0x100, memsz: 0x100, align: 0x200000}}
	e, err := parseBytes(mkELF(elf.ET_DYN, 0x10, phs, 0x1000))
	if err != nil {
		t.Fatal(err)
	}
	if e.MaxAlign != 0x200000 {
		t.Fatalf("MaxAlign = %#x", e.MaxAlign)
	}
	phs[0].align = 0x3000 // not a power of two: ignored, as Linux does
	e, err = parseBytes(mkELF(elf.ET_DYN, 0x10, phs, 0x1000))
	if err != nil || e.MaxAlign != PageSize {
		t.Fatalf("Parse = %+v, %v", e, err)
	}
}

type failReader struct{}

func (failReader) ReadAt(p []byte, off int64) (int, error) { return 0, unix.EIO }

func TestParseReadError(t *testing.T) {
	_, err := Parse(failReader{}, 4096)
	if !errors.Is(err, unix.EIO) {
		t.Fatalf("Parse = %v, want EIO", err)
	}
}

func readTestdata(t testing.TB, name string) []byte {
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseReal(t *testing.T) {
	s, err := parseBytes(readTestdata(t, "static"))
	if err != nil {
		t.Fatal(err)
	}
	if s.Type != elf.ET_EXEC || s.Interp != "" || s.ExecStack || len(s.Loads) != 4 || s.PhdrVaddr != 0x400040 || s.Phnum != 6 {
		t.Fatalf("static: %+v", s)
	}
	if l := s.Loads[3]; l.Vaddr != 0x406fc0 || l.Filesz != 0x150 || l.Memsz != 0x7f8 || l.Prot != unix.PROT_READ|unix.PROT_WRITE {
		t.Fatalf("static data segment: %+v", l)
	}

	p, err := parseBytes(readTestdata(t, "static-pie"))
	if err != nil {
		t.Fatal(err)
	}
	if !p.IsPIE() || p.Interp != "" || len(p.Loads) != 4 || p.PhdrVaddr != 0x40 || p.Loads[0].Vaddr != 0 {
		t.Fatalf("static-pie: %+v", p)
	}

	d, err := parseBytes(readTestdata(t, "dynamic"))
	if err != nil {
		t.Fatal(err)
	}
	if d.Interp != "/lib/ld-musl-x86_64.so.1" || !d.HasPTPhdr || d.PTPhdrVaddr != 0x40 {
		t.Fatalf("dynamic: %+v", d)
	}
}

// TestParseTruncated checks that every truncation of a real executable
// that cuts into its headers or segments is refused with ENOEXEC.
func TestParseTruncated(t *testing.T) {
	b := readTestdata(t, "static")
	e, err := parseBytes(b)
	if err != nil {
		t.Fatal(err)
	}
	last := e.Loads[len(e.Loads)-1]
	need := int(last.Offset + last.Filesz)
	for n := 0; n < need; n++ {
		if _, err := parseBytes(b[:n]); !isENOEXEC(err) {
			t.Fatalf("truncated to %d: err = %v", n, err)
		}
	}
	if _, err := parseBytes(b[:need]); err != nil {
		t.Fatalf("truncated to %d (all segments present): %v", need, err)
	}
}
