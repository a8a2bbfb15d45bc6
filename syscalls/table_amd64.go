package syscalls

import (
	"github.com/kite-os/kite/abi/linux"
	"github.com/kite-os/kite/kernel"
)

// entry is one registered system call handler.
type entry struct {
	nr      uintptr
	fn      kernel.SyscallFn
	support kernel.Support
	note    string
}

// registered holds every family's entries. It is appended to only by the
// init functions of this package and read-only afterwards.
var registered []entry

// register adds a family's entries; call it only from init.
func register(es ...entry) { registered = append(registered, es...) }

// supported is a handler that behaves as Linux.
func supported(nr uintptr, fn kernel.SyscallFn) entry {
	return entry{nr: nr, fn: fn, support: kernel.Supported}
}

// partial is a handler that covers the common cases; note says what it
// lacks.
func partial(nr uintptr, fn kernel.SyscallFn, note string) entry {
	return entry{nr: nr, fn: fn, support: kernel.Partial, note: note}
}

// enosys records a deliberate ENOSYS with the reason.
func enosys(nr uintptr, note string) entry {
	return entry{nr: nr, support: kernel.Unimplemented, note: note}
}

// NewTable returns the amd64 system call table: every syscall Linux
// defines, with kite's handler where there is one and ENOSYS otherwise.
func NewTable() *kernel.SyscallTable {
	t := &kernel.SyscallTable{}
	for nr, name := range linux.SyscallNames {
		t.Entries[nr].Name = name
	}
	for _, e := range registered {
		s := &t.Entries[e.nr]
		s.Fn, s.Support, s.Note = e.fn, e.support, e.note
	}
	return t
}
