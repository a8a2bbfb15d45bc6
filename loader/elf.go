package loader

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"io"

	"golang.org/x/sys/unix"
)

// Limits of the x86-64 Linux user address space and of execve.
const (
	// PageSize is the x86-64 base page size.
	PageSize = 4096

	// TaskSize is Linux's TASK_SIZE_MAX with 4-level paging: the end of
	// the user address range, one page short of the canonical-address
	// hole. Parse refuses segments that reach beyond it; Load also checks
	// against the platform's (possibly lower) limit.
	TaskSize = 0x7ffffffff000

	// PathMax is Linux's PATH_MAX, the longest PT_INTERP accepted.
	PathMax = 4096
)

const (
	ehdrSize = 64 // sizeof(Elf64_Ehdr)
	phdrSize = 56 // sizeof(Elf64_Phdr)

	// maxPhdrBytes is the most program-header bytes Linux reads
	// (elf_read_phdrs refuses more than ELF_MIN_ALIGN bytes).
	maxPhdrBytes = PageSize
)

// Error is a failure to parse or load an executable. Errno is what execve
// returns to the application; Reason says why, for logs. errors.Is and
// errors.As see the Errno through Unwrap.
type Error struct {
	Errno  unix.Errno
	Reason string
}

func (e *Error) Error() string { return "loader: " + e.Reason + ": " + e.Errno.Error() }

// Unwrap returns the errno.
func (e *Error) Unwrap() error { return e.Errno }

func noexec(reason string) error { return &Error{Errno: unix.ENOEXEC, Reason: reason} }

// Segment is one PT_LOAD program header, validated.
type Segment struct {
	Vaddr  uint64 // p_vaddr, before any load bias
	Memsz  uint64 // p_memsz
	Offset uint64 // p_offset
	Filesz uint64 // p_filesz, never more than Memsz
	Prot   int    // PROT_READ|PROT_WRITE|PROT_EXEC from p_flags
	Align  uint64 // p_align
}

// End returns the first address after the segment (unbiased).
func (s Segment) End() uint64 { return s.Vaddr + s.Memsz }

// ELF is a parsed and validated ELF64 x86-64 executable.
type ELF struct {
	// Type is elf.ET_EXEC or elf.ET_DYN.
	Type elf.Type

	// Entry is e_entry, before any load bias.
	Entry uint64

	// Phoff, Phentsize and Phnum describe the program header table.
	Phoff     uint64
	Phentsize int
	Phnum     int

	// Loads are the PT_LOAD segments, sorted by address and disjoint.
	Loads []Segment

	// Interp is the PT_INTERP path without its NUL, "" if there is none.
	Interp string

	// ExecStack is true if PT_GNU_STACK asks for an executable stack.
	// Without PT_GNU_STACK, x86-64 Linux gives a non-executable stack.
	ExecStack bool

	// PhdrVaddr is the (unbiased) address at which the program headers
	// appear in memory: computed as Linux does, from the (last) PT_LOAD
	// segment whose file range holds e_phoff; zero if none does.
	PhdrVaddr uint64

	// HasPTPhdr and PTPhdrVaddr report a PT_PHDR header, if any.
	HasPTPhdr   bool
	PTPhdrVaddr uint64

	// MaxAlign is the largest power-of-two p_align of the PT_LOAD
	// segments, at least PageSize.
	MaxAlign uint64
}

// IsPIE reports whether the executable is position independent (ET_DYN)
// and so is loaded at a chosen bias.
func (e *ELF) IsPIE() bool { return e.Type == elf.ET_DYN }

// readFull reads exactly len(p) bytes at off. A short read means the file
// is truncated (ENOEXEC); other read errors keep their errno (EIO if they
// have none).
func readFull(r io.ReaderAt, p []byte, off int64) error {
	n, err := r.ReadAt(p, off)
	if n == len(p) {
		return nil
	}
	if err == nil || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return noexec("file truncated")
	}
	var errno unix.Errno
	if errors.As(err, &errno) {
		return &Error{Errno: errno, Reason: "reading executable: " + err.Error()}
	}
	return &Error{Errno: unix.EIO, Reason: "reading executable: " + err.Error()}
}

func pageDown(x uint64) uint64 { return x &^ (PageSize - 1) }

// pageUp rounds x up to a page boundary; callers make sure x is far below
// 2^64 so that it cannot wrap.
func pageUp(x uint64) uint64 { return (x + PageSize - 1) &^ (PageSize - 1) }

func protOf(flags elf.ProgFlag) int {
	prot := 0
	if flags&elf.PF_R != 0 {
		prot |= unix.PROT_READ
	}
	if flags&elf.PF_W != 0 {
		prot |= unix.PROT_WRITE
	}
	if flags&elf.PF_X != 0 {
		prot |= unix.PROT_EXEC
	}
	return prot
}

// Parse reads and validates the headers of an ELF64 x86-64 executable of
// size bytes. Every malformed file yields an *Error with ENOEXEC; read
// failures keep their errno.
func Parse(r io.ReaderAt, size int64) (*ELF, error) {
	if size < ehdrSize {
		return nil, noexec("file shorter than an ELF header")
	}
	var eh [ehdrSize]byte
	if err := readFull(r, eh[:], 0); err != nil {
		return nil, err
	}
	if string(eh[:4]) != elf.ELFMAG {
		return nil, noexec("not an ELF file")
	}
	if elf.Class(eh[elf.EI_CLASS]) != elf.ELFCLASS64 {
		return nil, noexec("not a 64-bit ELF file")
	}
	if elf.Data(eh[elf.EI_DATA]) != elf.ELFDATA2LSB {
		return nil, noexec("not a little-endian ELF file")
	}
	le := binary.LittleEndian
	e := &ELF{
		Type:      elf.Type(le.Uint16(eh[16:])),
		Entry:     le.Uint64(eh[24:]),
		Phoff:     le.Uint64(eh[32:]),
		Phentsize: int(le.Uint16(eh[54:])),
		Phnum:     int(le.Uint16(eh[56:])),
		MaxAlign:  PageSize,
	}
	if m := elf.Machine(le.Uint16(eh[18:])); m != elf.EM_X86_64 {
		return nil, noexec("machine " + m.String() + " is not x86-64")
	}
	if e.Type != elf.ET_EXEC && e.Type != elf.ET_DYN {
		return nil, noexec("ELF type " + e.Type.String() + " is not executable")
	}
	if e.Phentsize != phdrSize {
		return nil, noexec("bad e_phentsize")
	}
	if e.Phnum == 0 || e.Phnum*phdrSize > maxPhdrBytes {
		return nil, noexec("bad e_phnum")
	}
	phBytes := uint64(e.Phnum * phdrSize)
	if e.Phoff > uint64(size) || uint64(size)-e.Phoff < phBytes {
		return nil, noexec("program headers beyond end of file")
	}
	ph := make([]byte, phBytes)
	if err := readFull(r, ph, int64(e.Phoff)); err != nil {
		return nil, err
	}
	if err := e.parsePhdrs(r, ph, uint64(size)); err != nil {
		return nil, err
	}
	return e, nil
}

func (e *ELF) parsePhdrs(r io.ReaderAt, ph []byte, size uint64) error {
	le := binary.LittleEndian
	sawStack, sawInterp := false, false
	for i := 0; i < e.Phnum; i++ {
		p := ph[i*phdrSize : (i+1)*phdrSize]
		typ := elf.ProgType(le.Uint32(p[0:]))
		flags := elf.ProgFlag(le.Uint32(p[4:]))
		off := le.Uint64(p[8:])
		vaddr := le.Uint64(p[16:])
		filesz := le.Uint64(p[32:])
		memsz := le.Uint64(p[40:])
		align := le.Uint64(p[48:])
		switch typ {
		case elf.PT_LOAD:
			if memsz == 0 {
				// Linux maps nothing for an empty segment.
				continue
			}
			s, err := checkLoad(off, vaddr, filesz, memsz, size)
			if err != nil {
				return err
			}
			s.Prot, s.Align = protOf(flags), align
			if n := len(e.Loads); n > 0 && e.Loads[n-1].End() > s.Vaddr {
				return noexec("PT_LOAD segments overlap or are not sorted")
			}
			if align > e.MaxAlign && align&(align-1) == 0 {
				e.MaxAlign = align
			}
			e.Loads = append(e.Loads, s)
			// Linux finds the in-memory program headers this way
			// (the last PT_LOAD whose file part holds e_phoff).
			if off <= e.Phoff && e.Phoff < off+filesz {
				e.PhdrVaddr = e.Phoff - off + vaddr
			}
		case elf.PT_INTERP:
			if sawInterp { // Linux uses the first one
				continue
			}
			sawInterp = true
			path, err := readInterp(r, off, filesz, size)
			if err != nil {
				return err
			}
			e.Interp = path
		case elf.PT_GNU_STACK:
			if sawStack { // Linux uses the first one
				continue
			}
			sawStack = true
			e.ExecStack = flags&elf.PF_X != 0
		case elf.PT_PHDR:
			if !e.HasPTPhdr {
				e.HasPTPhdr, e.PTPhdrVaddr = true, vaddr
			}
		}
	}
	if len(e.Loads) == 0 {
		return noexec("no PT_LOAD segment")
	}
	if e.Entry >= TaskSize {
		return noexec("entry point beyond the user address space")
	}
	if e.IsPIE() {
		// The whole image must fit below TaskSize at some bias.
		if e.Loads[len(e.Loads)-1].End()-pageDown(e.Loads[0].Vaddr) > TaskSize/3 {
			return noexec("PIE image too large")
		}
		if e.Entry >= TaskSize/3 {
			return noexec("PIE entry point too large")
		}
	}
	return nil
}

// checkLoad validates one PT_LOAD header.
func checkLoad(off, vaddr, filesz, memsz, size uint64) (Segment, error) {
	s := Segment{Vaddr: vaddr, Memsz: memsz, Offset: off, Filesz: filesz}
	switch {
	case filesz > memsz:
		return s, noexec("PT_LOAD p_filesz exceeds p_memsz")
	case vaddr >= TaskSize || memsz > TaskSize-vaddr:
		return s, noexec("PT_LOAD segment beyond the user address space")
	case off > size || filesz > size-off:
		return s, noexec("PT_LOAD segment beyond end of file")
	case off%PageSize != vaddr%PageSize:
		return s, noexec("PT_LOAD p_offset and p_vaddr not congruent modulo the page size")
	}
	return s, nil
}

func readInterp(r io.ReaderAt, off, filesz, size uint64) (string, error) {
	if filesz < 2 || filesz > PathMax {
		return "", noexec("bad PT_INTERP size")
	}
	if off > size || filesz > size-off {
		return "", noexec("PT_INTERP beyond end of file")
	}
	buf := make([]byte, filesz)
	if err := readFull(r, buf, int64(off)); err != nil {
		return "", err
	}
	if buf[filesz-1] != 0 {
		return "", noexec("PT_INTERP not NUL-terminated")
	}
	// Linux opens the path as a C string: an embedded NUL ends it.
	path := buf[:filesz-1]
	if i := bytes.IndexByte(path, 0); i >= 0 {
		path = path[:i]
	}
	if len(path) == 0 {
		return "", noexec("empty PT_INTERP")
	}
	return string(path), nil
}
