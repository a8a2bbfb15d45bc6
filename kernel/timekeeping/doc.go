// Package timekeeping is kite's kernel clock: CLOCK_MONOTONIC,
// CLOCK_REALTIME and the clocks derived from them, as clock_gettime,
// file timestamps and timers read them inside kite and as the vDSO
// computes them inside a program, from one formula over the CPU's
// time-stamp counter and parameters in the vDSO's data page
// (arch/vdso's layout), so the two always agree: a program mixing vDSO
// calls, system calls and file times never sees time go back.
//
// The parameters follow the host's clocks (Go's time.Now): the counter's
// rate is measured against the host's CLOCK_MONOTONIC over the whole life
// of the clock, and each resynchronisation (lazily, when a reader in kite
// finds one due: every few milliseconds at first, then every second)
// changes the rate by at most maxSlew so that CLOCK_MONOTONIC converges
// on the host's again without jumping; only a large lag is stepped
// forward, never back. CLOCK_REALTIME is CLOCK_MONOTONIC plus an offset
// that changes only when the host's realtime clock is stepped. Every
// change of parameters is continuous at the counter value it is made at
// and published under a sequence lock that the vDSO honours.
//
// Without a usable counter (arch.TSCUsable) the clock is the host's, and
// the data page says so (vdso.ModeNone): the vDSO makes the system call.
//
// SetRealtime (clock_settime, settimeofday, adjtimex's ADJ_SETOFFSET)
// adds an offset of kite's own to CLOCK_REALTIME, never setting the
// host's. adjtimex's NTP state (ntp.go) is the host clock's, read with the
// read-only modes alone, overlaid with the values programs under kite set.
//
// It imports arch, arch/vdso and golang.org/x/sys/unix only.
package timekeeping
