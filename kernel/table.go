package kernel

import (
	"github.com/kite-os/kite/abi/linux"
	"github.com/kite-os/kite/arch"
)

// SyscallFn handles one system call. It returns the value for rax, or an
// error that must be a unix.Errno (other errors become EIO and are logged).
type SyscallFn func(t *Task, args arch.SyscallArgs) (uintptr, error)

// Support says how completely kite implements a system call.
type Support int

const (
	// Unimplemented calls return ENOSYS and are logged once by name.
	Unimplemented Support = iota
	// Partial calls work for the common cases; Note says what is missing.
	Partial
	// Supported calls behave as on Linux.
	Supported
)

func (s Support) String() string {
	switch s {
	case Partial:
		return "partial"
	case Supported:
		return "supported"
	}
	return "unimplemented"
}

// Syscall is one entry of a SyscallTable.
type Syscall struct {
	Name    string
	Fn      SyscallFn
	Support Support
	Note    string
}

// SyscallTable maps amd64 system call numbers to handlers. It is data: the
// compatibility documentation is generated from it.
type SyscallTable struct {
	Entries [linux.MaxSyscall + 1]Syscall
}

// Lookup returns the entry for nr; ok is false for numbers Linux does not
// define.
func (st *SyscallTable) Lookup(nr uintptr) (e *Syscall, ok bool) {
	if nr >= uintptr(len(st.Entries)) || st.Entries[nr].Name == "" {
		return nil, false
	}
	return &st.Entries[nr], true
}
