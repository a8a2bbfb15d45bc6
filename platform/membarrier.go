package platform

import "golang.org/x/sys/unix"

// memBarrierGlobal is MEMBARRIER_CMD_GLOBAL.
const memBarrierGlobal = 1

// MemoryBarrier makes every thread running on the host, and so every
// application thread of every address space, pass through a full memory
// barrier before it returns (the host's membarrier(MEMBARRIER_CMD_GLOBAL)).
// membarrier(2) for the application is built on it: application threads
// run on host CPUs kite cannot interrupt cheaply.
func MemoryBarrier() error {
	_, _, e := unix.Syscall(unix.SYS_MEMBARRIER, memBarrierGlobal, 0, 0)
	if e != 0 {
		return e
	}
	return nil
}
