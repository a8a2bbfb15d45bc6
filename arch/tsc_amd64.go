package arch

import (
	"bytes"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Rdtsc reads the CPU's time-stamp counter after every earlier load and
// before every later one (LFENCE on both sides), as the vDSO does, so
// that a reading inside a sequence-locked section belongs to it.
func Rdtsc() uint64

// TSCUsable reports whether kite and its programs may compute time from
// the time-stamp counter: cpuinfo (the host's /proc/cpuinfo) says it runs
// at a constant rate in every power state (constant_tsc, nonstop_tsc), and
// RDTSC is allowed in user mode (prctl PR_GET_TSC; with PR_TSC_SIGSEGV
// reading it would kill kite).
func TSCUsable(cpuinfo []byte) bool {
	var flags []byte
	for _, line := range bytes.Split(cpuinfo, []byte("\n")) {
		if k, v, ok := bytes.Cut(line, []byte(":")); ok && string(bytes.TrimSpace(k)) == "flags" {
			flags = v
			break
		}
	}
	have := map[string]bool{}
	for _, f := range bytes.Fields(flags) {
		have[string(f)] = true
	}
	if !have["constant_tsc"] || !have["nonstop_tsc"] {
		return false
	}
	var mode int32
	if err := unix.Prctl(unix.PR_GET_TSC, uintptr(unsafe.Pointer(&mode)), 0, 0, 0); err != nil {
		return false
	}
	return mode == unix.PR_TSC_ENABLE
}
