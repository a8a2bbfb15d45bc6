package ptrace

import "encoding/binary"

// The stub program's layout. The stub is a one-page static ELF executable
// loaded at stubStart; everything below stubStart belongs to the
// application. After setup nothing but this page (and the host's
// [vsyscall] page, which cannot be unmapped) remains in the stub process.
const (
	pageSize = 0x1000

	// taskSize is the end of the host's 47-bit user address space.
	taskSize = 0x7ffffffff000

	// stubStart is the stub's code page: 16 pages below taskSize, so the
	// host stack, which exec places at a randomized address below
	// taskSize, only rarely collides with it (exec is then retried).
	stubStart = 0x7ffffffef000
	stubSize  = pageSize
	stubEnd   = stubStart + stubSize

	// codeOffset is where the instructions start inside the page, after
	// the ELF header and program headers.
	codeOffset = 0x100

	// stubPause is a loop `mov eax, SYS_pause; syscall; jmp stubPause`.
	// It is the ELF entry point and the place a new thread waits, untraced,
	// between its creation and its tracer attaching.
	stubPause = stubStart + codeOffset

	// stubSyscall is `syscall; int3`: an injected system call runs here
	// and the int3 stops the thread again with SIGTRAP.
	stubSyscall = stubStart + codeOffset + 0x10

	// stubSyscallTrap is rip after the int3 of stubSyscall.
	stubSyscallTrap = stubSyscall + 3

	// stubMaskAll and stubMaskNone are 8-byte signal sets (all signals,
	// no signal) for injected rt_sigprocmask calls.
	stubMaskAll  = stubStart + 0x200
	stubMaskNone = stubStart + 0x208
)

// stubImage is the stub executable, built at init.
var stubImage = buildStub()

// buildStub assembles the stub ELF: an ELF header, a PT_LOAD program header
// mapping the whole page read+execute at stubStart, a PT_GNU_STACK header
// (non-executable stack, so no READ_IMPLIES_EXEC personality), and the two
// code sequences above.
func buildStub() []byte {
	img := make([]byte, stubSize)
	le := binary.LittleEndian

	// ELF header.
	copy(img[0:], []byte{0x7f, 'E', 'L', 'F', 2 /* 64-bit */, 1 /* LE */, 1 /* version */, 0 /* SYSV ABI */})
	le.PutUint16(img[16:], 2)         // e_type = ET_EXEC
	le.PutUint16(img[18:], 62)        // e_machine = EM_X86_64
	le.PutUint32(img[20:], 1)         // e_version
	le.PutUint64(img[24:], stubPause) // e_entry
	le.PutUint64(img[32:], 64)        // e_phoff
	le.PutUint64(img[40:], 0)         // e_shoff
	le.PutUint32(img[48:], 0)         // e_flags
	le.PutUint16(img[52:], 64)        // e_ehsize
	le.PutUint16(img[54:], 56)        // e_phentsize
	le.PutUint16(img[56:], 2)         // e_phnum
	le.PutUint16(img[58:], 64)        // e_shentsize
	le.PutUint16(img[60:], 0)         // e_shnum
	le.PutUint16(img[62:], 0)         // e_shstrndx

	// PT_LOAD: the whole file, R+X, at stubStart. filesz == memsz so the
	// loader has no bss to clear in a read-only page.
	ph := img[64:]
	le.PutUint32(ph[0:], 1)          // p_type = PT_LOAD
	le.PutUint32(ph[4:], 5)          // p_flags = PF_R|PF_X
	le.PutUint64(ph[8:], 0)          // p_offset
	le.PutUint64(ph[16:], stubStart) // p_vaddr
	le.PutUint64(ph[24:], stubStart) // p_paddr
	le.PutUint64(ph[32:], stubSize)  // p_filesz
	le.PutUint64(ph[40:], stubSize)  // p_memsz
	le.PutUint64(ph[48:], pageSize)  // p_align

	// PT_GNU_STACK: RW.
	ph = img[64+56:]
	le.PutUint32(ph[0:], 0x6474e551) // p_type = PT_GNU_STACK
	le.PutUint32(ph[4:], 6)          // p_flags = PF_R|PF_W

	// stubPause: mov eax, 34 (pause); syscall; jmp stubPause (rel8 -9).
	copy(img[stubPause-stubStart:], []byte{0xb8, 34, 0, 0, 0, 0x0f, 0x05, 0xeb, 0xf7})
	// stubSyscall: syscall; int3.
	copy(img[stubSyscall-stubStart:], []byte{0x0f, 0x05, 0xcc})
	le.PutUint64(img[stubMaskAll-stubStart:], ^uint64(0))
	le.PutUint64(img[stubMaskNone-stubStart:], 0)
	return img
}
