package ptrace

import (
	"encoding/binary"

	"github.com/kite-os/kite/platform/internal/hostsys"
)

// The stub program's layout (hostsys's, common to the platforms). The stub
// is a one-page static ELF executable loaded at stubStart; everything
// below stubStart belongs to the application.
const (
	pageSize  = hostsys.PageSize
	stubStart = hostsys.StubStart

	// stubPause is a loop `mov eax, SYS_pause; syscall; jmp stubPause`.
	// It is the ELF entry point and the place a new thread waits, untraced,
	// between its creation and its tracer attaching.
	stubPause = hostsys.StubPause

	// stubSyscall is `syscall; int3`, where system calls are injected.
	stubSyscall = hostsys.StubSyscall

	// stubMaskAll and stubMaskNone are 8-byte signal sets (all signals,
	// no signal) for injected rt_sigprocmask calls.
	stubMaskAll  = stubStart + 0x200
	stubMaskNone = stubStart + 0x208
)

// stubImage is the stub executable, built at init.
var stubImage = buildStub()

// buildStub makes the stub ELF: hostsys's image with the two signal sets.
func buildStub() []byte {
	img := hostsys.StubImage(nil)
	binary.LittleEndian.PutUint64(img[stubMaskAll-stubStart:], ^uint64(0))
	binary.LittleEndian.PutUint64(img[stubMaskNone-stubStart:], 0)
	return img
}
