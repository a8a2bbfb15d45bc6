package hostsys

import (
	"encoding/binary"
	"fmt"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/arch"
)

// The stub's layout, common to the platforms. The stub is a one-page
// static ELF executable loaded at StubStart; below it everything belongs
// to the platform and the application. After setup nothing but this page
// (and the host's [vsyscall] page, which cannot be unmapped) is left of
// what exec mapped.
const (
	PageSize = 0x1000

	// TaskSize is the end of the host's 47-bit user address space.
	TaskSize = 0x7ffffffff000

	// StubStart is the stub's page: 16 pages below TaskSize, so the host
	// stack, which exec places at a randomized address below TaskSize,
	// only rarely collides with it (exec is then retried).
	StubStart = 0x7ffffffef000
	StubSize  = PageSize
	StubEnd   = StubStart + StubSize

	// CodeOffset is where the instructions start inside the page, after
	// the ELF header and program headers.
	CodeOffset = 0x100

	// StubPause is a loop `mov eax, SYS_pause; syscall; jmp StubPause`:
	// the ELF entry point.
	StubPause = StubStart + CodeOffset

	// StubSyscall is `syscall; int3`: an injected system call runs here
	// and the int3 stops the thread again with SIGTRAP.
	StubSyscall = StubStart + CodeOffset + 0x10

	// StubTrap is rip after the int3 of StubSyscall.
	StubTrap = StubSyscall + 3
)

// pauseCode and syscallCode are the instructions at StubPause and
// StubSyscall.
var (
	pauseCode   = []byte{0xb8, 34, 0, 0, 0, 0x0f, 0x05, 0xeb, 0xf7} // mov eax, 34 (pause); syscall; jmp -9
	syscallCode = []byte{0x0f, 0x05, 0xcc}                          // syscall; int3
)

// StubImage returns a stub executable: an ELF header, a PT_LOAD program
// header mapping the whole page read+execute at StubStart, a PT_GNU_STACK
// header (non-executable stack, so no READ_IMPLIES_EXEC personality), and
// code at CodeOffset. code must begin with the pause loop and have
// `syscall; int3` at StubSyscall; with code nil, the image has just
// those two.
func StubImage(code []byte) []byte {
	img := make([]byte, StubSize)
	le := binary.LittleEndian

	// ELF header.
	copy(img[0:], []byte{0x7f, 'E', 'L', 'F', 2 /* 64-bit */, 1 /* LE */, 1 /* version */, 0 /* SYSV ABI */})
	le.PutUint16(img[16:], 2)         // e_type = ET_EXEC
	le.PutUint16(img[18:], 62)        // e_machine = EM_X86_64
	le.PutUint32(img[20:], 1)         // e_version
	le.PutUint64(img[24:], StubPause) // e_entry
	le.PutUint64(img[32:], 64)        // e_phoff
	le.PutUint16(img[52:], 64)        // e_ehsize
	le.PutUint16(img[54:], 56)        // e_phentsize
	le.PutUint16(img[56:], 2)         // e_phnum
	le.PutUint16(img[58:], 64)        // e_shentsize

	// PT_LOAD: the whole file, R+X, at StubStart. filesz == memsz so the
	// loader has no bss to clear in a read-only page.
	ph := img[64:]
	le.PutUint32(ph[0:], 1)          // p_type = PT_LOAD
	le.PutUint32(ph[4:], 5)          // p_flags = PF_R|PF_X
	le.PutUint64(ph[16:], StubStart) // p_vaddr
	le.PutUint64(ph[24:], StubStart) // p_paddr
	le.PutUint64(ph[32:], StubSize)  // p_filesz
	le.PutUint64(ph[40:], StubSize)  // p_memsz
	le.PutUint64(ph[48:], PageSize)  // p_align

	// PT_GNU_STACK: RW.
	ph = img[64+56:]
	le.PutUint32(ph[0:], 0x6474e551) // p_type = PT_GNU_STACK
	le.PutUint32(ph[4:], 6)          // p_flags = PF_R|PF_W

	if code != nil {
		copy(img[CodeOffset:], code)
	} else {
		copy(img[StubPause-StubStart:], pauseCode)
		copy(img[StubSyscall-StubStart:], syscallCode)
	}
	if string(img[StubPause-StubStart:][:len(pauseCode)]) != string(pauseCode) ||
		string(img[StubSyscall-StubStart:][:len(syscallCode)]) != string(syscallCode) {
		panic("hostsys: stub code without the pause loop or the injection point")
	}
	return img
}

// Stub is a stub executable in a sealed memfd, which the platform's stub
// processes execute.
type Stub struct {
	// Name prefixes errors: the platform's name.
	Name string
	// Options are the ptrace options set on every stub thread.
	Options int

	fd   int
	path string

	closeOnce sync.Once
	closeErr  error
}

// NewStub puts image into a sealed memfd. Threads of the stubs started
// from it get the ptrace options opts.
func NewStub(name string, image []byte, opts int) (*Stub, error) {
	memfdName := "kite-" + name + "-stub"
	fd, err := unix.MemfdCreate(memfdName, unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING|unix.MFD_EXEC)
	if err == unix.EINVAL {
		// Hosts older than 6.3 do not know MFD_EXEC (and need not).
		fd, err = unix.MemfdCreate(memfdName, unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: memfd_create: %w", name, err)
	}
	if _, err := unix.Write(fd, image); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("%s: writing stub: %w", name, err)
	}
	seals := unix.F_SEAL_SEAL | unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS, seals); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("%s: sealing stub: %w", name, err)
	}
	// Keep only a read-only descriptor: a host that refuses to execute a
	// file open for writing (ETXTBSY) then accepts it.
	ro, err := unix.Open(fmt.Sprintf("/proc/self/fd/%d", fd), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	unix.Close(fd)
	if err != nil {
		return nil, fmt.Errorf("%s: reopening stub: %w", name, err)
	}
	return &Stub{Name: name, Options: opts, fd: ro, path: fmt.Sprintf("/proc/self/fd/%d", ro)}, nil
}

// Close closes the executable's memfd (once; a nil Stub does nothing).
func (s *Stub) Close() error {
	if s == nil {
		return nil
	}
	s.closeOnce.Do(func() { s.closeErr = unix.Close(s.fd) })
	return s.closeErr
}

// Start starts a stub process traced by the calling OS thread, with files
// as its descriptors 0, 1, ..., and unmaps everything of it but the stub
// page. It retries a few times when exec fails after the point of no
// return (the host stack took the stub's address).
//
// Preconditions: the calling goroutine is locked to its OS thread and stays
// so for the stub's whole life (the stub's parent-death signal fires when
// this thread exits).
func (s *Stub) Start(files []uintptr) (*Thread, error) {
	var err error
	for attempt := 0; attempt < 8; attempt++ {
		var t *Thread
		t, err = s.startOnce(files)
		if err == nil {
			return t, nil
		}
	}
	return nil, err
}

func (s *Stub) startOnce(files []uintptr) (*Thread, error) {
	pid, err := syscall.ForkExec(s.path, []string{"kite-stub"}, &syscall.ProcAttr{
		Env:   []string{},
		Files: files,
		Sys: &syscall.SysProcAttr{
			Ptrace:    true,
			Pdeathsig: syscall.SIGKILL,
			Setsid:    true, // keep terminal signals of kite's session away
		},
	})
	if err == unix.EACCES {
		return nil, fmt.Errorf("%s: starting stub: %w (does vm.memfd_noexec forbid executing memfds?)", s.Name, err)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: starting stub: %w", s.Name, err)
	}
	t := &Thread{Tgid: pid, Tid: pid, Waiter: NewOwnerWaiter(pid), stub: s}
	ws, err := t.Wait()
	if err != nil {
		return t.Kill(t.errHost("wait", err))
	}
	if !ws.Stopped() {
		// exec failed after the point of no return: the caller retries.
		t.Dead = true
		return nil, t.ErrDied(ws)
	}
	if ws.StopSignal() != unix.SIGTRAP {
		return t.Kill(fmt.Errorf("%s: stub %d stopped by signal %d after exec", s.Name, pid, int(ws.StopSignal())))
	}
	if err := Ptrace(unix.PTRACE_SETOPTIONS, pid, 0, uintptr(s.Options)); err != nil {
		return t.Kill(t.errHost("SETOPTIONS", err))
	}
	if err := GetRegs(pid, &t.Base); err != nil {
		return t.Kill(t.errHost("GETREGS", err))
	}
	// Unmap everything but the stub page: the host stack, vDSO and vvar.
	if _, err := t.Syscall(unix.SYS_MUNMAP, 0, StubStart); err != nil {
		return t.Kill(fmt.Errorf("%s: stub munmap: %w", s.Name, err))
	}
	if _, err := t.Syscall(unix.SYS_MUNMAP, StubEnd, TaskSize-StubEnd); err != nil {
		return t.Kill(fmt.Errorf("%s: stub munmap: %w", s.Name, err))
	}
	// Only the files given stay open in the stub, whatever kite itself
	// inherited without close-on-exec.
	if _, err := t.Syscall(unix.SYS_CLOSE_RANGE, uintptr(len(files)), ^uintptr(0)>>32, 0); err != nil && err != unix.ENOSYS {
		return t.Kill(fmt.Errorf("%s: stub close_range: %w", s.Name, err))
	}
	return t, nil
}

// Kill kills the stub process of t, a thread the caller traces, reaps t
// and returns err.
func (t *Thread) Kill(err error) (*Thread, error) {
	unix.Kill(t.Tgid, unix.SIGKILL)
	t.Reap()
	return nil, err
}

// ReadXState reads the NT_X86_XSTATE register set of tid, which the
// caller traces: the FP state in the host's layout.
func ReadXState(name string, tid int) (arch.FPState, error) {
	buf := make([]byte, 64<<10)
	n, err := GetRegset(tid, unix.NT_X86_XSTATE, buf)
	if err != nil {
		return nil, fmt.Errorf("%s: reading xstate: %w", name, err)
	}
	if n < arch.FXSaveSize+64 {
		return nil, fmt.Errorf("%s: xstate of %d bytes is too small", name, n)
	}
	return arch.FPState(buf[:n]).Clone(), nil
}

// ProbeXState reads the FP state of tid, a stub's main thread, through
// do (which runs a function on its tracer); on failure it calls release
// (of the stub's address space).
func ProbeXState(name string, do func(func()) error, tid int, release func()) (arch.FPState, error) {
	var fp arch.FPState
	var err error
	if e := do(func() { fp, err = ReadXState(name, tid) }); e != nil {
		err = e
	}
	if err != nil {
		release()
		return nil, err
	}
	return fp, nil
}

// Follower keeps a host thread on the CPU of the kite thread that serves
// it: a wake-up to the same CPU costs a few microseconds, one to another
// CPU tens on our virtual machines.
type Follower struct {
	// CPU is the CPU the thread was last restricted to, or -1.
	CPU int
	// followed is when Follow last looked at the CPU.
	followed time.Time
}

// followInterval is how often Follow looks up the calling thread's CPU.
// kite's OS thread moves between CPUs far less often than it switches to
// the stub, and when the host moves it at wake-ups it often moves it
// back soon: looking every 500 us keeps the stub from chasing each such
// move (a sched_setaffinity and a migration). Looking at every Switch
// (the CPU read with LSL costs nanoseconds) made 20,000 round trips of a
// Unix socket ping-pong at real-time priority, where the host moves
// threads at wake-ups, 20% slower (246-257 us each against 193-209), and
// re-pinning at most once per interval but whenever the CPU differed
// 5-10% slower; under ordinary load neither changed anything measurable.
const followInterval = 500 * time.Microsecond

// Follow restricts host thread tid to the CPU the calling thread is on, if
// it is not already.
func (f *Follower) Follow(tid int) {
	now := time.Now()
	if f.CPU >= 0 && now.Sub(f.followed) < followInterval {
		return
	}
	f.followed = now
	if cpu := Getcpu(); cpu != f.CPU {
		if PinThread(tid, cpu) == nil {
			f.CPU = cpu
		}
	}
}
